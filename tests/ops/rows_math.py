"""Catalog rows of ``autograd_lite/ops/mathfuncs.py`` (inverse trig, hyperbolic, exp/log in
other bases, rounding, remainders, isclose) and of the function forms of ``add sub mul div``
with PyTorch's arguments (``alpha=``, ``rounding_mode=``) and the dtype-cast methods.
``tests/ops/op_catalog.py`` appends ``ROWS`` to its own."""
from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

import autograd_lite as ag
from tests.ops import fuzz_draws as D
from tests.ops.op_catalog import BINARY, UNARY, C, OpRow, nonzero, positive, real


# ----------------------------------------------------------------------------- domains
def inside_unit(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """In (-0.9, 0.9): asin/acos away from the ends +-1 (where the gradient is infinite)."""
    return rng.uniform(-0.9, 0.9, shape)


def off_grid(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """(k + u) / 100 with u in [0.1, 0.4] or [0.6, 0.9]: at least 0.001 from every multiple
    of 0.005, so floor/ceil/round (to 0, 1 or 2 decimals)/trunc/frac never jump nearby."""
    k = rng.integers(-250, 250, shape)
    u = rng.uniform(0.1, 0.4, shape) + 0.5 * (rng.random(shape) < 0.5)
    return (k + u) / 100.0


def _atan2_inputs(rng: np.random.Generator, shapes: tuple) -> list:
    """y away from 0: no point near the jump of atan2 on the negative x axis (nor the origin)."""
    return [nonzero(rng, shapes[0]), real(rng, shapes[1])]


def _quotient_inputs(rng: np.random.Generator, shapes: tuple) -> list:
    """a and b (|b| >= 0.3) with a / b at least 0.05 from every integer, where fmod, remainder
    and the rounded quotients jump."""
    for _ in range(1000):
        a, b = real(rng, shapes[0]) * 2, nonzero(rng, shapes[1])
        q = a / b
        if np.all(np.abs(q - np.round(q)) > 0.05):
            return [a, b]
    raise RuntimeError("no quotient away from the integers")  # pragma: no cover


def _close_inputs(rng: np.random.Generator, shapes: tuple) -> list:
    """a and b near 0.5 at distances from 1e-12 to 1 (some close, some not), with a few NaNs
    and infinities."""
    a, b = (0.5 + 10.0 ** rng.integers(-12, 1, s) * rng.choice([-1, 1], s) for s in shapes)
    for x, vals in ((a, (np.nan, np.inf)), (b, (np.nan, -np.inf))):
        if x.size > 2:
            x.reshape(-1)[:2] = vals
    return [np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)]


# ----------------------------------------------------------------------------- smooth points
def _finite(arrays: list) -> bool:
    return all(np.all(np.isfinite(a)) for a in arrays)


def _unit_ok(arrays: list, kw: dict) -> bool:
    return _finite(arrays) and bool(np.all(np.abs(arrays[0]) < 0.99))


def _atan2_ok(arrays: list, kw: dict) -> bool:
    if not _finite(arrays):
        return False
    y, x = np.broadcast_arrays(*arrays)
    return bool(np.all((np.abs(y) > 1e-3) | (x > 1e-3)))


def _grid_ok(arrays: list, kw: dict) -> bool:
    """Away (1e-3 of the grid step) from the jumps of floor/ceil/trunc/frac (integers) and of
    round (halves; multiples of 10**-decimals)."""
    if not _finite(arrays):
        return False
    x = arrays[0] * 10.0 ** kw.get("decimals", 0) * 2  # jumps at integers of 2x cover both
    return bool(np.all((np.abs(x - np.round(x)) > 2e-3) & (np.abs(x) < 1e6)))


def _quotient_ok(arrays: list, kw: dict) -> bool:
    if not _finite(arrays):
        return False
    a, b = np.broadcast_arrays(*arrays)
    with np.errstate(all="ignore"):
        q = a / b
    return bool(np.all((np.abs(b) > 1e-2) & (np.abs(q) < 100) & (np.abs(q - np.round(q)) > 1e-2)))


# ----------------------------------------------------------------------------- draws
def draw_alpha(data: Any) -> tuple:
    return data.draw(D.shapes_pair(2), label="shapes"), {
        "alpha": data.draw(st.sampled_from([1, 2, -1.5, 0.5]), label="alpha")}


def draw_rounding(data: Any) -> tuple:
    return data.draw(D.shapes_pair(2), label="shapes"), {
        "rounding_mode": data.draw(st.sampled_from([None, "trunc", "floor"]), label="mode")}


def draw_decimals(data: Any) -> tuple:
    return (data.draw(D.SHAPE, label="shape"),), {
        "decimals": data.draw(st.sampled_from([0, 1, 2, -1]), label="decimals")}


def draw_close(data: Any) -> tuple:
    return data.draw(D.shapes_pair(2), label="shapes"), {
        "rtol": data.draw(st.sampled_from([1e-5, 0.0, 0.1])),
        "atol": data.draw(st.sampled_from([1e-8, 0.0, 1.0])),
        "equal_nan": data.draw(st.booleans())}


def draw_cast(data: Any) -> tuple:
    return (data.draw(D.SHAPE, label="shape"),), {}


# ----------------------------------------------------------------------------- references
def _div_ref(a: np.ndarray, b: np.ndarray, rounding_mode: str | None = None) -> np.ndarray:
    if rounding_mode == "trunc":
        return np.trunc(a / b)
    return np.floor_divide(a, b) if rounding_mode == "floor" else a / b


def _call(method: str, *args: Any, **kw: Any) -> Any:
    return lambda x: getattr(x, method)(*args, **kw)


_CASTS = [("float", (), np.float32), ("double", (), np.float64), ("half", (), np.float16),
          ("int", (), np.int32), ("long", (), np.int64), ("bool", (), np.bool_),
          ("to", (np.float64,), np.float64), ("type", ("float32",), np.float32)]
CLOSE = [C((4,), (4,)), C((2, 3), (3,), rtol=0.1), C((2, 1), (1, 3), atol=1e-3),
         C((5,), (5,), equal_nan=True), C((), (2, 2), rtol=0.0, atol=0.0)]
ROUND = [C(()), C((5,)), C((2, 3), decimals=1), C((2, 2), decimals=2), C((4,), decimals=-1)]
QUOT = [C((3,), (3,)), C((2, 3), (3,)), C((2, 1), (1, 3)), C((), (2, 2)), C((2, 2), ())]

ROWS: list[OpRow] = [
    # ---------------------------------------------------------------- inverse trig, hyperbolic
    OpRow("atan", ag.atan, np.arctan, UNARY, method="atan", family="unary", draw=D.unary),
    OpRow("asin", ag.asin, np.arcsin, UNARY, domain=inside_unit, method="asin",
          family="unary", draw=D.unary, smooth_ok=_unit_ok),
    OpRow("acos", ag.acos, np.arccos, UNARY, domain=inside_unit, method="acos",
          family="unary", draw=D.unary, smooth_ok=_unit_ok),
    OpRow("atan2", ag.atan2, np.arctan2, BINARY, gen=_atan2_inputs, method="atan2",
          family="binary", draw=D.binary, smooth_ok=_atan2_ok),
    OpRow("sinh", ag.sinh, np.sinh, UNARY, method="sinh", family="unary", draw=D.unary),
    OpRow("cosh", ag.cosh, np.cosh, UNARY, method="cosh", family="unary", draw=D.unary),
    # ---------------------------------------------------------------- exp and log
    OpRow("expm1", ag.expm1, np.expm1, UNARY, method="expm1", family="unary", draw=D.unary),
    OpRow("exp2", ag.exp2, np.exp2, UNARY, method="exp2", family="unary", draw=D.unary),
    OpRow("log2", ag.log2, np.log2, UNARY, domain=positive, method="log2", family="unary",
          draw=D.unary),
    OpRow("log10", ag.log10, np.log10, UNARY, domain=positive, method="log10",
          family="unary", draw=D.unary),
    # ---------------------------------------------------------------- rounding (gradient 0)
    OpRow("floor", ag.floor, np.floor, UNARY, domain=off_grid, method="floor", draw=D.unary,
          smooth_ok=_grid_ok),
    OpRow("ceil", ag.ceil, np.ceil, UNARY, domain=off_grid, method="ceil", draw=D.unary,
          smooth_ok=_grid_ok),
    OpRow("trunc", ag.trunc, np.trunc, UNARY, domain=off_grid, method="trunc", draw=D.unary,
          smooth_ok=_grid_ok),
    OpRow("round", ag.round, np.round, ROUND, domain=off_grid, method="round",
          draw=draw_decimals, smooth_ok=_grid_ok),
    OpRow("frac", ag.frac, lambda x: x - np.trunc(x), UNARY, domain=off_grid, method="frac",
          draw=D.unary, smooth_ok=_grid_ok),
    # ---------------------------------------------------------------- remainders
    OpRow("fmod", ag.fmod, np.fmod, QUOT, gen=_quotient_inputs, method="fmod", draw=D.binary,
          smooth_ok=_quotient_ok),
    OpRow("remainder", ag.remainder, np.remainder, QUOT, gen=_quotient_inputs,
          method="remainder", draw=D.binary, smooth_ok=_quotient_ok),
    # ---------------------------------------------------------------- add sub mul div forms
    OpRow("add_alpha", ag.add, lambda a, b, alpha=1: a + alpha * b,
          [C((3,), (3,), alpha=2.5), C((2, 3), (3,), alpha=-2), C((), (2, 2), alpha=0.5)],
          method="add", op="add", draw=draw_alpha),
    OpRow("sub_alpha", ag.sub, lambda a, b, alpha=1: a - alpha * b,
          [C((3,), (3,), alpha=2.5), C((2, 1), (1, 3), alpha=-2), C((2, 2), (), alpha=0.5)],
          method="sub", op="sub", draw=draw_alpha),
    OpRow("mul_function", ag.mul, np.multiply, BINARY[:3], method="mul", op="mul",
          draw=D.binary),
    OpRow("div_rounding", ag.div, _div_ref,
          [C((3,), (3,), rounding_mode="trunc"), C((2, 3), (3,), rounding_mode="floor"),
           C((2, 1), (1, 3), rounding_mode="trunc"), C((), (2, 2), rounding_mode="floor"),
           C((2, 2), (2, 2), rounding_mode=None)],
          gen=_quotient_inputs, method="div", op="div", draw=draw_rounding,
          smooth_ok=_quotient_ok),
    OpRow("true_divide", ag.true_divide, np.true_divide, BINARY, domain=[real, nonzero],
          method="true_divide", draw=D.binary, errname=("true_divide", "div")),
    OpRow("floor_divide", ag.floor_divide, np.floor_divide, QUOT, gen=_quotient_inputs,
          method="floor_divide", draw=D.binary, smooth_ok=_quotient_ok),
    # ---------------------------------------------------------------- isclose (bool results)
    OpRow("isclose", ag.isclose, np.isclose, CLOSE, gen=_close_inputs, grad=0,
          method="isclose", draw=draw_close),
    OpRow("allclose", lambda a, b, **kw: ag.tensor(ag.allclose(a, b, **kw)),
          lambda a, b, **kw: np.asarray(np.allclose(a, b, **kw)), CLOSE, gen=_close_inputs,
          grad=0, op="allclose", draw=draw_close),
    # ---------------------------------------------------------------- dtype casts (methods)
    # forward rows (cases, no graph checks: a float cast of a float64 input records one, and
    # finite differences drown in the rounding of a cast to a lower precision) ...
    *[OpRow(f"cast_{m}", _call(m, *a), (lambda dt: lambda x: x.astype(dt))(dt),
            UNARY, grad=0, op=f"Tensor.{m}")
      for m, a, dt in _CASTS],
    # ... and fuzz rows: integer/bool casts never record a graph; float casts are
    # differentiable (gradcheck in float64 only through the float64 cast)
    *[OpRow(f"cast_{m}_fuzz", _call(m, *a), op=f"Tensor.{m}", draw=draw_cast, errname=m,
            grad=int(np.dtype(dt).kind == "f"),
            smooth_ok=(lambda dt: lambda arrays, kw: np.dtype(dt) == np.float64)(dt))
      for m, a, dt in _CASTS],
]

#: Why a row of this file is not twice differentiable (``tests/ops/test_gradcheck.py``).
WHY = {"isclose": "bool result", "allclose": "bool result",
       **{f"cast_{m}": "forward only: a cast to a lower precision or to an integer/bool dtype "
                       "(finite differences drown in its rounding; the gradient of a float "
                       "cast is AsType's, checked in tests/ops/test_mathfuncs.py)"
          for m, _, _ in _CASTS},
       **{f"cast_{m}_fuzz": "fuzz only (see the cast_ rows)" for m, _, _ in _CASTS}}
