"""The indexing family (``autograd_lite/ops/indexing.py``) beyond its catalog rows: PyTorch's
semantics on small hand-checked examples, the gradients PyTorch defines (scatter: zero where
written; index_select: repeated indices add up; masked_fill: zero where masked), errors that
name the op, and in-place changes of a saved index caught by the engine."""
from __future__ import annotations

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite.testing import gradgradcheck

F64 = np.float64


def f64(x, requires_grad=True):
    return ag.tensor(np.asarray(x, dtype=F64), requires_grad=requires_grad)


# ----------------------------------------------------------------------------- semantics
def test_gather_follows_torch_docs():
    x = f64([[1, 2], [3, 4]])
    idx = ag.tensor([[0, 0], [1, 0]])
    np.testing.assert_array_equal(ag.gather(x, 1, idx).data, [[1, 1], [4, 3]])
    assert x.gather(1, idx).grad_fn.name == "Gather"
    # index smaller than the input in the other dims: the leading part is read
    y = f64(np.arange(6).reshape(2, 3))
    np.testing.assert_array_equal(y.gather(0, ag.tensor([[1, 0]])).data, [[3, 1]])
    # repeated indices: the gradient adds up
    out = ag.gather(x, 1, idx)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[2, 0], [1, 1]])


def test_scatter_gradients_are_torchs():
    x = f64(np.zeros((3, 4)))
    idx = ag.tensor([[0, 1], [2, 0]])
    src = f64([[1, 2], [3, 4]])
    y = x.scatter(0, idx, src)
    np.testing.assert_array_equal(y.data, [[1, 4, 0, 0], [0, 2, 0, 0], [3, 0, 0, 0]])
    w = np.arange(12.0).reshape(3, 4)
    (y * ag.tensor(w)).sum().backward()
    np.testing.assert_array_equal(x.grad.data, w * (y.data == 0))  # 0 where written
    np.testing.assert_array_equal(src.grad.data, [[w[0, 0], w[1, 1]], [w[2, 0], w[0, 1]]])
    assert x.data.sum() == 0  # out of place


def test_scatter_value_and_scatter_add():
    x = f64(np.ones((2, 3)))
    idx = ag.tensor([[2], [0]])
    np.testing.assert_array_equal(ag.scatter(x, 1, idx, value=-1.0).data,
                                  [[1, 1, -1], [-1, 1, 1]])
    np.testing.assert_array_equal(ag.scatter(x, 1, idx, 5).data, [[1, 1, 5], [5, 1, 1]])
    src = f64([[10, 20], [30, 40]])
    out = x.scatter_add(1, ag.tensor([[2, 2], [0, 1]]), src)
    np.testing.assert_array_equal(out.data, [[1, 1, 31], [31, 41, 1]])
    out.sum().backward()
    np.testing.assert_array_equal(src.grad.data, np.ones((2, 2)))
    # an int tensor takes the value cast to its dtype, as PyTorch
    t = ag.tensor([1, 2, 3]).scatter(0, ag.tensor([1]), value=7.9)
    assert t.dtype == np.int64 and t.tolist() == [1, 7, 3]


def test_index_select_accumulates_repeated_indices():
    x = f64(np.arange(6).reshape(2, 3))
    out = x.index_select(1, ag.tensor([2, 0, 2]))
    np.testing.assert_array_equal(out.data, [[2, 0, 2], [5, 3, 5]])
    assert out.grad_fn.name == "IndexSelect"
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[1, 0, 2], [1, 0, 2]])
    assert x.index_select(0, np.array(1)).shape == (1, 3)  # a 0-d index keeps the dim


def test_masked_fill_gradient_and_broadcast_mask():
    x = f64(np.arange(6).reshape(2, 3))
    m = ag.tensor([True, False, True])
    y = x.masked_fill(m, -1.0)
    np.testing.assert_array_equal(y.data, [[-1, 1, -1], [-1, 4, -1]])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[0, 1, 0], [0, 1, 0]])
    v = f64(2.0)
    x2 = f64(np.ones((2, 3)))
    x2.masked_fill(m, v).sum().backward()
    assert v.grad.item() == 4.0  # summed over the masked positions
    assert ag.masked_fill(f64(np.ones(3)), np.ones((2, 1, 3), bool), 0.0).shape == (2, 1, 3)


