# ---
# jupyter:
#   autograd_lite:
#     dot: true
#     requires:
#     - viz
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 1. Computation graphs and the chain rule
#
# **What this notebook teaches.** How autograd_lite records a computation as a graph while it
# computes, and how `backward()` applies the chain rule to that graph, node by node, from the
# output back to the inputs. Two examples from the lectures:
#
# * $f(x, y, z) = (x + y)\,z$ at $(-2, 5, -4)$;
# * the sigmoid neuron $l = \tfrac12 (y - \sigma(xw + b))^2$ with the slide's numbers
#   $x = 0.3$, $y = 1$, $\lambda = \sigma(xw + b) = 0.8$, $l = 0.02$,
#   $\partial l / \partial\lambda = -0.2$.
#
# We draw each graph before and after backward, and walk backprop one op at a time with
# `viz.BackwardStepper`.

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

import autograd_lite as ag

plt.rcParams["figure.dpi"] = 80
ag.manual_seed(0)
from IPython.display import HTML, display

from autograd_lite import viz

ag.set_default_dtype(np.float64)

# %% [markdown]
# ## $(x + y)\,z$
#
# Every op on tensors that require grad creates a node (`grad_fn`) that remembers its inputs.
# Naming the tensors (`t.name = ...`) makes the pictures readable.

# %%
x = ag.tensor(-2.0, requires_grad=True)
x.name = "x"
y = ag.tensor(5.0, requires_grad=True)
y.name = "y"
z = ag.tensor(-4.0, requires_grad=True)
z.name = "z"
q = x + y
q.name = "q"
f = q * z
f.name = "f"
print(f"q = {q.item()}, f = {f.item()}")
print("f.grad_fn =", f.grad_fn, " its inputs go to", f.grad_fn.next_functions)
viz.draw_graph(f)

# %% [markdown]
# The chain rule: $\partial f/\partial z = q$, $\partial f/\partial q = z$, and because
# $\partial q/\partial x = \partial q/\partial y = 1$, $\partial f/\partial x = \partial f/\partial
# y = z$.
# After `backward()` the leaves hold exactly these numbers, and the picture shows them:

# %%
f.backward()
print(f"df/dx = {x.grad.item()}  (z = {z.item()})")
print(f"df/dy = {y.grad.item()}  (z = {z.item()})")
print(f"df/dz = {z.grad.item()}  (q = x + y = {q.item()})")
viz.draw_graph(f)

# %% [markdown]
# ## The sigmoid neuron, with the lecture's numbers
#
# The forward pass of $l = \tfrac12 (y - \sigma(xw + b))^2$ is
# $h = xw + b$, $\lambda = \sigma(h)$, $l = \tfrac12 (y - \lambda)^2$. The slide gives $x = 0.3$,
# $y = 1$ and $\lambda = 0.8$ but not $w$ and $b$; any pair with $h = \log 4$ gives
# $\sigma(h) = 0.8$. We take $w = 2$ and $b = \log 4 - 0.6$.

# %%
x_in, y_true = 0.3, 1.0
w = ag.tensor(2.0, requires_grad=True)
w.name = "w"
b = ag.tensor(np.log(4.0) - 0.6, requires_grad=True)
b.name = "b"
h = x_in * w + b
h.name = "h"
lam = ag.sigmoid(h)
lam.name = "lambda"
l = 0.5 * (y_true - lam) ** 2
l.name = "l"
lam.retain_grad()
h.retain_grad()  # keep the gradients of two intermediates
print(f"h = {h.item():.4f}, lambda = {lam.item():.4f}, l = {l.item():.4f}")
viz.draw_graph(l)

# %% [markdown]
# ### Backprop one op at a time
#
# `BackwardStepper` runs the engine's own backward loop, one op per step. Each step receives the
# gradient of $l$ with respect to its output (`grad_output`) and sends one gradient to each
# input; its text shows how that number was made: the op's local rule in symbols, then with the
# step's numbers (the engine's own values). Below, the picture after the first four steps: the
# highlighted op is the one just processed, and the gradients known so far are written in.
# `draw(focus=k)` draws only the neighbourhood of step `k` (useful for big graphs).

# %%
stepper = viz.BackwardStepper(l, names=locals())
for _ in range(4):
    print(stepper.step().text)
