"""The timing harness shared by ``bench.py`` and ``bench_cnn.py``.

A *workload* is one training step (or one forward + backward) written once per *system*:

- ``numpy floor``: the same math, forward and backward written by hand in NumPy (no framework);
- ``autograd_lite``: eager autograd_lite, as a user writes it;
- ``autograd_lite compiled``: the same step through ``ag.compile`` (only when it exists);
- ``torch``: PyTorch eager (only when importable), one thread.

Every system starts from the same data and the same initial parameters (NumPy arrays made once
from one seed and copied into each system) and applies the same update ``p -= lr * grad``.
Before timing, each system's loss and gradients are checked against the floor's
(:func:`check_agreement`), so a ratio always compares equal work.

Timing (:func:`time_interleaved`): process CPU time (``time.process_time``), a round of ``n``
calls per system with ``n`` calibrated so that a round lasts ``min_time``, ``repeats`` rounds
per system (fewer for slow workloads, at least 7) with the systems interleaved (the order
rotates every repeat) so that machine noise hits all of them alike, and the median round
reported, in seconds per call.
"""
from __future__ import annotations

import gc
import math
import statistics
import time
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

FLOOR, EAGER, COMPILED, TORCH = "numpy floor", "autograd_lite", "autograd_lite compiled", "torch"
SYSTEMS = (FLOOR, EAGER, COMPILED, TORCH)
#: A second, independent autograd_lite eager (``bench.py --aa``): an A/A control whose
#: difference from the first is the measurement noise.
AGAIN = "autograd_lite again"

#: A learning-rate schedule: step index -> rate; ``None`` means forward + backward only.
Schedule = Callable[[int], float] | None
LossAndGrads = tuple[float, list[np.ndarray]]

# CPU time of this process (all its threads): with one BLAS thread and the process pinned to one
# CPU this is the work done, and time spent descheduled by other processes is not counted.
clock = time.process_time


@dataclass
class Impl:
    """One system's implementation of a workload.

    Attributes:
        step: one timed iteration (forward, backward and, for training steps, the update).
        loss_and_grads: forward + backward from the current state without updating; returns the
            loss and the gradients (as NumPy arrays, in the floor's parameter order).
    """

    step: Callable[[], object]
    loss_and_grads: Callable[[], LossAndGrads]


@dataclass
class Workload:
    """A named workload: how to build it on each system, and issue 17's target ratios."""

    name: str
    build: dict[str, Callable[[], Impl]]
    eager_target: float | None = None
    compiled_target: float | None = None
    rtol: float = 1e-4


# ----------------------------------------------------------------------------- generic systems
def floor_impl(forward_backward: Callable[[], LossAndGrads], params: list[np.ndarray],
               lr: Schedule) -> Impl:
    """The NumPy floor from a hand-written ``forward_backward() -> (loss, grads)``."""
    k = 0

    def step() -> object:
        nonlocal k
        loss, grads = forward_backward()
        if lr is not None:
            rate = lr(k)
            k += 1
            for p, g in zip(params, grads):
                p -= rate * g
        return loss

    def loss_and_grads() -> LossAndGrads:
        loss, grads = forward_backward()
        return float(loss), [np.array(g) for g in grads]

    return Impl(step, loss_and_grads)


def ag_impl(loss_fn: Callable[..., Any], params: list[Any], args: Sequence[Any], lr: Schedule,
            compiled: bool = False) -> Impl:
    """autograd_lite: ``loss_fn(*args)`` is the forward pass; backward and the update are the
    same for every workload. With ``compiled=True`` the forward + backward function is wrapped
    in ``ag.compile`` (the update stays outside it, as in ``loss = step(x, y); opt.step()``)."""
    import autograd_lite as ag

    def forward_backward(*inputs: Any) -> Any:
        for p in params:
            p.grad = None
        loss = loss_fn(*inputs)
        loss.backward()
        return loss

    run = ag.compile(forward_backward) if compiled else forward_backward
    k = 0

    def step() -> object:
        nonlocal k
        loss = run(*args)
        if lr is not None:
            rate = lr(k)
            k += 1
            for p in params:
                p.data -= rate * p.grad.data
        return loss

    def loss_and_grads() -> LossAndGrads:
        loss = run(*args)
        return float(loss.item()), [np.array(p.grad.data) for p in params]

    return Impl(step, loss_and_grads)


