"""The op catalog: the test-side description of every public op, one row per checked form.

Every op of the op list (``autograd_lite.primitive.OPS``: ``ag.<name>``) has at least one row
whose ``op`` is its name (``tests/ops/test_op_list.py`` fails otherwise); nn.functional
functions have rows with ``op="F.<name>"``, operators and properties ``op="Tensor.<name>"``.
A row drives, automatically:

- ``tests/ops/test_forward.py``: forward against ``ref`` (NumPy) on every case, float32 kept,
  the method form equal to the function, a named node recorded only when needed;
- ``tests/ops/test_gradcheck.py``: gradcheck on every case (``grad >= 1``), gradgradcheck
  (``grad == 2``: twice differentiable), hypothesis shapes for ``family`` rows;
- ``tests/test_fuzz.py``: property-based fuzzing (``draw``: hypothesis draws shapes and
  arguments; values include 0, huge, NaN, Inf): a result whose backward works, or one of the
  documented errors naming the op; then a float64 gradcheck in the smooth domain;
- ``tests/test_inplace_saved.py``: an in-place change of anything the op saved is detected.

Each case is ``(shapes, kwargs)``: ``shapes`` holds one shape per input and ``kwargs`` are
passed to both ``fn`` and ``ref``. Domains are chosen away from kinks, ties and singularities.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

import autograd_lite as ag
from tests.ops import fuzz_draws as D

Shape = tuple
Case = tuple  # (tuple of shapes, kwargs dict)


# ----------------------------------------------------------------------------- input domains
def real(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    return rng.uniform(-2.0, 2.0, shape)


def positive(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    return rng.uniform(0.5, 2.0, shape)


def nonzero(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    """Away from 0 (the kink of abs/relu and the pole of 1/x)."""
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.3, 2.0, shape)


def distinct(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    """All values at least 0.1 apart (no ties for max/min)."""
    n = int(np.prod(shape, dtype=np.int64))
    vals = (rng.permutation(n) - n / 2) * 0.25 + rng.uniform(-0.05, 0.05, n)
    return vals.reshape(shape)


def with_zeros(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    """Reals with every other element exactly 0 (for rules that must handle x = 0)."""
    x = real(rng, shape)
    x.reshape(-1)[::2] = 0.0
    return x


def boolean(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    return rng.random(shape) < 0.5


@dataclass
class OpRow:
    """One checked form of an op: ``fn(*tensors, **kw)`` against ``ref(*arrays, **kw)``."""

    name: str  # the row's id (unique); the op's own name for its main row
    fn: Callable
    ref: Callable | None = None  # NumPy reference (None: a fuzz-only row, no cases)
    cases: list = field(default_factory=list)
    domain: Any = real  # a sampler, or a list with one sampler per input
    grad: int = 2  # 2: twice differentiable (gradgradcheck), 1: gradcheck only, 0: none
    method: str | None = None  # Tensor method with the same meaning as fn
    family: str | None = None  # "unary" / "binary" / "reduction": hypothesis drives shapes
    gen: Callable | None = None  # gen(rng, shapes) -> arrays, overrides ``domain``
    op: str | None = None  # the public op this row checks (default: ``name``)
    # ---- fuzzing (tests/test_fuzz.py); rows without ``draw`` are not fuzzed
    draw: Callable | None = None  # draw(data) -> (shapes, kwargs)
    dtypes: tuple = D.ALL_DTYPES  # dtypes drawn for the robustness phase
    const_inputs: tuple = ()  # positions that are never floats requiring grad (e.g. masks)
    robust_gen: Callable | None = None  # (data, shapes, kwargs) -> arrays: valid-ish inputs
    nograd: tuple = ()  # float inputs not differentiated by the gradcheck (e.g. +-1 labels)
    errname: Any = None  # word(s) one of which the op's errors must start with (default: op)
    smooth_ok: Callable | None = None  # (arrays, kwargs) -> bool: the point is differentiable

    def __post_init__(self) -> None:
        if self.op is None:
            self.op = self.name

    def inputs(self, rng: np.random.Generator, shapes: tuple) -> list:
        if self.gen is not None:
            return list(self.gen(rng, shapes))
        doms = self.domain if isinstance(self.domain, list) else [self.domain] * len(shapes)
        return [d(rng, s) for d, s in zip(doms, shapes)]

    def err_words(self) -> tuple:
        words = self.op.removeprefix("F.") if self.errname is None else self.errname
        return (words,) if isinstance(words, str) else tuple(words)


def tensors(arrays: list, dtype: Any = np.float64, requires_grad: bool = True) -> list:
    """Float arrays become float Tensors (requiring grad); others (bools, ints) constants."""
    out = []
    for a in arrays:
        a = np.asarray(a)
        if a.dtype.kind == "f":
            out.append(ag.tensor(a, dtype=dtype, requires_grad=requires_grad))
        else:
            out.append(ag.tensor(a))
    return out


def C(*shapes: Shape, **kw: Any) -> Case:
    return (tuple(shapes), kw)


def _sep_pair(rng: np.random.Generator, shapes: tuple) -> list:
    """a near odd multiples of 0.5, b near even ones: |a - b| >= 0.3 wherever they meet, so
    maximum/minimum never see a tie, and either may win."""
    a = (2 * rng.integers(-2, 2, shapes[0]) + 1) * 0.5 + rng.uniform(-0.1, 0.1, shapes[0])
    b = 2 * rng.integers(-2, 3, shapes[1]) * 0.5 + rng.uniform(-0.1, 0.1, shapes[1])
    return [a, b]


def _clip_input(rng: np.random.Generator, shapes: tuple) -> list:
    """Values at least 0.1 away from the clip bounds -0.5 and 0.7."""
    x = real(rng, shapes[0])
    for bound in (-0.5, 0.7):
        near = np.abs(x - bound) < 0.1
        x = np.where(near, x + 0.25, x)
    return [x]


def _where_inputs(rng: np.random.Generator, shapes: tuple) -> list:
    return [boolean(rng, shapes[0]), real(rng, shapes[1]), real(rng, shapes[2])]


# ----------------------------------------------------------------------------- shape cases
UNARY = [C(()), C((4,)), C((2, 3)), C((2, 1, 3))]
BINARY = [C((3,), (3,)), C((2, 3), (3,)), C((2, 1), (1, 3)), C((), (2, 2)),
          C((2, 1, 3), (4, 1))]
REDUCE = [C((5,)), C((2, 3)), C((2, 3), axis=0), C((2, 3), axis=1, keepdims=True),
          C((2, 3, 2), axis=(0, 2)), C((2, 3, 2), axis=-1, keepdims=True),
          C((2, 3), keepdims=True)]
SOFT = [C((4,)), C((2, 3)), C((2, 3), axis=0), C((2, 3, 2), axis=1)]

# Indices for getitem cases (kept here so both fn and ref see the same object).
_IDX = {
    "int": 1,
    "neg_int": -1,
    "slice": slice(1, None),
    "step": slice(None, None, -2),
    "tuple": (slice(None), 1),
    "none_ellipsis": (None, Ellipsis, 0),
    "int_array": np.array([2, 0]),
    "repeated": np.array([0, 2, 0, 0]),
    "mask": np.array([True, False, True, True]),
    "mask2d": np.array([[True, False, True], [False, False, True]]),
    "pair": (np.array([0, 1, 1]), np.array([2, 2, 0])),
    "mixed": (slice(None), np.array([1, 1, 0])),
    "tensor": ag.tensor([3, 1, 3]),
}


def _gi(x: Any, key: str) -> Any:
    idx = _IDX[key]
    if isinstance(x, np.ndarray) and isinstance(idx, ag.Tensor):
        idx = idx.data
    return x[idx]


def _pad_ref(x: np.ndarray, pad_width: Any, mode: str = "constant", **kw: Any) -> np.ndarray:
    return np.pad(x, pad_width, mode=mode, **kw)


def _unsq_ref(x: np.ndarray, dim: int) -> np.ndarray:
    return np.expand_dims(x, dim)


def _expand_ref(x: np.ndarray, sizes: tuple) -> np.ndarray:
    lead = len(sizes) - x.ndim
    shape = tuple(x.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    return np.broadcast_to(x, shape)


def _flatten_ref(x: np.ndarray, start_dim: int = 0, end_dim: int = -1) -> np.ndarray:
    if x.ndim == 0:
        return x.reshape(1)
    s, e = start_dim % x.ndim, end_dim % x.ndim
    return x.reshape(x.shape[:s] + (-1,) + x.shape[e + 1:])


def _squeeze_ref(x: np.ndarray, axis: Any = None) -> np.ndarray:
    if axis is None:
        return np.squeeze(x)
    axes = (axis,) if isinstance(axis, int) else axis
    axes = tuple(a % x.ndim for a in axes if x.shape[a] == 1)
    return np.squeeze(x, axes)


def _swap_ref(x: np.ndarray, dim0: int, dim1: int) -> np.ndarray:
    return np.swapaxes(x, dim0, dim1)


def _softmax_ref(x: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _log_softmax_ref(x: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.log(_softmax_ref(x, axis))


def _lse_ref(x: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def _sigmoid_ref(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def values_of(fn: Callable) -> Callable:
    """``fn``'s values: ``max``/``min`` over one int dim give ``(values, indices)``."""
    def f(*args: Any, **kw: Any) -> Any:
        out = fn(*args, **kw)
        return out.values if isinstance(out, tuple) else out
    return f


