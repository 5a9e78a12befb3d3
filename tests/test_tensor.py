"""The Tensor type: construction, dtype policy, attributes, conversions, repr, operators,
comparisons, indexing with scatter-add gradients, in-place rules, factories and seeding."""
import numpy as np
import pytest

import autograd_lite as ag


@pytest.fixture
def float64_default():
    ag.set_default_dtype(np.float64)
    try:
        yield
    finally:
        ag.set_default_dtype(np.float32)


# ----------------------------------------------------------------------------- construction
def test_construct_from_python_scalars():
    f = ag.tensor(1.5)
    assert f.shape == () and f.ndim == 0 and f.size == 1
    assert f.dtype == np.float32
    assert isinstance(f.data, np.ndarray) and f.data.ndim == 0
    assert ag.tensor(3).dtype == np.int64
    assert ag.tensor(True).dtype == np.bool_


def test_construct_from_lists():
    assert ag.tensor([[1.0, 2.0], [3.0, 4.0]]).dtype == np.float32
    assert ag.tensor([1, 2, 3]).dtype == np.int64
    assert ag.tensor([1, 2.5]).dtype == np.float32  # a float in the list makes it float
    assert ag.tensor([True, False]).dtype == np.bool_
    assert ag.tensor([[1, 2], [3, 4]]).shape == (2, 2)


def test_construct_from_arrays_keeps_dtype_and_copies():
    for dt in (np.float64, np.float32, np.int32, np.int64, np.bool_):
        a = np.zeros(3, dtype=dt)
        assert ag.tensor(a).dtype == dt
    a = np.arange(3.0)
    t = ag.tensor(a)
    a[0] = 99.0
    assert t.data[0] == 0.0  # copied
    assert ag.tensor(np.float64(2.0)).dtype == np.float64


def test_construct_from_tensor_copies_and_cuts_graph():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = ag.tensor(y)
    assert z.is_leaf and not z.requires_grad and z.grad_fn is None
    np.testing.assert_array_equal(z.data, y.data)
    z.data[0] = 7.0
    assert y.data[0] == 2.0
    assert ag.Tensor(x).dtype == x.dtype


def test_explicit_dtype():
    assert ag.tensor([1, 2], dtype=np.float64).dtype == np.float64
    assert ag.tensor(1.0, dtype="float64").dtype == np.float64
    assert ag.Tensor([1.0], dtype=np.float16).dtype == np.float16


def test_set_default_dtype(float64_default):
    assert ag.get_default_dtype() == np.float64
    assert ag.tensor(1.0).dtype == np.float64
    assert ag.tensor([1.0, 2]).dtype == np.float64
    assert ag.zeros(2).dtype == np.float64
    assert ag.randn(2).dtype == np.float64
    assert ag.tensor(1).dtype == np.int64  # ints are not affected


def test_default_dtype_restored_and_validated():
    assert ag.get_default_dtype() == np.float32
    with pytest.raises(TypeError):
        ag.set_default_dtype(np.int64)
    assert ag.get_default_dtype() == np.float32


@pytest.mark.parametrize("data", [1, [1, 2], True, np.arange(3), np.array([True])])
def test_int_and_bool_cannot_require_grad(data):
    with pytest.raises(TypeError):
        ag.tensor(data, requires_grad=True)
    t = ag.tensor(data)
    with pytest.raises(TypeError):
        t.requires_grad_()


def test_ragged_list_is_a_type_error():
    with pytest.raises((TypeError, ValueError)):
        ag.tensor([[1.0, 2.0], [3.0]])


# ----------------------------------------------------------------------------- attributes
def test_attributes():
    x = ag.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert x.shape == (2, 3) and x.ndim == 2 and x.size == 6 and x.dtype == np.float64
    assert x.requires_grad and x.is_leaf and x.grad_fn is None and x.grad is None
    assert x.T.shape == (3, 2)
    np.testing.assert_array_equal(x.T.data, x.data.T)
    y = x * 2
    assert not y.is_leaf and y.requires_grad and str(y.grad_fn) == "MulBackward"
    assert y.grad_fn.name == "Mul"
    z = ag.tensor(3.0)
    assert not z.requires_grad and z.is_leaf


