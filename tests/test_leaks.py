"""No leaks over long runs; graphs die with their last reference, without the cycle collector.

Guarantees tested here (RELIABILITY.md, "Memory"):
- a 2,000-step MLP training loop (nn + optim.Adam) keeps traced memory flat: sampled every
  100 steps with ``tracemalloc``, the fitted slope after a 500-step warm-up is below 16
  bytes/step (one leaked graph per step measures about 6 KB/step);
- the graph is freed by reference counting alone (``gc`` disabled) when the loss goes out of
  scope without backward, after backward, and with hooks, retained grads, anomaly mode,
  ``retain_graph``, ``ag.grad``, custom Functions and ``functional.jacobian``: the engine makes
  no reference cycles (``Node -> output`` is a weak reference), checked with ``gc.collect()``
  finding nothing unreachable;
- hooks and ``retain_grad()`` do not pin the graph.
"""
from __future__ import annotations

import gc
import time
import tracemalloc
import weakref

import numpy as np
import pytest

import autograd_lite as ag

STEPS = 2000
SAMPLE_EVERY = 100
MAX_SLOPE = 16.0  # bytes per step (one leaked 0-d array per step would be ~100)


@pytest.fixture
def no_gc():
    """Cycle collector off: anything freed must be freed by reference counting."""
    gc.collect()
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _mlp_loss(x: ag.Tensor, w1: ag.Tensor, w2: ag.Tensor) -> tuple:
    h = (x @ w1).tanh()
    out = h @ w2
    return (out * out).mean(), h


def _params(seed: int = 0) -> tuple:
    rng = np.random.default_rng(seed)
    x = ag.tensor(rng.standard_normal((16, 8)))
    w1 = ag.tensor(rng.standard_normal((8, 32)) * 0.3, requires_grad=True)
    w2 = ag.tensor(rng.standard_normal((32, 1)) * 0.3, requires_grad=True)
    return x, w1, w2


# ----------------------------------------------------------------------------- long run
@pytest.mark.slow
def test_training_loop_memory_is_flat():
    nn = pytest.importorskip("autograd_lite.nn")
    optim = pytest.importorskip("autograd_lite.optim")
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 32), nn.Tanh(), nn.Linear(32, 1))
    opt = optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.MSELoss()
    rng = np.random.default_rng(0)
    X = ag.tensor(rng.standard_normal((64, 8)))
    Y = ag.tensor(rng.standard_normal((64, 1)))
    samples = []
    t0 = time.perf_counter()
    tracemalloc.start()
    try:
        for step in range(STEPS):
            i = (step * 16) % 64
            opt.zero_grad()
            loss = loss_fn(model(X[i:i + 16]), Y[i:i + 16])
            loss.backward()
            opt.step()
            if step % SAMPLE_EVERY == SAMPLE_EVERY - 1:
                samples.append(tracemalloc.get_traced_memory()[0])
    finally:
        tracemalloc.stop()
    elapsed = time.perf_counter() - t0
    steps = np.arange(1, len(samples) + 1) * SAMPLE_EVERY
    # Warm-up: optimiser state, NumPy's small-buffer cache and Python's allocator pools fill
    # during the first few hundred steps (a bounded plateau, not a leak).
    warm = 5
    slope, intercept = np.polyfit(steps[warm:], samples[warm:], 1)
    resid = np.asarray(samples[warm:]) - (slope * steps[warm:] + intercept)
    growth = samples[-1] - samples[warm]
    print(f"\n{STEPS} steps in {elapsed:.1f}s; traced memory {samples[warm]} -> {samples[-1]} B; "
          f"slope {slope:.3f} B/step; residual std {resid.std():.0f} B")
    assert len(samples) == STEPS // SAMPLE_EVERY
    assert slope < MAX_SLOPE, f"memory grows {slope:.1f} B/step: {samples}"
    assert growth < MAX_SLOPE * STEPS, f"memory grew {growth} B: {samples}"
    assert np.isfinite(loss.item())


# ----------------------------------------------------------------------------- freed graphs
def test_graph_freed_without_backward(no_gc):
    x, w1, w2 = _params()
    loss, h = _mlp_loss(x, w1, w2)
    refs = [weakref.ref(h), weakref.ref(h.grad_fn), weakref.ref(loss.grad_fn)]
    data_ref = weakref.ref(h.data.base if h.data.base is not None else h.data)
    del loss, h
    assert all(r() is None for r in refs), "the graph outlived the loss (reference cycle?)"
    assert data_ref() is None, "an intermediate array outlived its graph"
    assert w1.grad is None and w1._hooks is None  # the leaves are untouched


def test_large_intermediate_released_without_backward(no_gc):
    w = ag.tensor(np.ones((256, 256)), requires_grad=True)  # float64: 512 KiB per array
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        loss = ((w * 2).exp() * w).sum()
        peak_with_graph = tracemalloc.get_traced_memory()[0] - base
        del loss
        after = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    assert peak_with_graph > 3 * 256 * 256 * 8 * 0.9  # three saved/held arrays
    assert after < 64 * 1024, f"{after} bytes still held after the loss was dropped"


