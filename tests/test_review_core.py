"""Regression tests for the findings of the core code review (one test, or a few, per fix).

Each test names the behaviour that was wrong before its fix; they are written so that they
fail on the old code (checked while fixing)."""
import threading

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite.grad_mode import _state
from autograd_lite.ops import special


@pytest.fixture(autouse=True)
def _grad_mode_restored():
    """A failing grad-mode test must not leave grad mode off for the tests after it."""
    yield
    _state.enabled = True
    _state.anomaly = False


def f64(x, requires_grad=True):
    return ag.tensor(x, dtype=np.float64, requires_grad=requires_grad)


# ----------------------------------------------------------------------------- grad mode
def test_one_no_grad_instance_can_be_nested():
    # the value to restore used to live on the instance: the inner exit overwrote it and
    # grad mode stayed off after the outer block
    ng = ag.no_grad()
    with ng:
        with ng:
            pass
        assert not ag.is_grad_enabled()
    assert ag.is_grad_enabled()


def test_one_no_grad_instance_shared_by_threads():
    ng = ag.no_grad()
    inside, leave, seen = threading.Event(), threading.Event(), {}

    def worker():
        with ag.no_grad():  # this thread is already off when it enters the shared instance
            with ng:
                inside.set()
                leave.wait(5)
            seen["inner"] = ag.is_grad_enabled()
        seen["after"] = ag.is_grad_enabled()

    th = threading.Thread(target=worker)
    th.start()
    assert inside.wait(5)
    with ng:  # main thread enters the same instance while the worker is inside it
        leave.set()
        th.join(5)
        assert not ag.is_grad_enabled()
    assert ag.is_grad_enabled()
    assert seen == {"inner": False, "after": True}


def test_no_grad_and_enable_grad_decorate_without_parentheses():
    @ag.no_grad
    def off():
        return ag.is_grad_enabled()

    @ag.enable_grad
    def on():
        return ag.is_grad_enabled()

    assert off() is False and ag.is_grad_enabled()
    assert off.__name__ == "off"
    with ag.no_grad():
        assert on() is True
        assert not ag.is_grad_enabled()


def test_set_grad_enabled_called_as_a_function():
    # PyTorch: torch.set_grad_enabled(False) switches the mode at once (it used to do nothing)
    try:
        ag.set_grad_enabled(False)
        assert not ag.is_grad_enabled()
        x = f64([1.0])
        assert (x * 2).grad_fn is None
        ag.set_grad_enabled(True)
        assert ag.is_grad_enabled()
    finally:
        ag.set_grad_enabled(True)
    with ag.set_grad_enabled(False):
        assert not ag.is_grad_enabled()
    assert ag.is_grad_enabled()

    @ag.set_grad_enabled(False)
    def f():
        return ag.is_grad_enabled()

    assert ag.is_grad_enabled()  # decorating does not switch the mode
    assert f() is False and ag.is_grad_enabled()


# ----------------------------------------------------------------------------- backward
def test_zero_dim_leaf_grad_is_an_ndarray_after_a_dtype_cast():
    # a float32 0-d leaf whose gradient arrives as float64 got a NumPy scalar as .grad.data
    x = ag.tensor(2.0, requires_grad=True)
    (x * ag.tensor(3.0, dtype=np.float64)).backward()
    assert type(x.grad.data) is np.ndarray
    assert x.grad.dtype == np.float32 and x.grad.shape == ()
    assert x.grad.item() == 3.0


def test_create_graph_leaf_grads_do_not_alias_the_upstream_gradient():
    # Add passes one gradient Tensor to both inputs: x.grad used to *be* y.grad, and a.grad
    # the caller's `gradient` tensor, so an in-place update of one changed the others
    x, y = f64(1.0), f64(2.0)
    (x + y).backward(create_graph=True)
    assert x.grad is not y.grad
    with ag.no_grad():
        x.grad.zero_()
    assert y.grad.item() == 1.0

    a = f64([0.0, 0.0])
    v = f64([1.0, 2.0], requires_grad=False)
    (a + 0).backward(v, create_graph=True)
    assert a.grad is not v
    with ag.no_grad():
        a.grad.mul_(10)
    np.testing.assert_array_equal(v.data, [1.0, 2.0])


