"""Property-based fuzzing of every op (hypothesis).

For each op of the public API (the rows of ``tests/ops/op_catalog.py`` plus the
non-differentiable ones), hypothesis draws shapes (0-d, zero-size dimensions, broadcasting
pairs and mismatched ones), dtypes (float32/float64, int64 and bool where the op may accept
them), arguments (axes in and out of range, bad reshape targets, pads, indices...) and values
(0, -0.0, huge, tiny, subnormal, NaN, +-Inf). Every call must either

- return a Tensor whose backward (when it requires grad) runs and gives each input a gradient
  of its shape and dtype, or
- raise one of the library's documented exceptions: ``ValueError`` / ``TypeError`` /
  ``RuntimeError`` with a message naming the op (``IndexError`` only from indexing with an
  out-of-range index, as Python and PyTorch do). Never an internal error: no AttributeError,
  ZeroDivisionError, KeyError, a bare NumPy AxisError or broadcasting message.

Then, with values from the op's smooth domain (the catalog's, away from kinks and poles) on
the same random shapes, a float64 ``gradcheck`` must pass whenever the sizes are small.

Examples per op come from the hypothesis profile in ``tests/conftest.py``
(``HYPOTHESIS_PROFILE=ci``, the default: 50 per op; ``thorough``: 500).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pytest
from hypothesis import event, given, note
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd_lite as ag
from autograd_lite.testing import GradcheckError, gradcheck
from tests.ops import op_catalog as cat

FLOATS = (np.float32, np.float64)
ALL_DTYPES = (np.float32, np.float64, np.int64, np.bool_)
GRADCHECK_MAX = 24  # gradcheck only when inputs and output have at most this many elements


# ----------------------------------------------------------------------------- values
def _specials(dtype: Any) -> list:
    fi = np.finfo(dtype)
    return [0.0, -0.0, 1.0, -1.0, float(fi.max), -float(fi.max), float(fi.tiny),
            float(fi.smallest_subnormal), 1e4, -1e4, np.nan, np.inf, -np.inf]


def _elements(dtype: Any) -> st.SearchStrategy:
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return st.booleans()
    if dtype.kind == "i":
        return st.integers(-5, 5) | st.sampled_from([0, -(2 ** 62), 2 ** 62])
    width = 32 if dtype == np.float32 else 64
    return st.sampled_from(_specials(dtype)) | st.floats(-10, 10, width=width)


@st.composite
def _array(draw: Any, shape: tuple, dtypes: tuple = ALL_DTYPES) -> np.ndarray:
    dtype = draw(st.sampled_from(dtypes))
    return draw(hnp.arrays(dtype, shape, elements=_elements(dtype)))


# Zero-size dimensions in about half of the shapes (``min_side=0`` alone draws them so often
# that reductions would mostly see empty tensors).
SHAPE = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3) | \
    hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3)
SMALL_SHAPE = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3)


@st.composite
def _shapes_pair(draw: Any, n: int = 2) -> tuple:
    """Mostly broadcast-compatible shapes (incl. zero-size); sometimes arbitrary ones."""
    if draw(st.integers(0, 4)) == 0:
        return tuple(draw(SHAPE) for _ in range(n))
    bs = draw(hnp.mutually_broadcastable_shapes(num_shapes=n, min_dims=0, max_dims=3,
                                                min_side=0, max_side=3))
    return tuple(bs.input_shapes)


def _axis(draw: Any, nd: int, allow_none: bool = True, allow_tuple: bool = True) -> Any:
    lim = nd + 1
    one = st.integers(-lim, lim)
    opts = [one]
    if allow_none:
        opts.append(st.none())
    if allow_tuple and nd:
        opts.append(st.lists(st.integers(-nd, nd - 1), min_size=1, max_size=nd,
                             unique=True).map(tuple))
    return draw(st.one_of(*opts))


# ----------------------------------------------------------------------------- op specs
@dataclass
class Spec:
    """How to fuzz one op: ``draw(data) -> (shapes, kwargs)``; ``fn(*tensors, **kwargs)``."""

    name: str
    fn: Callable
    draw: Callable
    domain: Any = cat.real  # sampler(s) for the gradcheck phase (smooth region)
    gen: Callable | None = None  # gen(rng, shapes) -> arrays, overrides domain
    diff: bool = True  # differentiable: gradcheck in the smooth phase
    dtypes: tuple = ALL_DTYPES  # dtypes drawn for the robustness phase
    const_inputs: tuple = ()  # positions that are never floats requiring grad (e.g. masks)
    # robust_gen(data, shapes, kwargs) -> arrays: overrides the dtype/special-value draw
    # (for integer class targets and indices, which must mostly be valid to reach the math)
    robust_gen: Callable | None = None
    nograd: tuple = ()  # float inputs not differentiated by the gradcheck (e.g. +-1 labels)
    errname: Any = None  # word(s) one of which the op's ValueErrors must contain ("": none)
    smooth_ok: Callable | None = None  # (arrays, kwargs) -> bool: point is differentiable
    catalog: tuple = ()  # catalog rows this spec covers
    extra: dict = field(default_factory=dict)

    def err_words(self) -> tuple:
        words = self.name if self.errname is None else self.errname
        return (words,) if isinstance(words, str) else tuple(words)


def _unary(data: Any) -> tuple:
    return (data.draw(SHAPE, label="shape"),), {}


def _binary(data: Any) -> tuple:
    return data.draw(_shapes_pair(2), label="shapes"), {}


def _reduce(data: Any) -> tuple:
    shape = data.draw(SHAPE, label="shape")
    axis = _axis(data.draw, len(shape))
    kw = {"axis": axis, "keepdims": data.draw(st.booleans())}
    return (shape,), kw


def _reduce_ddof(data: Any) -> tuple:
    shapes, kw = _reduce(data)
    kw["ddof"] = data.draw(st.integers(0, 2))
    return shapes, kw


def _axis1(data: Any) -> tuple:
    shape = data.draw(SHAPE, label="shape")
    return (shape,), {"axis": data.draw(st.integers(-len(shape) - 1, len(shape)))}


def _arg(data: Any) -> tuple:
    shape = data.draw(SHAPE, label="shape")
    kw = {"axis": data.draw(st.none() | st.integers(-len(shape) - 1, len(shape))),
          "keepdims": data.draw(st.booleans())}
    return (shape,), kw


def _pow_scalar(data: Any) -> tuple:
    shape = data.draw(SHAPE)
    p = data.draw(st.sampled_from([0, 1, 2, 3, -1, -2, 0.5, -1.5, 2.5, 0.0, np.nan, np.inf]))
    return (shape,), {"p": p}


def _clip(data: Any) -> tuple:
    shape = data.draw(SHAPE)
    bound = st.none() | st.sampled_from([-0.5, 0.7, 0.0, -np.inf, np.inf, np.nan]) | \
        st.floats(-3, 3)
    return (shape,), {"min": data.draw(bound), "max": data.draw(bound)}


def _astype(data: Any) -> tuple:
    return (data.draw(SHAPE),), {"dtype": data.draw(st.sampled_from(ALL_DTYPES))}


def _where(data: Any) -> tuple:
    return data.draw(_shapes_pair(3)), {}


def _valid_reshape(draw: Any, shape: tuple) -> tuple:
    size = int(np.prod(shape, dtype=np.int64))
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return draw(SHAPE)  # arbitrary: usually invalid
    if kind == 1:
        return (size,)
    if kind == 2 and shape:
        t = list(shape[::-1])
        t[draw(st.integers(0, len(t) - 1))] = -1
        return tuple(t)
    return tuple(shape) + (1,)


def _reshape(data: Any) -> tuple:
    shape = data.draw(SHAPE)
    return (shape,), {"shape": _valid_reshape(data.draw, shape)}


def _flatten(data: Any) -> tuple:
    shape = data.draw(SHAPE)
    nd = len(shape)
    return (shape,), {"start_dim": data.draw(st.integers(-nd - 1, nd)),
                      "end_dim": data.draw(st.integers(-nd - 1, nd))}


def _squeeze(data: Any) -> tuple:
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=2))
    return (shape,), {"axis": _axis(data.draw, len(shape))}


def _unsqueeze(data: Any) -> tuple:
    shape = data.draw(SHAPE)
    return (shape,), {"dim": data.draw(st.integers(-len(shape) - 2, len(shape) + 1))}


def _transpose(data: Any) -> tuple:
    shape = data.draw(SHAPE)
    nd = len(shape)
    return (shape,), {"dim0": data.draw(st.integers(-nd - 1, nd)),
                      "dim1": data.draw(st.integers(-nd - 1, nd))}


def _permute(data: Any) -> tuple:
    shape = data.draw(SHAPE)
    nd = len(shape)
    if data.draw(st.booleans()):
        dims = tuple(data.draw(st.permutations(list(range(nd)))))
    else:
        dims = tuple(data.draw(st.lists(st.integers(-nd - 1, nd), max_size=nd + 1)))
    return (shape,), {"dims": dims}


def _broadcast_target(data: Any) -> tuple:
    shape = data.draw(SHAPE)
    if data.draw(st.integers(0, 3)) == 0:
        return shape, data.draw(SHAPE)
    target = data.draw(hnp.broadcastable_shapes(shape, min_dims=len(shape), max_dims=4,
                                                min_side=0, max_side=3))
    target = np.broadcast_shapes(shape, target)
    return shape, tuple(target)


def _broadcast_to(data: Any) -> tuple:
    shape, target = _broadcast_target(data)
    return (shape,), {"shape": target}


def _expand(data: Any) -> tuple:
    shape, target = _broadcast_target(data)
    lead = len(target) - len(shape)
    sizes = tuple(-1 if i >= lead and data.draw(st.booleans()) else s
                  for i, s in enumerate(target))
    return (shape,), {"sizes": sizes}


@st.composite
def _index(draw: Any, shape: tuple) -> Any:
    kind = draw(st.integers(0, 4))
    if kind == 0 or not shape:
        return draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True))
    if kind == 1 and all(shape):
        return draw(hnp.integer_array_indices(shape, result_shape=hnp.array_shapes(
            min_dims=1, max_dims=2, max_side=3)))
    if kind == 2:
        return draw(hnp.arrays(np.bool_, shape))
    if kind == 3:  # out of range: must be a clear IndexError, not an internal error
        return draw(st.integers(shape[0], shape[0] + 3)) * draw(st.sampled_from([1, -1])) \
            - (1 if draw(st.booleans()) else 0)
    return (slice(None), draw(hnp.arrays(np.int64, draw(st.integers(0, 3)),
                                         elements=st.integers(-3, 3))))


def _getitem(data: Any) -> tuple:
    shape = data.draw(SHAPE)
    idx = data.draw(_index(shape))
    if data.draw(st.booleans()) and isinstance(idx, np.ndarray):
        idx = ag.tensor(idx)
    return (shape,), {"index": idx}


def _join(data: Any) -> tuple:
    base = data.draw(SHAPE)
    n = data.draw(st.integers(1, 3))
    nd = len(base)
    axis = data.draw(st.integers(-nd - 1, nd))
    shapes = []
    for _ in range(n):
        s = list(base)
        if nd and data.draw(st.booleans()):
            s[axis % nd if -nd <= axis < nd else 0] = data.draw(st.integers(0, 3))
        if data.draw(st.integers(0, 9)) == 0:
            s = list(data.draw(SHAPE))
        shapes.append(tuple(s))
    return tuple(shapes), {"axis": axis}


def _pad(data: Any) -> tuple:
    shape = data.draw(SHAPE)
    nd = len(shape)
    w = st.integers(-1, 2)
    kind = data.draw(st.integers(0, 2))
    if kind == 0:
        pw: Any = data.draw(w)
    elif kind == 1:
        pw = (data.draw(w), data.draw(w))
    else:
        pw = tuple((data.draw(w), data.draw(w)) for _ in range(data.draw(
            st.integers(max(nd - 1, 0), nd + 1))))
    mode = data.draw(st.sampled_from(["constant", "edge", "reflect", "symmetric", "wrap"]))
    kw = {"pad_width": pw, "mode": mode}
    if mode == "constant" and data.draw(st.booleans()):
        kw["constant_values"] = data.draw(st.sampled_from([0.0, 3.0, np.nan, -np.inf]))
    return (shape,), kw


def _matmul(data: Any) -> tuple:
    k = data.draw(st.integers(0, 3))
    kind = data.draw(st.integers(0, 5))
    batch = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, min_side=0,
                                                        max_side=2)).input_shapes
    n, m = data.draw(st.integers(0, 3)), data.draw(st.integers(0, 3))
    if kind == 0:
        return ((k,), (k,)), {}
    if kind == 1:
        return ((k,), batch[1] + (k, m)), {}
    if kind == 2:
        return (batch[0] + (n, k), (k,)), {}
    if kind == 3:  # mismatched inner dims or 0-d operands
        return (data.draw(SHAPE), data.draw(SHAPE)), {}
    return (batch[0] + (n, k), batch[1] + (k, m)), {}


EINSUMS = ["ij,jk->ik", "ii->", "ii->i", "i,j->ij", "bij,bjk->bik", "...ij,jk->...ik",
           "ij,jk", "ij,jk,k->i", "ijk->kj", "i->", "ij->ji", "i,i->"]


def _einsum(data: Any) -> tuple:
    sub = data.draw(st.sampled_from(EINSUMS))
    lhs = sub.split("->")[0].split(",")
    sizes = {c: data.draw(st.integers(0, 3)) for c in "ijkb"}
    shapes = []
    for t in lhs:
        lead = ()
        if "..." in t:
            lead = data.draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=2))
            t = t.replace("...", "")
        shapes.append(lead + tuple(sizes[c] for c in t))
    if data.draw(st.integers(0, 5)) == 0:  # break one operand's shape
        i = data.draw(st.integers(0, len(shapes) - 1))
        shapes[i] = data.draw(SHAPE)
    return tuple(shapes), {"subscripts": sub}


def _nchw(data: Any, max_hw: int = 4) -> tuple:
    n, c = data.draw(st.integers(0, 2)), data.draw(st.integers(1, 2))
    side = st.integers(2, max_hw) | st.integers(0, max_hw)  # empty images now and then
    h, w = data.draw(side), data.draw(side)
    if data.draw(st.integers(0, 9)) == 0:  # wrong rank
        return data.draw(SHAPE), c
    return (n, c, h, w), c


def _conv(data: Any) -> tuple:
    xs, c = _nchw(data)
    o = data.draw(st.integers(1, 2))
    k = (data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3)))
    if data.draw(st.integers(0, 9)) == 0:  # channel mismatch
        c += 1
    shapes = [xs, (o, c) + k]
    if data.draw(st.booleans()):
        shapes.append((o,))
    # mostly valid arguments, an invalid one (stride 0, padding -1) now and then
    kw = {"stride": data.draw(st.sampled_from([1, 1, 2, (1, 2), 1, 0])),
          "padding": data.draw(st.sampled_from([0, 1, (0, 1), 0, 1, -1]))}
    return tuple(shapes), kw


def _pool(data: Any) -> tuple:
    xs, _ = _nchw(data)
    kw = {"kernel_size": data.draw(st.sampled_from([1, 2, 2, 3, (1, 2), 2, 0])),
          "stride": data.draw(st.sampled_from([None, 1, 2, (2, 1), None, 0])),
          "padding": data.draw(st.sampled_from([0, 0, 1, 0, -1]))}
    return (xs,), kw


def _softplus(data: Any) -> tuple:
    return (data.draw(SHAPE),), {"beta": data.draw(st.sampled_from([1.0, 2.0, 0.5, -1.0])),
                                 "threshold": data.draw(st.sampled_from([20.0, 1.0]))}


def _softplus_ok(arrays: list, kw: dict) -> bool:
    # the switch to the identity at beta * x > threshold is a (tiny) kink, as PyTorch
    return bool(np.all(np.abs(kw["beta"] * arrays[0] - kw["threshold"]) > 1e-3))


# smooth-domain helpers for the gradcheck phase
def _var_ok(arrays: list, kw: dict) -> bool:
    """N - ddof >= 1: otherwise the variance is NaN/inf (as PyTorch), not differentiable."""
    x = arrays[0]
    axis = kw.get("axis")
    axes = range(x.ndim) if axis is None else ((axis,) if isinstance(axis, int) else axis)
    n = int(np.prod([x.shape[a] for a in axes], dtype=np.int64)) if x.ndim else 1
    return n - kw.get("ddof", 0) >= 1


def _std_ok(arrays: list, kw: dict) -> bool:
    x = arrays[0]
    axis = kw.get("axis")
    axes = range(x.ndim) if axis is None else ((axis,) if isinstance(axis, int) else axis)
    n = int(np.prod([x.shape[a] for a in axes], dtype=np.int64)) if x.ndim else 1
    return n - kw.get("ddof", 0) >= 1 and n >= 2


def _clip_ok(arrays: list, kw: dict) -> bool:
    x = arrays[0]
    for b in (kw.get("min"), kw.get("max")):
        if b is not None and (not np.isfinite(b) or np.any(np.abs(x - b) < 1e-3)):
            return False
    return True


def _pow_scalar_ok(arrays: list, kw: dict) -> bool:
    return bool(np.isfinite(kw["p"]))


_CMP = {"lt": ag.Tensor.__lt__, "le": ag.Tensor.__le__, "gt": ag.Tensor.__gt__,
        "ge": ag.Tensor.__ge__, "eq": ag.Tensor.__eq__, "ne": ag.Tensor.__ne__}

SPECS: list[Spec] = [
    # elementwise binary
    Spec("add", ag.Tensor.__add__, _binary, catalog=("add",)),
    Spec("sub", ag.Tensor.__sub__, _binary, catalog=("sub",)),
    Spec("mul", ag.Tensor.__mul__, _binary, catalog=("mul",)),
    Spec("div", ag.Tensor.__truediv__, _binary, domain=[cat.real, cat.nonzero],
         catalog=("div",)),
    Spec("pow", ag.pow, _binary, domain=[cat.positive, cat.real],
         catalog=("pow", "pow_tensor_exponent_at_zero")),
    Spec("maximum", ag.maximum, _binary, gen=cat._sep_pair, catalog=("maximum",)),
    Spec("minimum", ag.minimum, _binary, gen=cat._sep_pair, catalog=("minimum",)),
    Spec("where", ag.where, _where, gen=cat._where_inputs, const_inputs=(0,),
         catalog=("where",)),
    *[Spec(f"compare_{k}", fn, _binary, diff=False, errname="") for k, fn in _CMP.items()],
    # elementwise unary
    Spec("neg", ag.Tensor.__neg__, _unary, catalog=("neg",)),
    Spec("exp", ag.exp, _unary, catalog=("exp",)),
    Spec("log", ag.log, _unary, domain=cat.positive, catalog=("log",)),
    Spec("sqrt", ag.sqrt, _unary, domain=cat.positive, catalog=("sqrt",)),
    Spec("sin", ag.sin, _unary, catalog=("sin",)),
    Spec("cos", ag.cos, _unary, catalog=("cos",)),
    Spec("tanh", ag.tanh, _unary, catalog=("tanh",)),
    Spec("sigmoid", ag.sigmoid, _unary, catalog=("sigmoid",)),
    Spec("relu", ag.relu, _unary, domain=cat.nonzero, catalog=("relu",)),
    Spec("abs", ag.abs, _unary, domain=cat.nonzero, catalog=("abs",)),
    Spec("sign", ag.sign, _unary, diff=False),
    Spec("pow_scalar", lambda x, p: x ** p, _pow_scalar, domain=cat.positive,
         smooth_ok=_pow_scalar_ok, errname="pow",
         catalog=("pow_square", "pow_cube_negative_base", "pow_half", "pow_negative",
                  "pow_zero_exponent", "pow_square_at_zero")),
    Spec("rpow_number", lambda x: 2.0 ** x, _unary, errname="pow", catalog=("rpow_number",)),
    Spec("clip", lambda x, min, max: ag.clip(x, min, max), _clip, smooth_ok=_clip_ok,
         catalog=("clip",)),
    # (no gradcheck through a float32 cast: finite differences drown in its rounding)
    Spec("astype", lambda x, dtype: ag.astype(x, dtype), _astype,
         smooth_ok=lambda arrays, kw: np.dtype(kw["dtype"]) == np.float64,
         catalog=("astype_longdouble", "astype_same")),
    # reductions
    Spec("sum", ag.sum, _reduce, catalog=("sum",)),
    Spec("mean", ag.mean, _reduce, catalog=("mean",)),
    # max/min over one int axis give (values, indices) as PyTorch: fuzz the values
    Spec("max", cat.values_of(ag.max), _reduce, domain=cat.distinct, catalog=("max",)),
    Spec("min", cat.values_of(ag.min), _reduce, domain=cat.distinct, catalog=("min",)),
    Spec("amax", ag.amax, _reduce, domain=cat.distinct, catalog=("amax",)),
    Spec("amin", ag.amin, _reduce, domain=cat.distinct, catalog=("amin",)),
    Spec("var", ag.var, _reduce_ddof, smooth_ok=_var_ok, catalog=("var",)),
    Spec("std", ag.std, _reduce_ddof, domain=cat.distinct, smooth_ok=_std_ok,
         catalog=("std",)),
    Spec("logsumexp", ag.logsumexp, _reduce, catalog=("logsumexp",)),
    Spec("softmax", ag.softmax, _axis1, catalog=("softmax",)),
    Spec("log_softmax", ag.log_softmax, _axis1, catalog=("log_softmax",)),
    Spec("argmax", ag.argmax, _arg, diff=False),
    Spec("argmin", ag.argmin, _arg, diff=False),
    # shape
    Spec("reshape", lambda x, shape: ag.reshape(x, shape), _reshape, catalog=("reshape",)),
    Spec("view", lambda x, shape: x.view(*shape), _reshape,
         catalog=("view",)),
    Spec("flatten", ag.flatten, _flatten, catalog=("flatten",)),
    Spec("squeeze", ag.squeeze, _squeeze, catalog=("squeeze",)),
    Spec("unsqueeze", lambda x, dim: x.unsqueeze(dim), _unsqueeze, catalog=("unsqueeze",)),
    Spec("transpose", lambda x, dim0, dim1: x.transpose(dim0, dim1), _transpose,
         catalog=("transpose", "T")),
    Spec("permute", lambda x, dims: x.permute(*dims), _permute, catalog=("permute",)),
    Spec("expand", lambda x, sizes: x.expand(*sizes), _expand, errname=("expand",
         "broadcast_to"), catalog=("expand",)),
    Spec("broadcast_to", lambda x, shape: x.broadcast_to(shape), _broadcast_to,
         catalog=("broadcast_to",)),
    Spec("getitem", lambda x, index: x[index], _getitem, catalog=("getitem",)),
    Spec("concatenate", lambda *xs, axis: ag.concatenate(list(xs), axis=axis), _join,
         catalog=("concatenate", "cat")),
    Spec("stack", lambda *xs, axis: ag.stack(list(xs), axis=axis), _join, catalog=("stack",)),
    Spec("pad", ag.pad, _pad, catalog=("pad_constant", "pad_modes")),
    # linalg
    Spec("matmul", ag.matmul, _matmul, catalog=("matmul", "matmul_operator")),
    Spec("einsum", lambda *xs, subscripts: ag.einsum(subscripts, *xs), _einsum,
         catalog=tuple(r.name for r in cat.ROWS if r.name.startswith("einsum"))),
]
try:  # nn-level kernels (ops/conv.py, ops/special.py), fuzzed through nn.functional
    import autograd_lite.nn.functional as F
except ImportError:  # pragma: no cover - nn not built
    F = None
if F is not None:
    SPECS += [
        Spec("erf", F.erf, _unary),
        Spec("softplus", F.softplus, _softplus, smooth_ok=_softplus_ok),
        Spec("gelu", F.gelu, _unary),
        Spec("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), _unary, errname="gelu"),
        Spec("conv2d", F.conv2d, _conv),
        Spec("max_pool2d", F.max_pool2d, _pool, domain=cat.distinct),
        Spec("avg_pool2d", F.avg_pool2d, _pool),
    ]


# ----------------------------------------------------------------------------- nn.functional
REDUCTIONS = st.sampled_from(["mean", "sum", "none", "mean", "batchmean_or_bad"])


def _loss_pair(data: Any) -> tuple:
    shapes = data.draw(_shapes_pair(2), label="shapes")
    red = data.draw(REDUCTIONS)
    return shapes, {"reduction": "bad" if red == "batchmean_or_bad" else red}


def _prob(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    return rng.uniform(0.1, 0.9, shape)


def _signs(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    return rng.choice([-1.0, 1.0], shape)


def _hinge_ok(arrays: list, kw: dict) -> bool:
    f, y = np.broadcast_arrays(arrays[0], arrays[1])
    return bool(np.all(np.abs(1.0 - y * f) > 1e-3))


def _classes(data: Any) -> tuple:
    """(N, C) / (C,) / (N, C, d) logits with integer class targets (or probabilities)."""
    n, c, d = data.draw(st.integers(0, 3)), data.draw(st.integers(1, 4)), data.draw(
        st.integers(1, 2))
    kind = data.draw(st.integers(0, 3))
    x = [(n, c), (c,), (n, c, d), (n, c)][kind]
    t = [(n,), (), (n, d), (n, c)][kind]
    if data.draw(st.integers(0, 9)) == 0:
        t = data.draw(SHAPE)  # mismatched target
    kw = {"reduction": data.draw(st.sampled_from(["mean", "sum", "none"]))}
    if data.draw(st.booleans()):
        kw["label_smoothing"] = data.draw(st.sampled_from([0.0, 0.1, 1.0]))
    return (x, t), kw


def _class_targets(data: Any, shapes: tuple, kw: dict) -> list:
    x = data.draw(_array(shapes[0], FLOATS), label="logits")
    c = shapes[0][1] if len(shapes[0]) >= 2 else (shapes[0][0] if shapes[0] else 1)
    if len(shapes[0]) == 2 and shapes[1] == shapes[0] and data.draw(st.booleans()):
        t = data.draw(_array(shapes[1], FLOATS), label="prob target")  # probabilities
    else:
        labels = st.integers(0, max(c - 1, 0)) | st.sampled_from([-100, -1, c, 2 ** 40])
        t = data.draw(hnp.arrays(np.int64, shapes[1], elements=labels), label="labels")
    return [x, t]


def _class_gen(rng: np.random.Generator, shapes: tuple) -> list:
    x = rng.uniform(-2, 2, shapes[0])
    if len(shapes[0]) == 2 and shapes[1] == shapes[0]:
        p = rng.uniform(0.1, 1.0, shapes[1])
        return [x, p / p.sum(axis=1, keepdims=True)]
    c = shapes[0][1] if len(shapes[0]) >= 2 else shapes[0][0]
    return [x, rng.integers(0, c, shapes[1])]


def _linear(data: Any) -> tuple:
    lead = data.draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=3))
    i, o = data.draw(st.integers(0, 3)), data.draw(st.integers(1, 3))
    w_in = i if data.draw(st.integers(0, 9)) else i + 1
    shapes = [lead + (i,), (o, w_in)]
    if data.draw(st.booleans()):
        shapes.append((o,))
    return tuple(shapes), {}


def _layer_norm(data: Any) -> tuple:
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
    k = data.draw(st.integers(1, len(shape)))
    ns = shape[-k:] if data.draw(st.integers(0, 9)) else tuple(s + 1 for s in shape[-k:])
    shapes = [shape]
    if data.draw(st.booleans()):
        shapes += [ns, ns]
    return tuple(shapes), {"normalized_shape": ns}


def _ln_ok(arrays: list, kw: dict) -> bool:
    # variance 0 (one element normalised) makes the normalisation non-smooth
    return int(np.prod(kw["normalized_shape"])) >= 2


def _embedding(data: Any) -> tuple:
    idx = data.draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=3))
    n, d = data.draw(st.integers(1, 4)), data.draw(st.integers(0, 3))
    return (idx, (n, d)), {}


def _embedding_arrays(data: Any, shapes: tuple, kw: dict) -> list:
    n = shapes[1][0]
    ids = st.integers(0, n - 1) | st.sampled_from([-1, n, 2 ** 40])
    idx = data.draw(hnp.arrays(np.int64, shapes[0], elements=ids), label="indices")
    return [idx, data.draw(_array(shapes[1], FLOATS), label="weight")]


def _embedding_gen(rng: np.random.Generator, shapes: tuple) -> list:
    return [rng.integers(0, shapes[1][0], shapes[0]), rng.uniform(-1, 1, shapes[1])]


if F is not None:
    SPECS += [
        Spec("mse_loss", F.mse_loss, _loss_pair),
        Spec("l1_loss", F.l1_loss, _loss_pair, domain=[cat.real, cat.real]),
        Spec("huber_loss", F.huber_loss, _loss_pair),
        Spec("binary_cross_entropy", F.binary_cross_entropy, _loss_pair,
             domain=[_prob, _prob]),
        Spec("bce_with_logits", F.binary_cross_entropy_with_logits, _loss_pair,
             domain=[cat.real, _prob], errname="binary_cross_entropy_with_logits"),
        Spec("hinge_loss", F.hinge_loss, _loss_pair, domain=[cat.real, _signs],
             smooth_ok=_hinge_ok, nograd=(1,)),
        Spec("kl_div", F.kl_div, _loss_pair, domain=[cat.real, _prob]),
        Spec("cross_entropy", F.cross_entropy, _classes, robust_gen=_class_targets,
             gen=_class_gen),
        Spec("nll_loss", lambda x, t, reduction, label_smoothing=0.0: F.nll_loss(
            x, t, reduction=reduction), _classes, robust_gen=_class_targets, gen=_class_gen,
            ),
        Spec("linear", F.linear, _linear),
        Spec("layer_norm", F.layer_norm, _layer_norm, smooth_ok=_ln_ok),
        Spec("leaky_relu", F.leaky_relu, _unary, domain=cat.nonzero),
        Spec("embedding", F.embedding, _embedding, robust_gen=_embedding_arrays,
             gen=_embedding_gen),
    ]
BY_NAME = {s.name: s for s in SPECS}


def test_every_catalog_op_is_fuzzed():
    covered = {c for s in SPECS for c in s.catalog}
    # a catalog row is an op (a spec's catalog entry) or a variant case of one ("pow_...")
    missing = [r.name for r in cat.ROWS if r.name not in covered
               and not any(r.name.startswith(c + "_") for c in covered | set(BY_NAME))]
    assert not missing, f"op catalog rows without a fuzz spec: {missing}"


# ----------------------------------------------------------------------------- the checks
DOCUMENTED = (ValueError, TypeError, RuntimeError)
LEAKS = (IndexError, AttributeError, ZeroDivisionError, KeyError, AssertionError,
         np.exceptions.AxisError, OverflowError, NotImplementedError)


def _check_error(spec: Spec, e: BaseException) -> None:
    msg = str(e)
    if isinstance(e, IndexError) and spec.name == "getitem" and msg.startswith("getitem:"):
        return  # out-of-range index: IndexError, as Python sequences and PyTorch
    if isinstance(e, ag.DimensionError):  # an axis out of range: IndexError and ValueError
        pass
    elif isinstance(e, LEAKS) or not isinstance(e, DOCUMENTED):
        raise AssertionError(f"{spec.name}: internal error leaked: "
                             f"{type(e).__name__}: {msg}") from e
    if msg.startswith("operands could not be broadcast"):
        raise AssertionError(f"{spec.name}: bare NumPy broadcasting error: {msg}") from e
    # The message starts with the op the user called ("mse_loss: ..."), not an inner op's
    # name ("add: ..." from inside F.linear) and not a bare NumPy/Python message.
    words = [w.lower() for w in spec.err_words() if w]
    if words and isinstance(e, (ValueError, TypeError)) and \
            not any(msg.lower().startswith(w + ":") for w in words):
        raise AssertionError(f"{spec.name}: {type(e).__name__} does not start with the op's "
                             f"name ({words}): {msg}") from e


def _make_tensors(spec: Spec, arrays: list, data: Any) -> list:
    ts = []
    for i, a in enumerate(arrays):
        rg = a.dtype.kind == "f" and i not in spec.const_inputs and data.draw(
            st.booleans(), label=f"requires_grad[{i}]")
        ts.append(ag.tensor(a, requires_grad=rg))
    return ts


def _robust(spec: Spec, shapes: tuple, kw: dict, data: Any) -> None:
    arrays = []
    for i, s in enumerate(shapes):
        dt = (np.bool_,) if i in spec.const_inputs else spec.dtypes
        arrays.append(data.draw(_array(s, dt), label=f"x{i}"))
    if spec.robust_gen is not None:
        arrays = spec.robust_gen(data, shapes, kw)
    ts = _make_tensors(spec, arrays, data)
    note(f"inputs: {[(t.dtype, t.shape, t.requires_grad) for t in ts]} kwargs: {kw}")
    try:
        out = spec.fn(*ts, **kw)
    except BaseException as e:  # noqa: BLE001 - classified below
        _check_error(spec, e)
        event(f"raised {type(e).__name__}")
        return
    event("returned")
    assert isinstance(out, ag.Tensor), f"{spec.name} returned {type(out).__name__}"
    assert isinstance(out.data, np.ndarray)
    if not spec.diff:
        assert not out.requires_grad, f"{spec.name} is not differentiable but records a graph"
        return
    if not any(t.requires_grad for t in ts):
        assert not out.requires_grad
        return
    if not out.requires_grad:  # integer/bool result (e.g. astype to int): no graph, fine
        assert out.dtype.kind not in "fc"
        return
    g = np.ones(out.shape, dtype=out.dtype)
    out.backward(g)
    for t in ts:
        if t.requires_grad:
            assert t.grad is not None, f"{spec.name}: no gradient reached an input"
            assert t.grad.shape == t.shape, (spec.name, t.grad.shape, t.shape)
            assert t.grad.dtype == t.dtype, (spec.name, t.grad.dtype, t.dtype)


def _smooth(spec: Spec, shapes: tuple, kw: dict, seed: int) -> None:
    """float64 gradcheck at a point of the op's smooth domain (small sizes only)."""
    if not spec.diff or any(int(np.prod(s, dtype=np.int64)) > GRADCHECK_MAX for s in shapes):
        return
    rng = np.random.default_rng(seed)
    row = cat.OpRow(spec.name, spec.fn, None, [], domain=spec.domain, gen=spec.gen)
    try:
        arrays = row.inputs(rng, shapes)
    except ValueError:  # e.g. the tie-free sampler on a shape it cannot serve
        return
    ts = [ag.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)
          if np.asarray(a).dtype.kind == "f" and i not in spec.const_inputs + spec.nograd
          else ag.tensor(np.asarray(a)) for i, a in enumerate(arrays)]
    try:
        out = spec.fn(*ts, **kw)
    except Exception:  # noqa: BLE001 - invalid for these shapes: the robust phase judged it
        return
    if not out.requires_grad or out.size > GRADCHECK_MAX:
        return
    if not np.all(np.isfinite(out.data)):  # e.g. pad with NaN: finite differences are NaN
        return
    if spec.smooth_ok is not None and not spec.smooth_ok(arrays, kw):
        return
    def f(*xs: ag.Tensor) -> ag.Tensor:
        return spec.fn(*xs, **kw)

    event("gradcheck")
    try:
        gradcheck(f, tuple(ts), eps=1e-6, atol=1e-5, rtol=1e-3)
    except GradcheckError as e:
        raise AssertionError(f"{spec.name}: gradcheck failed for shapes {shapes}, "
                             f"kwargs {kw}:\n{e}") from None


