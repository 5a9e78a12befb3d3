# ---
# jupyter:
#   autograd_lite:
#     dot: false
#     requires:
#     - nn
#     - data
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 3. Loss functions and maximum likelihood
#
# **What this notebook teaches.** Why classification networks are trained with cross-entropy
# rather than squared error or the 0-1 loss we actually care about, and where these losses come
# from:
#
# * the candidate losses of the lecture on the circle data set, and their gradients;
# * cross-entropy, entropy and KL divergence, $H(p, q) = H(p) + \mathrm{KL}(p\,\|\,q)$;
# * maximum likelihood: a Bernoulli model gives binary cross-entropy (computed as a likelihood,
#   lecture 000; the BCE table of lecture 002), a Gaussian model with fixed variance gives the
#   mean squared error;
# * both losses are convex in the network's output (lecture 000), why we maximise the *log* of
#   the likelihood (lecture 002), and a feature map that makes a line separable (lecture 001).

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

import autograd_lite as ag

plt.rcParams["figure.dpi"] = 100
ag.manual_seed(0)
from autograd_lite import nn
from autograd_lite.data import make_circles, make_regression_1d

# %% [markdown]
# ## The circle data set
#
# Points in a square, labelled by their distance to a centre: $y = 1$ outside the disc.

# %%
X, y = make_circles(n_samples=600, noise=0.05, seed=0)
print(X.shape, y.shape, "fraction of class 1:", y.mean().round(3))
plt.figure(figsize=(4, 4))
plt.scatter(X[:, 0], X[:, 1], c=y, s=8, cmap="coolwarm")
plt.gca().set_aspect("equal")
plt.title("make_circles")
plt.show()

# %% [markdown]
# ## The candidate losses, and what their gradients say
#
# The network outputs a logit $h$, and $\hat\lambda = \sigma(h)$ is its probability that $y = 1$.
# For a point with $y = 1$ the lecture's candidates are, as functions of $h$:
# the 0-1 loss $[\hat\lambda < 1/2]$, squared error $\tfrac12 (1 - \hat\lambda)^2$, the absolute
# error
# $|1 - \hat\lambda|$, and cross-entropy $-\log\hat\lambda$. The engine gives their derivatives with
# respect to $h$ for a whole grid of logits in one backward pass.

# %%
h = ag.linspace(-8, 8, 401, dtype=np.float64, requires_grad=True)
lam = ag.sigmoid(h)
losses = {
    "0-1": (lam < 0.5).astype(np.float64) + 0 * h,
    "squared error": 0.5 * (1 - lam) ** 2,
    "absolute error": (1 - lam).abs(),
    "cross-entropy": nn.functional.binary_cross_entropy_with_logits(
        h, ag.ones_like(h), reduction="none"
    ),
}
grads = {}
for name, L in losses.items():
    (g,) = ag.grad(L.sum(), h, allow_unused=True, retain_graph=True)
    grads[name] = np.zeros(h.shape) if g is None else g.numpy()

fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 3.8))
for name, L in losses.items():
    a1.plot(h.numpy(), L.detach().numpy(), label=name)
    a2.plot(h.numpy(), grads[name], label=name)
a1.set_xlabel("logit h (true label 1)")
a1.set_ylabel("loss")
a1.set_ylim(0, 4)
a1.legend()
a2.set_xlabel("logit h")
a2.set_ylabel("d loss / d h")
a2.legend()
plt.tight_layout()
plt.show()

i = np.argmin(np.abs(h.numpy() + 6))  # a confidently wrong prediction, h = -6
for name in losses:
    print(f"{name:15s}: dloss/dh at h = -6 is {grads[name][i]: .5f}")

# %% [markdown]
# The 0-1 loss has zero gradient almost everywhere: gradient descent cannot use it. Squared
# error and absolute error, composed with the sigmoid, have gradients that *vanish* when the
# prediction is confidently wrong ($h = -6$ above), exactly when a large correction is needed.
# Cross-entropy's gradient is $\sigma(h) - y$, close to $-1$ there.
#
# ### Training with each loss
#
# A logistic model on the features $(x_1, x_2, x_1^2, x_2^2)$ can separate the circle data.
# We start it confidently wrong (large weights of the wrong sign) and train it with full-batch
# gradient descent under each differentiable loss, then report the 0-1 error we care about.

