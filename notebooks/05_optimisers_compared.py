# ---
# jupyter:
#   autograd_lite:
#     dot: false
#     requires:
#     - optim
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 5. Optimisers compared
#
# **What this notebook teaches.** The update rules of the lectures, run side by side with
# `autograd_lite.optim`: SGD, momentum (heavy ball), Nesterov, AdaGrad, RMSProp, Adam and
# AMSGrad, on the same landscapes; momentum in the lectures' moving-average form and how it maps
# onto `optim.SGD`; the case where Adam provably fails to converge and AMSGrad fixes it, and
# RMSProp, which converges there once $\beta_2$ is large; and the learning-rate schedules
# $\eta t^\alpha$, $\eta\alpha^t$, step decay and the epoch-doubling strategy.

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

import autograd_lite as ag

plt.rcParams["figure.dpi"] = 100
ag.manual_seed(0)
from autograd_lite import optim
from autograd_lite.optim import lr_scheduler

OPTIMISERS = {
    "SGD": lambda p, lr: optim.SGD(p, lr=lr),
    "momentum": lambda p, lr: optim.SGD(p, lr=lr, momentum=0.9),
    "Nesterov": lambda p, lr: optim.SGD(p, lr=lr, momentum=0.9, nesterov=True),
    "AdaGrad": lambda p, lr: optim.Adagrad(p, lr=lr),
    "RMSProp": lambda p, lr: optim.RMSprop(p, lr=lr),
    "Adam": lambda p, lr: optim.Adam(p, lr=lr),
    "AMSGrad": lambda p, lr: optim.Adam(p, lr=lr, amsgrad=True),
}


def run(f, x0, make_opt, lr, steps):
    x = ag.tensor(x0, dtype=np.float64, requires_grad=True)
    opt = make_opt([x], lr)
    path, vals = [x.numpy().copy()], []
    for _ in range(steps):
        opt.zero_grad()
        loss = f(x)
        vals.append(loss.item())
        loss.backward()
        opt.step()
        path.append(x.numpy().copy())
    vals.append(f(x).item())
    return np.array(path), np.array(vals)


def quad(x):  # lecture 003
    return x[0] ** 2 + 2 * x[1] ** 2


def valley(x):  # lecture 001
    return (x[0] ** 2 - 1) ** 2 + (x[0] ** 2 * x[1] - x[0] - 1) ** 2


# %% [markdown]
# ## Same problems, each optimiser at its best learning rate
#
# A fair comparison tunes each method: for every optimiser we try a grid of learning rates
# and keep the one with the lowest final value after 150 steps (the grid and the choice are
# printed). The start points are the lectures' $(-5, -2)$ for the quadratic and $(0.5, 3)$ in the
# valley. Seven paths drawn over each other hide one another, so each optimiser gets its own
# panel (same axes throughout), and the last panel compares the values of $f$.

# %%
LRS = [1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0]
problems = {"x1^2 + 2 x2^2": (quad, [-5.0, -2.0]), "narrow valley": (valley, [0.5, 3.0])}
best, best_run = {}, {}
for pname, (f, x0) in problems.items():
    print(pname)
    for oname, make in OPTIMISERS.items():
        finals, runs_lr = [], []
        with np.errstate(all="ignore"):
            for lr in LRS:
                runs_lr.append(run(f, x0, make, lr, 150))
                finals.append(runs_lr[-1][1][-1] if np.isfinite(runs_lr[-1][1][-1]) else np.inf)
        i = int(np.argmin(finals))
        best[pname, oname], best_run[pname, oname] = LRS[i], runs_lr[i]
        print(f"  {oname:9s} best lr {LRS[i]:<6g} final f = {finals[i]:.2e}")

