"""Where PyTorch and NumPy would silently give different numbers, autograd_lite follows PyTorch
(issue 18 item 2, issue 11 item 5): var/std defaults and arguments, max/min over a dim
(values, indices), amax/amin, type promotion (torch.result_type) and ``t.size``.
Each behaviour is checked against torch itself where torch is installed."""
from __future__ import annotations

import copy
import pickle
import warnings

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite.testing import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(18)
A = RNG.standard_normal((3, 4))


def _t(a: np.ndarray, requires_grad: bool = False):
    return torch.tensor(a, requires_grad=requires_grad)


def _np(t) -> np.ndarray:
    return t.detach().numpy() if isinstance(t, torch.Tensor) else t.data


# ============================================================================ a. var / std
@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("args,kw", [
    ((), {}), ((0,), {}), ((1,), {}), ((-1,), {"keepdim": True}), (((0, 1),), {}),
    ((0, True), {}), ((1, False), {}), ((1, False, True), {}), ((0, True, True), {}),
    ((), {"correction": 0}), ((1,), {"correction": 2}), ((0,), {"unbiased": False}),
    ((None,), {"correction": 1, "keepdim": True}), ((), {"dim": 1, "correction": 0.5}),
])
def test_var_std_match_torch_defaults_and_positional_order(name, args, kw):
    x = ag.tensor(A, requires_grad=True)
    tx = _t(A, True)
    out = getattr(x, name)(*args, **kw)
    ref = getattr(tx, name)(*args, **kw)
    np.testing.assert_allclose(out.data, _np(ref), rtol=1e-12)
    assert out.shape == tuple(ref.shape)
    # the function form takes the same arguments
    np.testing.assert_allclose(getattr(ag, name)(x, *args, **kw).data, out.data, rtol=0)
    g = RNG.standard_normal(out.shape)
    out.backward(ag.tensor(g))
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_var_default_is_unbiased_not_numpy():
    a = np.array([1.0, 2.0, 4.0])
    assert ag.tensor(a).var().item() == pytest.approx(a.var(ddof=1))
    assert ag.tensor(a).std().item() == pytest.approx(a.std(ddof=1))
    assert ag.var(ag.tensor(a)).item() != pytest.approx(a.var())


@pytest.mark.parametrize("name", ["var", "std"])
def test_var_std_spellings_agree(name):
    x = ag.tensor(A)
    f = getattr(ag, name)
    ref = getattr(np, name)(A, axis=1, keepdims=True, ddof=0)
    for out in (f(x, 1, False, True), f(x, dim=1, keepdim=True, correction=0),
                f(x, axis=1, keepdims=True, ddof=0), f(x, 1, unbiased=False, keepdims=True),
                getattr(x, name)(axis=1, keepdims=True, ddof=0),
                getattr(x, name)(1, keepdim=True, correction=0)):
        np.testing.assert_allclose(out.data, ref, rtol=1e-12)
    # PyTorch's var(unbiased) overload: a bool first argument is `unbiased`, not dim 0/1
    np.testing.assert_allclose(f(x, False).data, getattr(np, name)(A), rtol=1e-12)
    np.testing.assert_allclose(getattr(x, name)(True).data, getattr(np, name)(A, ddof=1),
                               rtol=1e-12)
    assert getattr(_t(A), name)(False).item() == pytest.approx(f(x, False).item())


@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("call", [
    lambda f, x: f(x, 0, True, correction=1),
    lambda f, x: f(x, 0, unbiased=False, ddof=1),
    lambda f, x: f(x, correction=0, ddof=0),
    lambda f, x: f(x, 0, axis=0),
    lambda f, x: f(x, keepdim=True, keepdims=True),
    lambda f, x: f(x, 0, 1),  # an int where `unbiased` goes: was keepdims, now ambiguous
    lambda f, x: f(x, True, unbiased=True),
    lambda f, x: f(x, correction="1"),
])
def test_var_std_conflicting_arguments_raise_type_error(name, call):
    with pytest.raises(TypeError, match=name):
        call(getattr(ag, name), ag.tensor(A))


