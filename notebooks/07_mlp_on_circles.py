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
# # 7. Training an MLP on the circle data
#
# **What this notebook teaches.** The training loop of the lectures, end to end, with
# autograd_lite's `nn`, `optim` and `data`:
#
# ```
# for each epoch:
#     for each minibatch:  zero_grad -> forward -> loss -> backward -> step
# ```
#
# with a progress display, a held-out accuracy, the learned decision boundary, and the model's
# computation graph drawn with one cluster per module.

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

import autograd_lite as ag

plt.rcParams["figure.dpi"] = 100
ag.manual_seed(0)
import time

from autograd_lite import nn, optim, viz
from autograd_lite.data import DataLoader, TensorDataset, make_circles

# %% [markdown]
# ## Data
#
# Lecture 002's circle data set: points in a square, label 1 outside a disc. 1000 points for
# training, 500 held out.

# %%
X, y = make_circles(n_samples=1500, noise=0.05, seed=0)
X_train, y_train, X_val, y_val = X[:1000], y[:1000], X[1000:], y[1000:]
train_loader = DataLoader(
    TensorDataset(ag.tensor(X_train), ag.tensor(y_train)), batch_size=32, shuffle=True
)
print(
    f"{len(X_train)} training points in {len(train_loader)} minibatches of 32; "
    f"{len(X_val)} held out; class balance {y.mean():.2f}"
)

# %% [markdown]
# ## Model, loss, optimiser
#
# A two-hidden-layer ReLU network with two outputs (logits for the two classes), softmax
# cross-entropy, and SGD with momentum.

# %%
model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 2))
loss_fn = nn.CrossEntropyLoss()
opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
print(model)
print("parameters:", sum(p.size for p in model.parameters()))


# %% [markdown]
# ## The loop, with a progress display
#
# Each epoch reshuffles the loader. The progress line shows the running training loss and the
# held-out accuracy.


# %%
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
        opt.zero_grad()  # 1. forget the previous gradients
        logits = model(xb)  # 2. forward
        loss = loss_fn(logits, yb)  # 3. loss
        loss.backward()  # 4. backward
        opt.step()  # 5. update
        running += loss.item() * len(xb)
        seen += len(xb)
    model.eval()
    history["loss"].append(running / seen)
    history["val_acc"].append(accuracy(X_val, y_val))
    if epoch % 5 == 0 or epoch == 1:
        print(
            f"epoch {epoch:3d} {bar(epoch, epochs)} loss {history['loss'][-1]:.4f} "
            f"val acc {history['val_acc'][-1]:.3f}  ({time.perf_counter() - t0:.1f} s)"
        )
print(
    f"final: training accuracy {accuracy(X_train, y_train):.3f}, "
    f"held-out accuracy {accuracy(X_val, y_val):.3f}"
)
assert accuracy(X_val, y_val) > 0.85  # the text's claims, checked

# %% [markdown]
# ## Learning curves and the decision boundary
#
# The network's probability of class 1 on a grid, with the held-out points on top; the true
# boundary (the circle) is dashed.

# %%
fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.3))
a1.plot(range(1, epochs + 1), history["loss"], label="training loss")
a1b = a1.twinx()
a1b.plot(range(1, epochs + 1), history["val_acc"], "C1", label="held-out accuracy")
a1.set_xlabel("epoch")
a1.set_ylabel("loss")
a1b.set_ylabel("accuracy", color="C1")
a1.legend(a1.get_lines() + a1b.get_lines(), ["training loss", "held-out accuracy"],
          fontsize=9, loc="center")
a1.set_title("learning curves")

g = np.linspace(-1.3, 1.3, 200)
G1, G2 = np.meshgrid(g, g)
with ag.no_grad():
    probs = model(ag.tensor(np.column_stack([G1.ravel(), G2.ravel()]).astype(np.float32)))
    p1 = probs.softmax(axis=1).numpy()[:, 1].reshape(G1.shape)
a2.contourf(G1, G2, p1, levels=20, cmap="coolwarm", alpha=0.6)
a2.contour(G1, G2, p1, levels=[0.5], colors="k")
a2.scatter(X_val[:, 0], X_val[:, 1], c=y_val, s=6, cmap="coolwarm", edgecolors="none")
r = np.sqrt(2 / np.pi)  # make_circles' default radius
t = np.linspace(0, 2 * np.pi, 200)
a2.plot(r * np.cos(t), r * np.sin(t), "k--", lw=0.8)
a2.set_aspect("equal")
a2.set_title("P(class 1) and the decision boundary")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## The model's graph
#
# The graph of the loss on a batch of two points. Every op that ran inside a module call is
# drawn inside that module's cluster, and the parameters carry their names from
# `named_parameters()` (`0.weight`, `2.bias`, ...).

# %%
xb, yb = ag.tensor(X_val[:2]), ag.tensor(y_val[:2])
xb.name, yb.name = "x", "y"
loss = loss_fn(model(xb), yb)
loss.backward(retain_graph=True)  # keep the graph so the intermediates show their values
print("named parameters:", [name for name, _ in model.named_parameters()])
viz.draw_graph(loss, rankdir="TB")

# %% [markdown]
# **Takeaways.** The five lines of the inner loop are the whole of training; everything else
# (the data loader's shuffling, the optimiser's momentum buffers, the modules' parameters) is
# bookkeeping around `backward()`. A network with two small hidden layers learns the circular
# boundary that no linear model can represent.

# %% [markdown]
# ## Exercises
#
# 1. **Count the parameters.** Work out by hand how many parameters the model above has
#    (weights and biases of its three `Linear` layers) and put the number in `n_params`.
# 2. **A linear model cannot do it.** Replace the network by `nn.Linear(2, 2)` (logistic
#    regression with two classes), train it with the same five-line loop for 10 epochs, and
#    measure its held-out accuracy in `linear_accuracy`. The cell checks that it stays far
#    below the network's: no straight line separates the inside of a disc from the outside.
# 3. **Another optimiser.** Train the same network with `optim.Adam(model.parameters(),
#    lr=1e-2)`. After how many epochs does the held-out accuracy first pass 0.95, compared with
#    SGD with momentum? (Open question: no check.)

# %%
n_params = (2 * 16 + 16) + (16 * 16 + 16) + (16 * 2 + 2)  # your answer (reference solution)


def linear_accuracy():  # your answer (this is the reference solution)
    ag.manual_seed(0)
    lin = nn.Linear(2, 2)
    opt_lin = optim.SGD(lin.parameters(), lr=0.05, momentum=0.9)
    for _ in range(10):
        for xb, yb in train_loader:
            opt_lin.zero_grad()
            loss_fn(lin(xb), yb).backward()
            opt_lin.step()
    with ag.no_grad():
        return float((lin(ag.tensor(X_val)).argmax(axis=1).numpy() == y_val).mean())


assert n_params == sum(p.size for p in model.parameters()), "exercise 1: not yet"
acc_lin = linear_accuracy()
assert acc_lin < 0.7 < 0.85 < accuracy(X_val, y_val), "exercise 2: not yet"
print(f"exercise 1: {n_params} parameters; exercise 2: linear model held-out accuracy "
      f"{acc_lin:.3f} vs the network's {accuracy(X_val, y_val):.3f}")