def test_detach_and_requires_grad_():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 3).detach()
    assert y.is_leaf and not y.requires_grad and y.grad_fn is None
    d = x.detach()
    assert np.shares_memory(d.data, x.data)
    w = ag.tensor([1.0])
    assert w.requires_grad_() is w and w.requires_grad
    w.requires_grad_(False)
    assert not w.requires_grad
    with pytest.raises(RuntimeError):
        (x * 2).requires_grad_(False)


# ----------------------------------------------------------------------------- conversions
def test_conversions():
    x = ag.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=np.float64)
    assert x.numpy() is x.data
    assert x.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert len(x) == 2
    a = np.asarray(x)
    assert isinstance(a, np.ndarray) and a.shape == (2, 2)
    np.testing.assert_array_equal(np.array(x, dtype=np.float32), x.data.astype(np.float32))
    s = ag.tensor(2.5)
    assert s.item() == 2.5 and isinstance(s.item(), float)
    assert ag.tensor([7]).item() == 7 and isinstance(ag.tensor([7]).item(), int)
    assert float(s) == 2.5
    assert ag.tensor(3.0).tolist() == 3.0
    with pytest.raises(TypeError):
        len(s)


def test_item_on_non_scalar_raises_value_error():
    with pytest.raises(ValueError, match=r"item.*\(2,\)"):
        ag.tensor([1.0, 2.0]).item()


# ----------------------------------------------------------------------------- repr
def test_repr_like_pytorch():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    r = repr(x)
    assert r.startswith("tensor(") and "1." in r and "2." in r
    assert "requires_grad=True" in r
    assert "grad_fn=<MulBackward>" in repr(x * 2)
    assert "grad_fn" not in repr(ag.tensor([1.0]))
    assert "requires_grad" not in repr(ag.tensor([1.0]))
    assert "dtype=float64" in repr(ag.tensor([1.0], dtype=np.float64))
    assert "dtype" not in repr(ag.tensor([1.0]))
    assert repr(ag.tensor(3)) == "tensor(3)"


# ----------------------------------------------------------------------------- operators
def _x():
    return ag.tensor([1.0, 2.0, 4.0], dtype=np.float64, requires_grad=True)


@pytest.mark.parametrize("expr,ref,dfdx", [
    (lambda x: x + 2, lambda a: a + 2, lambda a: np.ones_like(a)),
    (lambda x: 2 + x, lambda a: 2 + a, lambda a: np.ones_like(a)),
    (lambda x: 2 - x, lambda a: 2 - a, lambda a: -np.ones_like(a)),
    (lambda x: x - 2, lambda a: a - 2, lambda a: np.ones_like(a)),
    (lambda x: 3 * x, lambda a: 3 * a, lambda a: 3 * np.ones_like(a)),
    (lambda x: 2 / x, lambda a: 2 / a, lambda a: -2 / a ** 2),
    (lambda x: x / 2, lambda a: a / 2, lambda a: np.full_like(a, 0.5)),
    (lambda x: 2 ** x, lambda a: 2 ** a, lambda a: np.log(2) * 2 ** a),
    (lambda x: x ** 3, lambda a: a ** 3, lambda a: 3 * a ** 2),
    (lambda x: -x, lambda a: -a, lambda a: -np.ones_like(a)),
    (lambda x: abs(-x), lambda a: a, lambda a: np.ones_like(a)),
    (lambda x: np.array([1.0, 2.0, 3.0]) + x, lambda a: a + [1, 2, 3], lambda a: np.ones(3)),
    (lambda x: np.array([1.0, 2.0, 3.0]) - x, lambda a: [1, 2, 3] - a, lambda a: -np.ones(3)),
    (lambda x: np.array([1.0, 2.0, 3.0]) * x, lambda a: a * [1, 2, 3],
     lambda a: np.array([1.0, 2, 3])),
    (lambda x: np.array([1.0, 2.0, 3.0]) / x, lambda a: [1, 2, 3] / a,
     lambda a: -np.array([1.0, 2, 3]) / a ** 2),
    (lambda x: np.array([2.0, 2.0, 2.0]) ** x, lambda a: 2 ** a, lambda a: np.log(2) * 2 ** a),
    (lambda x: np.ones((2, 3)) @ x, lambda a: np.ones((2, 3)) @ a, lambda a: 2 * np.ones(3)),
    (lambda x: x @ np.ones(3), lambda a: a.sum(), lambda a: np.ones(3)),
])
def test_operators_and_reflected_forms(expr, ref, dfdx):
    x = _x()
    y = expr(x)
    assert isinstance(y, ag.Tensor), type(y)
    np.testing.assert_allclose(y.data, ref(x.data))
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, dfdx(x.data))