display(stepper.draw())
display(stepper.draw(focus=3))

# %%
for record in stepper:  # the remaining steps
    print(record.text)
display(stepper.draw())

# %% [markdown]
# The whole pass as one offline page, one frame per step (prev/next buttons or the arrow keys,
# the step table below): open [01_neuron_backward.html](01_neuron_backward.html) in a browser.
# With `quiz=True` the stepper hides each step's numbers until you `answer(...)` them (a wrong
# answer gets a hint from the local rule); `viz.ForwardStepper(fn, *inputs)` walks the forward
# pass the same way.

# %%
path = stepper.to_html("01_neuron_backward.html")
display(HTML(f'<a href="{path}" target="_blank">{path}</a>: {len(stepper.steps)} frames'))
quiz = viz.BackwardStepper(0.5 * (y_true - ag.sigmoid(x_in * w + b)) ** 2, quiz=True)
for _ in range(4):
    quiz.step()
print(quiz.question)
print(quiz.answer(-0.2))  # the upstream gradient: not yet multiplied by the local rule
print(quiz.answer(-0.032))
w.grad = b.grad = None  # (the quiz's pass adds to .grad: start the check below clean)
quiz.run()

# %% [markdown]
# The lecture's chain, $\frac{\partial l}{\partial w} = \frac{\partial l}{\partial\lambda}
# \frac{\partial\lambda}{\partial h}\frac{\partial h}{\partial w}$ with
# $\frac{\partial l}{\partial\lambda} = -(y - \lambda)$, $\frac{\partial\lambda}{\partial h} =
# \lambda(1 - \lambda)$, $\frac{\partial h}{\partial w} = x$, checked against what the stepper left
# in `.grad`:

# %%
lv = lam.item()
rows = [
    ("dl/dlambda", lam.grad.item(), -(y_true - lv)),
    ("dl/dh", h.grad.item(), -(y_true - lv) * lv * (1 - lv)),
    ("dl/dw", w.grad.item(), -(y_true - lv) * lv * (1 - lv) * x_in),
    ("dl/db", b.grad.item(), -(y_true - lv) * lv * (1 - lv)),
]
print(f"{'':12s}{'engine':>12s}{'by hand':>12s}")
for name, eng, hand in rows:
    print(f"{name:12s}{eng:12.5f}{hand:12.5f}")
assert all(np.isclose(e, h_) for _, e, h_ in rows)
print(f"l = {l.item():.4f} and dl/dlambda = {lam.grad.item():.4f}: the slide's 0.02 and -0.2")

# %% [markdown]
# ### The derivative is the slope
#
# A gradient is a local linear model. Plotting $l$ as a function of $w$ (with $b$ fixed), the line
# through $(w, l)$ with slope `w.grad` is tangent to the curve; central finite differences give
# the same slope.

# %%
ws = np.linspace(-4, 8, 200)
with ag.no_grad():
    ls = (0.5 * (y_true - ag.sigmoid(x_in * ag.tensor(ws) + b)) ** 2).numpy()
slope = w.grad.item()
eps = 1e-5


def loss_at(wv):
    return 0.5 * (y_true - 1 / (1 + np.exp(-(x_in * wv + b.item())))) ** 2


fd = (loss_at(2 + eps) - loss_at(2 - eps)) / (2 * eps)
print(f"engine slope {slope:.6f}, finite differences {fd:.6f}")

plt.figure(figsize=(6, 3.5))
plt.plot(ws, ls, label="l(w)")
plt.plot(ws, l.item() + slope * (ws - 2.0), "--", label=f"tangent, slope dl/dw = {slope:.4f}")
plt.plot([2.0], [l.item()], "ko")
plt.ylim(0, ls.max() * 1.1)
plt.xlabel("w")
plt.ylabel("l")
plt.legend()
plt.title("the neuron's loss as a function of w")
plt.show()

# %% [markdown]
# **Takeaways.** The graph is recorded as you compute; backward visits it in reverse
# topological order, each op turning the gradient of its output into gradients of its inputs;
# values used twice receive the sum of their gradients. Notebook 2 does the same for a whole
# layer, with matrices.

# %%
ag.set_default_dtype(np.float32)
