# ---
# jupyter:
#   autograd_lite:
#     dot: false
#     requires:
#     - nn
#     - optim
#     - data
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 9. Width vs depth, dense layers, and universal approximation
#
# **What this notebook teaches.** The crash-course experiment (lecture 000): fit a function
# $F: \mathbb{R} \to \mathbb{R}$ with fully connected networks of several widths and depths,
# all trained with Adam for the same number of steps, and compare final training and validation
# losses on two heat maps; then the lecture's deep corner (depth 32), where the initialisation
# decides whether anything trains. Dense layers, which feed every earlier layer's output
# forward, keep deep networks trainable. Last, the universal approximation theorem at work: a
# single hidden layer, growing wider, approximates the target better and better.

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

import autograd_lite as ag

plt.rcParams["figure.dpi"] = 100
ag.manual_seed(0)
import time

from matplotlib.colors import LogNorm

from autograd_lite import nn, optim
from autograd_lite.data import make_regression_1d


def target(x):
    return np.sin(3 * x) + 0.5 * np.cos(7 * x)


X_train, y_train = make_regression_1d(
    n_samples=200, noise=0.05, seed=0, func=target, low=-1.5, high=1.5
)
X_val, y_val = make_regression_1d(
    n_samples=200, noise=0.05, seed=1, func=target, low=-1.5, high=1.5
)
Xt, yt, Xv, yv = (ag.tensor(a) for a in (X_train, y_train, X_val, y_val))
print(X_train.shape, y_train.shape)


# %% [markdown]
# ## Width x depth: heat maps of training and validation loss (lecture 000)
#
# Each network is `Linear(1, w)`, then `depth - 1` blocks `Tanh, Linear(w, w)`, then
# `Tanh, Linear(w, 1)`: `depth` hidden layers of width `w`. Full-batch Adam, learning rate
# $3\cdot 10^{-3}$, 300 steps, the same seed for all, PyTorch's default initialisation. The
# grid: widths 4, 8, 16, 32 times depths 1, 2, 4, 8; each cell is one trained network, coloured
# by its final loss (log scale), training set on the left, the 200 held-out points on the right.


# %%
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


def fit(model, steps=300, lr=3e-3):
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
        train = loss_fn(model(Xt), yt).item()
        val = loss_fn(model(Xv), yv).item()
    return curve, train, val


widths, depths = [4, 8, 16, 32], [1, 2, 4, 8]
train_map = np.zeros((len(depths), len(widths)))
val_map = np.zeros_like(train_map)
results = {}
t0 = time.perf_counter()
for i, depth in enumerate(depths):
    for j, width in enumerate(widths):
        ag.manual_seed(0)
        model = mlp(width, depth)
        curve, train_map[i, j], val_map[i, j] = fit(model)
        results[width, depth, "default"] = (curve, val_map[i, j], model)
print(f"trained {train_map.size} networks in {time.perf_counter() - t0:.1f} s")

fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
norm = LogNorm(vmin=min(train_map.min(), val_map.min()), vmax=1)
titles = ["final training loss", "final validation loss"]
for ax, M, title in zip(axes, [train_map, val_map], titles):
    im = ax.imshow(M, cmap="viridis_r", norm=norm, origin="lower")
    for i in range(len(depths)):
        for j in range(len(widths)):
            ax.text(j, i, f"{M[i, j]:.3f}", ha="center", va="center", fontsize=9,
                    color="w" if M[i, j] < 0.03 else "k")
    i, j = np.unravel_index(M.argmin(), M.shape)
    ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec="r", lw=2))
    ax.set_xticks(range(len(widths)), widths)
    ax.set_yticks(range(len(depths)), depths)
    ax.set_xlabel("width")
    ax.set_ylabel("depth (hidden layers)")
    ax.set_title(title + " (red: smallest)")
fig.colorbar(im, ax=axes, shrink=0.9, label="MSE")
plt.show()

# %% [markdown]
# From two hidden layers on, wider is better in every row, and for the narrowest networks
# deeper is better in the column; the single tanh layer is the weakest row (one bump per unit
# is little for a target with this many wiggles). Validation losses track training losses
# (each within 30%): 200 points of a smooth target with small noise leave no room to overfit
# at this budget.

# %%
for i, depth in enumerate(depths):
    if depth >= 2:
        assert np.all(np.diff(train_map[i]) < 0)  # the text's claims, checked
assert np.all(np.diff(train_map[:, 0]) < 0)
assert train_map[0].min() > train_map[1:].min()
assert np.all(val_map < 1.3 * train_map)
print("best:", f"width {widths[train_map.argmin() % 4]}, depth {depths[train_map.argmin() // 4]}")

