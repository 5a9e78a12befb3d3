"""Catalog rows for ``autograd_lite/ops/indexing.py``: gather, scatter, scatter_add,
index_select, masked_fill, flip, roll, repeat, tile, tril, triu, diag, diagonal, trace.

Appended to ``tests.ops.op_catalog.ROWS`` (one line there); the same ``OpRow``/``C`` helpers.
Index inputs are int64 arrays (constants); the references follow PyTorch's definitions
element by element (loops), independently of the library's NumPy kernels. The scatter rows
use indices that never repeat along ``dim`` (a scatter with repeated indices writes one of
the values, so its gradient for ``src`` is PyTorch's rule, not a derivative).
"""
from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd_lite as ag
from tests.ops import fuzz_draws as D
from tests.ops import op_catalog as _cat
from tests.ops.op_catalog import C, OpRow, boolean, real


# ----------------------------------------------------------------------------- inputs
def index_gen(unique: bool = False, n_float_after: int = 0) -> Any:
    """gen(rng, shapes) for (x, index[, src...]): index values valid for every dim of x
    (below min(x.shape)); ``unique``: never repeated along any dim (a Latin construction:
    (offset + sum of the coordinates) mod m), else random with repeats."""
    def gen(rng: np.random.Generator, shapes: tuple) -> list:
        xs, ish = shapes[0], shapes[1]
        m = min(xs) if xs else 1
        if m == 0 and int(np.prod(ish, dtype=np.int64)):
            raise ValueError("no valid index for an empty input")
        if unique:
            if any(n > m for n in ish):
                raise ValueError("cannot make indices that never repeat for these shapes")
            idx = (rng.integers(max(m, 1)) + np.indices(ish).sum(axis=0)) % max(m, 1)
        else:
            idx = rng.integers(0, max(m, 1), ish)
        return [real(rng, xs), np.asarray(idx, dtype=np.int64)] + [real(rng, s)
                                                                    for s in shapes[2:]]
    return gen


def _mask_gen(rng: np.random.Generator, shapes: tuple) -> list:
    return [real(rng, shapes[0]), boolean(rng, shapes[1])] + [real(rng, s) for s in shapes[2:]]


# ----------------------------------------------------------------------------- references
def _nd1(a: Any) -> np.ndarray:
    a = np.asarray(a)
    return a.reshape(1) if a.ndim == 0 else a


def gather_ref(x: np.ndarray, index: np.ndarray, dim: int) -> np.ndarray:
    x1, i1 = _nd1(x), _nd1(index)
    d = dim % x1.ndim
    out = np.empty(i1.shape, dtype=x1.dtype)
    for pos in np.ndindex(*i1.shape):
        at = list(pos)
        at[d] = i1[pos]
        out[pos] = x1[tuple(at)]
    return out.reshape(np.shape(index))


def scatter_ref(x: np.ndarray, index: np.ndarray, src: Any, dim: int, add: bool = False
                ) -> np.ndarray:
    out = _nd1(np.array(x, copy=True))
    i1 = _nd1(index)
    s1 = np.asarray(src)  # (0-d: one value written everywhere)
    d = dim % out.ndim
    for pos in np.ndindex(*i1.shape):
        at = list(pos)
        at[d] = i1[pos]
        v = s1[pos] if s1.ndim else s1
        if add:
            out[tuple(at)] += v
        else:
            out[tuple(at)] = v
    return out.reshape(np.shape(x))


def index_select_ref(x: np.ndarray, index: np.ndarray, dim: int) -> np.ndarray:
    if np.ndim(x) == 0:
        return np.asarray(x).copy()
    d = dim % x.ndim
    out = np.empty(x.shape[:d] + (np.size(index),) + x.shape[d + 1:], dtype=x.dtype)
    for j, i in enumerate(np.ravel(index)):
        out[(slice(None),) * d + (j,)] = np.take(x, int(i), axis=d)
    return out