# %%
MINIMA = {"x1^2 + 2 x2^2": [(0, 0)], "narrow valley": [(1, 2), (-1, 0)]}
LIMITS = {"x1^2 + 2 x2^2": ((-6, 4), (-3, 3)), "narrow valley": ((-1.5, 2.2), (-0.5, 3.5))}
TITLES = {"x1^2 + 2 x2^2": "$x_1^2 + 2x_2^2$", "narrow valley": "the narrow valley"}
for pname, (f, x0) in problems.items():
    lim = LIMITS[pname]
    X1, X2 = np.meshgrid(np.linspace(*lim[0], 150), np.linspace(*lim[1], 150))
    Z = f(ag.tensor(np.stack([X1, X2]))).numpy()
    fig, axes = plt.subplots(2, 4, figsize=(13, 6), sharex=True, sharey=True)
    ax_val = axes[1, 3]
    ax_val.remove()  # the comparison panel gets its own axes (f against step)
    ax_val = fig.add_subplot(2, 4, 8)
    for k, (ax, oname) in enumerate(zip(axes.flat, OPTIMISERS)):
        path, vals = best_run[pname, oname]
        ax.contour(X1, X2, Z, levels=np.logspace(-2, 2, 14), colors="0.75", linewidths=0.6)
        ax.plot(path[:, 0], path[:, 1], ".-", color=f"C{k}", ms=2, lw=0.9)
        ax.plot(*path[0], "o", color="k", ms=4)
        ax.plot(*np.transpose(MINIMA[pname]), "k*", ms=11)
        ax.set_xlim(*lim[0])
        ax.set_ylim(*lim[1])
        ax.set_title(f"{oname} (lr {best[pname, oname]:g}): f = {vals[-1]:.0e}", fontsize=10)
        ax_val.semilogy(np.maximum(vals, 1e-16), color=f"C{k}", label=oname)
    ax_val.set_xlabel("step")
    ax_val.set_ylabel("f")
    ax_val.set_title("f along each path", fontsize=10)
    fig.legend(*ax_val.get_legend_handles_labels(), loc="lower center", ncol=7, fontsize=9)
    fig.suptitle(f"{TITLES[pname]} from {tuple(x0)}: one panel per optimiser "
                 "(dot: start, star: minimum)")
    plt.tight_layout(rect=(0, 0.05, 1, 1))
    plt.show()

# %% [markdown]
# ## Momentum as an exponential moving average (lectures 000 and 004)
#
# Both lectures write momentum as an exponential moving average (EMA) of the gradients
# $\mathbf g_k$, and step along the average instead of the latest gradient:
#
# * lecture 004: $\mathbf v^0 = \mathbf g(\theta^0)$,
#   $\mathbf v^{k+1} = \gamma\mathbf v^k + (1 - \gamma)\mathbf g(\theta^k)$,
#   $\theta^{k+1} = \theta^k - \mathbf v^{k+1}$. The slide has no step size: it sits inside
#   $\mathbf g$; with an explicit step, $\theta^{k+1} = \theta^k - \alpha\mathbf v^{k+1}$;
# * lecture 000 (SGM): $\mathbf m_i = \beta\mathbf m_{i-1} + (1 - \beta)\mathbf g_i$,
#   $\theta_{i+1} = \theta_i - \alpha_i\mathbf m_i$, with $\mathbf m_0 = 0$.
#
# `optim.SGD(momentum=)` keeps PyTorch's buffer $\mathbf b \leftarrow \mu\mathbf b +
# (1 - \text{dampening})\,\mathbf g$ (with $\mathbf b = \mathbf g$ at the first step) and steps
# $\theta \leftarrow \theta - \text{lr}\,\mathbf b$. So lecture 004's form is
# `SGD(lr=alpha, momentum=gamma, dampening=gamma)` exactly, and lecture 000's form, whose
# average starts at $0$, is $(1 - \beta)$ times the undamped ("heavy ball") buffer at every step:
# it is `SGD(lr=(1 - beta) * alpha, momentum=beta)`. The EMA's step along a constant gradient is
# $\alpha$; the heavy ball's is $\text{lr}/(1 - \mu)$, ten times lr for $\mu = 0.9$. We check
# both identities step by step on the narrow valley, with the lecture forms written out by hand
# around the engine's gradient.


