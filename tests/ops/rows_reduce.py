"""Catalog rows for ``autograd_lite/ops/scan.py``: prod, cumulative ops, norms and sorting.

Appended to ``tests.ops.op_catalog.ROWS`` (one line there); the same ``OpRow``/``C`` helpers and
input domains. Inputs with exact zeros check the zero-safe gradients of ``prod``/``cumprod``.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

import autograd_lite as ag
from tests.ops import fuzz_draws as D
from tests.ops.op_catalog import (
    BINARY,
    REDUCE,
    UNARY,
    C,
    OpRow,
    distinct,
    nonzero,
    real,
    values_of,
    with_zeros,
)


# ----------------------------------------------------------------------------- domains
def one_zero(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Reals with exactly one 0 (PyTorch's one-zero case of the prod gradient)."""
    x = real(rng, shape)
    if x.size:
        x.reshape(-1)[rng.integers(x.size)] = 0.0
    return x


# ----------------------------------------------------------------------------- draws
def dim1(data: Any) -> tuple:
    """A shape (0-d and empty included) and one ``dim``, sometimes out of range."""
    shape = data.draw(D.SHAPE, label="shape")
    nd = max(len(shape), 1)
    return (shape,), {"dim": data.draw(st.integers(-nd - 1, nd), label="dim")}


# ----------------------------------------------------------------------------- references
def _prod_ref(x: np.ndarray, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
              keepdim: bool = False) -> np.ndarray:
    return np.prod(x, axis=axis if dim is None else dim, keepdims=keepdims or keepdim)


def _along(fn: Any) -> Any:
    """``fn(x, axis)`` on one dim, a 0-d input as its one-element vector."""
    def f(x: np.ndarray, dim: int) -> Any:
        if x.ndim == 0:
            out = fn(x.reshape(1), 0)
            return tuple(o.reshape(()) for o in out) if isinstance(out, tuple) else \
                out.reshape(())
        return fn(x, dim)
    return f


_cumsum_ref = _along(lambda x, d: np.cumsum(x, axis=d))
_cumprod_ref = _along(lambda x, d: np.cumprod(x, axis=d))
_cummax_ref = _along(lambda x, d: np.maximum.accumulate(x, axis=d))
_cummin_ref = _along(lambda x, d: np.minimum.accumulate(x, axis=d))

PROD = [C((5,)), C((2, 3), axis=0), C((2, 3), axis=1, keepdims=True), C((2, 3, 2), axis=(0, 2)),
        C(()), C((2, 3), keepdims=True), C((2, 3), dim=-1), C((3, 2), dim=0, keepdim=True)]
SCAN = [C((5,), dim=0), C((2, 3), dim=1), C((2, 3), dim=0), C((2, 3, 2), dim=-2), C((), dim=0)]

def draw_count(data: Any) -> tuple:
    shape = data.draw(D.SHAPE, label="shape")
    return (shape,), {"dim": D.some_axis(data.draw, len(shape))}


def _histc_ref(x: np.ndarray, bins: int = 100, min: float = 0, max: float = 0) -> np.ndarray:  # noqa: A002
    lo, hi = (x.min(), x.max()) if min == max else (min, max)
    lo, hi = (lo - 1, hi + 1) if lo == hi else (lo, hi)
    return np.histogram(x, bins=bins, range=(lo, hi))[0].astype(x.dtype)


# ---------------------------------------------------------------- ops/pieces.py
def _weighted(pieces: Any, dim: int, cat: Any) -> Any:
    """The pieces put back with the i-th times (i + 1): checks where each gradient goes."""
    return cat([p * (i + 1.0) for i, p in enumerate(pieces)], dim)


def _torch_sizes(n: int, size: int) -> list:
    return [min(size, n - a) for a in range(0, n, size)] or [0]


def _np_cut(x: np.ndarray, sizes: list, dim: int) -> list:
    bounds = np.cumsum([0] + list(sizes))
    return [np.take(x, np.arange(a, b), axis=dim) for a, b in zip(bounds[:-1], bounds[1:])]