def value_of(value: Any, dtype: np.dtype) -> np.ndarray:
    """A number written into a tensor of ``dtype``, as PyTorch: refused if it overflows (an
    unsigned dtype takes the negative ints of its signed twin, wrapping around)."""
    v, dtype = np.asarray(value), np.dtype(dtype)
    if dtype.kind == "f" and v.dtype.kind == "f" and np.isfinite(v) and \
            abs(float(v)) > float(np.finfo(dtype).max):
        raise ValueError("value overflows")
    if dtype.kind in "iu" and v.dtype.kind in "iuf":
        info = np.iinfo(dtype)
        lo = -(int(info.max) + 1) // 2 if dtype.kind == "u" and v.dtype.kind != "f" else info.min
        if not (np.isfinite(v) and lo <= v <= info.max):
            raise ValueError("value overflows")
    with np.errstate(all="ignore"):
        return np.array(int(v) if dtype.kind in "iu" else v).astype(dtype)


def masked_fill_ref(x: np.ndarray, mask: np.ndarray, value: Any) -> np.ndarray:
    x = np.asarray(x)
    return np.where(mask, value_of(value, x.dtype) if np.ndim(value) == 0 and not
                    isinstance(value, np.ndarray) else np.asarray(value).astype(x.dtype), x)


# ----------------------------------------------------------------------------- fuzz draws
def _dim_draw(data: Any, nd: int) -> int:
    n = max(nd, 1)
    return data.draw(st.integers(-n - 1, n), label="dim")


def _index_shape(data: Any, xs: tuple, dim: int) -> tuple:
    """Mostly x's shape with sides shrunk (and the dim side any length); now and then an
    arbitrary shape (usually invalid)."""
    if data.draw(st.integers(0, 5)) == 0 or not xs:
        return data.draw(D.SHAPE, label="index shape")
    d = dim % len(xs) if -len(xs) <= dim < len(xs) else 0
    return tuple(data.draw(st.integers(0, 3)) if k == d else data.draw(st.integers(0, n))
                 for k, n in enumerate(xs))


def gather_draw(data: Any) -> tuple:
    xs = data.draw(D.SHAPE, label="shape")
    dim = _dim_draw(data, len(xs))
    return (xs, _index_shape(data, xs, dim)), {"dim": dim}


def scatter_draw(data: Any) -> tuple:
    (xs, ish), kw = gather_draw(data)
    src = ish if data.draw(st.integers(0, 3)) else data.draw(D.SHAPE, label="src shape")
    return (xs, ish, src), kw


def index_select_draw(data: Any) -> tuple:
    xs = data.draw(D.SHAPE, label="shape")
    n = data.draw(st.integers(0, 4))
    ish = (n,) if data.draw(st.integers(0, 5)) else data.draw(D.SHAPE, label="index shape")
    return (xs, ish), {"dim": _dim_draw(data, len(xs))}


def masked_fill_draw(data: Any) -> tuple:
    shapes = data.draw(D.shapes_pair(2), label="shapes")
    value = data.draw(st.sampled_from([0.0, -1.5, 3, True, np.nan, np.inf, 1e300]), label="value")
    return shapes, {"value": value}


def index_arrays(data: Any, shapes: tuple, kw: dict) -> list:
    """Robust-phase inputs: x of any dtype, int64 indices mostly in range (sometimes -1 or
    the size), src mostly of x's dtype."""
    x = data.draw(D.array(shapes[0]), label="x")
    nd = max(x.ndim, 1)
    dim = kw["dim"]
    size = (x.shape[dim % x.ndim] if x.ndim else 1) if -nd <= dim < nd else 1
    ids = st.integers(0, max(size - 1, 0)) | st.sampled_from([-1, size, 2 ** 40])
    idx = data.draw(hnp.arrays(np.int64, shapes[1], elements=ids), label="index")
    out = [x, idx]
    for s in shapes[2:]:
        dt = x.dtype if data.draw(st.integers(0, 5)) else np.float64
        out.append(data.draw(hnp.arrays(dt, s, elements=D.elements(dt)), label="src"))
    return out


# ----------------------------------------------------------------------------- the rows
GATHER = [C((3, 4), (2, 4), dim=0), C((3, 4), (3, 2), dim=1), C((2, 3, 4), (2, 2, 4), dim=-1),
          C((4,), (6,), dim=0), C((), (), dim=0), C((2, 3), (2, 0), dim=1)]
