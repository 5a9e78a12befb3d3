"""Issue 17's seven workloads: autograd_lite against the NumPy floor and PyTorch, in one run.

Systems: the hand-written NumPy floor, autograd_lite eager, autograd_lite compiled (when
``ag.compile`` exists) and PyTorch eager (when it imports).

Run:  OPENBLAS_NUM_THREADS=1 python benchmarks/bench.py [--quick] [--memory] [--aa] [--cpu N]

Workloads (same data, same seed and same initial parameters on every system; float32):
  (1) 200 tiny elementwise ops (x*0.9, +0.1, tanh, repeated) on 3 elements, forward + backward;
  (2) MLP 64-128-128-10, ReLU, softmax cross-entropy, SGD step, batch 64;
  (3) the same step on the full digits-sized batch, 1797 x 64;
  (4) 1024x1024 matmul -> tanh -> sum, forward + backward;
  (5) micrograd's demo: 2-16-16-1 ReLU MLP on 100 moons, max-margin (hinge) loss + 1e-4 L2,
      SGD step with the demo's learning-rate schedule (karpathy/micrograd demo.ipynb, with
      tensors instead of scalars);
  (6) small CNN step, Conv2d(1,8,3,pad 1)-ReLU-MaxPool2-Linear(128,10), batch 32 of 8x8
      (bench_cnn.py);
  (7) a 20,000-op chain (the ops of (1)), forward + backward.
Each system's loss and gradients are checked against the floor's before timing. The table gives
ms per iteration (median of interleaved rounds, process CPU time, the process pinned to one CPU)
and the ratio to the floor, with issue 17's targets. ``--memory`` adds the peak memory of
``(x * w).sum()`` forward + backward on 10^8 float32 elements (peak_memory.py, a subprocess per
system). See benchmarks/README.md.
"""
from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # before NumPy loads its BLAS

import argparse  # noqa: E402
import datetime  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Callable  # noqa: E402

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
# autograd_lite from the checkout this file lives in, not an installed copy, unless PYTHONPATH
# names another one: the checkout goes right after PYTHONPATH's entries
_pythonpath = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
sys.path.insert(max([sys.path.index(p) + 1 for p in _pythonpath if p in sys.path], default=1),
                str(HERE.parent))
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
import harness  # noqa: E402
from harness import (  # noqa: E402
    COMPILED,
    EAGER,
    FLOOR,
    TORCH,
    Impl,
    Workload,
    ag_impl,
    floor_impl,
    torch_impl,
)

import autograd_lite as ag  # noqa: E402

SEED = 0


