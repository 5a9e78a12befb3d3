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
assert worst < 1e-12  # the text's claims, checked
"""),
        md(r"""
### The Taylor test

The lectures' own derivative check needs no closed form at all. Along a random direction
$\mathbf p$, the zeroth-order error $E_0(h) = |L(\mathbf K + h\mathbf p) - L(\mathbf K)|$ falls
like $h$, while the first-order error
$E_1(h) = |L(\mathbf K + h\mathbf p) - L(\mathbf K) - h\,\langle\nabla_{\mathbf K} L, \mathbf p\rangle|$
falls like $h^2$ **only if the gradient is right**. `ag.testing.taylor_test` runs it with the
engine's gradient; a deliberately wrong gradient (the slide's sign) shows what failure looks
like.
"""),
        code("""
def loss_of_K(Kt):
    return -(ag.tensor(c) * ag.log_softmax(W.detach() @ ag.tanh(Kt @ ag.tensor(yn) + b.detach()))).sum()

report = ag.testing.taylor_test(loss_of_K, ag.tensor(Kn))
print(report)

# the same test by hand, with the wrong-signed gradient (c - sigma) in place of (sigma - c)
p = report.direction                     # the direction the report used
p = p[0] if isinstance(p, (tuple, list)) else p
wrong = -closed["K"]
L0 = loss_of_K(ag.tensor(Kn)).item()
E1_wrong = [abs(loss_of_K(ag.tensor(Kn + h * p)).item() - L0 - h * np.sum(wrong * p)) for h in report.h]
plt.figure(figsize=(5.5, 3.6))
plt.loglog(report.h, report.E0, "o-", label="E0 (order 1)")
plt.loglog(report.h, report.E1, "s-", label="E1 with the engine's gradient (order 2)")
plt.loglog(report.h, E1_wrong, "x--", label="E1 with the wrong sign (order 1)")
plt.xlabel("h"); plt.legend(fontsize=8); plt.title("Taylor test of dL/dK")
plt.show()
print(f"passed: {report.passed}; observed order of E1: {report.order:.2f}")
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
final = {}
fig, ax = plt.subplots(figsize=(6, 4.5))
contours(ax, quad, (-6, 6), (-4, 4), levels=np.linspace(1, 60, 12))
for lr in lrs:
    p = gd(quad, [-5.0, -2.0], lr, 20)
    fx = quad(ag.tensor(p[-1])).item()
    ax.plot(p[:, 0], p[:, 1], "o-", ms=3, label=f"lr={lr}: f after 20 steps = {fx:.2g}")
    final[lr] = fx
assert final[0.45] < 1e-2 < quad(ag.tensor([-5.0, -2.0])).item() < final[0.51]  # the text's claims, checked
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
    runs[label] = (p, vals[-1])
assert runs["momentum 0.9, lr=0.01"][1] < 1e-6 < 1e-2 < runs["GD, lr=0.01"][1]  # the text's claims, checked
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
        if method == "newton":
            assert vals[1] < 1e-20  # the text's claims, checked
    ax.set_title(title); ax.set_xlabel("step"); ax.legend()
plt.tight_layout(); plt.show()
"""),
        md(r"""
Newton reaches the minimum of either quadratic in one step. Diagonal preconditioning does the
same on the axis-aligned quadratic; on the rotated one it is no longer exact and needs many
steps (the printed values), because it ignores the off-diagonal coupling. Newton on the
non-quadratic valley needs several steps and can head to a saddle or maximum when the Hessian
is not positive definite. The library's `optim.Newton` (exact Hessian by double backward, the
loss recomputed by a closure) shows both sides on the valley: near the minimum the number of
correct digits roughly doubles at every step (quadratic convergence), while from a point where
the Hessian is indefinite it refuses to take a step that would not descend, and says why.
"""),
        code("""
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
"""),
        code("ag.set_default_dtype(np.float32)"),
    ]


# =============================================================================================
@notebook("01_computation_graphs", requires=("viz",), dot=True)
def _nb01():
    return [
        md(r"""
# 1. Computation graphs and the chain rule

**What this notebook teaches.** How autograd_lite records a computation as a graph while it
computes, and how `backward()` applies the chain rule to that graph, node by node, from the
output back to the inputs. Two examples from the lectures:

* $f(x, y, z) = (x + y)\,z$ at $(-2, 5, -4)$;
* the sigmoid neuron $l = \tfrac12 (y - \sigma(xw + b))^2$ with the slide's numbers
  $x = 0.3$, $y = 1$, $\lambda = \sigma(xw + b) = 0.8$, $l = 0.02$,
  $\partial l / \partial\lambda = -0.2$.

We draw each graph before and after backward, and walk backprop one op at a time with
`viz.BackwardStepper`.
"""),
        code(SETUP + """
from IPython.display import HTML, display
from autograd_lite import viz
ag.set_default_dtype(np.float64)"""),
        md(r"""
## $(x + y)\,z$

Every op on tensors that require grad creates a node (`grad_fn`) that remembers its inputs.
Naming the tensors (`t.name = ...`) makes the pictures readable.
"""),
        code("""
x = ag.tensor(-2.0, requires_grad=True); x.name = "x"
y = ag.tensor(5.0, requires_grad=True); y.name = "y"
z = ag.tensor(-4.0, requires_grad=True); z.name = "z"
q = x + y; q.name = "q"
f = q * z; f.name = "f"
print(f"q = {q.item()}, f = {f.item()}")
print("f.grad_fn =", f.grad_fn, " its inputs go to", f.grad_fn.next_functions)
viz.draw_graph(f)
"""),
        md(r"""
The chain rule: $\partial f/\partial z = q$, $\partial f/\partial q = z$, and because
$\partial q/\partial x = \partial q/\partial y = 1$, $\partial f/\partial x = \partial f/\partial y = z$.
After `backward()` the leaves hold exactly these numbers, and the picture shows them:
"""),
        code("""
f.backward()
print(f"df/dx = {x.grad.item()}  (z = {z.item()})")
print(f"df/dy = {y.grad.item()}  (z = {z.item()})")
print(f"df/dz = {z.grad.item()}  (q = x + y = {q.item()})")
viz.draw_graph(f)
"""),
        md(r"""
## The sigmoid neuron, with the lecture's numbers

The forward pass of $l = \tfrac12 (y - \sigma(xw + b))^2$ is
$h = xw + b$, $\lambda = \sigma(h)$, $l = \tfrac12 (y - \lambda)^2$. The slide gives $x = 0.3$,
$y = 1$ and $\lambda = 0.8$ but not $w$ and $b$; any pair with $h = \log 4$ gives
$\sigma(h) = 0.8$. We take $w = 2$ and $b = \log 4 - 0.6$.
"""),
        code("""
x_in, y_true = 0.3, 1.0
w = ag.tensor(2.0, requires_grad=True); w.name = "w"
b = ag.tensor(np.log(4.0) - 0.6, requires_grad=True); b.name = "b"
h = x_in * w + b; h.name = "h"
lam = ag.sigmoid(h); lam.name = "lambda"
l = 0.5 * (y_true - lam) ** 2; l.name = "l"
lam.retain_grad(); h.retain_grad()           # keep the gradients of two intermediates
print(f"h = {h.item():.4f}, lambda = {lam.item():.4f}, l = {l.item():.4f}")
viz.draw_graph(l)
"""),
        md(r"""
### Backprop one op at a time

`BackwardStepper` runs the engine's own backward loop, one op per step. Each step receives the
gradient of $l$ with respect to its output (`grad_output`) and sends one gradient to each
input; its text shows how that number was made: the op's local rule in symbols, then with the
step's numbers (the engine's own values). Below, the picture after the first four steps: the
highlighted op is the one just processed, and the gradients known so far are written in.
`draw(focus=k)` draws only the neighbourhood of step `k` (useful for big graphs).
"""),
        code("""
stepper = viz.BackwardStepper(l, names=locals())
for _ in range(4):
    print(stepper.step().text)
display(stepper.draw())
display(stepper.draw(focus=3))
"""),
        code("""
for record in stepper:          # the remaining steps
    print(record.text)
display(stepper.draw())
"""),
        md(r"""
The whole pass as one offline page, one frame per step (prev/next buttons or the arrow keys,
the step table below): open [01_neuron_backward.html](01_neuron_backward.html) in a browser.
With `quiz=True` the stepper hides each step's numbers until you `answer(...)` them (a wrong
answer gets a hint from the local rule); `viz.ForwardStepper(fn, *inputs)` walks the forward
pass the same way.
"""),
        code("""
path = stepper.to_html("01_neuron_backward.html")
display(HTML(f'<a href="{path}" target="_blank">{path}</a>: {len(stepper.steps)} frames'))
quiz = viz.BackwardStepper(0.5 * (y_true - ag.sigmoid(x_in * w + b)) ** 2, quiz=True)
for _ in range(4):
    quiz.step()