# %%
feats = ag.tensor(np.column_stack([X, X**2]).astype(np.float32))
target = ag.tensor(y.astype(np.float32)).reshape(-1, 1)


def train(loss_name, steps=400, lr=0.5):
    ag.manual_seed(0)
    model = nn.Linear(4, 1)
    with ag.no_grad():
        model.weight.copy_(ag.tensor([[0.0, 0.0, -6.0, -6.0]]))  # wrong sign: inside -> 1
        model.bias.copy_(ag.tensor([3.0]))
    opt = ag.optim.SGD(model.parameters(), lr=lr)
    errors = []
    for _ in range(steps):
        logits = model(feats)
        p = ag.sigmoid(logits)
        if loss_name == "cross-entropy":
            loss = nn.BCEWithLogitsLoss()(logits, target)
        elif loss_name == "squared error":
            loss = 0.5 * nn.MSELoss()(p, target)
        else:
            loss = nn.L1Loss()(p, target)
        opt.zero_grad()
        loss.backward()
        opt.step()
        errors.append(float(((p.numpy() > 0.5) != (target.numpy() > 0.5)).mean()))
    return errors


plt.figure(figsize=(6, 3.5))
for name in ["cross-entropy", "squared error", "absolute error"]:
    err = train(name)
    plt.plot(err, label=name)
    print(f"{name:15s}: 0-1 training error after {len(err)} steps = {err[-1]:.3f}")
    assert (
        (err[-1] < 0.1) if name == "cross-entropy" else (err[-1] > 0.3)
    )  # the text's claims, checked
plt.xlabel("gradient step")
plt.ylabel("0-1 training error")
plt.legend()
plt.title("same model, same start, different losses")
plt.show()

# %% [markdown]
# ## Entropy, cross-entropy and KL divergence
#
# For distributions $p, q$ on $m$ classes, $H(p) = -\sum_i p_i\log p_i$,
# $H(p, q) = -\sum_i p_i \log q_i$ and $\mathrm{KL}(p\|q) = \sum_i p_i \log(p_i / q_i) \ge 0$, with
# $H(p, q) = H(p) + \mathrm{KL}(p\|q)$. Minimising cross-entropy over $q$ therefore minimises the
# KL divergence to the data distribution $p$, and the minimum, reached at $q = p$, is the entropy.
# The library's `KLDivLoss` (log-probabilities as input, as PyTorch) and `CrossEntropyLoss` with
# probability targets compute these.

# %%
p = np.array([0.6, 0.3, 0.1])


def H(p, q):
    return -(p * np.log(q)).sum()


ts = np.linspace(-4, 4, 161)
kl, ce = [], []
for t in ts:
    logits = ag.tensor([[t, 0.0, -1.0]], dtype=np.float64)
    logq = ag.log_softmax(logits, axis=-1)
    kl.append(nn.KLDivLoss(reduction="batchmean")(logq, ag.tensor(p[None])).item())
    ce.append(nn.CrossEntropyLoss()(logits, ag.tensor(p[None])).item())
kl, ce = np.array(kl), np.array(ce)
print(
    f"H(p) = {H(p, p):.4f};  max |CE - (H(p) + KL)| over the family = "
    f"{np.abs(ce - H(p, p) - kl).max():.1e}"
)
print(f"min over the family: KL = {kl.min():.4f}, CE = {ce.min():.4f}")
assert np.abs(ce - H(p, p) - kl).max() < 1e-12 and kl.min() >= 0  # the text's claims, checked

