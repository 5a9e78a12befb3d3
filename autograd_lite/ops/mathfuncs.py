"""More elementwise math, with PyTorch's semantics: inverse trigonometric and hyperbolic
functions, exponentials and logarithms in other bases, rounding and remainders, ``isclose`` /
``allclose``, the rounding modes of ``div`` and the dtype-cast methods (``.float()``,
``.half()``, ``.int()``, ``.to(dtype)``...).

Rules are written in the one dialect (see ``autograd_lite.primitive.Op``): operators, constant
masks ``arr(x)`` and other ops through ``Op.in_rule``, so each is twice differentiable where the
math is. Rounding ops have a zero gradient (as PyTorch: d floor(x)/dx = 0 wherever it exists).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograd_lite.array_module import as_data
from autograd_lite.dtypes import get_default_dtype, promote_float
from autograd_lite.explain import Explain, local
from autograd_lite.ops.elementwise import Sqrt, astype
from autograd_lite.primitive import Op, arr, export, operand
from autograd_lite.tensor import Tensor

_wrap = Tensor._wrap
_LN2 = math.log(2.0)
_LN10 = math.log(10.0)


def _floating(x: Any, name: str) -> Tensor:
    """``x`` as a Tensor; integer and bool tensors in the default dtype (as PyTorch)."""
    x = operand(x)
    return x if x._data.dtype.kind in "fc" else promote_float(x, name)


def _floating_pair(a: Any, b: Any, name: str) -> tuple:
    """Two operands wrapped as ``div`` does: integer/bool pairs compute in the default dtype."""
    if not isinstance(a, Tensor):
        a = operand(a, b._data if isinstance(b, Tensor) else None)
    if not isinstance(b, Tensor):
        b = operand(b, a._data)
    if a._data.dtype.kind in "biu" and b._data.dtype.kind in "biu":
        a, b = promote_float(a, name), promote_float(b, name)
    return a, b


# ----------------------------------------------------------------------------- inverse trig
# NOTE: d atan(x)/dx = 1 / (1 + x^2); d asin/dx = 1 / sqrt(1 - x^2) = -d acos/dx (|x| < 1).
Atan = Op("Atan", np.arctan, lambda g, out, x: g / (1 + x * x),
          jvp="elementwise",
          explain=Explain(local("1 / (1 + {x}^2)", lambda out, x: 1 / (1 + x * x))))
Asin = Op("Asin", np.arcsin, lambda g, out, x: g / Sqrt.in_rule(1 - x * x),
          jvp="elementwise",
          explain=Explain(local("1 / sqrt(1 - {x}^2)", lambda out, x: 1 / np.sqrt(1 - x * x))))
Acos = Op("Acos", np.arccos, lambda g, out, x: -g / Sqrt.in_rule(1 - x * x),
          jvp="elementwise", explain=Explain(local("-1 / sqrt(1 - {x}^2)",
                                lambda out, x: -1 / np.sqrt(1 - x * x))))
# NOTE: atan2(y, x) is the angle of the point (x, y); its gradient is (x, -y) / (x^2 + y^2).
Atan2 = Op("Atan2", np.arctan2, lambda g, out, y, x: g * x / (x * x + y * y),
           lambda g, out, y, x: -g * y / (x * x + y * y),
           jvp="elementwise",
           explain=Explain(local("{x} / ({x}^2 + {y}^2)", lambda out, y, x: x / (x * x + y * y)),
                           local("-{y} / ({x}^2 + {y}^2)",
                                 lambda out, y, x: -y / (x * x + y * y)),
                           names=("y", "x")))

# ----------------------------------------------------------------------------- hyperbolic
Sinh = Op("Sinh", np.sinh, lambda g, out, x: g * Cosh.in_rule(x),
          jvp="elementwise", explain=Explain(local("cosh {x}", lambda out, x: np.cosh(x))))
Cosh = Op("Cosh", np.cosh, lambda g, out, x: g * Sinh.in_rule(x),
          jvp="elementwise", explain=Explain(local("sinh {x}", lambda out, x: np.sinh(x))))

# ----------------------------------------------------------------------------- exp and log
# NOTE: d expm1(x)/dx = e^x = expm1(x) + 1; d 2^x/dx = 2^x ln 2; d log_b(x)/dx = 1 / (x ln b).
Expm1 = Op("Expm1", np.expm1, lambda g, out, x: g * (out + 1), save_out=True, reads=(),
           jvp="elementwise", explain=Explain(local("{out} + 1", lambda out, x: out + 1)))
Exp2 = Op("Exp2", np.exp2, lambda g, out, x: g * (out * _LN2), save_out=True, reads=(),
          jvp="elementwise", explain=Explain(local("{out} ln 2", lambda out, x: out * _LN2)))
Log2 = Op("Log2", np.log2, lambda g, out, x: g / (x * _LN2),
          jvp="elementwise",
          explain=Explain(local("1 / ({x} ln 2)", lambda out, x: 1 / (x * _LN2))))
Log10 = Op("Log10", np.log10, lambda g, out, x: g / (x * _LN10),
           jvp="elementwise",
           explain=Explain(local("1 / ({x} ln 10)", lambda out, x: 1 / (x * _LN10))))


@export(method=True)
def atan(x: Any) -> Tensor:
    """Elementwise arctangent, in radians in (-pi/2, pi/2); same shape as ``x``. Integer and
    bool inputs compute in the default dtype."""
    return Atan.unary(_floating(x, "atan"))


@export(method=True)
def asin(x: Any) -> Tensor:
    """Elementwise arcsine, in radians in [-pi/2, pi/2]; NaN outside [-1, 1]. The gradient
    1 / sqrt(1 - x^2) is infinite at +-1."""
    return Asin.unary(_floating(x, "asin"))


@export(method=True)
def acos(x: Any) -> Tensor:
    """Elementwise arccosine, in radians in [0, pi]; NaN outside [-1, 1]. The gradient
    -1 / sqrt(1 - x^2) is infinite at +-1."""
    return Acos.unary(_floating(x, "acos"))


@export(method=True)
def atan2(input: Any, other: Any) -> Tensor:
    """Elementwise angle of the point ``(other, input)`` = (x, y), in radians in [-pi, pi]
    (the quadrant from both signs), as ``torch.atan2(input, other)``: ``input`` is y, ``other``
    is x, broadcast together. Gradient ``(x, -y) / (x^2 + y^2)`` with respect to (y, x).
    Integer and bool operands compute in the default dtype; complex ones raise TypeError."""
    y, x = _floating_pair(input, other, "atan2")
    return Atan2.binary(y, x)


@export(method=True)
def sinh(x: Any) -> Tensor:
    """Elementwise hyperbolic sine (e^x - e^-x) / 2; same shape as ``x``."""
    return Sinh.unary(_floating(x, "sinh"))


@export(method=True)
def cosh(x: Any) -> Tensor:
    """Elementwise hyperbolic cosine (e^x + e^-x) / 2; same shape as ``x``."""
    return Cosh.unary(_floating(x, "cosh"))


@export(method=True)
def expm1(x: Any) -> Tensor:
    """Elementwise e^x - 1, accurate for small x (where ``exp(x) - 1`` loses digits)."""
    return Expm1.unary(_floating(x, "expm1"))


@export(method=True)
def exp2(x: Any) -> Tensor:
    """Elementwise 2^x; same shape as ``x``."""
    return Exp2.unary(_floating(x, "exp2"))


@export(method=True)
def log2(x: Any) -> Tensor:
    """Elementwise base-2 logarithm (-inf at 0, NaN below, as PyTorch)."""
    return Log2.unary(_floating(x, "log2"))


@export(method=True)
def log10(x: Any) -> Tensor:
    """Elementwise base-10 logarithm (-inf at 0, NaN below, as PyTorch)."""
    return Log10.unary(_floating(x, "log10"))


# ----------------------------------------------------------------------------- rounding
def _zero(g: Any, out: Any, *xs: Any, **kw: Any) -> Any:
    # NOTE: floor, ceil, round, trunc and the rounded divisions are piecewise constant: their
    # gradient is 0 wherever it exists, and PyTorch returns zeros (not an error) everywhere.
    return g * 0


def _rounding_op(name: str, fn: Any) -> Op:
    return Op(name, fn, _zero, reads=(), jvp="elementwise", explain=Explain(local("0")))


Floor = _rounding_op("Floor", np.floor)
Ceil = _rounding_op("Ceil", np.ceil)
Trunc = _rounding_op("Trunc", np.trunc)
Round = Op("Round", lambda x, decimals=0: np.round(x, decimals), _zero, reads=(),
           jvp="elementwise", explain=Explain(local("0")))
Frac = Op("Frac", lambda x: x - np.trunc(x), lambda g, out, x: g, reads=(),
          jvp="elementwise", explain=Explain(local("1")))


def _real_operand(x: Any, name: str, ints: bool = True) -> Tensor:
    """``x`` as a Tensor of a real dtype; bool (and complex) tensors raise TypeError as in
    PyTorch (and integer ones unless ``ints``)."""
    x = operand(x)
    k = x._data.dtype.kind
    if k == "b" or k == "c" or (k in "iu" and not ints):
        raise TypeError(f"{name}: not implemented for {x.data.dtype} tensors (as PyTorch)")
    return x


def _round_like(op: Op, name: str, x: Any) -> Tensor:
    x = _real_operand(x, name)
    if x._data.dtype.kind in "iu":  # integers are already whole: a copy, the same dtype
        return _wrap(x._data.copy())
    return op.unary(x)


@export(method=True)
def floor(x: Any) -> Tensor:
    """Elementwise largest integer <= x, in ``x``'s dtype (integer tensors are returned as a
    copy; bool and complex ones raise TypeError, as PyTorch). Gradient 0."""
    return _round_like(Floor, "floor", x)


@export(method=True)
def ceil(x: Any) -> Tensor:
    """Elementwise smallest integer >= x, in ``x``'s dtype. Gradient 0."""
    return _round_like(Ceil, "ceil", x)


