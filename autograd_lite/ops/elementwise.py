"""Elementwise ops: forward on ndarrays, one VJP rule per input written with Tensor ops.

Broadcasting is undone by the engine (``node.unbroadcast``); rules never mention it.
Rule vocabulary: ``g`` is the upstream gradient, ``out`` the forward result, inputs keep their
forward names.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from autograd_lite.array_module import as_data, ones
from autograd_lite.dtypes import promote_float, result_type
from autograd_lite.explain import Explain, formula, local
from autograd_lite.primitive import Op, arr, export, operand
from autograd_lite.tensor import Tensor

_wrap = Tensor._wrap


# Rules run on ndarrays (plain backward) and on Tensors (create_graph): masks are constants
# taken with ``arr(x)``, and another op is used inside a rule as ``Op.in_rule(x)``.


# ----------------------------------------------------------------------------- arithmetic
# (``explain=``: the stepper's template of each rule, see ``autograd_lite.explain``)
Add = Op("Add", np.add, lambda g, out, a, b: g, lambda g, out, a, b: g, reads=(),
         jvp="elementwise", explain=Explain(local("1"), local("1")))
Sub = Op("Sub", np.subtract, lambda g, out, a, b: g, lambda g, out, a, b: -g, reads=(),
         jvp="elementwise", explain=Explain(local("1"), local("-1")))
Mul = Op("Mul", np.multiply, lambda g, out, a, b: g * b, lambda g, out, a, b: g * a,
         jvp="elementwise", explain=Explain(local("{b}"), local("{a}")))
Div = Op("Div", np.true_divide, lambda g, out, a, b: g / b,
         lambda g, out, a, b: -g * a / (b * b),
         jvp="elementwise", explain=Explain(local("1 / {b}", lambda out, a, b: 1 / b),
                         local("-{a} / {b}^2", lambda out, a, b: -a / (b * b))))
Neg = Op("Neg", np.negative, lambda g, out, x: -g, reads=(), jvp="elementwise",
         explain=Explain(local("-1")))


def _pow_base(g: Tensor, out: Tensor, x: Tensor, p: Tensor) -> Tensor:
    # d(x^p)/dx = p x^(p-1); written without `out / x` so x = 0 is handled.
    # NOTE: where p == 0 the derivative is 0 for every x (also 0, inf and NaN), as PyTorch's
    # where(p == 0, 0, p x^(p-1)): there the power is x^0 = 1, times p = 0.
    return g * p * x ** (p - (arr(p) != 0).astype(np.int8))  # (int8: p may be bool)


def _pow_exp(g: Tensor, out: Tensor, x: Tensor, p: Tensor) -> Tensor:
    # NOTE: d(x^p)/dp = x^p log x, PyTorch's values: 0 where x == 0 and p >= 0 (the limit),
    # -inf where x == 0 and p < 0 (inf * log 0), NaN where x < 0 (log of a negative number:
    # (-2.0) ** p has no real derivative in p). Only the x == 0, p >= 0 entries are replaced.
    # Written as PyTorch's where(x == 0 & p >= 0, 0, out * log x), so that double backward
    # also gives PyTorch's values (NaN at x = 0, from the masked branch's 0 * log 0).
    zero = (arr(x) == 0) & (arr(p) >= 0)
    with np.errstate(divide="ignore", invalid="ignore"):  # log 0, log of negatives: as PyTorch
        d = out * Log.in_rule(x)
        if zero.any():
            d = Where.in_rule(zero, 0.0, d)
        return g * d


Pow = Op("Pow", np.power, _pow_base, _pow_exp, save_out=True,
         jvp="elementwise",
         explain=Explain(local("{p} {x}^({p} - 1)", lambda out, x, p: p * x ** (p - 1)),
                         local("{out} log {x}", lambda out, x, p: out * np.log(x)),
                         names=("x", "p")))


def _scaled(a: Any, b: Any, alpha: Any, name: str) -> tuple:
    """``a`` and ``alpha * b`` in their result dtype, for ``add``/``sub`` (PyTorch's
    ``alpha=``), with the operators' ops."""
    if not isinstance(a, Tensor):
        a = operand(a, b._data if isinstance(b, Tensor) else None)
    b = operand(b, a._data)
    rt = result_type(a._data, b._data)
    if b._data.dtype != rt:
        b = b.astype(rt) if b.requires_grad else _wrap(b._data.astype(rt))
    kind = rt.kind
    if isinstance(alpha, float) and kind in "biu":
        raise TypeError(f"{name}: alpha must not be a float for integer operands (as PyTorch), "
                        f"got alpha={alpha!r}")
    if kind == "b":  # bool alpha * b: b itself or all False
        return a, b if alpha else _wrap(np.zeros_like(b._data))
    return a, Mul.binary(b, alpha)


