"""Training health at a glance: per-layer activation and gradient statistics.

What makemore part 3 and fast.ai's ActivationStats build by hand, in one call:

- activations of every activation module (``Tanh``, ``Sigmoid``, ``ReLU``, ...): mean, std,
  histogram, **saturation** (share of tanh outputs with ``|a| > threshold``, of sigmoid
  outputs within ``1 - threshold`` of 0 or 1) and **dead ReLU units** (units that are 0 for
  every example of the batch);
- every parameter: the **gradient:data ratio** ``std(grad) / std(data)`` and the
  **update:data ratio** ``std(update) / std(data)`` (``update = lr * grad`` when ``lr`` is
  given, else the change measured between two `Monitor.step` calls), over steps when a
  `Monitor` records them; ``~1e-3`` is the usual guide.

``diagnostics(model, x, lr=0.1)`` after a ``backward()`` runs ``model(x)`` once more under
``no_grad`` to see the activations; a `Monitor` attached before the training loop
records them (and their gradients) as the model trains. Reports print as a table, and
``report.figures()`` draws matplotlib figures when matplotlib is installed. Gradients are
read from ``.grad``: nothing is recomputed.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograd_lite.grad_mode import no_grad
from autograd_lite.tensor import Tensor

__all__ = ["diagnostics", "Monitor", "HealthReport", "LayerStats", "ParamStats",
           "ACTIVATIONS"]

#: Module classes (by name) whose outputs are watched.
ACTIVATIONS = ("Tanh", "Sigmoid", "ReLU", "LeakyReLU", "GELU", "Softplus")
GUIDE = 1e-3


@dataclass
class LayerStats:
    """Statistics of one activation module's output (and its gradient, when recorded)."""

    name: str
    kind: str
    mean: float
    std: float
    saturated: float | None  # share of saturated outputs (tanh, sigmoid)
    dead: float | None  # share of dead units (ReLU)
    hist: tuple  # (counts, edges) of the values
    grad_std: float | None = None
    grad_hist: tuple | None = None
    flags: list = field(default_factory=list)


@dataclass
class ParamStats:
    """Gradient and update ratios of one parameter."""

    name: str
    shape: tuple
    grad_data: float | None
    update_data: float | None  # latest
    history: list = field(default_factory=list)  # update:data ratios over steps
    grad_hist: tuple | None = None
    flags: list = field(default_factory=list)


def _hist(a: np.ndarray, bins: int = 40) -> tuple:
    a = a[np.isfinite(a)]
    if not a.size:
        return (np.zeros(bins), np.linspace(-1, 1, bins + 1))
    return np.histogram(a, bins=bins)


def _layer_stats(name: str, kind: str, a: np.ndarray, g: np.ndarray | None, threshold: float,
                 sat_limit: float, dead_limit: float) -> LayerStats:
    a = np.asarray(a, dtype=np.float64)
    sat = dead = None
    if kind == "Tanh":
        sat = float(np.mean(np.abs(a) > threshold))
    elif kind == "Sigmoid":
        sat = float(np.mean(np.minimum(a, 1 - a) < 1 - threshold))
    elif kind in ("ReLU", "LeakyReLU") and a.ndim >= 1:
        units = (a > 0).reshape(a.shape[0], -1) if a.ndim >= 2 else (a > 0)[:, None]
        if a.ndim == 4:  # (N, C, H, W): a channel is dead when it is never active
            units = (a > 0).any(axis=(2, 3))
        dead = float(np.mean(~units.any(axis=0)))
    st = LayerStats(name, kind, float(a.mean()), float(a.std()), sat, dead, _hist(a))
    if g is not None:
        st.grad_std = float(np.std(g))
        st.grad_hist = _hist(np.asarray(g, dtype=np.float64))
    if sat is not None and sat > sat_limit:
        st.flags.append(f"{sat:.0%} saturated (|a| > {threshold})")
    if dead is not None and dead > dead_limit:
        st.flags.append(f"{dead:.0%} dead units")
    return st


def _activation_modules(model: Any) -> list:
    named = getattr(model, "named_modules", None)
    mods = list(named()) if callable(named) else [("", model)]
    return [(n or type(m).__name__, m) for n, m in mods if type(m).__name__ in ACTIVATIONS]


