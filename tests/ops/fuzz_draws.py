"""Hypothesis draws for the op catalog's fuzz entries (``OpRow.draw`` and friends).

A row's ``draw(data) -> (shapes, kwargs)`` picks the shapes of its inputs (0-d, zero-size
dimensions, broadcasting pairs and mismatched ones) and its arguments (axes in and out of
range, bad reshape targets, pads, indices...); ``array`` draws the values (0, -0.0, huge, tiny,
subnormal, NaN, +-Inf). ``*_ok(arrays, kwargs)`` say whether a point is smooth enough for the
gradcheck phase; ``*_gen``/``*_targets`` draw inputs that must mostly be valid (class indices).
Used by ``tests/test_fuzz.py`` through ``tests/ops/op_catalog.py``.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd_lite as ag

FLOATS = (np.float32, np.float64)
ALL_DTYPES = (np.float32, np.float64, np.int64, np.bool_)
GRADCHECK_MAX = 24  # gradcheck only when inputs and output have at most this many elements


# ----------------------------------------------------------------------------- values
def specials(dtype: Any) -> list:
    fi = np.finfo(dtype)
    return [0.0, -0.0, 1.0, -1.0, float(fi.max), -float(fi.max), float(fi.tiny),
            float(fi.smallest_subnormal), 1e4, -1e4, np.nan, np.inf, -np.inf]


def elements(dtype: Any) -> st.SearchStrategy:
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return st.booleans()
    if dtype.kind == "i":
        return st.integers(-5, 5) | st.sampled_from([0, -(2 ** 62), 2 ** 62])
    width = 32 if dtype == np.float32 else 64
    return st.sampled_from(specials(dtype)) | st.floats(-10, 10, width=width)


@st.composite
def array(draw: Any, shape: tuple, dtypes: tuple = ALL_DTYPES) -> np.ndarray:
    dtype = draw(st.sampled_from(dtypes))
    return draw(hnp.arrays(dtype, shape, elements=elements(dtype)))


# Zero-size dimensions in about half of the shapes (``min_side=0`` alone draws them so often
# that reductions would mostly see empty tensors).
SHAPE = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3) | \
    hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3)
SMALL_SHAPE = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3)


@st.composite
def shapes_pair(draw: Any, n: int = 2) -> tuple:
    """Mostly broadcast-compatible shapes (incl. zero-size); sometimes arbitrary ones."""
    if draw(st.integers(0, 4)) == 0:
        return tuple(draw(SHAPE) for _ in range(n))
    bs = draw(hnp.mutually_broadcastable_shapes(num_shapes=n, min_dims=0, max_dims=3,
                                                min_side=0, max_side=3))
    return tuple(bs.input_shapes)


def some_axis(draw: Any, nd: int, allow_none: bool = True, allow_tuple: bool = True) -> Any:
    lim = nd + 1
    one = st.integers(-lim, lim)
    opts = [one]
    if allow_none:
        opts.append(st.none())
    if allow_tuple and nd:
        opts.append(st.lists(st.integers(-nd, nd - 1), min_size=1, max_size=nd,
                             unique=True).map(tuple))
    return draw(st.one_of(*opts))



def unary(data: Any) -> tuple:
    return (data.draw(SHAPE, label="shape"),), {}


def binary(data: Any) -> tuple:
    return data.draw(shapes_pair(2), label="shapes"), {}


def reduce(data: Any) -> tuple:
    shape = data.draw(SHAPE, label="shape")
    axis = some_axis(data.draw, len(shape))
    kw = {"axis": axis, "keepdims": data.draw(st.booleans())}
    return (shape,), kw


def reduce_ddof(data: Any) -> tuple:
    shapes, kw = reduce(data)
    kw["ddof"] = data.draw(st.integers(0, 2))
    return shapes, kw


def axis1(data: Any) -> tuple:
    shape = data.draw(SHAPE, label="shape")
    return (shape,), {"axis": data.draw(st.integers(-len(shape) - 1, len(shape)))}


def arg(data: Any) -> tuple:
    shape = data.draw(SHAPE, label="shape")
    kw = {"axis": data.draw(st.none() | st.integers(-len(shape) - 1, len(shape))),
          "keepdims": data.draw(st.booleans())}
    return (shape,), kw


def pow_scalar(data: Any) -> tuple:
    shape = data.draw(SHAPE)
    p = data.draw(st.sampled_from([0, 1, 2, 3, -1, -2, 0.5, -1.5, 2.5, 0.0, np.nan, np.inf]))
    return (shape,), {"p": p}


def clip(data: Any) -> tuple:
    shape = data.draw(SHAPE)
    bound = st.none() | st.sampled_from([-0.5, 0.7, 0.0, -np.inf, np.inf, np.nan]) | \
        st.floats(-3, 3)
    return (shape,), {"min": data.draw(bound), "max": data.draw(bound)}


def astype(data: Any) -> tuple:
    return (data.draw(SHAPE),), {"dtype": data.draw(st.sampled_from(ALL_DTYPES))}


def where(data: Any) -> tuple:
    return data.draw(shapes_pair(3)), {}


def valid_reshape(draw: Any, shape: tuple) -> tuple:
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


def reshape(data: Any) -> tuple:
    shape = data.draw(SHAPE)
    return (shape,), {"shape": valid_reshape(data.draw, shape)}


def flatten(data: Any) -> tuple:
    shape = data.draw(SHAPE)
    nd = len(shape)
    return (shape,), {"start_dim": data.draw(st.integers(-nd - 1, nd)),
                      "end_dim": data.draw(st.integers(-nd - 1, nd))}


def squeeze(data: Any) -> tuple:
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=2))
    return (shape,), {"axis": some_axis(data.draw, len(shape))}


def unsqueeze(data: Any) -> tuple:
    shape = data.draw(SHAPE)
    return (shape,), {"dim": data.draw(st.integers(-len(shape) - 2, len(shape) + 1))}


def transpose(data: Any) -> tuple:
    shape = data.draw(SHAPE)
    nd = len(shape)
    return (shape,), {"dim0": data.draw(st.integers(-nd - 1, nd)),
                      "dim1": data.draw(st.integers(-nd - 1, nd))}


def permute(data: Any) -> tuple:
    shape = data.draw(SHAPE)
    nd = len(shape)
    if data.draw(st.booleans()):
        dims = tuple(data.draw(st.permutations(list(range(nd)))))
    else:
        dims = tuple(data.draw(st.lists(st.integers(-nd - 1, nd), max_size=nd + 1)))
    return (shape,), {"dims": dims}


def broadcast_target(data: Any) -> tuple:
    shape = data.draw(SHAPE)
    if data.draw(st.integers(0, 3)) == 0:
        return shape, data.draw(SHAPE)
    target = data.draw(hnp.broadcastable_shapes(shape, min_dims=len(shape), max_dims=4,
                                                min_side=0, max_side=3))
    target = np.broadcast_shapes(shape, target)
    return shape, tuple(target)


def broadcast_to(data: Any) -> tuple:
    shape, target = broadcast_target(data)
    return (shape,), {"shape": target}


def expand(data: Any) -> tuple:
    shape, target = broadcast_target(data)
    lead = len(target) - len(shape)
    sizes = tuple(-1 if i >= lead and data.draw(st.booleans()) else s
                  for i, s in enumerate(target))
    return (shape,), {"sizes": sizes}


@st.composite
def an_index(draw: Any, shape: tuple) -> Any:
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


def getitem(data: Any) -> tuple:
    shape = data.draw(SHAPE)
    idx = data.draw(an_index(shape))
    if data.draw(st.booleans()) and isinstance(idx, np.ndarray):
        idx = ag.tensor(idx)
    return (shape,), {"index": idx}


def join(data: Any) -> tuple:
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


def pad(data: Any) -> tuple:
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


def matmul(data: Any) -> tuple:
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


def einsum(data: Any) -> tuple:
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


def nchw(data: Any, max_hw: int = 4) -> tuple:
    n, c = data.draw(st.integers(0, 2)), data.draw(st.integers(1, 2))
    side = st.integers(2, max_hw) | st.integers(0, max_hw)  # empty images now and then
    h, w = data.draw(side), data.draw(side)
    if data.draw(st.integers(0, 9)) == 0:  # wrong rank
        return data.draw(SHAPE), c
    return (n, c, h, w), c


def conv(data: Any) -> tuple:
    xs, c = nchw(data)
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


def pool(data: Any) -> tuple:
    xs, _ = nchw(data)
    kw = {"kernel_size": data.draw(st.sampled_from([1, 2, 2, 3, (1, 2), 2, 0])),
          "stride": data.draw(st.sampled_from([None, 1, 2, (2, 1), None, 0])),
          "padding": data.draw(st.sampled_from([0, 0, 1, 0, -1]))}
    return (xs,), kw


def softplus(data: Any) -> tuple:
    return (data.draw(SHAPE),), {"beta": data.draw(st.sampled_from([1.0, 2.0, 0.5, -1.0])),
                                 "threshold": data.draw(st.sampled_from([20.0, 1.0]))}


def softplus_ok(arrays: list, kw: dict) -> bool:
    # the switch to the identity at beta * x > threshold is a (tiny) kink, as PyTorch
    return bool(np.all(np.abs(kw["beta"] * arrays[0] - kw["threshold"]) > 1e-3))


# smooth-domain helpers for the gradcheck phase
def var_ok(arrays: list, kw: dict) -> bool:
    """N - ddof >= 1: otherwise the variance is NaN/inf (as PyTorch), not differentiable."""
    x = arrays[0]
    axis = kw.get("axis")
    axes = range(x.ndim) if axis is None else ((axis,) if isinstance(axis, int) else axis)
    n = int(np.prod([x.shape[a] for a in axes], dtype=np.int64)) if x.ndim else 1
    return n - kw.get("ddof", 0) >= 1


def std_ok(arrays: list, kw: dict) -> bool:
    x = arrays[0]
    axis = kw.get("axis")
    axes = range(x.ndim) if axis is None else ((axis,) if isinstance(axis, int) else axis)
    n = int(np.prod([x.shape[a] for a in axes], dtype=np.int64)) if x.ndim else 1
    return n - kw.get("ddof", 0) >= 1 and n >= 2


def clip_ok(arrays: list, kw: dict) -> bool:
    x = arrays[0]
    for b in (kw.get("min"), kw.get("max")):
        if b is not None and (not np.isfinite(b) or np.any(np.abs(x - b) < 1e-3)):
            return False
    return True


def pow_scalar_ok(arrays: list, kw: dict) -> bool:
    return bool(np.isfinite(kw["p"]))




REDUCTIONS = st.sampled_from(["mean", "sum", "none", "mean", "batchmean_or_bad"])


def loss_pair(data: Any) -> tuple:
    shapes = data.draw(shapes_pair(2), label="shapes")
    red = data.draw(REDUCTIONS)
    return shapes, {"reduction": "bad" if red == "batchmean_or_bad" else red}


def prob(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    return rng.uniform(0.1, 0.9, shape)


def signs(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    return rng.choice([-1.0, 1.0], shape)


def hinge_ok(arrays: list, kw: dict) -> bool:
    f, y = np.broadcast_arrays(arrays[0], arrays[1])
    return bool(np.all(np.abs(1.0 - y * f) > 1e-3))


def classes(data: Any) -> tuple:
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


def class_targets(data: Any, shapes: tuple, kw: dict) -> list:
    x = data.draw(array(shapes[0], FLOATS), label="logits")
    c = shapes[0][1] if len(shapes[0]) >= 2 else (shapes[0][0] if shapes[0] else 1)
    if len(shapes[0]) == 2 and shapes[1] == shapes[0] and data.draw(st.booleans()):
        t = data.draw(array(shapes[1], FLOATS), label="prob target")  # probabilities
    else:
        labels = st.integers(0, max(c - 1, 0)) | st.sampled_from([-100, -1, c, 2 ** 40])
        t = data.draw(hnp.arrays(np.int64, shapes[1], elements=labels), label="labels")
    return [x, t]


def class_gen(rng: np.random.Generator, shapes: tuple) -> list:
    x = rng.uniform(-2, 2, shapes[0])
    if len(shapes[0]) == 2 and shapes[1] == shapes[0]:
        p = rng.uniform(0.1, 1.0, shapes[1])
        return [x, p / p.sum(axis=1, keepdims=True)]
    c = shapes[0][1] if len(shapes[0]) >= 2 else shapes[0][0]
    return [x, rng.integers(0, c, shapes[1])]


def linear(data: Any) -> tuple:
    lead = data.draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=3))
    i, o = data.draw(st.integers(0, 3)), data.draw(st.integers(1, 3))
    w_in = i if data.draw(st.integers(0, 9)) else i + 1
    shapes = [lead + (i,), (o, w_in)]
    if data.draw(st.booleans()):
        shapes.append((o,))
    return tuple(shapes), {}


def layer_norm(data: Any) -> tuple:
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
    k = data.draw(st.integers(1, len(shape)))
    ns = shape[-k:] if data.draw(st.integers(0, 9)) else tuple(s + 1 for s in shape[-k:])
    shapes = [shape]
    if data.draw(st.booleans()):
        shapes += [ns, ns]
    return tuple(shapes), {"normalized_shape": ns}


def ln_ok(arrays: list, kw: dict) -> bool:
    # variance 0 (one element normalised) makes the normalisation non-smooth
    return int(np.prod(kw["normalized_shape"])) >= 2


def embedding(data: Any) -> tuple:
    idx = data.draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=3))
    n, d = data.draw(st.integers(1, 4)), data.draw(st.integers(0, 3))
    return (idx, (n, d)), {}


def embedding_arrays(data: Any, shapes: tuple, kw: dict) -> list:
    n = shapes[1][0]
    ids = st.integers(0, n - 1) | st.sampled_from([-1, n, 2 ** 40])
    idx = data.draw(hnp.arrays(np.int64, shapes[0], elements=ids), label="indices")
    return [idx, data.draw(array(shapes[1], FLOATS), label="weight")]


def embedding_gen(rng: np.random.Generator, shapes: tuple) -> list:
    return [rng.integers(0, shapes[1][0], shapes[0]), rng.uniform(-1, 1, shapes[1])]


def join_dim(data: Any) -> tuple:
    """``join`` with PyTorch's argument name (``cat(tensors, dim=)``)."""
    shapes, kw = join(data)
    return shapes, {"dim": kw["axis"]}


def pow_exponent(data: Any) -> tuple:
    """pow_scalar's draw: one input and a scalar exponent."""
    return pow_scalar(data)