@export(method=True)
def add(a: Any, b: Any, alpha: Any = 1) -> Tensor:
    """``a + alpha * b`` with broadcasting (``torch.add(input, other, alpha=1)``)."""
    if alpha != 1:
        a, b = _scaled(a, b, alpha, "add")
    return Add.binary(a, b)


@export(method=True)
def sub(a: Any, b: Any, alpha: Any = 1) -> Tensor:
    """``a - alpha * b`` with broadcasting (``torch.sub(input, other, alpha=1)``)."""
    if alpha != 1:
        a, b = _scaled(a, b, alpha, "sub")
    return Sub.binary(a, b)


@export(method=True)
def mul(a: Any, b: Any) -> Tensor:
    """``a * b`` with broadcasting."""
    return Mul.binary(a, b)


@export(method=True)
def div(a: Any, b: Any, rounding_mode: str | None = None) -> Tensor:
    """``a / b`` (true division) with broadcasting. Integer and bool operands divide in the
    default dtype (float32 unless changed), as PyTorch; NumPy would give float64.
    ``rounding_mode="trunc"`` / ``"floor"``: the quotient rounded toward zero / down, as
    ``torch.div`` (integer operands give integers; zero gradient)."""
    if rounding_mode is not None:
        from autograd_lite.ops.mathfuncs import _div_rounded
        return _div_rounded(a, b, rounding_mode)
    if isinstance(a, Tensor):  # the fast paths: a floating tensor on either side
        if a._data.dtype.kind == "f":
            return Div.binary(a, b)
    elif isinstance(b, Tensor) and b._data.dtype.kind == "f":
        return Div.binary(a, b)
    if not isinstance(a, Tensor):
        a = operand(a, b._data if isinstance(b, Tensor) else None)
    if not isinstance(b, Tensor):
        b = operand(b, a._data)
    if a._data.dtype.kind in "biu" and b._data.dtype.kind in "biu":
        a, b = promote_float(a, "div"), promote_float(b, "div")
    return Div.binary(a, b)


@export(method=True)
def neg(x: Any) -> Tensor:
    """``-x``."""
    return Neg.unary(operand(x))


@export(method=True)
def pow(x: Any, exponent: Any) -> Tensor:
    """``x ** exponent`` elementwise (both differentiable; exponent may be a tensor)."""
    if isinstance(exponent, (int, float)) and not isinstance(exponent, bool) \
            and isinstance(x, Tensor):
        # (an integer tensor squared by 2.0 is a float, as PyTorch: the general rule promotes it)
        if exponent == 2 and (type(exponent) is int or x._data.dtype.kind in "fc"):
            return square(x)
    return Pow(x, exponent)


# Squaring is common enough (losses, norms) to skip the general power rule.
Square = Op("Square", np.square, lambda g, out, x: g * 2 * x,
            jvp="elementwise", explain=Explain(local("2 {x}", lambda out, x: 2 * x)))

# ----------------------------------------------------------------------------- unary math
Exp = Op("Exp", np.exp, lambda g, out, x: g * out, save_out=True, reads=(),
         jvp="elementwise", explain=Explain(local("{out}")))
Log = Op("Log", np.log, lambda g, out, x: g / x,
         jvp="elementwise", explain=Explain(local("1 / {x}", lambda out, x: 1 / x)))
