# ---
# jupyter:
#   autograd_lite:
#     dot: false
#     requires:
#     - nn
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 8. Initialisation and the flow of gradients
#
# **What this notebook teaches.** Why the starting point of training matters:
#
# * the activations of lecture 001 (step, logistic, ReLU, softplus, tanh) and their
#   derivatives, computed by `backward()`, which decide how gradients pass through a layer;
# * vanishing gradients: in a deep sigmoid network the gradient shrinks layer by layer
#   (the sigmoid's slope is at most 1/4), while ReLU keeps it alive;
# * exploding products: the lecture's product of 100 random $4 \times 4$ Gaussian matrices;
# * the symmetry of a constant initialisation, which no amount of training breaks, and
#   dropout, which does break it;
# * PyTorch's default, Xavier and LeCun initialisations compared by the activations and
#   gradients they produce.

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

import autograd_lite as ag

plt.rcParams["figure.dpi"] = 100
ag.manual_seed(0)
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
    """Norm of dL/dW for every Linear layer, input side first."""
    model.zero_grad()
    (model(x) ** 2).mean().backward()
    return [m.weight.grad.numpy().std() for m in model.modules() if isinstance(m, nn.Linear)]


# %% [markdown]
# ## Activation functions and their derivatives (lecture 001)
#
# Lecture 001's table of activations, with tanh added:
#
# | name | $\sigma(x)$ | $\sigma'(x)$ |
# |---|---|---|
# | step | $1_{\{x>0\}}$ | $0$ for $x \ne 0$ |
# | logistic | $1/(1+e^{-x})$ | $\sigma(x)(1-\sigma(x))$ |
# | ReLU | $\max\{x, 0\}$ | $1_{\{x>0\}}$ for $x \ne 0$ |
# | soft-plus | $\log(1+e^x)$ | $1/(1+e^{-x})$ |
# | tanh | $\tanh x$ | $1 - \tanh^2 x$ |
#
# The derivatives below are not typed in: each activation is applied elementwise to a grid of
# points $x_i$, and `backward()` of $\sum_i \sigma(x_i)$ leaves $\sigma'(x_i)$ in `x.grad`
# (each term depends on its own $x_i$ only). The formulas of the table then check them. The step
# function is written `where(x > 0, 1 + 0 x, 0 x)` so that the engine follows $x$ through it.

# %%
xs = ag.linspace(-4, 4, 401, dtype=np.float64)  # contains x = 0


def step(x):
    return ag.where(x > 0, 1 + 0 * x, 0 * x)


activations = {
    "step": step,
    "logistic": ag.sigmoid,
    "ReLU": ag.relu,
    "soft-plus": nn.functional.softplus,
    "tanh": ag.tanh,
}
values, slopes = {}, {}
for name, f in activations.items():
    x = xs.detach().requires_grad_()
    y = f(x)
    y.sum().backward()  # d/dx_i of sum_j f(x_j) = f'(x_i)
    values[name], slopes[name] = y.detach().numpy(), x.grad.numpy()

v = xs.numpy()
s_ = 1 / (1 + np.exp(-v))
formulas = {
    "step": np.zeros_like(v),
    "logistic": s_ * (1 - s_),
    "ReLU": (v > 0).astype(float),
    "soft-plus": 1 / (1 + np.exp(-v)),
    "tanh": 1 - np.tanh(v) ** 2,
}
for name in activations:
    err = np.abs(slopes[name] - formulas[name]).max()
    at0 = slopes[name][200]
    print(f"{name:9s}: max |backward - formula| = {err:.1e}; slope at x = 0: {at0:.3f}")
    assert err < 1e-12  # the text's claims, checked
assert slopes["logistic"].max() == 0.25 and slopes["tanh"].max() == 1.0
assert np.allclose(slopes["soft-plus"], values["logistic"])  # soft-plus' = logistic

fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 3.8))
for name in activations:
    a1.plot(v, values[name], label=name)
    a2.plot(v, slopes[name], label=name)
a2.plot(0, 0.25, "k.", ms=8)
a2.annotate("max of logistic' = 1/4", (0, 0.25), (0.6, 0.12), fontsize=9,
            arrowprops={"arrowstyle": "->"})