# ----------------------------------------------------------------------------- data
def digits_like(seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """A synthetic stand-in with the shape of scikit-learn's digits: 1797 images of 8x8 pixels
    with integer intensities 0..16, scaled to [0, 1] (float32), and labels 0..9 (int64)."""
    rng = np.random.default_rng(seed)
    X = (rng.integers(0, 17, (1797, 64)) / 16).astype(np.float32)
    return X, rng.integers(0, 10, 1797)


def moons(n: int = 100, noise: float = 0.1, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's ``make_moons`` (two interleaving half circles, Gaussian noise), with the
    labels as micrograd's demo uses them: -1 and +1, shape (n, 1)."""
    rng = np.random.default_rng(seed)
    n_out = n // 2
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n - n_out)
    X = np.concatenate([np.stack([np.cos(t_out), np.sin(t_out)], 1),
                        np.stack([1 - np.cos(t_in), 0.5 - np.sin(t_in)], 1)])
    y = np.concatenate([np.zeros(n_out), np.ones(n - n_out)])
    X += noise * rng.standard_normal(X.shape)
    order = rng.permutation(n)
    return X[order].astype(np.float32), (2 * y[order] - 1).astype(np.float32)[:, None]


def _copies(params: list[np.ndarray]) -> list[np.ndarray]:
    return [p.copy() for p in params]


# ----------------------------------------------------------------------------- (1), (7) chains
def _chain_op(i: int) -> str:
    return ("mul", "add", "tanh")[i % 3]


def chain_workload(name: str, n_ops: int, eager_target: float | None,
                   compiled_target: float | None) -> Workload:
    """``n_ops`` elementwise ops on a 3-element vector: x*0.9, +0.1, tanh, x*0.9, ...; the loss
    is the sum of the result; the gradient is with respect to the input."""
    x0 = np.linspace(-1, 1, 3, dtype=np.float32)
    ops = [_chain_op(i) for i in range(n_ops)]

    def floor() -> Impl:
        def forward_backward() -> tuple[Any, list[np.ndarray]]:
            y, saved = x0, []
            for op in ops:
                if op == "mul":
                    y = y * 0.9
                elif op == "add":
                    y = y + 0.1
                else:
                    y = np.tanh(y)
                    saved.append(y)
            loss = y.sum()
            g = np.ones_like(y)
            for op in reversed(ops):
                if op == "mul":
                    g = g * 0.9
                elif op == "tanh":
                    t = saved.pop()
                    g = g * (1 - t * t)
            return loss, [g]
        return floor_impl(forward_backward, [], None)

    def chain(y: Any, tanh: Callable[[Any], Any]) -> Any:
        for op in ops:
            y = y * 0.9 if op == "mul" else y + 0.1 if op == "add" else tanh(y)
        return y.sum()

    def eager(compiled: bool = False) -> Impl:
        x = ag.tensor(x0.copy(), requires_grad=True)
        return ag_impl(lambda xt: chain(xt, ag.tanh), [x], (x,), None, compiled)

    def torch_() -> Impl:
        import torch
        x = torch.tensor(x0, requires_grad=True)
        return torch_impl(lambda: chain(x, torch.tanh), [x], (), None)

    return Workload(name, {FLOOR: floor, EAGER: eager, COMPILED: lambda: eager(True),
                           TORCH: torch_}, eager_target, compiled_target)


# ----------------------------------------------------------------------------- (2), (3) MLP
def mlp_params(sizes: tuple[int, ...], seed: int = SEED) -> list[np.ndarray]:
    """W1, b1, W2, b2, ... with W of shape (fan_in, fan_out), uniform +-1/sqrt(fan_in)."""
    rng = np.random.default_rng(seed + 1)
    ps: list[np.ndarray] = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        k = 1 / np.sqrt(a)
        ps += [rng.uniform(-k, k, (a, b)).astype(np.float32),
               rng.uniform(-k, k, b).astype(np.float32)]
    return ps


def mlp_workload(name: str, X: np.ndarray, y: np.ndarray, eager_target: float | None,
                 compiled_target: float | None, lr: float = 0.01) -> Workload:
    """A 64-128-128-10 ReLU MLP, mean softmax cross-entropy, one SGD step on the batch X, y."""
    init = mlp_params((64, 128, 128, 10))
    rows = np.arange(len(y))

    def floor() -> Impl:
        params = _copies(init)

        def forward_backward() -> tuple[Any, list[np.ndarray]]:
            W1, b1, W2, b2, W3, b3 = params
            z1 = X @ W1 + b1
            h1 = np.maximum(z1, 0)
            z2 = h1 @ W2 + b2
            h2 = np.maximum(z2, 0)
            logits = h2 @ W3 + b3
            s = logits - logits.max(axis=1, keepdims=True)
            logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
            loss = -logp[rows, y].mean()
            g = np.exp(logp)
            g[rows, y] -= 1
            g /= len(y)
            gW3, gb3 = h2.T @ g, g.sum(0)
            gz2 = (g @ W3.T) * (z2 > 0)
            gW2, gb2 = h1.T @ gz2, gz2.sum(0)
            gz1 = (gz2 @ W2.T) * (z1 > 0)
            gW1, gb1 = X.T @ gz1, gz1.sum(0)
            return loss, [gW1, gb1, gW2, gb2, gW3, gb3]
        return floor_impl(forward_backward, params, lambda k: lr)

    def eager(compiled: bool = False) -> Impl:
        import autograd_lite.nn.functional as F
        params = [ag.tensor(p, requires_grad=True) for p in _copies(init)]
        W1, b1, W2, b2, W3, b3 = params

        def loss_fn(xb: Any, yb: Any) -> Any:
            h1 = ag.relu(xb @ W1 + b1)
            h2 = ag.relu(h1 @ W2 + b2)
            return F.cross_entropy(h2 @ W3 + b3, yb)
        return ag_impl(loss_fn, params, (ag.tensor(X), ag.tensor(y)), lambda k: lr, compiled)

    def torch_() -> Impl:
        import torch
        import torch.nn.functional as TF
        params = [torch.tensor(p, requires_grad=True) for p in init]
        W1, b1, W2, b2, W3, b3 = params
        xb, yb = torch.from_numpy(X.copy()), torch.from_numpy(y.copy())

        def loss_fn() -> Any:
            h1 = torch.relu(xb @ W1 + b1)
            h2 = torch.relu(h1 @ W2 + b2)
            return TF.cross_entropy(h2 @ W3 + b3, yb)
        return torch_impl(loss_fn, params, (), lambda k: lr)

    return Workload(name, {FLOOR: floor, EAGER: eager, COMPILED: lambda: eager(True),
                           TORCH: torch_}, eager_target, compiled_target)


# ----------------------------------------------------------------------------- (4) matmul
def matmul_workload(n: int = 1024) -> Workload:
    """s = tanh(A @ B).sum() for two n x n float32 matrices; gradients for A and B."""
    rng = np.random.default_rng(SEED + 2)
    A0 = (rng.standard_normal((n, n)) / np.sqrt(n)).astype(np.float32)
    B0 = (rng.standard_normal((n, n)) / np.sqrt(n)).astype(np.float32)

    def floor() -> Impl:
        def forward_backward() -> tuple[Any, list[np.ndarray]]:
            T = np.tanh(A0 @ B0)
            loss = T.sum()
            gC = 1 - T * T
            return loss, [gC @ B0.T, A0.T @ gC]
        return floor_impl(forward_backward, [], None)

    def eager(compiled: bool = False) -> Impl:
        A = ag.tensor(A0.copy(), requires_grad=True)
        B = ag.tensor(B0.copy(), requires_grad=True)
        return ag_impl(lambda a, b: ag.tanh(a @ b).sum(), [A, B], (A, B), None, compiled)

    def torch_() -> Impl:
        import torch
        A = torch.tensor(A0, requires_grad=True)
        B = torch.tensor(B0, requires_grad=True)
        return torch_impl(lambda: torch.tanh(A @ B).sum(), [A, B], (), None)

    return Workload(f"(4) {n}^2 matmul -> tanh -> sum", {
        FLOOR: floor, EAGER: eager, COMPILED: lambda: eager(True), TORCH: torch_},
        eager_target=1.05)


# ----------------------------------------------------------------------------- (5) micrograd
def micrograd_workload(alpha: float = 1e-4) -> Workload:
    """micrograd's demo.ipynb step: MLP(2, [16, 16, 1]) (ReLU hidden layers, linear output,
    weights uniform(-1, 1), biases 0), scores on all 100 moons, loss
    ``mean(relu(1 - y * score)) + alpha * sum(p * p)`` over every parameter, SGD with the
    demo's rate ``1 - 0.9 k / 100`` (k cycling over 100 steps)."""
    X, y = moons()
    rng = np.random.default_rng(SEED + 3)
    init: list[np.ndarray] = []
    for a, b in ((2, 16), (16, 16), (16, 1)):
        init += [rng.uniform(-1, 1, (a, b)).astype(np.float32), np.zeros(b, np.float32)]

    def lr(k: int) -> float:
        return 1.0 - 0.9 * (k % 100) / 100

    def floor() -> Impl:
        params = _copies(init)
        n = len(y)

        def forward_backward() -> tuple[Any, list[np.ndarray]]:
            W1, b1, W2, b2, W3, b3 = params
            z1 = X @ W1 + b1
            h1 = np.maximum(z1, 0)
            z2 = h1 @ W2 + b2
            h2 = np.maximum(z2, 0)
            score = h2 @ W3 + b3
            margin = 1 - y * score
            loss = np.maximum(margin, 0).mean() + alpha * sum((p * p).sum() for p in params)
            gs = -y * (margin > 0) / n
            gW3, gb3 = h2.T @ gs, gs.sum(0)
            gz2 = (gs @ W3.T) * (z2 > 0)
            gW2, gb2 = h1.T @ gz2, gz2.sum(0)
            gz1 = (gz2 @ W2.T) * (z1 > 0)
            gW1, gb1 = X.T @ gz1, gz1.sum(0)
            grads = [gW1, gb1, gW2, gb2, gW3, gb3]
            return loss, [g + (2 * alpha) * p for g, p in zip(grads, params)]
        return floor_impl(forward_backward, params, lr)

    def mlp_loss(params: list[Any], xb: Any, yb: Any, relu: Callable[[Any], Any]) -> Any:
        W1, b1, W2, b2, W3, b3 = params
        score = relu(relu(xb @ W1 + b1) @ W2 + b2) @ W3 + b3
        data_loss = relu(1 - yb * score).mean()
        reg = (W1 * W1).sum()
        for p in params[1:]:
            reg = reg + (p * p).sum()
        return data_loss + alpha * reg

    def eager(compiled: bool = False) -> Impl:
        params = [ag.tensor(p, requires_grad=True) for p in _copies(init)]
        return ag_impl(lambda xb, yb: mlp_loss(params, xb, yb, ag.relu), params,
                       (ag.tensor(X), ag.tensor(y)), lr, compiled)

    def torch_() -> Impl:
        import torch
        params = [torch.tensor(p, requires_grad=True) for p in init]
        xb, yb = torch.from_numpy(X.copy()), torch.from_numpy(y.copy())
        return torch_impl(lambda: mlp_loss(params, xb, yb, torch.relu), params, (), lr)

    return Workload("(5) micrograd demo: 2-16-16-1 MLP, 100 moons, hinge + L2", {
        FLOOR: floor, EAGER: eager, COMPILED: lambda: eager(True), TORCH: torch_},
        eager_target=2.5, compiled_target=1.5)


# ----------------------------------------------------------------------------- the run
def workloads() -> list[Workload]:
    """Issue 17's seven workloads, in the order of its table."""
    from bench_cnn import cnn_workload

    X, y = digits_like()
    return [
        chain_workload("(1) 200 tiny elementwise ops fwd+bwd", 200, 3.0, 1.5),
        mlp_workload("(2) MLP 64-128-128-10 SGD step, batch 64", X[:64], y[:64], 1.5, 1.5),
        mlp_workload("(3) the same step, full batch 1797", X, y, 1.1, None),
        matmul_workload(),
        micrograd_workload(),
        cnn_workload(X, y),
        chain_workload("(7) 20,000-op chain fwd+bwd", 20_000, 6.0, 1.5),
    ]


def pin_to_one_cpu(cpu: int | None) -> str:
    """Pin this process (and the threads it starts) to one CPU; say which, or why not."""
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity)"
    allowed = sorted(os.sched_getaffinity(0))
    cpu = allowed[-1] if cpu is None else cpu
    try:
        os.sched_setaffinity(0, {cpu})
    except OSError as e:
        return f"not pinned ({e})"
    return f"pinned to CPU {cpu} of {allowed}"


