"""Module and Parameter: registration, PyTorch order and names, modes, grads, state dicts,
repr, containers, and the module scope recorded on graph nodes."""
from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite import nn
from autograd_lite.scope import OpCall, current_scope, module_path


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(np.ones(3))
        self.lin = nn.Linear(3, 3)
        self.act = nn.ReLU()
        self.register_buffer("count", ag.zeros(()))
        self.register_buffer("tmp", ag.zeros(2), persistent=False)

    def forward(self, x):
        return self.act(self.lin(x)) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.first = nn.Linear(2, 3)
        self.block = Block()
        self.heads = nn.ModuleList([nn.Linear(3, 1), nn.Linear(3, 2)])
        self.bias = nn.Parameter(np.zeros(1))

    def forward(self, x):
        h = self.block(self.first(x))
        return self.heads[0](h) + self.bias


def test_named_parameters_pytorch_order_and_dotted_names():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    # own parameters first, then children in registration order
    assert names == ["bias", "first.weight", "first.bias", "block.scale", "block.lin.weight",
                     "block.lin.bias", "heads.0.weight", "heads.0.bias", "heads.1.weight",
                     "heads.1.bias"]
    assert len(list(net.parameters())) == 10
    assert [n for n, _ in net.named_children()] == ["first", "block", "heads"]
    assert [n for n, _ in net.named_modules()] == ["", "first", "block", "block.lin",
                                                   "block.act", "heads", "heads.0", "heads.1"]
    assert [n for n, _ in net.named_buffers()] == ["block.count", "block.tmp"]
    assert list(net.state_dict().keys()) == [
        "bias", "first.weight", "first.bias", "block.scale", "block.count", "block.lin.weight",
        "block.lin.bias", "heads.0.weight", "heads.0.bias", "heads.1.weight", "heads.1.bias"]
    assert [n for n, _ in net.block.named_parameters(recurse=False)] == ["scale"]


def test_shared_parameters_listed_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(seq.parameters())) == 2
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias"]


def test_missing_super_init_gives_clear_error():
    class Bad(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(np.ones(2))

    with pytest.raises(AttributeError, match="super\\(\\).__init__\\(\\)"):
        Bad()

    class Bad2(nn.Module):
        def __init__(self):
            self.lin = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Bad2()


def test_assignment_rules():
    b = Block()
    with pytest.raises(TypeError, match="nn.Parameter or None"):
        b.scale = ag.ones(3)
    b.scale = None
    assert "scale" not in [n for n, _ in b.named_parameters()]
    with pytest.raises(TypeError, match="nn.Module or None"):
        b.lin = 3
    b.count = ag.ones(())
    assert b.state_dict()["count"].item() == 1
    b.plain = ag.ones(2)  # a plain Tensor attribute is not registered (as PyTorch)
    assert "plain" not in b.state_dict()
    del b.lin
    assert not hasattr(b, "lin")
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        b.nothing
    with pytest.raises(KeyError):
        b.register_buffer("a.b", ag.ones(1))


def test_parameter_basics():
    p = nn.Parameter(np.arange(3.0))
    assert p.requires_grad and p.is_leaf and isinstance(p, ag.Tensor)
    assert repr(p).startswith("Parameter containing:")
    assert nn.Parameter([1.0, 2.0]).dtype == np.float32
    assert not nn.Parameter(np.ones(2), requires_grad=False).requires_grad


def test_train_eval_propagate_and_zero_grad():
    net = Net()
    assert net.training and net.block.act.training
    net.eval()
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    out = net(ag.randn(4, 2)).sum()
    out.backward()
    assert all(p.grad is not None for p in [net.bias, net.first.weight, net.block.scale])
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net(ag.randn(4, 2)).sum().backward()
    net.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.data == 0) for p in net.parameters() if p.grad is not None)


def test_state_dict_roundtrip_and_errors():
    a, b = Net(), Net()
    sd = a.state_dict()
    assert not any(v.requires_grad for v in sd.values())
    assert sd["first.weight"].data is a.first.weight.data  # shares memory, as PyTorch
    res = b.load_state_dict(sd)
    assert res.missing_keys == [] and res.unexpected_keys == []
    for (n, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    assert b.first.weight.data is not a.first.weight.data
    # numpy arrays are accepted too
    b.load_state_dict({k: v.data for k, v in sd.items()})
    bad = dict(sd)
    del bad["bias"]
    bad["extra"] = np.ones(1)
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "bias"') as e:
        b.load_state_dict(bad)
    assert 'Unexpected key(s) in state_dict: "extra"' in str(e.value)
    res = b.load_state_dict(bad, strict=False)
    assert res.missing_keys == ["bias"] and res.unexpected_keys == ["extra"]
    wrong = dict(sd)
    wrong["first.weight"] = np.ones((2, 2))
    with pytest.raises(RuntimeError, match="size mismatch for first.weight"):
        b.load_state_dict(wrong, strict=False)
    # loading keeps the parameter objects (optimizers hold references to them)
    w = b.first.weight
    b.load_state_dict(sd)
    assert b.first.weight is w


def test_repr_nested_like_pytorch():
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(),
                          nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.1)), nn.Linear(4, 1))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=4, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Sequential(\n"
        "    (0): Linear(in_features=4, out_features=4, bias=True)\n"
        "    (1): Dropout(p=0.1, inplace=False)\n"
        "  )\n"
        "  (3): Linear(in_features=4, out_features=1, bias=True)\n"
        ")")
    assert repr(nn.Conv2d(1, 2, 3, padding=1)) == \
        "Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"
    assert repr(nn.MSELoss()) == "MSELoss()"


