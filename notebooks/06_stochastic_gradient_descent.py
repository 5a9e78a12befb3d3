# ---
# jupyter:
#   autograd_lite:
#     dot: false
#     requires:
#     - optim
#     - data
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 6. Stochastic gradient descent
#
# **What this notebook teaches.** Why SGD wins on large data sets, with the lectures' example:
# linear least squares with $n = 100{,}000$ samples. Gradient descent pays $n$ sample-gradients per
# step; SGD pays a minibatch. We compare them per *sample processed*, measure how the noise of
# a minibatch gradient shrinks with the batch size, and see why the step size must decrease for
# SGD to converge.

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

import autograd_lite as ag

plt.rcParams["figure.dpi"] = 80
ag.manual_seed(0)
import time

from autograd_lite import optim
from autograd_lite.data import DataLoader, TensorDataset
from autograd_lite.optim import lr_scheduler

ag.set_default_dtype(np.float64)
rng = np.random.default_rng(0)
n, d = 100_000, 10
X = rng.standard_normal((n, d)) * np.linspace(0.5, 1.5, d)  # mildly ill-conditioned
w_true = rng.standard_normal(d)
y = X @ w_true + 0.5 * rng.standard_normal(n)
Xt, yt = ag.tensor(X), ag.tensor(y)
w_ls = np.linalg.lstsq(X, y, rcond=None)[0]


def risk(w):
    """The empirical risk (1/2n) ||X w - y||^2 (NumPy, for monitoring)."""
    r = X @ w - y
    return 0.5 * np.mean(r**2)


best = risk(w_ls)
print(f"n = {n:,}, d = {d}; least-squares risk (the minimum) = {best:.5f}")


# %% [markdown]
# ## Gradient descent vs SGD, per sample processed
#
# GD takes a step with the exact gradient of the risk, using all $n$ samples. SGD takes one step
# per minibatch of $B$ samples. Both start from $\mathbf w = 0$; we record the excess risk
# $\Phi(\mathbf w) - \Phi(\mathbf w^\star)$ against the number of samples touched, in epochs
# (multiples of $n$).


# %%
def gd(epochs=20, lr=0.5):
    w = ag.zeros(d, requires_grad=True)
    opt = optim.SGD([w], lr=lr)
    xs, ys = [0.0], [risk(w.numpy()) - best]
    for e in range(epochs):
        opt.zero_grad()
        (0.5 * ((Xt @ w - yt) ** 2).mean()).backward()
        opt.step()
        xs.append(e + 1)
        ys.append(risk(w.numpy()) - best)
    return np.array(xs), np.array(ys)