plt.figure(figsize=(6, 3.5))
plt.plot(ts, ce, label="cross-entropy H(p, q_t)")
plt.plot(ts, kl, label="KL(p || q_t)")
plt.axhline(H(p, p), color="k", ls=":", label="entropy H(p)")
plt.plot(ts[ce.argmin()], ce.min(), "r*", ms=11, label=f"minima, at t = {ts[ce.argmin()]:.2f}")
plt.plot(ts[kl.argmin()], kl.min(), "r*", ms=11)
plt.xlabel("t, with q_t = softmax(t, 0, -1)")
plt.legend(fontsize=10)
plt.show()

# %% [markdown]
# ## Cross-entropy as Bernoulli likelihood (lecture 000)
#
# The lecture's setup: a model distribution $q_\theta$, an empirical distribution $p$ of $N$
# outcomes, and the likelihood $\mathcal L(\theta) = \prod_x q_\theta(x)^{N p(x)}$, so that
#
# $$-\frac1N\log\mathcal L(\theta) = -\sum_x p(x)\log q_\theta(x) = H(p, q_\theta).$$
#
# For labels $y_i \in \{0, 1\}$ and the Bernoulli model $q_\lambda = (1 - \lambda, \lambda)$ this
# is $\prod_i \lambda^{y_i}(1 - \lambda)^{1 - y_i}$, and its negative log over $N$ is the mean
# binary cross-entropy. We draw $N = 40$ labels, multiply the likelihood out sample by sample,
# and compare with $H(p, q_\lambda)$ and `F.binary_cross_entropy` over a grid of $\lambda$; the
# minimum sits at the frequency of ones, $\lambda^* = N_1/N$, where the cross-entropy equals
# the entropy $H(p)$ (Gibbs' inequality, $H(p) \le H(p, q)$).

# %%
F = nn.functional
rng = np.random.default_rng(3)
labels = (rng.random(40) < 0.3).astype(np.float64)
N1, N_lab = int(labels.sum()), len(labels)
p_emp = np.array([1 - N1 / N_lab, N1 / N_lab])
grid = np.linspace(0.01, 0.99, 99)
nll_prod, cross_ent, bce = [], [], []
for lv in grid:
    likelihood = np.prod([lv if yi == 1 else 1 - lv for yi in labels])
    nll_prod.append(-np.log(likelihood) / N_lab)
    cross_ent.append(H(p_emp, np.array([1 - lv, lv])))
    bce.append(F.binary_cross_entropy(ag.full((N_lab,), lv, dtype=np.float64),
                                      ag.tensor(labels)).item())
nll_prod, cross_ent, bce = map(np.array, (nll_prod, cross_ent, bce))
i_min = nll_prod.argmin()
print(f"N1 = {N1} ones out of N = {N_lab}: lambda* = N1/N = {N1 / N_lab:.3f}")
print(f"max |-(1/N) log L - H(p, q)| = {np.abs(nll_prod - cross_ent).max():.1e}, "
      f"max |H(p, q) - mean BCE| = {np.abs(cross_ent - bce).max():.1e}")
print(f"grid minimum at lambda = {grid[i_min]:.2f}: {nll_prod[i_min]:.4f}; "
      f"H(p) = {H(p_emp, p_emp):.4f}")

# maximum likelihood by gradient descent on the logit: lambda = sigmoid(theta)
theta = ag.zeros(1, dtype=np.float64, requires_grad=True)
opt = ag.optim.SGD([theta], lr=2.0)
for _ in range(300):
    opt.zero_grad()
    F.binary_cross_entropy_with_logits(theta.expand(N_lab), ag.tensor(labels)).backward()
    opt.step()
lam_ml = ag.sigmoid(theta).item()
print(f"gradient descent on the mean BCE: lambda = {lam_ml:.6f}")
# the text's claims, checked
assert np.abs(nll_prod - cross_ent).max() < 1e-12 and np.abs(cross_ent - bce).max() < 1e-12
assert abs(grid[i_min] - N1 / N_lab) <= 0.005 + 1e-12 and np.isclose(lam_ml, N1 / N_lab)
assert (cross_ent >= H(p_emp, p_emp) - 1e-12).all()