def test_python_scalars_keep_float32():
    x = ag.tensor([1.0, 2.0])
    for y in (x + 1, 1 + x, x * 2.5, 2.5 * x, x / 3, 3 / x, x ** 2, 2 ** x, x - 1.5):
        assert y.dtype == np.float32


def test_python_number_operands_are_read_only_arrays_that_results_never_share():
    # x * 0.9 keeps 0.9 as one read-only 0-d array per value and dtype (shared by the nodes
    # that use it): results are new writeable arrays; -0.0 keeps its sign; a float64 tensor
    # gets 0.9 in float64 after a float32 one used it; an overflowing number is inf, not kept
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y1, y2 = x * 0.9, 0.9 * x
    c1, c2 = y1.grad_fn.inputs[1].data, y2.grad_fn.inputs[0].data
    assert c1 is c2 and not c1.flags.writeable and c1.dtype == np.float32
    assert y1.data.flags.writeable and not np.shares_memory(y1.data, c1)
    y1.data[0] = 5.0  # a result can be changed without touching the constant
    assert c1 == np.float32(0.9) and (x * 0.9).data[0] == np.float32(0.9)
    assert np.signbit((x * -0.0).data).all() and not np.signbit((x * 0.0).data).any()
    d = ag.tensor([1.0], dtype=np.float64) * 0.9
    assert d.dtype == np.float64 and d.item() == 0.9
    with np.errstate(over="ignore"):
        assert np.isinf((x + 1e39).data).all() and (x + 1e39).grad_fn.inputs[1].data.flags.writeable
    (x * 0.9).sum().backward()
    np.testing.assert_allclose(x.grad.data, 0.9)


def test_broadcasting_operator_gradients():
    a = ag.tensor(np.ones((2, 1)), requires_grad=True)
    b = ag.tensor(np.arange(3.0), requires_grad=True)
    (a * b).sum().backward()
    np.testing.assert_allclose(a.grad.data, [[3.0], [3.0]])
    np.testing.assert_allclose(b.grad.data, [2.0, 2.0, 2.0])
    assert a.grad.shape == a.shape and b.grad.shape == b.shape


def test_comparisons_return_bool_tensors():
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    cases = {
        "<": (x < 2, [True, False, False]), "<=": (x <= 2, [True, True, False]),
        ">": (x > 2, [False, False, True]), ">=": (x >= 2, [False, True, True]),
        "==": (x == 2, [False, True, False]), "!=": (x != 2, [True, False, True]),
        "t<t": (x < ag.tensor([2.0, 2.0, 2.0]), [True, False, False]),
        "arr<t": (np.array([2.0, 2.0, 2.0]) < x, [False, False, True]),
        "num>t": (2 > x, [True, False, False]),
    }
    for name, (out, want) in cases.items():
        assert isinstance(out, ag.Tensor), name
        assert out.dtype == np.bool_, name
        assert not out.requires_grad and out.grad_fn is None, name
        np.testing.assert_array_equal(out.data, want, err_msg=name)


def test_masks_from_comparisons_combine():
    x = ag.tensor([1.0, 2.0, 3.0])
    m = (x > 1) & (x < 3)
    np.testing.assert_array_equal(m.data, [False, True, False])
    np.testing.assert_array_equal((~m).data, [True, False, True])
    np.testing.assert_array_equal(((x < 2) | (x > 2)).data, [True, False, True])


