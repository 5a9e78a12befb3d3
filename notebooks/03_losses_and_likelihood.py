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
# * maximum likelihood: a Bernoulli model gives binary cross-entropy, a Gaussian model with
#   fixed variance gives the mean squared error.

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

import autograd_lite as ag

plt.rcParams["figure.dpi"] = 80
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
plt.xlabel("t, with q_t = softmax(t, 0, -1)")
plt.legend()
plt.show()

# %% [markdown]
# ## Maximum likelihood gives the losses
#
# **Bernoulli.** If the model says $P(y = 1 \mid x) = \lambda(x)$, the likelihood of independent
# labels is $\prod_i \lambda_i^{y_i}(1 - \lambda_i)^{1 - y_i}$ and its negative log, averaged, is
# the
# binary cross-entropy. **Gaussian.** If $y = f(x) + \varepsilon$ with
# $\varepsilon \sim \mathcal N(0, s^2)$, the negative log-likelihood per point is
# $\frac{(y - f(x))^2}{2 s^2} + \tfrac12\log(2\pi s^2)$: for fixed $s$ it is the squared error up to
# scale and shift, so both have the same minimiser. We check this on the lectures' linear
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

fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 3.6))
a1.plot(slopes, nll, label="Gaussian NLL")
a1.plot(slopes, mse, label="MSE")
a1.set_xlabel("slope beta1 (intercept 1)")
a1.legend()
a2.scatter(Xr, yr, s=6, alpha=0.6)
xx = np.linspace(-1, 1, 2)
a2.plot(xx, beta.numpy()[0] + beta.numpy()[1] * xx, "r", label="maximum likelihood fit")
a2.legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# **Takeaways.** Pick the loss from the likelihood of the labels: Bernoulli labels give
# cross-entropy, whose gradient $\sigma(h) - y$ never vanishes on confident mistakes;
# Gaussian noise gives the squared error. Cross-entropy equals entropy plus KL divergence, so
# training drives the model's distribution towards the data's.
