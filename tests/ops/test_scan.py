"""ops/scan.py beyond the catalog rows: errors naming the op, PyTorch's semantics (zeros in the
prod gradient, named tuples, index dtypes, NaN and tie order), checked against torch where it
is installed (those tests skip cleanly without it)."""
import numpy as np
import pytest

import autograd_lite as ag


def _t(x, rg=False):
    return ag.tensor(np.asarray(x, dtype=np.float64), requires_grad=rg)


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize("call,exc,op", [
    (lambda: ag.prod(_t([1.0, 2.0]), 1), ag.DimensionError, "prod"),
    (lambda: ag.prod(_t([1.0, 2.0]), dim=0, axis=0), TypeError, "prod"),
    (lambda: ag.cumsum(_t([1.0, 2.0])), TypeError, "cumsum"),
    (lambda: ag.cumsum(_t([1.0, 2.0]), 2), ag.DimensionError, "cumsum"),
    (lambda: ag.cumprod(_t([[1.0]]), (0, 1)), TypeError, "cumprod"),
    (lambda: ag.cummax(_t([1.0]), 1.0), TypeError, "cummax"),
    (lambda: ag.cummin(ag.tensor([1 + 1j, 2j]), 0), TypeError, "cummin"),
    (lambda: ag.norm(_t([1.0]), "nuc"), ValueError, "norm"),
    (lambda: ag.norm(_t([1.0]), "x"), ValueError, "norm"),
    (lambda: ag.norm(_t([1.0]), None), TypeError, "norm"),
    (lambda: ag.norm(ag.tensor([1j]), 2), TypeError, "norm"),
    (lambda: ag.norm(_t(np.zeros((0,))), np.inf), ValueError, "norm"),
    (lambda: ag.norm(_t([1.0]), 2, 3), ag.DimensionError, "norm"),
    (lambda: ag.sort(_t([1.0]), 1), ag.DimensionError, "sort"),
    (lambda: ag.sort(ag.tensor([1j, 2.0])), TypeError, "sort"),
    (lambda: ag.argsort(_t([1.0]), (0,)), TypeError, "argsort"),
    (lambda: ag.topk(_t([1.0, 2.0]), 3), ValueError, "topk"),
    (lambda: ag.topk(_t([1.0, 2.0]), -1), ValueError, "topk"),
    (lambda: ag.topk(_t([1.0, 2.0]), 1.5), TypeError, "topk"),
    (lambda: ag.kthvalue(_t([1.0, 2.0]), 0), ValueError, "kthvalue"),
    (lambda: ag.kthvalue(_t([1.0, 2.0]), 3), ValueError, "kthvalue"),
])
def test_errors_name_the_op(call, exc, op):
    with pytest.raises(exc) as e:
        call()
    assert str(e.value).startswith(op + ":"), str(e.value)


# ----------------------------------------------------------------------------- prod
@pytest.mark.parametrize("x", [[2.0, 0.0, 3.0, 4.0], [2.0, 0.0, 3.0, 0.0], [0.0, 0.0, 0.0],
                               [[1.0, 2.0, 0.0], [0.0, 3.0, -1.0]], [1.5, -2.0, 3.0]])
@pytest.mark.parametrize("dim", [None, 0, -1])
def test_prod_and_cumprod_gradients_with_zeros_match_torch(torch, x, dim):
    x = np.asarray(x)
    w = np.random.default_rng(0).standard_normal(x.shape)
    for name in ("prod", "cumprod"):
        if name == "cumprod" and dim is None:
            continue
        a, t = _t(x, True), torch.tensor(x, requires_grad=True)
        out = getattr(ag, name)(a) if dim is None else getattr(ag, name)(a, dim)
        tout = getattr(torch, name)(t) if dim is None else getattr(torch, name)(t, dim)
        np.testing.assert_allclose(out.data, tout.detach().numpy())
        wa = ag.tensor(w if name == "cumprod" else np.ones(out.shape))
        (out * wa).sum().backward()
        (tout * torch.tensor(wa.data)).sum().backward()
        np.testing.assert_allclose(a.grad.data, t.grad.numpy(), atol=1e-12)


def test_prod_gradient_one_zero_and_two_zeros():
    a = _t([2.0, 0.0, 3.0], True)
    ag.prod(a).backward()
    assert a.grad.data.tolist() == [0.0, 6.0, 0.0]  # only the zero gets the others' product
    b = _t([2.0, 0.0, 0.0], True)
    ag.prod(b).backward()
    assert b.grad.data.tolist() == [0.0, 0.0, 0.0]


