"""Peak memory of ``(x * w).sum()`` forward + backward for one system, in copies of ``x``.

Run:  python benchmarks/peak_memory.py SYSTEM N     (``bench.py --memory`` runs it per system)

``x`` has ``N`` float32 elements and requires grad, ``w`` is a float32 scalar that requires
grad; the loss is ``(x * w).sum()`` and backward fills both gradients. Prints two numbers: the
peak resident memory above what the process held just before ``x`` was allocated, in units of
``x.nbytes`` (so ``x`` itself counts as 1), and the same in MB.

The floor needs 2 copies: ``x`` and its gradient (``x * w`` lives only during the forward sum;
``dw = sum(x)`` needs no temporary). The peak is the process's high-water mark, ``ru_maxrss``;
on Linux it is read from ``/proc/self/status`` (``VmHWM``, the same counter for this process
image only: ``ru_maxrss`` also carries the parent's size over ``exec``).
"""
from __future__ import annotations

import resource
import sys
from typing import Any

import numpy as np

FLOOR, EAGER, COMPILED, TORCH = "numpy floor", "autograd_lite", "autograd_lite compiled", "torch"


def _status_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def current_bytes() -> int:
    """Resident memory now."""
    kib = _status_kib("VmRSS")
    return 1024 * (kib if kib is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def peak_bytes() -> int:
    """Resident memory high-water mark of this process (Linux: KiB)."""
    kib = _status_kib("VmHWM")
    return 1024 * (kib if kib is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def workload(system: str) -> Any:
    """Import the system, then return a function running fwd+bwd on a float32 array ``x``."""
    if system == FLOOR:
        def floor(x: np.ndarray) -> Any:
            w = np.float32(0.5)
            loss = (x * w).sum()
            gx = np.full_like(x, w)  # d loss/dx = 1 * w, broadcast
            gw = x.sum()             # d loss/dw = sum(1 * x)
            return loss, gx, gw
        return floor
    if system in (EAGER, COMPILED):
        import autograd_lite as ag

        def fwd_bwd(xt: Any, wt: Any) -> Any:
            loss = (xt * wt).sum()
            loss.backward()
            return loss

        run = ag.compile(fwd_bwd) if system == COMPILED else fwd_bwd

        def eager(x: np.ndarray) -> Any:
            xt = ag.as_tensor(x).requires_grad_()
            wt = ag.tensor(np.float32(0.5), requires_grad=True)
            loss = run(xt, wt)
            if system == COMPILED:  # the first call records; measure a replay too
                xt.grad = wt.grad = None
                loss = run(xt, wt)
            return loss, xt.grad, wt.grad
        return eager
    if system == TORCH:
        import torch

        def torch_(x: np.ndarray) -> Any:
            xt = torch.from_numpy(x).requires_grad_()
            wt = torch.tensor(0.5, requires_grad=True)
            loss = (xt * wt).sum()
            loss.backward()
            return loss, xt.grad, wt.grad
        return torch_
    raise SystemExit(f"unknown system {system!r}")


def main(system: str, n: int) -> None:
    """Measure and print ``copies MB``."""
    fn = workload(system)
    base = current_bytes()
    x = np.full(n, 0.5, dtype=np.float32)  # written, so resident
    out = fn(x)
    peak = peak_bytes() - base
    assert out[1] is not None and out[2] is not None, "no gradient"
    print(f"{peak / x.nbytes:.3f} {peak / 1e6:.0f}")


if __name__ == "__main__":
    main(sys.argv[1], int(float(sys.argv[2])))
