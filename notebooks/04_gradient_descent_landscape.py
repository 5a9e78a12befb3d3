# ---
# jupyter:
#   autograd_lite:
#     dot: false
#     requires: []
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 4. Gradient descent and its landscape
#
# **What this notebook teaches.** How plain gradient descent
# $\mathbf{x} \leftarrow \mathbf{x} - \eta \nabla f(\mathbf{x})$ behaves on the landscapes of the
# lectures, with every gradient computed by the engine:
#
# * convexity and Jensen's inequality, and the step size in one dimension (lecture 003);
# * the quadratic $f(\mathbf{x}) = x_1^2 + 2x_2^2$ from $(-5, -2)$ with several learning rates,
#   and why $\eta < 2/L$ is the limit ($L$ = largest curvature);
# * gradient descent as Euler's method for the ODE $\mathbf{x}'(t) = -\eta\nabla f(\mathbf{x}(t))$
#   (lecture 001), and the guarantee of the step $1/L$ on an $L$-smooth function (lecture 004);
# * the narrow valley $f(\mathbf{x}) = (x_1^2 - 1)^2 + (x_1^2 x_2 - x_1 - 1)^2$ with and without
#   momentum;
# * the saddle $x^2 - y^2$, where GD stalls near a stationary point that is not a minimum;
# * Newton's method (exact Hessian by double backward) and diagonal preconditioning;
# * empirical risk minimisation with ridge and LASSO penalties, and a linear SVM trained on the
#   hinge loss by subgradient descent (lecture 001).

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

import autograd_lite as ag
from autograd_lite import optim
from autograd_lite.optim import lr_scheduler

plt.rcParams["figure.dpi"] = 100
ag.manual_seed(0)
ag.set_default_dtype(np.float64)


def gd(f, x0, lr, steps, momentum=0.0):
    """Gradient descent (heavy-ball momentum if momentum > 0); returns the path."""
    x = ag.tensor(x0, requires_grad=True)
    v = np.zeros_like(x.numpy())
    path = [x.numpy().copy()]
    for _ in range(steps):
        (g,) = ag.grad(f(x), x)
        v = momentum * v + g.numpy()
        with ag.no_grad():
            x -= lr * v
        path.append(x.numpy().copy())
    return np.array(path)


def contours(ax, f, xlim, ylim, levels):
    X, Y = np.meshgrid(np.linspace(*xlim, 200), np.linspace(*ylim, 200))
    Z = f(ag.tensor(np.stack([X, Y]))).numpy()
    ax.contour(X, Y, Z, levels=levels, cmap="Greys", linewidths=0.7)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)


# %% [markdown]
# ## Convexity and Jensen's inequality (lecture 003)
#
# A function $f$ on a convex set is **convex** if every chord lies above its graph:
# $$\lambda f(x) + (1 - \lambda) f(x') \ge f(\lambda x + (1 - \lambda) x') \qquad
# \text{for all } x, x' \text{ and } \lambda \in [0, 1].$$
# **Jensen's inequality** extends this from two points to any weights $\alpha_i \ge 0$ with
# $\sum_i \alpha_i = 1$: $\sum_i \alpha_i f(x_i) \ge f\left(\sum_i \alpha_i x_i\right)$, that is
# $\mathbb E[f(X)] \ge f(\mathbb E[X])$. We check three things for the convex $f(x) = e^{x/2}$
# and the non-convex $f(x) = \cos(\pi x)$: the sign of $f''$ (by double backward), the chord
# inequality at 10,000 random triples $(x, x', \lambda)$, and Jensen's inequality for a random
# distribution (random points $x_i$ with Dirichlet weights $\alpha_i$), then for 2,000 of them.


# %%
def f_convex(x):
    return ag.exp(x / 2)


def f_wavy(x):
    return ag.cos(np.pi * x)


def second_derivative(f, xs):
    """f''(x) at each point of xs, by differentiating the engine's gradient again."""
    x = ag.tensor(xs, requires_grad=True)
    (d1,) = ag.grad(f(x).sum(), x, create_graph=True)
    (d2,) = ag.grad(d1.sum(), x)
    return d2.numpy()


xs = np.linspace(-2.5, 3.0, 301)
d2c, d2w = second_derivative(f_convex, xs), second_derivative(f_wavy, xs)
print(f"min f'' on [-2.5, 3]: exp(x/2) {d2c.min():.3f}, cos(pi x) {d2w.min():.3f}")

rng = np.random.default_rng(0)
a, b, lam = rng.uniform(-2.5, 3, 10_000), rng.uniform(-2.5, 3, 10_000), rng.uniform(0, 1, 10_000)


def chord_gap(f):
    """lambda f(x) + (1 - lambda) f(x') - f(lambda x + (1 - lambda) x'), for each triple."""
    t = ag.tensor
    return (t(lam) * f(t(a)) + t(1 - lam) * f(t(b)) - f(t(lam * a + (1 - lam) * b))).numpy()


gap_c, gap_w = chord_gap(f_convex), chord_gap(f_wavy)
print(
    f"chord minus graph: exp(x/2) min {gap_c.min():.1e}; cos(pi x) min {gap_w.min():.2f}, "
    f"negative for {np.mean(gap_w < 0):.0%} of the triples"
)

xi, alpha = rng.normal(0.3, 1.0, size=6), rng.dirichlet(np.ones(6))  # one random distribution
Ef = (ag.tensor(alpha) * f_convex(ag.tensor(xi))).sum().item()
fE = f_convex((ag.tensor(alpha) * ag.tensor(xi)).sum()).item()
print(f"Jensen: sum_i alpha_i f(x_i) = {Ef:.4f} >= f(sum_i alpha_i x_i) = {fE:.4f}")
X5, A5 = rng.normal(0, 1.5, (2000, 5)), rng.dirichlet(np.ones(5), 2000)  # 2,000 more


