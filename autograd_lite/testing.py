"""Derivative checks: ``gradcheck`` and ``gradgradcheck`` (central finite differences in
float64 against the engine), and the lectures' ``taylor_test``."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from autograd_lite.backward import grad
from autograd_lite.grad_mode import enable_grad, no_grad
from autograd_lite.tensor import Tensor

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError", "taylor_test", "TaylorReport"]


class GradcheckError(RuntimeError):
    """The analytic (engine) and numeric (finite-difference) derivatives disagree."""


def _inputs(inputs: Any) -> tuple[tuple, list]:
    """float64 copies of the inputs; indices of those to differentiate."""
    ins = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    wrt = [i for i, x in enumerate(ins) if isinstance(x, Tensor) and x.requires_grad]
    if not wrt:
        wrt = [i for i, x in enumerate(ins) if isinstance(x, Tensor) and x.dtype.kind == "f"]
    if not wrt:
        raise ValueError("gradcheck: no floating Tensor inputs to check")
    out = []
    for i, x in enumerate(ins):
        if i in wrt:
            out.append(Tensor._wrap(np.array(x.data, dtype=np.float64), True))
        else:
            out.append(x)
    return tuple(out), wrt


def _flat_outputs(y: Any) -> list:
    ys = [y] if isinstance(y, Tensor) else list(y)
    for k, t in enumerate(ys):
        if not isinstance(t, Tensor):
            raise TypeError(f"gradcheck: output {k} is {type(t).__name__}, not a Tensor")
    return ys


def _numeric(f: Callable, ins: tuple, wrt: list, eps: float) -> list:
    """J[i] with shape (total output size, input i size) by central differences."""
    J = []
    for i in wrt:
        x = ins[i]
        flat = x.data.reshape(-1)
        cols = []
        for j in range(flat.size):
            orig = flat[j]
            flat[j] = orig + eps
            plus = np.concatenate([np.asarray(t.data, np.float64).ravel()
                                   for t in _flat_outputs(f(*ins))])
            flat[j] = orig - eps
            minus = np.concatenate([np.asarray(t.data, np.float64).ravel()
                                    for t in _flat_outputs(f(*ins))])
            flat[j] = orig
            cols.append((plus - minus) / (2 * eps))
        J.append(np.stack(cols, axis=1) if cols else np.zeros((0, 0)))
    return J


def _analytic(f: Callable, ins: tuple, wrt: list) -> tuple[list, list]:
    with enable_grad():
        ys = _flat_outputs(f(*ins))
    sizes = [t.size for t in ys]
    total = int(np.sum(sizes))
    J = [np.zeros((total, ins[i].size)) for i in wrt]
    row = 0
    for t in ys:
        for k in range(t.size):
            if t.requires_grad:
                e = np.zeros(t.size)
                e[k] = 1
                gs = grad(t, [ins[i] for i in wrt],
                          grad_outputs=Tensor._wrap(e.reshape(t.shape).astype(t.dtype)),
                          retain_graph=True, allow_unused=True)
                for n, g in enumerate(gs):
                    if g is not None:
                        if g.shape != ins[wrt[n]].shape:
                            raise GradcheckError(
                                f"gradcheck: gradient for input {wrt[n]} has shape {g.shape}, "
                                f"expected {ins[wrt[n]].shape}")
                        J[n][row] = g.data.ravel()
            row += 1
    return J, ys


def _forward_jvps(f: Callable, ins: tuple, wrt: list, us: list, batch: int | None,
                  plain: bool) -> np.ndarray:
    """The JVPs of ``f`` along the tangents ``us`` (one per checked input, ``(batch,) + shape``
    when ``batch``) by forward mode, outputs flattened and concatenated: (batch or 1, total).
    ``plain``: primals that do not require grad (the rules run on ndarrays); else they do
    (the rules run on Tensors, recorded)."""
    from autograd_lite import forward_ad as fw
    b = 1 if batch is None else batch
    with fw.dual_level():
        args = list(ins)
        for i, u in zip(wrt, us):
            args[i] = fw.make_dual(Tensor._wrap(ins[i].data.copy(), not plain), Tensor._wrap(u))
        with enable_grad():
            ys = _flat_outputs(f(*args))
        cols = []
        for t in ys:
            tan = fw.unpack_dual(t).tangent
            cols.append(np.zeros((b, t.size)) if tan is None else
                        np.asarray(tan.data, np.float64).reshape(b, t.size))
    return np.concatenate(cols, axis=1)


def _check_forward(f: Callable, ins: tuple, wrt: list, J_a: list, J_n: list, atol: float,
                   rtol: float) -> str | None:
    """Forward mode against finite differences and reverse mode; a message if they differ."""
    rng = np.random.default_rng(0)
    us = [rng.standard_normal((2,) + ins[i].shape) for i in wrt]
    num = sum(J @ u.reshape(2, -1).T for J, u in zip(J_n, us)).T  # (2, total)
    rev = sum(J @ u.reshape(2, -1).T for J, u in zip(J_a, us)).T
    single = _forward_jvps(f, ins, wrt, [u[0] for u in us], None, True)
    batched = _forward_jvps(f, ins, wrt, us, 2, False)
    batched_plain = _forward_jvps(f, ins, wrt, us, 2, True)
    for what, got, want in (("finite differences", single[:1], num[:1]),
                            ("reverse mode (v^T J u)", single[:1], rev[:1]),
                            ("reverse mode, batched tangents", batched, rev),
                            ("reverse mode, batched tangents on ndarrays", batched_plain, rev)):
        bad = ~np.isclose(got, want, atol=atol, rtol=rtol, equal_nan=True)
        if bad.any():
            b, k = np.argwhere(bad)[0]
            return (f"gradcheck (check_forward_ad): the JVP disagrees with {what} at output "
                    f"element {int(k)} (tangent {int(b)}): forward {float(got[b, k])!r}, "
                    f"expected {float(want[b, k])!r} ({int(bad.sum())} of {bad.size} differ)")
    return None


def gradcheck(f: Callable, inputs: Any, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True,
              check_forward_ad: bool = False) -> bool:
    """Check the engine's derivatives of ``f`` against central finite differences.

    ``inputs`` is a Tensor or a tuple (of Tensors and other arguments); the float Tensors that
    require grad (or all float Tensors, if none does) are copied to float64 and checked.
    Returns True, or raises [`GradcheckError`][autograd_lite.testing.GradcheckError] naming the
    input, the element (input and output index), and the analytic and numeric values.

    ``check_forward_ad=True`` also checks forward mode (``autograd_lite.forward_ad``): the JVP
    along a random tangent u against the finite differences J u and against the reverse-mode
    Jacobian (v^T (J u) = (v^T J) u for every v), with the rules on ndarrays and on recorded
    Tensors, and with a batch of two tangents. An op without a JVP raises
    ``NotImplementedError``.
    """
    if not eps > 0:
        raise ValueError(f"gradcheck: eps must be positive, got {eps}")
    ins, wrt = _inputs(inputs)
    J_a, ys = _analytic(f, ins, wrt)
    J_n = _numeric(f, ins, wrt, eps)
    for n, i in enumerate(wrt):
        a, num = J_a[n], J_n[n]
        if a.size == 0:  # a zero-size input (or output): nothing to compare
            continue
        bad = ~np.isclose(a, num, atol=atol, rtol=rtol, equal_nan=True)
        if bad.any():
            r, c = np.argwhere(bad)[0]
            shape = ins[i].shape
            elem = np.unravel_index(c, shape) if shape else ()
            msg = (f"gradcheck: Jacobian mismatch for input {i} (shape {shape}) at element "
                   f"{tuple(int(e) for e in elem)}, output element {int(r)}:\n"
                   f"  analytic {float(a[r, c])!r}\n  numeric  {float(num[r, c])!r}\n"
                   f"  ({int(bad.sum())} of {bad.size} entries differ; atol={atol}, "
                   f"rtol={rtol})\n  analytic Jacobian:\n{np.array2string(a, precision=5)}\n"
                   f"  numeric Jacobian:\n{np.array2string(num, precision=5)}")
            if raise_exception:
                raise GradcheckError(msg)
            return False
    if check_forward_ad:
        msg = _check_forward(f, ins, wrt, J_a, J_n, atol, rtol)
        if msg is not None:
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True


def gradgradcheck(f: Callable, inputs: Any, grad_outputs: Any = None, eps: float = 1e-6,
                  atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """Check second derivatives: gradcheck of ``(inputs, v) -> grad(f(inputs), inputs, v,
    create_graph=True)``, with a random ``v`` (or ``grad_outputs``) also differentiated."""
    ins, wrt = _inputs(inputs)
    with enable_grad():
        ys = _flat_outputs(f(*ins))
    rng = np.random.default_rng(0)
    if grad_outputs is None:
        vs = [Tensor._wrap(rng.standard_normal(t.shape), True) for t in ys]
    else:
        go = [grad_outputs] if isinstance(grad_outputs, Tensor) else list(grad_outputs)
        vs = [Tensor._wrap(np.array(np.asarray(v.data if isinstance(v, Tensor) else v),
                                    dtype=np.float64), True) for v in go]
    n_in = len(ins)

    def first_grads(*args: Any) -> tuple:
        xs, v = args[:n_in], args[n_in:]
        outs = _flat_outputs(f(*xs))
        diff = [(o, g) for o, g in zip(outs, v) if o.requires_grad]
        if not diff:
            return tuple(Tensor._wrap(np.zeros(xs[i].shape)) for i in wrt)
        gs = grad([o for o, _ in diff], [xs[i] for i in wrt], [g for _, g in diff],
                  create_graph=True, allow_unused=True)
        return tuple(Tensor._wrap(np.zeros(xs[i].shape)) if g is None else g
                     for g, i in zip(gs, wrt))

    return gradcheck(first_grads, tuple(ins) + tuple(vs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)


# ---------------------------------------------------------------------------- Taylor test
_EPS64 = float(np.finfo(np.float64).eps)


class TaylorReport:
    """The result of [`taylor_test`][autograd_lite.testing.taylor_test]: a table of step sizes and
    Taylor errors.

    Attributes (NumPy arrays of length ``steps`` unless said otherwise):

    - ``h``: step sizes ``h0 / 2**k``; ``E0``: ``|f(x + h p) - f(x)|``;
      ``E1``: ``|f(x + h p) - f(x) - h <grad f(x), p>|``;
      ``table``: the three as columns, shape ``(steps, 3)``.
    - ``orders0``, ``orders1``: observed orders ``log2(E[k-1] / E[k])``, length ``steps - 1``
      (row ``k`` of the table compared with row ``k - 1``); NaN where an error is zero or, for
      E1, at round-off level (``roundoff[k]`` True).
    - ``order``: the observed order of E1 used for the verdict (median of the last three
      valid orders; NaN when none is valid); ``passed``: True when it is at least
      ``min_order`` (E1 falls at second order), or when E1 sits at round-off level at the
      smallest h (f is linear along p, so the first-order model is exact).
    - ``f0`` (the projected value f(x)), ``slope`` (``<grad f(x), p>``) and ``direction``
      (the p used, one array per input, None for inputs not perturbed).

    ``str(report)`` is a readable table; notebooks render ``_repr_html_``. ``bool(report)``
    is ``report.passed``.
    """

    def __init__(self, h: np.ndarray, E0: np.ndarray, E1: np.ndarray, roundoff: np.ndarray,
                 f0: float, slope: float, direction: tuple, min_order: float) -> None:
        self.h, self.E0, self.E1 = h, E0, E1
        self.roundoff = roundoff
        self.f0, self.slope, self.direction = f0, slope, direction
        self.min_order = min_order
        self.orders0 = _orders(E0, E0 == 0)
        self.orders1 = _orders(E1, roundoff | (E1 == 0))
        valid = self.orders1[np.isfinite(self.orders1)]
        self.order = float(np.median(valid[-3:])) if valid.size else float("nan")
        valid0 = self.orders0[np.isfinite(self.orders0)]
        self.order0 = float(np.median(valid0[-3:])) if valid0.size else float("nan")
        if valid.size:
            self.passed = bool(self.order >= min_order)
        else:  # no two consecutive E1 above round-off: pass only if it ends at round-off
            self.passed = bool(roundoff[-1] or E1[-1] == 0)

    @property
    def table(self) -> np.ndarray:
        """Columns ``h, E0, E1``, one row per step size."""
        return np.stack([self.h, self.E0, self.E1], axis=1)

    def __bool__(self) -> bool:
        return self.passed

    def summary(self) -> str:
        """One line: the verdict and the observed orders."""
        verdict = "passed" if self.passed else "FAILED"
        if np.isfinite(self.order):
            why = f"E1 falls at order {self.order:.2f}"
            if not self.passed:
                why += (f" (< {self.min_order:g}: the gradient is wrong along p"
                        + (", E1 falls like E0" if self.order < 1.5 else "") + ")")
        elif self.passed:
            why = "E1 is at round-off level: f is linear along p, the first-order model is exact"
        else:
            why = "E1 never falls below round-off consistently; no order could be observed"
        o0 = f", E0 order {self.order0:.2f}" if np.isfinite(self.order0) else ""
        return f"Taylor test {verdict}: {why}{o0}"

    def _rows(self) -> list:
        rows = []
        for k in range(len(self.h)):
            o0 = "" if k == 0 else _fmt_order(self.orders0[k - 1])
            o1 = "" if k == 0 else _fmt_order(self.orders1[k - 1])
            if self.roundoff[k]:
                o1 = "round-off"
            rows.append((f"{self.h[k]:.3e}", f"{self.E0[k]:.3e}", f"{self.E1[k]:.3e}", o0, o1))
        return rows

    def __str__(self) -> str:
        head = ("h", "E0", "E1", "order E0", "order E1")
        rows = self._rows()
        widths = [max(len(head[j]), *(len(r[j]) for r in rows)) for j in range(5)]
        lines = [self.summary(), "  ".join(s.rjust(w) for s, w in zip(head, widths,
                                                                        strict=True))]
        lines += ["  ".join(s.rjust(w) for s, w in zip(r, widths, strict=True)) for r in rows]
        lines.append("E0 = |f(x+hp) - f(x)| should fall at order 1, E1 = |f(x+hp) - f(x) - "
                     "h <grad f(x), p>| at order 2")
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        import html
        color = "#1a7f37" if self.passed else "#cf222e"
        cells = "".join(
            "<tr>" + "".join(f"<td style='text-align:right'>{html.escape(c)}</td>" for c in r)
            + "</tr>" for r in self._rows())
        head = "".join(f"<th>{h}</th>" for h in ("h", "E<sub>0</sub>", "E<sub>1</sub>",
                                                 "order E<sub>0</sub>", "order E<sub>1</sub>"))
        return (f"<table><caption style='color:{color};font-weight:bold'>"
                f"{html.escape(self.summary())}</caption><thead><tr>{head}</tr></thead>"
                f"<tbody>{cells}</tbody></table>"
                "<p>E<sub>0</sub> = |f(x+hp) &minus; f(x)| should fall at order 1, "
                "E<sub>1</sub> = |f(x+hp) &minus; f(x) &minus; h &lang;&nabla;f(x), p&rang;| "
                "at order 2.</p>")


def _orders(E: np.ndarray, invalid: np.ndarray) -> np.ndarray:
    out = np.full(len(E) - 1, np.nan)
    for k in range(1, len(E)):
        if not (invalid[k - 1] or invalid[k]):
            out[k - 1] = np.log2(E[k - 1] / E[k])
    return out


def _fmt_order(o: float) -> str:
    return "-" if not np.isfinite(o) else f"{o:.2f}"


def _taylor_inputs(inputs: Any, direction: Any, rng: np.random.Generator) -> tuple:
    """float64 copies of the inputs, the indices to perturb, and the direction per input."""
    single = isinstance(inputs, Tensor)
    ins = (inputs,) if single else tuple(inputs)
    if direction is None:
        wrt = [i for i, x in enumerate(ins) if isinstance(x, Tensor) and x.requires_grad]
        if not wrt:
            wrt = [i for i, x in enumerate(ins) if isinstance(x, Tensor) and x.dtype.kind == "f"]
        if not wrt:
            raise ValueError("taylor_test: no floating Tensor inputs to perturb")
        ps: list = [rng.standard_normal(ins[i].shape) if i in wrt else None
                    for i in range(len(ins))]
        norm = np.sqrt(sum(float(np.sum(p * p)) for p in ps if p is not None))
        ps = [None if p is None else p / norm for p in ps] if norm > 0 else ps
    else:
        ds = (direction,) if single else tuple(direction)
        if len(ds) != len(ins):
            raise ValueError(f"taylor_test: direction has {len(ds)} entries for {len(ins)} "
                             "inputs; give one per input (None for inputs not perturbed)")
        ps = []
        for i, (x, d) in enumerate(zip(ins, ds, strict=True)):
            if d is None:
                ps.append(None)
                continue
            if not (isinstance(x, Tensor) and x.dtype.kind == "f"):
                raise ValueError(f"taylor_test: direction given for input {i}, which is not a "
                                 "floating Tensor")
            p = np.array(d.data if isinstance(d, Tensor) else d, dtype=np.float64)
            if p.shape != x.shape:
                raise ValueError(f"taylor_test: direction for input {i} has shape {p.shape}, "
                                 f"but the input has shape {x.shape}")
            ps.append(p)
        wrt = [i for i, p in enumerate(ps) if p is not None]
        if not wrt:
            raise ValueError("taylor_test: direction is None for every input")
    xs = [np.array(x.data, dtype=np.float64) if i in wrt else x for i, x in enumerate(ins)]
    return xs, wrt, ps


def taylor_test(f: Callable, inputs: Any, direction: Any = None, h0: float = 1.0,
                steps: int = 8, *, seed: int = 0, min_order: float = 1.75) -> TaylorReport:
    """The lectures' derivative check: do the engine's gradients of ``f`` predict ``f``?

    Along a direction p, for h = h0 / 2**k (k = 0 .. steps-1), it computes in float64

        E0(h) = |f(x + h p) - f(x)|                      (falls like h:   order 1)
        E1(h) = |f(x + h p) - f(x) - h <grad f(x), p>|   (falls like h^2: order 2)

    If the gradient is right, halving h divides E1 by about 4 (observed order
    log2(E1(2h) / E1(h)) near 2); if it is wrong along p, E1 falls only like E0 (order 1).

    ``inputs`` is a Tensor or a tuple of Tensors and other arguments, called as ``f(*inputs)``.
    The float Tensors that require grad (all float Tensors if none does) are copied to float64
    and perturbed together. ``f`` returns a Tensor or a tuple of Tensors; a non-scalar output
    is reduced to a number by a fixed random projection <w, f(x)> first.

    ``direction``: p, shaped like the input (for a tuple of inputs, a tuple with one entry per
    input, None for inputs not perturbed); by default a random direction of unit norm. The
    random p and w come from a local ``numpy.random.default_rng(seed)``, so the test is
    reproducible and does not consume the library's generator (``ag.manual_seed``).

    Rows where E1 is at floating-point round-off level (about 1e3 * machine epsilon times the
    size of the terms) are shown as such and left out of the orders. ``passed`` is true when the
    median of the last three valid orders of E1 is at least ``min_order``. Returns a
    [`TaylorReport`][autograd_lite.testing.TaylorReport]; it prints as a table and renders as HTML
    in notebooks.
    """
    if steps < 2:
        raise ValueError(f"taylor_test: steps must be at least 2 to observe an order, got {steps}")
    if not h0 > 0:
        raise ValueError(f"taylor_test: h0 must be positive, got {h0}")
    rng = np.random.default_rng(seed)
    xs, wrt, ps = _taylor_inputs(inputs, direction, rng)

    def call(arrays: list, requires_grad: bool) -> tuple[list, list]:
        args = [Tensor._wrap(a, requires_grad) if i in wrt else a
                for i, a in enumerate(arrays)]
        y = f(*args)
        ys = list(y) if isinstance(y, (tuple, list)) else [y]
        for k, t in enumerate(ys):
            if not isinstance(t, Tensor):
                raise TypeError(f"taylor_test: output {k} of f is a {type(t).__name__}, "
                                "not a Tensor")
        return args, ys

    with enable_grad():
        args, ys = call(xs, True)
        if len(ys) == 1 and ys[0].size == 1:
            ws = [np.ones(ys[0].shape)]
        else:
            ws = [rng.standard_normal(t.shape) for t in ys]
        terms = [(t * Tensor._wrap(w)).sum() for t, w in zip(ys, ws, strict=True)
                 if t.requires_grad]
        slope = 0.0
        if terms:
            phi = terms[0]
            for t in terms[1:]:
                phi = phi + t
            gs = grad(phi, [args[i] for i in wrt], allow_unused=True)
            slope = sum(float(np.sum(np.asarray(g.data, np.float64) * ps[i]))
                        for g, i in zip(gs, wrt, strict=True) if g is not None)

    def project(outs: list) -> tuple[float, float]:
        vals = [np.asarray(t.data, np.float64) * w for t, w in zip(outs, ws, strict=True)]
        return (float(sum(np.sum(v) for v in vals)),
                float(sum(np.sum(np.abs(v)) for v in vals)))

    f0, scale0 = project(ys)
    h = h0 / 2.0 ** np.arange(steps)
    E0, E1, roundoff = np.empty(steps), np.empty(steps), np.zeros(steps, dtype=bool)
    with no_grad():
        for k, hk in enumerate(h):
            moved = [a + hk * ps[i] if i in wrt else a for i, a in enumerate(xs)]
            fk, scale = project(call(moved, False)[1])
            E0[k] = abs(fk - f0)
            E1[k] = abs(fk - f0 - hk * slope)
            roundoff[k] = E1[k] <= 1e3 * _EPS64 * (scale + scale0 + abs(hk * slope))
    direction_used = tuple(ps)
    return TaylorReport(h, E0, E1, roundoff, f0, slope,
                        direction_used[0] if isinstance(inputs, Tensor) else direction_used,
                        min_order)