def test_call_records_module_scope_on_nodes():
    net = Net()
    x = ag.randn(2, 2)
    out = net(x)
    # the last op (the + bias) ran in net's own scope
    assert module_path(out.grad_fn.scope) == (net,)
    # walk the graph: some node was made inside block.lin (nested path)
    seen, stack = set(), [out.grad_fn]
    scopes, calls = [], set()
    while stack:
        n = stack.pop()
        if n is None or not hasattr(n, "scope") or id(n) in seen:
            continue
        seen.add(id(n))
        scopes.append(module_path(n.scope))
        calls.update(e.name for e in n.scope or () if isinstance(e, OpCall))
        stack.extend(f for f in n.next_functions if f is not None and hasattr(f, "scope"))
    assert (net, net.block, net.block.lin) in scopes
    assert (net, net.first) in scopes
    assert "linear" in calls  # F.linear's ops also carry the library call that made them
    assert current_scope() is None


def test_containers():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[1], nn.ReLU) and isinstance(seq[-1], nn.Linear)
    sub = seq[:2]
    assert isinstance(sub, nn.Sequential) and len(sub) == 2
    assert sub(ag.randn(4, 2)).shape == (4, 3)
    named = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.Tanh())]))
    assert [n for n, _ in named.named_parameters()] == ["fc.weight", "fc.bias"]
    seq.append(nn.Sigmoid())
    assert len(seq) == 4
    ml = nn.ModuleList([nn.Linear(1, 1)])
    ml.append(nn.Linear(1, 2))
    ml.insert(0, nn.Identity())
    assert [type(m).__name__ for m in ml] == ["Identity", "Linear", "Linear"]
    assert [n for n, _ in ml.named_parameters()][0] == "1.weight"
    with pytest.raises(IndexError):
        ml[5]
    md = nn.ModuleDict({"a": nn.Linear(1, 1), "b": nn.ReLU()})
    assert list(md.keys()) == ["a", "b"] and "a" in md and len(md) == 2
    md["c"] = nn.Linear(1, 1)
    assert [n for n, _ in md.named_parameters()] == ["a.weight", "a.bias", "c.weight", "c.bias"]
    res = nn.Residual(nn.Sequential(nn.Linear(3, 3), nn.Sigmoid())).double()
    x = ag.tensor(np.random.default_rng(0).standard_normal((2, 3)), dtype=np.float64)
    lin = res.fn[0]
    np.testing.assert_allclose(
        res(x).data, x.data + 1 / (1 + np.exp(-(x.data @ lin.weight.data.T + lin.bias.data))))
    with pytest.raises(ValueError, match="x \\+ f\\(x\\)"):
        nn.Residual(nn.Linear(3, 2))(ag.randn(1, 3))


def test_to_double_and_requires_grad():
    net = Net().double()
    assert all(p.dtype == np.float64 for p in net.parameters())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    with pytest.raises(TypeError):
        net.to(np.int64)


def test_forward_not_implemented():
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(1)


def test_forward_hooks_and_one_hot():
    lin = nn.Linear(2, 2)
    seen = []
    h = lin.register_forward_hook(lambda m, args, out: seen.append(out.shape))
    pre = lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    out = lin(ag.ones(3, 2))
    assert seen == [(3, 2)]
    np.testing.assert_allclose(out.data, np.broadcast_to(lin.bias.data, (3, 2)))
    h.remove()
    pre.remove()
    lin(ag.ones(1, 2))
    assert seen == [(3, 2)]
    with lin.register_forward_hook(lambda m, a, o: o * 2):
        np.testing.assert_allclose(lin(ag.zeros(1, 2)).data, 2 * lin.bias.data[None])
    np.testing.assert_allclose(lin(ag.zeros(1, 2)).data, lin.bias.data[None])
    import autograd_lite.nn.functional as F
    oh = F.one_hot(ag.tensor([2, 0, 1]))
    assert oh.dtype == np.int64
    np.testing.assert_array_equal(oh.data, np.eye(3)[[2, 0, 1]])
    assert F.one_hot(ag.tensor([[1]]), 4).shape == (1, 1, 4)
    with pytest.raises(ValueError):
        F.one_hot(ag.tensor([3]), 2)


# ----------------------------------------------------------------------------- regressions
# (from the code review: each fails on the code before its fix)
def test_register_buffer_over_a_parameter_raises_keyerror():
    lin = nn.Linear(2, 3)
    w = lin.weight
    with pytest.raises(KeyError, match="already exists"):
        lin.register_buffer("weight", ag.zeros(3, 2))  # silently dropped the parameter
    assert lin.weight is w and [n for n, _ in lin.named_parameters()] == ["weight", "bias"]
    with pytest.raises(KeyError, match="already exists"):
        lin.register_parameter("forward", None)
    with pytest.raises(KeyError, match="already exists"):
        lin.add_module("bias", nn.ReLU())
    # re-registering under the same kind still replaces, as PyTorch
    lin.register_parameter("bias", None)
    assert lin.bias is None and [n for n, _ in lin.named_parameters()] == ["weight"]
    bn = nn.BatchNorm1d(2)
    bn.register_buffer("running_mean", ag.ones(2))
    np.testing.assert_array_equal(bn.running_mean.data, 1.0)
    # attribute assignment still moves a name between kinds (PyTorch's __setattr__)
    lin.bias = nn.Parameter(np.zeros(3))
    assert [n for n, _ in lin.named_parameters()] == ["weight", "bias"]