print(quiz.question)
print(quiz.answer(-0.2))          # the upstream gradient: not yet multiplied by the local rule
print(quiz.answer(-0.032))
w.grad = b.grad = None            # (the quiz's pass adds to .grad: start the check below clean)
quiz.run()
"""),
        md(r"""
The lecture's chain, $\frac{\partial l}{\partial w} = \frac{\partial l}{\partial\lambda}
\frac{\partial\lambda}{\partial h}\frac{\partial h}{\partial w}$ with
$\frac{\partial l}{\partial\lambda} = -(y - \lambda)$, $\frac{\partial\lambda}{\partial h} =
\lambda(1 - \lambda)$, $\frac{\partial h}{\partial w} = x$, checked against what the stepper left
in `.grad`:
"""),
        code("""
lv = lam.item()
rows = [("dl/dlambda", lam.grad.item(), -(y_true - lv)),
        ("dl/dh", h.grad.item(), -(y_true - lv) * lv * (1 - lv)),
        ("dl/dw", w.grad.item(), -(y_true - lv) * lv * (1 - lv) * x_in),
        ("dl/db", b.grad.item(), -(y_true - lv) * lv * (1 - lv))]
print(f"{'':12s}{'engine':>12s}{'by hand':>12s}")
for name, eng, hand in rows:
    print(f"{name:12s}{eng:12.5f}{hand:12.5f}")
assert all(np.isclose(e, h_) for _, e, h_ in rows)
print(f"l = {l.item():.4f} and dl/dlambda = {lam.grad.item():.4f}: the slide's 0.02 and -0.2")
"""),
        md(r"""
### The derivative is the slope

A gradient is a local linear model. Plotting $l$ as a function of $w$ (with $b$ fixed), the line
through $(w, l)$ with slope `w.grad` is tangent to the curve; central finite differences give
the same slope.
"""),
        code("""
ws = np.linspace(-4, 8, 200)
with ag.no_grad():
    ls = (0.5 * (y_true - ag.sigmoid(x_in * ag.tensor(ws) + b)) ** 2).numpy()
slope = w.grad.item()
eps = 1e-5
def loss_at(wv):
    return 0.5 * (y_true - 1 / (1 + np.exp(-(x_in * wv + b.item())))) ** 2
fd = (loss_at(2 + eps) - loss_at(2 - eps)) / (2 * eps)
print(f"engine slope {slope:.6f}, finite differences {fd:.6f}")

plt.figure(figsize=(6, 3.5))
plt.plot(ws, ls, label="l(w)")
plt.plot(ws, l.item() + slope * (ws - 2.0), "--", label=f"tangent, slope dl/dw = {slope:.4f}")
plt.plot([2.0], [l.item()], "ko")
plt.ylim(0, ls.max() * 1.1); plt.xlabel("w"); plt.ylabel("l"); plt.legend()
plt.title("the neuron's loss as a function of w")
plt.show()
"""),
        md(r"""
**Takeaways.** The graph is recorded as you compute; backward visits it in reverse
topological order, each op turning the gradient of its output into gradients of its inputs;
values used twice receive the sum of their gradients. Notebook 2 does the same for a whole
layer, with matrices.
"""),
        code("ag.set_default_dtype(np.float32)"),
    ]


# =============================================================================================
@notebook("03_losses_and_likelihood", requires=("nn", "data"))
def _nb03():
    return [
        md(r"""
# 3. Loss functions and maximum likelihood

**What this notebook teaches.** Why classification networks are trained with cross-entropy
rather than squared error or the 0-1 loss we actually care about, and where these losses come
from:

* the candidate losses of the lecture on the circle data set, and their gradients;
* cross-entropy, entropy and KL divergence, $H(p, q) = H(p) + \mathrm{KL}(p\,\|\,q)$;
* maximum likelihood: a Bernoulli model gives binary cross-entropy, a Gaussian model with
  fixed variance gives the mean squared error.
"""),
        code(SETUP + """
from autograd_lite import nn
from autograd_lite.data import make_circles, make_regression_1d"""),
        md(r"""
## The circle data set

Points in a square, labelled by their distance to a centre: $y = 1$ outside the disc.
"""),
        code("""
X, y = make_circles(n_samples=600, noise=0.05, seed=0)
print(X.shape, y.shape, "fraction of class 1:", y.mean().round(3))
plt.figure(figsize=(4, 4))
plt.scatter(X[:, 0], X[:, 1], c=y, s=8, cmap="coolwarm")
plt.gca().set_aspect("equal"); plt.title("make_circles")
plt.show()
"""),
        md(r"""
## The candidate losses, and what their gradients say

The network outputs a logit $h$, and $\hat\lambda = \sigma(h)$ is its probability that $y = 1$.
For a point with $y = 1$ the lecture's candidates are, as functions of $h$:
the 0-1 loss $[\hat\lambda < 1/2]$, squared error $\tfrac12 (1 - \hat\lambda)^2$, the absolute error
$|1 - \hat\lambda|$, and cross-entropy $-\log\hat\lambda$. The engine gives their derivatives with
respect to $h$ for a whole grid of logits in one backward pass.
"""),
        code("""
h = ag.linspace(-8, 8, 401, dtype=np.float64, requires_grad=True)
lam = ag.sigmoid(h)
losses = {"0-1": (lam < 0.5).astype(np.float64) + 0 * h,
          "squared error": 0.5 * (1 - lam) ** 2,
          "absolute error": (1 - lam).abs(),
          "cross-entropy": nn.functional.binary_cross_entropy_with_logits(
              h, ag.ones_like(h), reduction="none")}
grads = {}
for name, L in losses.items():
    (g,) = ag.grad(L.sum(), h, allow_unused=True, retain_graph=True)
    grads[name] = np.zeros(h.shape) if g is None else g.numpy()

fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 3.8))
for name, L in losses.items():
    a1.plot(h.numpy(), L.detach().numpy(), label=name)
    a2.plot(h.numpy(), grads[name], label=name)
a1.set_xlabel("logit h (true label 1)"); a1.set_ylabel("loss"); a1.set_ylim(0, 4); a1.legend()
a2.set_xlabel("logit h"); a2.set_ylabel("d loss / d h"); a2.legend()
plt.tight_layout(); plt.show()

i = np.argmin(np.abs(h.numpy() + 6))   # a confidently wrong prediction, h = -6
for name in losses:
    print(f"{name:15s}: dloss/dh at h = -6 is {grads[name][i]: .5f}")
"""),
        md(r"""
The 0-1 loss has zero gradient almost everywhere: gradient descent cannot use it. Squared
error and absolute error, composed with the sigmoid, have gradients that *vanish* when the
prediction is confidently wrong ($h = -6$ above), exactly when a large correction is needed.
Cross-entropy's gradient is $\sigma(h) - y$, close to $-1$ there.

### Training with each loss

A logistic model on the features $(x_1, x_2, x_1^2, x_2^2)$ can separate the circle data.
We start it confidently wrong (large weights of the wrong sign) and train it with full-batch
gradient descent under each differentiable loss, then report the 0-1 error we care about.
"""),
        code("""
feats = ag.tensor(np.column_stack([X, X ** 2]).astype(np.float32))
target = ag.tensor(y.astype(np.float32)).reshape(-1, 1)

def train(loss_name, steps=400, lr=0.5):
    ag.manual_seed(0)
    model = nn.Linear(4, 1)
    with ag.no_grad():
        model.weight.copy_(ag.tensor([[0.0, 0.0, -6.0, -6.0]]))   # wrong sign: inside -> 1
        model.bias.copy_(ag.tensor([3.0]))
    opt = ag.optim.SGD(model.parameters(), lr=lr)
    errors = []
    for _ in range(steps):
        logits = model(feats)
        p = ag.sigmoid(logits)
        if loss_name == "cross-entropy":
            loss = nn.BCEWithLogitsLoss()(logits, target)
        elif loss_name == "squared error":
            loss = 0.5 * nn.MSELoss()(p, target)
        else:
            loss = nn.L1Loss()(p, target)
        opt.zero_grad(); loss.backward(); opt.step()
        errors.append(float(((p.numpy() > 0.5) != (target.numpy() > 0.5)).mean()))
    return errors

plt.figure(figsize=(6, 3.5))
for name in ["cross-entropy", "squared error", "absolute error"]:
    err = train(name)
    plt.plot(err, label=name)
    print(f"{name:15s}: 0-1 training error after {len(err)} steps = {err[-1]:.3f}")
    assert (err[-1] < 0.1) if name == "cross-entropy" else (err[-1] > 0.3)  # the text's claims, checked
plt.xlabel("gradient step"); plt.ylabel("0-1 training error"); plt.legend()
plt.title("same model, same start, different losses"); plt.show()
"""),
        md(r"""
## Entropy, cross-entropy and KL divergence