Sqrt = Op("Sqrt", np.sqrt, lambda g, out, x: g / (2 * out), save_out=True, reads=(),
          jvp="elementwise", explain=Explain(local("1 / (2 {out})", lambda out, x: 1 / (2 * out))))
Sin = Op("Sin", np.sin, lambda g, out, x: g * Cos.in_rule(x),
         jvp="elementwise", explain=Explain(local("cos {x}", lambda out, x: np.cos(x))))
Cos = Op("Cos", np.cos, lambda g, out, x: -g * Sin.in_rule(x),
         jvp="elementwise", explain=Explain(local("-sin {x}", lambda out, x: -np.sin(x))))
Tanh = Op("Tanh", np.tanh, lambda g, out, x: g * (1 - out * out), save_out=True,
          reads=(), jvp="elementwise",
          explain=Explain(local("(1 - {out}^2)", lambda out, x: 1 - out * out)))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    # exp(-log(1 + exp(-x))): no overflow for any x, full precision in both tails. Integer and
    # bool inputs are promoted by sigmoid() before (``-x`` of a uint8 wraps around).
    return np.exp(-np.logaddexp(0, -x))


Sigmoid = Op("Sigmoid", _sigmoid, lambda g, out, x: g * out * (1 - out), save_out=True,
             reads=(),
             jvp="elementwise",
             explain=Explain(local("{out} (1 - {out})", lambda out, x: out * (1 - out))))
# NOTE: relu'(0) = 0, as PyTorch. The mask is a constant, so relu'' = 0 as it should be.
Relu = Op("Relu", lambda x: np.maximum(x, 0),
          lambda g, out, x: g * (arr(x) > 0),
          jvp="elementwise", explain=Explain(local("[{x} > 0]", lambda out, x: (x > 0) * 1.0)))
Abs = Op("Abs", np.abs, lambda g, out, x: g * np.sign(arr(x)),
         jvp="elementwise", explain=Explain(local("sign({x})", lambda out, x: np.sign(x))))


@export(method=True)
def exp(x: Any) -> Tensor:
    """Elementwise e**x."""
    if not isinstance(x, Tensor):  # (a Tensor, the common case: no call)
        x = operand(x)
    return Exp.unary(x if x._data.dtype.kind == "f" else promote_float(x, "exp"))


@export(method=True)
def log(x: Any) -> Tensor:
    """Elementwise natural logarithm (-inf at 0, nan below, as NumPy)."""
    if not isinstance(x, Tensor):  # (a Tensor, the common case: no call)
        x = operand(x)
    return Log.unary(x if x._data.dtype.kind == "f" else promote_float(x, "log"))


@export(method=True)
def sqrt(x: Any) -> Tensor:
    """Elementwise square root."""
    if not isinstance(x, Tensor):  # (a Tensor, the common case: no call)
        x = operand(x)
    return Sqrt.unary(x if x._data.dtype.kind == "f" else promote_float(x, "sqrt"))


@export(method=True)
def sin(x: Any) -> Tensor:
    """Elementwise sine."""
    if not isinstance(x, Tensor):  # (a Tensor, the common case: no call)
        x = operand(x)
    return Sin.unary(x if x._data.dtype.kind == "f" else promote_float(x, "sin"))


@export(method=True)
def cos(x: Any) -> Tensor:
    """Elementwise cosine."""
    if not isinstance(x, Tensor):  # (a Tensor, the common case: no call)
        x = operand(x)
    return Cos.unary(x if x._data.dtype.kind == "f" else promote_float(x, "cos"))


@export(method=True)
def tanh(x: Any) -> Tensor:
    """Elementwise hyperbolic tangent."""
    if not isinstance(x, Tensor):  # (a Tensor, the common case: no call)
        x = operand(x)
    return Tanh.unary(x if x._data.dtype.kind == "f" else promote_float(x, "tanh"))