def test_graph_freed_after_backward_even_if_output_is_kept(no_gc):
    x, w1, w2 = _params()
    loss, h = _mlp_loss(x, w1, w2)
    pre = (x @ w1)  # a second use of the input: not part of loss's graph
    inner = weakref.ref(h.grad_fn.inputs[0])  # the matmul result feeding tanh
    del pre
    loss.backward()
    # backward releases the saved inputs: the tensors upstream of h die although h lives
    assert inner() is None
    assert h.grad_fn.freed and h.grad_fn.inputs is None
    assert w1.grad is not None


@pytest.mark.parametrize("mode", ["plain", "hook", "retain_grad", "leaf_hook", "anomaly",
                                  "retain_graph", "ag_grad", "create_graph", "no_backward"])
def test_no_reference_cycles(no_gc, mode):
    """``gc.collect()`` finds nothing to collect after a round of the given kind."""
    x, w1, w2 = _params()
    gc.collect()
    for _ in range(3):
        if mode == "anomaly":
            with ag.detect_anomaly():
                loss, h = _mlp_loss(x, w1, w2)
                loss.backward()
        else:
            loss, h = _mlp_loss(x, w1, w2)
            if mode == "hook":
                h.register_hook(lambda g: g * 0.5)
            elif mode == "retain_grad":
                h.retain_grad()
            elif mode == "leaf_hook":
                remove = w1.register_hook(lambda g: g)
            if mode == "retain_graph":
                loss.backward(retain_graph=True)
                loss.backward()
            elif mode == "ag_grad":
                ag.grad(loss, [w1, w2])
            elif mode == "create_graph":
                (g1, g2) = ag.grad(loss, [w1, w2], create_graph=True)
                ((g1 * g1).sum() + (g2 * g2).sum()).backward()
                del g1, g2
            elif mode != "no_backward":
                loss.backward()
            if mode == "retain_grad":
                assert h.grad is not None
            if mode == "leaf_hook":
                remove()
        del loss, h
        w1.grad = w2.grad = None
    unreachable = gc.collect()
    assert unreachable == 0, f"{unreachable} objects were only freed by the cycle collector"


def test_hooks_and_retain_grad_do_not_pin_the_graph(no_gc):
    x, w1, w2 = _params()
    loss, h = _mlp_loss(x, w1, w2)
    calls = []
    h.register_hook(lambda g: calls.append(g.shape))
    w1.register_hook(lambda g: None)  # a hook on a parameter lives as long as the parameter
    h.retain_grad()
    refs = [weakref.ref(h), weakref.ref(h.grad_fn), weakref.ref(loss.grad_fn)]
    del loss, h
    assert all(r() is None for r in refs)
    # the parameter's hook keeps working for the next graph and pins nothing of the old one
    loss, h = _mlp_loss(x, w1, w2)
    loss.backward()
    assert w1.grad is not None and calls == []


def test_custom_function_saving_its_output_makes_no_cycle(no_gc):
    class Exp(ag.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y

    x = ag.tensor(np.linspace(-1, 1, 5), requires_grad=True)
    gc.collect()
    for _ in range(3):
        y = Exp.apply(x)
        ref = weakref.ref(y.grad_fn)
        y.sum().backward()
        del y
        assert ref() is None
        y = Exp.apply(x)  # and without backward
        ref = weakref.ref(y.grad_fn)
        del y
        assert ref() is None
    unreachable = gc.collect()  # (before assert_allclose, which makes cycles of its own)
    np.testing.assert_allclose(x.grad.data, 3 * np.exp(np.linspace(-1, 1, 5)))
    assert unreachable == 0


def test_functional_jacobian_hessian_make_no_cycle(no_gc):
    x = ag.tensor(np.linspace(0.1, 1.0, 4))
    gc.collect()
    J = ag.functional.jacobian(lambda t: (t * t).tanh(), x)
    H = ag.functional.hessian(lambda t: (t ** 3).sum(), x)
    del J, H
    assert gc.collect() == 0


def test_training_steps_make_no_cycle(no_gc):
    nn = pytest.importorskip("autograd_lite.nn")
    optim = pytest.importorskip("autograd_lite.optim")
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = ag.randn(8, 4)
    for _ in range(2):  # warm-up: optimiser state is created on the first step
        opt.zero_grad()
        model(x).pow(2).mean().backward()
        opt.step()
    gc.collect()
    for _ in range(5):
        opt.zero_grad()
        loss = model(x).pow(2).mean()
        loss.backward()
        opt.step()
    del loss
    assert gc.collect() == 0


@pytest.mark.parametrize("fail", [
    lambda a, b: a @ b,
    lambda a, b: a + b,
    lambda a, b: a * b,
    lambda a, b: ag.concatenate([a, b], axis=0),
    lambda a, b: ag.stack([a, b]),
    lambda a, b: ag.einsum("ij,jk->ik", a, b),
    lambda a, b: a.reshape(7),
    lambda a, b: ag.where(a > 0, a, b),
], ids=["matmul", "add", "mul", "concatenate", "stack", "einsum", "reshape", "where"])
def test_a_caught_shape_error_leaves_no_cycle_holding_the_operands(fail):
    gc.collect()
    gc.disable()
    try:
        a = ag.tensor(np.ones((2, 3)), requires_grad=True)
        b = ag.tensor(np.ones((4, 5)))
        refs = weakref.ref(a), weakref.ref(b)
        try:
            fail(a, b)
        except (ValueError, TypeError):
            pass
        else:
            pytest.fail("expected a shape error")
        del a, b
        assert all(r() is None for r in refs), "operands kept alive by a reference cycle"
    finally:
        gc.enable()