def _unbiased(np_fn: Callable) -> Callable:
    """NumPy's var/std with PyTorch's spellings and default (correction=1) for reference."""
    def f(x: np.ndarray, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
          ddof: Any = None, correction: Any = None, unbiased: Any = None) -> np.ndarray:
        c = next((v for v in (ddof, correction) if v is not None), None)
        if c is None:
            c = 1 if unbiased is None else int(unbiased)
        return np_fn(x, axis=axis if dim is None else dim, keepdims=keepdims, ddof=c)
    return f


def _scalar_pow(p: float) -> Callable:
    return lambda x: ag.pow(x, p)


_CMP = {"lt": (ag.Tensor.__lt__, np.less), "le": (ag.Tensor.__le__, np.less_equal),
        "gt": (ag.Tensor.__gt__, np.greater), "ge": (ag.Tensor.__ge__, np.greater_equal),
        "eq": (ag.Tensor.__eq__, np.equal), "ne": (ag.Tensor.__ne__, np.not_equal)}
ARG = [C((5,)), C((2, 3), axis=0), C((2, 3), axis=1, keepdims=True), C((2, 3, 2), axis=-1)]


ROWS: list[OpRow] = [
    # ---------------------------------------------------------------- elementwise, binary
    OpRow("add", ag.Tensor.__add__, np.add, BINARY, family="binary", draw=D.binary),
    OpRow("sub", ag.Tensor.__sub__, np.subtract, BINARY, family="binary", draw=D.binary),
    OpRow("mul", ag.Tensor.__mul__, np.multiply, BINARY, family="binary", draw=D.binary),
    OpRow("div", ag.Tensor.__truediv__, np.divide, BINARY, domain=[real, nonzero],
          family="binary", draw=D.binary),
    OpRow("pow", ag.pow, np.power, BINARY, domain=[positive, real], method="pow",
          family="binary", draw=D.binary),
    OpRow("rpow_number", lambda x: 2.0 ** x, lambda x: 2.0 ** x, UNARY, op="pow", draw=D.unary,
          errname="pow"),
    OpRow("pow_square", _scalar_pow(2), lambda x: x ** 2, UNARY, family="unary", op="pow"),
    OpRow("pow_cube_negative_base", _scalar_pow(3), lambda x: x ** 3, UNARY, family="unary",
          op="pow"),
    OpRow("pow_zero_exponent", _scalar_pow(0), lambda x: x ** 0, UNARY, domain=with_zeros,
          op="pow"),
    OpRow("pow_square_at_zero", _scalar_pow(2.0), lambda x: x ** 2, UNARY, domain=with_zeros,
          op="pow"),
    OpRow("pow_tensor_exponent_at_zero", ag.pow, np.power,
          [C((4,), (4,)), C((2, 2), (2, 1)), C((3,), ())],
          gen=lambda rng, s: [np.abs(with_zeros(rng, s[0])),
                              rng.integers(2, 4, s[1]).astype(np.float64)],
          # grad 1: the second differences at base 0 read x = -eps, where the exponent's
          # gradient x^p log x is NaN (as in PyTorch): no rule can pass gradgradcheck there
          grad=1, op="pow"),
    OpRow("pow_half", _scalar_pow(0.5), np.sqrt, UNARY, domain=positive, op="pow"),
    OpRow("pow_negative", _scalar_pow(-1.5), lambda x: x ** -1.5, UNARY, domain=positive, op="pow"),
    OpRow("maximum", ag.maximum, np.maximum, BINARY, gen=_sep_pair, family="binary", draw=D.binary),
    OpRow("minimum", ag.minimum, np.minimum, BINARY, gen=_sep_pair, family="binary", draw=D.binary),
    OpRow("where", ag.where, np.where,
          [C((3,), (3,), (3,)), C((2, 3), (3,), (2, 1)), C((2, 1), (2, 3), ()),
           C((2, 2, 3), (3,), (2, 1, 1))], gen=_where_inputs, draw=D.where, const_inputs=(0,)),
    # ---------------------------------------------------------------- elementwise, unary
    OpRow("neg", ag.Tensor.__neg__, np.negative, UNARY, family="unary", draw=D.unary),
    OpRow("exp", ag.exp, np.exp, UNARY, method="exp", family="unary", draw=D.unary),
    OpRow("log", ag.log, np.log, UNARY, domain=positive, method="log", family="unary",
          draw=D.unary),
    OpRow("sqrt", ag.sqrt, np.sqrt, UNARY, domain=positive, method="sqrt", family="unary",
          draw=D.unary),
    OpRow("sin", ag.sin, np.sin, UNARY, method="sin", family="unary", draw=D.unary),
    OpRow("cos", ag.cos, np.cos, UNARY, method="cos", family="unary", draw=D.unary),
    OpRow("tanh", ag.tanh, np.tanh, UNARY, method="tanh", family="unary", draw=D.unary),
    OpRow("sigmoid", ag.sigmoid, _sigmoid_ref, UNARY, method="sigmoid", family="unary",
          draw=D.unary),
    OpRow("relu", ag.relu, lambda x: np.maximum(x, 0), UNARY, domain=nonzero, method="relu",
          family="unary", draw=D.unary),
    OpRow("abs", ag.abs, np.abs, UNARY, domain=nonzero, method="abs", family="unary", draw=D.unary),
    OpRow("clip", ag.clip, np.clip,
          [C((5,), min=-0.5, max=0.7), C((2, 3), min=-0.5), C((2, 3), max=0.7),
           C((), min=-0.5, max=0.7)], gen=_clip_input, method="clip", draw=D.clip,
           smooth_ok=D.clip_ok),
    OpRow("astype_longdouble", lambda x: ag.astype(x, np.longdouble).exp(),
          lambda x: np.exp(x.astype(np.longdouble)), UNARY[:3], op="astype"),
    OpRow("astype_same", lambda x: x.astype(np.float64) * x,
          lambda x: x * x, UNARY[:3], op="astype"),
    # ---------------------------------------------------------------- reductions
    OpRow("sum", ag.sum, np.sum, REDUCE, method="sum", family="reduction", draw=D.reduce),
    OpRow("mean", ag.mean, np.mean, REDUCE, method="mean", family="reduction", draw=D.reduce),
    # max/min over one int axis return (values, indices) as PyTorch: the rows check the values
    OpRow("max", values_of(ag.max), np.max, REDUCE, domain=distinct, method="max",
          family="reduction", draw=D.reduce),
    OpRow("min", values_of(ag.min), np.min, REDUCE, domain=distinct, method="min",
          family="reduction", draw=D.reduce),
    OpRow("amax", ag.amax, np.max, REDUCE, domain=distinct, method="amax", family="reduction",
          draw=D.reduce),
    OpRow("amin", ag.amin, np.min, REDUCE, domain=distinct, method="amin", family="reduction",
          draw=D.reduce),
    # var/std default to the unbiased estimate (PyTorch's correction=1); NumPy's is ddof=0
    OpRow("var", ag.var, _unbiased(np.var),
          REDUCE + [C((2, 3), axis=1, ddof=0), C((6,), ddof=1), C((2, 3, 2), axis=(0, 1),
                                                                 ddof=0, keepdims=True),
                    C((2, 3), dim=1, correction=0), C((2, 3), dim=0, unbiased=False)],
          method="var", family="reduction", draw=D.reduce_ddof, smooth_ok=D.var_ok),
    OpRow("std", ag.std, _unbiased(np.std),
          REDUCE + [C((2, 3), axis=1, ddof=0), C((6,), ddof=0), C((4, 2), dim=0, correction=2)],
          domain=distinct, method="std", family="reduction", draw=D.reduce_ddof,
          smooth_ok=D.std_ok),
    OpRow("logsumexp", ag.logsumexp, _lse_ref, REDUCE, method="logsumexp",
          family="reduction", draw=D.reduce),
    OpRow("softmax", ag.softmax, _softmax_ref, SOFT, method="softmax", draw=D.axis1),
    OpRow("log_softmax", ag.log_softmax, _log_softmax_ref, SOFT, method="log_softmax",
          draw=D.axis1),
    # ---------------------------------------------------------------- shape
    OpRow("reshape", lambda x, shape: ag.reshape(x, shape), np.reshape,
          [C((2, 3), shape=(3, 2)), C((6,), shape=(2, -1)), C((2, 3, 2), shape=(4, 3)),
           C((), shape=(1, 1)), C((1, 4), shape=(4,))], draw=D.reshape),
    OpRow("view", lambda x, shape: x.view(*shape), np.reshape,
          [C((2, 3), shape=(6,)), C((4,), shape=(2, 2)), C((2, 2, 2), shape=(-1, 4))],
          draw=D.reshape),
    OpRow("flatten", ag.flatten, _flatten_ref,
          [C((2, 3)), C((2, 3, 2), start_dim=1), C((2, 3, 2, 2), start_dim=1, end_dim=2),
           C(())], method="flatten", draw=D.flatten),
    OpRow("squeeze", ag.squeeze, _squeeze_ref,
          [C((1, 3, 1)), C((1, 3, 1), axis=0), C((2, 1, 3), axis=-2), C((1, 1), axis=(0, 1)),
           C((2, 3), axis=1)], method="squeeze", draw=D.squeeze),
    OpRow("unsqueeze", lambda x, dim: ag.unsqueeze(x, dim), _unsq_ref,
          [C((3,), dim=0), C((2, 3), dim=-1), C((2, 3), dim=1), C((), dim=0)],
          method="unsqueeze", draw=D.unsqueeze),
    OpRow("transpose", lambda x, dim0, dim1: ag.transpose(x, dim0, dim1), _swap_ref,
          [C((2, 3), dim0=0, dim1=1), C((2, 3, 4), dim0=0, dim1=2), C((2, 3, 2), dim0=-1,
                                                                         dim1=1)],
                                                                         draw=D.transpose),
    OpRow("T", lambda x: x.T, np.transpose, [C((2, 3)), C((2, 3, 4)), C((3,))], op="Tensor.T",
          errname="transpose",
          draw=D.unary),
    OpRow("permute", lambda x, dims: ag.permute(x, *dims), lambda x, dims: np.transpose(x, dims),
          [C((2, 3), dims=(1, 0)), C((2, 3, 4), dims=(2, 0, 1)), C((2, 1, 3), dims=(1, 2, 0))],
          draw=D.permute),
    OpRow("expand", lambda x, sizes: ag.expand(x, *sizes), _expand_ref,
          [C((3, 1), sizes=(3, 4)), C((1, 3), sizes=(2, -1)), C((3,), sizes=(2, 2, -1)),
           C((), sizes=(2, 3))], draw=D.expand, errname=("expand", "broadcast_to")),
    OpRow("broadcast_to", lambda x, shape: ag.broadcast_to(x, shape),
          np.broadcast_to,
          [C((3,), shape=(2, 3)), C((2, 1), shape=(2, 4)), C((1, 2, 1), shape=(3, 2, 2)),
           C((), shape=(3,))], draw=D.broadcast_to),
    OpRow("getitem", _gi, _gi,
          [C((4,), key="int"), C((4, 3), key="neg_int"), C((4, 3), key="slice"),
           C((5,), key="step"), C((4, 3), key="tuple"), C((4, 3), key="none_ellipsis"),
           C((4, 3), key="int_array"), C((4,), key="repeated"), C((4, 2), key="mask"),
           C((2, 3), key="mask2d"), C((2, 3), key="pair"), C((3, 2), key="mixed"),
           C((4, 2), key="tensor")]),
    OpRow("concatenate", lambda *xs, axis=0: ag.concatenate(list(xs), axis=axis),
          lambda *xs, axis=0: np.concatenate(xs, axis=axis),
          [C((2,), (3,)), C((2, 3), (1, 3), (2, 3)), C((2, 3), (2, 1), axis=1),
           C((2, 1, 2), (2, 3, 2), axis=-2)], draw=D.join),
    OpRow("cat", lambda *xs, dim=0: ag.cat(list(xs), dim=dim),
          lambda *xs, dim=0: np.concatenate(xs, axis=dim),
          [C((2, 2), (2, 1), dim=1), C((1, 3), (2, 3)), C((2, 1, 2), (2, 1, 1), dim=-1)],
          draw=D.join_dim),
    OpRow("stack", lambda *xs, axis=0: ag.stack(list(xs), axis=axis),
          lambda *xs, axis=0: np.stack(xs, axis=axis),
          [C((3,), (3,)), C((2, 3), (2, 3), (2, 3), axis=1), C((), (), ()),
           C((2, 2), (2, 2), axis=-1)], draw=D.join),
    OpRow("pad_constant", ag.pad, _pad_ref,
          [C((3,), pad_width=1), C((2, 3), pad_width=((1, 0), (0, 2))),
           C((2, 2), pad_width=(1, 2), constant_values=3.0),
           C((2, 1, 2), pad_width=((0, 0), (1, 1), (2, 0)))], op="pad", draw=D.pad),
    OpRow("pad_modes", ag.pad, _pad_ref,
          [C((4,), pad_width=2, mode="edge"), C((3, 3), pad_width=((1, 2), (2, 1)),
                                                mode="reflect"),
           C((2, 3), pad_width=1, mode="symmetric"), C((3,), pad_width=(2, 4), mode="wrap"),
           C((4,), pad_width=3, mode="reflect")], op="pad"),
    # ---------------------------------------------------------------- linalg
    OpRow("matmul", ag.matmul, np.matmul,
          [C((3,), (3,)), C((3,), (3, 4)), C((2, 3), (3,)), C((2, 3), (3, 4)),
           C((2, 2, 3), (3, 4)), C((3,), (2, 3, 4)), C((2, 3, 4), (4,)),
           C((2, 1, 2, 3), (3, 3, 2)), C((2, 2, 3), (2, 3, 2))], method="matmul", draw=D.matmul),
    OpRow("matmul_operator", ag.Tensor.__matmul__, np.matmul,
          [C((2, 3), (3, 2)), C((3,), (3, 2)), C((2, 2, 3), (3,))], op="matmul"),
    OpRow("einsum_trace", lambda a: ag.einsum("ii->", a), lambda a: np.einsum("ii->", a),
          [C((3, 3)), C((1, 1)), C((4, 4))], op="einsum"),
    OpRow("einsum_diagonal", lambda a: ag.einsum("ii->i", a), lambda a: np.einsum("ii->i", a),
          [C((3, 3)), C((2, 2)), C((1, 1))], op="einsum"),
    OpRow("einsum_outer", lambda a, b: ag.einsum("i,j->ij", a, b),
          lambda a, b: np.einsum("i,j->ij", a, b), [C((3,), (2,)), C((1,), (4,)),
                                                    C((2,), (2,))], op="einsum"),
    OpRow("einsum_batched", lambda a, b: ag.einsum("bij,bjk->bik", a, b),
          lambda a, b: np.einsum("bij,bjk->bik", a, b),
          [C((2, 2, 3), (2, 3, 4)), C((1, 3, 2), (1, 2, 2)), C((3, 1, 2), (3, 2, 1))], op="einsum"),
    OpRow("einsum_ellipsis", lambda a, b: ag.einsum("...ij,jk->...ik", a, b),
          lambda a, b: np.einsum("...ij,jk->...ik", a, b),
          [C((2, 3), (3, 2)), C((2, 2, 3), (3, 2)), C((2, 1, 2, 3), (3, 1))], op="einsum"),
    OpRow("einsum_implicit", lambda a, b: ag.einsum("ij,jk", a, b),
          lambda a, b: np.einsum("ij,jk", a, b), [C((2, 3), (3, 4)), C((1, 2), (2, 2)),
                                                  C((3, 3), (3, 1))], op="einsum"),
    OpRow("einsum_three_operands", lambda a, b, c: ag.einsum("ij,jk,k->i", a, b, c),
          lambda a, b, c: np.einsum("ij,jk,k->i", a, b, c),
          [C((2, 3), (3, 4), (4,)), C((1, 2), (2, 2), (2,)), C((3, 1), (1, 3), (3,))], op="einsum"),
    OpRow("einsum_sum_and_transpose", lambda a: ag.einsum("ijk->kj", a),
          lambda a: np.einsum("ijk->kj", a), [C((2, 3, 4)), C((1, 2, 2)), C((3, 1, 2))],
          op="einsum"),
    # ---------------------------------------------------------------- more elementwise
    OpRow("square", ag.square, np.square, UNARY, method="square", family="unary",
          draw=D.unary),
    OpRow("clone", ag.clone, np.copy, UNARY, method="clone", family="unary", draw=D.unary),
    OpRow("log1p", ag.log1p, np.log1p, UNARY, domain=positive, method="log1p",
          family="unary", draw=D.unary),
    OpRow("erf", ag.erf, np.vectorize(math.erf, otypes=[np.float64]), UNARY, method="erf",
          family="unary", draw=D.unary),
    OpRow("sign", ag.sign, np.sign, UNARY, domain=nonzero, grad=0, method="sign",
          draw=D.unary),
    OpRow("argmax", ag.argmax, np.argmax, ARG, domain=distinct, grad=0, method="argmax",
          draw=D.arg),
    OpRow("argmin", ag.argmin, np.argmin, ARG, domain=distinct, grad=0, method="argmin",
          draw=D.arg),
    *[OpRow(f"compare_{k}", fn, ref, BINARY, grad=0, op=f"Tensor.__{k}__", draw=D.binary,
            errname="") for k, (fn, ref) in _CMP.items()],
    # ---------------------------------------------------------------- fuzz-only forms
    # (drawn arguments that the cases above fix: the exponent, the dtype, the index, ...)
    OpRow("pow_scalar", lambda x, p: x ** p, op="pow", domain=positive, draw=D.pow_exponent,
          smooth_ok=D.pow_scalar_ok),
    # (no gradcheck through a float32 cast: finite differences drown in its rounding)
    OpRow("astype", lambda x, dtype: ag.astype(x, dtype), draw=D.astype,
          smooth_ok=lambda arrays, kw: np.dtype(kw["dtype"]) == np.float64),
    OpRow("getitem_drawn", lambda x, index: x[index], op="getitem", draw=D.getitem),
    OpRow("einsum", lambda *xs, subscripts: ag.einsum(subscripts, *xs), draw=D.einsum),
]