@pytest.mark.parametrize("name", [s.name for s in SPECS])
@given(data=st.data())
def test_fuzz_op(name, data):
    spec = BY_NAME[name]
    shapes, kw = spec.draw(data)
    note(f"shapes {shapes}, kwargs {kw}")
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        _robust(spec, shapes, kw, data)
        _smooth(spec, shapes, kw, data.draw(st.integers(0, 2 ** 32 - 1), label="seed"))


# ----------------------------------------------------------------------------- factories
FACTORIES = {
    "zeros": lambda s, d: ag.zeros(*s, dtype=d),
    "ones": lambda s, d: ag.ones(s, dtype=d),
    "full": lambda s, d: ag.full(s, 2.5, dtype=d),
    "rand": lambda s, d: ag.rand(*s, dtype=d),
    "randn": lambda s, d: ag.randn(s, dtype=d),
}


@pytest.mark.parametrize("name", sorted(FACTORIES))
@given(shape=st.lists(st.integers(-2, 3), max_size=3).map(tuple),
       dtype=st.sampled_from([None, np.float32, np.float64]))
def test_fuzz_factories(name, shape, dtype):
    try:
        t = FACTORIES[name](shape, dtype)
    except BaseException as e:  # noqa: BLE001 - classified below
        if isinstance(e, ValueError) and any(s < 0 for s in shape):
            assert "negative" in str(e) or "shape" in str(e), str(e)
            return  # a negative size: the documented error
        raise AssertionError(f"{name}{shape}: {type(e).__name__}: {e}") from e
    assert all(s >= 0 for s in shape), f"{name} accepted a negative size {shape}"
    assert t.shape == shape
    assert t.dtype == (np.dtype(dtype) if dtype else ag.get_default_dtype())