@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("data,kw", [
    ([1.0], {}), ([1.0, 2.0], {"correction": 2}), ([1.0, 2.0], {"correction": 3}),
    ([1.0, 1.0], {"correction": 2}), (3.0, {}), ([[1.0, 2.0], [3.0, 5.0]], {"dim": 1,
                                                                           "correction": 2}),
])
def test_no_degrees_of_freedom_gives_what_torch_gives(name, data, kw):
    a = np.asarray(data, dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = getattr(_t(a), name)(**kw)
    with pytest.warns(RuntimeWarning, match="degrees of freedom"):
        out = getattr(ag.tensor(a), name)(**kw)
    np.testing.assert_array_equal(out.data, ref.numpy())  # NaN where NaN, inf where inf


@pytest.mark.parametrize("name", ["var", "std"])
def test_single_element_gradient_is_nan_as_torch(name):
    x = ag.tensor([2.0], dtype=np.float64, requires_grad=True)
    tx = _t(np.array([2.0]), True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        getattr(x, name)().backward()
        getattr(tx, name)().backward()
    np.testing.assert_array_equal(x.grad.data, tx.grad.numpy())


def test_empty_variance_is_nan_as_torch():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert np.isnan(ag.zeros(0).var().item()) and np.isnan(torch.zeros(0).var().item())
        np.testing.assert_array_equal(ag.zeros(0, 3).var(0).data, torch.zeros(0, 3).var(0))


@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("kw", [{}, {"dim": 0}, {"correction": 0}])
def test_complex_variance_is_real(name, kw):
    a = np.array([[1 + 1j, 2 - 1j, 0j], [3j, -1 + 0.5j, 2 + 2j]], dtype=np.complex64)
    out = getattr(ag.tensor(a), name)(**kw)
    ref = getattr(torch.tensor(a), name)(**kw)
    assert out.dtype == np.float32 and ref.dtype == torch.float32
    np.testing.assert_allclose(out.data, ref.numpy(), rtol=1e-6)
    d = a - a.mean(**({"axis": kw["dim"], "keepdims": True} if "dim" in kw else {}))
    assert np.all(out.data >= 0) and np.abs(d).max() > 0


@pytest.mark.parametrize("name", ["var", "std"])
def test_float32_variance_of_huge_values_does_not_overflow(name):
    """torch accumulates float32 variances in double: the squares of |x| ~ 1e19 do not
    overflow to inf (a float64 pass is taken only when the float32 one overflows)."""
    a = np.array([-9.2e18, 9.2e18, 1.0, 9.2e18, -1.0, 0.0, 3e30], np.float32)
    for x in (a[:6], a[[0, 1, 6]]):
        out = getattr(ag.tensor(x), name)()
        ref = getattr(torch.tensor(x), name)()
        assert out.dtype == np.float32
        np.testing.assert_allclose(out.data, ref.numpy(), rtol=1e-5)


def test_var_of_integers_computes_in_the_default_dtype():
    out = ag.tensor([1, 2, 4]).var()
    assert out.dtype == ag.get_default_dtype()
    assert out.item() == pytest.approx(np.var([1, 2, 4], ddof=1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("value,n", [(0.1, 3), (0.1, 10), (-3.7, 7), (1e6 + 0.3, 5), (0.0, 4),
                                     (2.0, 6)])
def test_std_of_a_constant_has_gradient_zero_as_torch(dtype, value, n):
    x = ag.full((n,), value, dtype=dtype, requires_grad=True)
    s = x.std()
    assert s.item() == 0.0  # exactly: the data are shifted by their first element first
    s.backward()
    np.testing.assert_array_equal(x.grad.data, np.zeros(n))
    # torch defines the same subgradient (0 where std == 0); its mean's round-off leaves some
    # constants at std ~1e-17 with an O(1) gradient, so compare where torch gets std == 0
    tx = torch.full((n,), value, dtype=getattr(torch, np.dtype(dtype).name), requires_grad=True)
    ts = tx.std()
    if ts.item() == 0.0:
        ts.backward()
        np.testing.assert_array_equal(x.grad.data, tx.grad.numpy())


def test_std_gradient_zero_only_on_the_constant_rows():
    a = np.array([[0.1, 0.1, 0.1, 0.1], [1.0, 2.0, 4.0, 8.0], [5.0, 5.0, 5.0, 5.0]])
    x = ag.tensor(a, requires_grad=True)
    tx = _t(a, True)
    x.std(1).sum().backward()
    tx.std(1).sum().backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-12, atol=1e-15)
    assert np.all(x.grad.data[[0, 2]] == 0) and np.all(x.grad.data[1] != 0)


@pytest.mark.parametrize("kw", [{}, {"dim": 1}, {"dim": 0, "keepdim": True},
                                {"dim": (0, 1), "correction": 0}])
@pytest.mark.parametrize("name", ["var", "std"])
def test_var_std_gradgradcheck_and_torch_double_backward(name, kw):
    x = ag.tensor(A, requires_grad=True)
    assert gradcheck(lambda t: getattr(t, name)(**kw), (x,))
    assert gradgradcheck(lambda t: getattr(t, name)(**kw), (x,))
    # a Hessian-vector product through double backward, against torch's
    v = RNG.standard_normal(A.shape)
    tx = _t(A, True)
    (g,) = ag.grad(getattr(x, name)(**kw).sum(), x, create_graph=True)
    (g * ag.tensor(v)).sum().backward()
    (tg,) = torch.autograd.grad(getattr(tx, name)(**kw).sum(), tx, create_graph=True)
    (tg * torch.tensor(v)).sum().backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_std_double_backward_next_to_a_constant_row():
    """Away from the constant point the second derivative is right; at it, it is finite."""
    a = np.array([[2.0, 2.0, 2.0], [1.0, 3.0, 6.0]])
    x = ag.tensor(a, requires_grad=True)
    tx = _t(a, True)
    (g,) = ag.grad(x.std(1).sum(), x, create_graph=True)
    (g * g).sum().backward()
    (tg,) = torch.autograd.grad(tx.std(1).sum(), tx, create_graph=True)
    (tg * tg).sum().backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-9, atol=1e-12)
    assert np.all(np.isfinite(x.grad.data))


def test_norm_layers_keep_the_biased_variance():
    nn = pytest.importorskip("autograd_lite.nn")
    x = RNG.standard_normal((8, 3)).astype(np.float32)
    bn, tbn = nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3)
    np.testing.assert_allclose(bn(ag.tensor(x)).data, tbn(torch.tensor(x)).detach().numpy(),
                               rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(bn.running_var.data, tbn.running_var.numpy(), rtol=1e-5)
    ln, tln = nn.LayerNorm(3), torch.nn.LayerNorm(3)
    np.testing.assert_allclose(ln(ag.tensor(x)).data, tln(torch.tensor(x)).detach().numpy(),
                               rtol=1e-4, atol=1e-5)


# ============================================================================ b. max / min
@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_min_over_a_dim_return_values_and_indices(name, dim, keepdim):
    a = np.array([[1.0, 3.0, 3.0], [4.0, 0.0, 4.0], [-1.0, -1.0, 2.0]])
    x = ag.tensor(a, requires_grad=True)
    tx = _t(a, True)
    r = getattr(x, name)(dim, keepdim)
    tr = getattr(tx, name)(dim, keepdim)
    assert isinstance(r, tuple) and r._fields == ("values", "indices")
    assert type(r).__name__ == name
    values, indices = r  # unpacks like torch.return_types.max
    assert values is r.values and indices is r.indices and r[0] is values
    assert indices.dtype == np.int64 and not indices.requires_grad
    assert values.shape == tuple(tr.values.shape) and indices.shape == tuple(tr.indices.shape)
    np.testing.assert_array_equal(values.data, tr.values.detach().numpy())
    np.testing.assert_array_equal(indices.data, tr.indices.numpy())
    # ties: the whole gradient goes to the returned index, as torch's max(dim)
    g = RNG.standard_normal(values.shape)
    values.backward(ag.tensor(g))
    tr.values.backward(torch.tensor(g))
    np.testing.assert_array_equal(x.grad.data, tx.grad.numpy())
    # the keyword spellings give the same
    r2 = getattr(ag, name)(x, dim=dim, keepdim=keepdim)
    r3 = getattr(x, name)(axis=dim, keepdims=keepdim)
    for other in (r2, r3):
        np.testing.assert_array_equal(other.values.data, values.data)
        np.testing.assert_array_equal(other.indices.data, indices.data)


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_without_dim_split_ties_evenly_as_torch(name):
    a = np.array([[1.0, 3.0, 3.0], [3.0, 0.0, -1.0]])
    a = a if name == "max" else -a
    x = ag.tensor(a, requires_grad=True)
    tx = _t(a, True)
    out = getattr(x, name)()
    assert isinstance(out, ag.Tensor) and out.shape == ()
    out.backward()
    getattr(tx, name)().backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy())


@pytest.mark.parametrize("name", ["amax", "amin"])
@pytest.mark.parametrize("dim,keepdim", [(None, False), (0, False), (1, True), ((0, 1), False),
                                         ((-1,), True)])
def test_amax_amin_values_only_ties_split_as_torch(name, dim, keepdim):
    a = np.array([[1.0, 3.0, 3.0], [4.0, 0.0, 4.0]])
    a = a if name == "amax" else -a
    x = ag.tensor(a, requires_grad=True)
    tx = _t(a, True)
    kw = {} if dim is None else {"dim": dim}
    out = getattr(ag, name)(x, keepdim=keepdim, **kw)
    ref = getattr(torch, name)(tx, keepdim=keepdim, **kw)
    assert isinstance(out, ag.Tensor) and str(out.grad_fn) == name.capitalize() + "Backward"
    np.testing.assert_array_equal(out.data, ref.detach().numpy())
    np.testing.assert_array_equal(getattr(x, name)(dim, keepdim).data, out.data)
    out.sum().backward()
    ref.sum().backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy())
    assert name in ag.__all__


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_over_a_tuple_of_dims_give_values_only(name):
    x = ag.tensor(A)
    out = getattr(x, name)((0, 1))
    assert isinstance(out, ag.Tensor)
    np.testing.assert_array_equal(out.data, getattr(np, name)(A, axis=(0, 1)))
    np.testing.assert_array_equal(getattr(x, name)(axis=(1,), keepdims=True).data,
                                  getattr(np, name)(A, axis=1, keepdims=True))


