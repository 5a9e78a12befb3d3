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
# # 11. Regression and classification: extrapolation, and what each neuron computes
#
# **What this notebook teaches.** Two of the first examples of the dnn101 course (the lectures'
# own repository), with autograd_lite instead of torch: regression in 1-D and 2-D, where the
# predictions *outside* the training interval show that a network knows nothing beyond its data
# (its shape there is set by the activation function), and classification of a level set of a
# smooth function, with a map, over the plane, of what every hidden neuron of the first and
# second layers computes. It ends with the curse of dimensionality (lecture 001): why data
# cover so little of a high-dimensional space.

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

import autograd_lite as ag

plt.rcParams["figure.dpi"] = 100
ag.manual_seed(0)
from autograd_lite import nn, optim
from autograd_lite.data import make_regression_1d


def mlp(act, n_in=1, width=32):
    """Two hidden layers of `width` units with activation `act`, one output."""
    return nn.Sequential(
        nn.Linear(n_in, width), act(), nn.Linear(width, width), act(), nn.Linear(width, 1)
    )


def train(model, X, y, loss_fn, steps, lr=1e-2):
    """Full-batch Adam; returns the final training loss."""
    opt = optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        opt.step()
    return loss.item()


def predict(model, X):
    with ag.no_grad():
        return model(ag.tensor(np.asarray(X, dtype=np.float32))).numpy()


# %% [markdown]
# ## Regression in 1-D, inside and outside the training interval
#
# dnn101's first example: 100 noisy samples of $\sin x$ on $[-3, 3]$ (noise standard deviation
# 0.1), fitted by least squares with two hidden layers of 32 units, once with tanh and once
# with ReLU, 1000 Adam steps each. Then both networks are asked about $[-9, 9]$, three times
# as wide as the data.

# %%
X1, y1 = make_regression_1d(n_samples=100, noise=0.1, seed=0, func=np.sin, low=-3, high=3)
xs = np.linspace(-9, 9, 721)
inside, far = np.abs(xs) <= 3, np.abs(xs) >= 6
nets1d, preds1d = {}, {}
for name, act in [("tanh", nn.Tanh), ("ReLU", nn.ReLU)]:
    ag.manual_seed(0)
    nets1d[name] = mlp(act)
    loss = train(nets1d[name], ag.tensor(X1), ag.tensor(y1), nn.MSELoss(), steps=1000)
    preds1d[name] = p = predict(nets1d[name], xs[:, None])[:, 0]
    err = (p - np.sin(xs)) ** 2
    slope = np.gradient(p, xs)
    print(
        f"{name:4s}: training loss {loss:.4f}; MSE against sin x on [-3, 3] "
        f"{err[inside].mean():.4f}, on 6 <= |x| <= 9 {err[far].mean():.2f}; slope at x = -9, 9: "
        f"{slope[0]:+.3f}, {slope[-1]:+.3f}"
    )
    assert err[inside].mean() < 0.01 and err[far].mean() > 100 * err[inside].mean()  # checked
    if name == "tanh":
        assert max(abs(slope[0]), abs(slope[-1])) < 0.01  # flat far out
    else:
        right = xs >= 6
        assert np.abs(np.diff(p[right], 2)).max() < 1e-2  # a straight line far out
        assert abs(slope[-1]) > 0.2

fig, ax = plt.subplots(figsize=(9, 4))
ax.axvspan(-3, 3, color="0.92", label="training interval")
ax.plot(xs, np.sin(xs), "k", lw=1.5, label=r"$\sin x$")
ax.scatter(X1, y1, s=8, c="0.4", zorder=3, label="training data")
for name, c in [("tanh", "C0"), ("ReLU", "C3")]:
    ax.plot(xs, preds1d[name], c, lw=2, label=f"network, {name}")
ax.set_ylim(-4.5, 4.5)
ax.set_xlabel("x")
ax.legend(fontsize=9, loc="lower left", ncol=2)
ax.set_title("1-D regression: interpolation inside, extrapolation outside")
plt.show()

# %% [markdown]
# Inside $[-3, 3]$ both networks are as good as the noise allows. Outside, neither continues the
# sine: nothing in the data says that it is periodic. What they do instead is dictated by the
# activation. Far from the data every tanh unit saturates at $\pm 1$, so the tanh network tends
# to a constant (its slope at $x = \pm 9$ is below 0.01); every ReLU unit is either off or
# linear, so the ReLU network continues along a straight line, with the slope of its last
# linear piece. A network is an interpolator; extrapolation is a property of its architecture,
# not something it learned.
#
# ## Regression in 2-D, inside and outside the training square
#
# dnn101's 2-D function $f(x_1, x_2) = \sin(x_1)(x_2 + 1) + \cos(x_2)\, x_1$, sampled at 500
# uniform points of $[-3, 3]^2$ with noise 0.1, fitted by the same two architectures (1500 Adam
# steps), and evaluated on $[-6, 6]^2$. The dashed square is where the data were.


