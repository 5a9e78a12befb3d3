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
#   $\partial l / \partial\lambda = -0.2$ (lecture 002), where some of the slide's other
#   numbers turn out not to follow from these, and one SGD step on it.
#
# We draw each graph before and after backward, and walk backprop one op at a time with
# `viz.BackwardStepper`. Then networks as directed acyclic graphs (lecture 001) and the chain
# rule when a value reaches the output along several paths (lecture 004).

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

import autograd_lite as ag

plt.rcParams["figure.dpi"] = 100
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
# ### The slide's stored numbers do not add up (lecture 002)
#
# The slide stores the forward pass as $(x, h, \lambda, y, l) = (0.3, 0.67, 0.8, 1, 0.02)$ and
# then writes $\partial l/\partial\lambda = -0.2$, $\partial l/\partial h = -0.04$,
# $\partial l/\partial w = -0.26$ and $-0.04$ once more, labelled $\partial l/\partial w$
# again (by its value, the bias gradient $\partial l/\partial b = \partial l/\partial h$). Only
# $l = 0.02$ and $\partial l/\partial\lambda = -0.2$ follow from $\lambda = 0.8$ and $y = 1$:
#
# * $\sigma(0.67) = 0.66$, not $0.8$; $\lambda = 0.8$ needs $h = \sigma^{-1}(0.8) = \log 4 = 1.386$;
# * $\partial l/\partial h = -0.2 \cdot 0.8 \cdot (1 - 0.8) = -0.032$, not $-0.04$;
# * $\partial l/\partial w = x\,\partial l/\partial h = 0.3 \cdot (-0.032) = -0.0096$; even the
#   slide's own $-0.04$ would give $-0.012$, not $-0.26$; $\partial l/\partial b =
#   \partial l/\partial h = -0.032$.
#
# The engine's numbers for the two self-consistent readings: the one this notebook uses
# ($\lambda = 0.8$, so $h = \log 4$), and the one that keeps $h = 0.67$ (then $\lambda$ and $l$
# change). Neither gives the slide's $-0.04$ or $-0.26$.


# %%
def neuron_numbers(h_value, x_value=0.3, y_value=1.0, w_value=2.0):
    """Forward and backward of the neuron with x w + b = h_value: the engine's numbers."""
    wt = ag.tensor(w_value, requires_grad=True)
    bt = ag.tensor(h_value - x_value * w_value, requires_grad=True)
    ht = x_value * wt + bt
    lt = ag.sigmoid(ht)
    loss = 0.5 * (y_value - lt) ** 2
    ht.retain_grad()
    lt.retain_grad()
    loss.backward()
    return {"h": ht.item(), "lambda": lt.item(), "l": loss.item(), "dl/dlambda": lt.grad.item(),
            "dl/dh": ht.grad.item(), "dl/dw": wt.grad.item(), "dl/db": bt.grad.item()}


slide = {"h": 0.67, "lambda": 0.8, "l": 0.02, "dl/dlambda": -0.2, "dl/dh": -0.04,
         "dl/dw": -0.26, "dl/db": -0.04}
lam08 = neuron_numbers(np.log(4.0))  # lambda = 0.8
h067 = neuron_numbers(0.67)  # the slide's h
print(f"{'':11s}{'slide':>9s}{'lambda = 0.8':>14s}{'h = 0.67':>11s}")
for k in slide:
    print(f"{k:11s}{slide[k]:9.4g}{lam08[k]:14.4g}{h067[k]:11.4g}")
# the text's claims, checked
assert np.isclose(lam08["lambda"], 0.8) and np.isclose(lam08["l"], 0.02)
assert np.isclose(lam08["dl/dlambda"], -0.2) and np.isclose(lam08["dl/dh"], -0.032)
assert np.isclose(lam08["dl/dw"], -0.0096) and np.isclose(lam08["dl/db"], -0.032)
assert abs(h067["lambda"] - 0.8) > 0.1 and round(h067["lambda"], 2) == 0.66
assert np.isclose(0.3 * slide["dl/dh"], -0.012)
for col in (lam08, h067):  # neither reading reproduces the slide's -0.04 and -0.26
    assert not np.isclose(col["dl/dh"], -0.04, atol=5e-3)
    assert not np.isclose(col["dl/dw"], -0.26, atol=5e-3)

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
# ### One SGD step of the neuron (lecture 002)
#
# The lecture's stochastic gradient descent: (1) the derivatives, averaged over the
# mini-batch, $\frac{\partial L}{\partial w} \approx \frac1m \sum_i \frac{\partial
# l^{(i)}}{\partial w}$ (here $m = 1$: the one example above); (2) the update
# $w \leftarrow w - \alpha\,\partial L/\partial w$,
# $b \leftarrow b - \alpha\,\partial L/\partial b$.
# The slide gives no step size; we take $\alpha = 1$. `optim.SGD` makes the step from the
# `.grad` values backward left, and the loss goes down by about
# $\alpha\,\|\nabla l\|^2$, as the first-order Taylor expansion predicts.

