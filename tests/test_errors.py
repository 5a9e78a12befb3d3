"""Errors speak the user's language: ValueError naming the op and the shapes for shapes that do
not fit, TypeError for wrong types/dtypes, RuntimeError for graph misuse."""
import re

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite.nn import functional as F
from autograd_lite.testing import GradcheckError, gradcheck


def _names_shapes(msg, *shapes):
    for s in shapes:
        assert str(tuple(s)) in msg, f"shape {tuple(s)} not named in: {msg}"


A = ag.tensor(np.ones((2, 3)))
B = ag.tensor(np.ones((4,)))


# ----------------------------------------------------------------------------- broadcasting
@pytest.mark.parametrize("name,fn", [
    ("add", lambda a, b: a + b), ("sub", lambda a, b: a - b), ("mul", lambda a, b: a * b),
    ("div", lambda a, b: a / b), ("pow", lambda a, b: a ** b),
    ("maximum", ag.maximum), ("minimum", ag.minimum),
    ("add", lambda a, b: b.data + a),  # NumPy array on the left
    ("where", lambda a, b: ag.where(a > 0, a, b)),
])
def test_binary_broadcast_mismatch_names_op_and_shapes(name, fn):
    with pytest.raises(ValueError) as e:
        fn(A, B)
    msg = str(e.value)
    assert name in msg.lower(), msg
    _names_shapes(msg, (2, 3), (4,))


def test_comparison_broadcast_mismatch():
    with pytest.raises(ValueError) as e:
        A < B
    _names_shapes(str(e.value), (2, 3), (4,))


def test_broadcast_mismatch_with_requires_grad_records_nothing():
    x = ag.tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match="mul"):
        x * ag.tensor(np.ones((3, 2)))


# ----------------------------------------------------------------------------- matmul
@pytest.mark.parametrize("sa,sb", [((2, 3), (4,)), ((2, 3), (2, 3)), ((3,), (4, 2)),
                                   ((2, 2, 3), (3, 3, 2)), ((5,), (4,))])
def test_matmul_mismatch(sa, sb):
    with pytest.raises(ValueError) as e:
        ag.tensor(np.ones(sa)) @ ag.tensor(np.ones(sb))
    msg = str(e.value)
    assert "matmul" in msg
    _names_shapes(msg, sa, sb)


def test_matmul_zero_dim():
    with pytest.raises(ValueError, match="matmul"):
        ag.matmul(ag.ones(2, 2), ag.tensor(2.0))


# ----------------------------------------------------------------------------- shape ops
@pytest.mark.parametrize("fn", [lambda: A.reshape(4, 2), lambda: A.view(5),
                                lambda: ag.reshape(A, (-1, 4)), lambda: A.reshape(-1, -1)])
def test_reshape_mismatch(fn):
    with pytest.raises(ValueError) as e:
        fn()
    assert "reshape" in str(e.value)
    _names_shapes(str(e.value), (2, 3))


@pytest.mark.parametrize("tensors,axis,shapes", [
    ([A, B], 0, [(2, 3), (4,)]),
    ([A, ag.tensor(np.ones((3, 3)))], 1, [(2, 3), (3, 3)]),
    ([A, ag.tensor(np.ones((2, 2)))], 0, [(2, 3), (2, 2)]),
])
def test_concatenate_mismatch(tensors, axis, shapes):
    with pytest.raises(ValueError) as e:
        ag.concatenate(tensors, axis=axis)
    assert "concatenate" in str(e.value)
    _names_shapes(str(e.value), *shapes)


def test_concatenate_and_stack_other_errors():
    with pytest.raises(ValueError, match="stack"):
        ag.stack([A, B])
    with pytest.raises(ValueError, match="concatenate"):
        ag.concatenate([A, A], axis=2)
    with pytest.raises(ValueError, match="concatenate"):
        ag.concatenate([ag.tensor(1.0), ag.tensor(2.0)])
    with pytest.raises(ValueError):
        ag.concatenate([])
    with pytest.raises(TypeError):
        ag.concatenate(A)


