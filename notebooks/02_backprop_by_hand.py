# ---
# jupyter:
#   autograd_lite:
#     dot: true
#     requires:
#     - nn
#     - viz
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 2. Backprop by hand vs the engine
#
# **What this notebook teaches.** The worked example of the crash-course lecture,
# $F(\mathbf{y}) = \mathbf{W}\,a(\mathbf{K}\mathbf{y} + \mathbf{b})$ with a softmax cross-entropy
# loss $L = -\mathbf{c}^\top \log \sigma(F(\mathbf{y}))$, differentiated three ways:
#
# 1. with the closed-form gradients from the slides (written in NumPy),
# 2. with `backward()`,
# 3. with the *delta recursion*: backprop as a product of layer Jacobians, applied right to left.
#
# All three agree to rounding error, and we see why the engine never builds a Jacobian. Then
# the other networks the lectures differentiate by hand, each checked against `backward()`:
# one weight of $f_2(W^2 f_1(W^1 x))$ written out (lecture 001), the two-layer
# ReLU/sigmoid/BCE exercise with its shapes (lecture 002), and the one-hidden-layer MLP with an
# L2 term, $J = L + s$, with the memory its graph keeps for backward (lecture 003).

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

import autograd_lite as ag
from autograd_lite import viz
from autograd_lite.nn import functional as F

plt.rcParams["figure.dpi"] = 100
ag.manual_seed(0)
ag.set_default_dtype(np.float64)  # exact comparisons in this notebook

# %% [markdown]
# ## The network and the forward pass
#
# $\mathbf{y} \in \mathbb{R}^2$, $\mathbf{K} \in \mathbb{R}^{3\times 2}$,
# $\mathbf{b}\in\mathbb{R}^3$,
# $\mathbf{W} \in \mathbb{R}^{2 \times 3}$, $a = \tanh$, and a target $\mathbf{c}$ in the unit
# simplex
# $\Delta^2$. The lecture's forward pass is
#
# $$\mathbf{u}_1 = a(\mathbf{K}\mathbf{y} + \mathbf{b}), \qquad \mathbf{u}_2 =
# \mathbf{W}\mathbf{u}_1,
# \qquad L(\mathbf{u}_2, \mathbf{c}) = -\mathbf{c}^\top \log \sigma(\mathbf{u}_2).$$

# %%
rng = np.random.default_rng(1)
Kn, bn, Wn = rng.standard_normal((3, 2)), rng.standard_normal(3), rng.standard_normal((2, 3))
yn = np.array([0.5, -1.0])
c = np.array([0.3, 0.7])  # c >= 0, c1 + c2 = 1

K, b, W, y = (ag.tensor(a, requires_grad=True) for a in (Kn, bn, Wn, yn))
z = K @ y + b  # pre-activation
u1 = ag.tanh(z)
u2 = W @ u1
L = -(ag.tensor(c) * ag.log_softmax(u2)).sum()
L.backward()
print(f"L = {L.item():.6f}")
print("grad_fn chain from L:", L.grad_fn, "<-", L.grad_fn.next_functions)


# %% [markdown]
# ## The closed form from the slides
#
# Writing $\boldsymbol{\delta}_2 = \nabla_{\mathbf{u}_2} L$ and
# $\boldsymbol{\delta}_1 = \nabla_{\mathbf{z}} L$ (gradient with respect to the pre-activation):
#
# $$\boldsymbol\delta_2 = \sigma(\mathbf{u}_2) - \mathbf{c}, \quad
# \nabla_{\mathbf W} L = \boldsymbol\delta_2\,\mathbf{u}_1^\top, \quad
# \boldsymbol\delta_1 = \operatorname{diag}(a'(\mathbf{z}))\,\mathbf{W}^\top\boldsymbol\delta_2,$$
# $$\nabla_{\mathbf K} L = \boldsymbol\delta_1\,\mathbf{y}^\top, \quad
# \nabla_{\mathbf b} L = \boldsymbol\delta_1, \quad
# \nabla_{\mathbf y} L = \mathbf{K}^\top\boldsymbol\delta_1 .$$
#
# Two remarks on the slides: they write $\nabla_{\mathbf{u}_2}L = \mathbf{c} -
# \sigma(\mathbf{u}_2)$,
# which is the *negative* gradient (the direction a descent step moves in), and they leave the
# factor $\mathbf{W}^\top$ implicit in the formulas for $\mathbf{K}$ and $\mathbf{b}$; the shapes
# ($\mathbf{c} - \sigma$ has 2 entries, $\mathbf{b}$ has 3) force it to be there. The cell below
# checks both claims numerically instead of taking them on trust.


# %%
def softmax(v):
    e = np.exp(v - v.max())
    return e / e.sum()