# %%
def ema_momentum(f, x0, alpha, gamma, steps, start="v0 = g0"):
    """The lectures' EMA momentum, by hand: lecture 004 (v starts at the first gradient) or
    lecture 000 (m starts at 0). Returns the iterates."""
    x = ag.tensor(x0, dtype=np.float64)
    v, path = None, [x.numpy()]
    for _ in range(steps):
        xr = x.detach().requires_grad_()
        (g,) = ag.grad(f(xr), xr)
        g = g.numpy()
        if v is None:
            v = g.copy() if start == "v0 = g0" else np.zeros_like(g)
        v = gamma * v + (1 - gamma) * g
        x = ag.tensor(x.numpy() - alpha * v)
        path.append(x.numpy())
    return np.array(path)


def sgd_path(f, x0, steps, **kw):
    """The iterates of optim.SGD(**kw)."""
    return run(f, x0, lambda p, _lr: optim.SGD(p, **kw), None, steps)[0]


alpha, gamma = 0.1, 0.9
diff_004 = np.abs(
    ema_momentum(valley, [0.5, 3.0], alpha, gamma, 100)
    - sgd_path(valley, [0.5, 3.0], 100, lr=alpha, momentum=gamma, dampening=gamma)
).max()
diff_000 = np.abs(
    ema_momentum(valley, [0.5, 3.0], alpha, gamma, 100, start="m0 = 0")
    - sgd_path(valley, [0.5, 3.0], 100, lr=(1 - gamma) * alpha, momentum=gamma)
).max()
diff_forms = np.abs(
    ema_momentum(valley, [0.5, 3.0], alpha, gamma, 100)
    - ema_momentum(valley, [0.5, 3.0], alpha, gamma, 100, start="m0 = 0")
).max()
print(f"lecture 004 form vs SGD(lr=alpha, momentum=gamma, dampening=gamma): {diff_004:.1e}")
print(f"lecture 000 form vs SGD(lr=(1 - gamma) alpha, momentum=gamma):       {diff_000:.1e}")
print(f"lecture 004 vs lecture 000 (they differ only in how the average starts): {diff_forms:.2f}")
assert diff_004 < 1e-12 and diff_000 < 1e-12 and diff_forms > 1e-3  # the text's claims, checked

# %% [markdown]
# The two lecture forms differ only in their first step ($\alpha\mathbf g_0$ against
# $(1 - \gamma)\alpha\mathbf g_0$), which changes the path visibly in this valley.
#
# ### $\gamma = 0.9$ against $\gamma = 0$ (lecture 004's simple example)
#
# With $\gamma = 0$ the EMA form is plain GD. Take the ill-conditioned quadratic
# $f(\mathbf x) = 0.02x_1^2 + 2x_2^2$ (curvatures $0.04$ and $4$, so GD needs $\alpha < 2/4$) from
# $(-5, -2)$, and follow each coordinate. On a quadratic the EMA recursion is linear, and along a
# direction of curvature $\lambda$ the error shrinks by the roots of
# $z^2 - (1 + \gamma - \alpha(1 - \gamma)\lambda)z + \gamma = 0$; when they are complex their
# modulus is $\sqrt\gamma \approx 0.95$ per step, whatever $\alpha$ is.


# %%
def elongated(x):
    return 0.02 * x[0] ** 2 + 2 * x[1] ** 2


runs_ema = {(0.45, 0.0): None, (0.45, 0.9): None, (3.0, 0.9): None, (3.0, 0.0): None}
with np.errstate(all="ignore"):
    for a_, g_ in runs_ema:
        path = ema_momentum(elongated, [-5.0, -2.0], a_, g_, 150)
        runs_ema[a_, g_] = path, np.array([elongated(ag.tensor(q)).item() for q in path])