plt.figure(figsize=(6, 3.5))
plt.plot(grid, nll_prod, label=r"$-\frac{1}{N}\log\mathcal{L}(\lambda)$, multiplied out")
plt.plot(grid, bce, "--", label="mean binary cross-entropy")
plt.axhline(H(p_emp, p_emp), color="k", ls=":", label="entropy H(p)")
plt.plot([lam_ml], [H(p_emp, p_emp)], "r*", ms=12, label=f"minimum, lambda = N1/N = {lam_ml:.3f}")
plt.xlabel("lambda (the model's P(y = 1))")
plt.ylim(0, 2.5)
plt.legend(fontsize=10)
plt.title("Bernoulli negative log-likelihood = cross-entropy")
plt.show()

# %% [markdown]
# ## The BCE table (lecture 002)
#
# Lecture 002 builds the same loss from the model $p_{\text{model}}(y \mid \lambda) = \lambda$
# if $y = 1$ and $1 - \lambda$ if $y = 0$, with $\lambda = f(x; \theta)$ the network's
# probability that $x$ is in class 1. Its table has one filled row: input $x = (0.5, 0.5)$,
# class $y = 0$, output $\lambda = 0.1$, error $l = -\log(1 - 0.1) = -\log 0.9$, and the predicted
# class $\hat y = 0$ (because $\lambda < 1/2$). The engine's `binary_cross_entropy` gives the
# error; two more rows (not on the slide) show a confident right and a confident wrong answer.

# %%
rows = [((0.5, 0.5), 0.0, 0.1, "slide"), ((0.2, 0.2), 1.0, 0.95, "extra"),
        ((0.8, 0.1), 1.0, 0.05, "extra")]
print(f"{'input x':12s}{'class y':>8s}{'output lambda':>15s}{'error l':>10s}{'predicted':>11s}")
for xin, yc, lv, src in rows:
    err = F.binary_cross_entropy(ag.tensor([lv], dtype=np.float64),
                                 ag.tensor([yc], dtype=np.float64)).item()
    p_model = lv if yc == 1 else 1 - lv
    assert np.isclose(err, -np.log(p_model))  # l = -log p_model(y | lambda)
    print(f"{str(xin):12s}{yc:8.0f}{lv:15.2f}{err:10.4f}{int(lv > 0.5):11d}   ({src})")
    if src == "slide":
        slide_err, slide_pred = err, int(lv > 0.5)
print(f"-log 0.9 = {-np.log(0.9):.4f}")
assert np.isclose(slide_err, -np.log(0.9)) and slide_pred == 0  # the slide's row, checked

# %% [markdown]
# ## Maximum likelihood gives the losses
#
# **Bernoulli** labels give the binary cross-entropy, as computed above. **Gaussian.** If
# $y = f(x) + \varepsilon$ with $\varepsilon \sim \mathcal N(0, s^2)$, the negative
# log-likelihood per point is $\frac{(y - f(x))^2}{2 s^2} + \tfrac12\log(2\pi s^2)$: for fixed
# $s$ it is the squared error up to scale and shift, so both have the same minimiser (lecture 002
# does this with $s = 1$). We check this on the lectures' linear
# regression data with `GaussianNLLLoss` and `MSELoss`, and by training on each.

# %%
Xr, yr = make_regression_1d(n_samples=200, noise=0.3, seed=1)  # y = 1 + 2 x + noise
Xt, yt = ag.tensor(Xr, dtype=np.float64), ag.tensor(yr, dtype=np.float64)
s2 = 0.5  # a fixed variance
slopes = np.linspace(0, 4, 81)
nll, mse = [], []
for beta1 in slopes:
    pred = 1.0 + beta1 * Xt
    nll.append(
        nn.GaussianNLLLoss(full=True)(pred, yt, ag.full(yt.shape, s2, dtype=np.float64)).item()
    )
    mse.append(nn.MSELoss()(pred, yt).item())
nll, mse = np.array(nll), np.array(mse)
affine = mse / (2 * s2) + 0.5 * np.log(2 * np.pi * s2)
print(f"max |NLL - (MSE / (2 s^2) + log(2 pi s^2) / 2)| = {np.abs(nll - affine).max():.1e}")
print(
    f"argmin over the grid: NLL at beta1 = {slopes[nll.argmin()]:.2f}, "
    f"MSE at beta1 = {slopes[mse.argmin()]:.2f}"
)

