# ---
# jupyter:
#   autograd_lite:
#     dot: false
#     requires:
#     - nn
#     - optim
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 13. Custom layers, derivative checks, physics-informed networks and stable ResNets
#
# **What this notebook teaches.** How to add your own layer and make sure its derivatives are
# right, and two uses of derivatives beyond training a classifier (after dnn101, the lectures'
# own repository):
#
# * a layer with a hand-written backward (`ag.Function`), checked by `ag.testing.gradcheck`
#   (finite differences) and by the **Taylor test** ($E_0 \sim h$, $E_1 \sim h^2$), which also
#   shows what a wrong backward looks like;
# * a **physics-informed network** for the Poisson equation $-u'' = f$, whose loss contains
#   $u''$, a second derivative taken through the network with `create_graph=True`;
# * the **antisymmetric residual layer** $\mathbf u_{j+1} = \mathbf u_j + h\,\sigma((\mathbf K -
#   \mathbf K^\top - \gamma \mathbf I)\mathbf u_j + \mathbf b)$, whose forward propagation
#   neither blows up nor collapses, unlike a plain residual layer.
#
# Everything is computed in float64 (derivative checks compare numbers close to round-off).

# %%
# %matplotlib inline
import time

import matplotlib.pyplot as plt
import numpy as np

import autograd_lite as ag
from autograd_lite import nn, optim

plt.rcParams["figure.dpi"] = 100
plt.rcParams["legend.fontsize"] = 9
ag.set_default_dtype(np.float64)
ag.manual_seed(0)

# %% [markdown]
# ## A custom layer with its own backward
#
# dnn101's *Testing Layers* notebook builds the residual layer
# $\mathbf z = \mathbf u + \tanh(\mathbf K \mathbf u)$ and writes its backward by hand. With
# $\mathbf a = \tanh(\mathbf K \mathbf u)$ and the incoming gradient $\mathbf v =
# \partial L / \partial \mathbf z$, the chain rule gives
#
# $$\frac{\partial L}{\partial \mathbf u} = \mathbf v + \mathbf K^\top\big((1 - \mathbf a^2)
# \odot \mathbf v\big), \qquad
# \frac{\partial L}{\partial \mathbf K} = \big((1 - \mathbf a^2) \odot \mathbf v\big)
# \mathbf u^\top .$$
#
# The data are stored as rows ($\mathbf u$ is $N \times n$), so in code the products are
# transposed: $\mathbf Z = \mathbf U + \tanh(\mathbf U \mathbf K^\top)$. The backward is written
# with Tensor operations, so it is itself differentiable (second derivatives work too). It
# recomputes $\mathbf a$ from the saved inputs: `forward` runs without recording a graph, so an
# $\mathbf a$ saved there would be a constant to a second differentiation, and the second
# derivatives would be silently wrong (as in PyTorch).


# %%
class SpecialResidual(ag.Function):
    """z = u + tanh(u K^T), rows of u are samples."""

    @staticmethod
    def forward(ctx, u, K):
        ctx.save_for_backward(u, K)
        return u + ag.tanh(u @ K.T)

    @staticmethod
    def backward(ctx, v):
        u, K = ctx.saved_tensors
        a = ag.tanh(u @ K.T)  # recomputed from the inputs, so that it depends on them
        g = (1 - a * a) * v  # the gradient at the input of tanh
        return v + g @ K, g.T @ u


class ForgotTheSkip(SpecialResidual):
    """The same layer with a typical bug: the identity term v of dL/du is missing."""

    @staticmethod
    def backward(ctx, v):
        u, K = ctx.saved_tensors
        a = ag.tanh(u @ K.T)
        g = (1 - a * a) * v
        return g @ K, g.T @ u


class SpecialResidualLayer(nn.Module):
    def __init__(self, n, function=SpecialResidual):
        super().__init__()
        self.weight = nn.Parameter(ag.randn(n, n) / np.sqrt(n))
        self.function = function

    def forward(self, u):
        return self.function.apply(u, self.weight)


u = ag.randn(11, 3, requires_grad=True)
K = ag.randn(3, 3, requires_grad=True)
z = SpecialResidual.apply(u, K)
print(z.grad_fn, z.shape)

# the same layer built from ops, differentiated by the engine: the two must agree
z_ops = u + ag.tanh(u @ K.T)
w = ag.randn(11, 3)
g_custom = ag.grad((z * w).sum(), (u, K))
g_engine = ag.grad((z_ops * w).sum(), (u, K))
print("largest difference from the engine's gradients:",
      max(float(np.abs(a.numpy() - b.numpy()).max()) for a, b in zip(g_custom, g_engine)))