# ----------------------------------------------------------------------------- in-place methods
INPLACE = {
    "copy_": (lambda t, o: t.copy_(o), lambda a, o: o),
    "add_": (lambda t, o: t.add_(o), lambda a, o: a + o),
    "sub_": (lambda t, o: t.sub_(o, alpha=2.0), lambda a, o: a - 2.0 * o),
    "mul_": (lambda t, o: t.mul_(o), lambda a, o: a * o),
    "div_": (lambda t, o: t.div_(o), lambda a, o: a / o),
    "iadd": (lambda t, o: t.__iadd__(o), lambda a, o: a + o),
    "setitem": (lambda t, o: t.__setitem__(Ellipsis, o), lambda a, o: o),
}


@pytest.mark.parametrize("name", sorted(INPLACE))
@given(data=st.data())
def test_fuzz_inplace(name, data):
    """An in-place method either updates the values exactly as NumPy would and bumps the
    version once, or raises a documented error and leaves values and version untouched."""
    shape, oshape = data.draw(_shapes_pair(2), label="shapes")
    a = data.draw(_array(shape), label="self")
    o = data.draw(_array(oshape), label="other")
    rg = a.dtype.kind == "f" and data.draw(st.booleans(), label="requires_grad")
    t = ag.tensor(a, requires_grad=rg)
    other = ag.tensor(o) if data.draw(st.booleans(), label="as_tensor") else o
    before = t.data.copy()
    fn, ref = INPLACE[name]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            with ag.no_grad():
                r = fn(t, other)
        except BaseException as e:  # noqa: BLE001 - classified below
            if isinstance(e, LEAKS) or not isinstance(e, DOCUMENTED):
                raise AssertionError(f"{name}: internal error leaked: {type(e).__name__}: "
                                     f"{e}") from e
            assert t._version == 0, f"{name} failed but bumped the version"
            np.testing.assert_array_equal(t.data, before)
            assert t.data.dtype == a.dtype
            return
        expected = a.copy()
        np.copyto(expected, ref(a.copy(), o), casting="unsafe")  # NumPy's write into `a`
    assert r is None or r is t
    assert t._version == 1
    assert t.data.shape == a.shape and t.data.dtype == a.dtype  # in place: never reshaped/cast
    np.testing.assert_array_equal(t.data, expected)