def torch_impl(loss_fn: Callable[..., Any], params: list[Any], args: Sequence[Any],
               lr: Schedule) -> Impl:
    """PyTorch eager, written the way a user writes it (``p.grad = None``, backward, update
    under ``no_grad``)."""
    import torch

    def forward_backward() -> Any:
        for p in params:
            p.grad = None
        loss = loss_fn(*args)
        loss.backward()
        return loss

    k = 0

    def step() -> object:
        nonlocal k
        loss = forward_backward()
        if lr is not None:
            rate = lr(k)
            k += 1
            with torch.no_grad():
                for p in params:
                    p -= rate * p.grad
        return loss

    def loss_and_grads() -> LossAndGrads:
        loss = forward_backward()
        return float(loss.item()), [p.grad.detach().numpy().copy() for p in params]

    return Impl(step, loss_and_grads)


def torch_available() -> bool:
    """Whether PyTorch imports (it is optional); when it does, it is set to one thread."""
    try:
        import torch
    except ImportError:
        return False
    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # only allowed before any parallel work has started
        pass
    return True


def compile_available() -> bool:
    """Whether autograd_lite has a trace mode (``ag.compile``, issue 17 item 2)."""
    import autograd_lite as ag
    return hasattr(ag, "compile")


def available_systems() -> list[str]:
    """The systems this machine can run: the floor and eager always, the compiled column when
    ``ag.compile`` exists, PyTorch when it imports."""
    return [s for s in SYSTEMS if (s != TORCH or torch_available())
            and (s != COMPILED or compile_available())]


# ----------------------------------------------------------------------------- agreement
def _require(ok: bool, message: str) -> None:
    if not ok:  # not `assert`: the check must run under `python -O` too
        raise AssertionError(message)


def check_agreement(name: str, impls: dict[str, Impl], rtol: float) -> float:
    """Assert that every system's loss and gradients match the floor's (``np.allclose``-style,
    float32 round-off allowed, absolute tolerance scaled to the largest gradient); return the
    largest relative difference seen."""
    ref_loss, ref_grads = impls[FLOOR].loss_and_grads()
    # one absolute tolerance per workload: a gradient that is a sum cancelling to ~0 (e.g. a
    # bias over balanced classes) is compared at the scale of the others, not at its own
    scale = max((float(np.abs(r).max()) for r in ref_grads if r.size), default=0.0)
    worst = 0.0
    for system, impl in impls.items():
        if system == FLOOR:
            continue
        loss, grads = impl.loss_and_grads()
        _require(math.isclose(loss, ref_loss, rel_tol=rtol, abs_tol=1e-6),
                 f"{name}: {system} loss {loss!r} != floor loss {ref_loss!r}")
        _require(len(grads) == len(ref_grads), f"{name}: {system} has {len(grads)} gradients")
        for i, (g, r) in enumerate(zip(grads, ref_grads)):
            _require(g.shape == r.shape,
                     f"{name}: {system} gradient {i} has shape {g.shape}, not {r.shape}")
            np.testing.assert_allclose(g, r, rtol=rtol, atol=rtol * scale + 1e-30,
                                       err_msg=f"{name}: {system} gradient {i} vs the floor")
            if scale > 0:
                worst = max(worst, float(np.abs(g - r).max()) / scale)
        worst = max(worst, abs(loss - ref_loss) / max(abs(ref_loss), 1e-30))
    return worst


# ----------------------------------------------------------------------------- timing
def calibrate(fn: Callable[[], object], min_time: float,
              warm_up: bool = True) -> tuple[int, float]:
    """How many calls of ``fn`` make a round of about ``min_time`` CPU seconds (at least one),
    and the seconds per call seen. A warm-up call comes first unless the caller has made one;
    it pays first-call costs (caches, lazy imports, a trace's recording)."""
    if warm_up:
        fn()
    n, t0 = 0, clock()
    while True:
        fn()
        n += 1
        elapsed = clock() - t0
        if elapsed >= min_time / 4:
            return max(1, round(n * min_time / elapsed)), elapsed / n