@export(method=True)
def trunc(x: Any) -> Tensor:
    """Elementwise x rounded toward zero, in ``x``'s dtype. Gradient 0."""
    return _round_like(Trunc, "trunc", x)


@export(method=True)
def round(x: Any, decimals: int = 0) -> Tensor:
    """Elementwise x rounded to ``decimals`` decimal places (negative: to tens, hundreds...),
    halves to even, as ``torch.round(x, decimals=)``; in ``x``'s dtype. Gradient 0. Integer
    tensors are returned as a copy when ``decimals == 0`` (otherwise TypeError, as PyTorch)."""
    if isinstance(decimals, bool) or not isinstance(decimals, (int, np.integer)):
        raise TypeError(f"round: decimals must be an int, got {type(decimals).__name__}")
    if decimals == 0:
        return _round_like(Round, "round", x)
    x = _real_operand(x, "round", ints=False)
    if x._data.dtype == np.float16:  # scaled in float32, as PyTorch (1000 * 100 overflows)
        return astype(Round.apply((astype(x, np.float32),), {"decimals": int(decimals)}),
                      np.float16)
    return Round.apply((x,), {"decimals": int(decimals)})


@export(method=True)
def frac(x: Any) -> Tensor:
    """Elementwise fractional part ``x - trunc(x)`` (with the sign of x, as PyTorch); floating
    tensors only (TypeError otherwise). Gradient 1 (away from the integers, where it jumps)."""
    return Frac.unary(_real_operand(x, "frac", ints=False))