SCATTER = [C((3, 4), (2, 3), (2, 3), dim=0), C((3, 3), (3, 2), (3, 2), dim=1),
           C((2, 3, 2), (2, 2, 2), (2, 2, 2), dim=-2), C((), (), (), dim=0),
           C((4,), (2,), (2,), dim=0)]
LARGER_SRC = [C((3, 4), (2, 2), (3, 3), dim=0), C((3, 3), (2, 1), (3, 2), dim=1),
              C((4,), (2,), (3,), dim=0)]

ROWS: list[OpRow] = [
    OpRow("gather", lambda x, index, dim: ag.gather(x, dim, index), gather_ref, GATHER,
          gen=index_gen(), method="gather", draw=gather_draw, robust_gen=index_arrays,
          const_inputs=(1,)),
    OpRow("scatter", lambda x, index, src, dim: ag.scatter(x, dim, index, src),
          scatter_ref, SCATTER, gen=index_gen(unique=True), method="scatter",
          draw=scatter_draw, robust_gen=index_arrays, const_inputs=(1,)),
    OpRow("scatter_larger_src", lambda x, index, src, dim: x.scatter(dim, index, src),
          scatter_ref, LARGER_SRC, gen=index_gen(unique=True), op="scatter"),
    OpRow("scatter_value", lambda x, index, dim: ag.scatter(x, dim, index, value=-2.5),
          lambda x, index, dim: scatter_ref(x, index, value_of(-2.5, x.dtype), dim),
          [C((3, 4), (2, 3), dim=0), C((3, 3), (3, 2), dim=1), C((), (), dim=0),
           C((2, 3, 2), (2, 2, 2), dim=2)], gen=index_gen(unique=True), op="scatter"),
    OpRow("scatter_add", lambda x, index, src, dim: ag.scatter_add(x, dim, index, src),
          lambda x, index, src, dim: scatter_ref(x, index, src, dim, add=True),
          [C((3, 4), (2, 4), (2, 4), dim=0), C((3, 3), (3, 5), (3, 5), dim=1),
           C((2, 3, 2), (2, 4, 2), (2, 4, 2), dim=-2), C((), (), (), dim=0),
           C((4,), (7,), (7,), dim=0)], gen=index_gen(), method="scatter_add",
          draw=scatter_draw, robust_gen=index_arrays, const_inputs=(1,)),
    OpRow("scatter_add_larger_src", lambda x, index, src, dim: x.scatter_add(dim, index, src),
          lambda x, index, src, dim: scatter_ref(x, index, src, dim, add=True), LARGER_SRC,
          gen=index_gen(), op="scatter_add"),
    OpRow("index_select", lambda x, index, dim: ag.index_select(x, dim, index),
          index_select_ref,
          [C((4, 3), (5,), dim=0), C((2, 4), (3,), dim=1), C((2, 3, 2), (2,), dim=-1),
           C((), (), dim=0), C((3, 2), (), dim=0), C((2, 3), (0,), dim=1)],
          gen=index_gen(), method="index_select", draw=index_select_draw,
          robust_gen=index_arrays, const_inputs=(1,)),
    OpRow("masked_fill", lambda x, mask, value: ag.masked_fill(x, mask, value),
          masked_fill_ref,
          [C((2, 3), (3,), value=-1.5), C((2, 3), (2, 3), value=0.0),
           C((3,), (2, 1, 3), value=2.0), C((), (), value=3.0), C((2, 1), (1, 3), value=-4.0)],
          gen=_mask_gen, method="masked_fill", draw=masked_fill_draw, const_inputs=(1,)),
    OpRow("masked_fill_tensor_value", lambda x, mask, v: x.masked_fill(mask, v),
          masked_fill_ref, [C((2, 3), (3,), ()), C((4,), (4,), ()), C((2, 1), (2, 3), ())],
          gen=_mask_gen, op="masked_fill"),
]