def test_twice_differentiable_through_a_product():
    x = f64([[0.5, -1.0], [2.0, 0.3]])
    idx = ag.tensor([[1, 1], [0, 1]])
    assert gradgradcheck(lambda t: ag.gather(t * t, 1, idx) * t, (x,))
    src = f64([[0.2, 0.7]])
    assert gradgradcheck(lambda a, s: a.scatter(0, ag.tensor([[1, 0]]), s * s) * a, (x, src))


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize("call, kind, match", [
    (lambda x: ag.gather(x, 1, ag.tensor([[3, 0]])), IndexError,
     "gather: index 3 is out of bounds for dim 1 with size 3"),
    (lambda x: ag.gather(x, 0, ag.tensor([[-1, 0, 0]])), IndexError, "gather: index -1"),
    (lambda x: ag.gather(x, 2, ag.tensor([[0]])), ag.DimensionError, "gather: dim 2"),
    (lambda x: ag.gather(x, 0, ag.tensor([0])), ValueError, "gather: index must have as many"),
    (lambda x: ag.gather(x, 0, ag.tensor([[0.0]])), TypeError, "gather: index must be an int"),
    (lambda x: ag.gather(x, 0, ag.tensor([[0, 0, 0, 0]])), ValueError, "gather: index of shape"),
    (lambda x: ag.scatter(x, 1, ag.tensor([[5]]), value=1.0), IndexError, "scatter: index 5"),
    (lambda x: ag.scatter(x, 0, ag.tensor([[0]]), ag.tensor([[1.0]], dtype=np.float32)),
     TypeError, "scatter: src must have the input's dtype"),
    (lambda x: ag.scatter(x, 0, ag.tensor([[0]])), TypeError, "scatter: pass exactly one"),
    (lambda x: ag.scatter(x, 0, ag.tensor([[0, 1]]), f64([[1.0]], False)), ValueError,
     "scatter: index of shape"),
    (lambda x: ag.scatter_add(x, 0, ag.tensor([[2]]), f64([[1.0]], False)), IndexError,
     "scatter_add: index 2 is out of bounds for dim 0 with size 2"),
    (lambda x: ag.index_select(x, 1, ag.tensor([0, 3])), IndexError,
     "index_select: index 3 is out of bounds for dim 1"),
    (lambda x: ag.index_select(x, 0, ag.tensor([[0]])), ValueError, "index_select: index must "
     "be 1-d"),
    (lambda x: ag.index_select(x, -3, ag.tensor([0])), ag.DimensionError, "index_select: dim"),
    (lambda x: ag.masked_fill(x, ag.tensor([1, 0, 1]), 0.0), TypeError,
     "masked_fill: mask must be a bool"),
    (lambda x: ag.masked_fill(x, np.ones((3, 3), bool), 0.0), ValueError,
     "masked_fill: mask of shape"),
    (lambda x: ag.masked_fill(x, np.ones(3, bool), f64([1.0, 2.0])), ValueError,
     "masked_fill: value must be a number or a 0-d tensor"),
    (lambda x: ag.masked_fill(ag.tensor([1, 2]), np.ones(2, bool), np.nan), ValueError,
     "masked_fill: value nan cannot be converted to int64"),
])
def test_errors_name_the_op(call, kind, match):
    x = f64(np.arange(6).reshape(2, 3))
    with pytest.raises(kind, match=match):
        call(x)