class Monitor:
    """Watch a model while it trains: activations (forward hooks, with ``retain_grad`` so
    their gradients are kept), and per-step gradient and update ratios of every parameter.

    Call `step` once per iteration after ``backward()`` and before the optimizer's
    ``step()`` (pass ``lr`` for the ``lr * grad`` update of SGD; without it the change since
    the previous call is measured, which works for any optimizer). `report` returns a
    `HealthReport`; `remove` detaches the hooks.

    Example:
        >>> import autograd_lite as ag
        >>> model = ag.nn.Sequential(ag.nn.Linear(2, 4), ag.nn.Tanh(), ag.nn.Linear(4, 1))
        >>> mon = ag.viz.Monitor(model)
        >>> loss = model(ag.randn(8, 2)).pow(2).mean(); loss.backward()
        >>> mon.step(lr=0.1)
        >>> "update:data" in mon.report().table()
        True
    """

    def __init__(self, model: Any) -> None:
        self.model = model
        self.activations: dict = {}
        self.history: dict = {}
        self._prev: dict = {}
        self._last_ud: dict = {}
        self._handles = []
        for name, m in _activation_modules(model):
            def hook(mod: Any, args: Any, out: Any, _name: str = name) -> None:
                if isinstance(out, Tensor):
                    self.activations[_name] = (type(mod).__name__, out)
                    if out.requires_grad and out.grad_fn is not None:
                        out.retain_grad()
            self._handles.append(m.register_forward_hook(hook))

    def step(self, lr: float | None = None) -> None:
        """Record this iteration's update:data ratio of every parameter (see the class)."""
        for name, p in _named_parameters(self.model):
            d = p.data
            sd = float(np.std(d))
            if lr is not None:
                if p.grad is None or sd == 0:
                    continue
                r = float(np.std(lr * _arr(p.grad))) / sd
            else:
                prev = self._prev.get(name)
                self._prev[name] = d.copy()
                if prev is None or float(np.std(prev)) == 0:
                    continue
                r = float(np.std(d - prev)) / float(np.std(prev))
            self.history.setdefault(name, []).append(r)
            self._last_ud[name] = r

    def report(self, **kwargs: Any) -> "HealthReport":
        """The `HealthReport` of what was recorded (``kwargs`` as `diagnostics`)."""
        return diagnostics(self.model, monitor=self, **kwargs)

    def remove(self) -> None:
        """Detach the forward hooks."""
        for h in self._handles:
            h.remove()
        self._handles = []


def _arr(x: Any) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _named_parameters(model: Any) -> list:
    f = getattr(model, "named_parameters", None)
    return list(f()) if callable(f) else []


@dataclass
class HealthReport:
    """Per-layer training health (see `diagnostics`): ``layers`` (activations),
    ``params`` (ratios), ``flagged`` (names of layers and parameters that look unhealthy,
    with the reasons in their ``flags``)."""

    layers: list
    params: list
    notes: list = field(default_factory=list)

    @property
    def flagged(self) -> list:
        """Names of the layers and parameters with at least one flag."""
        return [x.name for x in self.layers + self.params if x.flags]

    def table(self) -> str:
        """The report as plain text (two tables)."""
        rows = [f"{'activation':<14}{'kind':<10}{'mean':>9}{'std':>9}{'saturated':>11}"
                f"{'dead':>8}{'grad std':>11}  flags"]
        for s in self.layers:
            rows.append(f"{s.name:<14}{s.kind:<10}{s.mean:>9.3f}{s.std:>9.3f}"
                        f"{_pct(s.saturated):>11}{_pct(s.dead):>8}{_num(s.grad_std):>11}  "
                        + "; ".join(s.flags))
        rows.append("")
        rows.append(f"{'parameter':<14}{'shape':<14}{'grad:data':>11}{'update:data':>13}"
                    f"{'log10':>7}  flags   (guide: update:data ~ 1e-3)")
        for p in self.params:
            lg = f"{math.log10(p.update_data):.1f}" if p.update_data else "-"
            rows.append(f"{p.name:<14}{str(p.shape):<14}{_num(p.grad_data):>11}"
                        f"{_num(p.update_data):>13}{lg:>7}  " + "; ".join(p.flags))
        rows.extend(self.notes)
        return "\n".join(rows)

    def __str__(self) -> str:
        return self.table()

    def figures(self) -> list:
        """matplotlib figures (activation histograms, gradient histograms, update:data
        over steps with the 1e-3 guide), or ``[]`` when matplotlib is not installed (then
        print the `table`)."""
        try:
            import matplotlib.pyplot as plt
        except ImportError:
            return []
        figs = []
        fig, ax = plt.subplots(figsize=(8, 3))
        for s in self.layers:
            c, e = s.hist
            extra = f", sat {s.saturated:.0%}" if s.saturated is not None else \
                (f", dead {s.dead:.0%}" if s.dead is not None else "")
            ax.plot((e[:-1] + e[1:]) / 2, c, label=f"{s.name} ({s.kind}{extra})")
        ax.set_title("activation distribution")
        if self.layers:
            ax.legend(fontsize=7)
        figs.append(fig)
        fig, ax = plt.subplots(figsize=(8, 3))
        src = [(s.name, s.grad_hist) for s in self.layers if s.grad_hist is not None]
        title = "activation gradient distribution"
        if not src:
            src = [(p.name, p.grad_hist) for p in self.params
                   if p.grad_hist is not None and len(p.shape) >= 2]
            title = "weight gradient distribution"
        for name, (c, e) in src:
            ax.plot((e[:-1] + e[1:]) / 2, c, label=name)
        ax.set_title(title)
        if src:
            ax.legend(fontsize=7)
        figs.append(fig)
        fig, ax = plt.subplots(figsize=(8, 3))
        for p in self.params:
            if len(p.shape) >= 2 and p.history:
                ax.plot([math.log10(max(r, 1e-30)) for r in p.history], label=p.name)
        ax.axhline(math.log10(GUIDE), color="k", ls="--", lw=1)
        ax.set_title("update:data ratio (log10) over steps; dashed: 1e-3")
        ax.legend(fontsize=7)
        figs.append(fig)
        return figs


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{v:.1%}"


