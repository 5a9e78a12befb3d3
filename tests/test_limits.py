"""Limits and messages: huge graphs, size guards, argument validation.

Guarantees tested here (RELIABILITY.md, "Limits"):
- backward is iterative: a chain of 1,000,000 nodes and a graph with 100,000 fan-in edges
  (one tensor used 100,000 times, gathered by one 100,000-input op) differentiate exactly,
  with the Python recursion limit lowered below the graph depth; a 200,000-deep graph dropped
  without backward is freed by reference counting without crashing;
- ``functional.jacobian`` / ``hessian`` (``max_size=``, default ``functional.MAX_SIZE`` =
  10,000,000 entries) and ``optim.Newton`` (``max_params=``, default 10,000) refuse larger
  problems up front with a ``ValueError`` that gives the size, and accept them when the limit
  is raised;
- public functions validate their arguments with a ``ValueError`` naming the argument
  (``VALIDATION`` below: ag, functional, testing, nn, optim, data).
"""
from __future__ import annotations

import gc
import importlib
import sys
import time
import warnings
import weakref

import numpy as np
import pytest

import autograd_lite as ag

CHAIN = 1_000_000
FAN_IN = 100_000


class _recursion_limit:
    """Lower the recursion limit to ``depth`` frames above the current stack."""

    def __init__(self, extra: int = 200) -> None:
        frame, depth = sys._getframe(), 0
        while frame is not None:
            frame, depth = frame.f_back, depth + 1
        self.limit = depth + extra

    def __enter__(self) -> None:
        self.old = sys.getrecursionlimit()
        sys.setrecursionlimit(self.limit)

    def __exit__(self, *exc: object) -> None:
        sys.setrecursionlimit(self.old)


# ----------------------------------------------------------------------------- big graphs
@pytest.mark.slow
def test_backward_through_a_million_node_chain():
    x = ag.tensor(1.5, requires_grad=True, dtype=np.float64)
    t0 = time.perf_counter()
    y = x
    for _ in range(CHAIN):
        y = -y  # the cheapest op: the test measures the engine, not NumPy
    t1 = time.perf_counter()
    assert y.item() == 1.5  # an even number of negations
    first = weakref.ref(x.grad_fn) if x.grad_fn else None
    last = weakref.ref(y.grad_fn)
    with _recursion_limit(200):  # far below the graph depth: no recursion anywhere
        y.backward()
    t2 = time.perf_counter()
    assert x.grad.item() == 1.0
    assert last().freed  # saved values released as backward went
    del y
    assert last() is None and first is None
    print(f"\n{CHAIN:,}-node chain: forward {t1 - t0:.1f}s, backward {t2 - t1:.1f}s")


def test_deep_graph_dropped_without_backward():
    # 200,000 levels: far past any C-stack depth a recursive deallocation could survive
    x = ag.tensor(1.0, requires_grad=True, dtype=np.float64)
    y = x
    for _ in range(CHAIN // 5):
        y = -y
    ref = weakref.ref(y.grad_fn)
    gc.disable()
    try:
        del y  # deep deallocation: must neither crash nor need the cycle collector
        assert ref() is None
    finally:
        gc.enable()


def test_fan_in_of_100k_edges():
    x = ag.tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    t0 = time.perf_counter()
    parts = [x * float(i) for i in range(FAN_IN)]  # x feeds 100,000 nodes
    s = ag.stack(parts).sum()  # one op with 100,000 inputs
    del parts
    with _recursion_limit(200):
        s.backward()
    elapsed = time.perf_counter() - t0
    expected = FAN_IN * (FAN_IN - 1) / 2  # sum of the multipliers
    np.testing.assert_array_equal(x.grad.data, np.full(3, expected))
    print(f"\n{FAN_IN:,} fan-in edges: {elapsed:.1f}s")


def test_deep_graph_with_ag_grad_and_create_graph():
    x = ag.tensor(0.5, requires_grad=True, dtype=np.float64)
    y = x
    for _ in range(20_000):
        y = y * 1.0 + 0.0
    with _recursion_limit(200):
        (g,) = ag.grad(y * y, x, create_graph=True)
        (h,) = ag.grad(g, x)
    assert g.item() == pytest.approx(1.0) and h.item() == pytest.approx(2.0)


# ----------------------------------------------------------------------------- size guards
def test_jacobian_refuses_above_limit_with_the_size():
    n = 200
    x = ag.tensor(np.ones(n))
    with pytest.raises(ValueError, match=r"jacobian.*40,000 entries.*max_size=10,000"):
        ag.functional.jacobian(lambda t: t * 2, x, max_size=10_000)
    J = ag.functional.jacobian(lambda t: t * 2, x, max_size=40_000)  # at the limit: fine
    np.testing.assert_array_equal(J.data, 2 * np.eye(n))


def test_jacobian_default_limit_refuses_before_doing_the_work():
    assert ag.functional.MAX_SIZE == 10_000_000
    x = ag.tensor(np.ones(5_000))  # 25,000,000 entries: 5,000 backward passes if attempted
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match="25,000,000"):
        ag.functional.jacobian(lambda t: t.exp(), x)
    assert time.perf_counter() - t0 < 1.0


