"""Reverse mode: accumulation, retain_grad, hooks, freeing and retain_graph, create_graph,
ag.grad, root-gradient rules, grad mode (no_grad/enable_grad, decorators, threads), a
million-op chain and memory release after backward."""
import gc
import threading
import time
import tracemalloc
import weakref

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite.backward import iter_backward


def f64(x, requires_grad=True):
    return ag.tensor(x, dtype=np.float64, requires_grad=requires_grad)


# ----------------------------------------------------------------------------- accumulation
def test_gradients_accumulate_across_backward_calls():
    x = f64([1.0, 2.0])
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.data, [3 + 2, 3 + 4])
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.data, [3.0, 3.0])


def test_paths_meeting_add_up():
    x = f64(2.0)
    y = x * x  # x used twice in one op
    z = y + x + y  # y used twice
    z.backward()
    assert x.grad.item() == pytest.approx(2 * 2 * 2 + 1)


def test_grad_has_leaf_shape_and_dtype():
    x = ag.tensor(np.ones((2, 1), dtype=np.float32), requires_grad=True)
    y = (x + ag.tensor(np.ones(3, dtype=np.float64))).sum()  # promotes to float64
    y.backward()
    assert x.grad.shape == (2, 1) and x.grad.dtype == np.float32
    assert x.grad.is_leaf and not x.grad.requires_grad


def test_nonleaf_grad_only_with_retain_grad():
    x = f64([1.0, 2.0])
    h = x * 2
    k = x * 3
    h.retain_grad()
    (h * k).sum().backward()
    np.testing.assert_allclose(h.grad.data, k.data)
    assert k.grad is None
    np.testing.assert_allclose(x.grad.data, 2 * k.data + 3 * h.data)


def test_grads_own_their_memory():
    # Add passes its upstream gradient on unchanged: .grad of leaves and retained non-leaves
    # must still be separate arrays (an in-place change to one must not change another, nor
    # the user's `gradient`).
    a, b = f64([1.0, 2.0]), f64([3.0, 4.0])
    h1, h2 = a * 1, b * 1
    h1.retain_grad()
    h2.retain_grad()
    v = f64([1.0, 1.0], requires_grad=False)
    (h1 + h2).backward(v)
    arrays = [a.grad.data, b.grad.data, h1.grad.data, h2.grad.data, v.data]
    for i, u in enumerate(arrays):
        for w in arrays[i + 1:]:
            assert not np.shares_memory(u, w)


def test_a_fresh_gradient_becomes_grad_without_a_copy():
    # x's gradient g * w is a new array that nothing else holds: .grad takes it as it is (and
    # w's reduced gradient is made first), so backward needs one x-sized array, not three
    x = f64(np.random.default_rng(0).standard_normal(1_000_000))
    w = f64(1.5)
    loss = (x * w).sum()
    gc.collect()
    tracemalloc.start()
    try:
        loss.backward()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1.5 * x.data.nbytes, f"backward peaked at {peak / x.data.nbytes:.2f} copies"
    np.testing.assert_allclose(x.grad.data, 1.5)
    assert x.grad.data.flags.writeable and x.grad.data.flags.owndata
    np.testing.assert_allclose(w.grad.data, x.data.sum())


def test_a_gradient_someone_else_holds_is_copied_into_grad():
    # a hook that keeps its gradient, the caller's `gradient` of a leaf, a stepper's steps and
    # one upstream gradient sent to two leaves: .grad is a separate array in every case
    x = f64([1.0, 2.0])
    kept = []
    x.register_hook(lambda g: kept.append(g))
    (x * 3).sum().backward()
    assert not np.shares_memory(x.grad.data, kept[0].data)
    leaf = f64([1.0, 2.0])
    v = ag.tensor([0.5, 0.25], dtype=np.float64)
    leaf.backward(v)
    assert not np.shares_memory(leaf.grad.data, v.data)
    y = f64([1.0, 2.0])
    steps = list(iter_backward((y * 2).sum()))
    assert not np.shares_memory(y.grad.data, steps[-1].grad_inputs[0].data)
    a, b = f64([1.0]), f64([2.0])
    (a + b).sum().backward()
    assert not np.shares_memory(a.grad.data, b.grad.data)
    a.grad.data[0] = 7.0
    assert b.grad.item() == 1.0