@pytest.mark.parametrize("index", [5, (slice(None), 7), np.array([0, 3]),
                                   np.array([True, False, True]), (0, 0, 0)])
def test_indexing_errors_name_getitem_and_shape(index):
    with pytest.raises((IndexError, ValueError)) as e:
        A[index]
    assert "getitem" in str(e.value)
    _names_shapes(str(e.value), (2, 3))


@pytest.mark.parametrize("fn,op", [
    (lambda: A.sum(axis=2), "sum"), (lambda: A.mean(axis=-3), "mean"),
    (lambda: A.max(axis=5), "max"), (lambda: A.logsumexp(axis=(0, 0)), "logsumexp"),
    (lambda: A.expand(3, 3), "broadcast_to|expand"), (lambda: A.broadcast_to(3, 2), "broadcast_to"),
    (lambda: A.expand(3), "expand"),
    (lambda: A.permute(0, 0), "permute"), (lambda: A.permute(0, 1, 2), "permute"),
    (lambda: A.transpose(0, 2), "transpose"), (lambda: A.squeeze(3), "squeeze"),
    (lambda: A.unsqueeze(4), "unsqueeze"), (lambda: A.flatten(1, 0), "flatten"),
    (lambda: A.var(axis=2), "var"), (lambda: ag.softmax(ag.tensor(1.0), axis=1), "softmax"),
    (lambda: ag.pad(A, ((1, 2, 3),)), "pad"), (lambda: ag.pad(A, -1), "pad"),
    (lambda: ag.einsum("ij,jk->ik", A, A), "einsum"), (lambda: ag.einsum("ij->i", B), "einsum"),
    (lambda: ag.einsum("i,i", A), "einsum"),
    (lambda: ag.max(ag.zeros(0)), "max"), (lambda: ag.clip(A), "clip"),
    (lambda: ag.argmax(ag.zeros(0)), "argmax"),
])
def test_value_errors_name_the_op(fn, op):
    with pytest.raises(ValueError) as e:
        fn()
    assert re.search(op, str(e.value)), str(e.value)


def test_setitem_shape_mismatch():
    t = ag.tensor(np.ones((2, 3)))
    with pytest.raises(ValueError) as e:
        t[0] = np.ones(4)
    _names_shapes(str(e.value), (4,), (2, 3))


# ----------------------------------------------------------------------------- values and types
def test_item_on_non_scalar():
    with pytest.raises(ValueError, match=r"item"):
        A.item()
    with pytest.raises(ValueError):
        float(A)
    with pytest.raises(ValueError):
        bool(A)


@pytest.mark.parametrize("fn", [
    lambda: ag.tensor([1, 2], requires_grad=True),
    lambda: ag.tensor([True], requires_grad=True),
    lambda: ag.arange(3).requires_grad_(),
    lambda: ag.zeros(2, dtype=np.int32, requires_grad=True),
    lambda: ag.tensor("abc"),
    lambda: ag.tensor(None),
    lambda: ag.tensor(np.array(["a", "b"])),
    lambda: A + "x",
    lambda: ag.set_default_dtype(np.int32),
    lambda: A.reshape("a", 3),
    lambda: A.sum(axis=1.5),
    lambda: ag.manual_seed("seed"),
    lambda: ~A,
])
def test_type_errors(fn):
    with pytest.raises(TypeError):
        fn()


def test_requires_grad_dtype_error_names_dtype():
    with pytest.raises(TypeError, match="int64"):
        ag.tensor([1, 2], requires_grad=True)


# ----------------------------------------------------------------------------- graph misuse
def test_backward_non_scalar_without_gradient():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"scalar.*\(2,\)|\(2,\).*scalar"):
        (x * 2).backward()