# ----------------------------------------------------------------------------- indexing
def _idx_grad(index, shape=(4, 3)):
    x = ag.tensor(np.arange(np.prod(shape), dtype=np.float64).reshape(shape),
                  requires_grad=True)
    y = x[index]
    np.testing.assert_array_equal(y.data, x.data[ag.ops.normalize_index(index)])
    w = np.arange(1, y.size + 1, dtype=np.float64).reshape(y.shape)
    (y * w).sum().backward()
    expected = np.zeros(shape)
    np.add.at(expected, ag.ops.normalize_index(index), w)
    np.testing.assert_array_equal(x.grad.data, expected)
    return x


@pytest.mark.parametrize("index", [
    0, -1, slice(1, 3), (slice(None), 2), (1, 2), (Ellipsis, 1), (None, 1),
    (slice(None, None, -1),),
    (slice(0, 4, 2), slice(1, None)),
])
def test_basic_indexing(index):
    _idx_grad(index)


@pytest.mark.parametrize("index", [
    np.array([0, 2]), [3, 1], (np.array([0, 1]), np.array([2, 0])),
    (slice(None), np.array([0, 0, 2])), np.array([[0, 1], [2, 3]]),
    ag.tensor([1, 3]), (ag.tensor([0, 0]), 1),
])
def test_advanced_indexing(index):
    _idx_grad(index)


def test_repeated_indices_add_gradients():
    x = ag.tensor([1.0, 2.0, 3.0], dtype=np.float64, requires_grad=True)
    x[np.array([0, 0, 2, 0])].sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 0.0, 1.0])


@pytest.mark.parametrize("mask", [
    np.array([True, False, True, False]),
    ag.tensor([False, True, True, False]),
    np.arange(12).reshape(4, 3) % 2 == 0,
])
def test_bool_mask_indexing(mask):
    _idx_grad(mask)


def test_mask_from_comparison_selects():
    x = ag.tensor([-1.0, 2.0, -3.0, 4.0], dtype=np.float64, requires_grad=True)
    y = x[x > 0]
    np.testing.assert_array_equal(y.data, [2.0, 4.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 1.0, 0.0, 1.0])


def test_indexing_second_order():
    x = ag.tensor([1.0, 2.0, 3.0], dtype=np.float64, requires_grad=True)
    y = (x[np.array([0, 0, 1])] ** 3).sum()
    (g,) = ag.grad(y, x, create_graph=True)
    np.testing.assert_allclose(g.data, [6.0, 12.0, 0.0])
    g.sum().backward()
    np.testing.assert_allclose(x.grad.data, [12.0, 12.0, 0.0])


def test_iteration_yields_rows():
    x = ag.tensor([[1.0, 2.0], [3.0, 4.0]])
    rows = list(x)
    assert len(rows) == 2 and rows[1].tolist() == [3.0, 4.0]


# ----------------------------------------------------------------------------- in-place
INPLACE = [
    ("+=", lambda t: t.__iadd__(1.0)), ("-=", lambda t: t.__isub__(1.0)),
    ("*=", lambda t: t.__imul__(2.0)), ("/=", lambda t: t.__itruediv__(2.0)),
    ("copy_", lambda t: t.copy_(ag.tensor([5.0, 6.0]))), ("fill_", lambda t: t.fill_(3.0)),
    ("zero_", lambda t: t.zero_()), ("add_", lambda t: t.add_(ag.tensor([1.0, 1.0]), alpha=2)),
    ("sub_", lambda t: t.sub_(1.0)), ("mul_", lambda t: t.mul_(3.0)),
    ("div_", lambda t: t.div_(4.0)), ("clamp_", lambda t: t.clamp_(min=1.5)),
    ("setitem", lambda t: t.__setitem__(0, 9.0)),
]


@pytest.mark.parametrize("name,op", INPLACE, ids=[n for n, _ in INPLACE])
def test_inplace_on_requires_grad_raises_outside_no_grad(name, op):
    t = ag.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place"):
        op(t)
    np.testing.assert_array_equal(t.data, [1.0, 2.0])
    assert t._version == 0