def test_retain_grad_on_leaf_is_noop_and_on_constant_raises():
    x = f64([1.0])
    x.retain_grad()
    (x * 2).sum().backward()
    np.testing.assert_allclose(x.grad.data, [2.0])
    with pytest.raises(RuntimeError):
        ag.tensor([1.0]).retain_grad()


# ----------------------------------------------------------------------------- hooks
def test_hook_on_leaf_sees_and_replaces_gradient():
    x = f64([1.0, 2.0])
    seen = []

    def hook(g):
        seen.append(g.data.copy())
        return g * 10

    x.register_hook(hook)
    (x * 3).sum().backward()
    np.testing.assert_allclose(seen[0], [3.0, 3.0])
    np.testing.assert_allclose(x.grad.data, [30.0, 30.0])


def test_hook_on_nonleaf_replaces_gradient_flowing_on():
    x = f64([1.0, 2.0])
    h = x * 2
    h.register_hook(lambda g: g * 0 + 1.0)  # replace upstream grad (which is h's 3) by ones
    (h * 3).sum().backward()
    np.testing.assert_allclose(x.grad.data, [2.0, 2.0])


def test_hook_returning_none_keeps_gradient_and_handle_removes():
    x = f64([1.0])
    calls = []
    remove = x.register_hook(lambda g: calls.append(1))
    (x * 2).sum().backward()
    np.testing.assert_allclose(x.grad.data, [2.0])
    remove()
    (x * 2).sum().backward()
    assert len(calls) == 1


def test_hook_with_wrong_shape_raises():
    x = f64([1.0, 2.0])
    x.register_hook(lambda g: ag.tensor([1.0]))
    with pytest.raises(RuntimeError, match="hook"):
        (x * 2).sum().backward()


def test_hooks_fire_inside_ag_grad():
    x = f64([1.0, 2.0])
    h = x * 2
    h.register_hook(lambda g: g * 5)
    (g,) = ag.grad((h * 1).sum(), x)
    np.testing.assert_allclose(g.data, [10.0, 10.0])
    assert x.grad is None


def test_hooks_called_once_with_the_summed_gradient():
    x = f64([1.0, 2.0])
    h = x * 1
    calls = {"x": [], "h": []}
    x.register_hook(lambda g: calls["x"].append(g.data.copy()))
    h.register_hook(lambda g: calls["h"].append(g.data.copy()))
    (h * 2 + h * 3 + x).sum().backward()
    assert len(calls["h"]) == 1 and len(calls["x"]) == 1
    np.testing.assert_allclose(calls["h"][0], [5.0, 5.0])
    np.testing.assert_allclose(calls["x"][0], [6.0, 6.0])


def test_hook_sees_gradient_with_create_graph_as_tensor():
    x = f64([1.0, 2.0])
    seen = []
    x.register_hook(lambda g: seen.append(g))
    (x ** 3).sum().backward(create_graph=True)
    assert isinstance(seen[0], ag.Tensor) and seen[0].requires_grad


def test_register_hook_on_constant_raises():
    with pytest.raises(RuntimeError):
        ag.tensor([1.0]).register_hook(lambda g: g)