assert all(np.allclose(a.numpy(), b.numpy(), atol=1e-12) for a, b in zip(g_custom, g_engine))

# %% [markdown]
# ### gradcheck: finite differences
#
# `ag.testing.gradcheck` compares every entry of the Jacobian with a central difference
# $(f(x + \epsilon e_i) - f(x - \epsilon e_i)) / 2\epsilon$. The correct layer passes; the one that
# forgot the skip term fails (asked not to raise, it returns `False`). Since the backward is made
# of Tensor ops, `gradgradcheck` (second derivatives) passes as well.

# %%
ok = ag.testing.gradcheck(SpecialResidual.apply, (u, K))
ok2 = ag.testing.gradgradcheck(SpecialResidual.apply, (u, K))
bad = ag.testing.gradcheck(ForgotTheSkip.apply, (u, K), raise_exception=False)
print(f"gradcheck: correct layer {ok}, second derivatives {ok2}, layer with the bug {bad}")
assert ok and ok2 and not bad  # the text's claims, checked

# %% [markdown]
# ### The Taylor test: $E_0 \sim h$, $E_1 \sim h^2$
#
# gradcheck needs one pair of forward passes per input entry. The Taylor test needs a handful,
# whatever the size: along a random direction $\mathbf p$,
#
# $$E_0(h) = |f(\mathbf x + h\mathbf p) - f(\mathbf x)| = O(h), \qquad
# E_1(h) = |f(\mathbf x + h \mathbf p) - f(\mathbf x) - h\,\langle \nabla f(\mathbf x),
# \mathbf p\rangle| = O(h^2)$$
#
# if, and only if, the gradient is right along $\mathbf p$: halving $h$ halves $E_0$ and divides
# $E_1$ by 4. With a wrong gradient $E_1$ falls only like $E_0$. We test the loss of the layer
# (a random projection of $\mathbf z$, taken by `taylor_test`) in both $\mathbf u$ and
# $\mathbf K$ together, as dnn101 does.

# %%
rep = ag.testing.taylor_test(SpecialResidual.apply, (u, K), steps=12)
rep_bad = ag.testing.taylor_test(ForgotTheSkip.apply, (u, K), steps=12)
rep

# %%
print("with the bug:", rep_bad.summary())
print("observed orders (E0, E1): correct", (round(rep.order0, 2), round(rep.order, 2)),
      " bug", (round(rep_bad.order0, 2), round(rep_bad.order, 2)))
assert rep.passed and abs(rep.order0 - 1) < 0.1 and abs(rep.order - 2) < 0.1
assert not rep_bad.passed and abs(rep_bad.order - 1) < 0.1  # the text's claims, checked

fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
for ax, r, title in [(axes[0], rep, "correct backward"),
                     (axes[1], rep_bad, "backward with the bug")]:
    ax.loglog(r.h, r.E0, "o-", label="$E_0$")
    ax.loglog(r.h, r.E1, "s-", label="$E_1$")
    ax.loglog(r.h, r.E0[0] * r.h / r.h[0], "k:", label="slope 1 ($\\sim h$)")
    ax.loglog(r.h, r.E1[0] * (r.h / r.h[0]) ** 2, "k--", label="slope 2 ($\\sim h^2$)")
    ax.set_xlabel("$h$")
    ax.set_title(f"{title}: $E_1$ order {r.order:.2f}")
    ax.legend()
axes[0].set_ylabel("Taylor error")
plt.tight_layout()
plt.show()

# %% [markdown]
# On the left $E_1$ follows the $h^2$ line over the whole range of $h$; on the right it runs
# parallel to
# $E_0$: the first-order model with the wrong gradient is no better than the constant model.
#
# ## A physics-informed network for $-u'' = f$
#
# The boundary-value problem
#
# $$-u''(x) = f(x) \text{ on } (0, 1), \qquad u(0) = u(1) = 0, \qquad f(x) = \pi^2 \sin(\pi x)$$
#
# has the solution $u^*(x) = \sin(\pi x)$. A physics-informed neural network (PINN, dnn101's
# `pinns`) needs no solution data: a network $u_\theta(x)$ is trained so that the equation holds
# at collocation points $x_i$ and the boundary values are met,
#
# $$L(\theta) = \frac1m \sum_{i=1}^m \big(u_\theta''(x_i) + f(x_i)\big)^2
# + \frac{\lambda}{2} \big(u_\theta(0)^2 + u_\theta(1)^2\big).$$
#
# The second derivative in $x$ comes from two calls of `ag.grad` with `create_graph=True`: the
# first derivative is itself a graph that can be differentiated again, and the loss built from
# $u''$ is differentiated a third time, in $\theta$, by `backward()`. Because each $u_\theta(x_i)$
# depends only on its own $x_i$, the gradient of $\sum_i u_\theta(x_i)$ with respect to the
# vector $x$ is the vector of the $u_\theta'(x_i)$.