# %% [markdown]
# ### Depth 32: the lecture's deep corner
#
# The lecture's grid goes to depth 32. With the same budget, three more networks: widths 4
# and 32 at depth 32 with the default initialisation, and the 32 x 32 network again with Xavier
# initialisation and the tanh gain 5/3.


# %%
def xavier_tanh(w):
    return nn.init.xavier_uniform_(w, gain=5 / 3)


t0 = time.perf_counter()
for width, init in [(4, "default"), (32, "default"), (32, "Xavier 5/3")]:
    ag.manual_seed(0)
    model = mlp(width, 32, init=xavier_tanh if init != "default" else None)
    curve, _, val = fit(model)
    results[width, 32, init] = (curve, val, model)
print(f"trained 3 networks in {time.perf_counter() - t0:.1f} s\n")
print(
    f"{'width':>6s} {'depth':>6s} {'init':>11s} {'params':>7s} "
    f"{'final train loss':>17s} {'final val loss':>15s}"
)
corners = [(4, 4, "default"), (32, 4, "default"), (4, 32, "default"), (32, 32, "default"),
           (32, 32, "Xavier 5/3")]
for key in corners:
    curve, val, model = results[key]
    n_params = sum(p.size for p in model.parameters())
    print(f"{key[0]:6d} {key[1]:6d} {key[2]:>11s} {n_params:7d} {curve[-1]:17.4f} {val:15.4f}")
final = {key: results[key][0][-1] for key in corners}
assert final[32, 4, "default"] < final[4, 4, "default"]  # the text's claims, checked
assert (
    min(final[4, 32, "default"], final[32, 32, "default"])
    > 0.3
    > 0.05
    > final[32, 32, "Xavier 5/3"]
)

# %%
fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 3.8))
xs = np.linspace(-1.5, 1.5, 300)[:, None]
a2.plot(xs, target(xs), "k", lw=2, label="target")
for key in corners:
    curve, val, model = results[key]
    a1.semilogy(curve, label=f"width {key[0]}, depth {key[1]}, {key[2]}")
    with ag.no_grad():
        a2.plot(
            xs,
            model(ag.tensor(xs.astype(np.float32))).numpy(),
            label=f"w {key[0]}, d {key[1]}, {key[2]}",
        )
a1.set_xlabel("Adam step")
a1.set_ylabel("training loss")
a1.legend(fontsize=9)
a2.scatter(X_train, y_train, s=4, c="grey", alpha=0.5)
a2.legend(fontsize=9, loc="lower left")
plt.tight_layout()
plt.show()

# %% [markdown]
# Read the table rather than a rule of thumb. At depth 4, the wider network fits better. At
# depth 32 with the default initialisation, neither width gets anywhere within the budget: the
# gradient reaching the lower layers through 32 tanh layers has all but vanished (notebook 8).
# The same 32 x 32 network with an initialisation scaled for tanh does train: depth is usable
# only when gradients can flow.
#
# ## Dense layers (lecture 000)
#
# Lecture 000's fourth layer type lets layer $j$ see all earlier ones,
# $\mathbf u_j = f(\mathbf u_{j-1}, \mathbf u_{j-2}, \dots, \mathbf u_0, \theta)$. The usual
# choice (DenseNet, Huang et al.) concatenates a new block of $g$ features (the *growth rate*)
# to everything computed so far:
#
# $$\mathbf u_j = \begin{bmatrix} \mathbf u_{j-1} \\
#   \sigma(\mathbf K_j \mathbf u_{j-1} + \mathbf b_j) \end{bmatrix},$$
#
# so $\mathbf u_{j-1}$ already holds $\mathbf u_0, \dots, \mathbf u_{j-2}$ and the width grows
# by $g$ per layer: $\dim \mathbf u_j = \dim \mathbf u_0 + j g$. Built from `nn.Linear`,
# `ag.tanh` and `ag.cat`:


# %%
class DenseLayer(nn.Module):
    """u -> [u, tanh(K u + b)]: the input is passed on, g new features are appended."""

    def __init__(self, n_in, growth):
        super().__init__()
        self.lin = nn.Linear(n_in, growth)

    def forward(self, u):
        return ag.cat([u, ag.tanh(self.lin(u))], axis=1)


def dense_net(depth, growth, n_in=1):
    layers = [DenseLayer(n_in + j * growth, growth) for j in range(depth)]
    return nn.Sequential(*layers, nn.Linear(n_in + depth * growth, 1))


ag.manual_seed(0)
net = dense_net(depth=4, growth=4)
u = Xt[:5]
print(f"u_0: {u.shape}")
for j, layer in enumerate(net[:-1], start=1):
    u = layer(u)
    print(f"u_{j}: {u.shape}")
    assert u.shape == (5, 1 + 4 * j)  # the text's claims, checked
print(f"output: {net[-1](u).shape}")