zn = Kn @ yn + bn
a1 = np.tanh(zn)
s = softmax(Wn @ a1)
delta2 = s - c
delta1 = (1 - a1**2) * (Wn.T @ delta2)  # a'(z) = 1 - tanh(z)^2
closed = {"W": np.outer(delta2, a1), "K": np.outer(delta1, yn), "b": delta1, "y": Kn.T @ delta1}
engine = {"W": W.grad.numpy(), "K": K.grad.numpy(), "b": b.grad.numpy(), "y": y.grad.numpy()}

for name in closed:
    err = np.abs(closed[name] - engine[name]).max()
    print(f"grad {name}: shape {engine[name].shape}, max |closed form - backward()| = {err:.2e}")

sign_flip = np.abs(np.outer(c - s, a1) - engine["W"]).max()
print(f"with the slide's sign, (c - sigma) u1^T differs from the gradient by {sign_flip:.3f}")

# %% [markdown]
# Every closed-form gradient matches `backward()` to machine precision, and the version with
# $\mathbf{c} - \sigma$ is off by exactly a sign. Let us look at the numbers side by side.

# %%
fig, axes = plt.subplots(1, 3, figsize=(10, 3))
for ax, (title, M) in zip(
    axes,
    [
        ("closed form  dL/dK", closed["K"]),
        ("backward()  K.grad", engine["K"]),
        ("difference", closed["K"] - engine["K"]),
    ],
):
    im = ax.imshow(M, cmap="RdBu_r")
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
    fig.colorbar(im, ax=ax, shrink=0.8)
plt.tight_layout()
plt.show()

# %% [markdown]
# ### Many random draws
#
# One draw could agree by luck. Repeat for 200 random networks and targets, and plot every
# entry of the closed-form gradients against the engine's: all points lie on the diagonal.

# %%
xs, ys = [], []
worst = 0.0
for trial in range(200):
    Kn_, bn_, Wn_ = rng.standard_normal((3, 2)), rng.standard_normal(3), rng.standard_normal((2, 3))
    yn_ = rng.standard_normal(2)
    p = rng.random()
    c_ = np.array([p, 1 - p])
    K_, b_, W_, y_ = (ag.tensor(v, requires_grad=True) for v in (Kn_, bn_, Wn_, yn_))
    loss = -(ag.tensor(c_) * ag.log_softmax(W_ @ ag.tanh(K_ @ y_ + b_))).sum()
    loss.backward()
    a_ = np.tanh(Kn_ @ yn_ + bn_)
    d2 = softmax(Wn_ @ a_) - c_
    d1 = (1 - a_**2) * (Wn_.T @ d2)
    cf = np.concatenate([np.outer(d2, a_).ravel(), np.outer(d1, yn_).ravel(), d1, Kn_.T @ d1])
    en = np.concatenate(
        [W_.grad.numpy().ravel(), K_.grad.numpy().ravel(), b_.grad.numpy(), y_.grad.numpy()]
    )
    worst = max(worst, np.abs(cf - en).max())
    xs.append(cf)
    ys.append(en)
xs, ys = np.concatenate(xs), np.concatenate(ys)
plt.figure(figsize=(4, 4))
plt.scatter(xs, ys, s=4)
lim = np.abs(xs).max() * 1.05
plt.plot([-lim, lim], [-lim, lim], "k--", lw=0.8)
plt.xlabel("closed form")
plt.ylabel("backward()")
plt.title(f"{len(xs)} gradient entries")
plt.show()
print(f"largest disagreement over 200 draws: {worst:.2e}")
assert worst < 1e-12  # the text's claims, checked


# %% [markdown]
# ### The Taylor test
#
# The lectures' own derivative check needs no closed form at all. Along a random direction
# $\mathbf p$, the zeroth-order error $E_0(h) = |L(\mathbf K + h\mathbf p) - L(\mathbf K)|$ falls
# like $h$, while the first-order error
# $E_1(h) = |L(\mathbf K + h\mathbf p) - L(\mathbf K) - h\,\langle\nabla_{\mathbf K} L, \mathbf
# p\rangle|$
# falls like $h^2$ **only if the gradient is right**. `ag.testing.taylor_test` runs it with the
# engine's gradient; a deliberately wrong gradient (the slide's sign) shows what failure looks
# like.


# %%
def loss_of_K(Kt):
    return -(
        ag.tensor(c) * ag.log_softmax(W.detach() @ ag.tanh(Kt @ ag.tensor(yn) + b.detach()))
    ).sum()


report = ag.testing.taylor_test(loss_of_K, ag.tensor(Kn))
print(report)

