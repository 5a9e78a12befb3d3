"""Build the teaching notebooks from the cell sources below.

    python notebooks/_build.py            # (re)write every notebook, without outputs
    python notebooks/_build.py 02 04      # only those whose file name starts with 02 or 04

The .ipynb files are committed without outputs; ``tests/test_notebooks.py`` executes them.
Cell ids are deterministic so rebuilding an unchanged notebook gives an identical file.
Each notebook's metadata lists the ``autograd_lite`` subpackages it needs
(``autograd_lite.requires``) and whether it draws Graphviz pictures (``autograd_lite.dot``);
the test skips it cleanly when one of those is missing.
"""
from __future__ import annotations

import os
import sys

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = os.path.dirname(os.path.abspath(__file__))

SETUP = """\
%matplotlib inline
import numpy as np
import matplotlib.pyplot as plt
import autograd_lite as ag

plt.rcParams["figure.dpi"] = 80
ag.manual_seed(0)"""

NOTEBOOKS: dict[str, dict] = {}


def notebook(name: str, requires: tuple = (), dot: bool = False):
    """Register a notebook: the decorated function returns its list of (kind, source)."""
    def deco(fn):
        NOTEBOOKS[name] = {"cells": fn(), "requires": list(requires), "dot": dot}
        return fn
    return deco


def md(s: str) -> tuple:
    return ("markdown", s.strip("\n"))


def code(s: str) -> tuple:
    return ("code", s.strip("\n"))