# %%
def f2(x):
    return np.sin(x[:, 0]) * (x[:, 1] + 1) + np.cos(x[:, 1]) * x[:, 0]


rng = np.random.default_rng(0)
X2 = rng.uniform(-3, 3, (500, 2)).astype(np.float32)
y2 = (f2(X2) + 0.1 * rng.standard_normal(500)).astype(np.float32)[:, None]
g = np.linspace(-6, 6, 121)
G1, G2 = np.meshgrid(g, g)
P = np.column_stack([G1.ravel(), G2.ravel()])
in_square = np.abs(P).max(axis=1) <= 3
truth = f2(P)

fig, axes = plt.subplots(2, 3, figsize=(12, 7.4))
levels = np.linspace(-12, 12, 25)
for row, (name, act) in zip(axes, [("tanh", nn.Tanh), ("ReLU", nn.ReLU)]):
    ag.manual_seed(0)
    model = mlp(act, n_in=2)
    loss = train(model, ag.tensor(X2), ag.tensor(y2), nn.MSELoss(), steps=1500)
    pred = predict(model, P)[:, 0]
    err = (pred - truth) ** 2
    print(
        f"{name:4s}: training loss {loss:.4f}; MSE inside the square {err[in_square].mean():.4f}, "
        f"outside {err[~in_square].mean():.2f}"
    )
    assert err[in_square].mean() < 0.05 < 1.0 < err[~in_square].mean()  # the text's claims
    panels = [(truth, "true $f$"), (pred, f"network ({name})"), (np.abs(pred - truth), "|error|")]
    for ax, (Z, title) in zip(row, panels):
        if title == "|error|":
            cs = ax.contourf(G1, G2, Z.reshape(G1.shape), levels=np.linspace(0, 8, 17),
                             cmap="magma_r", extend="max")
        else:
            cs = ax.contourf(G1, G2, Z.reshape(G1.shape), levels=levels, cmap="RdBu_r",
                             extend="both")
        fig.colorbar(cs, ax=ax, shrink=0.85)
        ax.plot([-3, 3, 3, -3, -3], [-3, -3, 3, 3, -3], "k--", lw=1)
        ax.set_title(title)
        ax.set_aspect("equal")
axes[0, 0].scatter(X2[:, 0], X2[:, 1], s=2, c="k", alpha=0.4)
plt.tight_layout()
plt.show()

# %% [markdown]
# Inside the square the prediction and the truth are indistinguishable; outside the error grows
# with the distance from the data, in the same way as in 1-D: the tanh network flattens out
# (its units saturate), the ReLU network continues piecewise linearly, while $f$ keeps growing
# like $|x_1| + |x_2|$ with oscillations.
#
# ## Classification of a level set
#
# dnn101's classification example labels points of the plane by the level of a smooth
# function. Here $f(x_1, x_2) = \sin x_1 + \cos x_2$ on $[-3, 3]^2$, and the class is
#
# $$y = 1_{\{f(x_1, x_2) > 1/2\}},$$
#
# a rounded blob around $(\pi/2, 0)$ and a sliver at the left edge. A network with two hidden
# tanh layers of 8 units and one output (the logit of class 1), trained with the binary
# cross-entropy `BCEWithLogitsLoss` on 1000 points, checked on 500 others.


# %%
def f_level(x):
    return np.sin(x[:, 0]) + np.cos(x[:, 1])


c = 0.5
rng = np.random.default_rng(1)
Xc = rng.uniform(-3, 3, (1500, 2)).astype(np.float32)
yc = (f_level(Xc) > c).astype(np.float32)[:, None]
Xc_tr, yc_tr, Xc_va, yc_va = Xc[:1000], yc[:1000], Xc[1000:], yc[1000:]

ag.manual_seed(0)
clf = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 1))
loss = train(clf, ag.tensor(Xc_tr), ag.tensor(yc_tr), nn.BCEWithLogitsLoss(), steps=800, lr=2e-2)
acc_tr = ((predict(clf, Xc_tr) > 0) == (yc_tr > 0.5)).mean()
acc_va = ((predict(clf, Xc_va) > 0) == (yc_va > 0.5)).mean()
print(f"class 1 fraction {yc.mean():.2f}; training loss {loss:.4f}; "
      f"accuracy: training {acc_tr:.3f}, held out {acc_va:.3f}")