# ----------------------------------------------------------------------------- structural ops
def _ints_draw(data: Any, lo: int, hi: int, n_lo: int, n_hi: int, label: str) -> Any:
    one = st.integers(lo, hi)
    return data.draw(one | st.lists(one, min_size=n_lo, max_size=n_hi).map(tuple), label=label)


def flip_draw(data: Any) -> tuple:
    shape = data.draw(D.SHAPE, label="shape")
    nd = max(len(shape), 1)
    return (shape,), {"dims": _ints_draw(data, -nd - 1, nd, 0, nd + 1, "dims")}


def roll_draw(data: Any) -> tuple:
    shape = data.draw(D.SHAPE, label="shape")
    nd = max(len(shape), 1)
    kw = {"shifts": _ints_draw(data, -4, 4, 1, 2, "shifts")}
    if data.draw(st.booleans(), label="with dims"):
        kw["dims"] = _ints_draw(data, -nd - 1, nd, 1, 2, "dims")
    return (shape,), kw


def repeat_draw(data: Any) -> tuple:
    shape = data.draw(D.SHAPE, label="shape")
    n = data.draw(st.integers(max(len(shape) - 1, 0), len(shape) + 1), label="n sizes")
    sizes = tuple(data.draw(st.integers(-1, 3) if data.draw(st.integers(0, 9)) == 0 else
                            st.integers(0, 3)) for _ in range(n))
    return (shape,), {"sizes": sizes}


def tile_draw(data: Any) -> tuple:
    (shape,), kw = repeat_draw(data)
    return (shape,), {"dims": kw["sizes"][:data.draw(st.integers(0, len(kw["sizes"])))]}


def diagonal_arg_draw(data: Any) -> tuple:
    shape = data.draw(D.SHAPE, label="shape")
    return (shape,), {"diagonal": data.draw(st.integers(-3, 3), label="diagonal")}


def diagonal_draw(data: Any) -> tuple:
    shape = data.draw(D.SHAPE, label="shape")
    nd = max(len(shape), 1)
    dim = st.integers(-nd - 1, nd)
    return (shape,), {"offset": data.draw(st.integers(-3, 3), label="offset"),
                      "dim1": data.draw(dim, label="dim1"), "dim2": data.draw(dim, label="dim2")}


def flip_ref(x: np.ndarray, dims: Any) -> np.ndarray:
    return np.asarray(x).copy() if np.ndim(x) == 0 else np.flip(x, dims)


def roll_ref(x: np.ndarray, shifts: Any, dims: Any = None) -> np.ndarray:
    return np.roll(x, shifts, axis=dims)


ROWS += [
    OpRow("flip", lambda x, dims: ag.flip(x, dims), flip_ref,
          [C((2, 3), dims=(0,)), C((2, 3, 2), dims=(0, 2)), C((4,), dims=0), C((), dims=0),
           C((2, 3), dims=(-1,))], method="flip", draw=flip_draw),
    OpRow("roll", ag.roll, roll_ref,
          [C((5,), shifts=2), C((2, 3), shifts=1), C((2, 3), shifts=(1, -2), dims=(0, 1)),
           C((2, 3, 2), shifts=4, dims=1), C((), shifts=3)], method="roll", draw=roll_draw),
    OpRow("repeat", lambda x, sizes: ag.repeat(x, *sizes), lambda x, sizes: np.tile(x, sizes),
          [C((2, 3), sizes=(2, 1)), C((3,), sizes=(2, 2)), C((), sizes=(3,)),
           C((2, 1, 2), sizes=(1, 3, 2)), C((2, 2), sizes=(0, 1))], method="repeat",
          draw=repeat_draw),
    OpRow("tile", lambda x, dims: ag.tile(x, dims), lambda x, dims: np.tile(x, dims),
          [C((2, 3), dims=(2,)), C((3,), dims=(2, 2)), C((2, 1, 2), dims=(3, 1, 1)),
           C((), dims=(2,)), C((2, 2), dims=())], method="tile", draw=tile_draw),
    OpRow("tril", ag.tril, lambda x, diagonal=0: np.tril(x, diagonal),
          [C((3, 3)), C((2, 4), diagonal=1), C((2, 3, 3), diagonal=-1), C((3, 2), diagonal=-5)],
          method="tril", draw=diagonal_arg_draw),
    OpRow("triu", ag.triu, lambda x, diagonal=0: np.triu(x, diagonal),
          [C((3, 3)), C((2, 4), diagonal=1), C((2, 3, 3), diagonal=-1), C((3, 2), diagonal=5)],
          method="triu", draw=diagonal_arg_draw),
    OpRow("diag", ag.diag, lambda x, diagonal=0: np.diag(x, diagonal),
          [C((3,)), C((3,), diagonal=1), C((2,), diagonal=-2), C((3, 4)), C((3, 4), diagonal=-1),
           C((2, 3), diagonal=5)], method="diag", draw=diagonal_arg_draw),
    OpRow("diagonal", ag.diagonal,
          lambda x, offset=0, dim1=0, dim2=1: np.diagonal(x, offset, dim1, dim2),
          [C((3, 4)), C((3, 4), offset=1), C((2, 3, 4), offset=-1, dim1=1, dim2=2),
           C((2, 3, 4), dim1=2, dim2=0), C((3, 3), offset=4)], method="diagonal",
          draw=diagonal_draw),
    OpRow("trace", ag.trace, np.trace, [C((3, 3)), C((2, 4)), C((4, 2)), C((1, 1))],
          method="trace", draw=D.unary),
]