fig, axes = plt.subplots(1, 3, figsize=(14, 3.6))
style = {(0.45, 0.0): "C0", (0.45, 0.9): "C1", (3.0, 0.9): "C2", (3.0, 0.0): "C3"}
for (a_, g_), (path, vals) in runs_ema.items():
    label = f"$\\gamma = {g_:g}$, $\\alpha = {a_:g}$"
    if a_ == 0.45:
        axes[0].plot(path[:60, 1], ".-", ms=3, lw=0.8, color=style[a_, g_], label=label)
        axes[1].plot(path[:, 0], color=style[a_, g_], label=label)
    axes[2].semilogy(np.clip(vals, 1e-16, 1e8), color=style[a_, g_], label=label)
x2_ema, decay = runs_ema[0.45, 0.9][0][:60, 1], 0.9 ** (np.arange(60) / 2)
envelope = np.abs(x2_ema / decay).max() * decay  # the smallest c gamma^(k/2) above the swing
axes[0].plot(envelope, "k:", lw=0.8, label="$\\pm c\\,\\gamma^{k/2}$")
axes[0].plot(-envelope, "k:", lw=0.8)
axes[0].set_title("steep coordinate $x_2$ (curvature 4)", fontsize=10)
axes[1].set_title("shallow coordinate $x_1$ (curvature 0.04)", fontsize=10)
axes[2].set_title("f (GD at $\\alpha = 3$ diverges: clipped)", fontsize=10)
for ax in axes:
    ax.set_xlabel("step k")
    ax.legend(fontsize=9)
axes[1].axhline(0, color="k", lw=0.5)
axes[1].plot([149], [0], "k*", ms=12, label="minimum $x_1 = 0$")
plt.tight_layout()
plt.show()
final_ema = {k: v[1][-1] for k, v in runs_ema.items()}
print("f after 150 steps, by (alpha, gamma):", {k: f"{v:.1e}" for k, v in final_ema.items()})
x2 = {g_: np.abs(runs_ema[0.45, g_][0][20, 1]) for g_ in (0.0, 0.9)}
print(f"|x2| after 20 steps at alpha = 0.45: gamma = 0: {x2[0.0]:.1e}, gamma = 0.9: {x2[0.9]:.1e}")
assert x2[0.0] < 0.1 < 1 < x2[0.9] and final_ema[0.45, 0.9] < final_ema[0.45, 0.0]  # the text's
assert not final_ema[3.0, 0.0] < 1e6 and final_ema[3.0, 0.9] < 1e-2 * final_ema[0.45, 0.0]  # claims

# %% [markdown]
# At the same $\alpha = 0.45$: along the steep $x_2$, GD zig-zags but its zig-zag shrinks by
# $|1 - 4\alpha| = 0.8$ per step, while the average turns it into a slow swing that decays only
# like $\sqrt{0.9}^{\,k}$; momentum does not remove oscillation. Along the shallow $x_1$, where the
# gradient hardly changes, the average is nearly the gradient itself, and the two move at nearly
# the same speed (the EMA's step along a constant gradient is $\alpha$). What the average buys is
# stability: with $\gamma = 0.9$ every direction with $\alpha(1 - \gamma)\lambda$ between
# $(1 - \sqrt\gamma)^2$ and $(1 + \sqrt\gamma)^2$ contracts at the rate $\sqrt\gamma$, so
# $\alpha = 3$, six times GD's limit, converges, and ends more than a hundred times lower than GD
# at $\alpha = 0.45$. That is why momentum pays off on badly conditioned problems, where GD's
# best rate $(\kappa - 1)/(\kappa + 1)$ is close to 1.