def test_max_of_a_0d_tensor_along_dim_0():
    x = ag.tensor(3.0, requires_grad=True)
    r = x.max(0)
    tr = torch.tensor(3.0).max(0)
    assert r.values.shape == () and r.indices.item() == tr.indices.item() == 0
    r.values.backward()
    assert x.grad.item() == 1.0


def test_max_with_a_tensor_argument_is_the_elementwise_maximum():
    x, y = ag.tensor(A), ag.tensor(-A)
    np.testing.assert_array_equal(ag.max(x, y).data, torch.max(_t(A), _t(-A)).numpy())
    np.testing.assert_array_equal(x.min(y).data, np.minimum(A, -A))


def test_max_dim_nan_and_empty_as_torch():
    a = np.array([1.0, np.nan, 2.0])
    r, tr = ag.tensor(a).max(0), _t(a).max(0)
    assert np.isnan(r.values.item()) and r.indices.item() == tr.indices.item() == 1
    r = ag.zeros(2, 0).max(0)  # reducing a non-empty dim of an empty tensor: empty results
    tr = torch.zeros(2, 0).max(0)
    assert r.values.shape == tuple(tr.values.shape) == (0,) and r.indices.dtype == np.int64
    with pytest.raises(ValueError, match="max"):
        ag.zeros(0, 3).max(0)
    with pytest.raises(ValueError, match="amax"):
        ag.amax(ag.zeros(0, 3), 0)
    assert ag.amax(ag.zeros(2, 0), 0).shape == tuple(torch.amax(torch.zeros(2, 0), 0).shape)


