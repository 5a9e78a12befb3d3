# ---
# jupyter:
#   autograd_lite:
#     dot: true
#     requires:
#     - nn
#     - optim
#     - data
#     - viz
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 10. Residual and convolutional networks
#
# **What this notebook teaches.** Two of the lectures' layer types (lecture 000's residual and
# convolutional layers; lecture 001's weight sharing and pooling) on a small image task:
#
# * the residual layer $\mathbf u_j = \mathbf u_{j-1} + \sigma(\mathbf K_j \mathbf u_{j-1} +
# \mathbf b_j)$,
#   which lets a deep network train where the plain version with the same layers stalls;
# * the convolutional layer, which shares its weights across positions, with pooling.
#
# The images are generated here (8x8 pixels, four classes of strokes at random positions with
# noise), so the notebook needs nothing beyond autograd_lite. We finish with the graph of one
# training step of the CNN.

# %%
# %matplotlib inline
import time

import matplotlib.pyplot as plt
import numpy as np

import autograd_lite as ag
from autograd_lite import nn, optim, viz
from autograd_lite.data import DataLoader, TensorDataset

plt.rcParams["figure.dpi"] = 100
plt.rcParams["legend.fontsize"] = 9
ag.manual_seed(0)

# %% [markdown]
# ## The data: strokes on an 8x8 grid
#
# Class 0: a horizontal stroke, 1: vertical, 2: diagonal, 3: anti-diagonal; random position and
# length 4 to 6, random intensity, Gaussian pixel noise.

# %%
CLASSES = ["horizontal", "vertical", "diagonal", "anti-diagonal"]


def make_strokes(n, seed):
    rng = np.random.default_rng(seed)
    X = np.zeros((n, 1, 8, 8), dtype=np.float32)
    y = rng.integers(0, 4, size=n)
    for i, c in enumerate(y):
        L = rng.integers(4, 7)
        r, s = rng.integers(0, 8 - L + 1, size=2)
        k = np.arange(L)
        rows, cols = {
            0: (np.full(L, rng.integers(0, 8)), s + k),
            1: (r + k, np.full(L, rng.integers(0, 8))),
            2: (r + k, s + k),
            3: (r + k, s + L - 1 - k),
        }[int(c)]
        X[i, 0, rows, cols] = rng.uniform(0.7, 1.0)
    X += 0.25 * rng.standard_normal(X.shape).astype(np.float32)
    return X, y


X_train, y_train = make_strokes(1200, seed=0)
X_test, y_test = make_strokes(400, seed=1)
fig, axes = plt.subplots(2, 8, figsize=(11, 3.2))
for ax, img, c in zip(axes.ravel(), X_train, y_train):
    ax.imshow(img[0], cmap="gray_r")
    ax.set_title(CLASSES[c], fontsize=9)
    ax.axis("off")
plt.tight_layout()
plt.show()
print("train", X_train.shape, "test", X_test.shape, "class counts", np.bincount(y_train))


# %%
def train(model, epochs=20, lr=1e-2, seed=0):
    ag.manual_seed(seed)
    loader = DataLoader(
        TensorDataset(ag.tensor(X_train), ag.tensor(y_train)), batch_size=32, shuffle=True
    )
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


# %% [markdown]
# ## Plain vs residual: the same layers, with and without the skip
#
# The residual layer of lecture 000, $\mathbf u_j = \mathbf u_{j-1} + \sigma(\mathbf K_j
# \mathbf u_{j-1} + \mathbf b_j)$, against the plain layer $\mathbf u_j = \sigma(\mathbf K_j
# \mathbf u_{j-1} + \mathbf b_j)$.
# Both networks flatten the image, map it to 32 features, apply 12 layers
# $\sigma(\mathbf K \mathbf u + \mathbf b)$ with the sigmoid, and classify. The residual network
# adds the identity around each of the 12 layers (`nn.Residual`). Same initialisation seed,
# same optimiser.


# %%
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
    print(
        f"{name:9s}: final training loss {runs[name][0][-1]:.3f}, test accuracy {runs[name][1]:.3f}"
    )
assert (
    runs["plain"][1] < 0.35 and runs["residual"][1] > runs["plain"][1] + 0.2
)  # the text's claims, checked
print(f"({time.perf_counter() - t0:.1f} s)")

# %% [markdown]
# The plain stack of sigmoids stays near chance (its gradients vanish, as in notebook 8); the
# residual version trains, because the identity path carries the gradient past every layer:
# $\partial \mathbf u_j / \partial \mathbf u_{j-1} = I + \text{(layer Jacobian)}$.
#
# ## A small convolutional network
#
# Weight sharing and pooling (lecture 001): two 3x3 convolutions with ReLU and 2x2 max pooling,
# then a linear classifier on the $16 \times 2 \times 2$ features. It has far fewer weights than
# the MLPs, because each filter is shared across all positions, the right prior for strokes that
# can appear anywhere.

