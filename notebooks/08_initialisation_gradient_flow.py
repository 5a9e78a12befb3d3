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
# * vanishing gradients: in a deep sigmoid network the gradient shrinks layer by layer
#   (the sigmoid's slope is at most 1/4), while ReLU keeps it alive;
# * exploding products: the lecture's product of 100 random $4 \times 4$ Gaussian matrices;
# * the symmetry of a constant initialisation, which no amount of training breaks;
# * PyTorch's default, Xavier and LeCun initialisations compared by the activations and
#   gradients they produce.

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

import autograd_lite as ag

plt.rcParams["figure.dpi"] = 80
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
# ## The symmetry of a constant initialisation
#
# If every weight starts at the same value, every hidden unit computes the same function and
# receives the same gradient, so they stay identical forever: the layer behaves like a single
# unit. A random initialisation breaks the symmetry. Below, a width-8 hidden layer trained for
# 200 steps on a regression problem from both starts.

# %%
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
a1.legend(fontsize=8)
a2.set_xlabel("layer")
a2.set_ylabel("std of dL/dW")
a2.legend(fontsize=8)
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