# ----------------------------------------------------------------------------- freeing
def test_second_backward_through_freed_graph_raises():
    x = f64([1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time|retain_graph"):
        y.backward()


def test_freed_graph_releases_saved_values():
    x = f64([1.0, 2.0])
    y = x * 2
    z = y.sum()
    node = y.grad_fn
    assert node.inputs is not None and not node.freed
    z.backward()
    assert node.freed and node.inputs is None


def test_retain_graph_allows_second_backward():
    x = f64([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.data, 2 * 2 * x.data)


def test_ag_grad_frees_unless_retain_graph():
    x = f64(3.0)
    y = x ** 3
    ag.grad(y, x, retain_graph=True)
    (g,) = ag.grad(y, x)
    assert g.item() == pytest.approx(27.0)
    with pytest.raises(RuntimeError):
        ag.grad(y, x)


# ----------------------------------------------------------------------------- create_graph
def test_create_graph_double_backward():
    x = f64([1.0, 2.0])
    y = (x ** 3).sum()
    y.backward(create_graph=True)
    g = x.grad
    assert g.requires_grad and g.grad_fn is not None
    np.testing.assert_allclose(g.data, 3 * x.data ** 2)
    x.grad = None
    g.sum().backward()
    np.testing.assert_allclose(x.grad.data, 6 * x.data)


def test_third_derivative_through_ag_grad():
    x = f64(0.7)
    y = x.sin()
    (g1,) = ag.grad(y, x, create_graph=True)
    (g2,) = ag.grad(g1, x, create_graph=True)
    (g3,) = ag.grad(g2, x)
    assert g1.item() == pytest.approx(np.cos(0.7))
    assert g2.item() == pytest.approx(-np.sin(0.7))
    assert g3.item() == pytest.approx(-np.cos(0.7))


def test_gradient_penalty_style_use():
    w = f64([1.0, -2.0])
    x = f64([0.5, 0.3])
    out = (w * x).tanh().sum()
    (gx,) = ag.grad(out, x, create_graph=True)
    penalty = (gx * gx).sum()
    penalty.backward()
    assert w.grad is not None and np.all(np.isfinite(w.grad.data))
    # finite-difference check of d penalty / d w
    def pen(wv):
        t = np.tanh(wv * x.data)
        gxv = wv * (1 - t ** 2)
        return (gxv ** 2).sum()
    eps = 1e-6
    fd = [(pen(w.data + eps * e) - pen(w.data - eps * e)) / (2 * eps) for e in np.eye(2)]
    np.testing.assert_allclose(w.grad.data, fd, rtol=1e-6)


# ----------------------------------------------------------------------------- ag.grad
def test_ag_grad_basic_does_not_touch_dot_grad():
    x, y = f64(2.0), f64(3.0)
    z = x * y + x
    gx, gy = ag.grad(z, (x, y))
    assert gx.item() == 4.0 and gy.item() == 2.0
    assert x.grad is None and y.grad is None
    assert isinstance(ag.grad(x * 2, x), tuple)


def test_ag_grad_grad_outputs():
    x = f64([1.0, 2.0, 3.0])
    y = x * x
    (g,) = ag.grad(y, x, grad_outputs=ag.tensor([1.0, 0.0, 2.0], dtype=np.float64))
    np.testing.assert_allclose(g.data, [2.0, 0.0, 12.0])
    (g,) = ag.grad([x * 2, x * 3], [x], grad_outputs=[ag.ones(3), ag.ones(3)])
    np.testing.assert_allclose(g.data, [5.0, 5.0, 5.0])


def test_ag_grad_allow_unused():
    x, u = f64([1.0]), f64([2.0])
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="allow_unused"):
        ag.grad(y, [x, u], retain_graph=True)
    gx, gu = ag.grad(y, [x, u], allow_unused=True)
    assert gu is None and gx.tolist() == [2.0]


def test_ag_grad_wrt_intermediate():
    x = f64([1.0, 2.0])
    h = x * 3
    y = (h * h).sum()
    gh, gx = ag.grad(y, [h, x])
    np.testing.assert_allclose(gh.data, 2 * h.data)
    np.testing.assert_allclose(gx.data, 18 * x.data)


def test_ag_grad_create_graph():
    x = f64([1.0, 2.0])
    (g,) = ag.grad((x ** 4).sum(), x, create_graph=True)
    assert g.requires_grad
    (h,) = ag.grad(g.sum(), x)
    np.testing.assert_allclose(h.data, 12 * x.data ** 2)
    (g2,) = ag.grad((x ** 4).sum(), x)
    assert not g2.requires_grad


def test_ag_grad_input_must_require_grad():
    x = f64([1.0])
    c = ag.tensor([1.0])
    with pytest.raises(RuntimeError):
        ag.grad((x * c).sum(), [c])


# ----------------------------------------------------------------------------- root gradients
def test_backward_from_non_scalar_needs_gradient():
    x = f64([1.0, 2.0])
    y = x * 2
    with pytest.raises(RuntimeError, match="scalar"):
        y.backward()
    y.backward(ag.tensor([1.0, 10.0], dtype=np.float64))
    np.testing.assert_allclose(x.grad.data, [2.0, 20.0])


def test_backward_gradient_shape_must_match():
    x = f64([1.0, 2.0])
    with pytest.raises(RuntimeError, match="shape"):
        (x * 2).backward(ag.ones(3))


def test_backward_from_one_element_non_scalar():
    x = f64([3.0])
    (x * x).backward()
    np.testing.assert_allclose(x.grad.data, [6.0])


def test_backward_on_tensor_without_graph_raises():
    with pytest.raises(RuntimeError):
        ag.tensor(1.0).backward()


# ----------------------------------------------------------------------------- grad mode
def test_no_graph_under_no_grad():
    x = f64([1.0, 2.0])
    with ag.no_grad():
        assert not ag.is_grad_enabled()
        y = (x * 2).exp().sum()
    assert ag.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    with pytest.raises(RuntimeError):
        y.backward()


def test_no_graph_when_no_input_requires_grad():
    a, b = ag.tensor([1.0]), ag.tensor([2.0])
    y = (a * b).exp().sum()
    assert y.grad_fn is None and not y.requires_grad


def test_partial_requires_grad_records_only_needed_edges():
    a, b = f64([1.0]), ag.tensor([2.0], dtype=np.float64)
    y = a * b
    nexts = y.grad_fn.next_functions
    assert nexts[0] is a and nexts[1] is None
    y.sum().backward()
    assert b.grad is None and a.grad.tolist() == [2.0]


def test_enable_grad_inside_no_grad_and_nesting():
    x = f64([1.0])
    with ag.no_grad():
        with ag.enable_grad():
            assert ag.is_grad_enabled()
            y = x * 2
        with ag.no_grad():
            assert not ag.is_grad_enabled()
        assert not ag.is_grad_enabled()
        z = x * 2
    assert y.requires_grad and not z.requires_grad
    assert ag.is_grad_enabled()


def test_grad_mode_restored_after_exception():
    with pytest.raises(ValueError):
        with ag.no_grad():
            raise ValueError
    assert ag.is_grad_enabled()


def test_no_grad_and_enable_grad_as_decorators():
    x = f64([1.0])

    @ag.no_grad()
    def f(t):
        return t * 2, ag.is_grad_enabled()

    @ag.enable_grad()
    def g(t):
        return t * 2

    y, mode = f(x)
    assert not mode and not y.requires_grad
    assert ag.is_grad_enabled()
    with ag.no_grad():
        assert g(x).requires_grad
    assert f.__name__ == "f"


def test_set_grad_enabled():
    x = f64([1.0])
    with ag.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    with ag.set_grad_enabled(True):
        assert (x * 2).requires_grad


def test_grad_mode_is_thread_local():
    x = f64([1.0])
    results = {}
    entered, release = threading.Event(), threading.Event()

    def worker():
        entered.wait()
        results["enabled"] = ag.is_grad_enabled()
        results["records"] = (x * 2).requires_grad
        release.set()

    t = threading.Thread(target=worker)
    t.start()
    with ag.no_grad():
        entered.set()
        release.wait(5)
        assert not ag.is_grad_enabled()
    t.join(5)
    assert results == {"enabled": True, "records": True}

    def worker2():
        with ag.no_grad():
            results["inner"] = ag.is_grad_enabled()

    t = threading.Thread(target=worker2)
    t.start()
    t.join(5)
    assert results["inner"] is False and ag.is_grad_enabled()


def test_concurrent_backward_in_threads():
    # Each thread builds and differentiates its own graph while the others do the same.
    errors, results = [], {}

    def work(i):
        try:
            x = f64(np.full(50, float(i + 1)))
            for _ in range(200):
                x.grad = None
                with ag.no_grad() if i % 2 else ag.enable_grad():
                    pass  # toggling grad mode in some threads must not leak into others
                ((x * x).sin() * 3).sum().backward()
            results[i] = x.grad.data.copy()
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    for i in range(4):
        v = float(i + 1)
        np.testing.assert_allclose(results[i], 3 * np.cos(v * v) * 2 * v)


def test_backward_under_no_grad_still_computes_gradients():
    x = f64([1.0, 2.0])
    y = (x * x).sum()
    with ag.no_grad():
        y.backward()
    np.testing.assert_allclose(x.grad.data, [2.0, 4.0])


def test_iter_backward_steps_give_the_same_grads():
    from autograd_lite.backward import iter_backward

    def build():
        a, b = f64([1.0, 2.0]), f64([0.5, -1.0])
        return a, b, ((a * b).tanh() + a.exp() * b).sum()

    a1, b1, y1 = build()
    y1.backward()
    a2, b2, y2 = build()
    steps = list(iter_backward(y2))
    assert [str(s.node) for s in steps][0] == "SumBackward"
    assert len(steps) == 6  # Sum, Add, Tanh, Mul, Mul, Exp
    np.testing.assert_allclose(a2.grad.data, a1.grad.data)
    np.testing.assert_allclose(b2.grad.data, b1.grad.data)
    for s in steps:
        assert len(s.grad_inputs) == len(s.node.next_functions)


# ----------------------------------------------------------------------------- scale and memory
def test_million_op_chain_backward():
    # Iterative topological sort: no recursion limit, for a 1,000,000-op chain.
    n = 1_000_000
    x = f64(0.5)
    c = ag.tensor(1.0000001, dtype=np.float64)
    t0 = time.perf_counter()
    y = x
    for _ in range(n):
        y = y * c
    y.backward()
    elapsed = time.perf_counter() - t0
    assert x.grad.item() == pytest.approx(1.0000001 ** n, rel=1e-9)
    assert elapsed < 60, f"1e6-op chain took {elapsed:.1f} s"


def test_deep_chain_with_create_graph():
    x = f64(1.0)
    y = x
    for _ in range(2000):
        y = (y * 0.999).sin() + 0.0
    (g,) = ag.grad(y, x, create_graph=True)
    (h,) = ag.grad(g, x)
    assert np.isfinite(g.item()) and np.isfinite(h.item())


def _build_large_graph(x, n_ops=60):
    h = x
    for i in range(n_ops):
        h = (h * 1.001).tanh() + 0.01 * i
    return (h * h).sum()


def test_memory_returns_to_baseline_after_backward():
    x = f64(np.random.default_rng(0).standard_normal(20_000))  # 160 kB per intermediate
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        loss = _build_large_graph(x)
        peak_graph = tracemalloc.get_traced_memory()[0] - base
        assert peak_graph > 20e6  # the graph holds hundreds of saved arrays
        loss.backward()
        gc.collect()
        after = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    # Only x.grad (160 kB), the scalar loss and the small freed node records may remain.
    assert after < 1.5e6, (f"{after / 1e6:.1f} MB still held after backward "
                           f"(graph {peak_graph / 1e6:.0f} MB)")
    assert x.grad is not None


def test_intermediates_released_without_backward_once_output_dropped():
    x = f64(np.ones(1000))
    h = x * 2
    ref = weakref.ref(h)
    loss = (h.exp() * 3).sum()
    del h
    assert ref() is not None  # kept alive by the graph
    del loss
    gc.collect()
    assert ref() is None


def test_intermediates_released_after_backward_while_output_alive():
    x = f64(np.ones(1000))
    h = x * 2
    ref = weakref.ref(h)
    loss = (h.exp() * 3).sum()
    del h
    loss.backward()
    gc.collect()
    assert ref() is None  # freed by backward even though loss (and its grad_fn) live on
    assert loss.grad_fn is not None


# ----------------------------------------------------------------------------- round 2
def test_concurrent_backward_into_a_shared_leaf_loses_no_update():
    # Two threads, each 100 backwards of (w * 1.0).sum() into one big leaf: NumPy releases the
    # GIL inside the addition, so an unlocked read-add-write loses updates (~140 of 200).
    w = ag.tensor(np.zeros(10**6, dtype=np.float32), requires_grad=True)
    errors = []

    def work():
        try:
            for _ in range(100):
                (w * 1.0).sum().backward()
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    np.testing.assert_array_equal(w.grad.data, np.full(10**6, 200.0, np.float32))


def test_concurrent_backward_into_a_retained_grad_loses_no_update():
    x = ag.tensor(np.ones(10**5), requires_grad=True)
    h = x * 2.0
    h.retain_grad()
    loss = h.sum()

    def work():
        for _ in range(50):
            loss.backward(retain_graph=True)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    np.testing.assert_array_equal(h.grad.data, np.full(10**5, 100.0))
    np.testing.assert_array_equal(x.grad.data, np.full(10**5, 200.0))


@pytest.mark.parametrize("healthy_first", [True, False])
def test_backward_that_raises_part_way_leaves_every_grad_as_it_was(healthy_first):
    a = ag.tensor([1.0, 2.0], requires_grad=True)
    b = ag.tensor([3.0, 4.0], requires_grad=True)
    a.grad = ag.tensor([10.0, 10.0])
    healthy = (a * 3.0).sum()  # a's branch is fine
    w = ag.tensor([5.0, 6.0])
    hurt = (b * w).sum()
    with ag.no_grad():
        w += 1  # b's gradient needs w: the backward must raise
    with pytest.raises(RuntimeError, match="in-place"):
        (healthy + hurt if healthy_first else hurt + healthy).backward()
    np.testing.assert_array_equal(a.grad.data, [10.0, 10.0])
    assert b.grad is None


def test_backward_with_a_failing_hook_leaves_grads_and_retained_grads_untouched():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = ag.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2.0
    h.retain_grad()

    def boom(g):
        raise ValueError("hook failed")

    y.register_hook(boom)
    with pytest.raises(ValueError, match="hook failed"):
        (h.sum() + (y * y).sum()).backward()
    assert x.grad is None and h.grad is None and y.grad is None


# ----------------------------------------------------------------------------- regressions
# (from the code review: each fails on the code before its fix)
def test_zero_dim_leaf_grad_is_an_ndarray_after_a_dtype_cast():
    # a float32 0-d leaf whose gradient arrives as float64 got a NumPy scalar as .grad.data
    x = ag.tensor(2.0, requires_grad=True)
    (x * ag.tensor(3.0, dtype=np.float64)).backward()
    assert type(x.grad.data) is np.ndarray
    assert x.grad.dtype == np.float32 and x.grad.shape == ()
    assert x.grad.item() == 3.0


def test_create_graph_leaf_grads_do_not_alias_the_upstream_gradient():
    # Add passes one gradient Tensor to both inputs: x.grad used to *be* y.grad, and a.grad
    # the caller's `gradient` tensor, so an in-place update of one changed the others
    x, y = f64(1.0), f64(2.0)
    (x + y).backward(create_graph=True)
    assert x.grad is not y.grad
    with ag.no_grad():
        x.grad.zero_()
    assert y.grad.item() == 1.0

    a = f64([0.0, 0.0])
    v = f64([1.0, 2.0], requires_grad=False)
    (a + 0).backward(v, create_graph=True)
    assert a.grad is not v
    with ag.no_grad():
        a.grad.mul_(10)
    np.testing.assert_array_equal(v.data, [1.0, 2.0])


def test_create_graph_leaf_grad_stays_differentiable():
    x = f64(3.0)
    (x ** 3).backward(create_graph=True)
    assert x.grad.requires_grad
    (g2,) = ag.grad(x.grad, x)
    assert g2.item() == pytest.approx(18.0)


def test_retained_grad_and_hooks_of_a_non_leaf_use_its_dtype():
    # rules emit the output's dtype: a float32 tensor used with float64 got a float64 .grad
    # and its hooks saw float64
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    t = x * 2
    t.retain_grad()
    seen = []
    t.register_hook(lambda g: seen.append(g.dtype))
    (t * ag.tensor([3.0, 4.0], dtype=np.float64)).sum().backward()
    assert t.grad.dtype == np.float32 and seen == [np.float32]
    np.testing.assert_array_equal(t.grad.data, [3.0, 4.0])
    assert x.grad.dtype == np.float32


def test_retained_grad_under_create_graph_is_its_own_tensor():
    x = f64([1.0, 2.0])
    t = x * 1
    t.retain_grad()
    v = f64([5.0, 6.0], requires_grad=False)
    t.backward(v, create_graph=True)
    assert t.grad is not v
    np.testing.assert_array_equal(t.grad.data, [5.0, 6.0])


def test_double_backward_through_advanced_indexing_in_a_plain_pass():
    # The VJP of the scatter (IndexAdd) returned a Tensor in a plain backward; mixed with
    # ndarrays it crashed ("operand 'Tensor' does not support ufuncs")
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x[np.array([0, 0, 1])]
    (g,) = ag.grad((y * y * y).sum(), x, create_graph=True)  # g = [6 x0^2, 3 x1^2, 0]
    (g * ag.tensor([1.0, 2.0, 3.0], dtype=np.float64)).sum().backward()
    assert type(x.grad.data) is np.ndarray and x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.data, [12.0, 24.0, 0.0])


@pytest.mark.parametrize("index", [np.array([0, 0, 2]), slice(1, None), 1,
                                   (np.array([True, False, True]),)])
def test_gradgradcheck_through_getitem(index):
    assert ag.testing.gradgradcheck(lambda x: x[index] ** 3, f64([0.5, -1.0, 2.0]))


def test_root_gradient_is_cast_to_the_output_dtype():
    # a float64 (or int) `gradient` for a float32 output used to make the whole backward
    # pass run in float64 (or int) arithmetic
    from autograd_lite.backward import iter_backward
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).exp()
    steps = list(iter_backward(y, ag.tensor([1.0, 0.5], dtype=np.float64)))
    assert [s.grad_output.dtype for s in steps] == [np.float32, np.float32]
    (gx,) = ag.grad(x * 3, x, grad_outputs=ag.tensor([1, 2]))
    assert gx.dtype == np.float32
    np.testing.assert_array_equal(gx.data, [3.0, 6.0])