a1.set_ylim(-1.2, 3)
a1.set_title(r"activations $\sigma(x)$")
a2.set_title(r"derivatives $\sigma'(x)$, computed by backward()")
for a in (a1, a2):
    a.set_xlabel("x")
    a.legend(fontsize=9)
    a.grid(alpha=0.3)
plt.tight_layout()
plt.show()

# %% [markdown]
# At $x = 0$, where step and ReLU have no derivative, the engine returns 0 (PyTorch's
# convention). The step function's derivative is 0 wherever it exists, so gradient descent gets
# no signal through it; that is why the smooth logistic replaced it. Logistic and soft-plus have
# continuous derivatives, step and ReLU do not; soft-plus' derivative *is* the logistic. The
# logistic's slope never exceeds $1/4$, and tanh's reaches 1 only at 0: the next section shows
# what a product of twenty such slopes does.


# %% [markdown]
# ## Vanishing gradients: sigmoid vs tanh vs ReLU
#
# A network of 20 hidden layers of width 64. Each activation gets the initialisation designed
# for it (Xavier for sigmoid, Xavier with the tanh gain 5/3, Kaiming for ReLU), and ReLU also
# with PyTorch's default `Linear` initialisation. We backpropagate the mean squared output on a
# batch of 128 random inputs and look at the size of the gradient of each layer's weights.

# %%
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
plt.xlabel("layer (1 = input side)")
plt.ylabel("std of dL/dW")
plt.legend()
plt.title(f"gradient size per layer, depth {depth}")
plt.show()
for name, v in norms.items():
    print(f"{name:22s}: first layer / last hidden layer gradient ratio = {v[0] / v[-2]:.1e}")
ratio = {name: v[0] / v[-2] for name, v in norms.items()}
assert (
    ratio["sigmoid, Xavier"] < 1e-6 and ratio["ReLU, PyTorch default"] < 1e-3
)  # the text's claims, checked
assert 0.1 < ratio["tanh, Xavier gain 5/3"] < 10 and 0.1 < ratio["ReLU, Kaiming"] < 10

# %% [markdown]
# Backprop multiplies, at each sigmoid layer, by $\sigma'(z) \le 1/4$, and no reasonable
# initialisation compensates: the gradient reaching the first layers is many orders of
# magnitude smaller than at the top, so those layers barely learn. With tanh (slope 1 at 0) and
# ReLU (slope 1 where active), an initialisation scaled for the activation keeps the gradient
# within about an order of magnitude across all 20 layers; PyTorch's default scale (variance
# $1/(3\,\text{fan-in})$), too small for ReLU, makes it vanish too.
#
# ## Exploding products
#
# Lecture 003: draw 100 Gaussian $4 \times 4$ matrices and multiply them. The norm of the product
# grows exponentially (the top Lyapunov exponent of the product is positive); a gradient passing
# through 100 such Jacobians would overflow.

# %%
rng = np.random.default_rng(0)
M = ag.tensor(rng.standard_normal((4, 4)), dtype=np.float64)
print("a single matrix\n", M.numpy().round(3))
norms_prod = [np.linalg.norm(M.numpy())]
P = M
for k in range(99):
    P = P @ ag.tensor(rng.standard_normal((4, 4)), dtype=np.float64)
    norms_prod.append(np.linalg.norm(P.numpy()))
rate = np.polyfit(np.arange(100), np.log(norms_prod), 1)[0]
print(f"after 100 matrices: |P| = {norms_prod[-1]:.3e}; growth rate {np.exp(rate):.2f}x per matrix")
plt.figure(figsize=(6, 3.5))
plt.semilogy(range(1, 101), norms_prod)
plt.xlabel("number of matrices multiplied")
plt.ylabel("Frobenius norm of the product")
plt.title("a product of random 4x4 Gaussian matrices")
plt.show()

# %% [markdown]
# ## The symmetry of a constant initialisation (lecture 003)
#
# If every weight starts at the same value, every hidden unit computes the same function and
# receives the same gradient, so they stay identical forever: the layer behaves like a single
# unit. A random initialisation breaks the symmetry. Below, a width-8 hidden layer trained for
# 200 steps on a regression problem from both starts.

# %%
from autograd_lite.data import make_regression_1d