# =============================================================================================
@notebook("02_backprop_by_hand")
def _nb02():
    return [
        md(r"""
# 2. Backprop by hand vs the engine

**What this notebook teaches.** The worked example of the crash-course lecture,
$F(\mathbf{y}) = \mathbf{W}\,a(\mathbf{K}\mathbf{y} + \mathbf{b})$ with a softmax cross-entropy
loss $L = -\mathbf{c}^\top \log \sigma(F(\mathbf{y}))$, differentiated three ways:

1. with the closed-form gradients from the slides (written in NumPy),
2. with `backward()`,
3. with the *delta recursion*: backprop as a product of layer Jacobians, applied right to left.

All three agree to rounding error, and we see why the engine never builds a Jacobian.
"""),
        code(SETUP + "\nag.set_default_dtype(np.float64)   # exact comparisons in this notebook"),
        md(r"""
## The network and the forward pass

$\mathbf{y} \in \mathbb{R}^2$, $\mathbf{K} \in \mathbb{R}^{3\times 2}$, $\mathbf{b}\in\mathbb{R}^3$,
$\mathbf{W} \in \mathbb{R}^{2 \times 3}$, $a = \tanh$, and a target $\mathbf{c}$ in the unit simplex
$\Delta^2$. The lecture's forward pass is

$$\mathbf{u}_1 = a(\mathbf{K}\mathbf{y} + \mathbf{b}), \qquad \mathbf{u}_2 = \mathbf{W}\mathbf{u}_1,
\qquad L(\mathbf{u}_2, \mathbf{c}) = -\mathbf{c}^\top \log \sigma(\mathbf{u}_2).$$
"""),
        code("""
rng = np.random.default_rng(1)
Kn, bn, Wn = rng.standard_normal((3, 2)), rng.standard_normal(3), rng.standard_normal((2, 3))
yn = np.array([0.5, -1.0])
c = np.array([0.3, 0.7])            # c >= 0, c1 + c2 = 1

K, b, W, y = (ag.tensor(a, requires_grad=True) for a in (Kn, bn, Wn, yn))
z = K @ y + b                        # pre-activation
u1 = ag.tanh(z)
u2 = W @ u1
L = -(ag.tensor(c) * ag.log_softmax(u2)).sum()
L.backward()
print(f"L = {L.item():.6f}")
print("grad_fn chain from L:", L.grad_fn, "<-", L.grad_fn.next_functions)
"""),
        md(r"""
## The closed form from the slides

Writing $\boldsymbol{\delta}_2 = \nabla_{\mathbf{u}_2} L$ and
$\boldsymbol{\delta}_1 = \nabla_{\mathbf{z}} L$ (gradient with respect to the pre-activation):

$$\boldsymbol\delta_2 = \sigma(\mathbf{u}_2) - \mathbf{c}, \quad
\nabla_{\mathbf W} L = \boldsymbol\delta_2\,\mathbf{u}_1^\top, \quad
\boldsymbol\delta_1 = \operatorname{diag}(a'(\mathbf{z}))\,\mathbf{W}^\top\boldsymbol\delta_2,$$
$$\nabla_{\mathbf K} L = \boldsymbol\delta_1\,\mathbf{y}^\top, \quad
\nabla_{\mathbf b} L = \boldsymbol\delta_1, \quad
\nabla_{\mathbf y} L = \mathbf{K}^\top\boldsymbol\delta_1 .$$

Two remarks on the slides: they write $\nabla_{\mathbf{u}_2}L = \mathbf{c} - \sigma(\mathbf{u}_2)$,
which is the *negative* gradient (the direction a descent step moves in), and they leave the
factor $\mathbf{W}^\top$ implicit in the formulas for $\mathbf{K}$ and $\mathbf{b}$; the shapes
($\mathbf{c} - \sigma$ has 2 entries, $\mathbf{b}$ has 3) force it to be there. The cell below
checks both claims numerically instead of taking them on trust.
"""),
        code("""
def softmax(v):
    e = np.exp(v - v.max())
    return e / e.sum()

zn = Kn @ yn + bn
a1 = np.tanh(zn)
s = softmax(Wn @ a1)
delta2 = s - c
delta1 = (1 - a1 ** 2) * (Wn.T @ delta2)          # a'(z) = 1 - tanh(z)^2
closed = {"W": np.outer(delta2, a1), "K": np.outer(delta1, yn), "b": delta1, "y": Kn.T @ delta1}
engine = {"W": W.grad.numpy(), "K": K.grad.numpy(), "b": b.grad.numpy(), "y": y.grad.numpy()}

for name in closed:
    err = np.abs(closed[name] - engine[name]).max()
    print(f"grad {name}: shape {engine[name].shape}, max |closed form - backward()| = {err:.2e}")

sign_flip = np.abs(np.outer(c - s, a1) - engine["W"]).max()
print(f"with the slide's sign, (c - sigma) u1^T differs from the gradient by {sign_flip:.3f}")
"""),
        md(r"""
Every closed-form gradient matches `backward()` to machine precision, and the version with
$\mathbf{c} - \sigma$ is off by exactly a sign. Let us look at the numbers side by side.
"""),
        code("""
fig, axes = plt.subplots(1, 3, figsize=(10, 3))
for ax, (title, M) in zip(axes, [("closed form  dL/dK", closed["K"]),
                                   ("backward()  K.grad", engine["K"]),
                                   ("difference", closed["K"] - engine["K"])]):
    im = ax.imshow(M, cmap="RdBu_r")
    ax.set_title(title)
    ax.set_xticks([]); ax.set_yticks([])
    fig.colorbar(im, ax=ax, shrink=0.8)
plt.tight_layout()
plt.show()
"""),
        md(r"""
### Many random draws

One draw could agree by luck. Repeat for 200 random networks and targets, and plot every
entry of the closed-form gradients against the engine's: all points lie on the diagonal.
"""),
        code("""
xs, ys = [], []
worst = 0.0
for trial in range(200):
    Kn_, bn_, Wn_ = rng.standard_normal((3, 2)), rng.standard_normal(3), rng.standard_normal((2, 3))
    yn_ = rng.standard_normal(2)
    p = rng.random(); c_ = np.array([p, 1 - p])
    K_, b_, W_, y_ = (ag.tensor(v, requires_grad=True) for v in (Kn_, bn_, Wn_, yn_))
    loss = -(ag.tensor(c_) * ag.log_softmax(W_ @ ag.tanh(K_ @ y_ + b_))).sum()
    loss.backward()
    a_ = np.tanh(Kn_ @ yn_ + bn_)
    d2 = softmax(Wn_ @ a_) - c_
    d1 = (1 - a_ ** 2) * (Wn_.T @ d2)
    cf = np.concatenate([np.outer(d2, a_).ravel(), np.outer(d1, yn_).ravel(), d1, Kn_.T @ d1])
    en = np.concatenate([W_.grad.numpy().ravel(), K_.grad.numpy().ravel(),
                         b_.grad.numpy(), y_.grad.numpy()])
    worst = max(worst, np.abs(cf - en).max())
    xs.append(cf); ys.append(en)
xs, ys = np.concatenate(xs), np.concatenate(ys)
plt.figure(figsize=(4, 4))
plt.scatter(xs, ys, s=4)
lim = np.abs(xs).max() * 1.05
plt.plot([-lim, lim], [-lim, lim], "k--", lw=0.8)
plt.xlabel("closed form"); plt.ylabel("backward()")
plt.title(f"{len(xs)} gradient entries")
plt.show()
print(f"largest disagreement over 200 draws: {worst:.2e}")
"""),
        md(r"""
## The delta recursion: backprop as Jacobian products

For a chain $\mathbf{u}_k = f_k(\mathbf{u}_{k-1})$, $k = 1..d$, and a scalar loss
$L(\mathbf{u}_d)$, the chain rule says

$$\nabla_{\mathbf{u}_0} L = J_1^\top J_2^\top \cdots J_d^\top \nabla_{\mathbf{u}_d} L,
\qquad J_k = \frac{\partial \mathbf{u}_k}{\partial \mathbf{u}_{k-1}} .$$

Reverse mode evaluates this product **right to left**, so that every intermediate is a vector
$\boldsymbol\delta_{k-1} = J_k^\top \boldsymbol\delta_k$ (a vector-Jacobian product) rather than a
matrix. Below, the network is split into its elementary steps; we build each $J_k$ explicitly
with `ag.functional.jacobian`, run the recursion by hand, and compare with `backward()`.
"""),
        code("""
steps = [("K y + b", lambda u: K.detach() @ u + b.detach()),
         ("tanh",    ag.tanh),
         ("W u",     lambda u: W.detach() @ u)]

u = ag.tensor(yn)
us, jacs = [u], []
for name, f in steps:
    jacs.append(ag.functional.jacobian(f, u).numpy())
    u = f(u)
    us.append(u)

u2_t = us[-1].detach().requires_grad_()
(delta,) = ag.grad(-(ag.tensor(c) * ag.log_softmax(u2_t)).sum(), u2_t)
delta = delta.numpy()
print(f"delta_3 = dL/du2 = {np.round(delta, 4)}   (sigma(u2) - c = {np.round(delta2, 4)})")
deltas = [delta]
for (name, _), J in zip(reversed(steps), reversed(jacs)):
    delta = J.T @ delta
    deltas.append(delta)
    print(f"through {name:8s}: J is {J.shape[0]}x{J.shape[1]}, delta = {np.round(delta, 4)}")
print("engine y.grad          :", np.round(y.grad.numpy(), 4))
print(f"max difference: {np.abs(deltas[-1] - y.grad.numpy()).max():.2e}")
"""),
        md(r"""
The Jacobian of `tanh` is diagonal: $J = \operatorname{diag}(a'(\mathbf{z}))$, exactly the
$\operatorname{diag}(a'(\cdot))$ factor of the slide. The engine never forms it; its VJP rule for
`tanh` is the one-liner `g * (1 - out**2)`. Multiplying the Jacobians in the *other* order
(left to right, forward mode) builds matrices of size (outputs x inputs) at each step:
"""),
        code("""
fig, axes = plt.subplots(1, len(jacs), figsize=(9, 2.6))
for ax, (name, _), J in zip(axes, steps, jacs):
    ax.imshow(J, cmap="RdBu_r", vmin=-np.abs(J).max(), vmax=np.abs(J).max())
    ax.set_title(f"J of {name}  {J.shape[0]}x{J.shape[1]}")
    ax.set_xticks([]); ax.set_yticks([])
plt.tight_layout(); plt.show()

full = jacs[2] @ jacs[1] @ jacs[0]
direct = ag.functional.jacobian(lambda v: W.detach() @ ag.tanh(K.detach() @ v + b.detach()),
                                ag.tensor(yn)).numpy()
print("product of the three Jacobians == jacobian of F:", np.allclose(full, direct))
"""),
        md(r"""
## A deeper chain: cost of the two orders

For a chain of $d$ layers of width $n$ ending in a scalar, reverse mode costs $d$ matrix-vector
products ($O(d n^2)$), while forming the Jacobian product first costs $d$ matrix-matrix products
($O(d n^3)$). The engine's gradient and the Jacobian-product gradient agree; the counts below are
the multiply-adds each order needs.
"""),
        code("""
d, n = 12, 16
Ws = [rng.standard_normal((n, n)) / np.sqrt(n) for _ in range(d)]
x0 = ag.tensor(rng.standard_normal(n), requires_grad=True)
h = x0
for Wk in Ws:
    h = ag.tanh(ag.tensor(Wk) @ h)
loss = (h ** 2).sum() / 2
loss.backward()

# by hand: deltas right to left
hs = [x0.numpy()]
for Wk in Ws:
    hs.append(np.tanh(Wk @ hs[-1]))
delta = hs[-1].copy()
norms = [np.linalg.norm(delta)]
for Wk, hk in zip(reversed(Ws), reversed(hs[1:])):
    delta = Wk.T @ ((1 - hk ** 2) * delta)
    norms.append(np.linalg.norm(delta))
print(f"max |by hand - backward()| = {np.abs(delta - x0.grad.numpy()).max():.2e}")
print(f"reverse order: {d * n * n:,} multiply-adds; forming the Jacobian product: {d * n ** 3:,}")

plt.figure(figsize=(5, 3))
plt.semilogy(range(d, -1, -1), norms, "o-")
plt.xlabel("layer k"); plt.ylabel(r"$\\|\\delta_k\\|$")
plt.title("delta recursion: gradient norm per layer")
plt.gca().invert_xaxis()
plt.show()
"""),
        md(r"""
**Takeaways.** The closed-form gradients of the lecture are what `backward()` computes; the
engine gets them by applying one small VJP rule per op, right to left, which is the delta
recursion without ever materialising a Jacobian. The gradient norm per layer in the last plot
is the quantity notebook 8 studies when it asks whether gradients vanish or explode.
"""),
        code("ag.set_default_dtype(np.float32)"),
    ]