# maximum likelihood by gradient descent on the NLL vs least squares in closed form
beta = ag.zeros(2, dtype=np.float64, requires_grad=True)
opt = ag.optim.SGD([beta], lr=0.2)
for _ in range(500):
    opt.zero_grad()
    pred = beta[0] + beta[1] * Xt
    nn.GaussianNLLLoss()(pred, yt, ag.full(yt.shape, s2, dtype=np.float64)).backward()
    opt.step()
A = np.column_stack([np.ones(len(Xr)), Xr[:, 0]])
lstsq = np.linalg.lstsq(A, yr[:, 0], rcond=None)[0]
print("ML estimate by GD on the Gaussian NLL:", beta.numpy().round(4))
print("least squares (closed form)          :", lstsq.round(4))
# the text's claims, checked
assert np.abs(nll - affine).max() < 1e-10 and nll.argmin() == mse.argmin()
assert np.allclose(beta.numpy(), lstsq, atol=1e-6)

fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 3.6))
a1.plot(slopes, nll, label="Gaussian NLL")
a1.plot(slopes, mse, label="MSE")
a1.plot(slopes[nll.argmin()], nll.min(), "r*", ms=11,
        label=f"minima, both at beta1 = {slopes[nll.argmin()]:.2f}")
a1.plot(slopes[mse.argmin()], mse.min(), "r*", ms=11)
a1.set_xlabel("slope beta1 (intercept 1)")
a1.legend(fontsize=10)
a2.scatter(Xr, yr, s=6, alpha=0.6)
xx = np.linspace(-1, 1, 2)
a2.plot(xx, beta.numpy()[0] + beta.numpy()[1] * xx, "r", label="maximum likelihood fit")
a2.legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Least squares and softmax cross-entropy are convex in F (lecture 000)
#
# Lecture 000 states both losses as functions of the network's output $F$:
# $L_{\text{LS}}(F, \mathbf c) = \tfrac12\|F - \mathbf c\|^2$ and
# $L_{\text{CE}}(F, \mathbf c) = -\mathbf c^\top\log\sigma(F)$ with $\mathbf c$ in the simplex,
# and says both are convex in $F$ (not in the weights). A twice-differentiable function is convex
# when its Hessian is positive semi-definite everywhere. `ag.functional.hessian` computes it by
# double backward; the closed forms are $\nabla^2 L_{\text{LS}} = I$ and
# $\nabla^2 L_{\text{CE}} = \operatorname{diag}(\sigma) - \sigma\sigma^\top$, whose smallest
# eigenvalue is exactly 0 (adding a constant to every logit changes nothing).

# %%
m = 5
rng_c = np.random.default_rng(7)
c_vec = ag.tensor(rng_c.dirichlet(np.ones(m)))
worst = {"least squares": np.inf, "cross-entropy": np.inf}
for _ in range(200):
    F0 = ag.tensor(rng_c.normal(scale=3.0, size=m))
    H_ls = ag.functional.hessian(lambda f: 0.5 * ((f - c_vec) ** 2).sum(), F0).numpy()
    H_ce = ag.functional.hessian(lambda f: -(c_vec * ag.log_softmax(f)).sum(), F0).numpy()
    s = np.exp(F0.numpy() - F0.numpy().max())
    s /= s.sum()
    assert np.allclose(H_ls, np.eye(m)) and np.allclose(H_ce, np.diag(s) - np.outer(s, s))
    worst["least squares"] = min(worst["least squares"], np.linalg.eigvalsh(H_ls).min())
    worst["cross-entropy"] = min(worst["cross-entropy"], np.linalg.eigvalsh(H_ce).min())
for name, v in worst.items():
    print(f"{name:14s}: smallest Hessian eigenvalue over 200 random F = {v:+.2e}")