# %%
alpha = 1.0
w0, b0 = w.item(), b.item()
gw, gb = w.grad.item(), b.grad.item()
opt = ag.optim.SGD([w, b], lr=alpha)
opt.step()
with ag.no_grad():
    l_new = (0.5 * (y_true - ag.sigmoid(x_in * w + b)) ** 2).item()
print(f"gradient (dl/dw, dl/db) = ({gw:.4f}, {gb:.4f})")
print(f"w: {w0:.4f} -> {w.item():.4f}   b: {b0:.4f} -> {b.item():.4f}")
print(f"l: {l.item():.5f} -> {l_new:.5f}  (change {l_new - l.item():.6f}; "
      f"first-order prediction {-alpha * (gw**2 + gb**2):.6f})")
# the text's claims, checked
assert np.isclose(w.item(), w0 - alpha * gw) and np.isclose(b.item(), b0 - alpha * gb)
assert np.isclose(gw, -0.0096) and np.isclose(gb, -0.032)
assert l_new < l.item()
assert np.isclose(l_new - l.item(), -alpha * (gw**2 + gb**2), rtol=0.1)

# %% [markdown]
# ## Networks as DAGs (lecture 001)
#
# A feedforward network is a directed acyclic graph $G = (V, E)$: input nodes have no incoming
# edges, output nodes no outgoing ones, each edge $u \to v$ carries a weight $w[u \to v]$, and
# each neuron computes $a[v] = \sum_{u \to v \in E} w[u\to v]\, o[u]$ and
# $o[v] = \sigma(a[v])$. A neuron can be evaluated once all its inputs are: in a *topological
# order* of $G$. Below, two inputs, two hidden neurons and one output that also gets a skip
# edge from $x_1$ (so the layers are not the whole story). We order $V$ with Kahn's algorithm
# (repeatedly take a node whose inputs are all done), evaluate the neurons in that order with
# the engine, and draw the graph it recorded.

# %%
E = {("x1", "v3"): 0.5, ("x2", "v3"): -1.0, ("x1", "v4"): 1.5, ("x2", "v4"): 0.3,
     ("v3", "v5"): 2.0, ("v4", "v5"): -1.0, ("x1", "v5"): 0.7}
V = sorted({u for u, _ in E} | {v for _, v in E})
indegree = {v: sum(1 for _, t in E if t == v) for v in V}
order, ready = [], [v for v in V if indegree[v] == 0]
while ready:  # Kahn's algorithm
    u = ready.pop(0)
    order.append(u)
    for a, t in E:
        if a == u:
            indegree[t] -= 1
            if indegree[t] == 0:
                ready.append(t)
print("topological order:", " -> ".join(order))
assert order == ["x1", "x2", "v3", "v4", "v5"]  # the text's claims, checked

o = {"x1": ag.tensor(1.0), "x2": ag.tensor(-0.5)}
weight = {e: ag.tensor(val, requires_grad=True) for e, val in E.items()}
for (u, v), t in weight.items():
    t.name = f"w[{u}->{v}]"
for v in order:
    if v in o:  # an input node
        o[v].name = v
        continue
    a = None
    for (u, t), wt in weight.items():
        if t == v:
            a = wt * o[u] if a is None else a + wt * o[u]
    a.name = f"a[{v}]"
    o[v] = ag.sigmoid(a)
    o[v].name = f"o[{v}]"
viz.draw_graph(o["v5"])

# %% [markdown]
# Backward needs the reverse: a neuron's gradient is complete only when every neuron it feeds
# has sent its contribution. The engine orders the recorded graph itself (iteratively, without
# recursion); the stepper shows which neurons it reached in which order: the reverse of a
# topological order.

# %%
dag_steps = viz.BackwardStepper(o["v5"]).run()
reached = [r.output.name for r in dag_steps if r.op == "Sigmoid"]
print("backward reaches the neurons in the order:", " -> ".join(reached))
assert [n[2:4] for n in reached] == order[::-1][:3]  # v5, v4, v3: the text's claim, checked
print({k: round(t.grad.item(), 4) for k, t in weight.items()})