def jensen_gap(f):
    tX, tA = ag.tensor(X5), ag.tensor(A5)
    return ((tA * f(tX)).sum(axis=1) - f((tA * tX).sum(axis=1))).numpy()


jc, jw = jensen_gap(f_convex), jensen_gap(f_wavy)
print(
    f"Jensen gap over 2,000 random distributions: exp(x/2) min {jc.min():.1e}; "
    f"cos(pi x) negative for {np.mean(jw < 0):.0%}"
)
assert d2c.min() > 0 > d2w.min() and gap_c.min() >= -1e-12 > gap_w.min()  # the text's claims,
assert Ef >= fE and jc.min() >= -1e-12 > jw.min()  # checked

fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
ax.plot(xs, f_convex(ag.tensor(xs)).numpy(), "k", lw=1.5, label="$f(x) = e^{x/2}$")
chord_x = np.array([-2, 2.5])
ax.plot(chord_x, np.exp(chord_x / 2), "C0--", lw=1.5, label="a chord: above the graph")
ax.scatter(xi, np.exp(xi / 2), s=600 * alpha, color="C1", zorder=3,
           label=r"points $(x_i, f(x_i))$, size $\propto \alpha_i$")
EX = float(alpha @ xi)
ax.plot([EX, EX], [fE, Ef], "C3-", lw=2)
ax.plot(EX, Ef, "s", color="C3", ms=7, label=r"$\sum_i \alpha_i f(x_i)$")
ax.plot(EX, fE, "o", color="C3", mfc="white", ms=7, label=r"$f(\sum_i \alpha_i x_i)$")
ax.set_xlabel("x")
ax.legend(fontsize=9, loc="upper left")
ax.set_title("convex: chords and averages above the graph")
xw = np.linspace(-1.6, 1.6, 200)
ax2.plot(xw, f_wavy(ag.tensor(xw)).numpy(), "k", lw=1.5, label=r"$f(x) = \cos(\pi x)$")
ax2.plot([-1, 1], [-1, -1], "C0--", lw=1.5, label="a chord: below the graph")
ax2.plot([-1, 1], [-1, -1], "k*", ms=13, label=r"minima $x = \pm 1$")
ax2.set_xlabel("x")
ax2.set_ylim(-1.3, 1.9)
ax2.legend(fontsize=9, loc="upper right")
ax2.set_title("not convex: a chord below the graph")
plt.tight_layout()
plt.show()

# %% [markdown]
# The red segment is Jensen's gap $\sum_i \alpha_i f(x_i) - f(\sum_i \alpha_i x_i) \ge 0$: the
# weighted average of points on a convex graph lies above the graph. For $\cos(\pi x)$ the chord
# between its two minima $\pm 1$ runs below the graph, and the midpoint $0$ of the two minimisers is
# a maximum. For a convex function the set of minimisers is convex, and every local minimum is
# global, which is why the lectures analyse algorithms on convex problems first.
#
# ## Gradient descent in one dimension: too small, right, too large (lecture 003)
#
# Taylor's formula says why a small step descends: $f(x - \eta f'(x)) = f(x) - \eta f'(x)^2 +
# O(\eta^2)$. How small is small enough? For $f(x) = x^2$ a step is
# $x \leftarrow x - 2\eta x = (1 - 2\eta)x$, so $x_k = (1 - 2\eta)^k x_0$: GD converges if and
# only if $|1 - 2\eta| < 1$, i.e. $0 < \eta < 1$. From $x_0 = 10$, ten steps with `optim.SGD`:


# %%
def parabola(x):
    return x**2


etas = {"too small, $\\eta = 0.05$": 0.05, "right, $\\eta = 0.2$": 0.2,
        "too large, $\\eta = 1.1$": 1.1}
fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
ends = {}
for ax, (name, eta) in zip(axes, etas.items()):
    x = ag.tensor([10.0], requires_grad=True)
    opt = optim.SGD([x], lr=eta)
    path = [x.item()]
    for _ in range(10):
        opt.zero_grad()
        parabola(x).sum().backward()
        opt.step()
        path.append(x.item())
    path = np.array(path)
    assert np.allclose(path, 10 * (1 - 2 * eta) ** np.arange(11))  # x_k = (1 - 2 eta)^k x_0
    ends[eta] = path[-1]
    r = 1.1 * max(np.abs(path).max(), 10)
    grid = np.linspace(-r, r, 400)
    ax.plot(grid, grid**2, "k", lw=1)
    ax.plot(path, path**2, "o-", color="C1", ms=4, lw=1,
            label=f"10 steps from $x_0 = 10$: $x_{{10}} = {path[-1]:.3g}$")
    ax.plot(0, 0, "k*", ms=13, label="minimum")
    ax.set_ylim(-0.03 * r**2, 1.25 * r**2)
    ax.set_title(name)
    ax.set_xlabel("x")
    ax.legend(fontsize=9, loc="upper center")
axes[0].set_ylabel("$f(x) = x^2$")
plt.tight_layout()
plt.show()
print("x_10 for eta = 0.05, 0.2, 1.1:", [round(float(v), 4) for v in ends.values()])
assert abs(ends[0.05]) > 3 and abs(ends[0.2]) < 0.1 and abs(ends[1.1]) > 10  # the text's claims

# %% [markdown]
# With $\eta = 0.05$ each step keeps 90% of $x$ and ten steps leave $x_{10} \approx 3.5$; with
# $\eta = 0.2$ the factor is $0.6$ and $x_{10} \approx 0.06$; with $\eta = 1.1$ the factor is
# $-1.2$: every step jumps over the minimum to a point higher up the other side, and the
# iterates diverge ($|x_{10}| \approx 62$).