# =============================================================================================
@notebook("04_gradient_descent_landscape")
def _nb04():
    return [
        md(r"""
# 4. Gradient descent and its landscape

**What this notebook teaches.** How plain gradient descent
$\mathbf{x} \leftarrow \mathbf{x} - \eta \nabla f(\mathbf{x})$ behaves on the landscapes of the
lectures, with every gradient computed by the engine:

* the quadratic $f(\mathbf{x}) = x_1^2 + 2x_2^2$ from $(-5, -2)$ with several learning rates,
  and why $\eta < 2/L$ is the limit ($L$ = largest curvature);
* the narrow valley $f(\mathbf{x}) = (x_1^2 - 1)^2 + (x_1^2 x_2 - x_1 - 1)^2$ with and without
  momentum;
* the saddle $x^2 - y^2$, where GD stalls near a stationary point that is not a minimum;
* Newton's method (exact Hessian by double backward) and diagonal preconditioning.
"""),
        code(SETUP + """
ag.set_default_dtype(np.float64)


def gd(f, x0, lr, steps, momentum=0.0):
    \"\"\"Gradient descent (heavy-ball momentum if momentum > 0); returns the path.\"\"\"
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
    ax.set_xlim(*xlim); ax.set_ylim(*ylim)"""),
        md(r"""
## A quadratic: the learning rate decides

$f(\mathbf{x}) = x_1^2 + 2x_2^2$ has Hessian $\operatorname{diag}(2, 4)$; the engine's
`hessian` confirms it. Along each axis GD multiplies the coordinate by $1 - \eta\lambda_i$, so it
converges iff $|1 - \eta\lambda_i| < 1$ for every eigenvalue, that is $\eta < 2/\lambda_{\max}$.
"""),
        code("""
def quad(x):
    return x[0] ** 2 + 2 * x[1] ** 2

H = ag.functional.hessian(quad, ag.tensor([-5.0, -2.0])).numpy()
lam_max = np.linalg.eigvalsh(H).max()
print("Hessian:\\n", H)
print(f"largest eigenvalue L = {lam_max:g}, so GD converges for lr < 2/L = {2 / lam_max:g}")

lrs = [0.05, 0.2, 0.45, 0.51]
fig, ax = plt.subplots(figsize=(6, 4.5))
contours(ax, quad, (-6, 6), (-4, 4), levels=np.linspace(1, 60, 12))
for lr in lrs:
    p = gd(quad, [-5.0, -2.0], lr, 20)
    fx = quad(ag.tensor(p[-1])).item()
    ax.plot(p[:, 0], p[:, 1], "o-", ms=3, label=f"lr={lr}: f after 20 steps = {fx:.2g}")
ax.plot(0, 0, "k*", ms=12)
ax.legend(fontsize=8, loc="lower right")
ax.set_title("GD on $x_1^2 + 2x_2^2$ from (-5, -2)")
plt.show()
"""),
        md(r"""
With a small rate the path is smooth but slow; at $\eta = 0.45$ the steep $x_2$ direction
overshoots back and forth (the factor $1 - 4\eta$ is negative) while still converging; at
$\eta = 0.51 > 2/L$ the $x_2$ coordinate grows every step.

## The narrow valley, with and without momentum

The second lecture's landscape
$f(\mathbf{x}) = (x_1^2 - 1)^2 + (x_1^2 x_2 - x_1 - 1)^2$ has minima at $(1, 2)$ and $(-1, 0)$
in a curved, narrow valley. First we check the engine's gradient against the slide's formula:

$$\nabla f = \begin{bmatrix} 4x_1(x_1^2 - 1) + 2(2x_1x_2 - 1)(x_1^2 x_2 - x_1 - 1) \\
2x_1^2(x_1^2 x_2 - x_1 - 1) \end{bmatrix}.$$
"""),
        code("""
def valley(x):
    return (x[0] ** 2 - 1) ** 2 + (x[0] ** 2 * x[1] - x[0] - 1) ** 2

def valley_grad_slide(x1, x2):
    r = x1 ** 2 * x2 - x1 - 1
    return np.array([4 * x1 * (x1 ** 2 - 1) + 2 * (2 * x1 * x2 - 1) * r, 2 * x1 ** 2 * r])

pts = np.random.default_rng(0).uniform(-2, 2, size=(5, 2))
errs = []
for p in pts:
    x = ag.tensor(p, requires_grad=True)
    (g,) = ag.grad(valley(x), x)
    errs.append(np.abs(g.numpy() - valley_grad_slide(*p)).max())
print(f"engine vs slide gradient at 5 random points: max difference {max(errs):.1e}")
print("f at the two minima:", valley(ag.tensor([1.0, 2.0])).item(), valley(ag.tensor([-1.0, 0.0])).item())
"""),
        code("""
x0 = [0.5, 3.0]
runs = {"GD, lr=0.01": gd(valley, x0, 0.01, 300),
        "momentum 0.9, lr=0.01": gd(valley, x0, 0.01, 300, momentum=0.9)}
fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
contours(ax, valley, (-2, 2.2), (-1, 3), levels=np.logspace(-2, 1.5, 15))
for (label, p), col in zip(runs.items(), ["C0", "C3"]):
    ax.plot(p[:, 0], p[:, 1], ".-", ms=2, lw=1, color=col, label=label)
    vals = [valley(ag.tensor(q)).item() for q in p]
    ax2.semilogy(vals, color=col, label=label)
    print(f"{label:24s}: end at ({p[-1, 0]:.3f}, {p[-1, 1]:.3f}), f = {vals[-1]:.2e}")
ax.plot([1, -1], [2, 0], "k*", ms=10)
ax.legend(fontsize=8); ax.set_title("paths in the narrow valley")
ax2.set_xlabel("step"); ax2.set_ylabel("f"); ax2.legend(fontsize=8); ax2.set_title("f along the path")
plt.tight_layout(); plt.show()
"""),
        md(r"""
With the same learning rate and the same 300 gradient evaluations, plain GD is still creeping
along the valley floor (its step is capped by the steep walls), while momentum has reached the
minimum $(1, 2)$ (compare the printed values of $f$). Momentum averages successive steps:
components that flip sign across the valley cancel, the component along the floor accumulates.

## The saddle $x^2 - y^2$

At the origin the gradient vanishes but it is not a minimum. Starting almost on the
$x$-axis, GD rushes towards the saddle, lingers there (the gradient is tiny), and leaves
along $y$ only because of the small initial offset.
"""),
        code("""
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
ax.legend(fontsize=8); ax.set_title("GD near the saddle")
ax2.set_xlabel("step"); ax2.set_ylabel("|grad f|"); ax2.legend(fontsize=8)
plt.tight_layout(); plt.show()
"""),
        md(r"""
## Newton's method and diagonal preconditioning

Newton's step $\mathbf{x} \leftarrow \mathbf{x} - H^{-1}\nabla f$ rescales every direction by
its curvature. On a quadratic it lands on the minimum in one step. The Hessian comes from the
engine by double backward (`ag.functional.hessian`). A cheaper relative, diagonal
preconditioning, divides each coordinate by $H_{ii}$ only: exact when $H$ is diagonal, as for
$x_1^2 + 2x_2^2$, but not for a rotated quadratic.
"""),
        code("""
A = np.array([[1.0, 0.9], [0.9, 2.0]])          # a rotated, ill-conditioned quadratic
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
    ax.set_title(title); ax.set_xlabel("step"); ax.legend()
plt.tight_layout(); plt.show()
"""),
        md(r"""
Newton reaches the minimum of either quadratic in one step. Diagonal preconditioning does the
same on the axis-aligned quadratic; on the rotated one it is no longer exact and needs many
steps (the printed values), because it ignores the off-diagonal coupling. Newton on the
non-quadratic valley needs several steps and can head to a saddle or maximum when the Hessian
is not positive definite, which is why the second-order optimiser in `ag.optim.Newton` takes a
`damping` term.
"""),
        code("ag.set_default_dtype(np.float32)"),
    ]


# =============================================================================================
def build(name: str, spec: dict) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["autograd_lite"] = {"requires": spec["requires"], "dot": spec["dot"]}
    for i, (kind, src) in enumerate(spec["cells"]):
        cell = new_markdown_cell(src) if kind == "markdown" else new_code_cell(src)
        cell["id"] = f"{name[:2]}-{i:02d}"
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def main(argv: list[str]) -> None:
    for name, spec in NOTEBOOKS.items():
        if argv and not any(name.startswith(a) for a in argv):
            continue
        path = os.path.join(HERE, name + ".ipynb")
        nbformat.write(build(name, spec), path)
        print("wrote", os.path.relpath(path))


if __name__ == "__main__":
    main(sys.argv[1:])
