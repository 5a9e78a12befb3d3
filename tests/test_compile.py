"""ag.compile: a replay gives the same numbers as eager, bitwise, and guards fire when they must.

Every test builds the same model twice from the same seed, runs one copy eagerly and the other
through ``ag.compile`` for several steps (new data each step), and compares the losses,
gradients, parameters and buffers bitwise. ``replays`` checks that the compiled copy really
replayed (two recordings, then replays), so a trace that silently falls back to eager fails.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd_lite as ag
import autograd_lite.nn as nn
import autograd_lite.nn.functional as F
from autograd_lite import optim
from autograd_lite.primitive import Op
from autograd_lite.tensor import Tensor

try:
    import hypothesis
    from hypothesis import given, settings
    from hypothesis import strategies as st
except ImportError:  # only the random-program test needs it
    hypothesis = None


def _state(model: nn.Module) -> list:
    out = [p.data.copy() for p in model.parameters()]
    out += [p.grad.data.copy() for p in model.parameters() if p.grad is not None]
    out += [b.data.copy() for _, b in model.named_buffers()]
    return out


def _same(a: list, b: list) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x.shape == y.shape and x.dtype == y.dtype
        np.testing.assert_array_equal(x, y)


def _batches(n: int, shape: tuple, classes: int | None, seed: int = 1) -> list:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        x = ag.tensor(rng.standard_normal(shape).astype(np.float32))
        y = (ag.tensor(rng.integers(0, classes, shape[0])) if classes else
             ag.tensor(rng.standard_normal((shape[0], 1)).astype(np.float32)))
        out.append((x, y))
    return out


def _compare(make_model, loss_fn, shape, classes, opt=lambda ps: optim.SGD(ps, lr=0.1),
             steps: int = 6, whole_step: bool = False, expect_replays: bool = True) -> None:
    """Train two copies (eager, compiled) on the same batches; bitwise equal every step."""
    copies = []
    for _ in range(2):
        ag.manual_seed(0)
        m = make_model()
        copies.append((m, opt(list(m.parameters()))))
    (me, oe), (mc, oc) = copies

    def step_of(m, o):
        def step(x, y):
            o.zero_grad()
            loss = loss_fn(m(x), y)
            loss.backward()
            if whole_step:
                o.step()
            return loss
        return step

    eager, compiled = step_of(me, oe), ag.compile(step_of(mc, oc))
    seeds = []
    for i, (x, y) in enumerate(_batches(steps, shape, classes)):
        ag.manual_seed(100 + i)
        le = eager(x, y)
        if not whole_step:
            oe.step()
        seeds.append(ag.random.get_generator().random())
        ag.manual_seed(100 + i)
        lc = compiled(x, y)
        if not whole_step:
            oc.step()
        assert ag.random.get_generator().random() == seeds[-1]  # the same draws were made
        np.testing.assert_array_equal(le.data, lc.data)
        _same(_state(me), _state(mc))
    if expect_replays:
        assert compiled.replays == steps - 2, compiled.explain()


def mlp() -> nn.Module:
    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16), nn.Tanh(),
                         nn.Linear(16, 3))


def test_mlp_cross_entropy_sgd_matches_eager() -> None:
    _compare(mlp, F.cross_entropy, (10, 8), 3)


def test_whole_step_with_adam_inside_matches_eager() -> None:
    _compare(mlp, F.cross_entropy, (10, 8), 3, opt=lambda ps: optim.Adam(ps, lr=1e-2),
             whole_step=True)


def test_sgd_momentum_weight_decay_mse() -> None:
    _compare(lambda: nn.Sequential(nn.Linear(4, 8), nn.Sigmoid(), nn.Linear(8, 1)),
             F.mse_loss, (6, 4), None,
             opt=lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=1e-3),
             whole_step=True)


def test_cnn_conv_pool_matches_eager() -> None:
    _compare(lambda: nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                   nn.Conv2d(4, 4, 3, padding=1), nn.AvgPool2d(2),
                                   nn.Flatten(), nn.Linear(16, 5)),
             F.cross_entropy, (4, 1, 8, 8), 5)


def test_batchnorm_running_stats_and_dropout_masks_match_eager() -> None:
    _compare(lambda: nn.Sequential(nn.Linear(6, 12), nn.BatchNorm1d(12), nn.ReLU(),
                                   nn.Dropout(0.3), nn.Linear(12, 2)),
             F.cross_entropy, (16, 6), 2)


def test_residual_and_embedding() -> None:
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.emb = nn.Embedding(10, 6)
            self.fc = nn.Linear(6, 6)
            self.out = nn.Linear(6, 4)

        def forward(self, idx):
            h = self.emb(idx).mean(1)
            return self.out(h + ag.tanh(self.fc(h)))

    ag.manual_seed(3)
    idx = [ag.tensor(np.random.default_rng(i).integers(0, 10, (5, 3))) for i in range(5)]
    ys = [ag.tensor(np.random.default_rng(9 + i).integers(0, 4, 5)) for i in range(5)]
    copies = []
    for _ in range(2):
        ag.manual_seed(0)
        m = Net()
        copies.append((m, optim.SGD(m.parameters(), lr=0.5)))

    def step_of(m, o):
        def step(i, y):
            o.zero_grad()
            loss = F.cross_entropy(m(i), y)
            loss.backward()
            o.step()
            return loss
        return step
    eager, comp = step_of(*copies[0]), ag.compile(step_of(*copies[1]))
    for i, y in zip(idx, ys):
        np.testing.assert_array_equal(eager(i, y).data, comp(i, y).data)
        _same(_state(copies[0][0]), _state(copies[1][0]))
    assert comp.replays == 3


def test_micrograd_style_params_and_manual_update() -> None:
    rng = np.random.default_rng(0)
    init = [rng.uniform(-1, 1, s).astype(np.float32) for s in ((2, 16), (16,), (16, 1), (1,))]
    X = ag.tensor(rng.standard_normal((20, 2)).astype(np.float32))
    y = ag.tensor(np.sign(rng.standard_normal((20, 1))).astype(np.float32))

    def make():
        ps = [ag.tensor(a.copy(), requires_grad=True) for a in init]

        def step(xb, yb):
            for p in ps:
                p.grad = None
            W1, b1, W2, b2 = ps
            score = ag.relu(xb @ W1 + b1) @ W2 + b2
            loss = ag.relu(1 - yb * score).mean() + 1e-4 * sum((p * p).sum() for p in ps)
            loss.backward()
            return loss
        return ps, step
    pe, se = make()
    pc, sc = make()
    sc = ag.compile(sc)
    for k in range(6):
        le, lc = se(X, y), sc(X, y)
        np.testing.assert_array_equal(le.data, lc.data)
        for a, b in zip(pe, pc):
            np.testing.assert_array_equal(a.grad.data, b.grad.data)
            a.data -= 0.1 * a.grad.data  # the update outside the compiled function
            b.data -= 0.1 * b.grad.data
    assert sc.replays == 4


# the losses, layers and optimizers the notebooks train with (notebooks/*.py)
def _two_class(out, y):
    return F.binary_cross_entropy(ag.sigmoid(out[:, :1]), (y > 0).astype(np.float32))


def _gaussian_nll(out, y):
    return nn.GaussianNLLLoss()(out[:, :1], y, ag.exp(out[:, 1:2]))


def _kl(out, y):
    return nn.KLDivLoss(reduction="batchmean")(F.log_softmax(out, -1), ag.softmax(y * out, -1))


NOTEBOOK_CASES = {
    "mse+sgd": (nn.MSELoss(), lambda ps: optim.SGD(ps, lr=0.05)),
    "l1+rmsprop": (nn.L1Loss(), lambda ps: optim.RMSprop(ps, lr=1e-2)),
    "bce+adam": (_two_class, lambda ps: optim.Adam(ps, lr=1e-2)),
    "bce_logits+adagrad": (lambda o, y: nn.BCEWithLogitsLoss()(o[:, :1], (y > 0).astype(
        np.float32)), lambda ps: optim.Adagrad(ps, lr=0.1)),
    "gaussian_nll+adam": (_gaussian_nll, lambda ps: optim.Adam(ps, lr=1e-3)),
    "kl+sgd_nesterov": (_kl, lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True)),
}


@pytest.mark.parametrize("case", sorted(NOTEBOOK_CASES))
def test_notebook_losses_and_optimizers(case) -> None:
    loss, opt = NOTEBOOK_CASES[case]
    _compare(lambda: nn.Sequential(nn.Linear(2, 16), nn.Tanh(),
                                   nn.Residual(nn.Sequential(nn.Linear(16, 16), nn.ReLU())),
                                   nn.Linear(16, 2)),
             loss, (12, 2), None, opt=opt, whole_step=True)


# ----------------------------------------------------------------------------- guards
def test_shape_change_records_a_new_trace() -> None:
    w = ag.tensor(np.arange(3.0))
    f = ag.compile(lambda x: (x * w).sum())
    for n in (2, 2, 2, 5, 5, 5, 2):
        x = ag.tensor(np.ones((n, 3)))
        assert f(x).item() == (np.ones((n, 3)) * np.arange(3.0)).sum()
    assert f.replays == 3 and f.recordings == 4


def test_branch_on_a_tensor_value_is_guarded() -> None:
    def fn(x):
        return x * 2 if (x.sum() > 0).item() else x * -3
    f = ag.compile(fn)
    for v in (1.0, 1.0, 1.0, -1.0, -1.0, -1.0, 1.0, -1.0):
        x = ag.tensor(np.full(3, v))
        np.testing.assert_array_equal(f(x).data, fn(x).data)
    assert f.replays >= 3


def test_bool_branch_and_grad_mode_are_guarded() -> None:
    f = ag.compile(lambda x: ag.exp(x) if x.max() > 0 else ag.tanh(x))
    for v in (0.5, 0.5, 0.5, -0.5, -0.5, -0.5, 0.5):
        x = ag.tensor(np.full(2, v))
        np.testing.assert_array_equal(f(x).data, (np.exp if v > 0 else np.tanh)(x.data))
    with ag.no_grad():
        np.testing.assert_array_equal(f(ag.tensor([0.5])).data, np.exp(np.float32([0.5])))


def test_train_eval_switch_and_replaced_parameter() -> None:
    ag.manual_seed(0)
    m = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5))
    f = ag.compile(lambda x: m(x))
    x = ag.tensor(np.ones((2, 3), np.float32))
    with ag.no_grad():
        for _ in range(3):
            f(x)
        assert f.replays == 1
        m.eval()
        ref = m(x).data
        np.testing.assert_array_equal(f(x).data, ref)  # eval: no dropout any more
        m[0].weight = nn.Parameter(ag.zeros(4, 3))     # a new parameter object: guarded
        np.testing.assert_array_equal(f(x).data, np.broadcast_to(m[0].bias.data, (2, 4)))


def test_parameter_data_rebound_is_read_at_replay() -> None:
    w = ag.tensor(np.ones(3))
    f = ag.compile(lambda x: (x * w).sum())
    x = ag.tensor(np.arange(3.0))
    for _ in range(3):
        f(x)
    w.data = w.data * 10          # a new array (PyTorch's p.data = ... habit)
    assert f(x).item() == 30.0
    w.data[...] = 2.0             # in place
    assert f(x).item() == 6.0


def test_tensor_made_inside_and_changed_in_place_is_fresh_each_call() -> None:
    def fn(x):
        buf = ag.zeros(3)
        buf.add_(x)
        buf.mul_(2)
        return buf + 1
    f = ag.compile(fn)
    for i in range(5):
        x = ag.tensor(np.full(3, float(i)))
        np.testing.assert_array_equal(f(x).data, fn(x).data)
    assert f.replays == 3


def test_accumulating_gradients_over_two_calls() -> None:
    w = ag.tensor(np.ones(2), requires_grad=True)

    def fn(x):
        (x * w).sum().backward()
        return w.grad
    f = ag.compile(fn)
    w.grad = None
    totals = [f(ag.tensor([1.0, 2.0])).data.copy() for _ in range(4)]
    np.testing.assert_array_equal(totals[-1], [4.0, 8.0])  # accumulated as eager


SCALE = 2.0


def test_python_numbers_in_closure_and_globals_are_guarded() -> None:
    global SCALE
    alpha = 0.5

    def fn(x):
        return x * alpha + SCALE
    f = ag.compile(fn)
    x = ag.tensor([1.0, 2.0])
    for a, sc in ((0.5, 2.0), (0.5, 2.0), (0.5, 2.0), (0.25, 2.0), (0.25, 2.0), (0.25, 3.0)):
        alpha, SCALE = a, sc
        np.testing.assert_array_equal(f(x).data, fn(x).data)
    SCALE = 2.0
    assert f.replays >= 1


@pytest.mark.parametrize("own_generator", [False, True])
def test_random_factories_inside_are_drawn_again(own_generator) -> None:
    w = ag.tensor(np.ones(4), requires_grad=True)

    def make(gen):
        def fn(x):
            w.grad = None
            noise = ag.randn(4, dtype=ag.float64, generator=gen) + ag.rand_like(x, generator=gen)
            loss = ((x + noise) * w).sum()
            loss.backward()
            return loss
        return fn
    results = []
    for compiled in (False, True):
        ag.manual_seed(5)
        gen = ag.Generator().manual_seed(7) if own_generator else None
        fn = ag.compile(make(gen)) if compiled else make(gen)
        results.append([(fn(ag.tensor(np.full(4, float(i)))).data.copy(), w.grad.data.copy())
                        for i in range(6)])
        if compiled:
            assert fn.replays == 4, fn.explain()
    for (le, ge), (lc, gc) in zip(*results):
        np.testing.assert_array_equal(le, lc)
        np.testing.assert_array_equal(ge, gc)


def test_returning_loss_item_replays() -> None:
    w = ag.tensor(np.ones(3), requires_grad=True)

    def fn(x):
        w.grad = None
        loss = (x * w).sum()
        loss.backward()
        norm = (w.grad * w.grad).sum()
        return loss.item(), {"grad_norm": float(norm)}  # values read last: computed by replays
    f = ag.compile(fn)
    for i in range(6):
        x = ag.tensor(np.full(3, float(i)))
        value, extra = f(x)
        assert value == 3.0 * i and extra == {"grad_norm": 3.0 * i * i}
    assert f.replays == 4, f.explain()


def test_an_error_in_a_replay_is_eagers_error() -> None:
    table = ag.tensor(np.arange(12.0).reshape(4, 3))
    f = ag.compile(lambda i: ag.index_select(table, 0, i).sum())
    for _ in range(3):
        assert f(ag.tensor([0, 1])).item() == 15.0
    with pytest.raises(Exception) as replayed:
        f(ag.tensor([0, 7]))          # out of range: found by the replayed kernel
    with pytest.raises(Exception) as eager:
        ag.index_select(table, 0, ag.tensor([0, 7]))
    assert type(replayed.value) is type(eager.value)
    assert str(replayed.value) == str(eager.value)


def test_forward_called_directly_still_sees_train_and_eval() -> None:
    bn = nn.BatchNorm1d(3)
    f = ag.compile(lambda x: bn.forward(x))
    x = ag.tensor(np.random.default_rng(0).standard_normal((8, 3)).astype(np.float32))
    with ag.no_grad():
        for _ in range(3):
            f(x)
        bn.eval()
        before = bn.running_mean.data.copy()
        np.testing.assert_array_equal(f(x).data, bn(x).data)
        np.testing.assert_array_equal(bn.running_mean.data, before)


def test_value_dependent_shapes_are_guarded() -> None:
    def fn(x):
        pos = x[x > 0]
        return pos.sum() / len(pos)
    f = ag.compile(fn)
    for v in ([1.0, 2.0, -1.0, 3.0], [5.0, -2.0, 4.0, 6.0], [1.0, 1.0, 1.0, 1.0],
              [2.0, -1.0, -1.0, -1.0], [1.0, 2.0, -1.0, 3.0]):
        x = ag.tensor(v)
        assert f(x).item() == fn(x).item()


HELPER_SCALE = 1.0


def _helper(x):
    return x * HELPER_SCALE


def test_numpy_on_array_arguments_and_state_the_function_reads() -> None:
    global HELPER_SCALE
    table = np.ones(3)
    f = ag.compile(lambda x, a: x + ag.tensor(np.sqrt(a)) + _helper(x) + ag.tensor(table))
    for i, scale in enumerate((1.0, 1.0, 1.0, 2.0, 2.0)):
        HELPER_SCALE = scale
        table[...] = i
        a = np.full(3, float(i * i))
        x = ag.tensor(np.ones(3))
        np.testing.assert_array_equal(f(x, a).data, 1 + i + scale + i)
    HELPER_SCALE = 1.0


def test_a_rebound_global_model_is_seen() -> None:
    global MODEL
    ag.manual_seed(0)
    MODEL = nn.Linear(2, 1)
    f = ag.compile(lambda x: MODEL(x))
    x = ag.tensor(np.ones((1, 2), np.float32))
    with ag.no_grad():
        for _ in range(3):
            f(x)
        MODEL = nn.Linear(2, 1)
        np.testing.assert_array_equal(f(x).data, MODEL(x).data)


# ----------------------------------------------------------------------------- escapes
def test_reading_data_outside_ops_runs_eagerly_with_a_warning() -> None:
    def fn(x):
        k = float(x.data.max())        # a Python value computed from .data: not traceable
        return x * k
    f = ag.compile(fn)
    with pytest.warns(UserWarning, match="runs eagerly"):
        f(ag.tensor([1.0, 2.0]))
    for v in (3.0, 5.0):
        np.testing.assert_array_equal(f(ag.tensor([1.0, v])).data, [v, v * v])
    assert f.replays == 0 and "runs eagerly" in f.explain()


def test_ops_on_another_thread_run_eagerly() -> None:
    import threading

    def fn(x):
        box = []
        worker = threading.Thread(target=lambda: box.append(x * 3))
        worker.start()
        worker.join()
        return box[0] + 1
    f = ag.compile(fn)
    with pytest.warns(UserWarning, match="another thread"):
        f(ag.tensor([1.0]))
    for v in (2.0, 5.0):
        assert f(ag.tensor([v])).item() == 3 * v + 1
    assert f.replays == 0


def test_numpy_computed_operand_escapes() -> None:
    def fn(x):
        return x + ag.tensor(np.sqrt(x.numpy()))
    f = ag.compile(fn)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for v in (4.0, 9.0, 16.0, 25.0):
            assert f(ag.tensor([v])).item() == v + np.sqrt(v)
    assert f.replays == 0


def test_create_graph_and_returning_a_live_graph_run_eagerly() -> None:
    def hess(x):
        (g,) = ag.grad((x ** 3).sum(), [x], create_graph=True)
        return g.sum()
    f = ag.compile(hess)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for v in (1.0, 2.0, 3.0):
            x = ag.tensor([v], requires_grad=True)
            assert f(x).item() == 3 * v * v
        g = ag.compile(lambda x: x * 2)
        for _ in range(3):
            y = g(ag.tensor([1.0], requires_grad=True))
            assert y.grad_fn is not None       # eager: the caller can still backward
            y.backward()
    assert f.replays == 0 and g.replays == 0


def test_patches_are_removed_after_a_recording_and_after_an_error() -> None:
    before = (Op.__dict__["unary"], Op.__dict__["binary"], Op.__dict__["apply"],
              Tensor.__dict__["data"], Tensor.__dict__["grad"], Tensor.__dict__["__init__"])

    def bad(x):
        raise ValueError("boom")
    with pytest.raises(ValueError, match="boom"):
        ag.compile(bad)(ag.tensor([1.0]))
    f = ag.compile(lambda x: x + 1)
    f(ag.tensor([1.0]))
    after = (Op.__dict__["unary"], Op.__dict__["binary"], Op.__dict__["apply"],
             Tensor.__dict__["data"], Tensor.__dict__["grad"], Tensor.__dict__["__init__"])
    assert before == after
    assert ag.trace_hooks._recorder is None


def test_compile_rejects_non_callables_and_works_as_decorator() -> None:
    with pytest.raises(TypeError, match="compile: expected a function"):
        ag.compile(3)

    @ag.compile
    def f(x):
        return x * 3
    assert f(ag.tensor([2.0])).item() == 6.0


# ----------------------------------------------------------------------------- random programs
_UNARY = [ag.tanh, ag.exp, ag.sigmoid, ag.relu, lambda t: t * t, lambda t: -t,
          lambda t: t.sum(0, keepdims=True), lambda t: t.mean(), lambda t: t.T,
          lambda t: ag.softmax(t, -1), lambda t: t[..., :1], lambda t: t.abs()]
_BINARY = [lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a - b,
           lambda a, b: a / (b * b + 1), lambda a, b: ag.maximum(a, b)]


def _check_program(prog: list, shape: tuple) -> None:
    """One random program (unary op, binary op with w or x) compiled == eager, 4 calls."""
    rng = np.random.default_rng(len(prog))
    w = ag.tensor(rng.standard_normal((3, 4)), requires_grad=True)

    def fn(x):
        h = x
        for u, b, use_w in prog:
            h = _UNARY[u](h)
            h = _BINARY[b](h, w if use_w else x)
        loss = (h * h).sum()
        loss.backward()
        return loss, h
    try:  # programs with shapes that do not fit are not programs
        fn(ag.tensor(np.zeros(shape), requires_grad=True))
    except (ValueError, IndexError):
        hypothesis.assume(False)

    def grads(x):
        return [None if t.grad is None else t.grad.data.copy() for t in (w, x)]
    f = ag.compile(fn)
    for i in range(4):
        x = ag.tensor(np.random.default_rng(i).standard_normal(shape), requires_grad=True)
        x2 = ag.tensor(x.data.copy(), requires_grad=True)
        w.grad = None
        le, he = fn(x)
        ge = grads(x)
        w.grad = None
        lc, hc = f(x2)
        np.testing.assert_array_equal(le.data, lc.data)
        np.testing.assert_array_equal(he.data, hc.data)
        for a, b in zip(ge, grads(x2)):
            assert (a is None) == (b is None)
            if a is not None:
                np.testing.assert_array_equal(a, b)
    assert f.replays == 2, f.explain()


if hypothesis is not None:
    @settings(max_examples=40, deadline=None)
    @given(st.lists(st.tuples(st.integers(0, len(_UNARY) - 1),
                              st.integers(0, len(_BINARY) - 1), st.booleans()),
                    min_size=1, max_size=12),
           st.sampled_from([(3, 4), (1, 4), (4,), ()]))
    def test_random_op_sequences_compiled_equal_eager(prog, shape) -> None:
        _check_program(prog, shape)