# %% [markdown]
# ## A quadratic: the learning rate decides
#
# $f(\mathbf{x}) = x_1^2 + 2x_2^2$ has Hessian $\operatorname{diag}(2, 4)$; the engine's
# `hessian` confirms it. Along each axis GD multiplies the coordinate by $1 - \eta\lambda_i$, so it
# converges iff $|1 - \eta\lambda_i| < 1$ for every eigenvalue, that is $\eta < 2/\lambda_{\max}$.


# %%
def quad(x):
    return x[0] ** 2 + 2 * x[1] ** 2


H = ag.functional.hessian(quad, ag.tensor([-5.0, -2.0])).numpy()
lam_max = np.linalg.eigvalsh(H).max()
print("Hessian:\n", H)
print(f"largest eigenvalue L = {lam_max:g}, so GD converges for lr < 2/L = {2 / lam_max:g}")

lrs = [0.05, 0.2, 0.45, 0.51]
final = {}
fig, ax = plt.subplots(figsize=(6, 4.5))
contours(ax, quad, (-6, 6), (-4, 4), levels=np.linspace(1, 60, 12))
for lr in lrs:
    p = gd(quad, [-5.0, -2.0], lr, 20)
    fx = quad(ag.tensor(p[-1])).item()
    ax.plot(p[:, 0], p[:, 1], "o-", ms=3, label=f"lr={lr}: f after 20 steps = {fx:.2g}")
    final[lr] = fx
assert (
    final[0.45] < 1e-2 < quad(ag.tensor([-5.0, -2.0])).item() < final[0.51]
)  # the text's claims, checked
ax.plot(0, 0, "k*", ms=12)
ax.legend(fontsize=9, loc="lower right")
ax.set_title("GD on $x_1^2 + 2x_2^2$ from (-5, -2)")
plt.show()


# %% [markdown]
# With a small rate the path is smooth but slow; at $\eta = 0.45$ the steep $x_2$ direction
# overshoots back and forth (the factor $1 - 4\eta$ is negative) while still converging; at
# $\eta = 0.51 > 2/L$ the $x_2$ coordinate grows every step.

# %% [markdown]
# ## Gradient descent as an ODE (lecture 001)
#
# The path of steepest descent from $\mathbf{x}(0)$ solves
# $\mathbf{x}'(t) = -\eta\nabla f(\mathbf{x}(t))$. For the slide's example
# $f(\mathbf{x}) = a x_1^2 + b x_2^2$ this is $x_1' = -2\eta a x_1$, $x_2' = -2\eta b x_2$, so
# $$x_1(t) = x_1(0)e^{-2\eta a t}, \qquad x_2(t) = x_2(0)e^{-2\eta b t}.$$
# GD is Euler's method for this ODE: with a time step $\Delta t$,
# $\mathbf{x}_{k+1} = \mathbf{x}_k - \eta\Delta t\,\nabla f(\mathbf{x}_k)$, i.e. GD with learning
# rate $\eta\Delta t$, and $\mathbf{x}_k$ approximates $\mathbf{x}(k\Delta t)$. Here $a = 1$,
# $b = 4$, $\eta = 0.5$, $\mathbf{x}(0) = (-5, 2)$; the error up to $t = 2$ should shrink like
# $\Delta t$ (Euler's method is first order).

# %%
a_, b_, eta = 1.0, 4.0, 0.5
x_start = np.array([-5.0, 2.0])


def ab_quad(x):
    return a_ * x[0] ** 2 + b_ * x[1] ** 2


def ode(t):
    """The slide's solution x(t) = x(0) exp(-2 eta (a, b) t), for an array of times."""
    return x_start * np.exp(-2 * eta * np.array([a_, b_]) * np.asarray(t)[..., None])


def gd_path(f, x0, lr, steps):
    x = ag.tensor(x0, requires_grad=True)
    opt = optim.SGD([x], lr=lr)
    path = [x.numpy().copy()]
    for _ in range(steps):
        opt.zero_grad()
        f(x).backward()
        opt.step()
        path.append(x.numpy().copy())
    return np.array(path)


dts = [0.1, 0.05, 0.025, 0.0125, 0.00625]
errors = []
fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4))
contours(ax, ab_quad, (-5.5, 1), (-1, 2.5), levels=[0.5, 2, 5, 10, 17, 26, 37])
ax.plot(*ode(np.linspace(0, 6, 400)).T, "k", lw=2, label="ODE path $x(t)$")
for dt in dts:
    k = int(round(2.0 / dt))
    errors.append(np.abs(gd_path(ab_quad, x_start, eta * dt, k) - ode(dt * np.arange(k + 1))).max())
    if dt in (0.1, 0.025):
        p = gd_path(ab_quad, x_start, eta * dt, int(6 / dt))
        ax.plot(*p.T, "o-", ms=3, lw=0.8, label=f"GD, lr $= \\eta\\,\\Delta t$ = {eta * dt:g}")
ax.plot(0, 0, "k*", ms=13, label="minimum")
ax.set_xlabel("$x_1$")
ax.set_ylabel("$x_2$")
ax.legend(fontsize=9, loc="upper right")
ax.set_title("$f = x_1^2 + 4x_2^2$, $\\eta = 0.5$, from (-5, 2)")
slope = np.polyfit(np.log(dts), np.log(errors), 1)[0]
ax2.loglog(dts, errors, "o-", label=f"GD vs ODE (fitted slope {slope:.2f})")
ax2.loglog(dts, errors[0] * np.array(dts) / dts[0], "k--", lw=0.8, label="$\\propto \\Delta t$")
ax2.set_xlabel("$\\Delta t$")
ax2.set_ylabel("$\\max_k |x_k - x(k \\Delta t)|$ up to $t = 2$")
ax2.legend(fontsize=9)
ax2.set_title("GD is Euler's method for the ODE")
plt.tight_layout()
plt.show()
print("dt:", dts, "\nmax error up to t = 2:", np.array(errors).round(4))
assert abs(slope - 1) < 0.1 and errors[-1] < 0.01  # the text's claims, checked

