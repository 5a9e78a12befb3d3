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
# # 12. A CNN's filters and feature maps, with dropout and a step schedule
#
# **What this notebook teaches.** What the layers of a small convolutional network compute,
# after dnn101's CNN notebook (the lectures' own repository), on generated images instead of
# MNIST:
#
# * the training loop with **dropout** (lecture 001) and a **step learning-rate schedule**
#   (`optim.lr_scheduler.StepLR`, lecture 004's step decay every $K$ epochs), with training and
#   validation curves;
# * the learned **filters** of each convolutional layer and the **feature maps** they produce,
#   shown as image grids: the first layer learns oriented stroke detectors.
#
# The images are the strokes of notebook 10 on a larger 16x16 grid, so the feature maps have
# something to show.

# %%
# %matplotlib inline
import time

import matplotlib.pyplot as plt
import numpy as np

import autograd_lite as ag
from autograd_lite import nn, optim
from autograd_lite.data import DataLoader, TensorDataset

plt.rcParams["figure.dpi"] = 100
plt.rcParams["legend.fontsize"] = 9
ag.manual_seed(0)

# %% [markdown]
# ## The data: strokes on a 16x16 grid
#
# Four classes: a horizontal, vertical, diagonal or anti-diagonal stroke of length 6 to 10 at a
# random position, random intensity, Gaussian pixel noise of standard deviation 0.2. 800
# images to train on, 500 for validation (a different seed).

# %%
CLASSES = ["horizontal", "vertical", "diagonal", "anti-diagonal"]
S = 16


def make_strokes(n, seed):
    rng = np.random.default_rng(seed)
    X = np.zeros((n, 1, S, S), dtype=np.float32)
    y = rng.integers(0, 4, size=n)
    for i, c in enumerate(y):
        L = rng.integers(6, 11)
        r, s = rng.integers(0, S - L + 1, size=2)
        k = np.arange(L)
        rows, cols = {
            0: (np.full(L, rng.integers(0, S)), s + k),
            1: (r + k, np.full(L, rng.integers(0, S))),
            2: (r + k, s + k),
            3: (r + k, s + L - 1 - k),
        }[int(c)]
        X[i, 0, rows, cols] = rng.uniform(0.7, 1.0)
    X += 0.2 * rng.standard_normal(X.shape).astype(np.float32)
    return X, y


X_train, y_train = make_strokes(800, seed=0)
X_val, y_val = make_strokes(500, seed=1)
fig, axes = plt.subplots(2, 8, figsize=(11, 3.2))
for ax, img, c in zip(axes.ravel(), X_train, y_train):
    ax.imshow(img[0], cmap="gray_r")
    ax.set_title(CLASSES[c], fontsize=9)
    ax.axis("off")
plt.tight_layout()
plt.show()
print("train", X_train.shape, np.bincount(y_train), " validation", X_val.shape,
      np.bincount(y_val))

# %% [markdown]
# ## The network, layer by layer
#
# As in dnn101: convolutions with ReLU, max pooling, dropout, then fully connected layers. Each
# `Conv2d(c_in, c_out, 3, padding=1)` has $c_\text{out}$ filters of shape $c_\text{in} \times 3
# \times 3$ (plus a bias each) and keeps the image size; each `MaxPool2d(2)` halves it. During
# training, `Dropout(p)` zeroes each feature with probability $p$ and scales the others by
# $1/(1-p)$; in evaluation mode (`model.eval()`) it is the identity.