# ----------------------------------------------------------------------------- remainders
def _int_divisor_check(name: str, a: np.ndarray, b: np.ndarray) -> None:
    if a.dtype.kind in "biu" and b.dtype.kind in "biu" and np.any(b == 0):
        raise ValueError(f"{name}: integer division by zero (as PyTorch's ZeroDivisionError)")


def _fmod(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    _int_divisor_check("fmod", a, b)
    return np.fmod(a, b)


def _remainder(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    _int_divisor_check("remainder", a, b)
    return np.remainder(a, b)


# NOTE: fmod(a, b) = a - b trunc(a/b) (C's fmod: the sign of a); remainder(a, b) =
# a - b floor(a/b) (Python's %: the sign of b). Away from the jumps, d/da = 1 and
# d/db = -trunc(a/b) (fmod) or -floor(a/b) (remainder), PyTorch's rules.
Fmod = Op("Fmod", _fmod, lambda g, out, a, b: g,
          lambda g, out, a, b: -g * np.trunc(arr(a) / arr(b)),
          jvp="elementwise", explain=Explain(local("1"), local("-trunc({a} / {b})",
                                            lambda out, a, b: -np.trunc(a / b))))
Remainder = Op("Remainder", _remainder, lambda g, out, a, b: g,
               lambda g, out, a, b: -g * np.floor(arr(a) / arr(b)),
               jvp="elementwise", explain=Explain(local("1"), local("-floor({a} / {b})",
                                                 lambda out, a, b: -np.floor(a / b))))


def _no_bools(a: Any, b: Any, name: str) -> None:
    """Refuse complex operands and two bool ones (a bool next to a number is promoted)."""
    kinds = [v._data.dtype.kind if isinstance(v, Tensor) else
             "b" if isinstance(v, (bool, np.bool_)) else "?" for v in (a, b)]
    if "c" in kinds or kinds == ["b", "b"]:
        dts = " and ".join(str(v._data.dtype) if isinstance(v, Tensor) else type(v).__name__
                           for v in (a, b))
        raise TypeError(f"{name}: not implemented for {dts} operands (as PyTorch)")


@export(method=True)
def fmod(input: Any, other: Any) -> Tensor:
    """Elementwise remainder of ``input / other`` with the sign of the dividend (C's ``fmod``,
    ``torch.fmod``): ``fmod(-3, 2) = -1``; broadcast; integer operands stay integer (division
    by an integer 0 raises ValueError), bool and complex ones raise TypeError. Gradients 1 and
    ``-trunc(input / other)``."""
    _no_bools(input, other, "fmod")
    return Fmod.binary(input, other)


@export(method=True)
def remainder(input: Any, other: Any) -> Tensor:
    """Elementwise remainder of ``input / other`` with the sign of the divisor (Python's ``%``,
    ``torch.remainder``): ``remainder(-3, 2) = 1``; broadcast; dtypes as `fmod`. Gradients 1
    and ``-floor(input / other)``."""
    _no_bools(input, other, "remainder")
    return Remainder.binary(input, other)


# ----------------------------------------------------------------------------- div rounding
def _div_round(a: np.ndarray, b: np.ndarray, mode: str) -> np.ndarray:
    if a.dtype.kind in "biu" and b.dtype.kind in "biu":  # (divisors checked by _div_rounded)
        with np.errstate(over="ignore"):  # INT_MIN // -1 wraps, as PyTorch
            q = np.floor_divide(a, b)
        if mode == "trunc":  # toward zero: one more where the exact quotient is negative
            q = q + ((np.remainder(a, b) != 0) & ((a < 0) != (b < 0)))
            q = q.astype(np.result_type(a, b), copy=False)
        return q
    if mode == "trunc":
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.trunc(np.true_divide(a, b))
    return _floor_div_float(a, b)


def _floor_div_float(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """PyTorch's (and Python's) float floor division, from fmod: ``1e4 // -inf = -1``,
    ``inf // 2 = nan``; float16 computes in float32."""
    dtype = np.result_type(a, b)
    if dtype == np.float16:
        a, b = a.astype(np.float32), b.astype(np.float32)
    with np.errstate(all="ignore"):
        mod = np.fmod(a, b)
        div = (a - mod) / b
        div = np.where((mod != 0) & ((b < 0) != (mod < 0)), div - 1, div)
        fl = np.floor(div)
        fl = np.where(div - fl > 0.5, fl + 1, fl)
        fl = np.where(div == 0, np.copysign(0.0, a / b), fl)
        out = np.where(b == 0, a / b, fl)
    return as_data(out).astype(dtype, copy=False)


DivRounded = Op("DivRounded", _div_round, _zero, _zero, reads=(),
                jvp="elementwise", explain=Explain(local("0"), local("0")))


def _div_rounded(a: Any, b: Any, rounding_mode: str, name: str = "div") -> Tensor:
    """``div(a, b, rounding_mode="trunc" | "floor")`` (called by ``div``): the quotient rounded,
    integer for integer operands, zero gradient."""
    if rounding_mode not in ("trunc", "floor"):
        raise ValueError(f"div: rounding_mode must be None, 'trunc' or 'floor', got "
                         f"{rounding_mode!r}")
    if not isinstance(a, Tensor):
        a = operand(a, b._data if isinstance(b, Tensor) else None)
    if not isinstance(b, Tensor):
        b = operand(b, a._data)
    _no_bools(a, b, name)
    _int_divisor_check(name, a._data, b._data)
    return DivRounded.binary(a, b, {"mode": rounding_mode})


@export(method=True)
def true_divide(input: Any, other: Any) -> Tensor:
    """``input / other``: the same as ``div(input, other)``."""
    from autograd_lite.ops.elementwise import div
    return div(input, other)


@export(method=True)
def floor_divide(input: Any, other: Any) -> Tensor:
    """``div(input, other, rounding_mode="floor")``: the quotient rounded down (integer for
    integer operands, as Python's ``//``); zero gradient."""
    return _div_rounded(input, other, "floor", "floor_divide")


# ----------------------------------------------------------------------------- isclose
def _isclose(input: Any, other: Any, rtol: float, atol: float, equal_nan: bool,
             name: str) -> Tensor:
    a = operand(input)
    b = operand(other, a._data)
    if a._data.dtype != b._data.dtype:
        raise TypeError(f"{name}: input ({a.data.dtype}) and other ({b.data.dtype}) must have "
                        "the same dtype (as PyTorch; cast one first)")
    if rtol < 0 or atol < 0:
        raise ValueError(f"{name}: rtol and atol must be >= 0, got rtol={rtol}, atol={atol}")
    x, y = a._data, b._data
    try:
        np.broadcast_shapes(x.shape, y.shape)
    except ValueError:
        raise ValueError(f"{name}: shapes {x.shape} and {y.shape} cannot be broadcast "
                         "together") from None
    if x.dtype.kind in "biu":  # as PyTorch: integers and bools compare in the default dtype
        x, y = x.astype(get_default_dtype()), y.astype(get_default_dtype())
    with np.errstate(all="ignore"):
        close = x == y
        if equal_nan and x.dtype.kind in "fc":
            close = close | (np.isnan(x) & np.isnan(y))
        if rtol or atol:
            allowed = atol + np.abs(rtol * y)
            actual = np.abs(x - y)
            close = close | (np.isfinite(actual) & (actual <= allowed))
    return _wrap(as_data(close))


@export(method=True)
def isclose(input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """Elementwise ``|input - other| <= atol + rtol * |other|`` (or equal, which covers equal
    infinities), as ``torch.isclose``: a bool tensor of the broadcast shape, never in a graph.
    NaNs are close to each other only with ``equal_nan=True``. Both tensors must have the
    same dtype (TypeError otherwise, as PyTorch); a Python number takes ``input``'s dtype."""
    return _isclose(input, other, rtol, atol, equal_nan, "isclose")


@export(method=True)
def allclose(input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """Whether every element of `isclose` ``(input, other, rtol, atol, equal_nan)`` is true:
    a Python bool, as ``torch.allclose``."""
    return bool(_isclose(input, other, rtol, atol, equal_nan, "allclose")._data.all())


# ----------------------------------------------------------------------------- dtype casts
def _as_dtype(dtype: Any, name: str) -> np.dtype:
    if isinstance(dtype, Tensor):
        return dtype._data.dtype
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{name}: {dtype!r} is not a dtype (e.g. np.float32, 'float64', "
                        "np.int64)") from None


def _cast(x: Tensor, dtype: Any, name: str, copy: bool = False) -> Tensor:
    """``x`` in ``dtype``: ``x`` itself if it already has it (as PyTorch, unless ``copy``);
    differentiable between floating dtypes (the gradient is cast back), detached otherwise."""
    dt = _as_dtype(dtype, name)
    if dt == x._data.dtype and not copy:
        return x
    return astype(x, dt)


def _to(self: Tensor, *args: Any, dtype: Any = None, copy: bool = False,
        non_blocking: bool = False, device: Any = None) -> Tensor:
    """``x.to(dtype)``, ``x.to(other)`` (other's dtype), ``x.to("cpu")`` / ``x.to("cpu", dtype)``
    (the only device); ``x`` itself when nothing changes and ``copy`` is false, as PyTorch."""
    for a in args:
        if isinstance(a, str) and a.split(":")[0] == "cpu":
            continue
        if dtype is not None:
            raise TypeError(f"to: unexpected argument {a!r} (dtype given twice)")
        dtype = a
    for d in (device,):
        if d is not None and str(d).split(":")[0] != "cpu":
            raise ValueError(f"to: device {d!r} is not available (only 'cpu')")
    if dtype is None:
        return self.clone() if copy else self
    return _cast(self, dtype, "to", copy)


def _type(self: Tensor, dtype: Any = None) -> Any:
    """``x.type(dtype)``: as ``x.to(dtype)``; ``x.type()`` gives the dtype's name."""
    if dtype is None:
        return str(self._data.dtype)
    return _cast(self, dtype, "type")


def _caster(dtype: Any, name: str) -> Any:
    def method(self: Tensor) -> Tensor:
        return _cast(self, dtype, name)
    method.__name__ = name
    method.__doc__ = (f"``x.{name}()``: ``x`` cast to {np.dtype(dtype)} (``x`` itself if it "
                      "already is; differentiable between floating dtypes).")
    return method


#: The dtype-cast methods (``Tensor.float()``...), attached by ``autograd_lite.methods``.
CAST_METHODS = {"float": _caster(np.float32, "float"), "double": _caster(np.float64, "double"),
                "half": _caster(np.float16, "half"), "int": _caster(np.int32, "int"),
                "long": _caster(np.int64, "long"), "bool": _caster(np.bool_, "bool"),
                "to": _to, "type": _type}