For distributions $p, q$ on $m$ classes, $H(p) = -\sum_i p_i\log p_i$,
$H(p, q) = -\sum_i p_i \log q_i$ and $\mathrm{KL}(p\|q) = \sum_i p_i \log(p_i / q_i) \ge 0$, with
$H(p, q) = H(p) + \mathrm{KL}(p\|q)$. Minimising cross-entropy over $q$ therefore minimises the
KL divergence to the data distribution $p$, and the minimum, reached at $q = p$, is the entropy.
The library's `KLDivLoss` (log-probabilities as input, as PyTorch) and `CrossEntropyLoss` with
probability targets compute these.
"""),
        code("""
p = np.array([0.6, 0.3, 0.1])
def H(p, q):
    return -(p * np.log(q)).sum()

ts = np.linspace(-4, 4, 161)
kl, ce = [], []
for t in ts:
    logits = ag.tensor([[t, 0.0, -1.0]], dtype=np.float64)
    logq = ag.log_softmax(logits, axis=-1)
    kl.append(nn.KLDivLoss(reduction="batchmean")(logq, ag.tensor(p[None])).item())
    ce.append(nn.CrossEntropyLoss()(logits, ag.tensor(p[None])).item())
kl, ce = np.array(kl), np.array(ce)
print(f"H(p) = {H(p, p):.4f};  max |CE - (H(p) + KL)| over the family = {np.abs(ce - H(p, p) - kl).max():.1e}")
print(f"min over the family: KL = {kl.min():.4f}, CE = {ce.min():.4f}")
assert np.abs(ce - H(p, p) - kl).max() < 1e-12 and kl.min() >= 0  # the text's claims, checked

plt.figure(figsize=(6, 3.5))
plt.plot(ts, ce, label="cross-entropy H(p, q_t)")
plt.plot(ts, kl, label="KL(p || q_t)")
plt.axhline(H(p, p), color="k", ls=":", label="entropy H(p)")
plt.xlabel("t, with q_t = softmax(t, 0, -1)"); plt.legend(); plt.show()
"""),
        md(r"""
## Maximum likelihood gives the losses

**Bernoulli.** If the model says $P(y = 1 \mid x) = \lambda(x)$, the likelihood of independent
labels is $\prod_i \lambda_i^{y_i}(1 - \lambda_i)^{1 - y_i}$ and its negative log, averaged, is the
binary cross-entropy. **Gaussian.** If $y = f(x) + \varepsilon$ with
$\varepsilon \sim \mathcal N(0, s^2)$, the negative log-likelihood per point is
$\frac{(y - f(x))^2}{2 s^2} + \tfrac12\log(2\pi s^2)$: for fixed $s$ it is the squared error up to
scale and shift, so both have the same minimiser. We check this on the lectures' linear
regression data with `GaussianNLLLoss` and `MSELoss`, and by training on each.
"""),
        code("""
Xr, yr = make_regression_1d(n_samples=200, noise=0.3, seed=1)        # y = 1 + 2 x + noise
Xt, yt = ag.tensor(Xr, dtype=np.float64), ag.tensor(yr, dtype=np.float64)
s2 = 0.5                                                              # a fixed variance
slopes = np.linspace(0, 4, 81)
nll, mse = [], []
for beta1 in slopes:
    pred = 1.0 + beta1 * Xt
    nll.append(nn.GaussianNLLLoss(full=True)(pred, yt, ag.full(yt.shape, s2, dtype=np.float64)).item())
    mse.append(nn.MSELoss()(pred, yt).item())
nll, mse = np.array(nll), np.array(mse)
affine = mse / (2 * s2) + 0.5 * np.log(2 * np.pi * s2)
print(f"max |NLL - (MSE / (2 s^2) + log(2 pi s^2) / 2)| = {np.abs(nll - affine).max():.1e}")
print(f"argmin over the grid: NLL at beta1 = {slopes[nll.argmin()]:.2f}, MSE at beta1 = {slopes[mse.argmin()]:.2f}")

# maximum likelihood by gradient descent on the NLL vs least squares in closed form
beta = ag.zeros(2, dtype=np.float64, requires_grad=True)
opt = ag.optim.SGD([beta], lr=0.2)
for _ in range(500):
    opt.zero_grad()
    pred = beta[0] + beta[1] * Xt
    nn.GaussianNLLLoss()(pred, yt, ag.full(yt.shape, s2, dtype=np.float64)).backward()
    opt.step()
A = np.column_stack([np.ones(len(Xr)), Xr[:, 0]])
lstsq = np.linalg.lstsq(A, yr[:, 0], rcond=None)[0]
print("ML estimate by GD on the Gaussian NLL:", beta.numpy().round(4))
print("least squares (closed form)          :", lstsq.round(4))

fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 3.6))
a1.plot(slopes, nll, label="Gaussian NLL"); a1.plot(slopes, mse, label="MSE")
a1.set_xlabel("slope beta1 (intercept 1)"); a1.legend()
a2.scatter(Xr, yr, s=6, alpha=0.6)
xx = np.linspace(-1, 1, 2)
a2.plot(xx, beta.numpy()[0] + beta.numpy()[1] * xx, "r", label="maximum likelihood fit")
a2.legend(); plt.tight_layout(); plt.show()
"""),
        md(r"""
**Takeaways.** Pick the loss from the likelihood of the labels: Bernoulli labels give
cross-entropy, whose gradient $\sigma(h) - y$ never vanishes on confident mistakes;
Gaussian noise gives the squared error. Cross-entropy equals entropy plus KL divergence, so
training drives the model's distribution towards the data's.
"""),
    ]


# =============================================================================================
@notebook("05_optimisers_compared", requires=("optim",))
def _nb05():
    return [
        md(r"""
# 5. Optimisers compared

**What this notebook teaches.** The update rules of the lectures, run side by side with
`autograd_lite.optim`: SGD, momentum (heavy ball), Nesterov, AdaGrad, RMSProp, Adam and
AMSGrad, on the same landscapes; the case where Adam provably fails to converge and AMSGrad
fixes it; and the learning-rate schedules $\eta t^\alpha$, $\eta\alpha^t$, step decay and the
epoch-doubling strategy.
"""),
        code(SETUP + """
from autograd_lite import optim
from autograd_lite.optim import lr_scheduler

OPTIMISERS = {
    "SGD":      lambda p, lr: optim.SGD(p, lr=lr),
    "momentum": lambda p, lr: optim.SGD(p, lr=lr, momentum=0.9),
    "Nesterov": lambda p, lr: optim.SGD(p, lr=lr, momentum=0.9, nesterov=True),
    "AdaGrad":  lambda p, lr: optim.Adagrad(p, lr=lr),
    "RMSProp":  lambda p, lr: optim.RMSprop(p, lr=lr),
    "Adam":     lambda p, lr: optim.Adam(p, lr=lr),
    "AMSGrad":  lambda p, lr: optim.Adam(p, lr=lr, amsgrad=True),
}


def run(f, x0, make_opt, lr, steps):
    x = ag.tensor(x0, dtype=np.float64, requires_grad=True)
    opt = make_opt([x], lr)
    path, vals = [x.numpy().copy()], []
    for _ in range(steps):
        opt.zero_grad()
        loss = f(x)
        vals.append(loss.item())
        loss.backward()
        opt.step()
        path.append(x.numpy().copy())
    vals.append(f(x).item())
    return np.array(path), np.array(vals)


def quad(x):                       # lecture 003
    return x[0] ** 2 + 2 * x[1] ** 2

def valley(x):                     # lecture 001
    return (x[0] ** 2 - 1) ** 2 + (x[0] ** 2 * x[1] - x[0] - 1) ** 2"""),
        md(r"""
## Same problems, each optimiser at its best learning rate

A fair comparison tunes each method: for every optimiser we try a grid of learning rates
and keep the one with the lowest final value after 150 steps (the grid and the choice are
printed). The start points are the lectures' $(-5, -2)$ for the quadratic and $(0.5, 3)$ in the
valley.
"""),
        code("""
LRS = [1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0]
problems = {"x1^2 + 2 x2^2": (quad, [-5.0, -2.0]), "narrow valley": (valley, [0.5, 3.0])}
best = {}
for pname, (f, x0) in problems.items():
    print(pname)
    for oname, make in OPTIMISERS.items():
        finals = []
        with np.errstate(all="ignore"):
            for lr in LRS:
                _, vals = run(f, x0, make, lr, 150)
                finals.append(vals[-1] if np.isfinite(vals[-1]) else np.inf)
        lr = LRS[int(np.argmin(finals))]
        best[pname, oname] = lr
        print(f"  {oname:9s} best lr {lr:<6g} final f = {min(finals):.2e}")
"""),
        code("""