# the same test by hand, with the wrong-signed gradient (c - sigma) in place of (sigma - c)
p = report.direction  # the direction the report used
p = p[0] if isinstance(p, (tuple, list)) else p
wrong = -closed["K"]
L0 = loss_of_K(ag.tensor(Kn)).item()
E1_wrong = [
    abs(loss_of_K(ag.tensor(Kn + h * p)).item() - L0 - h * np.sum(wrong * p)) for h in report.h
]
plt.figure(figsize=(5.5, 3.6))
plt.loglog(report.h, report.E0, "o-", label="E0 (order 1)")
plt.loglog(report.h, report.E1, "s-", label="E1 with the engine's gradient (order 2)")
plt.loglog(report.h, E1_wrong, "x--", label="E1 with the wrong sign (order 1)")
plt.xlabel("h")
plt.legend(fontsize=9)
plt.title("Taylor test of dL/dK")
plt.show()
print(f"passed: {report.passed}; observed order of E1: {report.order:.2f}")

# %% [markdown]
# ## The delta recursion: backprop as Jacobian products
#
# For a chain $\mathbf{u}_k = f_k(\mathbf{u}_{k-1})$, $k = 1..d$, and a scalar loss
# $L(\mathbf{u}_d)$, the chain rule says
#
# $$\nabla_{\mathbf{u}_0} L = J_1^\top J_2^\top \cdots J_d^\top \nabla_{\mathbf{u}_d} L,
# \qquad J_k = \frac{\partial \mathbf{u}_k}{\partial \mathbf{u}_{k-1}} .$$
#
# Reverse mode evaluates this product **right to left**, so that every intermediate is a vector
# $\boldsymbol\delta_{k-1} = J_k^\top \boldsymbol\delta_k$ (a vector-Jacobian product) rather than a
# matrix. Below, the network is split into its elementary steps; we build each $J_k$ explicitly
# with `ag.functional.jacobian`, run the recursion by hand, and compare with `backward()`.

# %%
steps = [
    ("K y + b", lambda u: K.detach() @ u + b.detach()),
    ("tanh", ag.tanh),
    ("W u", lambda u: W.detach() @ u),
]

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

# %% [markdown]
# The Jacobian of `tanh` is diagonal: $J = \operatorname{diag}(a'(\mathbf{z}))$, exactly the
# $\operatorname{diag}(a'(\cdot))$ factor of the slide. The engine never forms it; its VJP rule for
# `tanh` is the one-liner `g * (1 - out**2)`. Multiplying the Jacobians in the *other* order
# (left to right, forward mode) builds matrices of size (outputs x inputs) at each step:

# %%
fig, axes = plt.subplots(1, len(jacs), figsize=(9, 2.6))
for ax, (name, _), J in zip(axes, steps, jacs):
    ax.imshow(J, cmap="RdBu_r", vmin=-np.abs(J).max(), vmax=np.abs(J).max())
    ax.set_title(f"J of {name}  {J.shape[0]}x{J.shape[1]}")
    ax.set_xticks([])
    ax.set_yticks([])
plt.tight_layout()
plt.show()

full = jacs[2] @ jacs[1] @ jacs[0]
direct = ag.functional.jacobian(
    lambda v: W.detach() @ ag.tanh(K.detach() @ v + b.detach()), ag.tensor(yn)
).numpy()
print("product of the three Jacobians == jacobian of F:", np.allclose(full, direct))

# %% [markdown]
# ## A deeper chain: cost of the two orders
#
# For a chain of $d$ layers of width $n$ ending in a scalar, reverse mode costs $d$ matrix-vector
# products ($O(d n^2)$), while forming the Jacobian product first costs $d$ matrix-matrix products
# ($O(d n^3)$). The engine's gradient and the Jacobian-product gradient agree; the counts below are
# the multiply-adds each order needs.

# %%
d, n = 12, 16
Ws = [rng.standard_normal((n, n)) / np.sqrt(n) for _ in range(d)]
x0 = ag.tensor(rng.standard_normal(n), requires_grad=True)
h = x0
for Wk in Ws:
    h = ag.tanh(ag.tensor(Wk) @ h)
loss = (h**2).sum() / 2
loss.backward()

# by hand: deltas right to left
hs = [x0.numpy()]
for Wk in Ws:
    hs.append(np.tanh(Wk @ hs[-1]))
delta = hs[-1].copy()
norms = [np.linalg.norm(delta)]
for Wk, hk in zip(reversed(Ws), reversed(hs[1:])):
    delta = Wk.T @ ((1 - hk**2) * delta)
    norms.append(np.linalg.norm(delta))
print(f"max |by hand - backward()| = {np.abs(delta - x0.grad.numpy()).max():.2e}")
print(f"reverse order: {d * n * n:,} multiply-adds; forming the Jacobian product: {d * n**3:,}")