def header(pinning: str, systems: list[str], repeats: int, min_time: float, stat: str) -> str:
    """What was measured, where and when."""
    versions = [f"autograd_lite {ag.__version__} ({Path(ag.__file__).parent})",
                f"numpy {np.__version__}"]
    if TORCH in systems:
        import torch
        versions.append(f"torch {torch.__version__} (threads {torch.get_num_threads()})")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join([
        f"{now}; python {platform.python_version()}; " + "; ".join(versions),
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}; {pinning}; "
        f"{os.cpu_count()} CPUs, load average {load} (1, 5, 15 min)",
        f"process CPU time per iteration; the {stat} of {repeats} interleaved rounds of about "
        f"{min_time:g} s per system (rounds of one slow call: fewer, at least 7)",
        "systems: " + ", ".join(systems)
        + ("" if COMPILED in systems else " (no ag.compile: compiled column skipped)"),
    ])


def run(ws: list[Workload], repeats: int, min_time: float, cpu: int | None,
        stat: str = "median", aa: bool = False) -> str:
    """Check and time every workload on every available system (and, with ``aa``, a second
    autograd_lite eager as a noise control); return the report."""
    pinning = pin_to_one_cpu(cpu)
    systems = harness.available_systems()
    if aa:
        systems.insert(systems.index(EAGER) + 1, harness.AGAIN)
    print(header(pinning, systems, repeats, min_time, stat), flush=True)
    rows = []
    for w in ws:
        t0 = time.process_time()
        impls = {s: w.build[EAGER if s == harness.AGAIN else s]() for s in systems}
        worst = harness.check_agreement(w.name, impls, w.rtol)
        # the check above was each system's warm-up call (and a compiled step's recording)
        timings = harness.time_interleaved({s: i.step for s, i in impls.items()}, repeats,
                                           min_time, warm_up=False)
        rows.append((w, timings))
        line = ", ".join(f"{s} {t.stat(stat) * 1e3:.3f} ms" for s, t in timings.items())
        n = len(next(iter(timings.values())).rounds)
        print(f"  {w.name}: checked (max rel. diff {worst:.1e}); {n} rounds; {line} "
              f"[{time.process_time() - t0:.1f} s]", flush=True)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return harness.table(rows, systems, stat) + f"\n(load average at the end: {load})"