def test_hessian_refuses_above_limit_with_the_size():
    x = ag.tensor(np.ones(4_000))  # 16,000,000 entries > 10,000,000
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=r"hessian.*16,000,000"):
        ag.functional.hessian(lambda t: (t ** 3).sum(), x)
    assert time.perf_counter() - t0 < 1.0
    with pytest.raises(ValueError, match="max_size=99"):
        ag.functional.hessian(lambda t: (t ** 3).sum(), ag.tensor(np.ones(10)), max_size=99)
    H = ag.functional.hessian(lambda t: (t ** 3).sum(), ag.tensor(np.ones(10)), max_size=100)
    np.testing.assert_allclose(H.data, 6 * np.eye(10))


def test_newton_refuses_above_max_params_with_the_size():
    optim = pytest.importorskip("autograd_lite.optim")
    if not hasattr(optim, "Newton"):
        pytest.skip("optim.Newton not built yet")
    w = ag.tensor(np.ones(200), requires_grad=True)
    opt = optim.Newton([w], max_params=100)
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=r"200.*max_params=100"):
        opt.step(lambda: (w * w).sum())
    assert time.perf_counter() - t0 < 1.0
    np.testing.assert_array_equal(w.data, np.ones(200))  # refused: nothing changed
    opt = optim.Newton([w], max_params=200)
    opt.step(lambda: ((w - 3.0) ** 2).sum())  # one exact Newton step solves a quadratic
    np.testing.assert_allclose(w.data, np.full(200, 3.0))


# ----------------------------------------------------------------------------- validation
def _m(name: str):
    try:
        return importlib.import_module(f"autograd_lite.{name}")
    except ImportError:
        return None


def _p():
    return [ag.tensor(np.ones(3), requires_grad=True)]


def _opt():
    return _m("optim").SGD(_p(), lr=0.1)


def _x4():
    return ag.ones(1, 1, 3, 3)