@export(method=True)
def sigmoid(x: Any) -> Tensor:
    """Elementwise logistic function 1 / (1 + e**-x), stable for any magnitude."""
    if not isinstance(x, Tensor):  # (a Tensor, the common case: no call)
        x = operand(x)
    return Sigmoid.unary(x if x._data.dtype.kind == "f" else promote_float(x, "sigmoid", False))


@export(method=True)
def relu(x: Any) -> Tensor:
    """Elementwise max(x, 0); the gradient at 0 is 0."""
    return Relu.unary(x if isinstance(x, Tensor) else operand(x))


@export(method=True)
def abs(x: Any) -> Tensor:
    """Elementwise |x|; the gradient at 0 is 0."""
    return Abs.unary(operand(x))


@export(method=True)
def sign(x: Any) -> Tensor:
    """Elementwise sign (non-differentiable: returns a constant)."""
    x = operand(x)
    if x._data.dtype == np.bool_:  # NumPy has no bool sign; sign(b) = b (as PyTorch)
        return _wrap(x._data.copy())
    return _wrap(as_data(np.sign(x._data)))  # asarray: 0-d input gives a NumPy scalar


# ----------------------------------------------------------------------------- clipping, min/max
def _clip_fwd(x: np.ndarray, lo: Any = None, hi: Any = None) -> np.ndarray:
    if lo is None and hi is None:
        raise ValueError("clip: at least one of min and max must be given")
    return np.clip(x, lo, hi)


def _clip_vjp(g: Tensor, out: Tensor, x: Tensor, lo: Any = None, hi: Any = None) -> Tensor:
    # NOTE: gradient passes where lo <= x <= hi (boundaries included), as PyTorch's clamp.
    xa = arr(x)
    m = ones(xa.shape, bool, xa)
    if lo is not None:  # (not in place: array bounds may broadcast x to a larger shape)
        m = m & (xa >= lo)
    if hi is not None:
        m = m & (xa <= hi)
    return g * m


Clip = Op("Clip", _clip_fwd, _clip_vjp,
          jvp="elementwise", explain=Explain(local("[{lo} <= {x} <= {hi}]",
                                lambda out, x, lo=None, hi=None:
                                ((lo is None or x >= lo) & (hi is None or x <= hi)) * 1.0)))


@export(method=("clip", "clamp"))
def clip(x: Any, min: Any = None, max: Any = None) -> Tensor:
    """Elementwise clamp to [min, max] (either may be None); gradient 1 inside, 0 outside."""
    x = operand(x)
    if min is None and max is None:
        raise ValueError("clip: at least one of min and max must be given")
    # Bounds promote with x as PyTorch's clamp: a float32 tensor stays float32 next to
    # np.float64 or 0-d float64 bounds; an integer tensor clipped to 1.5 is a float.
    lo = None if min is None else operand(min, x._data)._data
    hi = None if max is None else operand(max, x._data)._data
    rt = result_type(*[a for a in (x._data, lo, hi) if a is not None])
    if x._data.dtype != rt:
        x = x.astype(rt) if x.requires_grad else _wrap(x._data.astype(rt))
    if lo is not None and lo.dtype != rt:
        lo = lo.astype(rt)
    if hi is not None and hi.dtype != rt:
        hi = hi.astype(rt)
    return Clip.apply((x,), {"lo": lo, "hi": hi})


def _max_vjp(first: bool, largest: bool):
    # NOTE: where a == b the gradient is split evenly, as PyTorch's maximum/minimum.
    def rule(g: Tensor, out: Tensor, a: Tensor, b: Tensor) -> Tensor:
        x, y = (arr(a), arr(b)) if first else (arr(b), arr(a))
        win = (x > y) if largest else (x < y)
        w = np.where(win, 1.0, np.where(x == y, 0.5, 0.0)).astype(arr(g).dtype, copy=False)
        return g * w
    return rule


Maximum = Op("Maximum", np.maximum, _max_vjp(True, True), _max_vjp(False, True),
             jvp="elementwise", explain=Explain(local("[{a} > {b}] (1/2 at a tie)"),
                             local("[{b} > {a}] (1/2 at a tie)")))