def memory_report(systems: list[str], n: int) -> str:
    """Peak memory of ``(x * w).sum()`` forward + backward, one subprocess per system."""
    lines = ["| system | peak memory (copies of x) | MB |", "|---|---|---|"]
    # the subprocess imports the same autograd_lite as this process
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(Path(ag.__file__).parents[1])]
                                                      + _pythonpath))
    for s in systems:
        out = subprocess.run([sys.executable, str(HERE / "peak_memory.py"), s, str(n)],
                             capture_output=True, text=True, check=False, env=env)
        if out.returncode != 0:
            lines.append(f"| {s} | failed: {out.stderr.strip().splitlines()[-1:]} | - |")
            continue
        copies, mb = out.stdout.split()
        lines.append(f"| {s} | {float(copies):.2f} | {float(mb):.0f} |")
    return "\n".join(lines)


def main(ws: list[Workload] | None = None) -> None:
    """The command line: see the module docstring."""
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a smoke run (< 30 s)")
    ap.add_argument("--repeats", type=int, help="rounds per system (default 21, quick 3)")
    ap.add_argument("--min-time", type=float,
                    help="CPU seconds per round (default 0.04, quick 0.02)")
    ap.add_argument("--stat", choices=("median", "best"), default="median",
                    help="which round to report: the median (default) or the best")
    ap.add_argument("--aa", action="store_true",
                    help="add a second autograd_lite eager column: an A/A noise control")
    ap.add_argument("--cpu", type=int, help="the CPU to pin to (default: the last allowed)")
    ap.add_argument("--memory", action="store_true",
                    help="also the peak memory of (x*w).sum() fwd+bwd (about 1.2 GB at a time)")
    ap.add_argument("--memory-n", type=lambda s: int(float(s)), default=10**8,
                    help="elements of x (default 1e8)")
    args = ap.parse_args()
    repeats = args.repeats or (3 if args.quick else 21)
    min_time = args.min_time or (0.02 if args.quick else 0.04)
    t0 = time.perf_counter()
    print(run(workloads() if ws is None else ws, repeats, min_time, args.cpu, args.stat,
              args.aa))
    if args.memory:
        systems = harness.available_systems()
        print(f"\npeak memory of (x * w).sum() forward + backward, x: {args.memory_n:.0e} "
              "float32 elements (requires grad), w: a float32 scalar (requires grad); "
              "issue 17's target for autograd_lite: <= 3 copies (the floor needs 2)")
        print(memory_report(systems, args.memory_n))
    print(f"(wall time {time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