# %% [markdown]
# ## The chain rule with several paths (lecture 004)
#
# The lecture starts from $z(y) = 2y^2$, $\partial z/\partial y = 4y$, and the simple chain
# $\frac{\partial z}{\partial x} = \frac{\partial z}{\partial y}\frac{\partial y}{\partial x}$;
# then $x$ reaches $z$ through several intermediate values,
# $z(x) = z(y_1(x), y_2(x), \dots, y_n(x))$, and the contributions of the paths add:
#
# $$\frac{\partial z}{\partial x} = \sum_{i=1}^n \frac{\partial z}{\partial y_i}
# \frac{\partial y_i}{\partial x}.$$
#
# First the simple chain, $z = 2y^2$ with $y = 3x$ at $x = 0.5$:
# $\partial z/\partial x = 4y \cdot 3 = 18$.

# %%
x = ag.tensor(0.5, requires_grad=True)
y = 3 * x
z = 2 * y**2
y.retain_grad()
z.backward()
print(f"dz/dy = {y.grad.item()} = 4 y = {4 * y.item()};  dz/dx = {x.grad.item()}")
assert y.grad.item() == 4 * y.item() == 6.0 and x.grad.item() == 18.0  # the text's claim

# %% [markdown]
# Two paths: $y_1 = 3x$, $y_2 = x^2$ and $z = 2y_1^2 + y_1 y_2$. Now $y_1$ itself is used twice
# (in $2y_1^2$ and in $y_1 y_2$), and $x$ twice (in $y_1$ and $y_2$):
#
# $$\frac{\partial z}{\partial x} = \underbrace{(4y_1 + y_2)}_{\partial z/\partial y_1}\cdot 3
# + \underbrace{y_1}_{\partial z/\partial y_2}\cdot 2x = 6.25 \cdot 3 + 1.5 \cdot 1 = 20.25 .$$
#
# In the code, $s = y_1^2$, $t_1 = 2s$, $t_2 = y_1 y_2$ and $z = t_1 + t_2$. Backward adds the
# paths as their gradients arrive. The stepper says so at the step that adds
# a second contribution (`x is used 2 times: partial ... + ...`), and its picture marks a
# gradient that is still partial.

# %%
x = ag.tensor(0.5, requires_grad=True)
y1 = 3 * x
y2 = x**2
sq = y1**2
t1 = 2 * sq
t2 = y1 * y2
z = t1 + t2
paths = viz.BackwardStepper(z, names={"x": x, "y1": y1, "y2": y2, "s": sq, "t1": t1,
                                      "t2": t2, "z": z})
for record in paths:
    print(record.text)
display(paths.draw(step=2))  # x has the gradient of one path so far: marked partial
x1v, y1v, y2v = 0.5, 1.5, 0.25
by_hand = (4 * y1v + y2v) * 3 + y1v * 2 * x1v
print(f"engine dz/dx = {x.grad.item()}, sum over the paths = {by_hand}")
assert x.grad.item() == by_hand == 20.25  # the text's claims, checked
assert sum(bool(r.fanout) for r in paths.steps) == 2  # y1 and x each get two contributions

# %% [markdown]
# With $n$ paths, $y_i = i\,x$ and $z = \sum_i 2y_i^2$: $\partial z/\partial x = \sum_i 4y_i
# \cdot i = 4x\sum_i i^2$, which is $60$ for $n = 4$ at $x = 0.5$. The stepper's fan-out
# lines show the partial gradient of $x$ growing as each path arrives.

# %%
n_paths = 4
x = ag.tensor(0.5, requires_grad=True)
ys = [i * x for i in range(1, n_paths + 1)]
z = sum(2 * yi**2 for yi in ys)
fan = viz.BackwardStepper(z, names={"x": x})
x_lines = [line for r in fan.run() for line in r.fanout if line.startswith("x ")]
print("\n".join(x_lines))
assert len(x_lines) == n_paths - 1  # one line per contribution after the first
expected = 4 * 0.5 * sum(i * i for i in range(1, n_paths + 1))
print(f"engine dz/dx = {x.grad.item()}, 4 x sum i^2 = {expected}")
assert np.isclose(x.grad.item(), expected) and expected == 60  # the text's claims, checked

# %% [markdown]
# ## Forward and reverse mode on the same graph (lecture 004)
#
# The chain rule can be multiplied out in either direction. **Forward mode** pushes a *tangent*
# $\dot v = \partial v/\partial w$ from the input to the output: start with $\dot w = 1$,
# $\dot b = 0$, and each op turns its inputs' tangents into its output's,
# $\dot h = x\,\dot w + \dot b$, $\dot\lambda = \lambda(1 - \lambda)\,\dot h$,
# $\dot r = -\dot\lambda$ for $r = y - \lambda$, $\dot l = r\,\dot r$; the last one is
# $\partial l/\partial w$.
# **Reverse mode** (backward) pulls an *adjoint* $\bar v = \partial l/\partial v$ from the
# output to the inputs: $\bar r = r$, $\bar\lambda = -\bar r$, $\bar h = \lambda(1 - \lambda)\,
# \bar\lambda$, $\bar w = x\,\bar h$. The same local derivatives, multiplied in the opposite
# order. One forward pass gives the derivative of every value along one input direction; one
# backward pass the derivative of one output with respect to every input.
#
# `ForwardStepper(..., tangents={w: 1.0})` replays the graph through each op's forward-mode
# rule (the `dv = ...` line in each box); `.backward()` continues on the same graph with the
# adjoints (the `grad` lines):