plt.figure(figsize=(5, 3))
plt.semilogy(range(d, -1, -1), norms, "o-")
plt.xlabel("layer k")
plt.ylabel(r"$\|\delta_k\|$")
plt.title("delta recursion: gradient norm per layer")
plt.gca().invert_xaxis()
plt.show()

# %% [markdown]
# ## One weight by hand: ∂L/∂w¹₂₁ of f₂(W² f₁(W¹x)) (lecture 001)
#
# The lecture's simple network $\hat y = f_2(W^2 f_1(W^1\mathbf x))$ has $W^1 \in
# \mathbb R^{3\times 2}$ and $W^2 = [w^2_{11}\; w^2_{12}\; w^2_{13}]$, and the loss
# $L = \sum_{i=1}^n \ell(y_i, \hat y_i)$. Writing the chain rule out for one weight:
#
# $$\frac{\partial L}{\partial w^1_{21}} = \sum_{i=1}^n \frac{\partial\ell(y_i, \hat y_i)}
# {\partial\hat y_i}\, f_2'(W^2 f_1(W^1\mathbf x_i))\, w^2_{12}\,
# f_1'(w^1_{21}x_{i1} + w^1_{22}x_{i2})\, x_{i1},$$
#
# $$\frac{\partial L}{\partial w^2_{13}} = \sum_{i=1}^n \frac{\partial\ell(y_i, \hat y_i)}
# {\partial\hat y_i}\, f_2'(W^2 f_1(W^1\mathbf x_i))\, f_1(w^1_{31}x_{i1} + w^1_{32}x_{i2}).$$
#
# $w^1_{21}$ feeds hidden unit 2 only, whose output is weighted by $w^2_{12}$: that is the only
# path from $w^1_{21}$ to $\hat y$. With $f_1 = \sigma$, $f_2 = \tanh$,
# $\ell = \tfrac12(\hat y - y)^2$ and $n = 5$ points (indices are 1-based in the formula,
# 0-based in NumPy: $w^1_{21}$ is `W1[1, 0]`):

# %%
n_pts = 5
Xd, yd = rng.standard_normal((n_pts, 2)), rng.standard_normal(n_pts)
V1n, V2n = rng.standard_normal((3, 2)), rng.standard_normal((1, 3))
V1, V2 = ag.tensor(V1n, requires_grad=True), ag.tensor(V2n, requires_grad=True)
yhat = ag.tanh(V2 @ ag.sigmoid(V1 @ ag.tensor(Xd.T)))  # (1, n): one column per point
(0.5 * (yhat - ag.tensor(yd)) ** 2).sum().backward()


def sig(t):
    return 1 / (1 + np.exp(-t))


dw1_21 = dw2_13 = 0.0
for xi, yi in zip(Xd, yd):
    out = np.tanh(V2n @ sig(V1n @ xi))[0]
    common = (out - yi) * (1 - out**2)  # dl/dyhat * f2'(W2 f1(W1 x_i))
    u2 = V1n[1, 0] * xi[0] + V1n[1, 1] * xi[1]  # hidden unit 2's input
    dw1_21 += common * V2n[0, 1] * sig(u2) * (1 - sig(u2)) * xi[0]
    dw2_13 += common * sig(V1n[2, 0] * xi[0] + V1n[2, 1] * xi[1])
print(f"dL/dw1_21: by hand {dw1_21:.10f}, backward {V1.grad.numpy()[1, 0]:.10f}")
print(f"dL/dw2_13: by hand {dw2_13:.10f}, backward {V2.grad.numpy()[0, 2]:.10f}")
assert np.isclose(dw1_21, V1.grad.numpy()[1, 0], rtol=1e-12, atol=0)  # the text's claims
assert np.isclose(dw2_13, V2.grad.numpy()[0, 2], rtol=1e-12, atol=0)

# %% [markdown]
# One entry by hand takes a sum over the data of a product along the one path; backward gives
# all nine weights' entries in one pass, reusing the shared factor (`common` above, the
# $\delta$ of the output) for every weight, which is what "backpropagation = efficient
# implementation of the chain rule" means.
#
# ## The two-layer ReLU/sigmoid/BCE exercise (lecture 002)
#
# The exercise's network, in the slide's row-vector convention:
#
# $$z_1 = x W_1 + b_1,\quad a_1 = \mathrm{ReLU}(z_1),\quad z_2 = a_1 W_2 + b_2,\quad
# \lambda = \sigma(z_2),\quad l = -y\log\lambda - (1 - y)\log(1 - \lambda),$$
#
# with $x \in \mathbb R^N$, $y \in \mathbb R$ and $z_1 \in \mathbb R^{D_1}$.
#
# ### The shapes of W₁, b₁, W₂, b₂
#
# The slide's answer: $W_1 \in \mathbb R^{N\times D_1}$, $b_1 \in \mathbb R^{D_1}$,
# $W_2 \in \mathbb R^{D_1}$, $b_2 \in \mathbb R$; the weights do not change shape with the
# number of samples, while a mini-batch of $m$ samples has $x \in \mathbb R^{m\times N}$ and
# $y \in \mathbb R^m$. The engine agrees (its shape errors would say otherwise), and each
# gradient has its parameter's shape:

# %%
N, D1, m = 3, 4, 5
W1 = ag.tensor(rng.standard_normal((N, D1)), requires_grad=True)
b1 = ag.tensor(0.1 * rng.standard_normal(D1), requires_grad=True)
W2 = ag.tensor(rng.standard_normal(D1), requires_grad=True)
b2 = ag.tensor([0.1], requires_grad=True)
params = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


def two_layer(xb):
    z1 = xb @ W1 + b1
    a1 = ag.relu(z1)
    z2 = a1 @ W2 + b2
    return z1, a1, z2, ag.sigmoid(z2)


xb = ag.tensor(rng.standard_normal((m, N)))  # a mini-batch of m samples
yb = ag.tensor((rng.random(m) > 0.5).astype(np.float64))
z1b, a1b, z2b, lamb = two_layer(xb)
F.binary_cross_entropy(lamb, yb).backward()  # the mean over the batch
for name, t in [("x", xb), ("y", yb), ("z1", z1b), ("a1", a1b), ("z2", z2b), ("lambda", lamb)]:
    print(f"{name:6s} {str(t.shape):8s}", end="  ")
print()
for name, t in params.items():
    print(f"{name}: {t.shape}, grad {t.grad.shape}")
assert [t.shape for t in params.values()] == [(N, D1), (D1,), (D1,), (1,)]  # the slide's
assert all(t.grad.shape == t.shape for t in params.values())
assert xb.shape == (m, N) and lamb.shape == (m,)

# %% [markdown]
# ### ∂l/∂W₂ = ∂l/∂z₂ · a₁, checked against backward
#
# The slide's backward pass: $\frac{\partial l}{\partial\lambda} = -\frac y\lambda +
# \frac{1 - y}{1 - \lambda}$, $\frac{\partial l}{\partial z_2} = \frac{\partial l}{\partial
# \lambda}\sigma(z_2)(1 - \sigma(z_2))$ (which simplifies to $\lambda - y$),
# $\frac{\partial l}{\partial W_2} = \frac{\partial l}{\partial z_2}\, a_1 \in \mathbb R^{D_1}$
# (in column-vector notation, $\frac{\partial l}{\partial z_2} a_1^\top$) and
# $\frac{\partial l}{\partial b_2} = \frac{\partial l}{\partial z_2}$. For the batch mean
# $L = \frac1m\sum_i l^{(i)}$ the per-sample products are averaged:
# $\frac{\partial L}{\partial W_2} = \frac1m a_1^\top (\lambda - y)$, with
# $a_1 \in \mathbb R^{m\times D_1}$.

# %%
lam_v, y_v, a1_v = lamb.numpy(), yb.numpy(), a1b.numpy()
dl_dlam = -y_v / lam_v + (1 - y_v) / (1 - lam_v)
dl_dz2 = dl_dlam * lam_v * (1 - lam_v)
print("dl/dz2 per sample    :", dl_dz2.round(4))
print("lambda - y           :", (lam_v - y_v).round(4))
print("dL/dW2 = a1^T dl/dz2 / m:", (a1_v.T @ dl_dz2 / m).round(5))
print("W2.grad (backward)      :", W2.grad.numpy().round(5))
# the text's claims, checked
assert np.allclose(dl_dz2, lam_v - y_v, rtol=1e-12)
assert np.allclose(a1_v.T @ dl_dz2 / m, W2.grad.numpy(), rtol=1e-12)
assert np.allclose(dl_dz2.mean(), b2.grad.numpy(), rtol=1e-12)

# %% [markdown]
# ### The exercise's computation graph, drawn and stepped
#
# One sample, with every tensor named as on the slide. `F.binary_cross_entropy` is one step
# with its own local rule, $\partial l/\partial\lambda = (\lambda - y)/(\lambda(1 - \lambda))$,
# the slide's $-\frac y\lambda + \frac{1 - y}{1 - \lambda}$ over a common denominator. The
# second picture is the graph after the step through $a_1 W_2$, which sends
# $\frac{\partial l}{\partial z_2} a_1$ to $W_2$.

# %%
for t in params.values():
    t.grad = None