# the text's claims, checked: PSD everywhere we looked (cross-entropy's minimum is 0, not > 0)
assert worst["least squares"] > 1 - 1e-12 and -1e-12 < worst["cross-entropy"] < 1e-12

# %% [markdown]
# ## Why the log: a likelihood underflows (lecture 002)
#
# Lecture 002 writes the likelihood of the labels $0, 1, 1, 1, \dots$ of the points
# $(0.5, 0.5), (0.2, 0.2), (0.8, 0.8), (0.8, 0.1), \dots$ as a product
# $\prod_i p_{\text{model}}(y^{(i)} \mid f(x^{(i)}; \theta))$ and warns that a product of many
# numbers below 1 is $\approx 0$ ($0.01 \times 0.1 \times \dots$). We take a logistic model
# $\lambda = \sigma(\theta^\top x + \theta_0)$, evaluate the slide's four points, and then the
# same model on $n$ points: in float64 the product underflows to exactly 0 long before the
# sum of logs (the negative log-likelihood, i.e. $n$ times the mean BCE) has any trouble, and its
# gradient with respect to $\theta$ is still informative.

# %%
pts = np.array([[0.5, 0.5], [0.2, 0.2], [0.8, 0.8], [0.8, 0.1]])
lab = np.array([0.0, 1.0, 1.0, 1.0])
w_ml = ag.tensor([1.0, 2.0], requires_grad=True)
b_ml = ag.tensor(-1.0, requires_grad=True)
lam4 = ag.sigmoid(ag.tensor(pts) @ w_ml + b_ml)
p_y = ag.where(ag.tensor(lab) == 1, lam4, 1 - lam4)
print("p_model(y | x) for the slide's four points:", p_y.numpy().round(3),
      f" likelihood = {p_y.numpy().prod():.4f}")
rng_l = np.random.default_rng(0)
for n in (4, 100, 1_000, 10_000):
    Xn = rng_l.random((n, 2))
    yn_ = (Xn.sum(1) + 0.3 * rng_l.normal(size=n) > 1).astype(np.float64)
    lam_n = ag.sigmoid(ag.tensor(Xn) @ w_ml + b_ml)
    pn = ag.where(ag.tensor(yn_) == 1, lam_n, 1 - lam_n)
    product = pn.numpy().prod()
    nll_n = F.binary_cross_entropy(lam_n, ag.tensor(yn_), reduction="sum")
    (gw,) = ag.grad(nll_n, w_ml)
    print(f"n = {n:6d}: product of probabilities = {product:.3e}, "
          f"negative log-likelihood = {nll_n.item():10.2f}, |d NLL / d theta| = "
          f"{np.linalg.norm(gw.numpy()):.2f}")
# the text's claims, checked: at n = 10^4 the product is exactly 0, the log-likelihood is not
assert product == 0.0 and np.isfinite(nll_n.item()) and np.linalg.norm(gw.numpy()) > 0
assert np.isclose(-np.log(p_y.numpy()).sum(),
                  F.binary_cross_entropy(lam4, ag.tensor(lab), reduction="sum").item())

# %% [markdown]
# ## Features that make a line separable: $x \to (x, x^2)$ (lecture 001)
#
# Lecture 001's example: red and blue points on a line, the blue ones in the middle, cannot be
# separated by one threshold (a hyperplane in 1-D), but after the feature map
# $x \mapsto (x, x^2)$ one straight line separates them. We train the same logistic regression
# with the engine on each representation.

# %%
xs_line = np.linspace(-2, 2, 41)
blue = (np.abs(xs_line) < 1).astype(np.float64)  # blue in the middle, red outside