# %% [markdown]
# The ODE path is tangent to $-\nabla f$ everywhere; it first removes the steep $x_2$ and then
# slides along the shallow $x_1$ direction. GD with a small learning rate follows it step by
# step (each step is one Euler step of length $\Delta t$), with an error proportional to
# $\Delta t$; a large learning rate is a coarse Euler step, which on this quadratic stays stable
# only while $2\eta b\,\Delta t < 2$.
#
# ## Step size $1/L$ on an $L$-smooth function (lecture 004)
#
# If $\nabla f$ is $L$-Lipschitz then
# $f(y) \le f(x) + \nabla f(x)^\top(y - x) + \frac L2\|y - x\|^2$.
# For the GD step $y = x - \alpha\nabla f(x)$ the right side is
# $f(x) - (\alpha - L\alpha^2/2)\|\nabla f(x)\|^2$, which is smallest at $\alpha = 1/L$ (the slide's
# question), where each step decreases $f$ by at least $\|\nabla f(x_k)\|^2/(2L)$. Summing over
# $K$ steps and using $f \ge f^*$ gives Theorem 3.1:
# $$\min_{1 \le k \le K}\|\nabla f(\mathbf{x}_k)\|^2 \le \frac{2L\,(f(\mathbf{x}_0) - f^*)}{K}.$$
# No convexity is needed. We check it on a non-convex function,
# $f(\mathbf{x}) = \log(1 + (x_1 - 1)^2) + 3\log(1 + (x_2 + 2)^2)$ with $f^* = 0$ at $(1, -2)$,
# whose $L$ we read off the engine's Hessians, and on the Huber loss ($L = 1$), where the bound
# is nearly tight.


# %%
def bumpy(x):
    return ag.log(1 + (x[0] - 1) ** 2) + 3 * ag.log(1 + (x[1] + 2) ** 2)


pts = np.random.default_rng(0).uniform(-6, 6, size=(50, 2))
pts[:2] = [[1.0, -2.0], [1.0 + 3**0.5, -2.0]]  # where the curvatures are largest and smallest
hessians = [ag.functional.hessian(bumpy, ag.tensor(q)).numpy() for q in pts]
eig = np.array([np.linalg.eigvalsh(h) for h in hessians])
L = eig.max()
print(f"Hessian eigenvalues at 50 points of [-6, 6]^2: from {eig.min():.3f} to {L:.3f}; L = {L:g}")


def gd_one_over_L(f, x0, L, K):
    """K steps of GD with lr = 1/L; f(x_k) and |grad f(x_k)|^2 for k = 0..K."""
    x = ag.tensor(x0, requires_grad=True)
    opt = optim.SGD([x], lr=1 / L)
    fs, g2 = [], []
    for _ in range(K + 1):
        opt.zero_grad()
        loss = f(x)
        loss.backward()
        fs.append(loss.item())
        g2.append(float((x.grad.numpy() ** 2).sum()))
        opt.step()
    return np.array(fs), np.array(g2)


def huber(x):
    return ag.nn.functional.huber_loss(x, ag.zeros_like(x), reduction="sum", delta=1.0)


cases = {
    "non-convex f": (bumpy, [6.0, 4.0], L, "the non-convex $f$, $L = 6$, from (6, 4)"),
    "Huber": (huber, [20.0], 1.0, "Huber loss ($\\delta = 1$), $L = 1$, from 20"),
}
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
tightness = {}
for ax, (name, (f, x0, L_f, title)) in zip(axes, cases.items()):
    fs, g2 = gd_one_over_L(f, x0, L_f, 60)
    ks = np.arange(1, 61)
    best = np.minimum.accumulate(g2[1:])  # min over 1 <= k <= K of |grad f(x_k)|^2
    bound = 2 * L_f * (fs[0] - 0.0) / ks  # f* = 0 for both
    assert np.all(fs[1:] <= fs[:-1] - g2[:-1] / (2 * L_f) + 1e-12)  # decrease >= |grad|^2 / 2L
    assert np.all(best <= bound)  # Theorem 3.1, checked
    ratio = bound / np.maximum(best, 1e-300)
    tightness[name] = ratio.min()
    print(f"{name}: f(x0) = {fs[0]:.2f}, bound / achieved >= {ratio.min():.2f}",
          f"(at K = {ratio.argmin() + 1})")
    ax.loglog(ks, bound, "k--", label="bound $2L(f(x_0) - f^*)/K$")
    ax.loglog(ks, np.maximum(best, 1e-12), label="$\\min_{k \\leq K} \\|\\nabla f(x_k)\\|^2$")
    ax.set_ylim(1e-6, 2 * bound[0])
    ax.set_xlabel("K")
    ax.set_title(title)
    ax.legend(fontsize=9, loc="lower left")
plt.tight_layout()
plt.show()
assert tightness["non-convex f"] > 6.5 and 1 < tightness["Huber"] < 2.2  # the text's claims

# %% [markdown]
# The bound holds at every $K$, and so does the per-step decrease $\|\nabla f\|^2/(2L)$ it is built
# from. It is a worst case: on the bumpy function it is 7 or more times the achieved value. On the
# Huber loss GD walks down the linear part with $\|\nabla f\|^2 = 1$ at a speed of $1/L$ per step,
# the situation the proof assumes, and the bound is within a factor of about 2 until the iterate
# reaches the quadratic part and stops at $0$.
#
# ## The narrow valley, with and without momentum
#
# The second lecture's landscape
# $f(\mathbf{x}) = (x_1^2 - 1)^2 + (x_1^2 x_2 - x_1 - 1)^2$ has minima at $(1, 2)$ and $(-1, 0)$
# in a curved, narrow valley. First we check the engine's gradient against the slide's formula:
#
# $$\nabla f = \begin{bmatrix} 4x_1(x_1^2 - 1) + 2(2x_1x_2 - 1)(x_1^2 x_2 - x_1 - 1) \\
# 2x_1^2(x_1^2 x_2 - x_1 - 1) \end{bmatrix}.$$