@pytest.mark.parametrize("name,op", INPLACE, ids=[n for n, _ in INPLACE])
def test_inplace_inside_no_grad_updates_same_object(name, op):
    t = ag.tensor([1.0, 2.0], requires_grad=True)
    data = t.data
    before = t.data.copy()
    with ag.no_grad():
        r = op(t)
    assert r is None or r is t
    assert t.data is data  # same array, updated in place
    assert not np.array_equal(t.data, before)
    assert t._version == 1
    assert t.requires_grad and t.is_leaf


def test_augmented_assignment_keeps_identity_under_no_grad():
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    ident = id(w)
    with ag.no_grad():
        w -= 0.5 * ag.tensor([2.0, 2.0])
        w *= 2
    assert id(w) == ident
    np.testing.assert_allclose(w.data, [0.0, 2.0])
    assert w._version == 2


def test_inplace_on_plain_tensor_allowed():
    t = ag.tensor([1.0, 2.0])
    t += 1
    t[1] = 0.0
    np.testing.assert_array_equal(t.data, [2.0, 0.0])
    assert t._version == 2


def test_inplace_change_of_saved_tensor_detected_at_backward():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    c = ag.tensor([3.0, 4.0])
    y = (x * c).sum()
    c += 1  # c was saved for Mul's gradient w.r.t. x
    with pytest.raises(RuntimeError, match="in-place"):
        y.backward()


# ----------------------------------------------------------------------------- factories
def test_factories_shapes_dtypes_requires_grad():
    assert ag.zeros(2, 3).shape == ag.zeros((2, 3)).shape == (2, 3)
    assert ag.ones([4]).shape == (4,)
    assert ag.zeros(2).dtype == np.float32
    assert ag.ones(2, dtype=np.float64).dtype == np.float64
    assert ag.zeros(()).shape == ()
    f = ag.full((2, 2), 7.0)
    np.testing.assert_array_equal(f.data, 7.0)
    x = ag.tensor([[1, 2]], dtype=np.float64)
    assert ag.zeros_like(x).shape == (1, 2) and ag.zeros_like(x).dtype == np.float64
    np.testing.assert_array_equal(ag.ones_like(x).data, [[1.0, 1.0]])
    np.testing.assert_array_equal(ag.eye(3).data, np.eye(3))
    assert ag.eye(2, 3).shape == (2, 3)
    np.testing.assert_array_equal(ag.arange(5).data, np.arange(5))
    assert ag.arange(5).dtype == np.int64
    assert ag.arange(0.0, 1.0, 0.25).dtype == np.float32
    np.testing.assert_allclose(ag.arange(1, 2, 0.5).data, [1.0, 1.5])
    np.testing.assert_allclose(ag.linspace(0, 1, 5).data, np.linspace(0, 1, 5))
    assert ag.linspace(0, 1, 5).dtype == np.float32
    for make in (lambda **k: ag.zeros(2, **k), lambda **k: ag.ones(2, **k),
                 lambda **k: ag.full((2,), 1.0, **k), lambda **k: ag.eye(2, **k),
                 lambda **k: ag.arange(0.0, 2.0, **k), lambda **k: ag.linspace(0, 1, 3, **k),
                 lambda **k: ag.rand(2, **k), lambda **k: ag.randn(2, **k),
                 lambda **k: ag.zeros_like(x, **k), lambda **k: ag.ones_like(x, **k)):
        t = make(requires_grad=True)
        assert t.requires_grad and t.is_leaf
        assert make(dtype=np.float64).dtype == np.float64


def test_random_factories_ranges():
    r = ag.rand(1000)
    assert r.data.min() >= 0.0 and r.data.max() < 1.0
    n = ag.randn(4000, dtype=np.float64)
    assert abs(n.data.mean()) < 0.1 and abs(n.data.std() - 1) < 0.1
    i = ag.randint(0, 3, (50,))
    assert i.dtype == np.int64 and set(np.unique(i.data)) <= {0, 1, 2}