# %%
def second_derivative(net, x):
    u = net(x)
    (du,) = ag.grad(u.sum(), x, create_graph=True)
    (d2u,) = ag.grad(du.sum(), x, create_graph=True)
    return u, du, d2u


ag.manual_seed(0)
pinn = nn.Sequential(nn.Linear(1, 20), nn.Tanh(), nn.Linear(20, 20), nn.Tanh(), nn.Linear(20, 1))
x_col = ag.tensor(np.linspace(0, 1, 42)[1:-1, None], requires_grad=True)  # 40 interior points
f_col = np.pi**2 * ag.sin(np.pi * x_col.detach())
x_bd = ag.tensor([[0.0], [1.0]])
lam = 10.0

# first, check that the engine's u'' is the second derivative of the network
x_chk = ag.tensor([[0.3], [0.7]], requires_grad=True)
_, du_chk, d2u_chk = second_derivative(pinn, x_chk)
eps = 1e-4
with ag.no_grad():
    xs = x_chk.detach()
    fd2 = (pinn(xs + eps) - 2 * pinn(xs) + pinn(xs - eps)) / eps**2
print("u'' by create_graph:", d2u_chk.numpy().ravel(), " by finite differences:",
      fd2.numpy().ravel())
assert np.allclose(d2u_chk.numpy(), fd2.numpy(), atol=1e-5)  # the text's claims, checked

opt = optim.Adam(pinn.parameters(), lr=1e-2)
sched = optim.lr_scheduler.StepLR(opt, step_size=500, gamma=0.3)
history = []
t0 = time.perf_counter()
for it in range(1500):
    opt.zero_grad()
    _, _, d2u = second_derivative(pinn, x_col)
    loss_pde = ((d2u + f_col) ** 2).mean()
    loss_bd = 0.5 * lam * (pinn(x_bd) ** 2).sum()
    loss = loss_pde + loss_bd
    loss.backward()
    opt.step()
    sched.step()
    history.append((loss_pde.item(), loss_bd.item()))
history = np.array(history)
print(f"1500 Adam steps in {time.perf_counter() - t0:.1f} s; final PDE loss {history[-1, 0]:.2e}, "
      f"boundary loss {history[-1, 1]:.2e}")

# %% [markdown]
# ### The PINN's error against the exact solution

# %%
x_test = np.linspace(0, 1, 201)[:, None]
x_t = ag.tensor(x_test, requires_grad=True)
u_t, du_t, d2u_t = second_derivative(pinn, x_t)
u_pred, d2u_pred = u_t.detach().numpy().ravel(), d2u_t.detach().numpy().ravel()
xt = x_test.ravel()
u_exact = np.sin(np.pi * xt)
err = np.abs(u_pred - u_exact)
print(f"max |u_theta - u*| on 201 points: {err.max():.2e} (at x = {xt[err.argmax()]:.3f}); "
      f"max |u_theta(0)|, |u_theta(1)|: {max(abs(u_pred[0]), abs(u_pred[-1])):.1e}")
res_max = np.abs(d2u_pred + np.pi**2 * np.sin(np.pi * xt)).max()
print(f"max |u_theta'' + f| on the same points: {res_max:.2e} (f itself is up to {np.pi**2:.2f})")
assert err.max() < 1e-3 and res_max < 0.2  # the text's claims, checked

fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
axes[0].plot(xt, u_exact, "k-", lw=3, alpha=0.4, label="exact $\\sin(\\pi x)$")
axes[0].plot(xt, u_pred, "C0--", label="PINN $u_\\theta$")
axes[0].plot(x_col.detach().numpy(), np.zeros(40), "C1|", ms=8, label="collocation points")
axes[0].set_xlabel("$x$")
axes[0].set_title("solution")
axes[0].legend()
axes[1].semilogy(xt, err, "C3")
axes[1].plot(xt[err.argmax()], err.max(), "kv", label=f"max {err.max():.1e}")
axes[1].set_xlabel("$x$")
axes[1].set_title("$|u_\\theta - u^*|$")
axes[1].legend()
axes[2].semilogy(history[:, 0], label="PDE residual")
axes[2].semilogy(history[:, 1], label="boundary")
for k in (500, 1000):
    axes[2].axvline(k, color="gray", lw=0.8, ls=":")