Minimum = Op("Minimum", np.minimum, _max_vjp(True, False), _max_vjp(False, False),
             jvp="elementwise", explain=Explain(local("[{a} < {b}] (1/2 at a tie)"),
                             local("[{b} < {a}] (1/2 at a tie)")))


@export(method=True)
def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise maximum with broadcasting (ties split the gradient evenly)."""
    return Maximum(a, b)


@export(method=True)
def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise minimum with broadcasting (ties split the gradient evenly)."""
    return Minimum(a, b)


Where = Op("Where", np.where, None,
           lambda g, out, c, a, b: g * arr(c),
           lambda g, out, c, a, b: g * ~arr(c), promote=(1, 2),
           jvp="elementwise", explain=Explain(local("0"), local("[{c}]"), local("[not {c}]"),
                           names=("c", "a", "b")))


@export
def where(condition: Any, a: Any, b: Any) -> Tensor:
    """``a`` where ``condition`` is true, else ``b`` (broadcast together)."""
    c = condition if isinstance(condition, Tensor) else _wrap(as_data(condition))
    if c._data.dtype != np.bool_:
        c = _wrap(c._data.astype(bool))
    like = a._data if isinstance(a, Tensor) else (b._data if isinstance(b, Tensor) else None)
    return Where.apply((c, operand(a, like), operand(b, like)), {})


# ----------------------------------------------------------------------------- dtype
def _astype_vjp(g: Tensor, out: Tensor, x: Tensor, dtype: Any) -> Tensor:
    return g.astype(arr(x).dtype)


AsType = Op("AsType", lambda x, dtype: x.astype(dtype), _astype_vjp, reads=(),
            jvp="linear", explain=Explain(formula("{g} cast back to the dtype of {x}")))


@export(method=True)
def astype(x: Any, dtype: Any) -> Tensor:
    """A copy cast to ``dtype``; differentiable between floating dtypes."""
    x = operand(x)
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"astype: {dtype!r} is not a dtype (e.g. np.float32, 'float64', "
                        "np.int64)") from None
    if dtype == x._data.dtype:
        return Clone.unary(x)
    return AsType.apply((x,), {"dtype": dtype})


Clone = Op("Clone", np.copy, lambda g, out, x: g, reads=(), jvp="elementwise",
           explain=Explain(local("1")))


@export(method=True)
def clone(x: Any) -> Tensor:
    """A copy with its own memory that stays in the graph (gradient flows through)."""
    return Clone.unary(operand(x))


@export(method=True)
def square(x: Any) -> Tensor:
    """Elementwise x**2 (of a bool tensor: int64, as PyTorch; NumPy would give int8)."""
    x = operand(x)
    if x._data.dtype == np.bool_:
        x = _wrap(x._data.astype(np.int64))
    return Square.unary(x)


# ----------------------------------------------------------------------------- comparisons
_CMP = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
        "==": np.equal, "!=": np.not_equal}


def compare(op: str, a: Any, b: Any) -> Tensor:
    """Non-differentiable comparison; returns a bool tensor (no graph is recorded).
    (``&``, ``|``, ``^`` are bitwise: see `bitwise_and`.)"""
    if op in _BITWISE:
        return _bitwise(op, a, b)
    like = a._data if isinstance(a, Tensor) else None
    x = a._data if isinstance(a, Tensor) else np.asarray(a)
    y = b._data if isinstance(b, Tensor) else np.asarray(b) if like is None else \
        operand(b, like)._data
    try:
        return _wrap(as_data(_CMP[op](x, y)))
    except ValueError as e:
        raise ValueError(f"{op}: operands could not be broadcast together: shapes "
                         f"{np.shape(x)} and {np.shape(y)}") from e


_SWAPPED = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


def _comparison(name: str, symbol: str) -> Any:
    def fn(x: Any, other: Any) -> Tensor:
        if not isinstance(x, Tensor) and isinstance(other, Tensor):  # as the operator would
            return compare(_SWAPPED[symbol], other, x)
        return compare(symbol, x, other)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"``torch.{name}``: ``x {symbol} other`` elementwise with broadcasting, a bool "
                  "tensor (not differentiable: no graph is recorded).")
    return export(fn, method=True)