# %%
def valley(x):
    return (x[0] ** 2 - 1) ** 2 + (x[0] ** 2 * x[1] - x[0] - 1) ** 2


def valley_grad_slide(x1, x2):
    r = x1**2 * x2 - x1 - 1
    return np.array([4 * x1 * (x1**2 - 1) + 2 * (2 * x1 * x2 - 1) * r, 2 * x1**2 * r])


pts = np.random.default_rng(0).uniform(-2, 2, size=(5, 2))
errs = []
for p in pts:
    x = ag.tensor(p, requires_grad=True)
    (g,) = ag.grad(valley(x), x)
    errs.append(np.abs(g.numpy() - valley_grad_slide(*p)).max())
print(f"engine vs slide gradient at 5 random points: max difference {max(errs):.1e}")
print(
    "f at the two minima:",
    valley(ag.tensor([1.0, 2.0])).item(),
    valley(ag.tensor([-1.0, 0.0])).item(),
)

# %%
x0 = [0.5, 3.0]
runs = {
    "GD, lr=0.01": gd(valley, x0, 0.01, 300),
    "momentum 0.9, lr=0.01": gd(valley, x0, 0.01, 300, momentum=0.9),
}
fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
contours(ax, valley, (-2, 2.2), (-1, 3), levels=np.logspace(-2, 1.5, 15))
for (label, p), col in zip(runs.items(), ["C0", "C3"]):
    ax.plot(p[:, 0], p[:, 1], ".-", ms=2, lw=1, color=col, label=label)
    vals = [valley(ag.tensor(q)).item() for q in p]
    ax2.semilogy(vals, color=col, label=label)
    print(f"{label:24s}: end at ({p[-1, 0]:.3f}, {p[-1, 1]:.3f}), f = {vals[-1]:.2e}")
    runs[label] = (p, vals[-1])
assert (
    runs["momentum 0.9, lr=0.01"][1] < 1e-6 < 1e-2 < runs["GD, lr=0.01"][1]
)  # the text's claims, checked
ax.plot([1, -1], [2, 0], "k*", ms=10)
ax.legend(fontsize=9)
ax.set_title("paths in the narrow valley")
ax2.set_xlabel("step")
ax2.set_ylabel("f")
ax2.legend(fontsize=9)
ax2.set_title("f along the path")
plt.tight_layout()
plt.show()


# %% [markdown]
# With the same learning rate and the same 300 gradient evaluations, plain GD is still creeping
# along the valley floor (its step is capped by the steep walls), while momentum has reached the
# minimum $(1, 2)$ (compare the printed values of $f$). Momentum averages successive steps:
# components that flip sign across the valley cancel, the component along the floor accumulates.
#
# ## The saddle $x^2 - y^2$
#
# At the origin the gradient vanishes but it is not a minimum. Starting almost on the
# $x$-axis, GD rushes towards the saddle, lingers there (the gradient is tiny), and leaves
# along $y$ only because of the small initial offset.


# %%
def saddle(x):
    return x[0] ** 2 - x[1] ** 2


fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 4))
contours(ax, saddle, (-1.2, 1.2), (-1.2, 1.2), levels=np.linspace(-1.4, 1.4, 15))
for y0 in [1e-1, 1e-3, 1e-6]:
    p = gd(saddle, [1.0, y0], 0.1, 60)
    gn = [np.linalg.norm([2 * a, -2 * b]) for a, b in p]
    ax.plot(p[:, 0], np.clip(p[:, 1], -1.2, 1.2), ".-", ms=3, label=f"start (1, {y0:g})")
    ax2.semilogy(gn, label=f"start (1, {y0:g})")
    steps_near = int(np.sum(np.array(gn) < 0.1))
    print(f"start y0={y0:g}: {steps_near} of 60 steps with |grad| < 0.1")
ax.plot(0, 0, "kX", ms=10, label="saddle point: not a minimum")
ax.legend(fontsize=9)
ax.set_title("GD near the saddle")
ax2.set_xlabel("step")
ax2.set_ylabel("|grad f|")
ax2.legend(fontsize=9)
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Newton's method and diagonal preconditioning
#
# Newton's step $\mathbf{x} \leftarrow \mathbf{x} - H^{-1}\nabla f$ rescales every direction by
# its curvature. On a quadratic it lands on the minimum in one step. The Hessian comes from the
# engine by double backward (`ag.functional.hessian`). A cheaper relative, diagonal
# preconditioning, divides each coordinate by $H_{ii}$ only: exact when $H$ is diagonal, as for
# $x_1^2 + 2x_2^2$, but not for a rotated quadratic.

# %%
A = np.array([[1.0, 0.9], [0.9, 2.0]])  # a rotated, ill-conditioned quadratic


def rotated(x):
    return 0.5 * (x * (ag.tensor(A) @ x)).sum()


def run(f, x0, method, steps=15, lr=0.3):
    x = ag.tensor(x0)
    vals = [f(x).item()]
    for _ in range(steps):
        xr = x.detach().requires_grad_()
        (g,) = ag.grad(f(xr), xr)
        H = ag.functional.hessian(f, x).numpy()
        if method == "newton":
            step = np.linalg.solve(H, g.numpy())
        elif method == "diagonal":
            step = g.numpy() / np.diag(H)
        else:
            step = lr * g.numpy()
        x = ag.tensor(x.numpy() - step)
        vals.append(f(x).item())
    return np.array(vals)


fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
for ax, (title, f) in zip(axes, [("$x_1^2 + 2x_2^2$", quad), ("rotated quadratic", rotated)]):
    for method in ["gd", "diagonal", "newton"]:
        vals = run(f, [-5.0, -2.0], method)
        ax.semilogy(np.maximum(vals, 1e-30), "o-", ms=3, label=method)
        print(f"{title:20s} {method:8s}: f after 1 step = {vals[1]:.2e}, after 15 = {vals[-1]:.2e}")
        if method == "newton":
            assert vals[1] < 1e-20  # the text's claims, checked
    ax.set_title(title)
    ax.set_xlabel("step")
    ax.legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# Newton reaches the minimum of either quadratic in one step. Diagonal preconditioning does the
# same on the axis-aligned quadratic; on the rotated one it is no longer exact and needs many
# steps (the printed values), because it ignores the off-diagonal coupling. Newton on the
# non-quadratic valley needs several steps and can head to a saddle or maximum when the Hessian
# is not positive definite. The library's `optim.Newton` (exact Hessian by double backward, the
# loss recomputed by a closure) shows both sides on the valley: near the minimum the number of
# correct digits roughly doubles at every step (quadratic convergence), while from a point where
# the Hessian is indefinite it refuses to take a step that would not descend, and says why.

# %%
x = ag.tensor([1.3, 1.5], requires_grad=True)
opt = optim.Newton([x])
vals = [valley(x).item()]
for _ in range(6):
    opt.step(lambda: valley(x))
    vals.append(valley(x).item())
print("f along Newton's iterates:", "  ".join(f"{v:.1e}" for v in vals))
print("x after 6 steps:", x.numpy().round(8))
assert vals[3] < 1e-6 and vals[5] < 1e-20  # the text's claims, checked

try:
    y = ag.tensor([1.2, 2.5], requires_grad=True)
    optim.Newton([y]).step(lambda: valley(y))
except RuntimeError as e:
    print("from (1.2, 2.5):", str(e).split(":")[1].strip()[:95], "...")

# %% [markdown]
# ## Empirical risk minimisation with ridge and LASSO penalties (lecture 001)
#
# The lecture's regularised linear regression minimises
# $$F(\beta_0, \boldsymbol\beta) =
# \frac1n\sum_{i=1}^n (y_i - \beta_0 - \mathbf{x}_i^\top\boldsymbol\beta)^2
# + \lambda R(\boldsymbol\beta), \qquad R = \textstyle\sum_j \beta_j^2 \text{ (ridge) or }
# \sum_j |\beta_j| \text{ (LASSO)}.$$
# The data: $n = 60$, $p = 8$ standard normal features, $y = 1 + 3x_1 - 2x_2 + 1.5x_5 + \varepsilon$
# (five true coefficients are zero), $\varepsilon \sim \mathcal N(0, 0.5^2)$. Ridge is smooth, and
# its minimiser has a closed form: with centred $X_c, \mathbf{y}_c$,
# $\boldsymbol\beta = (X_c^\top X_c/n + \lambda I)^{-1}X_c^\top \mathbf{y}_c/n$ (the intercept is
# not penalised). The LASSO term is not differentiable at $0$; GD on the smooth part followed by its
# proximal step, soft thresholding $\beta_j \leftarrow \operatorname{sign}(\beta_j)\max(|\beta_j| -
# \lambda/L, 0)$, sets coefficients exactly to zero. We check the LASSO minimiser by its optimality
# conditions: $\partial_j \text{risk} = -\lambda\operatorname{sign}\beta_j$ where $\beta_j \ne 0$
# and $|\partial_j \text{risk}| \le \lambda$ where $\beta_j = 0$.

# %%
rng = np.random.default_rng(1)
n, p = 60, 8
beta_true = np.array([3.0, -2.0, 0.0, 0.0, 1.5, 0.0, 0.0, 0.0])
Xr = rng.standard_normal((n, p))
yr = 1.0 + Xr @ beta_true + 0.5 * rng.standard_normal(n)
Xt_, yt_ = ag.tensor(Xr), ag.tensor(yr)
Xc, yc = Xr - Xr.mean(0), yr - yr.mean()
Z = np.column_stack([np.ones(n), Xr])
L_risk = 2 * np.linalg.eigvalsh(Z.T @ Z / n).max()  # the risk's gradient is L-Lipschitz


def risk(b0, beta):
    """The empirical risk (1/n) sum_i (y_i - beta_0 - x_i . beta)^2."""
    return ((yt_ - b0 - Xt_ @ beta) ** 2).mean()


def fit(lam, penalty, steps, start=None):
    """GD with step 1/L on risk (+ ridge term); for the LASSO each step is followed by
    soft thresholding (the proximal step of lam * |beta|_1)."""
    b0 = ag.tensor(0.0 if start is None else start[0], requires_grad=True)
    beta = ag.tensor(np.zeros(p) if start is None else start[1], requires_grad=True)
    L = L_risk + (2 * lam if penalty == "ridge" else 0.0)
    opt = optim.SGD([b0, beta], lr=1 / L)
    for _ in range(steps):
        opt.zero_grad()
        loss = risk(b0, beta) + (lam * (beta**2).sum() if penalty == "ridge" else 0.0)
        loss.backward()
        opt.step()
        if penalty == "lasso":
            with ag.no_grad():
                beta.copy_(ag.sign(beta) * ag.relu(beta.abs() - lam / L))
    return b0.item(), beta.numpy() + 0.0  # (+ 0.0 turns -0.0 into 0.0)