x1 = ag.tensor(rng.standard_normal(N))
y1 = ag.tensor([1.0])
xW1 = x1 @ W1
z1 = xW1 + b1
a1 = ag.relu(z1)
a1W2 = a1 @ W2
z2 = a1W2 + b2
lam1 = ag.sigmoid(z2)
l1 = F.binary_cross_entropy(lam1, y1)
names = {"x": x1, "y": y1, "xW1": xW1, "z1": z1, "a1": a1, "a1W2": a1W2, "z2": z2,
         "lambda": lam1, "l": l1, **params}
for k, t in names.items():
    t.name = k
display(viz.draw_graph(l1))
stepper = viz.BackwardStepper(l1, names=names)
for record in stepper:
    print(record.text)
w2_step = next(r.index for r in stepper.steps if r.op == "MatMul")  # the step that makes dl/dW2
display(stepper.draw(step=w2_step, rankdir="TB"))
dz2_1 = lam1.item() - 1.0
assert np.allclose(W2.grad.numpy(), dz2_1 * a1.numpy(), rtol=1e-12)  # dl/dW2 = dl/dz2 a1
assert np.isclose(b2.grad.item(), dz2_1)  # dl/db2 = dl/dz2

# %% [markdown]
# ## One hidden layer with an L2 term, J = L + s (lecture 003)
#
# The lecture's forward pass for one example $\mathbf x \in \mathbb R^d$:
# $\mathbf z = \mathbf W^{(1)}\mathbf x$, $\mathbf h = \phi(\mathbf z)$,
# $\mathbf o = \mathbf W^{(2)}\mathbf h$, the loss $L = l(\mathbf o, y)$, the regularisation term
# $s = \frac\lambda2(\|\mathbf W^{(1)}\|_F^2 + \|\mathbf W^{(2)}\|_F^2)$ and the objective
# $J = L + s$. We take $\phi = \mathrm{ReLU}$, $l = \tfrac12\|\mathbf o - \mathbf y\|^2$ and
# $\lambda = 0.1$.
#
# ### The slide's computation graph of J = L + s
#
# Drawn by the engine from what it recorded: $\mathbf x \to \mathbf z \to \mathbf h \to
# \mathbf o \to L$ on one side, the two weight matrices feeding both the chain and $s$, and
# $J = L + s$ at the bottom.

# %%
d_in, q_hid, k_out, lam_l2 = 3, 4, 2, 0.1
x = ag.tensor(rng.standard_normal(d_in))
yv = ag.tensor(rng.standard_normal(k_out))
Wa = ag.tensor(rng.standard_normal((q_hid, d_in)), requires_grad=True)
Wb = ag.tensor(rng.standard_normal((k_out, q_hid)), requires_grad=True)
zz = Wa @ x
hh = ag.relu(zz)
oo = Wb @ hh
L2loss = 0.5 * ((oo - yv) ** 2).sum()
s_pen = lam_l2 / 2 * ((Wa**2).sum() + (Wb**2).sum())
J = L2loss + s_pen
for k, t in {"x": x, "y": yv, "W(1)": Wa, "W(2)": Wb, "z": zz, "h": hh, "o": oo, "L": L2loss,
             "s": s_pen, "J": J}.items():
    t.name = k
viz.draw_graph(J)

# %% [markdown]
# ### ∂J/∂W⁽²⁾ = ∂L/∂o hᵀ + λW⁽²⁾, checked against backward
#
# $\partial J/\partial L = \partial J/\partial s = 1$; $\mathbf W^{(2)}$ reaches $J$ along two
# paths (through $\mathbf o$ and through $s$), and the lecture adds them:
# $\frac{\partial J}{\partial\mathbf W^{(2)}} = \frac{\partial L}{\partial\mathbf o}\mathbf h^\top
# + \lambda\mathbf W^{(2)}$. Further down, $\frac{\partial J}{\partial\mathbf h} =
# \mathbf W^{(2)\top}\frac{\partial L}{\partial\mathbf o}$, $\frac{\partial J}{\partial\mathbf z}
# = \frac{\partial J}{\partial\mathbf h}\odot\phi'(\mathbf z)$ and
# $\frac{\partial J}{\partial\mathbf W^{(1)}} = \frac{\partial J}{\partial\mathbf z}\mathbf x^\top
# + \lambda\mathbf W^{(1)}$. Here $\partial L/\partial\mathbf o = \mathbf o - \mathbf y$.
#
# Before backward frees the graph, we measure what it keeps (next section), so the backward
# here keeps the graph.