fig, axes = plt.subplots(2, 2, figsize=(12, 8.5))
for col, (pname, (f, x0)) in enumerate(problems.items()):
    ax_path, ax_val = axes[0, col], axes[1, col]
    lim = ((-6, 6), (-3, 3)) if col == 0 else ((-1.5, 2.2), (-0.5, 3.5))
    X1, X2 = np.meshgrid(np.linspace(*lim[0], 200), np.linspace(*lim[1], 200))
    Z = f(ag.tensor(np.stack([X1, X2]))).numpy()
    ax_path.contour(X1, X2, Z, levels=np.logspace(-2, 2, 14), cmap="Greys", linewidths=0.6)
    for oname, make in OPTIMISERS.items():
        path, vals = run(f, x0, make, best[pname, oname], 150)
        ax_path.plot(path[:, 0], path[:, 1], ".-", ms=2, lw=0.9, label=oname)
        ax_val.semilogy(np.maximum(vals, 1e-16), label=f"{oname} (lr {best[pname, oname]:g})")
    ax_path.set_xlim(*lim[0]); ax_path.set_ylim(*lim[1]); ax_path.set_title(pname)
    ax_val.set_xlabel("step"); ax_val.set_ylabel("f"); ax_val.legend(fontsize=7)
axes[0, 0].legend(fontsize=7)
plt.tight_layout(); plt.show()
"""),
        md(r"""
## When Adam does not converge

Reddi, Kale and Kumar (*On the convergence of Adam and beyond*, 2018) gave a one-dimensional
online problem on $x \in [-1, 1]$: the loss at step $t$ is $f_t(x) = C x$ when
$t \bmod 3 = 1$ and $-x$ otherwise. On average the gradient is $(C - 2)/3 > 0$, so the best point
is $x = -1$. With $\beta_1 = 0$ and $\beta_2 = 1/(1 + C^2)$, Adam's second-moment estimate forgets
the rare large gradient $C$ so quickly that the two small steps towards $+1$ outweigh the large
one towards $-1$, and Adam drifts to the *worst* point $x = +1$. AMSGrad keeps the running
maximum of the second moment, so the large gradient keeps the steps small, and it converges.
We use the step size $\eta/\sqrt{t}$ of the paper (`PowerDecayLR` with $\alpha = -1/2$) and
project back onto $[-1, 1]$ after each step.
"""),
        code("""
C, T = 3.0, 3000
def online(amsgrad):
    x = ag.tensor([0.0], dtype=np.float64, requires_grad=True)
    opt = optim.Adam([x], lr=0.1, betas=(0.0, 1 / (1 + C ** 2)), amsgrad=amsgrad)
    sched = lr_scheduler.PowerDecayLR(opt, alpha=-0.5)
    xs, regret = [], 0.0
    for t in range(1, T + 1):
        coef = C if t % 3 == 1 else -1.0
        opt.zero_grad()
        loss = (coef * x).sum()
        regret += loss.item() - coef * (-1.0)
        loss.backward()
        opt.step(); sched.step()
        with ag.no_grad():
            x.clamp_(-1.0, 1.0)
        xs.append(x.item())
    return np.array(xs), regret

fig, ax = plt.subplots(figsize=(7, 3.5))
regrets = {}
for name, ams in [("Adam", False), ("AMSGrad", True)]:
    xs, regret = online(ams)
    ax.plot(np.arange(1, T + 1), xs, label=name)
    print(f"{name:8s}: x after {T} steps = {xs[-1]:+.3f}, average regret = {regret / T:.3f}")
    assert (xs[-1] > 0.9) if name == "Adam" else (xs[-1] < -0.9)  # the text's claims, checked
    regrets[name] = regret / T
assert regrets["AMSGrad"] < regrets["Adam"] / 5
ax.axhline(-1, color="k", ls=":", label="optimum x = -1")
ax.set_xscale("log"); ax.set_xlabel("step t"); ax.set_ylabel("x_t"); ax.legend()
ax.set_title("f_t(x) = 3x if t mod 3 = 1 else -x, on [-1, 1]")
plt.show()
"""),
        md(r"""
Adam's average regret stays large (it cannot vanish as $T$ grows, since Adam sits at the worst
point): it keeps paying for being at the wrong end. AMSGrad's average regret is ten times
smaller and keeps falling.

## Learning-rate schedules

A constant step size makes SGD hover at a distance from the minimum set by the gradient noise;
decreasing it removes the noise but slows progress. The lectures' schedules, as
`lr_scheduler` objects stepped once per epoch:
"""),
        code("""
def schedule(make, epochs=60):
    p = ag.zeros(1, requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    sched = make(opt)
    lrs = []
    for _ in range(epochs):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step(); sched.step()
    return np.array(lrs)

SCHEDULES = {
    "eta t^-1/2 (PowerDecayLR)": lambda o: lr_scheduler.PowerDecayLR(o, alpha=-0.5),
    "eta t^-1 (PowerDecayLR)":   lambda o: lr_scheduler.PowerDecayLR(o, alpha=-1.0),
    "eta 0.95^t (ExponentialLR)": lambda o: lr_scheduler.ExponentialLR(o, gamma=0.95),
    "step: /2 every 15 (StepLR)": lambda o: lr_scheduler.StepLR(o, step_size=15, gamma=0.5),
    "epoch doubling, K=4":        lambda o: lr_scheduler.EpochDoublingLR(o, K=4),
    "cosine, T_max=60":           lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=60),
}
curves = {name: schedule(make) for name, make in SCHEDULES.items()}
fig, ax = plt.subplots(figsize=(7, 3.8))
for name, lrs in curves.items():
    ax.step(range(len(lrs)), lrs, where="post", label=name)
ax.set_yscale("log"); ax.set_xlabel("epoch"); ax.set_ylabel("learning rate"); ax.legend(fontsize=8)
plt.show()
dbl = curves["epoch doubling, K=4"]
print("epoch doubling: lr changes at epochs", [e for e in range(1, 60) if dbl[e] != dbl[e - 1]])
"""),
        md(r"""
### The schedules on a noisy problem

SGD on $f(\mathbf{x}) = x_1^2 + 2x_2^2$ with noisy gradients $\nabla f + \boldsymbol\xi$,
$\boldsymbol\xi \sim \mathcal N(0, I)$ (a `register_hook` adds the noise to the gradient as it
arrives), 40 "epochs" of 25 steps each. The constant rate stalls at its noise floor; the
decaying ones keep improving.
"""),
        code("""
def noisy_sgd(make_sched, epochs=40, steps=25, seed=0):
    rng = np.random.default_rng(seed)
    x = ag.tensor([-5.0, -2.0], dtype=np.float64, requires_grad=True)
    x.register_hook(lambda g: g + ag.tensor(rng.standard_normal(2)))
    opt = optim.SGD([x], lr=0.1)
    sched = make_sched(opt) if make_sched else None
    dist = []
    for _ in range(epochs):
        for _ in range(steps):
            opt.zero_grad(); quad(x).backward(); opt.step()
        if sched:
            sched.step()
        dist.append(np.linalg.norm(x.numpy()))
    return np.array(dist)

runs = {"constant 0.1": None, **{k: SCHEDULES[k] for k in
        ["eta t^-1/2 (PowerDecayLR)", "step: /2 every 15 (StepLR)", "epoch doubling, K=4"]}}
fig, ax = plt.subplots(figsize=(7, 3.8))
for name, make in runs.items():
    d = np.mean([noisy_sgd(make, seed=s) for s in range(8)], axis=0)
    ax.semilogy(d, label=name)
    print(f"{name:28s}: mean distance to the minimum after 40 epochs = {d[-1]:.3f}")
ax.set_xlabel("epoch"); ax.set_ylabel("|x - x*| (mean of 8 runs)"); ax.legend(fontsize=8)
plt.show()
"""),
        md(r"""
**Takeaways.** Momentum and its Nesterov variant speed up narrow valleys; the adaptive methods
(AdaGrad, RMSProp, Adam) rescale each coordinate by its gradient history, which helps when
coordinates have very different scales, but Adam's short memory can make it diverge from the
optimum on problems with rare large gradients (AMSGrad's fix: never let the denominator
shrink). With noisy gradients, the learning rate must decrease for SGD to converge.
"""),
    ]


# =============================================================================================
@notebook("06_stochastic_gradient_descent", requires=("optim", "data"))
def _nb06():
    return [
        md(r"""
# 6. Stochastic gradient descent

**What this notebook teaches.** Why SGD wins on large data sets, with the lectures' example:
linear least squares with $n = 100{,}000$ samples. Gradient descent pays $n$ sample-gradients per
step; SGD pays a minibatch. We compare them per *sample processed*, measure how the noise of
a minibatch gradient shrinks with the batch size, and see why the step size must decrease for
SGD to converge.
"""),
        code(SETUP + """
import time
from autograd_lite import optim
from autograd_lite.optim import lr_scheduler
from autograd_lite.data import DataLoader, TensorDataset

ag.set_default_dtype(np.float64)
rng = np.random.default_rng(0)
n, d = 100_000, 10
X = rng.standard_normal((n, d)) * np.linspace(0.5, 1.5, d)     # mildly ill-conditioned
w_true = rng.standard_normal(d)
y = X @ w_true + 0.5 * rng.standard_normal(n)
Xt, yt = ag.tensor(X), ag.tensor(y)
w_ls = np.linalg.lstsq(X, y, rcond=None)[0]

