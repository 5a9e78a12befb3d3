"""Special functions: erf, log1p (public ops) and a stable softplus (the kernel of
``nn.functional.softplus``).

Each is an engine op (forward on ndarrays, VJP written with Tensor ops so it can be
differentiated again). NumPy has no ``erf``; `_erf_np` is W. J. Cody's rational
Chebyshev approximation (Math. Comp. 23, 1969; the SPECFUN ``CALERF`` coefficient sets),
vectorised, accurate to about 1e-16 relative in float64.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograd_lite.dtypes import promote_float
from autograd_lite.explain import Explain, local
from autograd_lite.ops.elementwise import Exp, Sigmoid
from autograd_lite.ops.elementwise import _sigmoid as _sigmoid_np
from autograd_lite.primitive import Op, export, operand
from autograd_lite.tensor import Tensor

# ----------------------------------------------------------------------------- erf (Cody 1969)
_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
      3.20937758913846947e03, 1.85777706184603153e-1)
_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
      2.84423683343917062e03)
_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
      2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
      2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
      1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
      3.43936767414372164e03, 1.23033935480374942e03)
_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
      1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_Q = (2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
      6.05183413124413191e-2, 2.33520497626869185e-3)
_SQRPI = 5.6418958354775628695e-1  # 1 / sqrt(pi)


def _erfc_scaled_tail(y: np.ndarray) -> np.ndarray:
    """erfc(y) for y >= 0.46875 (Cody's second and third intervals), float64."""
    out = np.empty_like(y)
    mid = y <= 4.0
    ym = y[mid]
    num = _C[8] * ym
    den = ym.copy()
    for i in range(7):
        num = (num + _C[i]) * ym
        den = (den + _D[i]) * ym
    out[mid] = (num + _C[7]) / (den + _D[7])
    yt = y[~mid]
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        z = 1.0 / (yt * yt)
        num = _P[5] * z
        den = z.copy()
        for i in range(4):
            num = (num + _P[i]) * z
            den = (den + _Q[i]) * z
        r = z * (num + _P[4]) / (den + _Q[4])
        out[~mid] = np.where(yt < 26.543, (_SQRPI - r) / yt, 0.0)
    # exp(-y^2) split as exp(-ysq^2) exp(-del) to keep precision (Cody's trick)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        ysq = np.trunc(16.0 * y) / 16.0
        delta = (y - ysq) * (y + ysq)
        res = np.exp(-ysq * ysq) * np.exp(-delta) * out
    res[y >= 26.543] = 0.0  # erfc underflows to 0 (also for huge y, where y * y overflows)
    return res


def _erf_np(x: np.ndarray) -> np.ndarray:
    """Elementwise erf of a real ndarray (computed in float64, returned in x's float dtype;
    integer and bool arrays in the default dtype)."""
    if x.dtype.kind != "f":
        x = promote_float(x, "erf", complex_ok=False)
    dtype = x.dtype
    xd = x.astype(np.float64, copy=False)  # (any array module)
    y = np.abs(xd)
    out = np.empty_like(xd)
    small = y <= 0.46875
    xs = xd[small]
    z = xs * xs
    num = _A[4] * z
    den = z.copy()
    for i in range(3):
        num = (num + _A[i]) * z
        den = (den + _B[i]) * z
    out[small] = xs * (num + _A[3]) / (den + _B[3])
    big = ~small
    if big.any():
        yb = y[big]
        out[big] = np.copysign(1.0 - _erfc_scaled_tail(yb), xd[big])
    out[np.isnan(xd)] = np.nan
    return out.astype(dtype, copy=False)


_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)



# NOTE: d erf(x)/dx = 2/sqrt(pi) exp(-x^2), written with Tensor ops (twice differentiable).
Erf = Op("Erf", _erf_np, lambda g, out, x: g * (_TWO_OVER_SQRT_PI * Exp.in_rule(-(x * x))),
         jvp="elementwise", explain=Explain(local("2/sqrt(pi) exp(-{x}^2)",
                               lambda out, x: _TWO_OVER_SQRT_PI * np.exp(-(x * x)))))


@export(method=True)
def erf(x: Any) -> Tensor:
    """Elementwise error function erf(x) = 2/sqrt(pi) int_0^x exp(-t^2) dt (~1e-16 accurate)."""
    x = operand(x)
    return Erf.unary(x if x._data.dtype.kind == "f" else promote_float(x, "erf", False))


# ----------------------------------------------------------------------------- log1p, softplus
Log1p = Op("Log1p", np.log1p, lambda g, out, x: g / (1 + x),
           jvp="elementwise", explain=Explain(local("1 / (1 + {x})", lambda out, x: 1 / (1 + x))))


@export(method=True)
def log1p(x: Any) -> Tensor:
    """Elementwise log(1 + x), accurate for small x."""
    x = operand(x)
    return Log1p.unary(x if x._data.dtype.kind == "f" else promote_float(x, "log1p"))


# softplus(x) = log(1 + e^x) = logaddexp(0, x): no overflow for any x; derivative sigmoid(x),
# itself an op, so softplus is twice differentiable (also at 0, unlike relu-based forms).
def _softplus_np(x: np.ndarray) -> np.ndarray:
    # float16 stays float16; integer and bool inputs are promoted by softplus() before
    return np.logaddexp(0, x)


Softplus = Op("Softplus", _softplus_np, lambda g, out, x: g * Sigmoid.in_rule(x),
              jvp="elementwise",
              explain=Explain(local("sigmoid({x})", lambda out, x: _sigmoid_np(x))))


def softplus(x: Any) -> Tensor:
    """Elementwise log(1 + exp(x)), stable for logits of any magnitude."""
    x = operand(x)
    return Softplus.unary(x if x._data.dtype.kind == "f" else promote_float(x, "softplus", False))