def sgd(batch, steps, lr, schedule=None, seed=0):
    g = np.random.default_rng(seed)
    w = ag.zeros(d, requires_grad=True)
    opt = optim.SGD([w], lr=lr)
    sched = schedule(opt) if schedule else None
    every = max(1, steps // 60)
    xs, ys = [0.0], [risk(w.numpy()) - best]
    for t in range(steps):
        idx = g.integers(0, n, size=batch)
        xb, yb = ag.tensor(X[idx]), ag.tensor(y[idx])
        opt.zero_grad()
        (0.5 * ((xb @ w - yb) ** 2).mean()).backward()
        opt.step()
        if sched:
            sched.step()
        if (t + 1) % every == 0:
            xs.append((t + 1) * batch / n)
            ys.append(risk(w.numpy()) - best)
    return np.array(xs), np.array(ys)


t0 = time.perf_counter()
curves = {"GD (B = n), lr 0.5": gd()}
for B, steps in [(1, 8_000), (10, 4_000), (100, 2_000)]:
    curves[f"SGD B = {B}, lr 0.02"] = sgd(B, steps, lr=0.02)
print(f"(computed in {time.perf_counter() - t0:.1f} s)")

plt.figure(figsize=(7, 4))
for name, (xs, ys) in curves.items():
    plt.loglog(np.maximum(xs, 1e-5), ys, label=name)
plt.xlabel("epochs (samples processed / n)")
plt.ylabel("excess risk")
plt.legend()
plt.title(f"least squares, n = {n:,}")
plt.show()
for name, (xs, ys) in curves.items():
    i = np.searchsorted(xs, 0.05)
    print(
        f"{name:22s}: excess risk after 0.05 epoch = {ys[min(i, len(ys) - 1)]:.2e}, "
        f"after {xs[-1]:g} epochs = {ys[-1]:.2e}"
    )

# %% [markdown]
# After 5% of an epoch (5,000 samples), SGD with small batches has made most of its progress
# (with $B = 100$ it has taken only 50 steps so far), while GD has not yet taken a single step. But
# SGD with a constant step stops improving at a noise floor, which
# is lower for larger batches. GD keeps converging linearly.
#
# ## Minibatch size and gradient noise
#
# The minibatch gradient is an unbiased estimate of the full gradient; its variance falls like
# $1/B$. We measure it at a fixed point, with the engine computing each minibatch gradient.

# %%
w0 = ag.tensor(np.zeros(d), requires_grad=True)
(0.5 * ((Xt @ w0 - yt) ** 2).mean()).backward()
full = w0.grad.numpy().copy()
sizes = [1, 4, 16, 64, 256, 1024]
var = []
g = np.random.default_rng(1)
for B in sizes:
    errs = []
    for _ in range(100):
        idx = g.integers(0, n, size=B)
        w0.grad = None
        (0.5 * ((ag.tensor(X[idx]) @ w0 - ag.tensor(y[idx])) ** 2).mean()).backward()
        errs.append(np.sum((w0.grad.numpy() - full) ** 2))
    var.append(np.mean(errs))
slope = np.polyfit(np.log(sizes), np.log(var), 1)[0]
print(f"E|g_B - grad|^2 against B: fitted log-log slope {slope:.2f} (theory: -1)")
assert abs(slope + 1) < 0.2  # the text's claims, checked
plt.figure(figsize=(5, 3.5))
plt.loglog(sizes, var, "o-", label="measured")
plt.loglog(sizes, var[0] / np.array(sizes), "k--", lw=0.8, label="1/B")
plt.xlabel("batch size B")
plt.ylabel("mean squared gradient error")
plt.legend()
plt.show()

# %% [markdown]
# ## Decreasing step sizes
#
# With a constant step $\eta$, SGD's iterates keep bouncing in a region of size proportional to
# $\eta$. A step that decreases like $1/\sqrt t$ or $1/t$ (lecture 004: $\eta_t = \eta/(t + 1)$)
# lets the noise average out. `PowerDecayLR` applies $\eta_t = \eta\,(t+1)^\alpha$ and
# `LambdaLR` any factor, stepped here after every sample. The $1/t$ rule has a catch: it
# converges only if $\eta$ is at least $1/\mu$ ($\mu$ the smallest curvature), while the first steps
# are stable only for $\eta$ below about $2/\|\mathbf x\|^2$; when the two conflict, as here, the
# shifted form $\eta/(1 + t/t_0)$ keeps the $1/t$ tail without the unstable start. Finally, one
# epoch with the library's `DataLoader` and $B = 100$.

# %%
runs = {
    "constant 0.02": sgd(1, 8_000, lr=0.02),
    "0.1 (t+1)^-1/2": sgd(
        1, 8_000, lr=0.1, schedule=lambda o: lr_scheduler.PowerDecayLR(o, alpha=-0.5)
    ),
    "0.1 / (t+1)": sgd(
        1, 8_000, lr=0.1, schedule=lambda o: lr_scheduler.PowerDecayLR(o, alpha=-1.0)
    ),
    "0.1 / (1 + t/100)": sgd(
        1, 8_000, lr=0.1, schedule=lambda o: lr_scheduler.LambdaLR(o, lambda k: 1 / (1 + k / 100))
    ),
}
plt.figure(figsize=(7, 4))
for name, (xs, ys) in runs.items():
    plt.loglog(np.maximum(xs, 1e-5) * n, ys, label=name)
    print(f"{name:22s}: excess risk after {int(xs[-1] * n):,} steps = {ys[-1]:.2e}")
final = {name: ys[-1] for name, (xs, ys) in runs.items()}
assert final["0.1 (t+1)^-1/2"] < final["constant 0.02"] / 3  # the text's claims, checked
assert final["0.1 / (1 + t/100)"] < final["constant 0.02"] < final["0.1 / (t+1)"]
plt.xlabel("SGD steps (B = 1)")
plt.ylabel("excess risk")
plt.legend()
plt.show()

# one epoch with the library's DataLoader, B = 100
loader = DataLoader(TensorDataset(Xt, yt), batch_size=100, shuffle=True)
w = ag.zeros(d, requires_grad=True)
opt = optim.SGD([w], lr=0.05)
t0 = time.perf_counter()
for xb, yb in loader:
    opt.zero_grad()
    (0.5 * ((xb @ w - yb) ** 2).mean()).backward()
    opt.step()
print(
    f"one DataLoader epoch ({len(loader)} minibatches) in {time.perf_counter() - t0:.2f} s: "
    f"excess risk {risk(w.numpy()) - best:.2e}, |w - w_ls| = {np.linalg.norm(w.numpy() - w_ls):.3f}"
)

# %% [markdown]
# **Takeaways.** On large data sets SGD reaches a useful accuracy after a fraction of one epoch;
# its gradient noise falls like $1/B$; and to converge (rather than hover) its step size must
# decrease.

# %%
ag.set_default_dtype(np.float32)