def risk(w):
    \"\"\"The empirical risk (1/2n) ||X w - y||^2 (NumPy, for monitoring).\"\"\"
    r = X @ w - y
    return 0.5 * np.mean(r ** 2)

best = risk(w_ls)
print(f"n = {n:,}, d = {d}; least-squares risk (the minimum) = {best:.5f}")"""),
        md(r"""
## Gradient descent vs SGD, per sample processed

GD takes a step with the exact gradient of the risk, using all $n$ samples. SGD takes one step
per minibatch of $B$ samples. Both start from $\mathbf w = 0$; we record the excess risk
$\Phi(\mathbf w) - \Phi(\mathbf w^\star)$ against the number of samples touched, in epochs
(multiples of $n$).
"""),
        code("""
def gd(epochs=20, lr=0.5):
    w = ag.zeros(d, requires_grad=True)
    opt = optim.SGD([w], lr=lr)
    xs, ys = [0.0], [risk(w.numpy()) - best]
    for e in range(epochs):
        opt.zero_grad()
        (0.5 * ((Xt @ w - yt) ** 2).mean()).backward()
        opt.step()
        xs.append(e + 1); ys.append(risk(w.numpy()) - best)
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
            xs.append((t + 1) * batch / n); ys.append(risk(w.numpy()) - best)
    return np.array(xs), np.array(ys)

t0 = time.perf_counter()
curves = {"GD (B = n), lr 0.5": gd()}
for B, steps in [(1, 8_000), (10, 4_000), (100, 2_000)]:
    curves[f"SGD B = {B}, lr 0.02"] = sgd(B, steps, lr=0.02)
print(f"(computed in {time.perf_counter() - t0:.1f} s)")

plt.figure(figsize=(7, 4))
for name, (xs, ys) in curves.items():
    plt.loglog(np.maximum(xs, 1e-5), ys, label=name)
plt.xlabel("epochs (samples processed / n)"); plt.ylabel("excess risk"); plt.legend()
plt.title(f"least squares, n = {n:,}")
plt.show()
for name, (xs, ys) in curves.items():
    i = np.searchsorted(xs, 0.05)
    print(f"{name:22s}: excess risk after 0.05 epoch = {ys[min(i, len(ys) - 1)]:.2e}, "
          f"after {xs[-1]:g} epochs = {ys[-1]:.2e}")
"""),
        md(r"""
After 5% of an epoch (5,000 samples), SGD with small batches has made most of its progress
(with $B = 100$ it has taken only 50 steps so far), while GD has not yet taken a single step. But SGD with a constant step stops improving at a noise floor, which
is lower for larger batches. GD keeps converging linearly.

## Minibatch size and gradient noise

The minibatch gradient is an unbiased estimate of the full gradient; its variance falls like
$1/B$. We measure it at a fixed point, with the engine computing each minibatch gradient.
"""),
        code("""
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
plt.xlabel("batch size B"); plt.ylabel("mean squared gradient error"); plt.legend(); plt.show()
"""),
        md(r"""
## Decreasing step sizes

With a constant step $\eta$, SGD's iterates keep bouncing in a region of size proportional to
$\eta$. A step that decreases like $1/\sqrt t$ or $1/t$ (lecture 004: $\eta_t = \eta/(t + 1)$)
lets the noise average out. `PowerDecayLR` applies $\eta_t = \eta\,(t+1)^\alpha$ and
`LambdaLR` any factor, stepped here after every sample. The $1/t$ rule has a catch: it
converges only if $\eta$ is at least $1/\mu$ ($\mu$ the smallest curvature), while the first steps
are stable only for $\eta$ below about $2/\|\mathbf x\|^2$; when the two conflict, as here, the
shifted form $\eta/(1 + t/t_0)$ keeps the $1/t$ tail without the unstable start. Finally, one
epoch with the library's `DataLoader` and $B = 100$.
"""),
        code("""
runs = {"constant 0.02": sgd(1, 8_000, lr=0.02),
        "0.1 (t+1)^-1/2": sgd(1, 8_000, lr=0.1,
                              schedule=lambda o: lr_scheduler.PowerDecayLR(o, alpha=-0.5)),
        "0.1 / (t+1)": sgd(1, 8_000, lr=0.1,
                           schedule=lambda o: lr_scheduler.PowerDecayLR(o, alpha=-1.0)),
        "0.1 / (1 + t/100)": sgd(1, 8_000, lr=0.1,
                                 schedule=lambda o: lr_scheduler.LambdaLR(o, lambda k: 1 / (1 + k / 100)))}
plt.figure(figsize=(7, 4))
for name, (xs, ys) in runs.items():
    plt.loglog(np.maximum(xs, 1e-5) * n, ys, label=name)
    print(f"{name:22s}: excess risk after {int(xs[-1] * n):,} steps = {ys[-1]:.2e}")
final = {name: ys[-1] for name, (xs, ys) in runs.items()}
assert final["0.1 (t+1)^-1/2"] < final["constant 0.02"] / 3  # the text's claims, checked
assert final["0.1 / (1 + t/100)"] < final["constant 0.02"] < final["0.1 / (t+1)"]
plt.xlabel("SGD steps (B = 1)"); plt.ylabel("excess risk"); plt.legend(); plt.show()

# one epoch with the library's DataLoader, B = 100
loader = DataLoader(TensorDataset(Xt, yt), batch_size=100, shuffle=True)
w = ag.zeros(d, requires_grad=True)
opt = optim.SGD([w], lr=0.05)
t0 = time.perf_counter()
for xb, yb in loader:
    opt.zero_grad()
    (0.5 * ((xb @ w - yb) ** 2).mean()).backward()
    opt.step()
print(f"one DataLoader epoch ({len(loader)} minibatches) in {time.perf_counter() - t0:.2f} s: "
      f"excess risk {risk(w.numpy()) - best:.2e}, |w - w_ls| = {np.linalg.norm(w.numpy() - w_ls):.3f}")
"""),
        md(r"""
**Takeaways.** On large data sets SGD reaches a useful accuracy after a fraction of one epoch;
its gradient noise falls like $1/B$; and to converge (rather than hover) its step size must
decrease.
"""),
        code("ag.set_default_dtype(np.float32)"),
    ]


# =============================================================================================
@notebook("07_mlp_on_circles", requires=("nn", "optim", "data", "viz"), dot=True)
def _nb07():
    return [
        md(r"""
# 7. Training an MLP on the circle data

**What this notebook teaches.** The training loop of the lectures, end to end, with
autograd_lite's `nn`, `optim` and `data`:

```
for each epoch:
    for each minibatch:  zero_grad -> forward -> loss -> backward -> step
```

with a progress display, a held-out accuracy, the learned decision boundary, and the model's
computation graph drawn with one cluster per module.
"""),
        code(SETUP + """
import time
from autograd_lite import nn, optim, viz
from autograd_lite.data import DataLoader, TensorDataset, make_circles"""),
        md(r"""
## Data

Lecture 002's circle data set: points in a square, label 1 outside a disc. 1000 points for
training, 500 held out.
"""),
        code("""
X, y = make_circles(n_samples=1500, noise=0.05, seed=0)
X_train, y_train, X_val, y_val = X[:1000], y[:1000], X[1000:], y[1000:]
train_loader = DataLoader(TensorDataset(ag.tensor(X_train), ag.tensor(y_train)),
                          batch_size=32, shuffle=True)
print(f"{len(X_train)} training points in {len(train_loader)} minibatches of 32; "
      f"{len(X_val)} held out; class balance {y.mean():.2f}")
"""),
        md(r"""
## Model, loss, optimiser

A two-hidden-layer ReLU network with two outputs (logits for the two classes), softmax
cross-entropy, and SGD with momentum.
"""),
        code("""
model = nn.Sequential(
    nn.Linear(2, 16), nn.ReLU(),
    nn.Linear(16, 16), nn.ReLU(),
    nn.Linear(16, 2))
loss_fn = nn.CrossEntropyLoss()
opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
print(model)
print("parameters:", sum(p.size for p in model.parameters()))
"""),
        md(r"""
## The loop, with a progress display

Each epoch reshuffles the loader. The progress line shows the running training loss and the
held-out accuracy.
"""),
        code("""
def accuracy(Xa, ya):
    with ag.no_grad():
        return float((model(ag.tensor(Xa)).argmax(axis=1).numpy() == ya).mean())

def bar(done, total, width=20):
    k = int(width * done / total)
    return "[" + "#" * k + "." * (width - k) + "]"