# %%
ag.manual_seed(0)
cnn = nn.Sequential(
    nn.Conv2d(1, 8, kernel_size=3, padding=1),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Conv2d(8, 16, kernel_size=3, padding=1),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Flatten(),
    nn.Linear(16 * 2 * 2, 4),
)
t0 = time.perf_counter()
runs["CNN"] = train(cnn, epochs=8)


def count(m):
    return sum(p.size for p in m.parameters())


print(
    f"CNN: {count(cnn)} parameters (residual MLP: {count(layers_mlp(True))}); "
    f"final training loss {runs['CNN'][0][-1]:.3f}, test accuracy {runs['CNN'][1]:.3f} "
    f"({time.perf_counter() - t0:.1f} s)"
)
assert (
    runs["CNN"][1] > 0.9 and count(cnn) < count(layers_mlp(True)) / 5
)  # the text's claims, checked

fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 3.4), gridspec_kw={"width_ratios": [1.3, 1]})
for i, (name, (curve, acc)) in enumerate(runs.items()):
    a1.plot(range(1, len(curve) + 1), curve, "o-", ms=3, color=f"C{i}",
            label=f"{name} (test acc {acc:.2f})")
    k = int(np.argmin(curve))
    a1.plot(k + 1, curve[k], "v", color=f"C{i}", ms=9, mec="k")
a1.plot([], [], "v", color="gray", mec="k", label="lowest training loss")
a1.set_xlabel("epoch")
a1.set_ylabel("training loss")
a1.legend()
W = cnn[0].weight.numpy()[:, 0]
M = np.full((7, 15), np.nan)  # the 8 filters in a 2 x 4 grid, one blank row/column between
for i, w in enumerate(W):
    M[4 * (i // 4):4 * (i // 4) + 3, 4 * (i % 4):4 * (i % 4) + 3] = w
v = np.nanmax(np.abs(M))
a2.imshow(M, cmap="RdBu_r", vmin=-v, vmax=v)
a2.set_title("the 8 learned 3x3 filters of the first layer", fontsize=10)
a2.axis("off")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## The graph of one training step
#
# One step of the CNN on a batch of two images: every op of the forward pass, grouped by the
# module that ran it, with the gradients after `backward()`. Large tensors are summarised
# (mean, min, max).

# %%
xb, yb = ag.tensor(X_test[:2]), ag.tensor(y_test[:2])
xb.name, yb.name = "images", "labels"
loss = nn.CrossEntropyLoss()(cnn(xb), yb)
loss.backward(retain_graph=True)  # keep the graph so the intermediates show their values
viz.draw_graph(loss, rankdir="TB")

# %% [markdown]
# **Takeaways.** Residual connections keep a deep stack trainable by giving the gradient an
# identity path; convolutions share weights across positions, which suits images and needs far
# fewer parameters. Both are built from the same engine ops (`conv2d` and pooling have fused
# VJPs for speed) and trained with the same five-line loop.
#
# ## Exercises
#
# 1. **Count the weights.** Without running anything, count the parameters of the CNN above
#    (each `Conv2d(c_in, c_out, 3)` has $c_\text{out}$ filters of $c_\text{in} \times 3 \times
#    3$ weights and $c_\text{out}$ biases) and of the residual MLP. The cell below checks your
#    numbers against the library's count.
# 2. **Deeper still.** Train the plain and the residual MLP with 24 instead of 12 layers. Does
#    the residual one still train? Replace the sigmoid by ReLU in the plain network: does it
#    train now, and why (think of notebook 8's gradient flow)?
# 3. **Where is the stroke?** The CNN's features after the second pooling are a $2 \times 2$
#    grid. Replace `nn.MaxPool2d(2)` by `nn.AvgPool2d(2)` in both places and compare test
#    accuracy. Which suits "is there a stroke somewhere" better, and why?

# %%
# exercise 1: your counts (the reference answers are filled in)
cnn_params = (8 * 1 * 9 + 8) + (16 * 8 * 9 + 16) + (16 * 2 * 2 * 4 + 4)
mlp_params = (64 * 32 + 32) + 12 * (32 * 32 + 32) + (32 * 4 + 4)
print(f"CNN: {cnn_params} parameters, residual MLP: {mlp_params}")
assert cnn_params == count(cnn) and mlp_params == count(layers_mlp(True))