# %%
wf = ag.tensor(2.0, requires_grad=True)
bf = ag.tensor(np.log(4.0) - 0.6, requires_grad=True)
nm = {"w": wf, "b": bf}


def neuron(w, b):
    xw = x_in * w
    h = xw + b
    lam = ag.sigmoid(h)
    r = y_true - lam
    s = r**2
    l = 0.5 * s
    nm.update({"xw": xw, "h": h, "lambda": lam, "r": r, "s": s, "l": l})
    return l


fwd = viz.ForwardStepper(neuron, wf, bf, tangents={wf: 1.0}, names=nm)
for record in fwd:
    print(record.text)
display(fwd.draw())
rev = fwd.backward()
for record in rev:
    print(record.text)
display(rev.draw())
dl_dw_forward, dl_dw_reverse = fwd.steps[-1].tangents.item(), wf.grad.item()
print(f"dl/dw: forward mode {dl_dw_forward:.6f}, reverse mode {dl_dw_reverse:.6f}")
lv = nm["lambda"].item()
assert np.isclose(lv, 0.8) and np.isclose(dl_dw_forward, dl_dw_reverse)  # the text's claims
assert np.isclose(dl_dw_forward, -(y_true - lv) * lv * (1 - lv) * x_in)  # = -0.0096
_, jv = ag.functional.jvp(lambda w: neuron(w, bf), wf, ag.tensor(1.0))
assert np.isclose(jv.item(), dl_dw_forward)  # the same number as ag.functional.jvp

# %% [markdown]
# **Takeaways.** The graph is recorded as you compute; backward visits it in reverse
# topological order, each op turning the gradient of its output into gradients of its inputs;
# values used along several paths receive the sum of their gradients. Check a slide's numbers
# against the engine: two of the neuron's did not follow from the others. Notebook 2 does the
# same for whole layers, with matrices.
#
# ## Exercises
#
# 1. **The neuron by hand.** For $x = -1$, $y = 0$, $w = 0.5$, $b = 0.2$, write
#    $\partial l/\partial w$ and $\partial l/\partial b$ of $l = \tfrac12(y - \sigma(xw + b))^2$
#    with the chain rule (fill in `neuron_grads`), and check them against backward.
# 2. **Another topological order.** Add the edge $x_2 \to v_5$ to `E`. Is
#    `x2 -> x1 -> v4 -> v3 -> v5` still a topological order? Write `is_topological(order, E)`.
# 3. **Two paths.** For $z = y_1 y_2$ with $y_1 = \sin x$ and $y_2 = \cos x$, sum the two paths
#    to get $\partial z/\partial x$ in closed form (fill in `dz_dx`), and check it at a few $x$.
#
# The cell below holds reference solutions; replace them with yours and run it.


# %%
def neuron_grads(x, y, w, b):
    lam = 1 / (1 + np.exp(-(x * w + b)))
    dl_dh = (lam - y) * lam * (1 - lam)
    return dl_dh * x, dl_dh


def is_topological(order, edges):
    position = {v: i for i, v in enumerate(order)}
    return all(position[u] < position[v] for u, v in edges)


def dz_dx(x):
    return np.cos(x) ** 2 - np.sin(x) ** 2  # = cos 2x


wt, bt = ag.tensor(0.5, requires_grad=True), ag.tensor(0.2, requires_grad=True)
(0.5 * (0.0 - ag.sigmoid(-1.0 * wt + bt)) ** 2).backward()
assert np.allclose(neuron_grads(-1.0, 0.0, 0.5, 0.2), (wt.grad.item(), bt.grad.item()))
E2 = {**E, ("x2", "v5"): 1.0}
assert is_topological(["x2", "x1", "v4", "v3", "v5"], E2)
assert not is_topological(["x1", "v3", "x2", "v4", "v5"], E2)
for xv in (-1.0, 0.3, 2.0):
    xt = ag.tensor(xv, requires_grad=True)
    (ag.sin(xt) * ag.cos(xt)).backward()
    assert np.isclose(dz_dx(xv), xt.grad.item())
print("all exercise checks pass")
ag.set_default_dtype(np.float32)