history = {"loss": [], "val_acc": []}
epochs = 30
t0 = time.perf_counter()
for epoch in range(1, epochs + 1):
    model.train()
    running, seen = 0.0, 0
    for xb, yb in train_loader:
        opt.zero_grad()                 # 1. forget the previous gradients
        logits = model(xb)              # 2. forward
        loss = loss_fn(logits, yb)      # 3. loss
        loss.backward()                 # 4. backward
        opt.step()                      # 5. update
        running += loss.item() * len(xb); seen += len(xb)
    model.eval()
    history["loss"].append(running / seen)
    history["val_acc"].append(accuracy(X_val, y_val))
    if epoch % 5 == 0 or epoch == 1:
        print(f"epoch {epoch:3d} {bar(epoch, epochs)} loss {history['loss'][-1]:.4f} "
              f"val acc {history['val_acc'][-1]:.3f}  ({time.perf_counter() - t0:.1f} s)")
print(f"final: training accuracy {accuracy(X_train, y_train):.3f}, "
      f"held-out accuracy {accuracy(X_val, y_val):.3f}")
assert accuracy(X_val, y_val) > 0.85  # the text's claims, checked
"""),
        md(r"""
## Learning curves and the decision boundary

The network's probability of class 1 on a grid, with the held-out points on top; the true
boundary (the circle) is dashed.
"""),
        code("""
fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.3))
a1.plot(range(1, epochs + 1), history["loss"], label="training loss")
a1b = a1.twinx()
a1b.plot(range(1, epochs + 1), history["val_acc"], "C1", label="held-out accuracy")
a1.set_xlabel("epoch"); a1.set_ylabel("loss"); a1b.set_ylabel("accuracy", color="C1")
a1.set_title("learning curves")

g = np.linspace(-1.3, 1.3, 200)
G1, G2 = np.meshgrid(g, g)
with ag.no_grad():
    probs = model(ag.tensor(np.column_stack([G1.ravel(), G2.ravel()]).astype(np.float32)))
    p1 = probs.softmax(axis=1).numpy()[:, 1].reshape(G1.shape)
a2.contourf(G1, G2, p1, levels=20, cmap="coolwarm", alpha=0.6)
a2.contour(G1, G2, p1, levels=[0.5], colors="k")
a2.scatter(X_val[:, 0], X_val[:, 1], c=y_val, s=6, cmap="coolwarm", edgecolors="none")
r = np.sqrt(2 / np.pi)                      # make_circles' default radius
t = np.linspace(0, 2 * np.pi, 200)
a2.plot(r * np.cos(t), r * np.sin(t), "k--", lw=0.8)
a2.set_aspect("equal"); a2.set_title("P(class 1) and the decision boundary")
plt.tight_layout(); plt.show()
"""),
        md(r"""
## The model's graph

The graph of the loss on a batch of two points. Every op that ran inside a module call is
drawn inside that module's cluster, and the parameters carry their names from
`named_parameters()` (`0.weight`, `2.bias`, ...).
"""),
        code("""
xb, yb = ag.tensor(X_val[:2]), ag.tensor(y_val[:2])
xb.name, yb.name = "x", "y"
loss = loss_fn(model(xb), yb)
loss.backward(retain_graph=True)      # keep the graph so the intermediates show their values
print("named parameters:", [name for name, _ in model.named_parameters()])
viz.draw_graph(loss, rankdir="TB")
"""),
        md(r"""
**Takeaways.** The five lines of the inner loop are the whole of training; everything else
(the data loader's shuffling, the optimiser's momentum buffers, the modules' parameters) is
bookkeeping around `backward()`. A network with two small hidden layers learns the circular
boundary that no linear model can represent.
"""),
    ]


# =============================================================================================
@notebook("08_initialisation_gradient_flow", requires=("nn",))
def _nb08():
    return [
        md(r"""
# 8. Initialisation and the flow of gradients

**What this notebook teaches.** Why the starting point of training matters:

* vanishing gradients: in a deep sigmoid network the gradient shrinks layer by layer
  (the sigmoid's slope is at most 1/4), while ReLU keeps it alive;
* exploding products: the lecture's product of 100 random $4 \times 4$ Gaussian matrices;
* the symmetry of a constant initialisation, which no amount of training breaks;
* PyTorch's default, Xavier and LeCun initialisations compared by the activations and
  gradients they produce.
"""),
        code(SETUP + """
from autograd_lite import nn


def deep_net(depth, width, act, init=None, n_in=32):
    layers = []
    for i in range(depth):
        lin = nn.Linear(n_in if i == 0 else width, width)
        if init is not None:
            init(lin.weight)
            nn.init.zeros_(lin.bias)
        layers += [lin, act()]
    layers.append(nn.Linear(width, 1))
    return nn.Sequential(*layers)


def layer_grad_norms(model, x):
    \"\"\"Norm of dL/dW for every Linear layer, input side first.\"\"\"
    model.zero_grad()
    (model(x) ** 2).mean().backward()
    return [m.weight.grad.numpy().std() for m in model.modules() if isinstance(m, nn.Linear)]"""),
        md(r"""
## Vanishing gradients: sigmoid vs tanh vs ReLU

A network of 20 hidden layers of width 64. Each activation gets the initialisation designed
for it (Xavier for sigmoid, Xavier with the tanh gain 5/3, Kaiming for ReLU), and ReLU also
with PyTorch's default `Linear` initialisation. We backpropagate the mean squared output on a
batch of 128 random inputs and look at the size of the gradient of each layer's weights.
"""),
        code("""
ag.manual_seed(0)
x = ag.randn(128, 32)
depth = 20
norms = {}
configs = {
    "sigmoid, Xavier": (nn.Sigmoid, nn.init.xavier_uniform_),
    "tanh, Xavier gain 5/3": (nn.Tanh, lambda w: nn.init.xavier_uniform_(w, gain=5 / 3)),
    "ReLU, Kaiming": (nn.ReLU, lambda w: nn.init.kaiming_uniform_(w, nonlinearity="relu")),
    "ReLU, PyTorch default": (nn.ReLU, None),
}
for name, (act, init) in configs.items():
    ag.manual_seed(1)
    norms[name] = layer_grad_norms(deep_net(depth, 64, act, init=init), x)

plt.figure(figsize=(6.5, 3.8))
for name, v in norms.items():
    plt.semilogy(range(1, len(v) + 1), v, "o-", ms=3, label=name)
plt.xlabel("layer (1 = input side)"); plt.ylabel("std of dL/dW"); plt.legend()
plt.title(f"gradient size per layer, depth {depth}")
plt.show()
for name, v in norms.items():
    print(f"{name:22s}: first layer / last hidden layer gradient ratio = {v[0] / v[-2]:.1e}")
ratio = {name: v[0] / v[-2] for name, v in norms.items()}
assert ratio["sigmoid, Xavier"] < 1e-6 and ratio["ReLU, PyTorch default"] < 1e-3  # the text's claims, checked
assert 0.1 < ratio["tanh, Xavier gain 5/3"] < 10 and 0.1 < ratio["ReLU, Kaiming"] < 10
"""),
        md(r"""
Backprop multiplies, at each sigmoid layer, by $\sigma'(z) \le 1/4$, and no reasonable
initialisation compensates: the gradient reaching the first layers is many orders of
magnitude smaller than at the top, so those layers barely learn. With tanh (slope 1 at 0) and
ReLU (slope 1 where active), an initialisation scaled for the activation keeps the gradient
within about an order of magnitude across all 20 layers; PyTorch's default scale (variance
$1/(3\,\text{fan-in})$), too small for ReLU, makes it vanish too.

## Exploding products

Lecture 003: draw 100 Gaussian $4 \times 4$ matrices and multiply them. The norm of the product
grows exponentially (the top Lyapunov exponent of the product is positive); a gradient passing
through 100 such Jacobians would overflow.
"""),
        code("""
rng = np.random.default_rng(0)
M = ag.tensor(rng.standard_normal((4, 4)), dtype=np.float64)
print("a single matrix\\n", M.numpy().round(3))
norms_prod = [np.linalg.norm(M.numpy())]
P = M
for k in range(99):
    P = P @ ag.tensor(rng.standard_normal((4, 4)), dtype=np.float64)
    norms_prod.append(np.linalg.norm(P.numpy()))
rate = np.polyfit(np.arange(100), np.log(norms_prod), 1)[0]
print(f"after 100 matrices: |P| = {norms_prod[-1]:.3e}; growth rate {np.exp(rate):.2f}x per matrix")
plt.figure(figsize=(6, 3.5))
plt.semilogy(range(1, 101), norms_prod)
plt.xlabel("number of matrices multiplied"); plt.ylabel("Frobenius norm of the product")
plt.title("a product of random 4x4 Gaussian matrices"); plt.show()
"""),
        md(r"""
## The symmetry of a constant initialisation

If every weight starts at the same value, every hidden unit computes the same function and
receives the same gradient, so they stay identical forever: the layer behaves like a single
unit. A random initialisation breaks the symmetry. Below, a width-8 hidden layer trained for
200 steps on a regression problem from both starts.
"""),
        code("""
from autograd_lite.data import make_regression_1d
Xr, yr = make_regression_1d(n_samples=128, noise=0.05, seed=0, func=np.sin, low=-3, high=3)
Xr, yr = ag.tensor(Xr), ag.tensor(yr)

def train(constant):
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(1, 8), nn.Tanh(), nn.Linear(8, 1))
    if constant:
        for p in model.parameters():
            nn.init.constant_(p, 0.3)
    opt = ag.optim.Adam(model.parameters(), lr=0.02)
    for _ in range(200):
        opt.zero_grad()
        loss = nn.MSELoss()(model(Xr), yr)
        loss.backward()
        opt.step()
    return model, loss.item()

