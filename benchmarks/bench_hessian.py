"""Issue 16's forward-mode benchmarks, in one run.

(a) The full 50x50 Hessian of f(x) = (sum tanh(W x))^2 (float64): autograd_lite forward over
    reverse (``functional.hessian``, the default: one forward-mode pass of the recorded
    gradient with the 50 tangents batched), reverse over reverse (``mode="rev-rev"``: one
    backward per gradient entry), the closed form in NumPy, and PyTorch's ``torch.func.hessian``
    (forward over reverse, vmapped) when torch imports. Target: forward over reverse <= 0.5 ms.
(b) The cost of a JVP: a 64-128-128-10 tanh MLP on a batch of 64 (float32), the plain forward
    against ``functional.jvp`` (forward + tangent along a random direction of the input).
    Target: at most ~2x the forward.

All results are checked against the closed form / each other before timing. Times: process
CPU time, median of interleaved rounds (``harness.time_interleaved``), the process pinned to
one CPU.

Run:  OPENBLAS_NUM_THREADS=1 python benchmarks/bench_hessian.py [--quick]
"""
from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # before NumPy loads its BLAS

import argparse  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import time_interleaved, torch_available  # noqa: E402

import autograd_lite as ag  # noqa: E402
from autograd_lite import functional as AF  # noqa: E402


def hessian_systems(n: int = 50) -> tuple[dict, np.ndarray]:
    rng = np.random.default_rng(0)
    W = rng.standard_normal((n, n)) / np.sqrt(n)
    x = rng.standard_normal(n)
    Wt, xt = ag.tensor(W), ag.tensor(x)

    def f(v):
        return ag.tanh(Wt @ v).sum() ** 2

    def closed() -> np.ndarray:
        # s = sum tanh(Wx), g = W^T (1 - t^2): H = 2 g g^T + 2 s W^T diag(-2 t (1 - t^2)) W
        t = np.tanh(W @ x)
        d = 1 - t * t
        g = W.T @ d
        return 2 * np.outer(g, g) + (2 * t.sum()) * ((W.T * (-2 * t * d)) @ W)

    systems = {
        "closed form (NumPy)": closed,
        "autograd_lite fwd-over-rev": lambda: AF.hessian(f, xt).data,
        "autograd_lite rev-over-rev": lambda: AF.hessian(f, xt, mode="rev-rev").data,
    }
    if torch_available():
        import torch
        torch.set_num_threads(1)
        Wtt, xtt = torch.tensor(W), torch.tensor(x)
        hess = torch.func.hessian(lambda v: torch.tanh(Wtt @ v).sum() ** 2)
        systems["torch.func.hessian (fwd-over-rev)"] = lambda: hess(xtt).numpy()
    return systems, closed()


def jvp_systems() -> tuple[dict, dict]:
    rng = np.random.default_rng(1)
    sizes = [64, 128, 128, 10]
    Ws = [ag.tensor((rng.standard_normal((a, b)) / np.sqrt(a)).astype(np.float32))
          for a, b in zip(sizes, sizes[1:])]
    bs = [ag.tensor(np.zeros(b, np.float32)) for b in sizes[1:]]
    X = ag.tensor(rng.standard_normal((64, 64)).astype(np.float32))
    V = ag.tensor(rng.standard_normal((64, 64)).astype(np.float32))

    def mlp(h):
        for k, (W, b) in enumerate(zip(Ws, bs)):
            h = h @ W + b
            if k < len(Ws) - 1:
                h = ag.tanh(h)
        return h

    def forward():
        with ag.no_grad():
            return mlp(X).data

    def jvp():
        return AF.jvp(mlp, X, V)[1].data

    Wn, bn, Xn, Vn = [W.data for W in Ws], [b.data for b in bs], X.data, V.data

    def np_forward():  # the same math by hand in NumPy: the floor of each
        h = Xn
        for k, (W, b) in enumerate(zip(Wn, bn)):
            h = h @ W + b
            if k < len(Wn) - 1:
                h = np.tanh(h)
        return h

    def np_jvp():
        h, t = Xn, Vn
        for k, (W, b) in enumerate(zip(Wn, bn)):
            h, t = h @ W + b, t @ W
            if k < len(Wn) - 1:
                h = np.tanh(h)
                t = t * (1 - h * h)
        return t

    return {"MLP forward (no grad)": forward, "MLP jvp (forward + tangent)": jvp,
            "MLP forward, NumPy by hand": np_forward, "MLP jvp, NumPy by hand": np_jvp}, \
        {"mlp": mlp, "X": X, "V": V}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a smoke run (a few seconds)")
    args = ap.parse_args(argv)
    try:
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[-1]})
    except (AttributeError, OSError):
        pass
    repeats, min_time = (5, 0.02) if args.quick else (21, 0.05)
    print(f"load average {os.getloadavg()[0]:.2f}; OPENBLAS_NUM_THREADS="
          f"{os.environ.get('OPENBLAS_NUM_THREADS')}; median of {repeats} interleaved rounds")

    systems, H = hessian_systems()
    for name, fn in systems.items():  # every system computes the same Hessian
        np.testing.assert_allclose(fn(), H, rtol=1e-9, atol=1e-12, err_msg=name)
    t = time_interleaved(systems, repeats, min_time)
    ref = t["closed form (NumPy)"].median
    print("\n(a) the 50x50 Hessian of (sum tanh(W x))^2, float64 (all checked against the closed "
          "form)")
    print("| method | ms | x closed form |\n|---|---|---|")
    for name in systems:
        print(f"| {name} | {t[name].median * 1e3:.3f} | {t[name].median / ref:.1f}x |")
    fr = t["autograd_lite fwd-over-rev"].median
    rr = t["autograd_lite rev-over-rev"].median
    print(f"forward over reverse: {fr * 1e3:.3f} ms (target <= 0.5 ms: "
          f"{'met' if fr <= 5e-4 else 'missed'}), {rr / fr:.1f}x faster than reverse over "
          f"reverse, {fr / ref:.1f}x the closed form")

    js, ctx = jvp_systems()
    out, tan = AF.jvp(ctx["mlp"], ctx["X"], ctx["V"])  # check: the JVP against reverse mode
    x64 = ag.tensor(ctx["X"].data.astype(np.float64), requires_grad=True)
    u = np.random.default_rng(2).standard_normal(out.shape)
    (ctx["mlp"](x64) * ag.tensor(u)).sum().backward()
    np.testing.assert_allclose((tan.data * u).sum(), (x64.grad.data * ctx["V"].data).sum(),
                               rtol=1e-3)
    np.testing.assert_allclose(js["MLP jvp, NumPy by hand"](), tan.data, rtol=1e-4, atol=1e-5)
    t2 = time_interleaved(js, repeats, min_time)
    f_ms, j_ms, nf_ms, nj_ms = (t2[k].median * 1e3 for k in js)
    print("\n(b) a JVP of a 64-128-128-10 tanh MLP, batch 64, float32 (checked: u^T (J v) = "
          "(u^T J) v, and against NumPy by hand)")
    print(f"forward {f_ms:.3f} ms, jvp {j_ms:.3f} ms: {j_ms / f_ms:.2f}x the forward (target "
          f"<= ~2x: {'met' if j_ms <= 2.2 * f_ms else 'missed'}); the same math by hand in "
          f"NumPy: forward {nf_ms:.3f} ms, jvp {nj_ms:.3f} ms, {nj_ms / nf_ms:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