def test_create_graph_leaf_grad_stays_differentiable():
    x = f64(3.0)
    (x ** 3).backward(create_graph=True)
    assert x.grad.requires_grad
    (g2,) = ag.grad(x.grad, x)
    assert g2.item() == pytest.approx(18.0)


def test_retained_grad_and_hooks_of_a_non_leaf_use_its_dtype():
    # rules emit the output's dtype: a float32 tensor used with float64 got a float64 .grad
    # and its hooks saw float64
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    t = x * 2
    t.retain_grad()
    seen = []
    t.register_hook(lambda g: seen.append(g.dtype))
    (t * ag.tensor([3.0, 4.0], dtype=np.float64)).sum().backward()
    assert t.grad.dtype == np.float32 and seen == [np.float32]
    np.testing.assert_array_equal(t.grad.data, [3.0, 4.0])
    assert x.grad.dtype == np.float32


def test_retained_grad_under_create_graph_is_its_own_tensor():
    x = f64([1.0, 2.0])
    t = x * 1
    t.retain_grad()
    v = f64([5.0, 6.0], requires_grad=False)
    t.backward(v, create_graph=True)
    assert t.grad is not v
    np.testing.assert_array_equal(t.grad.data, [5.0, 6.0])


def test_double_backward_through_advanced_indexing_in_a_plain_pass():
    # The VJP of the scatter (IndexAdd) returned a Tensor in a plain backward; mixed with
    # ndarrays it crashed ("operand 'Tensor' does not support ufuncs")
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x[np.array([0, 0, 1])]
    (g,) = ag.grad((y * y * y).sum(), x, create_graph=True)  # g = [6 x0^2, 3 x1^2, 0]
    (g * ag.tensor([1.0, 2.0, 3.0], dtype=np.float64)).sum().backward()
    assert type(x.grad.data) is np.ndarray and x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.data, [12.0, 24.0, 0.0])


@pytest.mark.parametrize("index", [np.array([0, 0, 2]), slice(1, None), 1,
                                   (np.array([True, False, True]),)])
def test_gradgradcheck_through_getitem(index):
    assert ag.testing.gradgradcheck(lambda x: x[index] ** 3, f64([0.5, -1.0, 2.0]))


# ----------------------------------------------------------------------------- ops
def test_softplus_of_an_integer_tensor_is_not_truncated():
    out = special.softplus(ag.tensor([1, 2]))
    assert out.dtype.kind == "f"
    np.testing.assert_allclose(out.data, np.logaddexp(0, [1, 2]))
    assert special.softplus(ag.tensor([1.0], dtype=np.float16)).dtype == np.float16


def test_empty_list_index_selects_nothing():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x[[]]
    assert y.shape == (0,)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0])


def test_squeeze_accepts_numpy_integer_axis():
    assert ag.ones(1, 3).squeeze(np.int64(0)).shape == (3,)


@pytest.mark.parametrize("make", [lambda: ag.zeros(2.5), lambda: ag.ones((2, 1.5)),
                                  lambda: ag.full(2.0, 1.0), lambda: ag.rand(3.7),
                                  lambda: ag.ones(6).reshape(2.5, 2),
                                  lambda: ag.ones(2).expand(2.0, 2)])
def test_float_sizes_are_refused_not_truncated(make):
    with pytest.raises(TypeError, match="shape must be ints"):
        make()


def test_sizes_accept_numpy_integers():
    assert ag.full(np.int64(3), 1.0).shape == (3,)
    assert ag.randint(0, 4, np.int64(5)).shape == (5,)
    assert ag.zeros(np.int64(2), 3).shape == (2, 3)
    assert ag.ones(6).reshape(np.int32(2), 3).shape == (2, 3)