# %% [markdown]
# ## When Adam does not converge
#
# Reddi, Kale and Kumar (*On the convergence of Adam and beyond*, 2018) gave a one-dimensional
# online problem on $x \in [-1, 1]$: the loss at step $t$ is $f_t(x) = C x$ when
# $t \bmod 3 = 1$ and $-x$ otherwise. On average the gradient is $(C - 2)/3 > 0$, so the best point
# is $x = -1$. With $\beta_1 = 0$ and $\beta_2 = 1/(1 + C^2)$, Adam's second-moment estimate forgets
# the rare large gradient $C$ so quickly that the two small steps towards $+1$ outweigh the large
# one towards $-1$, and Adam drifts to the *worst* point $x = +1$. AMSGrad keeps the running
# maximum of the second moment, so the large gradient keeps the steps small, and it converges.
# We use the step size $\eta/\sqrt{t}$ of the paper (`PowerDecayLR` with $\alpha = -1/2$) and
# project back onto $[-1, 1]$ after each step.

# %%
C, T = 3.0, 3000


def online(amsgrad):
    x = ag.tensor([0.0], dtype=np.float64, requires_grad=True)
    opt = optim.Adam([x], lr=0.1, betas=(0.0, 1 / (1 + C**2)), amsgrad=amsgrad)
    sched = lr_scheduler.PowerDecayLR(opt, alpha=-0.5)
    xs, regret = [], 0.0
    for t in range(1, T + 1):
        coef = C if t % 3 == 1 else -1.0
        opt.zero_grad()
        loss = (coef * x).sum()
        regret += loss.item() - coef * (-1.0)
        loss.backward()
        opt.step()
        sched.step()
        with ag.no_grad():
            x.clamp_(-1.0, 1.0)
        xs.append(x.item())
    return np.array(xs), regret


fig, ax = plt.subplots(figsize=(7, 3.5))
regrets = {}
for name, ams in [("Adam", False), ("AMSGrad", True)]:
    xs, regret = online(ams)
    ax.plot(np.arange(1, T + 1), xs, label=name)
    print(f"{name:8s}: x after {T} steps = {xs[-1]:+.3f}, average regret = {regret / T:.3f}")
    assert (xs[-1] > 0.9) if name == "Adam" else (xs[-1] < -0.9)  # the text's claims, checked
    regrets[name] = regret / T
assert regrets["AMSGrad"] < regrets["Adam"] / 5
ax.axhline(-1, color="k", ls=":", label="optimum x = -1")
ax.set_xscale("log")
ax.set_xlabel("step t")
ax.set_ylabel("x_t")
ax.legend()
ax.set_title("f_t(x) = 3x if t mod 3 = 1 else -x, on [-1, 1]")
plt.show()


# %% [markdown]
# Adam's average regret stays large (it cannot vanish as $T$ grows, since Adam sits at the worst
# point): it keeps paying for being at the wrong end. AMSGrad's average regret is ten times
# smaller and keeps falling.

# %% [markdown]
# ## RMSProp with a large $\beta_2$ (lecture 004)
#
# RMSProp divides each step by a running root mean square of the gradients,
# $n \leftarrow \beta_2 n + (1 - \beta_2) g^2$,
# $\theta \leftarrow \theta - \alpha g/(\sqrt n + \epsilon)$ (the slide writes $\gamma$ for
# $\beta_2$ and leaves out the square root; Hinton's RMSProp, PyTorch's and
# `optim.RMSprop(alpha=beta2)` take it). It is Adam with $\beta_1 = 0$ and no bias correction,
# so on the counterexample above with $\beta_2 = 1/(1 + C^2) = 0.1$ it fails in the same way. The
# lecture cites Shi, Li, Hong and Sun (*RMSprop converges with proper hyper-parameter*, 2020):
# for a given problem, RMSProp converges once $\beta_2$ is close enough to 1. On the same problem,
# with the same steps $0.1/\sqrt t$ and projection, for several $\beta_2$:

# %%
def online_rmsprop(beta2, T=T):
    x = ag.tensor([0.0], dtype=np.float64, requires_grad=True)
    opt = optim.RMSprop([x], lr=0.1, alpha=beta2)
    sched = lr_scheduler.PowerDecayLR(opt, alpha=-0.5)
    xs = []
    for t in range(1, T + 1):
        opt.zero_grad()
        ((C if t % 3 == 1 else -1.0) * x).sum().backward()
        opt.step()
        sched.step()
        with ag.no_grad():
            x.clamp_(-1.0, 1.0)
        xs.append(x.item())
    return np.array(xs)