eq = _comparison("eq", "==")
ne = _comparison("ne", "!=")
lt = _comparison("lt", "<")
le = _comparison("le", "<=")
gt = _comparison("gt", ">")
ge = _comparison("ge", ">=")
export(clip, name="clamp")  # ag.clamp (PyTorch's name; x.clamp is declared with clip)


@export(method=True)
def clamp_min(x: Any, min: Any) -> Tensor:
    """``torch.clamp_min``: [`clip`][autograd_lite.clip] from below only."""
    return clip(x, min=min)


@export(method=True)
def clamp_max(x: Any, max: Any) -> Tensor:
    """``torch.clamp_max``: [`clip`][autograd_lite.clip] from above only."""
    return clip(x, max=max)


# ----------------------------------------------------------------------------- bitwise
# Bitwise on integer tensors (two's complement, as NumPy and PyTorch), logical on bool ones;
# floating operands are refused, as PyTorch. Never differentiable (integer results).
_BITWISE = {"&": ("bitwise_and", np.bitwise_and), "|": ("bitwise_or", np.bitwise_or),
            "^": ("bitwise_xor", np.bitwise_xor)}


def _bit_operand(v: Any, name: str) -> Any:
    """The array (or Python int/bool, kept weak for NumPy's promotion) behind an operand."""
    if isinstance(v, Tensor):
        v = v._data
    elif isinstance(v, (list, tuple)):
        v = np.asarray(v)
    elif isinstance(v, (float, complex)):
        raise TypeError(f"{name}: not implemented for a Python {type(v).__name__} operand "
                        "(only integer and bool tensors, as PyTorch)")
    elif not isinstance(v, (int, np.ndarray, np.generic)):  # (bool is an int)
        raise TypeError(f"{name}: unsupported operand of type {type(v).__name__} (it takes "
                        "integer or bool tensors, arrays or Python ints)")
    dt = v.dtype if isinstance(v, (np.ndarray, np.generic)) else None
    if dt is not None and dt.kind not in "biu":
        raise TypeError(f"{name}: not implemented for {dt} operands (only integer and bool "
                        "tensors, as PyTorch)")
    return v


def _bitwise(sym: str, a: Any, b: Any) -> Tensor:
    name, fn = _BITWISE[sym]
    x, y = _bit_operand(a, f"{name} ({sym})"), _bit_operand(b, f"{name} ({sym})")
    try:
        return _wrap(as_data(fn(x, y)))
    except ValueError:
        raise ValueError(f"{name} ({sym}): operands could not be broadcast together: shapes "
                         f"{np.shape(x)} and {np.shape(y)}") from None
    except OverflowError as e:  # a Python int that does not fit the tensor's integer dtype
        raise ValueError(f"{name} ({sym}): {e} (cast the tensor to a wider integer dtype "
                         "first)") from None


def bitwise_and(a: Any, b: Any) -> Tensor:
    """``a & b``: bitwise and of integer tensors, logical and of bool ones (not differentiable;
    floating operands raise TypeError)."""
    return _bitwise("&", a, b)


def bitwise_or(a: Any, b: Any) -> Tensor:
    """``a | b``: bitwise or of integer tensors, logical or of bool ones."""
    return _bitwise("|", a, b)


def bitwise_xor(a: Any, b: Any) -> Tensor:
    """``a ^ b``: bitwise exclusive or of integer tensors, logical xor of bool ones."""
    return _bitwise("^", a, b)


def bitwise_not(x: Any) -> Tensor:
    """``~x``: bitwise not of an integer tensor (``-x - 1``), logical not of a bool one."""
    x = operand(x)
    if x._data.dtype.kind not in "biu":
        raise TypeError(f"bitwise_not (~): not implemented for {x.dtype} tensors (only integer "
                        "and bool tensors, as PyTorch)")
    return _wrap(as_data(np.invert(x._data)))