# ----------------------------------------------------------------------------- functional
def test_hessian_and_hvp_of_a_function_independent_of_its_input():
    # PyTorch returns zeros; it used to raise "element 0 of tensors does not require grad"
    x = f64([1.0, 2.0], requires_grad=False)
    H = ag.functional.hessian(lambda a: ag.tensor(1.0, dtype=np.float64), x)
    np.testing.assert_array_equal(H.data, np.zeros((2, 2)))
    out, hv = ag.functional.hvp(lambda a: ag.tensor(1.0, dtype=np.float64), x,
                                f64([1.0, 1.0], requires_grad=False))
    np.testing.assert_array_equal(hv.data, [0.0, 0.0])
    Hs = ag.functional.hessian(lambda a, b: (a * 2).sum(), (x, f64(3.0, False)))
    assert [[h.shape for h in row] for row in Hs] == [[(2, 2), (2,)], [(2,), ()]]


def test_vjp_of_a_function_with_several_outputs():
    # PyTorch's vjp takes tuple outputs with one v per output; it used to raise TypeError
    x = f64([1.0, 2.0], requires_grad=False)
    outs, g = ag.functional.vjp(lambda a: (a * 2, (a * a).sum()), x,
                                (f64([1.0, 10.0], False), f64(1.0, False)))
    assert isinstance(outs, tuple) and len(outs) == 2
    assert not outs[0].requires_grad
    np.testing.assert_allclose(g.data, [2.0 + 2.0, 20.0 + 4.0])
    with pytest.raises(ValueError, match="one vector per output"):
        ag.functional.vjp(lambda a: (a * 2, a * 3), x, (f64([1.0, 1.0], False),))
    out, g = ag.functional.vjp(lambda a: a * 2, x, [1.0, 3.0])  # single output unchanged
    np.testing.assert_allclose(g.data, [2.0, 6.0])


def test_sigmoid_of_an_integer_tensor_is_not_truncated():
    # the forward cast back to the input's dtype: sigmoid([1, -2, 3]) gave [0, 0, 0]
    out = ag.sigmoid(ag.tensor([1, -2, 3]))
    assert out.dtype.kind == "f"
    np.testing.assert_allclose(out.data, 1 / (1 + np.exp(-np.array([1.0, -2.0, 3.0]))))
    assert ag.sigmoid(ag.tensor([1.0])).dtype == np.float32


def test_clip_with_bounds_that_broadcast_the_input():
    # the backward mask was updated in place with the bounds' larger shape (ValueError)
    x = f64([1.0, -1.0, 2.0])
    lo = np.array([[0.0, 0.0, 0.0], [1.5, -2.0, 3.0]])
    y = ag.clip(x, min=lo)
    assert y.shape == (2, 3)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 1.0, 1.0])
    assert ag.testing.gradcheck(lambda t: ag.clip(t, min=lo, max=2.5),
                                f64([1.0, -1.0, 1.7]))


def test_root_gradient_is_cast_to_the_output_dtype():
    # a float64 (or int) `gradient` for a float32 output used to make the whole backward
    # pass run in float64 (or int) arithmetic
    from autograd_lite.backward import iter_backward
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).exp()
    steps = list(iter_backward(y, ag.tensor([1.0, 0.5], dtype=np.float64)))
    assert [s.grad_output.dtype for s in steps] == [np.float32, np.float32]
    (gx,) = ag.grad(x * 3, x, grad_outputs=ag.tensor([1, 2]))
    assert gx.dtype == np.float32
    np.testing.assert_array_equal(gx.data, [3.0, 6.0])


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize("make", [lambda: ag.rand(3, dtype=np.int64),
                                  lambda: ag.randn(2, 2, dtype=np.int32)])
def test_random_floats_refuse_an_integer_dtype(make):
    # the samples were silently truncated (rand(3, dtype=int64) gave zeros)
    with pytest.raises(TypeError, match="floating dtype"):
        make()


@pytest.mark.parametrize("make, match", [(lambda: ag.linspace(0, 1, 2.5), "linspace: steps"),
                                         (lambda: ag.eye(2.5), "eye: n"),
                                         (lambda: ag.eye(2, 1.5), "eye: m")])
def test_factory_counts_must_be_ints(make, match):
    with pytest.raises(TypeError, match=match):
        make()


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