fig, ax = plt.subplots(figsize=(7, 3.5))
x_end = {}
for beta2 in [0.1, 0.5, 0.9, 0.999]:
    xs = online_rmsprop(beta2)
    x_end[beta2] = xs[-300:].mean()
    ax.plot(np.arange(1, T + 1), xs, label=f"$\\beta_2 = {beta2:g}$")
    print(f"beta2 = {beta2:<6g}: x averaged over the last 300 steps = {x_end[beta2]:+.3f}")
assert x_end[0.1] > 0.9 and -0.9 < x_end[0.5] < 0.9 and max(x_end[0.9], x_end[0.999]) < -0.99
ax.axhline(-1, color="k", ls=":", label="optimum x = -1")
ax.set_xscale("log")
ax.set_xlabel("step t")
ax.set_ylabel("x_t")
ax.legend(fontsize=9)
ax.set_title("RMSProp on the Adam counterexample")
plt.show()

# %% [markdown]
# With a short memory ($\beta_2 = 0.1$) $\sqrt n$ follows the current $|g|$, every step has length
# about $\alpha_t$ whatever the gradient, and two steps up per large step down carry $x$ to the
# wrong end. With a long memory ($\beta_2 = 0.9$ or Adam's default $0.999$) $n$ averages $g^2$ over
# many periods, so the denominator is nearly constant and RMSProp behaves like SGD with a
# rescaled step: it follows the average gradient $(C - 2)/3 > 0$ to the optimum $x = -1$. In
# between ($\beta_2 = 0.5$) it settles at an interior point, neither right nor at the worst end.
#
# ## Learning-rate schedules
#
# A constant step size makes SGD hover at a distance from the minimum set by the gradient noise;
# decreasing it removes the noise but slows progress. The lectures' schedules, as
# `lr_scheduler` objects stepped once per epoch:


# %%
def schedule(make, epochs=60):
    p = ag.zeros(1, requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    sched = make(opt)
    lrs = []
    for _ in range(epochs):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return np.array(lrs)


SCHEDULES = {
    "eta t^-1/2 (PowerDecayLR)": lambda o: lr_scheduler.PowerDecayLR(o, alpha=-0.5),
    "eta t^-1 (PowerDecayLR)": lambda o: lr_scheduler.PowerDecayLR(o, alpha=-1.0),
    "eta 0.95^t (ExponentialLR)": lambda o: lr_scheduler.ExponentialLR(o, gamma=0.95),
    "step: /2 every 15 (StepLR)": lambda o: lr_scheduler.StepLR(o, step_size=15, gamma=0.5),
    "epoch doubling, K=4": lambda o: lr_scheduler.EpochDoublingLR(o, K=4),
    "cosine, T_max=60": lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=60),
}
curves = {name: schedule(make) for name, make in SCHEDULES.items()}
fig, ax = plt.subplots(figsize=(7, 3.8))
for name, lrs in curves.items():
    ax.step(range(len(lrs)), lrs, where="post", label=name)
ax.set_yscale("log")
ax.set_xlabel("epoch")
ax.set_ylabel("learning rate")
ax.legend(fontsize=9)
plt.show()
dbl = curves["epoch doubling, K=4"]
print("epoch doubling: lr changes at epochs", [e for e in range(1, 60) if dbl[e] != dbl[e - 1]])


# %% [markdown]
# ### The schedules on a noisy problem
#
# SGD on $f(\mathbf{x}) = x_1^2 + 2x_2^2$ with noisy gradients $\nabla f + \boldsymbol\xi$,
# $\boldsymbol\xi \sim \mathcal N(0, I)$ (a `register_hook` adds the noise to the gradient as it
# arrives), 40 "epochs" of 25 steps each. The constant rate stalls at its noise floor; the
# decaying ones keep improving.