@pytest.mark.parametrize("fn", [lambda t: t.max(1).values, lambda t: t.min(0, True).values,
                                lambda t: t.max(-1).values ** 2, lambda t: ag.amax(t, 1),
                                lambda t: t.amin((0, 1))])
def test_max_min_dim_differentiable_twice(fn):
    x = ag.tensor(A, requires_grad=True)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


def test_max_dim_values_only_read_the_indices():
    """The gradient needs only the indices (as PyTorch saves): x may change in place after."""
    x = ag.tensor(A.copy(), requires_grad=True)
    y = x * 1.0
    v = y.max(1).values
    with ag.no_grad():
        y += 1.0
    v.sum().backward()
    np.testing.assert_array_equal(x.grad.data.sum(1), np.ones(3))


# ============================================================================ c. type promotion
def _build(spec: str, lib: str):
    """An operand from a short spec, as an autograd_lite or a torch value."""
    arrays = {"f32": np.array([1.5, -2.0, 3.0], np.float32),
              "f64": np.array([1.5, -2.0, 3.0], np.float64),
              "f16": np.array([1.5, -2.0, 3.0], np.float16),
              "i64": np.array([1, -2, 3], np.int64), "i32": np.array([1, -2, 3], np.int32),
              "i8": np.array([1, -2, 3], np.int8), "u8": np.array([1, 2, 3], np.uint8),
              "b": np.array([True, False, True]),
              "0f64": np.array(2.5, np.float64), "0f32": np.array(2.5, np.float32),
              "0i64": np.array(3, np.int64), "0i32": np.array(3, np.int32),
              "0c128": np.array(1 + 2j, np.complex128), "0b": np.array(True)}
    scalars = {"2.5": 2.5, "3": 3, "True": True, "1j": 1j, "np.f64": np.float64(2.5),
               "np.f32": np.float32(2.5), "np.i64": np.int64(3), "np.i32": np.int32(3)}
    if spec in scalars:
        return scalars[spec]
    a = arrays[spec]
    return ag.tensor(a) if lib == "ag" else torch.from_numpy(a.copy())


