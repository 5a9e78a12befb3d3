"""Forward values of every catalog op against its NumPy reference, dtype preservation, and graph
recording (a named grad_fn with grad on, nothing under no_grad). (The method forms are the op
functions themselves: tests/ops/test_op_list.py.)"""
import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite.ops import special
from tests.ops.op_catalog import ROWS, all_cases, case_ids, tensors

CASES = all_cases()


def _run(row, i, dtype=np.float64, requires_grad=False, seed=0):
    shapes, kw = row.cases[i]
    arrays = row.inputs(np.random.default_rng(seed), shapes)
    ts = tensors(arrays, dtype=dtype, requires_grad=requires_grad)
    return arrays, ts, kw


@pytest.mark.parametrize("row,i", CASES, ids=case_ids(CASES))
def test_forward_matches_numpy(row, i):
    arrays, ts, kw = _run(row, i)
    out = row.fn(*ts, **kw)
    expected = np.asarray(row.ref(*arrays, **kw))
    assert isinstance(out, ag.Tensor)
    assert isinstance(out.data, np.ndarray)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.data.astype(np.float64), expected.astype(np.float64),
                               rtol=1e-12, atol=1e-12)


FLOAT_CASES = [(r, i) for r, i in CASES if r.grad and r.op != "astype"]


@pytest.mark.parametrize("row,i", FLOAT_CASES, ids=case_ids(FLOAT_CASES))
def test_float32_stays_float32(row, i):
    arrays, ts, kw = _run(row, i, dtype=np.float32)
    out = row.fn(*ts, **kw)
    assert out.dtype == np.float32, f"{row.name}: float32 inputs gave {out.dtype}"
    expected = np.asarray(row.ref(*[a.astype(np.float32) if a.dtype.kind == "f" else a
                                    for a in arrays], **kw))
    np.testing.assert_allclose(out.data, expected, rtol=2e-5, atol=2e-6)


DIFF_CASES = [(r, i) for r, i in CASES if r.grad]


@pytest.mark.parametrize("row,i", DIFF_CASES, ids=case_ids(DIFF_CASES))
def test_records_named_node_only_when_needed(row, i):
    arrays, ts, kw = _run(row, i, requires_grad=True)
    out = row.fn(*ts, **kw)
    assert out.requires_grad
    if out.grad_fn is not None:  # a no-op (e.g. a reshape to the same shape) returns the input
        assert str(out.grad_fn).endswith("Backward")
        assert out.grad_fn.name + "Backward" == str(out.grad_fn)
        assert not out.is_leaf
    with ag.no_grad():
        out = row.fn(*ts, **kw)
    assert (not out.requires_grad) or out is ts[0]
    _, consts, _ = _run(row, i, requires_grad=False)
    out = row.fn(*consts, **kw)
    assert not out.requires_grad and out.grad_fn is None


def test_every_row_with_a_reference_has_cases():
    for r in ROWS:
        assert (r.ref is None) == (not r.cases), f"{r.name}: a reference needs cases and back"
        if r.cases:
            assert len(r.cases) >= 3, f"{r.name} has fewer than 3 shape cases"


def test_comparisons_are_not_differentiable():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    for out in (x < 1.5, x <= 1.5, x > 1.5, x >= 1.5, x == 1.0, x != 1.0):
        assert out.dtype == np.bool_
        assert not out.requires_grad and out.grad_fn is None


def test_argmax_argmin_are_int_constants():
    x = ag.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]], requires_grad=True)
    np.testing.assert_array_equal(ag.argmax(x, axis=1).data, [1, 0])
    np.testing.assert_array_equal(x.argmin(dim=0).data, [0, 1, 0])
    assert ag.argmax(x).item() == 3
    assert x.argmax(axis=1, keepdims=True).shape == (2, 1)
    assert ag.argmax(x).dtype == np.int64 and not ag.argmax(x).requires_grad


def test_reduction_aliases_dim_keepdim_correction():
    x = ag.tensor(np.arange(12.0).reshape(3, 4), dtype=np.float64)
    np.testing.assert_allclose(x.sum(dim=1, keepdim=True).data, x.data.sum(1, keepdims=True))
    np.testing.assert_allclose(ag.mean(x, dim=0).data, x.data.mean(0))
    np.testing.assert_allclose(x.var(axis=1, correction=1).data, x.data.var(1, ddof=1))
    np.testing.assert_allclose(ag.std(x, dim=0, correction=1).data, x.data.std(0, ddof=1))
    np.testing.assert_allclose(x.softmax(dim=0).data, ag.softmax(x, axis=0).data)
    np.testing.assert_allclose(x.max(dim=1).values.data, x.data.max(1))
    np.testing.assert_allclose(x.amax(dim=1, keepdim=True).data, x.data.max(1, keepdims=True))


@pytest.mark.parametrize("fn", [ag.softmax, ag.log_softmax, ag.logsumexp])
def test_stable_at_large_logits(fn):
    x = ag.tensor([[1000.0, 0.0, -1000.0], [1e3, 1e3, 1e3]], dtype=np.float64,
                  requires_grad=True)
    out = fn(x) if fn is ag.logsumexp else fn(x, axis=-1)
    assert np.all(np.isfinite(out.data))
    out.sum().backward()
    assert np.all(np.isfinite(x.grad.data))


def test_shape_args_as_tuple_or_varargs():
    x = ag.tensor(np.arange(6.0))
    assert x.reshape(2, 3).shape == x.reshape((2, 3)).shape == (2, 3)
    assert x.view([3, 2]).shape == (3, 2)
    y = x.reshape(2, 3)
    assert y.permute(1, 0).shape == y.permute((1, 0)).shape == (3, 2)
    assert y[:, :1].expand(2, 4).shape == y[:, :1].expand((-1, 4)).shape == (2, 4)
    assert y.broadcast_to(2, 2, 3).shape == (2, 2, 3)


def test_erf_saturates_for_huge_inputs():
    # (found by the catalog's value fuzz: y * y overflowed inside erfc and gave NaN)
    x = ag.tensor([-1.7976931348623157e308, -1e300, 27.0, 1e200, -np.inf, np.inf],
                  dtype=np.float64)
    np.testing.assert_array_equal(ag.erf(x).data, [-1.0, -1.0, 1.0, 1.0, -1.0, 1.0])


def test_square_of_bool_is_int64_as_pytorch():
    t = ag.tensor([True, False])
    assert ag.square(t).dtype == np.int64 and (t ** 2).dtype == np.int64


# ----------------------------------------------------------------------------- regressions
# (from the code review: each fails on the code before its fix)
def f64(x, requires_grad=True):
    return ag.tensor(x, dtype=np.float64, requires_grad=requires_grad)


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
