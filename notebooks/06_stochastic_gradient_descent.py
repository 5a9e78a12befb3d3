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
# **What this notebook teaches.** Why SGD wins on large data sets, with the lectures' examples:
# the mean as the minimiser of $\frac1n\sum_i (x_i - c)^2$, found by SGD as a running average;
# linear least squares with $n = 100{,}000$ samples, in ten dimensions and as the lecture's line
# $\beta_0 + \beta_1 x$. Gradient descent pays $n$ sample-gradients per
# step; SGD pays a minibatch. We compare them per *sample processed*, measure how the noise of
# a minibatch gradient shrinks with the batch size, and see why the step size must decrease for
# SGD to converge.

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

import autograd_lite as ag

plt.rcParams["figure.dpi"] = 100
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
# ## The lecture's first example: $\min_c \frac1n\sum_i (x_i - c)^2$ (lecture 001)
#
# For $n$ numbers $x_1, \dots, x_n$, the risk $\Phi(c) = \frac1n\sum_i (x_i - c)^2$ has gradient
# $-\frac2n\sum_i (x_i - c)$, which vanishes at the mean $\bar x$: the mean is the minimiser, and
# since $\Phi'' = 2$, one GD step of size $1/2$ lands on it from anywhere. SGD samples one
# $x_{i_t}$ per step and moves $c \leftarrow c - \alpha_t\cdot 2(c - x_{i_t})$. With the
# decreasing step $\alpha_t = \frac{1}{2(t+1)}$ (`PowerDecayLR`, $\alpha = -1$, from $0.5$) this is
# $c_{t+1} = \frac{t}{t+1}c_t + \frac{1}{t+1}x_{i_t}$: SGD computes the running average of the
# samples it has seen, which converges to $\bar x$ at the rate $\sigma/\sqrt t$. Lecture 004's
# literal $\alpha_t = 1/(t+1)$ also converges; a constant step does not.

# %%
xs_c = 1.0 + np.random.default_rng(7).exponential(2.0, size=1000)  # 1000 skewed numbers
x_bar = xs_c.mean()
c = ag.tensor([0.0], requires_grad=True)
phi = ((ag.tensor(xs_c) - c) ** 2).mean()
(dphi,) = ag.grad(phi, c)
c_one_step = c.item() - 0.5 * dphi.item()
print(f"mean = {x_bar:.6f}; one GD step of 1/2 from c = 0 gives {c_one_step:.6f}")
assert abs(c_one_step - x_bar) < 1e-12  # the text's claims, checked


def sgd_mean(lr, schedule=None, T=3000, seed=1):
    g = np.random.default_rng(seed)
    idx = g.integers(0, len(xs_c), size=T)
    c = ag.tensor([0.0], requires_grad=True)
    opt = optim.SGD([c], lr=lr)
    sched = schedule(opt) if schedule else None
    cs = []
    for i in idx:
        opt.zero_grad()
        ((c - float(xs_c[i])) ** 2).sum().backward()
        opt.step()
        if sched:
            sched.step()
        cs.append(c.item())
    return np.array(cs), idx


runs_c = {
    "constant 0.05": sgd_mean(0.05),
    "1 / (2(t+1)): the running mean": sgd_mean(
        0.5, lambda o: lr_scheduler.PowerDecayLR(o, alpha=-1.0)
    ),
    "1 / (t+1) (lecture 004)": sgd_mean(1.0, lambda o: lr_scheduler.PowerDecayLR(o, alpha=-1.0)),
}
cs_half, idx = runs_c["1 / (2(t+1)): the running mean"]
running = np.cumsum(xs_c[idx]) / np.arange(1, len(idx) + 1)
print(f"SGD with 1/(2(t+1)) - running mean of its samples: {np.abs(cs_half - running).max():.1e}")
assert np.abs(cs_half - running).max() < 1e-10

fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 3.8))
t = np.arange(1, 3001)
for name, (cs, _) in runs_c.items():
    ax.semilogx(t, cs, lw=1, label=name)
    ax2.loglog(t, np.abs(cs - x_bar), lw=0.8, label=name)
    print(f"{name:32s}: |c - mean| averaged over the last 500 steps = "
          f"{np.abs(cs[-500:] - x_bar).mean():.3f}")
ax.axhline(x_bar, color="k", ls=":", lw=1)
ax.plot([t[-1]], [x_bar], "k*", ms=12, label="minimum: the mean")
ax.set_ylim(0, 2 * x_bar)
ax.set_xlabel("step t")
ax.set_ylabel("$c_t$")
ax.legend(fontsize=9)
ax2.loglog(t, xs_c.std() / np.sqrt(t), "k--", lw=1, label="$\\sigma/\\sqrt{t}$")
ax2.set_xlabel("step t")
ax2.set_ylabel("$|c_t - \\bar x|$")
ax2.legend(fontsize=9)
plt.tight_layout()
plt.show()
err_end = {name: np.abs(cs[-500:] - x_bar).mean() for name, (cs, _) in runs_c.items()}
assert max(err_end["1 / (2(t+1)): the running mean"], err_end["1 / (t+1) (lecture 004)"]) < (
    err_end["constant 0.05"] / 2
)