def fit_logistic(features, labels, steps=2000, lr=0.5):
    w = ag.zeros(features.shape[1], dtype=np.float64, requires_grad=True)
    b = ag.zeros((), dtype=np.float64, requires_grad=True)
    opt = ag.optim.SGD([w, b], lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        F.binary_cross_entropy_with_logits(ag.tensor(features) @ w + b,
                                           ag.tensor(labels)).backward()
        opt.step()
    with ag.no_grad():
        acc = (((ag.tensor(features) @ w + b).numpy() > 0) == labels).mean()
    return w.numpy(), b.item(), acc


feats = {"x": xs_line[:, None], "(x, x^2)": np.stack([xs_line, xs_line**2], 1)}
acc_f = {}
for name, Phi in feats.items():
    wf, bf, acc_f[name] = fit_logistic(Phi, blue)
    print(f"logistic regression on {name:9s}: training accuracy {acc_f[name]:.3f}")
assert acc_f["x"] < 0.8 and acc_f["(x, x^2)"] == 1.0  # the text's claims, checked

fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3))
a1.scatter(xs_line, 0 * xs_line, c=blue, cmap="coolwarm_r", s=20)
a1.set_title("on the line: no threshold separates them")
a1.set_yticks([])
a2.scatter(xs_line, xs_line**2, c=blue, cmap="coolwarm_r", s=20)
xx_l = np.linspace(-2, 2, 2)
a2.plot(xx_l, -(wf[0] * xx_l + bf) / wf[1], "k--", label="learned line")
a2.set_xlabel("x")
a2.set_ylabel("x^2")
a2.set_ylim(-0.3, 4.3)
a2.legend(fontsize=9)
a2.set_title("after x -> (x, x^2): one line does")
plt.tight_layout()
plt.show()

# %% [markdown]
# **Takeaways.** Pick the loss from the likelihood of the labels: Bernoulli labels give
# cross-entropy (the negative log-likelihood over $N$ is exactly $H(p, q_\lambda)$), whose
# gradient $\sigma(h) - y$ never vanishes on confident mistakes; Gaussian noise gives the squared
# error. Cross-entropy equals entropy plus KL divergence, so training drives the model's
# distribution towards the data's.
#
# ## Exercises
#
# 1. **A row of the BCE table.** For the slide's input $x = (0.8, 0.1)$ with class $y = 1$ and
#    output $\lambda = 0.7$, what are the error $l$ and the predicted class? Fill in
#    `table_row(y, lam)` and check it against `F.binary_cross_entropy`.
# 2. **The Bernoulli maximum-likelihood estimate.** Show that $\lambda^* = N_1/N$ minimises
#    $-\frac1N\log\prod_i\lambda^{y_i}(1 - \lambda)^{1 - y_i}$ (set the derivative to zero), and
#    write `bernoulli_mle(labels)`; the check compares it with the engine's gradient, which must
#    vanish there.
# 3. **The Gaussian variance.** With the slope and intercept fixed at the fit above, which
#    variance $s^2$ maximises the Gaussian likelihood? Fill in `best_variance(residuals)`; the
#    check asks the engine for $\partial\,\mathrm{NLL}/\partial s^2$ there.
#
# The cell below holds reference solutions; replace them with yours and run it.


# %%
def table_row(y, lam):
    return -(y * np.log(lam) + (1 - y) * np.log(1 - lam)), int(lam > 0.5)


def bernoulli_mle(labels):
    return labels.mean()


def best_variance(residuals):
    return np.mean(residuals**2)


err, pred = table_row(1.0, 0.7)
assert np.isclose(err, F.binary_cross_entropy(ag.tensor([0.7]), ag.tensor([1.0])).item())
assert pred == 1 and np.isclose(err, -np.log(0.7))

lam_t = ag.tensor(bernoulli_mle(labels), dtype=np.float64, requires_grad=True)
F.binary_cross_entropy(lam_t.expand(N_lab), ag.tensor(labels)).backward()
assert abs(lam_t.grad.item()) < 1e-12

res = yr[:, 0] - (beta.numpy()[0] + beta.numpy()[1] * Xr[:, 0])
var_t = ag.tensor(best_variance(res), dtype=np.float64, requires_grad=True)
with ag.no_grad():
    fit = beta[0] + beta[1] * Xt
nn.GaussianNLLLoss()(fit, yt, var_t.expand(*yt.shape)).backward()
assert abs(var_t.grad.item()) < 1e-10
print("all exercise checks pass")