TENSORS = ["f32", "f64", "f16", "i64", "i32", "i8", "u8", "b", "0f64", "0f32", "0i64", "0i32",
           "0b"]
OTHERS = TENSORS + ["0c128", "2.5", "3", "True", "1j", "np.f64", "np.f32", "np.i64", "np.i32"]
PAIRS = [(a, b) for a in TENSORS for b in OTHERS]


def _dtype_name(d) -> str:
    return str(d).replace("torch.", "")


@pytest.mark.parametrize("lhs,rhs", PAIRS, ids=[f"{a}*{b}" for a, b in PAIRS])
def test_binary_result_dtype_is_torch_result_type(lhs, rhs):
    a, b = _build(lhs, "ag"), _build(rhs, "ag")
    ta, tb = _build(lhs, "torch"), _build(rhs, "torch")
    if "f16" in (lhs, rhs) and {"0c128", "1j"} & {lhs, rhs}:
        pytest.skip("NumPy has no complex32 (PyTorch's ComplexHalf): complex64 here")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for op in ("__mul__", "__add__", "__sub__"):
            if op == "__sub__" and (_is_bool(lhs) or _is_bool(rhs)):
                continue  # torch refuses to subtract bools
            out = getattr(a, op)(b)
            ref = getattr(ta, op)(tb)
            assert _dtype_name(out.dtype) == _dtype_name(ref.dtype), (lhs, op, rhs)
            np.testing.assert_allclose(out.data, ref.numpy(), rtol=1e-3)
            # and the reflected form
            out = getattr(b, op)(a) if isinstance(b, ag.Tensor) else \
                getattr(a, op.replace("__", "__r", 1))(b)
            ref = getattr(tb, op)(ta) if isinstance(tb, torch.Tensor) else \
                getattr(ta, op.replace("__", "__r", 1))(tb)
            assert _dtype_name(out.dtype) == _dtype_name(ref.dtype), (rhs, op, lhs)


def _is_bool(spec: str) -> bool:
    return spec in ("b", "0b", "True")