assert acc_va > 0.97  # the text's claims, checked

gc = np.linspace(-3, 3, 101)
C1, C2 = np.meshgrid(gc, gc)
Pc = np.column_stack([C1.ravel(), C2.ravel()])
true_level = f_level(Pc).reshape(C1.shape)
with ag.no_grad():
    prob = clf(ag.tensor(Pc.astype(np.float32))).sigmoid().numpy().reshape(C1.shape)
agree = ((prob > 0.5) == (true_level > c)).mean()
print(f"the predicted class agrees with the true level set on {agree:.1%} of a 101 x 101 grid")
assert agree > 0.97

fig, ax = plt.subplots(figsize=(5.6, 4.6))
cs = ax.contourf(C1, C2, prob, levels=np.linspace(0, 1, 11), cmap="coolwarm", alpha=0.8)
fig.colorbar(cs, ax=ax, label="P(class 1)")
ax.contour(C1, C2, true_level, [c], colors="k", linestyles="--")
ax.contour(C1, C2, prob, [0.5], colors="k")
ax.scatter(Xc_va[:, 0], Xc_va[:, 1], c=yc_va[:, 0], s=5, cmap="coolwarm", edgecolors="k",
           linewidths=0.2)
ax.plot([], [], "k--", label=r"true level set $f = 1/2$")
ax.plot([], [], "k", label="network, P = 1/2")
ax.legend(fontsize=9, loc="lower left")
ax.set_aspect("equal")
ax.set_title("held-out points and the learned boundary")
plt.show()

# %% [markdown]
# ### What each hidden neuron computes
#
# Every hidden unit is a function of the point $(x_1, x_2)$, so each can be drawn as an image
# over the plane. A unit of the first layer computes $\tanh(w_1 x_1 + w_2 x_2 + b)$: it is
# constant along the lines $w_1 x_1 + w_2 x_2 = \text{const}$, a soft half-plane. A unit of
# the second layer applies tanh to a weighted sum of those eight half-planes, so its level
# lines can bend; the output is one more weighted sum, of the second layer's maps. Top row:
# the 8 first-layer units; bottom row: the 8 second-layer units; the dashed curve is the true
# level set.

# %%
with ag.no_grad():
    h1 = clf[1](clf[0](ag.tensor(Pc.astype(np.float32))))
    h2 = clf[3](clf[2](h1))
maps = {"layer 1": h1.numpy(), "layer 2": h2.numpy()}

fig, axes = plt.subplots(2, 8, figsize=(14, 4.1))
for row, (layer, H) in zip(axes, maps.items()):
    for k, ax in enumerate(row):
        im = ax.imshow(H[:, k].reshape(C1.shape), origin="lower", extent=(-3, 3, -3, 3),
                       cmap="RdBu_r", vmin=-1, vmax=1)
        ax.contour(C1, C2, true_level, [c], colors="k", linestyles="--", linewidths=0.8)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"{layer}, unit {k}", fontsize=9)
fig.colorbar(im, ax=axes, shrink=0.8, label="activation")
plt.show()

# %% [markdown]
# The pictures can be checked by a number. If the level lines of a unit $h$ are straight, its
# gradient $\nabla_x h$ points in the same direction (up to sign) everywhere, so the matrix
# $J = \sum_{\text{grid}} \nabla_x h\, \nabla_x h^\top$ has rank one; the *coherence*
# $(\lambda_1 - \lambda_2)/(\lambda_1 + \lambda_2)$ of its eigenvalues is 1 for straight level
# lines and smaller for bent ones. The input gradients come from `backward()`: each grid point's
# activation depends on that point alone, so `h[:, k].sum().backward()` leaves
# $\nabla_x h_k$ at every point in `x.grad`.

# %%
x = ag.tensor(Pc.astype(np.float32), requires_grad=True)


def coherence(grads):
    grads = grads.astype(np.float64)
    lam = np.linalg.eigvalsh(grads.T @ grads)
    return (lam[1] - lam[0]) / (lam[1] + lam[0])


coh = {}
for layer, upto in [("layer 1", 2), ("layer 2", 4)]:
    coh[layer] = []
    for k in range(8):
        x.grad = None
        clf[:upto](x)[:, k].sum().backward()
        coh[layer].append(coherence(x.grad.numpy()))
    print(f"{layer}: coherence of the 8 units = {np.round(coh[layer], 3)}")