# %% [markdown]
# Every layer's features reach the output layer directly, so the gradient of the loss with
# respect to the first layer's weights does not have to pass through all the later tanh layers.
# A dense network of 16 layers with growth 4 against the plain 16 x 4 tanh network, same
# budget: first the size of the first layer's gradient at initialisation, then the final losses.

# %%
runs = {}
makers = {"plain, width 4": lambda: mlp(4, 16), "dense, growth 4": lambda: dense_net(16, 4)}
for name, make in makers.items():
    ag.manual_seed(0)
    model = make()
    first = next(iter(model.parameters()))  # the first layer's weight
    nn.MSELoss()(model(Xt), yt).backward()
    g0 = np.abs(first.grad.numpy()).mean()
    model.zero_grad()
    curve, train, val = fit(model)
    n_params = sum(p.size for p in model.parameters())
    runs[name] = (curve, train, val, g0)
    print(f"{name:16s}: {n_params:5d} parameters, mean |dL/dK_1| at init {g0:.1e}, "
          f"final train loss {train:.4f}, val loss {val:.4f}")
assert runs["dense, growth 4"][3] > 1000 * runs["plain, width 4"][3]  # the text's claims, checked
assert runs["dense, growth 4"][1] < runs["plain, width 4"][1] / 5

plt.figure(figsize=(6, 3.6))
for name, (curve, *_) in runs.items():
    plt.semilogy(curve, label=f"16 layers, {name}")
plt.xlabel("Adam step")
plt.ylabel("training loss")
plt.legend(fontsize=9)
plt.title("dense vs plain, depth 16")
plt.show()

# %% [markdown]
# At initialisation the dense network's first layer receives a gradient thousands of times
# larger; it trains at once, while the plain network of the same depth sits on a plateau for
# about 100 steps and ends ten times higher. (The dense network also
# has more parameters, its last layers being wide: see the exercises.)
#
# ## Universal approximation: one hidden layer, growing width
#
# The theorem says that a single hidden layer with enough units approximates any continuous
# function on a compact set. Fit the same target with one tanh hidden layer of width
# 1, 3, 10 and 50.

# %%
ua_widths = [1, 3, 10, 50]
fig, axes = plt.subplots(1, len(ua_widths), figsize=(13, 3), sharey=True)
errors = []
for ax, w in zip(axes, ua_widths):
    ag.manual_seed(0)
    model = mlp(w, 1)
    curve, _, val = fit(model, steps=1500, lr=1e-2)
    errors.append(val)
    with ag.no_grad():
        pred = model(ag.tensor(xs.astype(np.float32))).numpy()
    ax.plot(xs, target(xs), "k", lw=1.5)
    ax.plot(xs, pred, "C3")
    ax.set_title(f"width {w}: val MSE {val:.4f}")
plt.tight_layout()
plt.show()
for w, e in zip(ua_widths, errors):
    print(f"one hidden layer of width {w:3d}: validation MSE {e:.4f}")
assert errors[-1] < errors[1] < errors[0]  # the text's claims, checked

# %% [markdown]
# **Takeaways.** One wide hidden layer can approximate the target (the error falls with the
# width), but how well a network *trains* within a budget depends on width, depth and the flow
# of gradients together, which is why the next notebook adds residual connections.

# %% [markdown]
# ## Exercises
#
# 1. **Count the parameters.** Write the number of parameters of `mlp(width, depth)` (one
#    input, one output) as a formula in `n_params` below; the cell checks it on the heat map's
#    grid.
# 2. **The dense network's size.** Show that `dense_net(depth, growth)` has
#    $\sum_{j=0}^{L-1} (1 + j g + 1)\, g + (1 + L g + 1)$ parameters for $L$ layers of growth
#    $g$, and put it in `n_params_dense`. Which plain network of depth 16 has about as many?
# 3. **Overfitting.** Rerun the heat maps with only the first 20 training points
#    (`Xt, yt = Xt[:20], yt[:20]`). Which cells now have a validation loss far above their
#    training loss? (Open question: no check.)

# %%
def n_params(width, depth):  # your answer (this is the reference solution)
    return (1 * width + width) + (depth - 1) * (width * width + width) + (width + 1)


def n_params_dense(depth, growth):  # your answer (reference solution)
    return sum((1 + j * growth + 1) * growth for j in range(depth)) + (1 + depth * growth + 1)


for w in widths:
    for d in depths:
        assert n_params(w, d) == sum(p.size for p in mlp(w, d).parameters()), "exercise 1: not yet"
assert n_params_dense(16, 4) == sum(p.size for p in dense_net(16, 4).parameters()), "exercise 2"
print("exercises 1 and 2 checked; dense_net(16, 4) has", n_params_dense(16, 4), "parameters")