# ----------------------------------------------------------------------------- in place
@pytest.mark.parametrize("build", [
    lambda x, i: ag.gather(x, 1, i),
    lambda x, i: ag.scatter(x, 1, i, ag.ones(2, 2, dtype=F64, requires_grad=True)),
    lambda x, i: ag.scatter(x, 1, i, value=0.0),
    lambda x, i: ag.scatter_add(x, 1, i, ag.ones(2, 2, dtype=F64)),
    lambda x, i: ag.index_select(x, 1, i[0]),
], ids=["gather", "scatter", "scatter_value", "scatter_add", "index_select"])
def test_changing_a_saved_index_in_place_is_caught(build):
    x = f64(np.arange(6).reshape(2, 3))
    idx = ag.tensor([[0, 2], [1, 0]])
    out = build(x, idx)
    idx.copy_(ag.tensor([[1, 1], [2, 2]]))
    with pytest.raises(RuntimeError, match="in-place"):
        out.sum().backward()
    # unchanged, the same graph runs
    idx2 = ag.tensor([[0, 2], [1, 0]])
    build(x, idx2).sum().backward()
    assert x.grad is not None


def test_changing_the_mask_in_place_is_caught():
    x = f64(np.ones(3))
    m = ag.tensor([True, False, True])
    out = x.masked_fill(m, 0.0)
    m.copy_(ag.tensor([False, False, True]))
    with pytest.raises(RuntimeError, match="in-place"):
        out.sum().backward()


# ----------------------------------------------------------------------------- structural ops
def test_structural_ops_method_forms_and_argument_spellings():
    x = f64(np.arange(6).reshape(2, 3))
    a = x.data
    np.testing.assert_array_equal(x.flip(0, 1).data, a[::-1, ::-1])
    np.testing.assert_array_equal(ag.flip(x, dims=[1]).data, a[:, ::-1])
    np.testing.assert_array_equal(ag.flip(x, axis=0).data, a[::-1])
    np.testing.assert_array_equal(x.roll(1).data, np.roll(a, 1))  # flattened, shape kept
    np.testing.assert_array_equal(x.roll((1, 1), (0, 1)).data, np.roll(a, (1, 1), (0, 1)))
    np.testing.assert_array_equal(ag.roll(x, -1, axis=1).data, np.roll(a, -1, 1))
    assert x.repeat(2, 1, 2).shape == x.repeat((2, 1, 2)).shape == (2, 2, 6)
    assert x.tile(2).shape == (2, 6) and ag.tile(x, (2, 1, 1)).shape == (2, 2, 3)
    np.testing.assert_array_equal(x.tril(-1).data, np.tril(a, -1))
    np.testing.assert_array_equal(x.triu(1).data, np.triu(a, 1))
    np.testing.assert_array_equal(x.diag().data, [0, 4])
    np.testing.assert_array_equal(ag.diag(ag.tensor([1.0, 2.0]), -1).data,
                                  [[0, 0, 0], [1, 0, 0], [0, 2, 0]])
    np.testing.assert_array_equal(x.diagonal(offset=1).data, [1, 5])
    assert x.trace().item() == 4.0 and ag.trace(ag.tensor([[1, 2], [3, 4]])).dtype == np.int64