@pytest.mark.parametrize("case", [
    lambda m: m["f32"] ** m["i64"], lambda m: m["i32"] ** 2.0, lambda m: m["i32"] ** 2,
    lambda m: 2.0 ** m["i64"], lambda m: m["i64"] / m["i64"], lambda m: m["i32"] / 2,
    lambda m: 1 / m["i64"], lambda m: m["b"] / m["b"], lambda m: m["f32"] * 1j,
    lambda m: 1j * m["i64"], lambda m: m["f64"] - 1j, lambda m: m["f32"] ** m["0f64"],
    lambda m: m["f32"] / m["0i64"], lambda m: m["i64"] * m["0f32"],
])
def test_special_promotions_match_torch(case):
    specs = ("f32", "f64", "i64", "i32", "b", "0f64", "0i64", "0f32")
    with np.errstate(all="ignore"):  # (0/0 and negative ** fraction: NaN in both)
        ours = case({s: _build(s, "ag") for s in specs})
    ref = case({s: _build(s, "torch") for s in specs})
    assert _dtype_name(ours.dtype) == _dtype_name(ref.dtype)
    np.testing.assert_allclose(ours.data, ref.numpy(), rtol=1e-6)


def test_int_tensor_with_float_scalar_follows_the_default_dtype():
    i = ag.tensor([1, 2, 3])
    assert (i * 0.5).dtype == np.float32 and (0.5 - i).dtype == np.float32
    assert (i / i).dtype == np.float32  # true division, as torch
    old = ag.get_default_dtype()
    ag.set_default_dtype(np.float64)
    try:
        assert (i * 0.5).dtype == np.float64 and (i ** 2.0).dtype == np.float64
        assert (i / 2).dtype == np.float64
        assert (i * 1j).dtype == np.complex128
    finally:
        ag.set_default_dtype(old)
    assert (i * 1j).dtype == np.complex64


def test_complex_scalar_forward():
    x = ag.tensor([1.0, -2.0])
    np.testing.assert_allclose((x * 1j).data, [1j, -2j])
    np.testing.assert_allclose((x + (1 + 2j)).data, [2 + 2j, -1 + 2j])
    np.testing.assert_allclose(((1 - 1j) * x).data, [1 - 1j, -2 + 2j])


def test_ndarray_operands_promote_as_tensors():
    x = ag.tensor([1.0, 2.0])  # float32
    assert (x + np.array(2.0)).dtype == np.float32  # a 0-d array ranks as a 0-d tensor
    assert (np.array(2.0) * x).dtype == np.float32
    assert (x + np.array([1.0, 2.0])).dtype == np.float64  # dimensioned: as torch f32 + f64
    assert (x * np.arange(2)).dtype == np.float32  # int64 array: the float tensor wins
    assert (ag.tensor([1, 2]) * np.array([0.5, 1.0], np.float32)).dtype == np.float32


def test_promotion_keeps_gradients_in_each_inputs_dtype():
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)  # float32
    s = ag.tensor(np.float64(2.0), requires_grad=True)  # 0-d float64
    y = x * s
    tx = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    ts = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    ty = tx * ts
    assert y.dtype == np.float32 and ty.dtype == torch.float32
    y.sum().backward()
    ty.sum().backward()
    assert x.grad.dtype == np.float32 and s.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy())
    np.testing.assert_allclose(s.grad.data, ts.grad.numpy())
    assert gradgradcheck(lambda a, b: (a * b) ** 2,
                         (ag.tensor([1.0, 2.0], dtype=np.float64, requires_grad=True),
                          ag.tensor(np.float64(3.0), requires_grad=True)))


def test_float32_stays_float32_next_to_int_and_numpy_scalars():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    for y in (x * np.float64(2), x + np.int64(1), x * ag.tensor([1, 2]), x - ag.tensor(3),
              x / ag.tensor(np.float64(4.0)), x ** ag.tensor([2, 3]), ag.maximum(x, 1.5),
              ag.minimum(x, np.float64(1.5)), x.clip(np.float64(0.5), np.float64(1.5))):
        assert y.dtype == np.float32, y
        assert y.requires_grad