fig, axes = plt.subplots(1, 2, figsize=(10, 3.2))
for ax, constant in zip(axes, [True, False]):
    model, final = train(constant)
    W = model[0].weight.numpy()
    spread = np.ptp(W[:, 0])
    label = "constant 0.3" if constant else "default (random)"
    print(f"{label:17s}: spread of the 8 hidden weights after training = {spread:.2e}, loss {final:.4f}")
    assert (spread == 0) if constant else (spread > 0.1)  # the text's claims, checked
    ax.bar(range(8), W[:, 0]); ax.set_title(f"first-layer weights, init {label}")
    ax.set_xlabel("hidden unit")
plt.tight_layout(); plt.show()
"""),
        md(r"""
## Default, Xavier and LeCun initialisations

For a linear layer with fan-in $n$, the output variance is $n\,\mathrm{Var}(w)\,\mathrm{Var}(x)$.
LeCun's $\mathrm{Var}(w) = 1/n$ (the lecture's $U[-c, c]$ with $c = \sqrt{3/n}$) keeps it constant;
Xavier's $2/(n_\text{in} + n_\text{out})$ balances forward and backward passes; PyTorch's default
$U(-1/\sqrt n, 1/\sqrt n)$ has variance $1/(3n)$, a third of LeCun's. But tanh contracts
(its slope is below 1 away from 0), so for tanh the variance needs the extra gain $(5/3)^2$.
In a 30-layer tanh network of width 64 (where Xavier without gain equals LeCun), compare the
scale of the activations and of the weight gradients per layer, including an initialisation
three times too wide:
"""),
        code("""
inits = {"PyTorch default": None,
         "LeCun uniform": nn.init.lecun_uniform_,
         "Xavier, gain 5/3": lambda w: nn.init.xavier_uniform_(w, gain=5 / 3),
         "LeCun, c x 3": lambda w: nn.init.uniform_(w, -3 * np.sqrt(3 / w.shape[1]),
                                                    3 * np.sqrt(3 / w.shape[1]))}
x = ag.randn(256, 64)
fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 3.8))
for name, init in inits.items():
    ag.manual_seed(2)
    model = deep_net(30, 64, nn.Tanh, init=init, n_in=64)
    acts, h = [], x
    with ag.no_grad():
        for m in model:
            h = m(h)
            if isinstance(m, nn.Tanh):
                acts.append(h.numpy().std())
    g = layer_grad_norms(model, x)
    a1.semilogy(range(1, 31), acts, label=name)
    a2.semilogy(range(1, len(g) + 1), g, label=name)
    print(f"{name:16s}: activation std at layer 1 = {acts[0]:.3f}, at layer 30 = {acts[-1]:.3g}; "
          f"dL/dW std at layer 1 = {g[0]:.1e}, at layer 30 = {g[-2]:.1e}")
a1.set_xlabel("layer"); a1.set_ylabel("std of tanh activations"); a1.legend(fontsize=8)
a2.set_xlabel("layer"); a2.set_ylabel("std of dL/dW"); a2.legend(fontsize=8)
plt.tight_layout(); plt.show()
"""),
        md(r"""
The default and LeCun scales let the activations shrink with depth and the first layers'
gradients vanish; Xavier with the tanh gain keeps both steady; three times too wide saturates
the units (activations near $\pm 1$) and the gradients grow towards the input.

**Takeaways.** Gradients are products of per-layer Jacobians, so their size changes
geometrically with depth: sigmoid's small slope makes them vanish, large random matrices make
them explode. Initialisation scaled to the fan-in and to the activation (Xavier with gain for
tanh, Kaiming for ReLU) keeps activations and gradients at a steady scale, and random (not
constant) values break the symmetry between units.
"""),
    ]


# =============================================================================================
@notebook("09_width_depth_approximation", requires=("nn", "optim", "data"))
def _nb09():
    return [
        md(r"""
# 9. Width vs depth, and universal approximation

**What this notebook teaches.** The crash-course experiment: fit a function
$F: \mathbb{R} \to \mathbb{R}$ with fully connected networks of width 4 or 32 and depth 4 or 32,
all trained with Adam for the same number of steps, and compare final training and validation
losses. Then the universal approximation theorem at work: a single hidden layer, growing wider,
approximates the target better and better.
"""),
        code(SETUP + """
import time
from autograd_lite import nn, optim
from autograd_lite.data import make_regression_1d

def target(x):
    return np.sin(3 * x) + 0.5 * np.cos(7 * x)

X_train, y_train = make_regression_1d(n_samples=200, noise=0.05, seed=0, func=target, low=-1.5, high=1.5)
X_val, y_val = make_regression_1d(n_samples=200, noise=0.05, seed=1, func=target, low=-1.5, high=1.5)
Xt, yt, Xv, yv = (ag.tensor(a) for a in (X_train, y_train, X_val, y_val))
print(X_train.shape, y_train.shape)"""),
        md(r"""
## The width-depth grid

Each network is `Linear(1, w)`, then `depth - 1` blocks `Tanh, Linear(w, w)`, then
`Tanh, Linear(w, 1)`: `depth` hidden layers of width `w`. Full-batch Adam, learning rate
$3\cdot 10^{-3}$, 500 steps, the same seed for all, PyTorch's default initialisation; a fifth
run repeats the widest, deepest network with Xavier initialisation and the tanh gain 5/3.
"""),
        code("""
def mlp(width, depth, act=nn.Tanh, init=None):
    layers = [nn.Linear(1, width)]
    for _ in range(depth - 1):
        layers += [act(), nn.Linear(width, width)]
    layers += [act(), nn.Linear(width, 1)]
    if init is not None:
        for m in layers:
            if isinstance(m, nn.Linear):
                init(m.weight)
                nn.init.zeros_(m.bias)
    return nn.Sequential(*layers)

def fit(model, steps=500, lr=3e-3):
    opt = optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.MSELoss()
    curve = []
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(model(Xt), yt)
        loss.backward()
        opt.step()
        curve.append(loss.item())
    with ag.no_grad():
        val = loss_fn(model(Xv), yv).item()
    return curve, val

xavier_tanh = lambda w: nn.init.xavier_uniform_(w, gain=5 / 3)
grid = [(4, 4, "default"), (4, 32, "default"), (32, 4, "default"), (32, 32, "default"),
        (32, 32, "Xavier 5/3")]
results = {}
t0 = time.perf_counter()
for width, depth, init in grid:
    ag.manual_seed(0)
    model = mlp(width, depth, init=xavier_tanh if init != "default" else None)
    curve, val = fit(model)
    n_params = sum(p.size for p in model.parameters())
    results[width, depth, init] = (curve, val, model, n_params)
print(f"trained {len(grid)} networks in {time.perf_counter() - t0:.1f} s\\n")
print(f"{'width':>6s} {'depth':>6s} {'init':>11s} {'params':>7s} {'final train loss':>17s} {'final val loss':>15s}")
for (width, depth, init), (curve, val, _, n_params) in results.items():
    print(f"{width:6d} {depth:6d} {init:>11s} {n_params:7d} {curve[-1]:17.4f} {val:15.4f}")
final = {key: curve[-1] for key, (curve, *_) in results.items()}
assert final[32, 4, "default"] < final[4, 4, "default"]  # the text's claims, checked
assert min(final[4, 32, "default"], final[32, 32, "default"]) > 0.3 > 0.05 > final[32, 32, "Xavier 5/3"]
"""),
        code("""
fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 3.8))
xs = np.linspace(-1.5, 1.5, 300)[:, None]
a2.plot(xs, target(xs), "k", lw=2, label="target")
for (width, depth, init), (curve, val, model, _) in results.items():
    a1.semilogy(curve, label=f"width {width}, depth {depth}, {init}")
    with ag.no_grad():
        a2.plot(xs, model(ag.tensor(xs.astype(np.float32))).numpy(), label=f"w {width}, d {depth}, {init}")
a1.set_xlabel("Adam step"); a1.set_ylabel("training loss"); a1.legend(fontsize=8)
a2.scatter(X_train, y_train, s=4, c="grey", alpha=0.5); a2.legend(fontsize=7)
plt.tight_layout(); plt.show()
"""),
        md(r"""