# %%
def noisy_sgd(make_sched, epochs=40, steps=25, seed=0):
    rng = np.random.default_rng(seed)
    x = ag.tensor([-5.0, -2.0], dtype=np.float64, requires_grad=True)
    x.register_hook(lambda g: g + ag.tensor(rng.standard_normal(2)))
    opt = optim.SGD([x], lr=0.1)
    sched = make_sched(opt) if make_sched else None
    dist = []
    for _ in range(epochs):
        for _ in range(steps):
            opt.zero_grad()
            quad(x).backward()
            opt.step()
        if sched:
            sched.step()
        dist.append(np.linalg.norm(x.numpy()))
    return np.array(dist)


runs = {
    "constant 0.1": None,
    **{
        k: SCHEDULES[k]
        for k in ["eta t^-1/2 (PowerDecayLR)", "step: /2 every 15 (StepLR)", "epoch doubling, K=4"]
    },
}
fig, ax = plt.subplots(figsize=(7, 3.8))
for name, make in runs.items():
    d = np.mean([noisy_sgd(make, seed=s) for s in range(8)], axis=0)
    ax.semilogy(d, label=name)
    print(f"{name:28s}: mean distance to the minimum after 40 epochs = {d[-1]:.3f}")
ax.set_xlabel("epoch")
ax.set_ylabel("|x - x*| (mean of 8 runs)")
ax.legend(fontsize=9)
plt.show()

# %% [markdown]
# **Takeaways.** Momentum and its Nesterov variant speed up narrow valleys; the adaptive methods
# (AdaGrad, RMSProp, Adam) rescale each coordinate by its gradient history, which helps when
# coordinates have very different scales, but Adam's short memory can make it diverge from the
# optimum on problems with rare large gradients (AMSGrad's fix: never let the denominator
# shrink). With noisy gradients, the learning rate must decrease for SGD to converge.

# %% [markdown]
# ## Exercises
#
# 1. **Heavy ball and EMA.** `optim.SGD(lr=0.01, momentum=0.9)` is the heavy ball. Which step
#    $\alpha$ makes lecture 000's EMA form ($\mathbf m_0 = 0$) take exactly the same steps? Fill in
#    `alpha_same`; the cell runs both on the narrow valley.
# 2. **Adam's first step.** With bias correction, how long is Adam's first step,
#    $|\theta_1 - \theta_0|$, for a one-dimensional parameter and any gradient $g \ne 0$ (take
#    $\epsilon \to 0$)? Fill in `first_step(lr, g)`; the cell checks it against `optim.Adam`.
# 3. **RMSProp's memory.** With $\beta_2 = 0.999$, about how many steps does RMSProp's $n$
#    remember? Explain with this number why $\beta_2 = 0.9$ already suffices on the counterexample,
#    whose gradients repeat every 3 steps, and what would change if the large gradient came only
#    once every 1,000 steps.

# %%
alpha_same = 0.01 / (1 - 0.9)  # exercise 1: your answer


def first_step(lr, g):  # exercise 2: your answer
    return lr  # m_hat = g and v_hat = g^2 after the first step, so the step is lr * g / |g|


heavy = sgd_path(valley, [0.5, 3.0], 50, lr=0.01, momentum=0.9)
assert np.allclose(ema_momentum(valley, [0.5, 3.0], alpha_same, 0.9, 50, start="m0 = 0"), heavy)
for lr, g in [(0.1, 3.0), (0.01, -0.5), (1.0, 250.0)]:
    p = ag.tensor([2.0], dtype=np.float64, requires_grad=True)
    opt = optim.Adam([p], lr=lr)
    (g * p).sum().backward()
    opt.step()
    assert abs(abs(p.item() - 2.0) - first_step(lr, g)) < 1e-6 * lr
print(f"checked: alpha_same = {alpha_same:g}; Adam's first step has length lr")