# %%
J.backward(retain_graph=True)
dL_do = oo.numpy() - yv.numpy()
dJ_dW2 = np.outer(dL_do, hh.numpy()) + lam_l2 * Wb.numpy()
dJ_dz = (Wb.numpy().T @ dL_do) * (zz.numpy() > 0)
dJ_dW1 = np.outer(dJ_dz, x.numpy()) + lam_l2 * Wa.numpy()
print(f"max |dL/do h^T + lambda W2 - W2.grad| = {np.abs(dJ_dW2 - Wb.grad.numpy()).max():.1e}")
print(f"max |dJ/dz x^T + lambda W1 - W1.grad| = {np.abs(dJ_dW1 - Wa.grad.numpy()).max():.1e}")
assert np.allclose(dJ_dW2, Wb.grad.numpy(), rtol=1e-12, atol=1e-15)  # the text's claims
assert np.allclose(dJ_dW1, Wa.grad.numpy(), rtol=1e-12, atol=1e-15)

# %% [markdown]
# ### The memory kept for backward
#
# "We need to retain the intermediate values until backpropagation is complete": each op keeps
# the arrays its VJP rule reads (`Node.saved_arrays()`); the `saved_bytes` overlay colours each
# op by that number. The two matmuls keep their inputs, ReLU its input, the squares theirs; the
# sums and the final add keep nothing (their rules need only shapes).

# %%
display(viz.draw_graph(J, overlay="saved_bytes"))


def graph_nodes(root):
    """Every recorded op of the graph of ``root`` (a walk over ``next_functions``)."""
    seen, stack, out = set(), [root.grad_fn], []
    while stack:
        node = stack.pop()
        if node is None or isinstance(node, ag.Tensor) or id(node) in seen:
            continue
        seen.add(id(node))
        out.append(node)
        stack.extend(node.next_functions)
    return out


def kept_arrays(root):
    """The arrays the graph of ``root`` keeps for backward, each once (by identity)."""
    return {id(a): a for node in graph_nodes(root) for _, a in node.saved_arrays()}


def activation_bytes(root):
    """Bytes kept for backward apart from the parameters (leaves that require grad), which
    the graph only refers to."""
    params = {id(t.data) for node in graph_nodes(root) for t in node.next_functions
              if isinstance(t, ag.Tensor)}
    return sum(a.nbytes for i, a in kept_arrays(root).items() if i not in params)


for node in graph_nodes(J):
    kept = ", ".join(f"{label} {a.shape}" for label, a in node.saved_arrays()) or "-"
    print(f"{str(node):17s} {sum(a.nbytes for _, a in node.saved_arrays()):4d} B  {kept}")
total = sum(a.nbytes for a in kept_arrays(J).values())
print(f"kept for backward: {total} B (each array once), of which {activation_bytes(J)} B "
      "are not parameters")
assert activation_bytes(J) == 8 * (d_in + 2 * q_hid + k_out) + 32  # the text's claim

# %% [markdown]
# Besides the parameters, which the graph refers to without copying, it keeps $\mathbf x$ (read
# by the first matmul), $\mathbf z$ (by the ReLU), $\mathbf h$ (by the second matmul) and
# $\mathbf o - \mathbf y$ (by the square), and the four scalars of the two products with a
# constant: $8(d + 2q + k) + 32$ bytes in float64, for $q$ hidden units and $k$ outputs.
#
# For one example the stored intermediates are the size of the activations; for a mini-batch
# of $m$ examples (columns of $\mathbf X \in \mathbb R^{d\times m}$) they grow linearly in $m$
# while the parameters stay put. With the sizes of an MNIST classifier ($d = 784$, 256 hidden
# units, 10 outputs), at $m = 512$ the graph keeps more than the weights themselves.
# Once backward has run (without `retain_graph`), every node has released its arrays.

# %%
Wbig1 = ag.tensor(rng.standard_normal((256, 784)) * 0.05, requires_grad=True)
Wbig2 = ag.tensor(rng.standard_normal((10, 256)) * 0.05, requires_grad=True)
param_bytes = Wbig1.numpy().nbytes + Wbig2.numpy().nbytes
batch_sizes = [1, 8, 32, 128, 512, 1024]
kept = []
for mb in batch_sizes:
    Xb = ag.tensor(rng.standard_normal((784, mb)))
    Ob = Wbig2 @ ag.relu(Wbig1 @ Xb)
    Jb = 0.5 * (Ob**2).sum() / mb + lam_l2 / 2 * ((Wbig1**2).sum() + (Wbig2**2).sum())
    kept.append(activation_bytes(Jb))
Jb.backward()
assert all(node.saved_arrays() == [] for node in graph_nodes(Jb))  # freed by backward
per_example = (kept[-1] - kept[-2]) / (batch_sizes[-1] - batch_sizes[-2])
print(f"parameters: {param_bytes / 2**20:.2f} MiB; kept per extra example: {per_example:.0f} B "
      f"(= 8 bytes x (784 + 256 + 256 + 10))")