assert min(coh["layer 1"]) > 1 - 1e-5  # the text's claims, checked
assert max(coh["layer 2"]) < 0.95

# %% [markdown]
# The first layer's units are exactly straight (coherence 1 up to rounding); the second
# layer's are bent. The first layer cuts the plane with eight soft lines, the second combines
# them into curved regions, several of which already look like the blob; the output unit only
# has to add those up. Depth builds curved boundaries out of straight ones.
#
# **Takeaways.** A trained network is reliable where the data were and arbitrary elsewhere: its
# extrapolation is set by the activation (tanh flattens, ReLU goes straight), not by the target.
# In classification, the hidden layers of a small network can be read as maps over the input
# space: half-planes first, then their combinations.

# %% [markdown]
# ## The curse of dimensionality (lecture 001)
#
# Why "beyond the data" comes so soon in high dimensions. Lecture 001 estimates a density on
# $[0, 1]$ with a histogram of 100 bins of width $\epsilon = 0.01$ from about 1000 samples: that
# works. The same bins on $[0, 1]^{d}$ number $100^{d}$, more than $10^{200}$ for $d = 100$, so
# no sample set can fill them. Below, 1000 uniform samples (true density 1) in $d = 1, 2, 3$:
# the mean absolute error of the histogram estimate, and the fraction of bins with no sample.

# %%
rng_cd = np.random.default_rng(0)
n_samples, bins = 1000, 100
curse = {}
for d in (1, 2, 3):
    S = rng_cd.random((n_samples, d))
    idx = np.minimum((S * bins).astype(np.int64), bins - 1)
    flat = np.ravel_multi_index(idx.T, (bins,) * d)
    counts = np.bincount(flat, minlength=bins**d)
    density = counts / (n_samples * 0.01**d)  # the histogram estimate of p(x) = 1
    curse[d] = (np.abs(density - 1).mean(), (counts == 0).mean())
    print(f"d = {d}: {bins**d:>9,d} bins, mean |p_hat - p| = {curse[d][0]:8.2f}, "
          f"empty bins {100 * curse[d][1]:5.1f}%")
print(f"d = 100: 100^100 = 10^{int(np.log10(100.0) * 100)} bins")
# the text's claims, checked: good in 1-D, useless from 2-D on; 100^100 > 10^200 - 1
assert curse[1][0] < 0.35 and curse[2][1] > 0.9 and curse[3][1] > 0.999
assert 100**100 >= 10**200

# %% [markdown]
# ## Exercises
#
# 1. **The ReLU network's straight line.** Far from the data the 1-D ReLU network is linear.
#    Compute its slope at $x = 100$ with `backward()` (not by a difference quotient) in
#    `relu_far_slope`; the cell checks it against $(F(100) - F(90))/10$.
# 2. **The tanh network's limit.** As $x \to +\infty$, the first-layer units
#    $\tanh(w_k x + b_k)$ of the 1-D tanh network tend to $\operatorname{sign}(w_k)$. Use this
#    to compute $\lim_{x \to \infty} F(x)$ from the weights in `tanh_limit`; the cell compares
#    it with $F(10^4)$.
# 3. **Three classes.** dnn101 cuts $f$ into several classes at equally spaced levels. Label the
#    points by $f \le -2/3$, $-2/3 < f \le 2/3$, $f > 2/3$, give the network three outputs,
#    train it with `nn.CrossEntropyLoss`, and draw the hidden units' maps again. Which units
#    separate which classes? (Open question: no check.)

# %%
relu_net, tanh_net = nets1d["ReLU"], nets1d["tanh"]


def relu_far_slope():  # your answer (this is the reference solution)
    x = ag.tensor([[100.0]], requires_grad=True)
    relu_net(x).sum().backward()
    return x.grad.item()


def tanh_limit():  # your answer (reference solution)
    W1 = tanh_net[0].weight.numpy()[:, 0]
    h1 = ag.tensor(np.sign(W1)[None, :].astype(np.float32))
    with ag.no_grad():
        return tanh_net[2:](h1).item()


F = predict(relu_net, [[90.0], [100.0]])[:, 0]
assert np.isclose(relu_far_slope(), (F[1] - F[0]) / 10, rtol=1e-3), "exercise 1: not yet"
assert np.isclose(tanh_limit(), predict(tanh_net, [[1e4]]).item(), atol=1e-5), "exercise 2"
print(f"exercise 1: slope {relu_far_slope():+.4f}; exercise 2: limit {tanh_limit():+.4f}")