def test_manual_seed_reproducible():
    ag.manual_seed(123)
    a = (ag.rand(3).data.copy(), ag.randn(2, 2).data.copy(), ag.randint(0, 10, 4).data.copy())
    ag.manual_seed(123)
    b = (ag.rand(3).data, ag.randn(2, 2).data, ag.randint(0, 10, 4).data)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    ag.manual_seed(124)
    assert not np.array_equal(ag.rand(3).data, a[0])


def test_factory_errors():
    with pytest.raises(ValueError):
        ag.zeros(-1, 2)
    with pytest.raises(ValueError):
        ag.arange(0, 5, 0)
    with pytest.raises(TypeError):
        ag.zeros(2, dtype=np.int64, requires_grad=True)


def test_numpy_scalars_and_builtin_sum():
    t = ag.tensor([1.0, 2.0], requires_grad=True)
    for y in (np.float64(2.0) * t, np.float32(2.0) * t, t * np.float32(3.0), np.array(2.0) - t):
        assert isinstance(y, ag.Tensor) and y.requires_grad
    assert (np.float32(2.0) * t).dtype == np.float32
    s = sum([t, t, t])  # starts from the int 0
    s.sum().backward()
    np.testing.assert_array_equal(t.grad.data, [3.0, 3.0])


# ----------------------------------------------------------------------------- aliases
def test_inplace_through_detached_alias_is_detected():
    # detach() shares memory: a change through the alias is seen (as PyTorch's shared counter)
    x = ag.tensor([1.0, 2.0], dtype=np.float64, requires_grad=True)
    y = x.exp()  # saves its output for the gradient
    d = y.detach()
    d.mul_(2)
    with pytest.raises(RuntimeError):
        y.sum().backward()


def test_inplace_on_base_of_saved_view_is_detected():
    # a view (basic indexing) shares its base's memory: changing the base is seen
    c = ag.tensor([1.0, 2.0], dtype=np.float64)
    x = ag.tensor([1.0, 1.0], dtype=np.float64, requires_grad=True)
    y = (x * c[:]).sum()
    c += 10
    with pytest.raises(RuntimeError):
        y.backward()


@pytest.mark.parametrize("op", [
    lambda buf, x: buf.__setitem__(0, x[0]), lambda buf, x: buf.copy_(x),
    lambda buf, x: buf.add_(x), lambda buf, x: buf.__iadd__(x), lambda buf, x: buf.mul_(x),
    lambda buf, x: buf.sub_(x), lambda buf, x: buf.div_(x),
])
def test_inplace_with_a_value_that_requires_grad_raises(op):
    # In-place ops record no graph: writing a value that requires grad into a plain tensor
    # would silently cut its gradient path, so it is refused outside no_grad().
    buf, x = ag.zeros(3), ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="requires grad"):
        op(buf, x)
    with ag.no_grad():
        op(buf, x)
    op(buf, x.detach())


def test_inplace_through_reshaped_view_of_saved_input_is_detected():
    w = ag.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=np.float64)
    x = ag.tensor([[1.0, 1.0], [1.0, 1.0]], dtype=np.float64, requires_grad=True)
    y = (x * w).sum()
    flat = w.reshape(4)  # shares w's memory
    flat[0] = 100.0
    with pytest.raises(RuntimeError, match="MulBackward.*in-place"):
        y.backward()


def test_unrelated_inplace_change_does_not_trip_the_check():
    w = ag.tensor([1.0, 2.0], dtype=np.float64)
    other = ag.tensor([5.0, 6.0], dtype=np.float64)
    x = ag.tensor([1.0, 1.0], dtype=np.float64, requires_grad=True)
    y = (x * w).sum()
    other += 1  # a different buffer
    y.backward()
    np.testing.assert_allclose(x.grad.data, [1.0, 2.0])


# ----------------------------------------------------------------------------- regressions
# (from the code review: each fails on the code before its fix)
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


def test_complex_tensors_cannot_require_grad():
    # the rules do not conjugate: d(z*z) came out as 2z instead of PyTorch's conj(2z)
    with pytest.raises(TypeError, match="only floating tensors"):
        ag.tensor(np.array([1 + 2j]), requires_grad=True)
