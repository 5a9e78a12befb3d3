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
# * the quadratic $f(\mathbf{x}) = x_1^2 + 2x_2^2$ from $(-5, -2)$ with several learning rates,
#   and why $\eta < 2/L$ is the limit ($L$ = largest curvature);
# * the narrow valley $f(\mathbf{x}) = (x_1^2 - 1)^2 + (x_1^2 x_2 - x_1 - 1)^2$ with and without
#   momentum;
# * the saddle $x^2 - y^2$, where GD stalls near a stationary point that is not a minimum;
# * Newton's method (exact Hessian by double backward) and diagonal preconditioning.

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

import autograd_lite as ag

plt.rcParams["figure.dpi"] = 80
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
ax.legend(fontsize=8, loc="lower right")
ax.set_title("GD on $x_1^2 + 2x_2^2$ from (-5, -2)")
plt.show()


# %% [markdown]
# With a small rate the path is smooth but slow; at $\eta = 0.45$ the steep $x_2$ direction
# overshoots back and forth (the factor $1 - 4\eta$ is negative) while still converging; at
# $\eta = 0.51 > 2/L$ the $x_2$ coordinate grows every step.
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
ax.legend(fontsize=8)
ax.set_title("paths in the narrow valley")
ax2.set_xlabel("step")
ax2.set_ylabel("f")
ax2.legend(fontsize=8)
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
ax.legend(fontsize=8)
ax.set_title("GD near the saddle")
ax2.set_xlabel("step")
ax2.set_ylabel("|grad f|")
ax2.legend(fontsize=8)
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
from autograd_lite import optim

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

# %%
ag.set_default_dtype(np.float32)