# ----------------------------------------------------------------------------- nn.functional
# Fuzzed here (robust to any input, gradcheck in the smooth domain); their forward values and
# gradients against formulas are checked in tests/nn/.
try:
    import autograd_lite.nn.functional as F
except ImportError:  # pragma: no cover - nn not built
    F = None
if F is not None:
    ROWS += [
        OpRow("F.softplus", F.softplus, draw=D.softplus, smooth_ok=D.softplus_ok),
        OpRow("F.gelu", F.gelu, draw=D.unary),
        OpRow("F.gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), op="F.gelu",
              draw=D.unary),
        OpRow("F.conv2d", F.conv2d, draw=D.conv),
        OpRow("F.max_pool2d", F.max_pool2d, domain=distinct, draw=D.pool),
        OpRow("F.avg_pool2d", F.avg_pool2d, draw=D.pool),
        OpRow("F.mse_loss", F.mse_loss, draw=D.loss_pair),
        OpRow("F.l1_loss", F.l1_loss, domain=[real, real], draw=D.loss_pair),
        OpRow("F.huber_loss", F.huber_loss, draw=D.loss_pair),
        OpRow("F.smooth_l1_loss", F.smooth_l1_loss, draw=D.loss_pair),
        OpRow("F.binary_cross_entropy", F.binary_cross_entropy, domain=[D.prob, D.prob],
              draw=D.loss_pair),
        OpRow("F.binary_cross_entropy_with_logits", F.binary_cross_entropy_with_logits,
              domain=[real, D.prob], draw=D.loss_pair),
        OpRow("F.hinge_loss", F.hinge_loss, domain=[real, D.signs], draw=D.loss_pair,
              smooth_ok=D.hinge_ok, nograd=(1,)),
        OpRow("F.kl_div", F.kl_div, domain=[real, D.prob], draw=D.loss_pair),
        OpRow("F.cross_entropy", F.cross_entropy, draw=D.classes, robust_gen=D.class_targets,
              gen=D.class_gen),
        OpRow("F.nll_loss", lambda x, t, reduction, label_smoothing=0.0: F.nll_loss(
            x, t, reduction=reduction), op="F.nll_loss", draw=D.classes,
            robust_gen=D.class_targets, gen=D.class_gen),
        OpRow("F.linear", F.linear, draw=D.linear),
        OpRow("F.layer_norm", F.layer_norm, draw=D.layer_norm, smooth_ok=D.ln_ok),
        OpRow("F.leaky_relu", F.leaky_relu, domain=nonzero, draw=D.unary),
        OpRow("F.embedding", F.embedding, draw=D.embedding, robust_gen=D.embedding_arrays,
              gen=D.embedding_gen),
    ]

from tests.ops.rows_reduce import ROWS as _ROWS_REDUCE  # noqa: E402, I001  (prod, scans, sort)
ROWS += _ROWS_REDUCE
from tests.ops.rows_math import ROWS as _MATH_ROWS  # noqa: E402, I001  (mathfuncs, add..div)
ROWS += _MATH_ROWS
from tests.ops.rows_index import ROWS as _INDEX_ROWS  # noqa: E402, I001  (ops/indexing.py)
ROWS += _INDEX_ROWS
from tests.ops.rows_nn import ROWS as _NN_ROWS  # noqa: E402, I001  (conv, pooling, attention)
ROWS += _NN_ROWS
BY_NAME = {r.name: r for r in ROWS}


def all_cases(grad: int = 0) -> list:
    """``(row, case_index)`` pairs for every case of the rows with ``row.grad >= grad``."""
    return [(r, i) for r in ROWS if r.grad >= grad for i in range(len(r.cases))]


def case_ids(pairs: list) -> list:
    return [f"{r.name}-{i}" for r, i in pairs]