# ----------------------------------------------------------------------------- PyTorch's names
def _clamp_draw(which: str) -> Any:
    def draw(data: Any) -> tuple:
        (shape,), kw = D.clip(data)
        b = kw.get(which)
        return (shape,), {which: 0.0 if b is None else b}
    return draw


_CMP_REFS = {"eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal,
             "gt": np.greater, "ge": np.greater_equal}
#: Rows that are not twice differentiable, and why (tests/ops/test_gradcheck.py).
WHY = {k: "bool result" for k in _CMP_REFS}

ROWS += [
    OpRow("t", ag.t, np.transpose, [C((2, 3)), C((3,)), C(()), C((1, 4))], method="t",
          draw=D.unary),
    OpRow("mm", ag.mm, np.matmul, [C((2, 3), (3, 4)), C((1, 2), (2, 1)), C((3, 3), (3, 2))],
          method="mm", draw=D.matmul),
    OpRow("mv", ag.mv, np.matmul, [C((2, 3), (3,)), C((1, 2), (2,)), C((4, 1), (1,))],
          method="mv", draw=D.matmul),
    OpRow("dot", ag.dot, np.dot, [C((3,), (3,)), C((1,), (1,)), C((5,), (5,))], method="dot",
          draw=D.matmul),
    OpRow("outer", ag.outer, np.outer, [C((3,), (2,)), C((1,), (4,)), C((2,), (2,))],
          method="outer", draw=D.matmul, errname=("outer", "mul")),
    *[OpRow(k, getattr(ag, k), ref, _cat.BINARY, grad=0, method=k, draw=D.binary, errname="")
      for k, ref in _CMP_REFS.items()],
    OpRow("clamp", ag.clamp, np.clip,
          [C((5,), min=-0.5, max=0.7), C((2, 3), min=-0.5), C((2, 3), max=0.7),
           C((), min=-0.5, max=0.7)], gen=_cat._clip_input, draw=D.clip, smooth_ok=D.clip_ok,
          errname="clip"),
    OpRow("clamp_min", ag.clamp_min, lambda x, min: np.maximum(x, min),
          [C((5,), min=-0.5), C((2, 3), min=0.7), C((), min=-0.5)], gen=_cat._clip_input,
          method="clamp_min", draw=_clamp_draw("min"), smooth_ok=D.clip_ok, errname="clip"),
    OpRow("clamp_max", ag.clamp_max, lambda x, max: np.minimum(x, max),
          [C((5,), max=0.7), C((2, 3), max=-0.5), C((), max=0.7)], gen=_cat._clip_input,
          method="clamp_max", draw=_clamp_draw("max"), smooth_ok=D.clip_ok, errname="clip"),
]