def test_backward_through_freed_graph():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = (x.tanh() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        ag.grad(y, x)


def test_inplace_errors():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        x += 1
    with pytest.raises(RuntimeError, match="in-place"):
        x[0] = 3.0
    y = x.exp()  # saves its output
    with ag.no_grad():
        y.mul_(2)
    with pytest.raises(RuntimeError, match="in-place|modified"):
        y.sum().backward()


def test_grad_unused_and_non_requiring_inputs():
    x, u = ag.tensor(1.0, requires_grad=True), ag.tensor(2.0, requires_grad=True)
    with pytest.raises(RuntimeError, match="allow_unused"):
        ag.grad(x * 2, [x, u])
    with pytest.raises(RuntimeError, match="require"):
        ag.grad(x * 2, [ag.tensor(1.0)])
    with pytest.raises(RuntimeError):
        ag.grad(ag.tensor(1.0) * 2, [x])


def test_gradcheck_report_is_readable():
    def wrong(x):
        return ag.Tensor._wrap(x.data * 0) + x.detach() * x  # true gradient 2x, engine says x

    x = ag.tensor([1.0, 3.0], dtype=np.float64, requires_grad=True)
    with pytest.raises(GradcheckError) as e:
        gradcheck(wrong, (x,))
    msg = str(e.value)
    assert isinstance(e.value, RuntimeError)
    assert "input 0" in msg and "analytic" in msg and "numeric" in msg
    assert "element (0,)" in msg
    assert gradcheck(wrong, (x,), raise_exception=False) is False


def test_inplace_shape_and_dtype_errors_name_the_method():
    t = ag.zeros(3)
    with pytest.raises(ValueError, match=r"add_: .*shape \(3,\).*shape \(5,\)"):
        t.add_(np.ones(5))
    with pytest.raises(TypeError, match=r"add_: .*int64.*float64"):
        ag.zeros(3, dtype=np.int64).add_(0.5)
    assert t._version == 0 and np.all(t.data == 0)


# ----------------------------------------------------------------------------- round 2: factories
@pytest.mark.parametrize("call, exc, words", [
    (lambda: ag.randint(0, 5, (2,), 1), TypeError, "randint"),  # dtype is keyword-only
    (lambda: ag.randint(0, 300, (2,), dtype=np.uint8), ValueError, "randint"),
    (lambda: ag.randint(0, 5, (2,), dtype=np.float32), TypeError, "randint"),
    (lambda: ag.zeros(2, dtype="nope"), TypeError, "zeros"),
    (lambda: ag.ones(2, dtype="nope"), TypeError, "ones"),
    (lambda: ag.full((2,), 1.0, dtype="nope"), TypeError, "full"),
    (lambda: ag.zeros_like(ag.ones(2), dtype="nope"), TypeError, "zeros_like"),
    (lambda: ag.full_like(ag.ones(2), 3, dtype="nope"), TypeError, "full_like"),
    (lambda: ag.rand(2, dtype="nope"), TypeError, "rand"),
])
def test_factory_errors_name_the_factory(call, exc, words):
    with pytest.raises(exc, match=words):
        call()


def test_randint_with_high_and_size_only_starts_at_zero():
    ag.manual_seed(0)
    t = ag.randint(3, (100,))
    assert t.shape == (100,) and t.dtype == np.int64
    assert t.data.min() >= 0 and t.data.max() <= 2


# ----------------------------------------------------------------------------- round 2: op names
@pytest.mark.parametrize("call, exc, start", [
    # the op the user called, not an inner one
    (lambda: F.linear(ag.ones(3, 2), ag.ones(4, 2), ag.ones(3)), ValueError, "linear:"),
    (lambda: ag.std(ag.ones(2, 3), axis=7), ValueError, "std:"),
    (lambda: ag.ones(2, 3).view(7), ValueError, "view:"),
    (lambda: ag.ones(2, 3).expand(4, 4), ValueError, "expand:"),
    (lambda: ag.cat([ag.ones(2, 3), ag.ones(2, 4)]), ValueError, "cat:"),
    # internal errors that leaked before
    (lambda: ag.pad(ag.tensor([1, 2]), 1, constant_values=np.inf), ValueError, "pad:"),
    (lambda: ag.argmax(ag.ones(2, 3), axis=(0, 1)), TypeError, "argmax:"),
    (lambda: ag.softmax(ag.ones(2, 3), axis=(0,)), TypeError, "softmax:"),
    (lambda: ag.ones(3).astype("nope"), TypeError, "astype:"),
    (lambda: ag.tensor([2]) ** ag.tensor([-1]), ValueError, "pow:"),
])
def test_errors_start_with_the_op_the_user_called(call, exc, start):
    with pytest.raises(exc) as ei:
        call()
    assert str(ei.value).startswith(start), str(ei.value)


def test_cross_entropy_of_an_empty_batch_with_probabilities_is_nan_not_zero_division():
    x = ag.tensor(np.zeros((0, 3)), requires_grad=True)
    with np.errstate(all="ignore"):
        loss = F.cross_entropy(x, ag.tensor(np.zeros((0, 3))))
    assert np.isnan(loss.item())
    loss.backward()
    assert x.grad.shape == (0, 3)


def test_multiplying_by_a_python_complex_works_as_numpy():
    t = ag.ones(2) * 1j
    assert t.dtype.kind == "c" and np.allclose(t.data, [1j, 1j])


@pytest.mark.parametrize("call", [
    lambda: ag.ones(2, 3).sum(5),
    lambda: ag.ones(2, 3).mean(-3),
    lambda: ag.ones(2, 3).max(2),
    lambda: ag.ones(2, 3).squeeze(4),
    lambda: ag.ones(2).unsqueeze(4),
    lambda: ag.ones(2, 3).transpose(0, 5),
    lambda: ag.ones(2, 3).flatten(0, 7),
    lambda: ag.cat([ag.ones(2)], 3),
    lambda: ag.stack([ag.ones(2)], 3),
    lambda: ag.softmax(ag.ones(2), axis=3),
    lambda: ag.logsumexp(ag.ones(2), axis=3),
    lambda: ag.argmax(ag.ones(2), axis=3),
    lambda: ag.ones(2, 3).size(2),
])
def test_an_axis_out_of_range_is_both_value_error_and_index_error(call):
    for exc in (ValueError, IndexError, ag.DimensionError):
        with pytest.raises(exc):
            call()


# ----------------------------------------------------------------------------- regressions
# (from the code review: each fails on the code before its fix)
def f64(x, requires_grad=True):
    return ag.tensor(x, dtype=np.float64, requires_grad=requires_grad)


@pytest.mark.parametrize("fn, message", [
    (lambda: ag.clip(ag.ones(2)), "^clip: at least one of min and max must be given$"),
    (lambda: ag.zeros(0, 3).max(), "^max: cannot reduce a zero-size tensor of shape"),
    (lambda: ag.zeros(0, 3).mean(), "^mean: cannot average over an empty axis"),
    (lambda: ag.zeros(0).logsumexp(), "^logsumexp: cannot reduce a zero-size tensor"),
])
def test_op_errors_are_not_mislabelled_or_prefixed_twice(fn, message):
    # a forward's own error was wrapped as "<op>: invalid input shapes (...): <op>: ..."
    with pytest.raises(ValueError, match=message):
        fn()


def test_grad_with_a_non_tensor_says_so():
    x = f64([1.0])
    with pytest.raises(TypeError, match="grad: outputs must be a Tensor"):
        ag.grad(1.0, x)
    with pytest.raises(TypeError, match="grad: inputs must be a Tensor"):
        ag.grad((x * 2).sum(), 3)
    (g,) = ag.grad((x * 2).sum(), iter([x]))  # any iterable of inputs, as PyTorch
    assert g.item() == 2.0
    (g,) = ag.grad(x * 2, x, grad_outputs=np.array([3.0]))  # an array for a single output
    assert g.item() == 6.0