# (id, subpackage needed, call, words one of which the message must contain)
VALIDATION = [
    # core
    ("zeros-negative", None, lambda: ag.zeros(-1), ["shape", "dimension"]),
    ("full-negative", None, lambda: ag.full((2, -2), 1.0), ["shape", "dimension"]),
    ("arange-step0", None, lambda: ag.arange(0, 10, 0), ["step"]),
    ("linspace-steps", None, lambda: ag.linspace(0, 1, -1), ["steps", "num"]),
    ("eye-negative", None, lambda: ag.eye(-1), ["n"]),
    ("randint-low-high", None, lambda: ag.randint(5, 2, (3,)), ["low", "high"]),
    ("manual_seed", None, lambda: ag.manual_seed(-1), ["seed"]),
    ("reshape", None, lambda: ag.ones(6).reshape(4, 2), ["reshape"]),
    ("softmax-axis", None, lambda: ag.softmax(ag.ones(3), axis=3), ["axis"]),
    ("sum-axis", None, lambda: ag.ones(2, 3).sum(axis=2), ["axis"]),
    ("var-axis", None, lambda: ag.var(ag.ones(3), dim=1), ["axis"]),
    ("pad-negative", None, lambda: ag.pad(ag.ones(3), -1), ["pad_width"]),
    ("pad-mode", None, lambda: ag.pad(ag.ones(3), 1, mode="nope"), ["mode"]),
    ("clip-no-bounds", None, lambda: ag.clip(ag.ones(3)), ["min", "max"]),
    ("item", None, lambda: ag.ones(3).item(), ["item"]),
    ("matmul-shapes", None, lambda: ag.ones(2, 3) @ ag.ones(2, 3), ["matmul"]),
    ("jacobian-max_size", None,
     lambda: ag.functional.jacobian(lambda t: t, ag.ones(3), max_size=-1), ["max_size"]),
    ("hvp-v-shape", None,
     lambda: ag.functional.hvp(lambda t: t.sum(), ag.ones(3), ag.ones(4)), ["v"]),
    ("gradcheck-eps", None,
     lambda: ag.testing.gradcheck(lambda t: t * 2, ag.ones(3, dtype=np.float64), eps=0.0),
     ["eps"]),
    ("taylor-steps", None,
     lambda: ag.testing.taylor_test(lambda t: t.sum(), ag.ones(3, dtype=np.float64), steps=0),
     ["steps"]),
    # optim
    ("sgd-lr", "optim", lambda: _m("optim").SGD(_p(), lr=-0.1), ["lr", "learning rate"]),
    ("sgd-momentum", "optim", lambda: _m("optim").SGD(_p(), lr=0.1, momentum=-1),
     ["momentum"]),
    ("sgd-weight_decay", "optim", lambda: _m("optim").SGD(_p(), lr=0.1, weight_decay=-1),
     ["weight_decay"]),
    ("sgd-nesterov", "optim", lambda: _m("optim").SGD(_p(), lr=0.1, nesterov=True),
     ["nesterov"]),
    ("adam-lr", "optim", lambda: _m("optim").Adam(_p(), lr=-1e-3), ["lr", "learning rate"]),
    ("adam-betas", "optim", lambda: _m("optim").Adam(_p(), betas=(1.5, 0.9)), ["beta"]),
    ("adam-eps", "optim", lambda: _m("optim").Adam(_p(), eps=-1), ["eps"]),
    ("adamw-weight_decay", "optim", lambda: _m("optim").AdamW(_p(), weight_decay=-1),
     ["weight_decay"]),
    ("adagrad-lr", "optim", lambda: _m("optim").Adagrad(_p(), lr=-1), ["lr", "learning rate"]),
    ("rmsprop-alpha", "optim", lambda: _m("optim").RMSprop(_p(), alpha=-1), ["alpha"]),
    ("newton-damping", "optim", lambda: _m("optim").Newton(_p(), damping=-1), ["damping"]),
    ("newton-max_params", "optim", lambda: _m("optim").Newton(_p(), max_params=0),
     ["max_params"]),
    ("optimizer-empty", "optim", lambda: _m("optim").SGD([], lr=0.1), ["param"]),
    ("steplr-step_size", "optim",
     lambda: _m("optim").lr_scheduler.StepLR(_opt(), step_size=0), ["step_size"]),
    ("plateau-factor", "optim",
     lambda: _m("optim").lr_scheduler.ReduceLROnPlateau(_opt(), factor=1.5), ["factor"]),
    ("epochdoubling-K", "optim",
     lambda: _m("optim").lr_scheduler.EpochDoublingLR(_opt(), K=0), ["K"]),
    # nn
    ("dropout-p-high", "nn", lambda: _m("nn").Dropout(p=1.5), ["p", "probability"]),
    ("dropout-p-negative", "nn", lambda: _m("nn").Dropout(p=-0.1), ["p", "probability"]),
    ("F.dropout-p", "nn",
     lambda: importlib.import_module("autograd_lite.nn.functional").dropout(ag.ones(3), p=2.0),
     ["p", "probability"]),
    ("conv-kernel-larger-than-padded-input", "nn",
     lambda: _m("nn").Conv2d(1, 1, kernel_size=5, padding=0)(_x4()), ["kernel"]),
    ("conv-kernel_size-zero", "nn", lambda: _m("nn").Conv2d(1, 1, kernel_size=0),
     ["kernel_size"]),
    ("conv-stride-zero", "nn", lambda: _m("nn").Conv2d(1, 1, 2, stride=0)(_x4()), ["stride"]),
    ("conv-padding-negative", "nn", lambda: _m("nn").Conv2d(1, 1, 2, padding=-1),
     ["padding"]),
    ("conv-channels", "nn", lambda: _m("nn").Conv2d(2, 1, 2)(_x4()), ["channel"]),
    ("maxpool-kernel", "nn", lambda: _m("nn").MaxPool2d(5)(_x4()), ["kernel_size"]),
    ("avgpool-kernel", "nn", lambda: _m("nn").AvgPool2d(5)(_x4()), ["kernel_size"]),
    ("linear-features", "nn", lambda: _m("nn").Linear(-1, 3), ["features"]),
    ("linear-input", "nn", lambda: _m("nn").Linear(4, 3)(ag.ones(2, 5)), ["input"]),
    ("layernorm-shape", "nn", lambda: _m("nn").LayerNorm(3)(ag.ones(2, 4)),
     ["normalized_shape"]),
    ("embedding-num", "nn", lambda: _m("nn").Embedding(-1, 3), ["num_embeddings"]),
    ("embedding-index", "nn", lambda: _m("nn").Embedding(3, 2)(ag.tensor([5])), ["index"]),
    ("loss-reduction", "nn", lambda: _m("nn").MSELoss(reduction="avg"), ["reduction"]),
    # (losses check their hyper-parameters when called, as PyTorch)
    ("ce-label_smoothing", "nn", lambda: _m("nn").CrossEntropyLoss(label_smoothing=1.5)(
        ag.ones(2, 3), ag.tensor([0, 1])), ["label_smoothing"]),
    ("huber-delta", "nn", lambda: _m("nn").HuberLoss(delta=-1.0)(ag.ones(3), ag.ones(3)),
     ["delta"]),
    ("gelu-approximate", "nn", lambda: _m("nn").GELU(approximate="fast"), ["approximate"]),
    ("init-kaiming-mode", "nn",
     lambda: _m("nn").init.kaiming_uniform_(ag.ones(3, 3), mode="fan"), ["mode"]),
    ("init-normal-std", "nn", lambda: _m("nn").init.normal_(ag.ones(3, 3), std=-1.0),
     ["std"]),
    ("init-uniform-bounds", "nn", lambda: _m("nn").init.uniform_(ag.ones(3, 3), a=1.0, b=0.0),
     ["a", "b"]),
    # data
    ("loader-batch_size", "data",
     lambda: _m("data").DataLoader(_m("data").TensorDataset(ag.ones(3)), batch_size=0),
     ["batch_size"]),
    ("tensordataset-sizes", "data",
     lambda: _m("data").TensorDataset(ag.ones(3), ag.ones(4)), ["size"]),
    ("make_moons-n_samples", "data", lambda: _m("data").make_moons(n_samples=-1),
     ["n_samples"]),
    ("make_moons-noise", "data", lambda: _m("data").make_moons(n_samples=10, noise=-1.0),
     ["noise"]),
    ("make_spirals-n_classes", "data",
     lambda: _m("data").make_spirals(n_samples=10, n_classes=0), ["n_classes"]),
]


@pytest.mark.parametrize("case", VALIDATION, ids=[c[0] for c in VALIDATION])
def test_arguments_are_validated_with_a_named_value_error(case):
    name, pkg, call, words = case
    if pkg is not None and _m(pkg) is None:
        pytest.skip(f"autograd_lite.{pkg} is not built yet")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            call()
        except ValueError as e:
            msg = str(e)
        except AttributeError as e:  # a class of a subpackage that is not built yet
            if pkg is not None and "has no attribute" in str(e):
                pytest.skip(str(e))
            raise
        else:
            pytest.fail(f"{name}: accepted an invalid argument")
    assert any(w.lower() in msg.lower() for w in words), \
        f"{name}: the message does not name the argument ({words}): {msg}"