def _chunk_ref(x: np.ndarray, chunks: int, dim: int = 0) -> np.ndarray:
    n = x.shape[dim]
    return _weighted(_np_cut(x, _torch_sizes(n, -(-n // chunks)), dim), dim, np.concatenate)


def _split_ref(x: np.ndarray, split_size_or_sections: Any, dim: int = 0) -> np.ndarray:
    s = split_size_or_sections
    sizes = _torch_sizes(x.shape[dim], s) if isinstance(s, int) else s
    return _weighted(_np_cut(x, sizes, dim), dim, np.concatenate)


def _dim_of(data: Any, shape: tuple) -> int:
    return data.draw(st.integers(-len(shape), len(shape) - 1), label="dim")


def draw_chunk(data: Any) -> tuple:
    shape = data.draw(D.SMALL_SHAPE, label="shape")
    return (shape,), {"chunks": data.draw(st.integers(1, 4), label="chunks"),
                      "dim": _dim_of(data, shape)}


def draw_split(data: Any) -> tuple:
    shape = data.draw(D.SMALL_SHAPE, label="shape")
    return (shape,), {"split_size_or_sections": data.draw(st.integers(1, 3), label="size"),
                      "dim": _dim_of(data, shape)}


def draw_narrow(data: Any) -> tuple:
    shape = data.draw(D.SMALL_SHAPE, label="shape")
    dim = _dim_of(data, shape)
    n = shape[dim]
    start = data.draw(st.integers(-n, n - 1), label="start")
    s = start % n
    return (shape,), {"dim": dim, "start": start,
                      "length": data.draw(st.integers(0, n - s), label="length")}


def draw_select(data: Any) -> tuple:
    shape = data.draw(D.SMALL_SHAPE, label="shape")
    dim = _dim_of(data, shape)
    return (shape,), {"dim": dim,
                      "index": data.draw(st.integers(-shape[dim], shape[dim] - 1), label="i")}


def draw_unbind(data: Any) -> tuple:
    shape = data.draw(D.SMALL_SHAPE, label="shape")
    return (shape,), {"dim": _dim_of(data, shape)}


def draw_meshgrid(data: Any) -> tuple:
    n = st.integers(0, 3)
    return ((data.draw(n, label="n0"),), (data.draw(n, label="n1"),)), {
        "indexing": data.draw(st.sampled_from(["ij", "xy"]), label="indexing")}


ROWS = [
    # ---------------------------------------------------------------- prod (scan.py)
    OpRow("prod", ag.prod, _prod_ref, PROD, method="prod", family="reduction", draw=D.reduce),
    # every other element 0: one and several zeros per reduced slice (PyTorch's rule)
    OpRow("prod_with_zeros", ag.prod, _prod_ref, PROD[:4] + PROD[6:], domain=with_zeros,
          op="prod"),
    OpRow("prod_one_zero", ag.prod, _prod_ref, [C((4,)), C((2, 3), axis=1), C((3, 2), dim=0),
                                                C((2, 2, 2), axis=(1, 2))],
          domain=one_zero, op="prod"),
    # ---------------------------------------------------------------- cumulative
    OpRow("cumsum", ag.cumsum, _cumsum_ref, SCAN, method="cumsum", draw=dim1),
    OpRow("cumprod", ag.cumprod, _cumprod_ref, SCAN, method="cumprod", draw=dim1),
    OpRow("cumprod_with_zeros", ag.cumprod, _cumprod_ref, SCAN[:4] + [C((6,), dim=0)],
          domain=with_zeros, op="cumprod"),
    OpRow("cumprod_one_zero", ag.cumprod, _cumprod_ref, SCAN[:4], domain=one_zero,
          op="cumprod"),
    OpRow("cummax", values_of(ag.cummax), _cummax_ref, SCAN, domain=distinct, method="cummax",
          draw=dim1),
    OpRow("cummin", values_of(ag.cummin), _cummin_ref, SCAN, domain=distinct, method="cummin",
          draw=dim1),
]


# ----------------------------------------------------------------------------- norm, sorting
def zeros(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    return np.zeros(shape)


def norm_draw(data: Any) -> tuple:
    shapes, kw = D.reduce(data)
    kw["p"] = data.draw(st.sampled_from(["fro", 2, 1, 3, 1.5, 0, np.inf, -np.inf, "nuc"]),
                        label="p")
    return shapes, kw


def norm_ok(arrays: list, kw: dict) -> bool:
    """Smooth: p = 2 or 3 away from a zero norm, other p away from x = 0 and ties in |x|."""
    a = np.abs(arrays[0])
    if kw.get("p") in (0, "nuc") or not np.all(np.isfinite(a)):
        return False
    if kw.get("p") in ("fro", 2, 3):
        return bool(np.all(a > 1e-3))
    return bool(np.all(a > 1e-3)) and len(np.unique(np.round(a, 3))) == a.size


def sort_draw(data: Any) -> tuple:
    shapes, kw = dim1(data)
    kw["descending"] = data.draw(st.booleans(), label="descending")
    return shapes, kw


def topk_draw(data: Any) -> tuple:
    shapes, kw = dim1(data)
    kw["k"] = data.draw(st.integers(-1, 4), label="k")
    kw["largest"] = data.draw(st.booleans(), label="largest")
    return shapes, kw


def kth_draw(data: Any) -> tuple:
    shapes, kw = dim1(data)
    kw["k"] = data.draw(st.integers(0, 4), label="k")
    kw["keepdim"] = data.draw(st.booleans(), label="keepdim")
    return shapes, kw


def distinct_ok(arrays: list, kw: dict) -> bool:
    """No ties (the sorted order, and so the gradient's positions, do not flip)."""
    a = arrays[0]
    return bool(np.all(np.isfinite(a))) and len(np.unique(np.round(a, 3))) == a.size


def _norm_ref(x: np.ndarray, p: Any = "fro", dim: Any = None, keepdim: bool = False) -> Any:
    p = 2.0 if p == "fro" else float(p)
    a = np.abs(x)
    kw = {"axis": dim, "keepdims": keepdim}
    if np.isinf(p):
        return (np.max if p > 0 else np.min)(a, **kw)
    if p == 0:
        return np.sum(a != 0, **kw).astype(x.dtype)
    return np.sum(a ** p, **kw) ** (1 / p)


def _sort_np(x: np.ndarray, dim: int, descending: bool) -> tuple:
    """(values, indices) of a stable sort; descending keeps ties in their order."""
    x1 = x.reshape(1) if x.ndim == 0 else x
    key = -x1 if descending else x1
    idx = np.argsort(key, axis=dim, kind="stable")
    vals = np.take_along_axis(x1, idx, dim)
    return (vals.reshape(x.shape), idx.reshape(x.shape)) if x.ndim == 0 else (vals, idx)


def _sort_ref(x: np.ndarray, dim: int = -1, descending: bool = False) -> np.ndarray:
    return _sort_np(x, dim, descending)[0]


def _argsort_ref(x: np.ndarray, dim: int = -1, descending: bool = False) -> np.ndarray:
    return _sort_np(x, dim, descending)[1]


def _topk_ref(x: np.ndarray, k: int, dim: int = -1, largest: bool = True) -> np.ndarray:
    if not 0 <= k <= (x.shape[dim] if x.ndim else 1):
        raise ValueError("topk: k out of range")
    v = _sort_np(x, dim, largest)[0]
    return v if x.ndim == 0 else np.take(v, np.arange(k), axis=dim)


def _kth_ref(x: np.ndarray, k: int, dim: int = -1, keepdim: bool = False) -> np.ndarray:
    if not 1 <= k <= (x.shape[dim] if x.ndim else 1):
        raise ValueError("kthvalue: k out of range")
    v = _sort_np(x, dim, False)[0]
    return v if x.ndim == 0 else np.take(v, [k - 1] if keepdim else k - 1, axis=dim)


NORM = [C((5,)), C((2, 3), dim=1), C((2, 3), p=1, dim=0), C((2, 3, 2), p=3, dim=(0, 2),
                                                             keepdim=True),
        C(()), C((2, 3), p=np.inf, dim=1), C((3, 2), p=-np.inf), C((2, 3), p=1.5, keepdim=True),
        C((2, 3), p="fro", dim=(0, 1))]
SORT = [C((5,)), C((2, 3), dim=0), C((2, 3), dim=1, descending=True), C((2, 3, 2), dim=-2),
        C(())]

ROWS += [
    # ---------------------------------------------------------------- norm (scan.py)
    OpRow("norm", ag.norm, _norm_ref, NORM, domain=nonzero, method="norm", draw=norm_draw,
          smooth_ok=norm_ok),
    # zeros in the input (a nonzero norm): smooth for p = 2 and 4
    OpRow("norm_with_zeros", ag.norm, _norm_ref, [C((4,)), C((2, 3), dim=1), C((2, 3), p=4,
                                                                              dim=0),
                                                  C((2, 2, 2), dim=(1, 2), keepdim=True)],
          domain=with_zeros, op="norm"),
    # a zero norm: the zero subgradient (first derivatives only: the kink of |x| at 0)
    OpRow("norm_at_zero", ag.norm, _norm_ref, [C((3,)), C((2, 3), dim=1), C((2, 3), p=3, dim=0),
                                               C((2, 2), p=np.inf)],
          domain=zeros, grad=1, op="norm"),
    # ---------------------------------------------------------------- sorting
    OpRow("sort", values_of(ag.sort), _sort_ref, SORT, domain=distinct, method="sort",
          draw=sort_draw, smooth_ok=distinct_ok),
    OpRow("argsort", ag.argsort, _argsort_ref, SORT, domain=distinct, grad=0, method="argsort",
          draw=sort_draw),
    OpRow("topk", values_of(ag.topk), _topk_ref,
          [C((5,), k=2), C((2, 4), k=3, dim=1), C((3, 2), k=1, dim=0, largest=False), C((), k=1),
           C((2, 3), k=0)], domain=distinct, method="topk", draw=topk_draw, smooth_ok=distinct_ok),
    OpRow("kthvalue", values_of(ag.kthvalue), _kth_ref,
          [C((5,), k=2), C((2, 4), k=3, dim=1), C((3, 2), k=1, dim=0, keepdim=True),
           C((1,), k=1)],  # (0-d, where torch also takes bool: tests/ops/test_scan.py)
          domain=distinct, method="kthvalue", draw=kth_draw, smooth_ok=distinct_ok),
    # ---------------------------------------------------------------- ops/truth.py (bool results)
    OpRow("all", ag.all, np.all, REDUCE + [C((2, 3), axis=(0, 1))], domain=with_zeros, grad=0,
          method="all", draw=D.reduce),
    OpRow("any", ag.any, np.any, REDUCE + [C((2, 3), axis=(0, 1))], domain=with_zeros, grad=0,
          method="any", draw=D.reduce),
    *[OpRow(n, getattr(ag, n), getattr(np, n), UNARY, grad=0, method=n, draw=D.unary)
      for n in ("isnan", "isinf", "isfinite", "logical_not")],
    *[OpRow(n, getattr(ag, n), getattr(np, n), BINARY, grad=0, method=n, draw=D.binary)
      for n in ("logical_and", "logical_or", "logical_xor")],
    OpRow("count_nonzero", ag.count_nonzero,
          lambda x, dim=None: np.asarray(np.count_nonzero(x, axis=dim)),
          [C((5,)), C((2, 3), dim=0), C((2, 3), dim=(0, 1)), C((2, 3, 2), dim=-1)],
          domain=with_zeros, grad=0, method="count_nonzero", draw=draw_count),
    OpRow("histc", ag.histc, _histc_ref,
          [C((7,)), C((2, 3), bins=4), C((3, 3), bins=5, min=-1.0, max=1.0)], grad=0,
          method="histc", draw=D.unary),
    OpRow("histogram", lambda x, **kw: ag.histogram(x, **kw).hist,
          lambda x, bins=100, **kw: np.histogram(x, bins, **kw)[0].astype(x.dtype),
          [C((7,)), C((2, 3), bins=4), C((3, 3), bins=5, range=(-1.0, 1.0), density=True)],
          grad=0, op="histogram", draw=D.unary),
    OpRow("chunk", lambda x, chunks, dim=0: _weighted(ag.chunk(x, chunks, dim), dim, ag.cat),
          _chunk_ref, [C((5, 2), chunks=2), C((3, 4), chunks=3, dim=1), C((4,), chunks=4),
                       C((2, 5), chunks=2, dim=-1)], method="chunk", draw=draw_chunk),
    OpRow("split", lambda x, split_size_or_sections, dim=0: _weighted(
              ag.split(x, split_size_or_sections, dim), dim, ag.cat),
          _split_ref, [C((5, 2), split_size_or_sections=2),
                       C((5, 3), split_size_or_sections=[1, 4]),
                       C((2, 6), split_size_or_sections=[3, 0, 3], dim=1)],
          method="split", draw=draw_split),
    OpRow("narrow", ag.narrow, lambda x, dim, start, length: np.take(
              x, np.arange(start % x.shape[dim], start % x.shape[dim] + length), axis=dim),
          [C((5, 2), dim=0, start=1, length=3), C((3, 4), dim=1, start=-3, length=2),
           C((4,), dim=0, start=0, length=0)], method="narrow", draw=draw_narrow),
    OpRow("select", ag.select, lambda x, dim, index: np.take(x, index, axis=dim),
          [C((5, 2), dim=0, index=1), C((3, 4), dim=1, index=-1), C((2, 3, 2), dim=2, index=0)],
          method="select", draw=draw_select),
    OpRow("unbind", lambda x, dim=0: _weighted([p.unsqueeze(dim) for p in ag.unbind(x, dim)],
                                               dim, ag.cat),
          lambda x, dim=0: _weighted([np.take(x, [i], axis=dim) for i in range(x.shape[dim])],
                                     dim, np.concatenate),
          [C((3, 2)), C((2, 4), dim=1), C((2, 3, 2), dim=-1)], method="unbind",
          draw=draw_unbind),
    OpRow("meshgrid", lambda a, b, indexing="ij": ag.stack(ag.meshgrid(a, b, indexing=indexing))
          * ag.tensor([1.0, 2.0]).reshape(2, 1, 1),
          lambda a, b, indexing="ij": np.stack(np.meshgrid(a, b, indexing=indexing))
          * np.array([1.0, 2.0]).reshape(2, 1, 1),
          [C((3,), (4,)), C((2,), (5,), indexing="xy"), C((), (3,))], draw=draw_meshgrid),
    OpRow("equal", lambda a, b: ag.tensor(ag.equal(a, b)),
          lambda a, b: np.asarray(a.shape == b.shape and np.array_equal(a, b)), BINARY,
          grad=0, op="equal", draw=D.binary),
]

#: Rows that are not twice differentiable, and why (tests/ops/test_gradcheck.py).
WHY = {"argsort": "integer result", "all": "bool result", "any": "bool result",
       "equal": "bool result", "count_nonzero": "integer result", "histc": "counts",
       "histogram": "counts",
       **{n: "bool result" for n in ("isnan", "isinf", "isfinite", "logical_not",
                                     "logical_and", "logical_or", "logical_xor")},
       "norm_at_zero": "at a zero norm only the first derivative (the zero subgradient) exists: "
                       "|x| has a kink at 0"}