Read the table rather than a rule of thumb. At depth 4, the wider network fits better. At
depth 32 with the default initialisation, neither width gets anywhere within the budget: the
gradient reaching the lower layers through 32 tanh layers has all but vanished (notebook 8).
The same 32 x 32 network with an initialisation scaled for tanh does train: depth is usable
only when gradients can flow. Validation losses track training losses because the noise is
small and the target is smooth.

## Universal approximation: one hidden layer, growing width

The theorem says that a single hidden layer with enough units approximates any continuous
function on a compact set. Fit the same target with one tanh hidden layer of width
1, 3, 10 and 50.
"""),
        code("""
widths = [1, 3, 10, 50]
fig, axes = plt.subplots(1, len(widths), figsize=(13, 3), sharey=True)
errors = []
for ax, w in zip(axes, widths):
    ag.manual_seed(0)
    model = mlp(w, 1)
    curve, val = fit(model, steps=1500, lr=1e-2)
    errors.append(val)
    with ag.no_grad():
        pred = model(ag.tensor(xs.astype(np.float32))).numpy()
    ax.plot(xs, target(xs), "k", lw=1.5); ax.plot(xs, pred, "C3")
    ax.set_title(f"width {w}: val MSE {val:.4f}")
plt.tight_layout(); plt.show()
for w, e in zip(widths, errors):
    print(f"one hidden layer of width {w:3d}: validation MSE {e:.4f}")
assert errors[-1] < errors[1] < errors[0]  # the text's claims, checked
"""),
        md(r"""
**Takeaways.** One wide hidden layer can approximate the target (the error falls with the
width), but how well a network *trains* within a budget depends on width, depth and the flow
of gradients together, which is why the next notebook adds residual connections.
"""),
    ]


# =============================================================================================
@notebook("10_residual_and_convolutional", requires=("nn", "optim", "data", "viz"), dot=True)
def _nb10():
    return [
        md(r"""
# 10. Residual and convolutional networks

**What this notebook teaches.** Two of the lectures' layer types on a small image task:

* the residual layer $\mathbf u_j = \mathbf u_{j-1} + \sigma(\mathbf K_j \mathbf u_{j-1} + \mathbf b_j)$,
  which lets a deep network train where the plain version with the same layers stalls;
* the convolutional layer, which shares its weights across positions, with pooling.

The images are generated here (8x8 pixels, four classes of strokes at random positions with
noise), so the notebook needs nothing beyond autograd_lite. We finish with the graph of one
training step of the CNN.
"""),
        code(SETUP + """
import time
from autograd_lite import nn, optim, viz
from autograd_lite.data import DataLoader, TensorDataset"""),
        md(r"""
## The data: strokes on an 8x8 grid

Class 0: a horizontal stroke, 1: vertical, 2: diagonal, 3: anti-diagonal; random position and
length 4 to 6, random intensity, Gaussian pixel noise.
"""),
        code("""
CLASSES = ["horizontal", "vertical", "diagonal", "anti-diagonal"]

def make_strokes(n, seed):
    rng = np.random.default_rng(seed)
    X = np.zeros((n, 1, 8, 8), dtype=np.float32)
    y = rng.integers(0, 4, size=n)
    for i, c in enumerate(y):
        L = rng.integers(4, 7)
        r, s = rng.integers(0, 8 - L + 1, size=2)
        k = np.arange(L)
        rows, cols = {0: (np.full(L, rng.integers(0, 8)), s + k),
                      1: (r + k, np.full(L, rng.integers(0, 8))),
                      2: (r + k, s + k),
                      3: (r + k, s + L - 1 - k)}[int(c)]
        X[i, 0, rows, cols] = rng.uniform(0.7, 1.0)
    X += 0.25 * rng.standard_normal(X.shape).astype(np.float32)
    return X, y

X_train, y_train = make_strokes(1200, seed=0)
X_test, y_test = make_strokes(400, seed=1)
fig, axes = plt.subplots(2, 8, figsize=(10, 2.8))
for ax, img, c in zip(axes.ravel(), X_train, y_train):
    ax.imshow(img[0], cmap="gray_r"); ax.set_title(CLASSES[c], fontsize=7); ax.axis("off")
plt.tight_layout(); plt.show()
print("train", X_train.shape, "test", X_test.shape, "class counts", np.bincount(y_train))
"""),
        code("""
def train(model, epochs=20, lr=1e-2, seed=0):
    ag.manual_seed(seed)
    loader = DataLoader(TensorDataset(ag.tensor(X_train), ag.tensor(y_train)), batch_size=32,
                        shuffle=True)
    opt = optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    curve = []
    for _ in range(epochs):
        model.train()
        total = 0.0
        for xb, yb in loader:
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item() * len(xb)
        curve.append(total / len(X_train))
    model.eval()
    with ag.no_grad():
        acc = float((model(ag.tensor(X_test)).argmax(axis=1).numpy() == y_test).mean())
    return curve, acc
"""),
        md(r"""
## Plain vs residual: the same layers, with and without the skip

Both networks flatten the image, map it to 32 features, apply 12 layers
$\sigma(\mathbf K \mathbf u + \mathbf b)$ with the sigmoid, and classify. The residual network
adds the identity around each of the 12 layers (`nn.Residual`). Same initialisation seed,
same optimiser.
"""),
        code("""
def layers_mlp(residual, depth=12, width=32):
    blocks = []
    for _ in range(depth):
        f = nn.Sequential(nn.Linear(width, width), nn.Sigmoid())
        blocks.append(nn.Residual(f) if residual else f)
    return nn.Sequential(nn.Flatten(), nn.Linear(64, width), *blocks, nn.Linear(width, 4))

runs = {}
t0 = time.perf_counter()
for name, residual in [("plain", False), ("residual", True)]:
    ag.manual_seed(0)
    model = layers_mlp(residual)
    runs[name] = train(model)
    print(f"{name:9s}: final training loss {runs[name][0][-1]:.3f}, test accuracy {runs[name][1]:.3f}")
assert runs["plain"][1] < 0.35 and runs["residual"][1] > runs["plain"][1] + 0.2  # the text's claims, checked
print(f"({time.perf_counter() - t0:.1f} s)")
"""),
        md(r"""
The plain stack of sigmoids stays near chance (its gradients vanish, as in notebook 8); the
residual version trains, because the identity path carries the gradient past every layer:
$\partial \mathbf u_j / \partial \mathbf u_{j-1} = I + \text{(layer Jacobian)}$.

## A small convolutional network

Two 3x3 convolutions with ReLU and 2x2 max pooling, then a linear classifier on the
$16 \times 2 \times 2$ features. It has far fewer weights than the MLPs, because each filter is
shared across all positions, the right prior for strokes that can appear anywhere.
"""),
        code("""
ag.manual_seed(0)
cnn = nn.Sequential(
    nn.Conv2d(1, 8, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(8, 16, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(16 * 2 * 2, 4))
t0 = time.perf_counter()
runs["CNN"] = train(cnn, epochs=8)
count = lambda m: sum(p.size for p in m.parameters())
print(f"CNN: {count(cnn)} parameters (residual MLP: {count(layers_mlp(True))}); "
      f"final training loss {runs['CNN'][0][-1]:.3f}, test accuracy {runs['CNN'][1]:.3f} "
      f"({time.perf_counter() - t0:.1f} s)")
assert runs["CNN"][1] > 0.9 and count(cnn) < count(layers_mlp(True)) / 5  # the text's claims, checked

fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 3.4), gridspec_kw={"width_ratios": [1.3, 1]})
for name, (curve, acc) in runs.items():
    a1.plot(range(1, len(curve) + 1), curve, "o-", ms=3, label=f"{name} (test acc {acc:.2f})")
a1.set_xlabel("epoch"); a1.set_ylabel("training loss"); a1.legend()
W = cnn[0].weight.numpy()[:, 0]
a2.imshow(np.hstack([np.pad(w, 1, constant_values=np.nan) for w in W]), cmap="RdBu_r")
a2.set_title("the 8 learned 3x3 filters of the first layer"); a2.axis("off")
plt.tight_layout(); plt.show()
"""),
        md(r"""
## The graph of one training step

One step of the CNN on a batch of two images: every op of the forward pass, grouped by the
module that ran it, with the gradients after `backward()`. Large tensors are summarised
(mean, min, max).
"""),
        code("""
xb, yb = ag.tensor(X_test[:2]), ag.tensor(y_test[:2])
xb.name, yb.name = "images", "labels"
loss = nn.CrossEntropyLoss()(cnn(xb), yb)
loss.backward(retain_graph=True)      # keep the graph so the intermediates show their values
viz.draw_graph(loss, rankdir="TB")
"""),
        md(r"""
**Takeaways.** Residual connections keep a deep stack trainable by giving the gradient an
identity path; convolutions share weights across positions, which suits images and needs far
fewer parameters. Both are built from the same engine ops (`conv2d` and pooling have fused
VJPs for speed) and trained with the same five-line loop.
"""),
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