assert per_example == 8 * (784 + 256 + 256 + 10)  # x, z, h and o, float64: the text's claim
assert kept[batch_sizes.index(512)] > param_bytes

plt.figure(figsize=(5.5, 3.5))
plt.loglog(batch_sizes, np.array(kept) / 2**20, "o-", label="activations kept for backward")
plt.axhline(param_bytes / 2**20, color="k", ls=":", label="the two weight matrices")
m_cross = param_bytes / per_example
plt.axvline(m_cross, color="gray", lw=0.8)
plt.annotate(f"equal at m = {m_cross:.0f}", (m_cross, param_bytes / 2**20), xytext=(8, -28),
             textcoords="offset points", fontsize=10)
plt.xlabel("mini-batch size m")
plt.ylabel("MiB")
plt.legend(fontsize=10)
plt.title("memory of the graph of J = L + s")
plt.show()

# %% [markdown]
# **Takeaways.** The closed-form gradients of the lectures are what `backward()` computes; the
# engine gets them by applying one small VJP rule per op, right to left, which is the delta
# recursion without ever materialising a Jacobian. A weight used along two paths (the network
# and the L2 term) gets the sum of both. The price is memory: each op keeps what its rule reads
# until backward has passed it, and for a mini-batch that grows with the batch. The gradient norm
# per layer in the deep-chain plot is the quantity notebook 8 studies when it asks whether
# gradients vanish or explode.
#
# ## Exercises
#
# 1. **Another entry by hand.** Write $\partial L/\partial w^1_{32}$ of the lecture-001 network
#    as a sum over the data (fill in `dL_dw1_32`) and check it against `V1.grad`.
# 2. **The L2 MLP on a mini-batch.** With the examples as the columns of
#    $\mathbf X \in \mathbb R^{d\times m}$ and $J = \frac1m\sum_i L_i + s$, write
#    $\partial J/\partial\mathbf W^{(1)}$ in matrix form (fill in `dJ_dW1_batch`).
# 3. **Memory.** A network $784 \to 128 \to 128 \to 10$ with ReLUs, in float64: how many bytes
#    does its graph keep per extra example? Predict it (`bytes_per_example`) and measure it
#    with `activation_bytes`.
#
# The cell below holds reference solutions; replace them with yours and run it.


# %%
def dL_dw1_32(X, y, W1, W2):
    total = 0.0
    for xi, yi in zip(X, y):
        out = np.tanh(W2 @ sig(W1 @ xi))[0]
        u3 = W1[2, 0] * xi[0] + W1[2, 1] * xi[1]  # hidden unit 3's input
        total += (out - yi) * (1 - out**2) * W2[0, 2] * sig(u3) * (1 - sig(u3)) * xi[1]
    return total


def dJ_dW1_batch(X, Y, W1, W2, lam):
    Z = W1 @ X
    dL_dO = (W2 @ np.maximum(Z, 0) - Y) / X.shape[1]
    return ((W2.T @ dL_dO) * (Z > 0)) @ X.T + lam * W1


bytes_per_example = 8 * (784 + 128 + 128 + 128 + 128 + 10)  # x, z1, h1, z2, h2, o

assert np.isclose(dL_dw1_32(Xd, yd, V1n, V2n), V1.grad.numpy()[2, 1], rtol=1e-12)

Xe, Ye = rng.standard_normal((d_in, 6)), rng.standard_normal((k_out, 6))
Wa.grad = None
Je = 0.5 * ((Wb.detach() @ ag.relu(Wa @ ag.tensor(Xe)) - ag.tensor(Ye)) ** 2).sum() / 6
(Je + lam_l2 / 2 * ((Wa**2).sum() + (Wb.detach() ** 2).sum())).backward()
assert np.allclose(dJ_dW1_batch(Xe, Ye, Wa.numpy(), Wb.numpy(), lam_l2), Wa.grad.numpy())

sizes, layers = (1, 2), [ag.tensor(rng.standard_normal(s) * 0.05, requires_grad=True)
                         for s in [(128, 784), (128, 128), (10, 128)]]
measured = []
for mb in sizes:
    hcur = ag.tensor(rng.standard_normal((784, mb)))
    for i, Wl in enumerate(layers):
        hcur = Wl @ hcur if i == len(layers) - 1 else ag.relu(Wl @ hcur)
    measured.append(activation_bytes((hcur**2).sum()))
assert measured[1] - measured[0] == bytes_per_example, (measured, bytes_per_example)
print("all exercise checks pass")
ag.set_default_dtype(np.float32)