def test_prod_second_derivative_at_zeros():
    # d^2 prod / dx_i dx_j = the product of the others: nonzero between two zeros
    x = _t([0.0, 0.0, 2.0], True)
    (g,) = ag.grad(ag.prod(x), [x], create_graph=True)
    (h,) = ag.grad(g[0], [x])
    assert h.data.tolist() == [0.0, 2.0, 0.0]


def test_prod_dtypes_and_dims():
    assert ag.prod(ag.tensor([True, True])).dtype == np.int64  # as torch
    assert ag.prod(ag.tensor([[1, 2], [3, 4]], dtype=np.int32), 0).dtype == np.int64
    x = np.arange(1.0, 25.0).reshape(2, 3, 4)
    np.testing.assert_allclose(ag.prod(ag.tensor(x), (0, 2)).data, np.prod(x, (0, 2)))
    assert ag.tensor(x).prod(1, keepdim=True).shape == (2, 1, 4)
    assert ag.prod(ag.tensor(x), axis=1, keepdims=True).shape == (2, 1, 4)


# ----------------------------------------------------------------------------- scans
def test_cumsum_cumprod_semantics(torch):
    x = np.array([[1.0, -2.0, 3.0], [0.5, 0.0, 4.0]], dtype=np.float32)
    for name in ("cumsum", "cumprod"):
        for d in (0, 1, -1):
            got = getattr(ag, name)(ag.tensor(x), d)
            want = getattr(torch, name)(torch.tensor(x), d)
            assert got.dtype == np.float32
            np.testing.assert_allclose(got.data, want.numpy())
    assert ag.cumsum(ag.tensor([True, True, False]), 0).data.tolist() == [1, 2, 2]
    assert ag.cumsum(ag.tensor([1, 2], dtype=np.int8), 0).dtype == np.int64
    assert ag.tensor(2.0).cumsum(0).shape == ()
    assert ag.cumsum(ag.tensor([1.0, 2.0]), axis=0).data.tolist() == [1.0, 3.0]


def test_cummax_cummin_named_tuples_like_torch(torch):
    x = np.array([[1.0, 3.0, 3.0, 2.0, 5.0], [np.nan, 1.0, 2.0, 1.0, 0.0],
                  [2.0, 1.0, np.nan, 0.0, np.nan]])
    for name in ("cummax", "cummin"):
        r = getattr(ag, name)(ag.tensor(x), 1)
        tr = getattr(torch, name)(torch.tensor(x), 1)
        assert type(r).__name__ == name and r._fields == ("values", "indices")
        values, indices = r
        assert indices.dtype == np.int64 and not indices.requires_grad
        np.testing.assert_array_equal(indices.data, tr.indices.numpy())
        np.testing.assert_array_equal(values.data, tr.values.numpy())


def test_cummax_gradient_flows_to_the_arg_positions(torch):
    x = np.array([1.0, 3.0, 2.0, 3.0, 0.5])
    w = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    a, t = _t(x, True), torch.tensor(x, requires_grad=True)
    (ag.cummax(a, 0).values * ag.tensor(w)).sum().backward()
    (torch.cummax(t, 0).values * torch.tensor(w)).sum().backward()
    np.testing.assert_array_equal(a.grad.data, t.grad.numpy())
    assert a.grad.data.tolist() == [1.0, 5.0, 0.0, 9.0, 0.0]  # repeated indices accumulate