# %%
def make_cnn(p):
    return nn.Sequential(
        nn.Conv2d(1, 8, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Dropout(p),
        nn.Linear(16 * 4 * 4, 64),
        nn.ReLU(),
        nn.Dropout(p),
        nn.Linear(64, 4),
    )


ag.manual_seed(0)
cnn = make_cnn(p=0.3)
x = ag.tensor(X_train[:1])
print(f"{'layer':40s} {'output shape':>16s} {'parameters':>11s}")
with ag.no_grad():
    for layer in cnn:
        x = layer(x)
        n_par = sum(p.size for p in layer.parameters())
        print(f"{str(layer):40s} {str(x.shape):>16s} {n_par:11d}")
n_params = sum(p.size for p in cnn.parameters())
assert n_params == (8 * 9 + 8) + (16 * 8 * 9 + 16) + (256 * 64 + 64) + (64 * 4 + 4)
print("total", n_params)

# %% [markdown]
# ### Dropout in training and in evaluation mode
#
# In training mode `Dropout(p)` zeroes each entry with probability $p$ and multiplies the
# others by $1/(1-p)$, so the expected value of each feature is unchanged; in evaluation mode it
# passes its input through.

# %%
drop = nn.Dropout(0.3)
ones = ag.ones(200, 256)
drop.train()
out = drop(ones).numpy()
drop.eval()
print(f"training mode: fraction zeroed {np.mean(out == 0):.3f}, others = {out.max():.4f} "
      f"(1 / 0.7 = {1 / 0.7:.4f}), mean {out.mean():.3f};  evaluation mode: identity "
      f"{np.array_equal(drop(ones).numpy(), ones.numpy())}")
assert abs(np.mean(out == 0) - 0.3) < 0.01 and np.isclose(out.max(), 1 / 0.7)
assert np.array_equal(drop(ones).numpy(), ones.numpy())  # the text's claims, checked

# %% [markdown]
# ## Training with dropout and a step schedule
#
# Adam with learning rate $5 \cdot 10^{-3}$, multiplied by $\gamma = 0.3$ every 5 epochs
# (`StepLR(opt, step_size=5, gamma=0.3)`, stepped once per epoch: lecture 004's step decay),
# 15 epochs of mini-batches of 32. After each epoch the model is evaluated with dropout off
# (`model.eval()`) on 500 training images and the 500 validation images.


# %%
def evaluate(model, X, y):
    model.eval()
    with ag.no_grad():
        out = model(ag.tensor(X))
        loss = nn.CrossEntropyLoss()(out, ag.tensor(y)).item()
        acc = float((out.argmax(axis=1).numpy() == y).mean())
    return loss, acc


def train(model, epochs=15, lr=5e-3, step_size=5, gamma=0.3, seed=0):
    ag.manual_seed(seed)
    loader = DataLoader(
        TensorDataset(ag.tensor(X_train), ag.tensor(y_train)), batch_size=32, shuffle=True
    )
    opt = optim.Adam(model.parameters(), lr=lr)
    sched = optim.lr_scheduler.StepLR(opt, step_size=step_size, gamma=gamma)
    loss_fn = nn.CrossEntropyLoss()
    hist = {"lr": [], "train": [], "val": []}
    for _ in range(epochs):
        hist["lr"].append(opt.param_groups[0]["lr"])
        model.train()  # dropout on
        for xb, yb in loader:
            opt.zero_grad()
            loss_fn(model(xb), yb).backward()
            opt.step()
        sched.step()
        hist["train"].append(evaluate(model, X_train[:500], y_train[:500]))
        hist["val"].append(evaluate(model, X_val, y_val))
    return {k: np.array(v) for k, v in hist.items()}


t0 = time.perf_counter()
hist = train(cnn)
print(f"15 epochs in {time.perf_counter() - t0:.1f} s")
for e in (4, 9, 14):
    print(f"epoch {e + 1:2d} (lr {hist['lr'][e]:.1e}): train loss {hist['train'][e, 0]:.3f} "
          f"(accuracy {hist['train'][e, 1]:.3f}), validation loss {hist['val'][e, 0]:.3f} "
          f"(accuracy {hist['val'][e, 1]:.3f})")
# the schedule: lr_t = 5e-3 * 0.3 ** (t // 5)
assert np.allclose(hist["lr"], 5e-3 * 0.3 ** (np.arange(15) // 5))
gap = hist["val"][-1, 0] - hist["train"][-1, 0]
print(f"validation minus training loss at the end: {gap:.3f}")
assert hist["val"][-1, 1] > 0.95 and abs(gap) < 0.1  # the text's claims, checked
assert hist["val"][:, 0].argmin() == 14  # still falling at the last epoch

fig, axes = plt.subplots(1, 3, figsize=(13, 3.7))
ep = np.arange(1, 16)
for ax, col in [(axes[0], 0), (axes[1], 1)]:
    ax.plot(ep, hist["train"][:, col], "o-", ms=3, label="training")
    ax.plot(ep, hist["val"][:, col], "s--", ms=3, label="validation")
k = int(hist["val"][:, 0].argmin())
axes[0].plot(ep[k], hist["val"][k, 0], "kv", ms=8, label=f"min validation {hist['val'][k, 0]:.3f}")
axes[0].set_yscale("log")
axes[0].set_title("cross-entropy loss (dropout off)")
axes[1].set_title("accuracy")
axes[2].step(ep, hist["lr"], where="mid", color="C2", label="StepLR(5, 0.3)")
axes[2].set_yscale("log")
axes[2].set_title("learning rate")
for ax in axes:
    ax.set_xlabel("epoch")
    for e in (5, 10):
        ax.axvline(e + 0.5, color="gray", lw=0.8, ls=":")
    ax.legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# The validation accuracy ends above 95%. Training and validation loss stay within 0.1 of each
# other, and the validation loss is still falling at the last epoch: in 15 epochs, with dropout,
# this network does not overfit its 800 images. Each cut of the learning rate (dotted lines)
# makes the steps smaller and the descent steadier. Exercise 2 compares with no dropout.
#
# ## The filters of each layer
#
# The first layer has 8 filters of $1 \times 3 \times 3$ weights. The second has 16 filters of
# $8 \times 3 \times 3$ weights: row $i$ of its grid below shows filter $i$, one $3 \times 3$
# slice per input channel (column). Red is positive, blue negative.


# %%
def montage(A, ncol, pad=1):
    """Tile the 2-D arrays A[k] into a grid with ncol columns, NaN between tiles."""
    k, h, w = A.shape
    nrow = -(-k // ncol)
    M = np.full((nrow * (h + pad) - pad, ncol * (w + pad) - pad), np.nan)
    for i, a in enumerate(A):
        r, c = divmod(i, ncol)
        M[r * (h + pad):r * (h + pad) + h, c * (w + pad):c * (w + pad) + w] = a
    return M


W1 = cnn[0].weight.numpy()  # (8, 1, 3, 3)
W2 = cnn[3].weight.numpy()  # (16, 8, 3, 3)
fig, (a1, a2) = plt.subplots(1, 2, figsize=(8, 7.5), gridspec_kw={"width_ratios": [1, 1.05]})
panels = [(a1, montage(W1[:, 0], 2), "layer 1: 8 filters 1x3x3"),
          (a2, montage(W2.reshape(-1, 3, 3), 8), "layer 2: 16 filters 8x3x3\n(one per row)")]
for ax, M, title in panels:
    v = np.nanmax(np.abs(M))
    im = ax.imshow(M, cmap="RdBu_r", vmin=-v, vmax=v)
    ax.set_title(title, pad=14 if ax is a1 else 6)
    ax.axis("off")
    plt.colorbar(im, ax=ax, fraction=0.04)
for i in range(8):  # number the first layer's filters as in the analysis below
    a1.text(4 * (i % 2) + 1, 4 * (i // 2) - 0.62, f"filter {i}", ha="center", fontsize=9)
plt.tight_layout()
plt.show()

# %% [markdown]
# ### Which stroke does each first-layer filter see?
#
# A filter's response to an image is the largest value of its ReLU feature map (how strongly
# its pattern occurs somewhere); we average it over the validation images of each class. A
# filter whose response to one orientation is well above its response to every other one is an
# orientation detector.

# %%
with ag.no_grad():
    cnn.eval()
    maps1 = cnn[1](cnn[0](ag.tensor(X_val))).numpy()  # (500, 8, 16, 16) after ReLU
    pred_val = cnn(ag.tensor(X_val)).argmax(axis=1).numpy()
peak = maps1.max(axis=(2, 3))  # (500, 8)
response = np.stack([peak[y_val == c].mean(axis=0) for c in range(4)], axis=1)  # (8, 4)
selectivity = response.max(axis=1) / np.maximum(np.sort(response, axis=1)[:, -2], 1e-12)
preferred = response.argmax(axis=1)
for i in range(8):
    print(f"filter {i}: strongest for {CLASSES[preferred[i]]:13s} "
          f"({selectivity[i]:.2f} x the next class)")
tuned = [i for i in range(8) if selectivity[i] > 1.25]
detectors = sorted({int(preferred[i]) for i in tuned})
print(f"{len(tuned)} of 8 filters respond > 1.25 x more to one class; they detect",
      [CLASSES[c] for c in detectors])
per_class = [round(float((pred_val[y_val == c] == c).mean()), 3) for c in range(4)]
print("validation accuracy per class:", dict(zip(CLASSES, per_class)))
assert len(tuned) >= 5 and len(detectors) >= 3 and 1 not in detectors
assert min(per_class) > 0.85  # the text's claims, checked

fig, ax = plt.subplots(figsize=(6.5, 3.4))
im = ax.imshow((response / response.max(axis=1, keepdims=True)).T, cmap="viridis")
ax.set_xticks(range(8), [f"filter {i}" for i in range(8)], rotation=45, fontsize=9)
ax.set_yticks(range(4), CLASSES)
ax.set_title("peak response of each layer-1 filter per class\n(relative to its largest)")
plt.colorbar(im, ax=ax, fraction=0.03)
plt.tight_layout()
plt.show()

# %% [markdown]
# Most first-layer filters are tuned to one orientation. Not every class needs its own
# detector: in this run none is tuned to vertical strokes, and the later layers still recognise
# them (validation accuracy of every class above 85%).
#
# ## Feature maps, layer by layer
#
# One validation image of each class and what the network makes of it: the 8 feature maps
# after the first convolution and ReLU ($16 \times 16$), after pooling ($8 \times 8$), and the
# 16 maps after the second convolution and ReLU ($8 \times 8$). The maps of the first layer are
# the image filtered by the 8 filters above: a stroke lights up in the maps of the filters tuned
# to its orientation and much less in the others. After the second convolution most maps are
# dark and a few light up along the stroke: those combine the first layer's detectors.

# %%
picks = [int(np.flatnonzero(y_val == c)[0]) for c in range(4)]
stages = [("conv 1 + ReLU", 1, 4), ("max pool 1", 2, 4), ("conv 2 + ReLU", 4, 8)]
grids = []
with ag.no_grad():
    for i in picks:
        x = ag.tensor(X_val[i:i + 1])
        outs = []
        for layer in cnn:
            x = layer(x)
            outs.append(x.numpy()[0])
        grids.append([X_val[i, 0]] + [montage(outs[k], ncol) for _, k, ncol in stages])
ratios = [g.shape[1] / g.shape[0] for g in grids[0]]
fig, axes = plt.subplots(4, 4, figsize=(14, 7.2), gridspec_kw={"width_ratios": ratios})
for row, (i, g) in enumerate(zip(picks, grids)):
    axes[row, 0].imshow(g[0], cmap="gray_r")
    axes[row, 0].set_ylabel(CLASSES[y_val[i]], fontsize=10)
    for col, M in enumerate(g[1:], start=1):
        axes[row, col].imshow(M, cmap="magma")
for col, title in enumerate(["input"] + [f"{n} ({outs[k].shape[0]} maps "
                                         f"{outs[k].shape[1]}x{outs[k].shape[2]})"
                                         for n, k, _ in stages]):
    axes[0, col].set_title(title, fontsize=10)
for ax in axes.ravel():
    ax.set_xticks([])
    ax.set_yticks([])
plt.tight_layout()
plt.show()

# %% [markdown]
# **Takeaways.** A convolutional layer is a bank of small filters slid over the image; its
# feature maps say where each filter's pattern occurs. Trained on strokes, the first layer's
# filters become orientation detectors, and the layers after pooling combine them over larger
# regions. Dropout and a step schedule are two lines in the training loop.
#
# ## Exercises
#
# 1. **Receptive field.** A feature of the second convolution (after one 2x2 pooling) depends on
#    how many input pixels, in a square of what side? Work it out, then check it: perturb one
#    input pixel at a time and see which features of `cnn[:5]` change (the cell below does it
#    for the reference answer).
# 2. **With and without dropout.** Train `make_cnn(0.0)` and `make_cnn(0.3)` for seeds 0, 1
#    and 2 (`ag.manual_seed(s)` before `make_cnn`, and `train(model, seed=s)`). Is the gap
#    between validation and training loss smaller with dropout? Is the validation accuracy
#    higher? How much do the answers vary from seed to seed?
# 3. **No schedule.** Train with `gamma=1.0` (a constant learning rate) and with `step_size=4`.
#    Which reaches the lowest validation loss after 20 epochs?

# %%
side = 2 * 3 + 2  # exercise 1: your answer, the side of the square (the reference answer)

first = nn.Sequential(*[cnn[k] for k in range(5)])  # conv, ReLU, pool, conv, ReLU
base = X_val[:1].astype(np.float64)
first.eval()
with ag.no_grad():
    f0 = first(ag.tensor(base)).numpy()[0, :, 4, 4]  # the features at position (4, 4)
    seen = np.zeros((S, S), dtype=bool)
    for r in range(S):
        for c in range(S):
            x = base.copy()
            x[0, 0, r, c] += 10.0
            seen[r, c] = np.abs(first(ag.tensor(x)).numpy()[0, :, 4, 4] - f0).max() > 1e-6
rows, cols = np.flatnonzero(seen.any(axis=1)), np.flatnonzero(seen.any(axis=0))
print(f"the features at (4, 4) depend on rows {rows.min()}..{rows.max()}, columns "
      f"{cols.min()}..{cols.max()} of the input")
assert rows.max() - rows.min() + 1 == side and cols.max() - cols.min() + 1 == side
