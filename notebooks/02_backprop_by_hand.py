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
# All three agree to rounding error, and we see why the engine never builds a Jacobian.

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

import autograd_lite as ag

plt.rcParams["figure.dpi"] = 80
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
plt.legend(fontsize=8)
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
# **Takeaways.** The closed-form gradients of the lecture are what `backward()` computes; the
# engine gets them by applying one small VJP rule per op, right to left, which is the delta
# recursion without ever materialising a Jacobian. The gradient norm per layer in the last plot
# is the quantity notebook 8 studies when it asks whether gradients vanish or explode.

# %%
ag.set_default_dtype(np.float32)