# ----------------------------------------------------------------------------- norm
@pytest.mark.parametrize("p", ["fro", 2, 1, 3, 1.5, 0, np.inf, -np.inf])
@pytest.mark.parametrize("dim", [None, 0, 1, (0, 1)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_norm_matches_torch(torch, p, dim, keepdim):
    x = np.random.default_rng(1).standard_normal((3, 4))
    a, t = _t(x, True), torch.tensor(x, requires_grad=True)
    r, tr = ag.norm(a, p, dim, keepdim), torch.norm(t, p, dim, keepdim)
    np.testing.assert_allclose(r.data, tr.detach().numpy(), rtol=1e-12)
    w = np.random.default_rng(2).standard_normal(r.shape)
    (r * ag.tensor(w)).sum().backward()
    (tr * torch.tensor(w)).sum().backward()
    want = t.grad.numpy() if t.grad is not None else np.zeros_like(x)  # p=0: no gradient
    np.testing.assert_allclose(a.grad.data, want, atol=1e-12)


def test_norm_gradient_at_zero_is_zero_not_nan(torch):
    for p in ("fro", 2, 3, np.inf):
        a = _t(np.zeros(3), True)
        a.norm(p).backward()
        t = torch.zeros(3, dtype=torch.float64, requires_grad=True)
        torch.norm(t, p).backward()
        assert a.grad.data.tolist() == t.grad.tolist() == [0.0, 0.0, 0.0]


def test_norm_defaults_and_dtypes():
    x = ag.tensor([[3.0, 4.0], [0.0, 0.0]])
    assert x.norm().item() == 5.0  # the data stay an ndarray: np.linalg.norm(x.data) agrees
    assert np.linalg.norm(x.data) == 5.0
    assert ag.norm(x, dim=1).data.tolist() == [5.0, 0.0]
    assert ag.norm(ag.tensor([3, 4])).dtype == ag.get_default_dtype()
    assert ag.norm(x, 0).item() == 2.0  # p = 0: the count of nonzeros
    assert ag.norm(x.astype(np.float16)).dtype == np.float16
    w = ag.tensor([[3.0, 4.0]], requires_grad=True)  # PyTorch's p.data.norm() habit
    with ag.no_grad():
        n = w.norm()
    assert not n.requires_grad and n.item() == w.detach().norm().item() == 5.0


# ----------------------------------------------------------------------------- sorting
def test_sort_like_torch(torch):
    x = np.array([[3.0, 1.0, np.nan, 1.0, -0.0, 0.0, 2.0], [1, 1, 1, 0, 0, 2, 5]])
    for desc in (False, True):
        r = ag.sort(ag.tensor(x), 1, desc)
        tr = torch.sort(torch.tensor(x), dim=1, descending=desc, stable=True)
        assert type(r).__name__ == "sort" and r.indices.dtype == np.int64
        np.testing.assert_array_equal(r.indices.data, tr.indices.numpy())
        np.testing.assert_array_equal(r.values.data, tr.values.numpy())
        np.testing.assert_array_equal(ag.argsort(ag.tensor(x), 1, desc).data, tr.indices.numpy())
    assert ag.tensor([3.0, 1.0, 2.0]).argsort(descending=True).data.tolist() == [0, 2, 1]
    assert ag.sort(ag.tensor([True, False])).values.data.tolist() == [False, True]
    assert ag.sort(ag.tensor(2.0)).indices.shape == ()


def test_sort_topk_kthvalue_gradients_scatter_back():
    x = _t([[0.5, -1.0, 2.0, 0.25]], True)
    v, i = ag.sort(x, descending=True)
    assert not i.requires_grad and i.grad_fn is None
    (v * ag.tensor([[1.0, 2.0, 3.0, 4.0]])).sum().backward()
    assert x.grad.data.tolist() == [[2.0, 4.0, 1.0, 3.0]]
    x.grad = None
    ag.topk(x, 2, largest=False).values.sum().backward()
    assert x.grad.data.tolist() == [[0.0, 1.0, 0.0, 1.0]]
    x.grad = None
    r = ag.kthvalue(x, 3, 1, keepdim=True)
    assert type(r).__name__ == "kthvalue" and r.values.shape == (1, 1)
    r.values.sum().backward()
    assert x.grad.data.tolist() == [[1.0, 0.0, 0.0, 0.0]]


def test_topk_kthvalue_values_like_torch(torch):
    x = np.random.default_rng(3).standard_normal((3, 5))
    for k in (0, 1, 3, 5):
        for largest in (True, False):
            r = ag.topk(ag.tensor(x), k, 1, largest)
            tr = torch.topk(torch.tensor(x), k, 1, largest)
            np.testing.assert_array_equal(r.values.data, tr.values.numpy())
            np.testing.assert_array_equal(r.indices.data, tr.indices.numpy())
    for k in (1, 2, 3):
        r, tr = ag.kthvalue(ag.tensor(x), k, 0), torch.kthvalue(torch.tensor(x), k, 0)
        np.testing.assert_array_equal(r.values.data, tr.values.numpy())
        np.testing.assert_array_equal(r.indices.data, tr.indices.numpy())
    assert ag.tensor(x).topk(2).values.shape == (3, 2)
    # a 0-d tensor is itself, at index 0 (kthvalue takes any dtype there, as torch)
    r, tr = ag.kthvalue(ag.tensor(True), 1), torch.kthvalue(torch.tensor(True), 1)
    assert r.values.item() == tr.values.item() and r.indices.item() == tr.indices.item() == 0
    r, tr = ag.topk(ag.tensor(2.0), 0), torch.topk(torch.tensor(2.0), 0)
    assert r.values.shape == tuple(tr.values.shape) == ()