def _round(fn: Callable[[], object], n: int) -> float:
    gc.collect()  # garbage left by the previous system is not charged to this one (cheap:
    # the long-lived objects were frozen by time_interleaved)
    t0 = clock()
    for _ in range(n):
        fn()
    return (clock() - t0) / n


@dataclass
class Timing:
    """Seconds per call: the median of the rounds, the best (smallest) round, and the
    interquartile range of the rounds."""

    median: float
    best: float
    iqr: float
    rounds: list[float]

    def stat(self, name: str) -> float:
        """``median`` (the default of bench.py) or ``best``."""
        return self.median if name == "median" else self.best


def time_interleaved(fns: dict[str, Callable[[], object]], repeats: int, min_time: float,
                     budget: float = 1.5, min_repeats: int = 7,
                     warm_up: bool = True) -> dict[str, Timing]:
    """Time each function in rounds, interleaving the systems (the order rotates each repeat);
    return each system's :class:`Timing`.

    ``repeats`` rounds per system, fewer (but at least ``min_repeats``) when the longest round
    (a single call of a slow system) would make a system's rounds exceed ``budget`` seconds.
    ``warm_up=False`` when each function has just been called (``bench.run`` checks each
    system's gradients first, which is that call).
    """
    names = list(fns)
    # the imports' and the set-up's objects are moved out of the collector's reach, so that a
    # full collection neither charges their traversal to whichever system triggers it nor
    # makes the collection before each round expensive
    gc.collect()
    gc.freeze()
    calibrated = {s: calibrate(fns[s], min_time, warm_up) for s in names}
    longest = max(n * per_call for n, per_call in calibrated.values())
    repeats = max(min(repeats, min_repeats), min(repeats, int(budget / longest)))
    rounds: dict[str, list[float]] = {s: [] for s in names}
    for r in range(repeats):
        for s in names[r % len(names):] + names[:r % len(names)]:
            rounds[s].append(_round(fns[s], calibrated[s][0]))
    gc.unfreeze()
    out = {}
    for s, ts in rounds.items():
        q = statistics.quantiles(ts, n=4) if len(ts) >= 2 else [ts[0]] * 3
        out[s] = Timing(statistics.median(ts), min(ts), q[2] - q[0], ts)
    return out


# ----------------------------------------------------------------------------- report
def _cell(t: Timing | None, floor: Timing, target: float | None, stat: str) -> str:
    if t is None:
        return "-"
    ratio = t.stat(stat) / floor.stat(stat)
    verdict = "" if target is None else (" ok" if ratio <= target else " above")
    return f"{t.stat(stat) * 1e3:.3f} ({ratio:.2f}x{verdict})"


def table(rows: list[tuple[Workload, dict[str, Timing]]], systems: list[str],
          stat: str = "median") -> str:
    """A Markdown table: ms per iteration (the ``stat`` of the rounds) and the ratio to the
    floor; ``ok``/``above`` against issue 17's targets (eager, compiled); ``spread`` is the
    largest interquartile range of a system's rounds relative to its median (the noise of that
    row)."""
    others = [s for s in systems if s != FLOOR]
    head = ["workload", "floor ms"] + [f"{s} ms (x floor)" for s in others]
    head += ["eager target", "spread"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for w, ts in rows:
        floor = ts[FLOOR]
        cells = [w.name, f"{floor.stat(stat) * 1e3:.3f}"]
        for s in others:
            target = w.eager_target if s == EAGER else w.compiled_target if s == COMPILED else None
            cells.append(_cell(ts.get(s), floor, target, stat))
        cells.append("-" if w.eager_target is None else f"<= {w.eager_target:g}x")
        cells.append(f"{max(t.iqr / t.median for t in ts.values()):.0%}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