axes[2].set_xlabel("Adam step (dotted: learning rate x 0.3)")
axes[2].set_title("loss terms")
axes[2].legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# The network matches $\sin(\pi x)$ to better than $10^{-3}$ without seeing a single value of
# it: only the equation and the boundary values. Its $u_\theta''$ is within $0.2$ of $-f$ (of
# size up to $\pi^2$) at the collocation points and between them.
#
# ## The antisymmetric residual layer (dnn101's dynamics)
#
# A residual network $\mathbf u_{j+1} = \mathbf u_j + h\,\sigma(\mathbf K \mathbf u_j +
# \mathbf b)$ is the forward Euler method, step $h$, for the ODE $\dot{\mathbf u} =
# \sigma(\mathbf K \mathbf u + \mathbf b)$ (Haber and Ruthotto, *Stable architectures for deep
# neural networks*, 2017). Whether a deep network amplifies or damps small changes of its input
# is whether the ODE does: its Jacobian is $\mathbf D \mathbf K$ with $\mathbf D =
# \operatorname{diag}(\sigma')$; eigenvalues with positive real part make perturbations grow like
# $e^{\operatorname{Re}\lambda\, t}$, negative ones make different inputs merge.
#
# The antisymmetric layer replaces $\mathbf K$ by $\mathbf A = \mathbf K - \mathbf K^\top -
# \gamma\mathbf I$. The eigenvalues of $\mathbf K - \mathbf K^\top$ are purely imaginary, $\pm
# i\omega_k$, and so are those of $\mathbf D(\mathbf K - \mathbf K^\top)$ (it is similar to
# $\mathbf D^{1/2} (\mathbf K - \mathbf K^\top)\mathbf D^{1/2}$, again antisymmetric): the ODE
# neither grows nor shrinks. Forward Euler adds a little growth, $|1 + i h\omega| > 1$; the
# damping $\gamma$ removes it when $|1 + h(i\omega_k - \gamma)| \le 1$ for all $k$, i.e.
# $\gamma \gtrsim h\,\omega_{\max}^2 / 2$.
#
# As in dnn101's `ResNet`, one layer (one $\mathbf K$, one $\mathbf b$) is applied at every step.


# %%
class AntisymmetricResidual(nn.Module):
    """u + h tanh((K - K^T - gamma I) u + b), dnn101's AntiSymmetricLayer inside an Euler step."""

    def __init__(self, n, h=0.1, gamma=0.2):
        super().__init__()
        self.weight = nn.Parameter(ag.randn(n, n) / np.sqrt(n))
        self.bias = nn.Parameter(0.1 * ag.randn(n))
        self.h, self.gamma = h, gamma

    def matrix(self):
        return self.weight - self.weight.T - self.gamma * ag.eye(self.weight.shape[0])

    def forward(self, u):
        return u + self.h * ag.tanh(u @ self.matrix().T + self.bias)


class PlainResidual(AntisymmetricResidual):
    """u + h tanh(K u + b), with the same K and b."""

    def matrix(self):
        return self.weight


n, depth = 8, 100
ag.manual_seed(1)
anti = AntisymmetricResidual(n)
plain = PlainResidual(n)
plain.load_state_dict(anti.state_dict())  # the very same K and b

Kn = anti.weight.detach().numpy()
ev = np.linalg.eigvals(Kn - Kn.T)
rho = np.abs(np.linalg.eigvals(np.eye(n) + anti.h * anti.matrix().detach().numpy())).max()
print("eigenvalues of K - K^T:", np.round(np.sort_complex(ev), 3))
print(f"largest |real part| {np.abs(ev.real).max():.1e}; eigenvalues of K: real parts from "
      f"{np.linalg.eigvals(Kn).real.min():+.2f} to {np.linalg.eigvals(Kn).real.max():+.2f}")
print(f"Euler step of the antisymmetric layer: max |1 + h mu| = {rho:.4f} "
      f"(h = {anti.h}, gamma = {anti.gamma}, h omega_max^2 / 2 = "
      f"{anti.h * np.abs(ev).max() ** 2 / 2:.3f})")