def test_structural_gradients():
    x = f64(np.arange(6).reshape(2, 3))
    x.repeat(2, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.full((2, 3), 4.0))  # 4 copies
    y = f64(np.ones((3, 3)))
    y.trace().backward()
    np.testing.assert_array_equal(y.grad.data, np.eye(3))
    z = f64(np.ones((2, 3)))
    (z.diagonal(1) * ag.tensor([2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(z.grad.data, [[0, 2, 0], [0, 0, 3]])
    assert gradgradcheck(lambda t: (t.roll(1, 0) * t).tril().flip(1), (f64(np.eye(3) + 0.5),))


@pytest.mark.parametrize("call, kind, match", [
    (lambda x: x.flip(0, 0), ValueError, "flip: a dim appears more than once"),
    (lambda x: x.flip(2), ag.DimensionError, "flip: dim 2 is out of range"),
    (lambda x: ag.flip(x), TypeError, "flip: pass the dims once"),
    (lambda x: x.roll((1, 2), 0), ValueError, "roll: shifts"),
    (lambda x: x.roll((1, 2)), ValueError, "roll: shifts"),
    (lambda x: x.roll(1.5), TypeError, "roll: shifts must be an int"),
    (lambda x: x.repeat(2), ValueError, "repeat: 1 sizes for a tensor with 2 dims"),
    (lambda x: x.repeat(2, -1), ValueError, "repeat: sizes must be non-negative"),
    (lambda x: x.tile(2.0), TypeError, "tile: dims must be ints"),
    (lambda x: ag.tril(x[0]), ValueError, "tril: the input must have at least 2 dims"),
    (lambda x: ag.triu(x, 0.5), TypeError, "triu: diagonal must be an int"),
    (lambda x: ag.diag(x[None]), ValueError, "diag: the input must be 1-d or 2-d"),
    (lambda x: ag.diagonal(x, 0, 1, -1), ValueError, "diagonal: dim1 and dim2 must differ"),
    (lambda x: ag.diagonal(x[0]), ag.DimensionError, "diagonal: the input needs at least 2"),
    (lambda x: ag.trace(x[0]), ValueError, "trace: expected a matrix"),
    (lambda x: ag.trace(ag.tensor([[True]])), TypeError, "trace: not implemented for bool"),
])
def test_structural_errors_name_the_op(call, kind, match):
    x = f64(np.arange(6).reshape(2, 3))
    with pytest.raises(kind, match=match):
        call(x)


# ----------------------------------------------------------------------------- PyTorch's names
def test_where_method_takes_torchs_argument_order():
    x = f64([1.0, -2.0, 3.0])
    y = x.where(x > 0, 0.0)  # torch.where(x > 0, x, 0)
    np.testing.assert_array_equal(y.data, [1, 0, 3])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1, 0, 1])


def test_as_methods_and_nelement():
    x = f64(np.arange(3))
    big = ag.zeros(2, 3)
    assert x.expand_as(big).shape == (2, 3)
    assert big.view_as(ag.zeros(6)).shape == (6,) and big.reshape_as(ag.zeros(3, 2)).shape == (3, 2)
    assert big.nelement() == big.numel() == 6
    x.expand_as(big).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2, 2, 2])


def test_t_mm_mv_dot_outer():
    a = f64(np.arange(6).reshape(2, 3))
    assert a.t().shape == (3, 2) and ag.t(f64([1.0, 2.0])).shape == (2,)
    np.testing.assert_array_equal(a.mm(a.t()).data, a.data @ a.data.T)
    np.testing.assert_array_equal(ag.mv(a, f64([1.0, 0.0, 1.0])).data, [2, 8])
    assert ag.dot(f64([1.0, 2.0]), f64([3.0, 4.0])).item() == 11.0
    np.testing.assert_array_equal(ag.outer(f64([1.0, 2.0]), f64([1.0, 0.0, -1.0])).data,
                                  [[1, 0, -1], [2, 0, -2]])
    for call, match in [(lambda: ag.mm(a, f64([1.0, 2.0, 3.0])), "mm: expects a 2-d and a 2-d"),
                        (lambda: ag.mm(a, a), "mm: shapes"),
                        (lambda: ag.dot(f64([1.0]), f64([1.0, 2.0])), "dot: the two vectors"),
                        (lambda: ag.mv(a, a), "mv: expects"),
                        (lambda: ag.t(ag.zeros(2, 2, 2)), "t: expects")]:
        with pytest.raises(ValueError, match=match):
            call()
    with pytest.raises(TypeError, match="mm: not implemented for bool"):
        ag.mm(ag.tensor([[True]]), ag.tensor([[True]]))


def test_comparisons_by_name_record_no_graph_and_clamp_forms():
    x = f64([1.0, 2.0, 3.0])
    for name, op in [("eq", np.equal), ("ne", np.not_equal), ("lt", np.less),
                     ("le", np.less_equal), ("gt", np.greater), ("ge", np.greater_equal)]:
        for out in (getattr(ag, name)(x, 2.0), getattr(x, name)(2.0)):
            assert out.dtype == np.bool_ and not out.requires_grad and out.grad_fn is None
            np.testing.assert_array_equal(out.data, op(x.data, 2.0))
    np.testing.assert_array_equal(ag.clamp(x, 1.5, 2.5).data, [1.5, 2, 2.5])
    np.testing.assert_array_equal(x.clamp_min(2.0).data, [2, 2, 3])
    np.testing.assert_array_equal(ag.clamp_max(x, 2.0).data, [1, 2, 2])