Xr, yr = make_regression_1d(n_samples=128, noise=0.05, seed=0, func=np.sin, low=-3, high=3)
Xr, yr = ag.tensor(Xr), ag.tensor(yr)


def make_model(constant, p_drop=0.0):
    ag.manual_seed(0)
    drop = [nn.Dropout(p_drop)] if p_drop > 0 else []
    model = nn.Sequential(nn.Linear(1, 8), nn.Tanh(), *drop, nn.Linear(8, 1))
    if constant:
        for p in model.parameters():
            nn.init.constant_(p, 0.3)
    return model


def train(constant, p_drop=0.0, steps=200):
    model = make_model(constant, p_drop)
    opt = ag.optim.Adam(model.parameters(), lr=0.02)
    for _ in range(steps):
        opt.zero_grad()
        loss = nn.MSELoss()(model(Xr), yr)
        loss.backward()
        opt.step()
    model.eval()  # dropout off: the loss of the network as it will be used
    with ag.no_grad():
        return model, nn.MSELoss()(model(Xr), yr).item()


runs = {"constant 0.3": (True, 0.0), "default (random)": (False, 0.0)}
fig, axes = plt.subplots(1, 2, figsize=(10, 3.2))
for ax, (label, (constant, p_drop)) in zip(axes, runs.items()):
    model, final = train(constant, p_drop)
    W = model[0].weight.numpy()
    spread = np.ptp(W[:, 0])
    print(
        f"{label:17s}: spread of the 8 hidden weights after training = {spread:.2e}, "
        f"loss {final:.4f}"
    )
    assert (spread == 0) if constant else (spread > 0.1)  # the text's claims, checked
    ax.bar(range(8), W[:, 0])
    ax.set_title(f"first-layer weights, init {label}")
    ax.set_xlabel("hidden unit")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Dropout breaks the symmetry (lectures 001 and 003)
#
# Lecture 003: "SGD would never break symmetry but dropout regularization would." Dropout
# (lecture 001's regulariser: neurons "muted" at random) zeroes each hidden activation with
# probability $p$ during training, independently for every unit and every sample, and scales
# the survivors by $1/(1-p)$. Two hidden units that compute the same value are then muted on
# different samples, so their gradients differ. The same constant start, with `Dropout(0.1)`
# after the tanh layer: first the gradient of the first step, unit by unit, then the weights
# after 200 steps.

# %%
for p_drop in (0.0, 0.1):
    model = make_model(constant=True, p_drop=p_drop)
    nn.MSELoss()(model(Xr), yr).backward()
    g = model[0].weight.grad.numpy()[:, 0]
    print(f"dropout p = {p_drop}: first-step dL/dw of the 8 hidden units = {np.round(g, 4)}")
    assert (np.ptp(g) == 0) if p_drop == 0 else (np.ptp(g) > 1e-3)  # the text's claims, checked

model_d, loss_d = train(constant=True, p_drop=0.1)
_, loss_c = train(constant=True)
_, loss_r = train(constant=False)
W_d = model_d[0].weight.numpy()[:, 0]
print(
    f"constant init + dropout 0.1: spread of the hidden weights = {np.ptp(W_d):.2f}, "
    f"loss {loss_d:.4f} (constant, no dropout: {loss_c:.4f}; random init: {loss_r:.4f})"
)
assert np.ptp(W_d) > 0.1 and len(np.unique(W_d)) == 8  # the text's claims, checked
assert loss_r < loss_d / 3

fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.2))
a1.bar(range(8), W_d)
a1.set_ylim(0, 1.5)
a1.set_title("first-layer weights, constant init + dropout 0.1")
a1.set_xlabel("hidden unit")
grid_x = np.linspace(-3, 3, 200, dtype=np.float32)[:, None]
with ag.no_grad():
    H = model_d[1](model_d[0](ag.tensor(grid_x))).numpy()
a2.plot(grid_x, H, lw=1)
a2.set_title(r"the 8 hidden units $\tanh(w_k x + b_k)$ after training")
a2.set_xlabel("x")
plt.tight_layout()
plt.show()

# %% [markdown]
# With dropout the eight units receive eight different gradients from the first step on, and
# end with eight different weights: the symmetry is broken. It is broken only gently, though:
# the units start from the same point and stay close, so after 200 steps the network is still
# far from what the random start reaches. Dropout is a regulariser that happens to break
# symmetry; a random initialisation is the cure.