# ----------------------------------------------------------------------------- ag.grad pruning
def test_grad_wrt_an_intermediate_leaves_the_graph_below_it_alone():
    # ag.grad ran (and freed) the whole graph below its inputs, and fired hooks there: a
    # gradient penalty on G(z) made the generator's later backward fail ("graph freed")
    w = f64([1.0, 2.0])
    fired = []
    w.register_hook(lambda g: fired.append("w"))
    fake = (w * 3).exp()
    below = fake.grad_fn
    (gx,) = ag.grad((fake * fake).sum(), fake)
    np.testing.assert_allclose(gx.data, 2 * np.exp(3 * w.data))
    assert fired == [] and w.grad is None and not below.freed
    fake.sum().backward()  # the generator's graph is still there
    np.testing.assert_allclose(w.grad.data, 3 * np.exp(3 * w.data))
    assert fired == ["w"]


def test_grad_with_inputs_at_several_depths_and_unrelated_roots():
    x = f64([1.0, -2.0])
    h = x * x
    y = (h * 3).sum()
    other = (f64([4.0]) * 2).sum()  # a root that leads to no input: not run, not freed
    gh, gx = ag.grad([y, other], [h, x])
    np.testing.assert_allclose(gh.data, [3.0, 3.0])
    np.testing.assert_allclose(gx.data, 6 * x.data)
    assert not other.grad_fn.freed
    kept = []
    v = ag.tensor([5.0, 6.0], dtype=np.float64)
    m = v * x  # x's other use: its hook fires once, with d y / d x only
    x.register_hook(lambda g: kept.append(g.data.copy()))
    (gx,) = ag.grad((x * x).sum() + (m * 0).sum(), x)
    assert len(kept) == 1
    np.testing.assert_allclose(kept[0], 2 * x.data)


def test_jacobian_of_a_function_not_returning_tensors_says_so():
    # it failed inside with "'float' object is not iterable"
    with pytest.raises(TypeError, match="jacobian: func must return a Tensor"):
        ag.functional.jacobian(lambda a: 1.0, f64([1.0, 2.0], False))


def test_a_leaf_that_stopped_requiring_grad_gets_no_gradient():
    # PyTorch's AccumulateGrad skips such a leaf (freezing after the forward); it got a .grad
    w = f64([1.0, 2.0])
    b = f64([3.0, 4.0])
    y = (w * b).sum()
    w.requires_grad_(False)
    y.backward()
    assert w.grad is None
    np.testing.assert_array_equal(b.grad.data, [1.0, 2.0])


def test_complex_tensors_cannot_require_grad():
    # the rules do not conjugate: d(z*z) came out as 2z instead of PyTorch's conj(2z)
    with pytest.raises(TypeError, match="only floating tensors"):
        ag.tensor(np.array([1 + 2j]), requires_grad=True)


@pytest.mark.parametrize("fn", [lambda t: t.argmax(0), lambda t: t.argmin(dim=-1),
                                lambda t: ag.argmax(t, 0, keepdims=True)])
def test_argmax_of_a_zero_dim_tensor_along_dim_0(fn):
    # PyTorch gives 0; it raised "'NoneType' object is not subscriptable"
    r = fn(ag.tensor(3.0))
    assert r.dtype == np.int64 and r.shape == () and r.item() == 0
    with pytest.raises(ValueError, match="out of range"):
        ag.tensor(3.0).argmax(1)


@pytest.mark.parametrize("name, value", [("softmax", 1.0), ("log_softmax", 0.0)])
def test_softmax_of_a_zero_dim_tensor(name, value):
    # PyTorch: softmax(tensor(3.), 0) = 1, log_softmax = 0; it raised ValueError
    x = f64(3.0)
    y = getattr(x, name)()
    assert y.shape == () and y.item() == value
    assert getattr(ag, name)(x, dim=0).item() == value
    y.backward()
    assert x.grad.item() == 0.0
    assert ag.testing.gradgradcheck(lambda t: getattr(t, name)() * t, f64(0.5))
    with pytest.raises(ValueError, match="out of range"):
        getattr(x, name)(axis=1)