# %% [markdown]
# The constant step hovers at a distance set by the step and the spread of the $x_i$; both
# decreasing steps keep closing in, at about the rate $\sigma/\sqrt t$ of an average of $t$
# samples. Now the same comparison on least squares in ten dimensions.

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
# ## The lecture's example: $y \approx \beta_0 + \beta_1 x$ with $n = 10^5$ (lecture 001)
#
# The slide fits a line to $n = 10^5$ points with the loss
# $L(\boldsymbol\beta) = \frac1n\sum_i (y_i - \beta_0 - \beta_1 x_i)^2$ and the minibatch gradient
# $$\nabla_{\boldsymbol\beta}\hat L = \frac{2}{|\mathcal S|}\sum_{i \in \mathcal S}
# \begin{bmatrix} \beta_0 + \beta_1 x_i - y_i \\ x_i(\beta_0 + \beta_1 x_i - y_i) \end{bmatrix}.$$
# Our data: $x_i \sim \mathcal N(1, 1)$, $y_i = 1 + 2x_i + \varepsilon_i$, $\varepsilon_i \sim
# \mathcal N(0, 1)$. We check the engine's minibatch gradient against the slide's formula, then run
# two epochs of SGD with $|\mathcal S| = 100$ from $\boldsymbol\beta = 0$, with a constant step and
# with the decreasing $\eta/(1 + t/t_0)$, and compare with least squares.

# %%
g1 = np.random.default_rng(11)
x1 = g1.normal(1.0, 1.0, size=100_000)
y1 = 1.0 + 2.0 * x1 + g1.standard_normal(100_000)
beta_ls = np.linalg.lstsq(np.column_stack([np.ones_like(x1), x1]), y1, rcond=None)[0]


def loss_line(beta, xb, yb):
    return ((yb - beta[0] - beta[1] * xb) ** 2).mean()


MOMENTS = {k: v.mean() for k, v in
           {"y2": y1**2, "y": y1, "xy": x1 * y1, "x": x1, "x2": x1**2}.items()}


def L_line(b0, b1):
    """The full loss L(beta) on the whole data set, from the data's moments (NumPy, for
    monitoring and contours; works on grids of b0, b1)."""
    m = MOMENTS
    return (m["y2"] - 2 * b0 * m["y"] - 2 * b1 * m["xy"] + b0**2 + 2 * b0 * b1 * m["x"]
            + b1**2 * m["x2"])


S = g1.integers(0, 100_000, size=100)
beta = ag.tensor([0.3, -0.7], requires_grad=True)
(g_engine,) = ag.grad(loss_line(beta, ag.tensor(x1[S]), ag.tensor(y1[S])), beta)
res = 0.3 - 0.7 * x1[S] - y1[S]
g_slide = 2 / len(S) * np.array([res.sum(), (x1[S] * res).sum()])
print(f"engine vs the slide's minibatch gradient: {np.abs(g_engine.numpy() - g_slide).max():.1e}")
assert np.allclose(g_engine.numpy(), g_slide, rtol=1e-12, atol=1e-12)  # the text's claims