assert np.abs(ev.real).max() < 1e-12 and rho <= 1  # purely imaginary; stable steps: checked
assert np.linalg.eigvals(Kn).real.max() > 0.2  # the plain layer's K has growing directions

# %% [markdown]
# ### Forward propagation: antisymmetric vs plain
#
# We push 200 random inputs through 100 steps of each layer and record, step by step, the
# feature norms $\|\mathbf u_j\|$ and, for each input, how much a tiny perturbation
# $\boldsymbol\delta$ of it has been stretched, $\|\mathbf u_j(\mathbf x + \boldsymbol\delta) -
# \mathbf u_j(\mathbf x)\| / \|\boldsymbol\delta\|$; and the largest real part of the
# eigenvalues of the Jacobian $\mathbf D_j \mathbf A$ at the features.


# %%
def propagate(layer, x, depth):
    out, spec = [x.numpy()], []
    A = layer.matrix().detach().numpy()
    with ag.no_grad():
        for _ in range(depth):
            D = 1 - np.tanh(x.numpy() @ A.T + layer.bias.numpy()) ** 2  # sigma', (N, n)
            spec.append(max(np.linalg.eigvals(d[:, None] * A).real.max() for d in D[:20]))
            x = layer(x)
            out.append(x.numpy())
    return np.array(out), np.array(spec)


rng = np.random.default_rng(0)
X0 = rng.standard_normal((200, n))
delta = 1e-6 * rng.standard_normal((200, n))
result = {}
for name, layer in [("antisymmetric", anti), ("plain", plain)]:
    U, spec = propagate(layer, ag.tensor(X0), depth)
    V, _ = propagate(layer, ag.tensor(X0 + delta), depth)
    stretch = np.linalg.norm(V - U, axis=2) / np.linalg.norm(delta, axis=1)
    result[name] = dict(norm=np.linalg.norm(U, axis=2), stretch=stretch, spec=spec)
    print(f"{name:13s}: median |u_0| {np.median(result[name]['norm'][0]):.2f}, median "
          f"|u_{depth}| {np.median(result[name]['norm'][-1]):.2f}; stretch at step {depth} "
          f"(5%, 50%, 95%): {np.round(np.percentile(stretch[-1], [5, 50, 95]), 2)}; "
          f"largest Re(eig) of D_j A: {spec.max():+.3f}")
ra, rp = result["antisymmetric"], result["plain"]
assert np.median(ra["norm"][-1]) < np.median(ra["norm"][0]) < np.median(rp["norm"][-1]) / 3
assert np.percentile(ra["stretch"][-1], 95) < 3 < 5 < np.percentile(rp["stretch"][-1], 95)
assert ra["spec"].max() <= 0 < rp["spec"].min()  # the text's claims, checked

fig, axes = plt.subplots(1, 3, figsize=(13, 3.7))
j = np.arange(depth + 1)
for c, (name, r) in zip(["C0", "C3"], result.items()):
    for ax, key in [(axes[0], "norm"), (axes[1], "stretch")]:
        lo, med, hi = np.percentile(r[key], [5, 50, 95], axis=1)
        ax.fill_between(j, lo, hi, color=c, alpha=0.2)
        ax.plot(j, med, c, label=f"{name} (median, 5-95%)")
    axes[2].plot(np.arange(depth), r["spec"], c, label=name)
axes[0].set_title("feature norm $\\Vert u_j \\Vert$")
axes[1].set_title("stretch of a small perturbation")
axes[1].set_yscale("log")
axes[2].axhline(0, color="k", lw=0.8)
axes[2].set_title("largest Re $\\lambda(D_j A)$ at step $j$")
for ax in axes:
    ax.set_xlabel("step (layer) $j$")
    ax.legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# The plain layer's features drift away (once $\tanh$ saturates they move by about $h$ per
# layer) and it stretches some perturbations by an order of magnitude: its Jacobians have
# eigenvalues with positive real part. Through the antisymmetric layer, features and
# perturbations keep their size to within a factor of about 3 over 100 layers, shrinking slowly
# because of the damping $\gamma$: all its Jacobian eigenvalues have real part $\le 0$, a
# distance of order $\gamma\sigma'$ from the imaginary axis.
#
# ### In the plane: orbits vs a saddle
#
# With two features the dynamics can be watched. One layer without bias, applied 150 times
# ($h = 0.1$), to a ring of inputs. The $\mathbf K$ below has real eigenvalues of both signs (a
# saddle): the plain layer stretches the ring along one eigenvector and squashes it along the
# other, so inputs that started apart end up close together. The antisymmetric layer with the
# same $\mathbf K$ turns the ring around the origin (shrinking it a little, by the damping
# $\gamma = 0.05$) and keeps its points evenly apart.