def _num(v: float | None) -> str:
    return "-" if v is None else f"{v:.2e}"


def diagnostics(model: Any, inputs: Any = None, *, monitor: Monitor | None = None,
                lr: float | None = None, threshold: float = 0.97,
                saturation_limit: float = 0.10, dead_limit: float = 0.25,
                update_range: tuple = (1e-5, 1e-1)) -> HealthReport:
    """Training health of ``model`` after a ``backward()``: one row per activation module,
    one per parameter (see the module docstring).

    Args:
        model: an ``nn.Module``.
        inputs: a batch to run through ``model`` under ``no_grad`` to see the activations
            (not needed with a ``monitor``, which recorded them during the forward).
        monitor: a `Monitor` attached before the forward (activations, their
            gradients, and update:data over steps).
        lr: the learning rate; the update:data ratio is then ``std(lr*grad)/std(data)``.
        threshold: tanh outputs with ``|a| > threshold`` count as saturated.
        saturation_limit, dead_limit: flag a layer with more saturated outputs / dead units.
        update_range: flag a weight whose latest update:data ratio is outside this range.

    Returns:
        a `HealthReport` (``print`` it, or ``.figures()`` with matplotlib).
    """
    acts: dict = {}
    notes = []
    if monitor is not None:
        for name, (kind, out) in monitor.activations.items():
            g = _arr(out.grad) if out.grad is not None else None
            acts[name] = (kind, out.data, g)
    elif inputs is not None:
        tmp: dict = {}
        handles = []
        for name, m in _activation_modules(model):
            def hook(mod: Any, args: Any, out: Any, _n: str = name) -> None:
                tmp[_n] = (type(mod).__name__, _arr(out).copy(), None)
            handles.append(m.register_forward_hook(hook))
        try:
            with no_grad():
                model(inputs)
        finally:
            for h in handles:
                h.remove()
        acts = tmp
    else:
        notes.append("(no activations: pass inputs= or use a Monitor)")
    layers = [_layer_stats(n, k, a, g, threshold, saturation_limit, dead_limit)
              for n, (k, a, g) in acts.items()]
    params = []
    lo, hi = update_range
    for name, p in _named_parameters(model):
        d = p.data
        sd = float(np.std(d))
        g = _arr(p.grad) if p.grad is not None else None
        gd = float(np.std(g)) / sd if g is not None and sd > 0 else None
        ud = None
        hist: list = []
        if monitor is not None and name in monitor._last_ud:
            ud = monitor._last_ud[name]
            hist = list(monitor.history.get(name, []))
        elif lr is not None and g is not None and sd > 0:
            ud = float(np.std(lr * g)) / sd
            hist = [ud]
        ps = ParamStats(name, tuple(d.shape), gd, ud, hist,
                        _hist(np.asarray(g, dtype=np.float64)) if g is not None else None)
        if d.ndim >= 2 and ud is not None and not lo <= ud <= hi:
            ps.flags.append(f"update:data {ud:.1e} outside [{lo:g}, {hi:g}]")
        params.append(ps)
    return HealthReport(layers, params, notes)