lam = 0.3
b0_r, beta_r = fit(lam, "ridge", 300)
beta_closed = np.linalg.solve(Xc.T @ Xc / n + lam * np.eye(p), Xc.T @ yc / n)
b0_closed = yr.mean() - Xr.mean(0) @ beta_closed
b0_l, beta_l = fit(lam, "lasso", 600)
b0t, bt = ag.tensor(b0_l, requires_grad=True), ag.tensor(beta_l, requires_grad=True)
g = ag.grad(risk(b0t, bt), [b0t, bt])[1].numpy()
zero = beta_l == 0
print(f"lambda = {lam}\ntrue  beta:", beta_true)
gap_closed = np.abs(beta_r - beta_closed).max()
print("ridge beta:", beta_r.round(3), f" GD - closed form: {gap_closed:.0e}")
print("LASSO beta:", beta_l.round(3))
print(f"LASSO optimality: max |d risk/d beta_j| on the zeros {np.abs(g[zero]).max():.3f};",
      "-sign(beta_j) d risk/d beta_j on the others:", (-g[~zero] * np.sign(beta_l[~zero])).round(5))
assert np.abs(beta_r - beta_closed).max() < 1e-8 and abs(b0_r - b0_closed) < 1e-8
assert np.count_nonzero(beta_r) == p and np.array_equal(zero, beta_true == 0)  # the text's claims
assert np.all(np.abs(g[zero]) <= lam) and np.allclose(-g[~zero], lam * np.sign(beta_l[~zero]))

# plain subgradient descent on the LASSO objective, for comparison
b0s, bs = ag.tensor(0.0, requires_grad=True), ag.zeros(p, requires_grad=True)
opt = optim.SGD([b0s, bs], lr=0.05)
for _ in range(600):
    opt.zero_grad()
    (risk(b0s, bs) + lam * bs.abs().sum()).backward()
    opt.step()
print("subgradient descent instead, the five true zeros:", np.abs(bs.numpy()[zero]).round(4))
assert np.all(bs.numpy()[zero] != 0)

# %% [markdown]
# At the same $\lambda$, ridge shrinks every coefficient but sets none to zero; the LASSO sets
# exactly the five true zeros to $0$ and shrinks the others by less. GD on ridge agrees with the
# closed form to rounding. Subgradient descent on the LASSO objective (the engine's `abs`, whose
# derivative at 0 is 0) leaves the "zero" coefficients oscillating at the scale of the step; the
# proximal step is what makes them exactly zero. Along the whole path of $\lambda$ (the LASSO path
# by warm-started proximal GD):

# %%
lams = np.logspace(-3, 1, 30)[::-1]
path_r = np.array([np.linalg.solve(Xc.T @ Xc / n + lm * np.eye(p), Xc.T @ yc / n) for lm in lams])
path_l, start = [], None
for lm in lams:
    start = fit(lm, "lasso", 80, start=start)
    path_l.append(start[1])
path_l = np.array(path_l)
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), sharey=True)
titles = [
    "ridge $\\lambda\\|\\beta\\|_2^2$ (closed form)",
    "LASSO $\\lambda\\|\\beta\\|_1$ (proximal GD)",
]
for ax, path, title in zip(axes, [path_r, path_l], titles):
    for j in range(p):
        if beta_true[j]:
            ax.semilogx(lams, path[:, j], color=f"C{j}", lw=1.5,
                        label=f"$\\beta_{j + 1}$ (true {beta_true[j]:g})")
        else:
            ax.semilogx(lams, path[:, j], color="0.6", lw=1, label="true zeros" if j == 2 else None)
    ax.axvline(lam, color="k", ls=":", lw=0.8)
    ax.set_xlabel("$\\lambda$")
    ax.set_title(title)
axes[0].set_ylabel("coefficient")
axes[0].legend(fontsize=9)
plt.tight_layout()
plt.show()
n_zero = (path_l == 0).sum(axis=1)
print("LASSO zeros along the path (large to small lambda):", n_zero)
assert n_zero[0] == p and n_zero[-1] == 0 and np.all((path_r != 0).sum(axis=1) == p)

# %% [markdown]
# ## Hinge loss: a linear SVM by subgradient descent (lecture 001)
#
# The support vector classifier separates labels $y_i \in \{-1, +1\}$ by a line
# $\beta_0 + \mathbf{x}^\top\boldsymbol\beta = 0$, minimising the hinge loss plus a ridge term:
# $$\frac1n\sum_{i=1}^n \max[0, 1 - y_i(\beta_0 + \mathbf{x}_i^\top\boldsymbol\beta)] +
# \lambda\|\boldsymbol\beta\|^2$$
# (the slide sums instead of averaging, and penalises $\beta_0$ too; we leave $\beta_0$ free). The
# hinge is not differentiable at its kink, so we use subgradient descent: the engine's
# `nn.functional.hinge_loss` (a `relu`), full batch, step $1/\sqrt{t+1}$ (`PowerDecayLR`). For
# separable data and small $\lambda$ the minimiser is the **maximum-margin** line, at distance
# $1/\|\boldsymbol\beta\|$ from the nearest points (the support vectors, where
# $y_i f(\mathbf{x}_i) = 1$). We check its direction and margin against a brute-force search over
# 36,000 directions $\mathbf u$ of the largest gap
# $\frac12(\min_{y_i = 1}\mathbf u^\top\mathbf x_i - \max_{y_i = -1}\mathbf u^\top\mathbf x_i)$.