def test_where_cat_stack_clip_promote_as_torch():
    c = np.array([True, False, True])
    f32, i64, z64 = (np.array([1.0, 2.0, 3.0], np.float32), np.array([4, 5, 6]),
                     np.array(7.0))
    cases = [
        (lambda m: m.where(m.tensor(c), m.tensor(f32), m.tensor(z64))),
        (lambda m: m.where(m.tensor(c), m.tensor(i64), 0.5)),
        (lambda m: m.cat([m.tensor(f32), m.tensor(i64)])),
        (lambda m: m.stack([m.tensor(f32), m.tensor(i64)])),
        (lambda m: m.cat([m.tensor(f32), m.tensor(f32.astype(np.float64))])),
        (lambda m: m.clamp(m.tensor(i64), 4.5)),
        (lambda m: m.clamp(m.tensor(f32), m.tensor(np.array(1.5)), 2.5)),
    ]
    for case in cases:
        ours, ref = case(ag_with_clamp), case(torch)
        assert _dtype_name(ours.dtype) == _dtype_name(ref.dtype)
        np.testing.assert_allclose(ours.data, ref.numpy())


class _AgWithClamp:
    def __getattr__(self, name):
        return ag.clip if name == "clamp" else getattr(ag, name)


ag_with_clamp = _AgWithClamp()


def test_promotion_helpers_are_torch_result_type():
    from autograd_lite.dtypes import promote_types, result_type
    for a in ("bool", "uint8", "int8", "int32", "int64", "float16", "float32", "float64",
              "complex64", "complex128"):
        for b in ("bool", "uint8", "int8", "int32", "int64", "float16", "float32", "float64",
                  "complex64", "complex128"):
            if {a, b} == {"float16", "complex64"} or {a, b} == {"float16", "complex128"}:
                continue  # (no complex32 in NumPy: complex64 there)
            assert str(promote_types(np.dtype(a), np.dtype(b))) == _dtype_name(
                torch.promote_types(getattr(torch, a), getattr(torch, b)))
            for sa, sb in (((2,), ()), ((), (2,)), ((), ()), ((2,), (2,))):
                ref = torch.result_type(torch.zeros(sa, dtype=getattr(torch, a)),
                                        torch.zeros(sb, dtype=getattr(torch, b)))
                ours = result_type(np.zeros(sa, a), np.zeros(sb, b))
                assert str(ours) == _dtype_name(ref), (a, sa, b, sb)


def test_same_dtype_operands_are_not_copied():
    from autograd_lite.primitive import promote
    a, b = ag.ones(3), ag.tensor(np.float64(2.0))
    x, y = promote([ag.tensor([1.0, 2.0], dtype=np.float64), b])
    assert y is b  # NumPy already computes float64 x float64: nothing to cast
    x, y = promote([a, b])
    assert x is a and y.dtype == np.float32


# ============================================================================ d. t.size
def test_size_is_an_int_and_callable_as_torch():
    t = ag.zeros(3, 4)
    assert t.size == 12 and isinstance(t.size, int) and t.size + 1 == 13
    assert t.size() == (3, 4) == tuple(torch.zeros(3, 4).size())
    assert t.size(0) == 3 and t.size(-1) == 4 and t.size(dim=1) == 4
    assert t.size(np.int64(1)) == 4
    assert np.zeros(t.size).shape == (12,) and list(range(t.size))[-1] == 11
    assert ag.tensor(5.0).size == 1 and ag.tensor(5.0).size() == ()
    assert ag.zeros(0, 2).size == 0 and not ag.zeros(0, 2).size
    assert repr(t.size) == "12" and f"{t.size:d}" == "12"


@pytest.mark.parametrize("shape,dim", [((3, 4), 2), ((3, 4), -3), ((5,), 1), ((), 0), ((), -1)])
def test_size_out_of_range_is_index_and_value_error(shape, dim):
    t = ag.zeros(shape)
    with pytest.raises(IndexError, match="size"):
        t.size(dim)
    with pytest.raises(ValueError, match="size"):
        t.size(dim)
    with pytest.raises(IndexError):
        torch.zeros(shape).size(dim)


def test_size_rejects_non_int_dims_and_pickles_as_int():
    t = ag.zeros(2, 3)
    with pytest.raises(TypeError):
        t.size(1.0)
    with pytest.raises(TypeError):
        t.size(True)
    for s in (pickle.loads(pickle.dumps(t.size)), copy.copy(t.size), copy.deepcopy(t.size)):
        assert s == 6