def sgd_line(lr, schedule=None, B=100, epochs=2, seed=0):
    g = np.random.default_rng(seed)
    beta = ag.zeros(2, requires_grad=True)
    opt = optim.SGD([beta], lr=lr)
    sched = schedule(opt) if schedule else None
    path = [beta.numpy().copy()]
    for _ in range(epochs * 100_000 // B):
        S = g.integers(0, 100_000, size=B)
        opt.zero_grad()
        loss_line(beta, ag.tensor(x1[S]), ag.tensor(y1[S])).backward()
        opt.step()
        if sched:
            sched.step()
        path.append(beta.numpy().copy())
    return np.array(path)


line_runs = {
    "constant 0.05": sgd_line(0.05),
    "0.1 / (1 + t/100)": sgd_line(
        0.1, lambda o: lr_scheduler.LambdaLR(o, lambda k: 1 / (1 + k / 100))
    ),
}
fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
B0, B1 = np.meshgrid(np.linspace(-0.3, 2.0, 120), np.linspace(-0.3, 2.6, 120))
LL = L_line(B0, B1)
ax.contour(B0, B1, LL, levels=L_line(*beta_ls) + np.logspace(-3, 1, 12), colors="0.75",
           linewidths=0.6)
for k, (name, path) in enumerate(line_runs.items()):
    ax.plot(path[:, 0], path[:, 1], "-", color=f"C{k}", lw=0.8, label=f"SGD, {name}")
    err = np.linalg.norm(path[-1] - beta_ls)
    excess = L_line(*path[-1]) - L_line(*beta_ls)
    print(f"{name:18s}: beta after 2 epochs = {path[-1].round(4)}, |beta - beta_ls| = {err:.4f}, "
          f"excess loss = {excess:.1e}")
ax.plot(*beta_ls, "k*", ms=13, label=f"least squares ({beta_ls[0]:.3f}, {beta_ls[1]:.3f})")
ax.set_xlabel("$\\beta_0$")
ax.set_ylabel("$\\beta_1$")
ax.legend(fontsize=9, loc="lower right")
ax.set_title("SGD paths, minibatch 100, from $\\beta = 0$")
box = np.linspace(-0.12, 0.12, 80)
Z0, Z1 = np.meshgrid(beta_ls[0] + box, beta_ls[1] + box)
ax2.contour(Z0, Z1, L_line(Z0, Z1), levels=8, colors="0.75", linewidths=0.6)
for k, (name, path) in enumerate(line_runs.items()):
    tail = path[len(path) // 2 :]  # the second epoch
    ax2.plot(tail[:, 0], tail[:, 1], ".", color=f"C{k}", ms=1.5)
    ax2.plot([], [], "o", color=f"C{k}", ms=4, label=f"{name}: second epoch")
    ax2.plot(*path[-1], "o", color=f"C{k}", mec="k", ms=7)
ax2.plot(*beta_ls, "k*", ms=13, label="least squares")
ax2.set_xlim(beta_ls[0] - 0.12, beta_ls[0] + 0.12)
ax2.set_ylim(beta_ls[1] - 0.12, beta_ls[1] + 0.12)
ax2.set_xlabel("$\\beta_0$")
ax2.set_title("zoom on the minimum (circles: the last iterates)")
ax2.legend(fontsize=9, loc="lower left")
plt.tight_layout()
plt.show()
err_const = np.linalg.norm(line_runs["constant 0.05"][-1] - beta_ls)
err_decr = np.linalg.norm(line_runs["0.1 / (1 + t/100)"][-1] - beta_ls)
assert err_decr < 0.02 and err_decr < err_const / 2  # the text's claims, checked

# %% [markdown]
# Both runs reach the neighbourhood of the least-squares line within a fraction of the first
# epoch (a few hundred of their 2,000 steps). Zoomed in, the constant step keeps wandering over
# the whole neighbourhood in its second epoch, while the decreasing step shrinks its wandering
# and ends several times closer (the printed distances). The contours are tilted ellipses because
# $x$ is not centred, which couples $\beta_0$ and $\beta_1$.

# %% [markdown]
# **Takeaways.** On large data sets SGD reaches a useful accuracy after a fraction of one epoch;
# its gradient noise falls like $1/B$; and to converge (rather than hover) its step size must
# decrease.

# %% [markdown]
# ## Exercises
#
# 1. **SGD as a running average.** For $\Phi(c) = \frac1n\sum_i (x_i - c)^2$, which step
#    $\alpha_t$ makes SGD's $c_t$ exactly the average of the first $t$ samples? Fill in `alpha_t`;
#    the cell runs SGD with it (`LambdaLR`) and compares with the running mean.
# 2. **The step limit for the line.** For
#    $L(\boldsymbol\beta) = \frac1n\sum_i (y_i - \beta_0 - \beta_1 x_i)^2$ the Hessian is
#    $2\begin{bmatrix} 1 & \bar x \\ \bar x & \overline{x^2}\end{bmatrix}$. Compute the largest
#    step for which full-batch GD converges, `lr_max`; the cell runs GD on all $10^5$ points just
#    below and just above it.
# 3. **Noise against batch size.** With a constant step, the excess risk at which SGD hovers is
#    roughly proportional to $\eta/B$. Predict how much lower the floor of `sgd(100, ...)` is than
#    that of `sgd(10, ...)` at the same step, and check it with the function `sgd` above.

# %%
def alpha_t(t):  # exercise 1: your answer, the step at step t = 0, 1, 2, ...
    return 1 / (2 * (t + 1))


cs_ex, idx_ex = sgd_mean(1.0, lambda o: lr_scheduler.LambdaLR(o, alpha_t), T=500, seed=3)
assert np.allclose(cs_ex, np.cumsum(xs_c[idx_ex]) / np.arange(1, 501))

H_line = 2 * np.array([[1, x1.mean()], [x1.mean(), (x1**2).mean()]])
lr_max = 2 / np.linalg.eigvalsh(H_line).max()  # exercise 2: your answer


def gd_line(lr, steps=60):
    beta = ag.zeros(2, requires_grad=True)
    opt = optim.SGD([beta], lr=lr)
    xt, yt_line = ag.tensor(x1), ag.tensor(y1)
    for _ in range(steps):
        opt.zero_grad()
        loss_line(beta, xt, yt_line).backward()
        opt.step()
    return L_line(*beta.numpy())


assert gd_line(0.95 * lr_max) < L_line(0, 0) < gd_line(1.05 * lr_max)
print(f"checked: alpha_t(t) = 1/(2(t+1)); lr_max = {lr_max:.4f}")
ag.set_default_dtype(np.float32)