# %%
rng = np.random.default_rng(3)
m = 40
pts = np.vstack([
    rng.normal([-1.2, -0.8], 0.55, (m // 2, 2)),
    rng.normal([1.2, 0.9], 0.55, (m // 2, 2)),
])
lab = np.repeat([-1.0, 1.0], m // 2)
P, Y = ag.tensor(pts), ag.tensor(lab)
lam_svm = 1e-3
w, b = ag.zeros(2, requires_grad=True), ag.zeros((), requires_grad=True)
opt = optim.SGD([w, b], lr=1.0)
sched = lr_scheduler.PowerDecayLR(opt, alpha=-0.5)
for t in range(1500):
    opt.zero_grad()
    obj = ag.nn.functional.hinge_loss(P @ w + b, Y) + lam_svm * (w**2).sum()
    obj.backward()
    opt.step()
    sched.step()
w_svm, b_svm = w.numpy(), b.item()
yf = lab * (pts @ w_svm + b_svm)
margin = 1 / np.linalg.norm(w_svm)
angle = np.degrees(np.arctan2(w_svm[1], w_svm[0]))

ang = np.linspace(0, 2 * np.pi, 36_000, endpoint=False)
proj = pts @ np.stack([np.cos(ang), np.sin(ang)])
gaps = (proj[lab > 0].min(0) - proj[lab < 0].max(0)) / 2
print(f"objective {obj.item():.5f}; min_i y_i f(x_i) = {yf.min():.4f} (no point inside the margin)")
print(f"SVM: direction {angle:.2f} deg, margin 1/|beta| = {margin:.4f}")
print(f"brute force: direction {np.degrees(ang[gaps.argmax()]):.2f} deg, margin {gaps.max():.4f}")
assert yf.min() > 0.99 and abs(angle - np.degrees(ang[gaps.argmax()])) < 0.5  # the text's
assert abs(margin - gaps.max()) < 0.01 * gaps.max()  # claims, checked

fig, ax = plt.subplots(figsize=(6, 5))
G1, G2 = np.meshgrid(np.linspace(-3, 3, 200), np.linspace(-3, 3, 200))
F = w_svm[0] * G1 + w_svm[1] * G2 + b_svm
ax.contourf(G1, G2, F, levels=[-100, 0, 100], colors=["#dde8f7", "#f7e0dd"], alpha=0.8)
ax.contour(G1, G2, F, levels=[-1, 0, 1], colors="k", linestyles=["--", "-", "--"], linewidths=1)
ax.scatter(*pts[lab < 0].T, color="C0", s=20, label="$y = -1$")
ax.scatter(*pts[lab > 0].T, color="C3", s=20, label="$y = +1$")
sv = yf < 1.05
ax.scatter(*pts[sv].T, s=150, facecolors="none", edgecolors="k", label="support vectors")
ax.plot([], [], "k-", label="$\\beta_0 + x^\\top\\beta = 0$")
ax.plot([], [], "k--", label=f"$\\pm 1$: margin $1/\\|\\beta\\|$ = {margin:.3f}")
ax.set_aspect("equal")
ax.set_xlim(-3, 3)
ax.set_ylim(-3, 3)
ax.legend(fontsize=9, loc="upper left")
ax.set_title("linear SVM by subgradient descent on the hinge loss")
plt.show()

# %% [markdown]
# Subgradient descent finds the maximum-margin line: its direction agrees with the brute-force
# search to a fraction of a degree and its margin to within 1%. Only the circled support vectors
# (on the dashed lines) have a nonzero hinge subgradient near the end; moving any other point a
# little does not change the classifier.

# %% [markdown]
# ## Exercises
#
# 1. **The step-size limit.** For $f(x) = 3x^2$, find the largest $\eta$ for which GD converges from
#    every start, and the $\eta$ that reaches the minimum in one step. Fill in both below; the
#    cell checks them by running `optim.SGD` just below and just above your limit.
# 2. **Jensen gives AM-GM.** $-\log$ is convex. Apply Jensen with equal weights to show
#    $\frac1n\sum_i x_i \ge (\prod_i x_i)^{1/n}$ for $x_i > 0$, and write the Jensen gap as a
#    function of the arithmetic and geometric means.
# 3. **When is the LASSO solution all zero?** At $\boldsymbol\beta = 0$ (with the best
#    intercept) the optimality condition reads $|\partial_j\text{risk}| \le \lambda$ for every $j$.
#    Derive the smallest such $\lambda$, $\lambda_{\max} = \max_j \frac2n |\mathbf{x}_{c,j}^\top
#    \mathbf{y}_c|$, and fill it in; the cell checks that proximal GD gives all zeros just above
#    it and a nonzero coefficient just below.

# %%
eta_limit = 1 / 3  # exercise 1: your answer (reference solution: 2 / f'' = 2 / 6)
eta_one_step = 1 / 6  # exercise 1: your answer (reference solution: 1 / f'')


def gd_3x2(eta, steps=200):
    x = ag.tensor([1.0], requires_grad=True)
    opt = optim.SGD([x], lr=eta)
    for _ in range(steps):
        opt.zero_grad()
        (3 * x**2).sum().backward()
        opt.step()
    return abs(x.item())


assert gd_3x2(0.95 * eta_limit) < 1e-6 and gd_3x2(1.05 * eta_limit) > 1.0
assert gd_3x2(eta_one_step, steps=1) < 1e-12

# exercise 2, numerically: the Jensen gap of -log with equal weights is log(AM / GM)
xs_pos = np.random.default_rng(5).uniform(0.1, 4, size=7)
t = ag.tensor(xs_pos)
gap = (-ag.log(t)).mean() + ag.log(t.mean())
am, gm = xs_pos.mean(), np.exp(np.log(xs_pos).mean())
assert gap.item() >= 0 and abs(gap.item() - np.log(am / gm)) < 1e-12

lam_max = 2 / n * np.abs(Xc.T @ yc).max()  # exercise 3: your answer
assert np.all(fit(1.01 * lam_max, "lasso", 400)[1] == 0)
assert np.any(fit(0.95 * lam_max, "lasso", 400)[1] != 0)
print(f"checked: eta_limit = {eta_limit:.4f}, eta_one_step = {eta_one_step:.4f}, "
      f"lambda_max = {lam_max:.3f}")
ag.set_default_dtype(np.float32)