def test_grad_wrt_an_intermediate_leaves_the_graph_below_it_alone():
    # ag.grad ran (and freed) the whole graph below its inputs, and fired hooks there: a
    # gradient penalty on G(z) made the generator's later backward fail ("graph freed")
    w = f64([1.0, 2.0])
    fired = []
    w.register_hook(lambda g: fired.append("w"))
    fake = (w * 3).exp()
    below = fake.grad_fn
    (gx,) = ag.grad((fake * fake).sum(), fake)
    np.testing.assert_allclose(gx.data, 2 * np.exp(3 * w.data))
    assert fired == [] and w.grad is None and not below.freed
    fake.sum().backward()  # the generator's graph is still there
    np.testing.assert_allclose(w.grad.data, 3 * np.exp(3 * w.data))
    assert fired == ["w"]


def test_grad_with_inputs_at_several_depths_and_unrelated_roots():
    x = f64([1.0, -2.0])
    h = x * x
    y = (h * 3).sum()
    other = (f64([4.0]) * 2).sum()  # a root that leads to no input: not run, not freed
    gh, gx = ag.grad([y, other], [h, x])
    np.testing.assert_allclose(gh.data, [3.0, 3.0])
    np.testing.assert_allclose(gx.data, 6 * x.data)
    assert not other.grad_fn.freed
    kept = []
    v = ag.tensor([5.0, 6.0], dtype=np.float64)
    m = v * x  # x's other use: its hook fires once, with d y / d x only
    x.register_hook(lambda g: kept.append(g.data.copy()))
    (gx,) = ag.grad((x * x).sum() + (m * 0).sum(), x)
    assert len(kept) == 1
    np.testing.assert_allclose(kept[0], 2 * x.data)


def test_a_leaf_that_stopped_requiring_grad_gets_no_gradient():
    # PyTorch's AccumulateGrad skips such a leaf (freezing after the forward); it got a .grad
    w = f64([1.0, 2.0])
    b = f64([3.0, 4.0])
    y = (w * b).sum()
    w.requires_grad_(False)
    y.backward()
    assert w.grad is None
    np.testing.assert_array_equal(b.grad.data, [1.0, 2.0])
