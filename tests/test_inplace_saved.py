"""Every array an op saves for backward, changed in place: backward raises or is unaffected.

For each op (every row of the op catalog, and the ``nn.functional`` kernels and losses that
save integer indices, targets, masks or bounds), the test runs the forward, walks the recorded
graph and lists every array a node keeps for its backward: its inputs, its saved output and
each array or Tensor among its keyword arguments (indices of ``x[idx]``, class targets, clip
bounds, ...). Then, once per saved array, it runs the forward again, changes that one array in
place through an alias (as a user's ``idx += 1`` or ``t.detach().add_(1)`` under ``no_grad``
would), and runs the backward. Either the backward raises the in-place ``RuntimeError``, or
every gradient is exactly the gradient of the unchanged run (the op did not need that value).
A silently different gradient, or any other error, fails.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite import nn
from autograd_lite.nn import functional as F
from tests.ops.op_catalog import ROWS, tensors

_wrap = ag.Tensor._wrap


def _nodes(root: ag.Tensor) -> list:
    out, seen, stack = [], set(), [root.grad_fn]
    while stack:
        n = stack.pop()
        if n is None or not hasattr(n, "inputs") or id(n) in seen:
            continue
        seen.add(id(n))
        out.append(n)
        stack.extend(p for p in n.next_functions if p is not None and not isinstance(p, ag.Tensor))
    return out


def saved_arrays(root: ag.Tensor) -> list:
    """(label, ndarray) for every array some node of the graph keeps for its backward."""
    found, ids = [], set()

    def add(label: str, a: Any) -> None:
        if isinstance(a, ag.Tensor):
            a = a.data
        # (a read-only array, e.g. a broadcast view, cannot be changed in place at all)
        if isinstance(a, np.ndarray) and a.size and a.flags.writeable and id(a) not in ids:
            ids.add(id(a))
            found.append((label, a))

    for n in _nodes(root):
        for i, t in enumerate(n.inputs or ()):
            add(f"{n}: input {i}", t)
        add(f"{n}: output", getattr(n, "_out_data", None))
        for k, v in (getattr(n, "kwargs", None) or {}).items():
            for j, a in enumerate(v if isinstance(v, tuple) else (v,)):
                add(f"{n}: kwarg {k}[{j}]", a)
    return found


def _change(a: np.ndarray) -> None:
    """Change ``a`` in place through an alias the library sees (like ``t.detach().add_()``)."""
    alias = _wrap(a)
    with ag.no_grad():
        if a.dtype == np.bool_:
            alias.copy_(~a)
        elif a.dtype.kind in "iu":
            alias.copy_(np.roll(a.reshape(-1), 1).reshape(a.shape))  # same values, moved
        else:
            alias.add_(0.75)


def _run(build: Callable) -> tuple:
    """``build()`` -> (output, leaves); returns the loss and the leaves."""
    out, leaves = build()
    w = np.random.default_rng(1).uniform(0.5, 1.5, out.shape)  # gradient depends on values
    return (out * ag.tensor(w, dtype=out.dtype)).sum(), leaves


def check_every_saved_array(build: Callable) -> int:
    loss, leaves = _run(build)
    n_saved = len(saved_arrays(loss))
    loss.backward()
    ref = [None if t.grad is None else t.grad.data.copy() for t in leaves]
    for j in range(n_saved):
        loss, leaves = _run(build)
        label, a = saved_arrays(loss)[j]
        before = a.copy()
        _change(a)
        try:
            loss.backward()
        except RuntimeError as e:
            assert "in-place" in str(e), (label, str(e))
            assert all(t.grad is None for t in leaves), f"{label}: a failed backward wrote .grad"
            continue
        finally:  # (the array may be a module-level constant that other tests use)
            np.copyto(a, before)
        for t, r in zip(leaves, ref):
            got = None if t.grad is None else t.grad.data
            assert (got is None) == (r is None), label
            if r is not None:
                np.testing.assert_array_equal(got, r, err_msg=f"{label}: silently different "
                                                              "gradient after an in-place change")
    return n_saved


# ----------------------------------------------------------------------------- the op catalog
def _catalog_builds() -> list:
    out = []
    for row in ROWS:
        for ci, (shapes, kw) in enumerate(row.cases):
            def build(row=row, shapes=shapes, kw=kw):
                arrays = row.inputs(np.random.default_rng(0), shapes)
                ts = tensors(arrays)
                res = row.fn(*ts, **kw)
                return res, [t for t in ts if t.requires_grad]
            out.append(pytest.param(build, id=f"{row.name}-{ci}"))
    return out


@pytest.mark.parametrize("build", _catalog_builds())
def test_catalog_op_saved_arrays(build):
    if not build()[0].requires_grad:
        pytest.skip("records no graph")
    check_every_saved_array(build)


# ----------------------------------------------------------------------------- kernels, losses
def _f64(rng: np.random.Generator, *shape: int, lo: float = -2.0, hi: float = 2.0) -> ag.Tensor:
    return ag.tensor(rng.uniform(lo, hi, shape), requires_grad=True)


def _b(fn: Callable) -> Callable:
    def build():
        rng = np.random.default_rng(0)
        out, leaves = fn(rng)
        return out, leaves
    return build


def _getitem_tensor_index(rng):
    x = _f64(rng, 5, 3)
    idx = ag.tensor([4, 0, 2, 2])
    return x[idx], [x]


def _getitem_tensor_mask(rng):
    x = _f64(rng, 4, 3)
    return x[ag.tensor(np.array([True, False, True, True]))], [x]


def _getitem_tensor_pair(rng):
    x = _f64(rng, 4, 3)
    return x[ag.tensor([0, 3, 1]), ag.tensor([2, 2, 0])], [x]


def _embedding(rng):
    w = _f64(rng, 6, 3)
    return F.embedding(ag.tensor([[1, 5], [0, 3]]), w), [w]


def _embedding_module(rng):
    m = nn.Embedding(6, 3)
    return m(ag.tensor([1, 5, 0, 3])), [m.weight]


def _cross_entropy(rng):
    x = _f64(rng, 4, 3)
    return F.cross_entropy(x, ag.tensor([0, 2, 1, 2]), reduction="none"), [x]


def _cross_entropy_weighted(rng):
    x = _f64(rng, 4, 3)
    return F.cross_entropy(x, ag.tensor([0, 2, 1, 2]), weight=ag.tensor([0.2, 1.0, 3.0]),
                           ignore_index=1), [x]


def _cross_entropy_probs(rng):
    x = _f64(rng, 4, 3)
    p = ag.tensor(np.full((4, 3), 1 / 3))
    return F.cross_entropy(x, p, reduction="none"), [x]


def _cross_entropy_smoothing(rng):
    x = _f64(rng, 4, 3)
    return F.cross_entropy(x, ag.tensor([0, 2, 1, 2]), label_smoothing=0.1), [x]


def _nll(rng):
    x = _f64(rng, 4, 3)
    return F.nll_loss(x, ag.tensor([0, 2, 1, 2]), reduction="none"), [x]


def _nll_weighted(rng):
    x = _f64(rng, 4, 3)
    return F.nll_loss(x, ag.tensor([0, 2, 1, 2]), weight=ag.tensor([0.2, 1.0, 3.0])), [x]


def _clip_tensor_bounds(rng):
    x = _f64(rng, 2, 3)
    return x.clip(ag.tensor([-0.5, 0.0, 0.5]), ag.tensor(1.0)), [x]


def _where_tensor_mask(rng):
    a, b = _f64(rng, 2, 3), _f64(rng, 3)
    return ag.where(ag.tensor(np.array([[True, False, True], [False, True, True]])), a, b), [a, b]


def _where_comparison(rng):
    a = _f64(rng, 2, 3)
    m = a.detach() > 0
    return ag.where(m, a * 2, a), [a]


def _binary_targets(rng):
    x = _f64(rng, 4, lo=0.1, hi=0.9)
    return F.binary_cross_entropy(x, ag.tensor([0.0, 1.0, 1.0, 0.0], dtype=np.float64),
                                  reduction="none"), [x]


def _bce_logits(rng):
    x = _f64(rng, 4)
    return F.binary_cross_entropy_with_logits(
        x, ag.tensor([0.0, 1.0, 1.0, 0.0], dtype=np.float64),
        pos_weight=ag.tensor([2.0], dtype=np.float64), reduction="none"), [x]


def _losses_with_target(name):
    def fn(rng):
        x = _f64(rng, 2, 3)
        t = ag.tensor(rng.uniform(0.1, 0.9, (2, 3)))
        f = getattr(F, name)
        return f(x, t, reduction="none"), [x]
    return fn


def _hinge(rng):
    x = _f64(rng, 5)
    return F.hinge_loss(x, ag.tensor([1.0, -1.0, 1.0, -1.0, 1.0], dtype=np.float64),
                        reduction="none"), [x]


def _kl_div(rng):
    x = _f64(rng, 2, 3)
    t = ag.tensor(rng.uniform(0.1, 0.9, (2, 3)))
    return F.kl_div(x, t, reduction="none"), [x]


def _gaussian_nll(rng):
    x = _f64(rng, 2, 3)
    t = ag.tensor(rng.uniform(0.1, 0.9, (2, 3)))
    v = ag.tensor(rng.uniform(0.5, 1.5, (2, 3)))
    return F.gaussian_nll_loss(x, t, v, reduction="none"), [x]


def _conv(rng):
    x, w, b = _f64(rng, 2, 2, 5, 5), _f64(rng, 3, 2, 3, 3), _f64(rng, 3)
    return F.conv2d(x, w, b, stride=2, padding=1), [x, w, b]


def _max_pool(rng):
    x = ag.tensor(rng.permutation(2 * 2 * 4 * 4).reshape(2, 2, 4, 4) * 0.1, requires_grad=True,
                  dtype=np.float64)
    return F.max_pool2d(x, 2), [x]


def _avg_pool(rng):
    x = _f64(rng, 2, 2, 4, 4)
    return F.avg_pool2d(x, 2), [x]


def _linear(rng):
    x, w, b = _f64(rng, 4, 3), _f64(rng, 2, 3), _f64(rng, 2)
    return F.linear(x, w, b), [x, w, b]


def _layer_norm(rng):
    x, w, b = _f64(rng, 4, 3), _f64(rng, 3), _f64(rng, 3)
    return F.layer_norm(x, (3,), w, b), [x, w, b]


def _batch_norm(rng):
    x = _f64(rng, 4, 3)
    w, b = _f64(rng, 3), _f64(rng, 3)
    return F.batch_norm(x, None, None, w, b, training=True), [x, w, b]


def _activation(name, **kw):
    def fn(rng):
        x = _f64(rng, 2, 3)
        return getattr(F, name)(x, **kw), [x]
    return fn


def _dropout(rng):
    ag.manual_seed(0)
    x = _f64(rng, 4, 5)
    return F.dropout(x, 0.5, training=True), [x]


def _one_hot_matmul(rng):
    w = _f64(rng, 3, 2)
    return F.one_hot(ag.tensor([0, 2, 1]), 3).astype(np.float64) @ w, [w]


KERNELS = {
    "getitem_tensor_index": _getitem_tensor_index,
    "getitem_tensor_mask": _getitem_tensor_mask,
    "getitem_tensor_pair": _getitem_tensor_pair,
    "embedding": _embedding,
    "embedding_module": _embedding_module,
    "cross_entropy": _cross_entropy,
    "cross_entropy_weighted_ignore": _cross_entropy_weighted,
    "cross_entropy_probabilities": _cross_entropy_probs,
    "cross_entropy_label_smoothing": _cross_entropy_smoothing,
    "nll_loss": _nll,
    "nll_loss_weighted": _nll_weighted,
    "clip_tensor_bounds": _clip_tensor_bounds,
    "where_tensor_mask": _where_tensor_mask,
    "where_comparison_mask": _where_comparison,
    "binary_cross_entropy": _binary_targets,
    "bce_with_logits_pos_weight": _bce_logits,
    "mse_loss": _losses_with_target("mse_loss"),
    "l1_loss": _losses_with_target("l1_loss"),
    "huber_loss": _losses_with_target("huber_loss"),
    "hinge_loss": _hinge,
    "kl_div": _kl_div,
    "gaussian_nll_loss": _gaussian_nll,
    "conv2d": _conv,
    "max_pool2d": _max_pool,
    "avg_pool2d": _avg_pool,
    "linear": _linear,
    "layer_norm": _layer_norm,
    "batch_norm": _batch_norm,
    "relu": _activation("relu"),
    "leaky_relu": _activation("leaky_relu", negative_slope=0.1),
    "softplus": _activation("softplus"),
    "gelu": _activation("gelu"),
    "erf": _activation("erf"),
    "dropout": _dropout,
    "one_hot_matmul": _one_hot_matmul,
}


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_kernel_saved_arrays(name):
    assert check_every_saved_array(_b(KERNELS[name])) >= 1


# ----------------------------------------------------------------------------- the cases
def test_index_tensor_changed_before_backward_raises():
    x = ag.tensor(np.arange(5.0), requires_grad=True)
    idx = ag.tensor([0, 1])
    y = x[idx]
    with ag.no_grad():
        idx += 3
    with pytest.raises(RuntimeError, match="in-place"):
        y.sum().backward()
    assert x.grad is None


def test_class_target_changed_before_backward_raises():
    x = ag.tensor(np.zeros((2, 3)), requires_grad=True)
    t = ag.tensor([0, 1])
    loss = F.cross_entropy(x, t)
    with ag.no_grad():
        t[0] = 2
    with pytest.raises(RuntimeError, match="in-place"):
        loss.backward()


def test_clip_bound_changed_through_detached_alias_raises():
    x = ag.tensor([0.5, 1.5], requires_grad=True, dtype=np.float64)
    hi = ag.tensor([1.0, 1.0], dtype=np.float64)
    y = x.clip(None, hi)
    with ag.no_grad():
        hi.detach().add_(1.0)
    with pytest.raises(RuntimeError, match="in-place"):
        y.sum().backward()


def test_change_before_the_op_used_it_is_fine():
    x = ag.tensor(np.arange(5.0), requires_grad=True)
    idx = ag.tensor([0, 1])
    with ag.no_grad():
        idx += 3
    x[idx].sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0, 0, 0, 1, 1])