# %%
K2 = np.array([[0.5, 1.0], [0.2, -0.5]])
gamma2 = 0.05
print("eigenvalues of K:", np.round(np.linalg.eigvals(K2), 3),
      " of K - K^T:", np.round(np.linalg.eigvals(K2 - K2.T), 3))
theta = np.linspace(0, 2 * np.pi, 24, endpoint=False)
ring = 0.5 * np.stack([np.cos(theta), np.sin(theta)], axis=1)
fig, axes = plt.subplots(1, 2, figsize=(10, 4.6))
spread = {}
for ax, (name, M) in zip(axes, [("antisymmetric", K2 - K2.T - gamma2 * np.eye(2)),
                                 ("plain", K2)]):
    traj = [ring]
    u2, M2 = ag.tensor(ring), ag.tensor(M)
    for _ in range(150):
        u2 = u2 + 0.1 * ag.tanh(u2 @ M2.T)
        traj.append(u2.numpy())
    traj = np.array(traj)
    for i in range(0, 24, 2):
        ax.plot(traj[:, i, 0], traj[:, i, 1], lw=0.8, color=plt.cm.twilight(i / 24))
    ax.plot(ring[:, 0], ring[:, 1], "ko", ms=3, label="inputs")
    ax.plot(traj[-1, :, 0], traj[-1, :, 1], "r^", ms=4, label="after 150 layers")
    gaps = np.linalg.norm(traj[-1] - np.roll(traj[-1], 1, axis=0), axis=1)
    spread[name] = (gaps.min(), gaps.max())
    ax.set_title(f"{name}: neighbours {gaps.min():.3f} to {gaps.max():.2f} apart")
    ax.set_aspect("equal")
    ax.legend(loc="lower right")
plt.tight_layout()
plt.show()
gap0 = float(np.linalg.norm(ring[0] - ring[1]))
print(f"neighbouring inputs are {gap0:.3f} apart")
assert spread["antisymmetric"][0] > gap0 / 2 and spread["plain"][0] < gap0 / 3
assert spread["plain"][1] > 50 * gap0  # the text's claims, checked

# %% [markdown]
# **Takeaways.** A custom op needs only a forward and a backward; `gradcheck` and the Taylor
# test catch a wrong backward (the Taylor test with a few evaluations, in any dimension). With
# `create_graph=True` derivatives can be taken of derivatives, which is all a PINN needs. And the
# structure of a layer's weight matrix decides the stability of a deep residual network's
# forward pass.
#
# ## Exercises
#
# 1. **A custom layer of your own.** Write `ScaledTanh`, an `ag.Function` computing
#    $\alpha \tanh(\mathbf x)$ for a Tensor $\mathbf x$ and a Tensor scalar $\alpha$, with its
#    backward (one gradient per input, shaped like it). Check it with `gradcheck` and
#    `taylor_test` (the cell below does, with a reference solution in place of yours).
# 2. **Heat, not Poisson.** Change the PINN to $-u'' = f$ with $f(x) = 4\pi^2 \sin(2\pi x)$
#    (exact solution $\sin(2\pi x)$). Does the same network reach the same error in 1500 steps?
#    What helps: more collocation points, a wider network, more steps?
# 3. **Damping.** In the antisymmetric layer, set $\gamma = 0$ and then $\gamma = 1$. Compute
#    $\max_k |1 + h(i\omega_k - \gamma)|$ for each and predict, before running, what happens to
#    the feature norms over 100 layers; then run it.


# %%
class ScaledTanh(ag.Function):  # exercise 1: replace this reference solution by your own
    @staticmethod
    def forward(ctx, x, alpha):
        ctx.save_for_backward(x, alpha)
        return alpha * ag.tanh(x)

    @staticmethod
    def backward(ctx, g):
        x, alpha = ctx.saved_tensors
        t = ag.tanh(x)
        return g * alpha * (1 - t * t), (g * t).sum()


x_ex = ag.randn(4, 3, requires_grad=True)
alpha_ex = ag.tensor(1.7, requires_grad=True)
assert ag.testing.gradcheck(ScaledTanh.apply, (x_ex, alpha_ex))
assert ag.testing.taylor_test(ScaledTanh.apply, (x_ex, alpha_ex)).passed
print("exercise 1: gradcheck and Taylor test passed")