# %% [markdown]
# ## Default, Xavier and LeCun initialisations
#
# For a linear layer with fan-in $n$, the output variance is $n\,\mathrm{Var}(w)\,\mathrm{Var}(x)$.
# LeCun's $\mathrm{Var}(w) = 1/n$ (the lecture's $U[-c, c]$ with $c = \sqrt{3/n}$) keeps it
# constant;
# Xavier's $2/(n_\text{in} + n_\text{out})$ balances forward and backward passes; PyTorch's default
# $U(-1/\sqrt n, 1/\sqrt n)$ has variance $1/(3n)$, a third of LeCun's. But tanh contracts
# (its slope is below 1 away from 0), so for tanh the variance needs the extra gain $(5/3)^2$.
# In a 30-layer tanh network of width 64 (where Xavier without gain equals LeCun), compare the
# scale of the activations and of the weight gradients per layer, including an initialisation
# three times too wide:

# %%
inits = {
    "PyTorch default": None,
    "LeCun uniform": nn.init.lecun_uniform_,
    "Xavier, gain 5/3": lambda w: nn.init.xavier_uniform_(w, gain=5 / 3),
    "LeCun, c x 3": lambda w: nn.init.uniform_(
        w, -3 * np.sqrt(3 / w.shape[1]), 3 * np.sqrt(3 / w.shape[1])
    ),
}
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
    print(
        f"{name:16s}: activation std at layer 1 = {acts[0]:.3f}, at layer 30 = {acts[-1]:.3g}; "
        f"dL/dW std at layer 1 = {g[0]:.1e}, at layer 30 = {g[-2]:.1e}"
    )
a1.set_xlabel("layer")
a1.set_ylabel("std of tanh activations")
a1.legend(fontsize=9)
a2.set_xlabel("layer")
a2.set_ylabel("std of dL/dW")
a2.legend(fontsize=9)
plt.tight_layout()
plt.show()

# %% [markdown]
# The default and LeCun scales let the activations shrink with depth and the first layers'
# gradients vanish; Xavier with the tanh gain keeps both steady; three times too wide saturates
# the units (activations near $\pm 1$) and the gradients grow towards the input.
#
# **Takeaways.** Gradients are products of per-layer Jacobians, so their size changes
# geometrically with depth: sigmoid's small slope makes them vanish, large random matrices make
# them explode. Initialisation scaled to the fan-in and to the activation (Xavier with gain for
# tanh, Kaiming for ReLU) keeps activations and gradients at a steady scale, and random (not
# constant) values break the symmetry between units.

# %% [markdown]
# ## Exercises
#
# 1. **The derivative of leaky ReLU.** $\sigma(x) = \max\{x, 0.01 x\}$. Write its derivative
#    (for $x \ne 0$) in `leaky_slope` below; the cell checks it against `backward()` through
#    `nn.functional.leaky_relu`.
# 2. **How deep before the signal is gone?** Each logistic layer multiplies the gradient by at
#    most $1/4$. Find the smallest depth $L$ at which this bound, $(1/4)^L$, is below $10^{-6}$,
#    and put it in `depth_for_1e6`.
# 3. **More dropout.** Rerun `train(constant=True, p_drop=p)` for $p = 0.3$ and $0.5$. Is the
#    spread of the hidden weights larger or smaller than with $p = 0.1$, and why might the loss
#    (dropout off) be worse? (Open question: no check.)

# %%
def leaky_slope(x):
    return np.where(x > 0, 1.0, 0.01)  # your answer (this is the reference solution)


depth_for_1e6 = int(np.ceil(6 / np.log10(4)))  # your answer (reference solution)

x = ag.tensor(np.array([-2.0, -0.5, 0.3, 4.0]), requires_grad=True)
nn.functional.leaky_relu(x, 0.01).sum().backward()
assert np.allclose(leaky_slope(x.detach().numpy()), x.grad.numpy()), "exercise 1: not yet"
assert 0.25**depth_for_1e6 < 1e-6 <= 0.25 ** (depth_for_1e6 - 1), "exercise 2: not yet"
print(f"exercise 1 checked; exercise 2: L = {depth_for_1e6}")
