"""autograd_lite.interop: models to and from PyTorch, state dicts both ways, ONNX export.

Every supported layer type goes to torch and back with its outputs equal (1e-6, float64) in
train and eval mode; BatchNorm's running statistics move the same way on both sides; a model
trained here continues training in torch with the same losses; ``export_onnx`` agrees with
onnxruntime (1e-5) on an MLP, a CNN, a residual net and every layer. Tests that need torch,
onnx or onnxruntime skip when those are missing.
"""
from __future__ import annotations

import io
import re
import sys
import textwrap
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite import interop, nn, optim

RNG = np.random.default_rng(18)
DOCS_PAGE = Path(__file__).resolve().parent.parent / "docs" / "guides" / "interop.md"


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


@pytest.fixture(scope="module")
def ort():
    pytest.importorskip("onnx")
    return pytest.importorskip("onnxruntime")


def _x(*shape, dtype=np.float64) -> np.ndarray:
    return RNG.standard_normal(shape).astype(dtype)


def _randomise(m: nn.Module) -> nn.Module:
    """Non-trivial values for every parameter and buffer (BatchNorm's init is ones/zeros)."""
    with ag.no_grad():
        for name, t in list(m.named_parameters()) + list(m.named_buffers()):
            if name.endswith("num_batches_tracked"):
                t.fill_(3)
            elif name.endswith("running_var"):
                t.copy_(RNG.uniform(0.5, 2.0, t.shape))
            elif t.data.dtype.kind == "f":
                t.copy_(RNG.standard_normal(t.shape))
    return m


# (id, the module, its input). Float64 throughout; Embedding takes integer indices.
def _cases():
    idx = RNG.integers(0, 10, (3, 5))
    return [
        ("Linear", lambda: nn.Linear(4, 3), _x(5, 4)),
        ("Linear-nobias-3d", lambda: nn.Linear(4, 3, bias=False), _x(2, 5, 4)),
        ("Conv2d", lambda: nn.Conv2d(2, 3, 3, stride=2, padding=1), _x(2, 2, 7, 6)),
        ("Conv2d-same-nobias", lambda: nn.Conv2d(2, 3, (2, 3), padding="same", bias=False),
         _x(2, 2, 6, 5)),
        ("Conv2d-valid", lambda: nn.Conv2d(1, 2, 3, padding="valid"), _x(2, 1, 5, 5)),
        ("MaxPool2d", lambda: nn.MaxPool2d(2), _x(2, 3, 6, 6)),
        ("MaxPool2d-pad", lambda: nn.MaxPool2d(3, stride=2, padding=1), _x(2, 3, 7, 6)),
        ("AvgPool2d", lambda: nn.AvgPool2d(2), _x(2, 3, 6, 6)),
        ("AvgPool2d-nopadcount", lambda: nn.AvgPool2d(3, 2, 1, count_include_pad=False),
         _x(2, 3, 7, 6)),
        ("AvgPool2d-divisor", lambda: nn.AvgPool2d(2, divisor_override=3), _x(2, 3, 6, 6)),
        ("AvgPool2d-ceil", lambda: nn.AvgPool2d(3, 2, 1, ceil_mode=True), _x(2, 3, 7, 6)),
        ("AvgPool2d-ceil-nopadcount",
         lambda: nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False), _x(2, 3, 6, 5)),
        ("AvgPool2d-ceil-divisor", lambda: nn.AvgPool2d(2, 3, ceil_mode=True, divisor_override=3),
         _x(2, 1, 7, 8)),
        ("Flatten", lambda: nn.Flatten(), _x(2, 3, 4, 5)),
        ("Flatten-1-2", lambda: nn.Flatten(1, 2), _x(2, 3, 4, 5)),
        ("BatchNorm1d", lambda: nn.BatchNorm1d(3), _x(6, 3)),
        ("BatchNorm1d-3d", lambda: nn.BatchNorm1d(3, momentum=0.3), _x(6, 3, 4)),
        ("BatchNorm1d-cumulative", lambda: nn.BatchNorm1d(3, momentum=None), _x(6, 3)),
        ("BatchNorm1d-noaffine", lambda: nn.BatchNorm1d(3, affine=False), _x(6, 3)),
        ("BatchNorm2d", lambda: nn.BatchNorm2d(2, eps=1e-3), _x(3, 2, 4, 4)),
        ("BatchNorm2d-nostats", lambda: nn.BatchNorm2d(2, track_running_stats=False),
         _x(3, 2, 4, 4)),
        ("LayerNorm", lambda: nn.LayerNorm(5), _x(3, 5)),
        ("LayerNorm-2d-noaffine", lambda: nn.LayerNorm((3, 5), elementwise_affine=False),
         _x(2, 3, 5)),
        ("LayerNorm-nobias", lambda: nn.LayerNorm(5, eps=1e-3, bias=False), _x(2, 4, 5)),
        ("Embedding", lambda: nn.Embedding(10, 4), idx),
        ("Embedding-padding", lambda: nn.Embedding(10, 4, padding_idx=0), idx),
        ("Dropout", lambda: nn.Dropout(0.0), _x(4, 5)),
        ("Identity", lambda: nn.Identity(), _x(4, 5)),
        ("ReLU", lambda: nn.ReLU(), _x(4, 5)),
        ("LeakyReLU", lambda: nn.LeakyReLU(0.2), _x(4, 5)),
        ("Sigmoid", lambda: nn.Sigmoid(), _x(4, 5)),
        ("Tanh", lambda: nn.Tanh(), _x(4, 5)),
        ("Softplus", lambda: nn.Softplus(), 10 * _x(4, 5)),
        ("Softplus-beta", lambda: nn.Softplus(beta=2.0, threshold=5.0), 5 * _x(4, 5)),
        ("GELU", lambda: nn.GELU(), _x(4, 5)),
        ("GELU-tanh", lambda: nn.GELU(approximate="tanh"), _x(4, 5)),
        ("Softmax", lambda: nn.Softmax(dim=1), _x(4, 5)),
        ("LogSoftmax", lambda: nn.LogSoftmax(dim=-1), _x(2, 4, 5)),
        ("Sequential", lambda: nn.Sequential(OrderedDict(
            [("fc", nn.Linear(4, 6)), ("act", nn.Tanh()), ("out", nn.Linear(6, 2))])),
         _x(5, 4)),
        ("Residual", lambda: nn.Residual(nn.Sequential(nn.Linear(4, 4), nn.Sigmoid())),
         _x(5, 4)),
    ]


CASES = _cases()
IDS = [c[0] for c in CASES]


def _ag_model(make) -> nn.Module:
    return _randomise(make().double())


def _tin(torch, x: np.ndarray):
    return torch.from_numpy(x.copy())


def _same_tensors(torch, m: nn.Module, tm, rtol: float = 0.0) -> None:
    """The same state dict keys, dtypes and values (equal, or within ``rtol``)."""
    sd, tsd = m.state_dict(), tm.state_dict()
    assert list(sd) == list(tsd)
    for k in sd:
        a, b = sd[k].data, tsd[k].detach().numpy()
        assert a.dtype == b.dtype, k
        np.testing.assert_allclose(a, b, rtol=rtol, atol=0, err_msg=k)


# ============================================================================ to/from torch
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("make,x", [c[1:] for c in CASES], ids=IDS)
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_round_trip_keeps_outputs_and_state(torch, make, x, mode):
    m = _ag_model(make)
    getattr(m, mode)()
    tm = interop.to_torch(m)
    assert all(t.training == (mode == "train") for t in tm.modules())
    _same_tensors(torch, m, tm)
    back = interop.from_torch(tm)
    assert type(back) is type(m) and all(b.training == (mode == "train") for b in back.modules())
    _same_tensors(torch, back, tm)
    y = m(ag.tensor(x)).data
    ty = tm(_tin(torch, x)).detach().numpy()
    by = back(ag.tensor(x)).data
    np.testing.assert_allclose(ty, y, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(by, y, rtol=1e-6, atol=1e-6)
    assert ty.dtype == y.dtype
    # in train mode BatchNorm has just updated its running statistics: still the same
    _same_tensors(torch, m, tm, rtol=1e-12)
    _same_tensors(torch, back, tm, rtol=1e-12)


def test_modulelist_and_moduledict_convert_with_their_names(torch):
    m = nn.ModuleDict({"enc": nn.ModuleList([nn.Linear(2, 3), nn.ReLU()]),
                       "head": nn.Linear(3, 1)}).double()
    tm = interop.to_torch(m)
    assert isinstance(tm, torch.nn.ModuleDict) and isinstance(tm["enc"], torch.nn.ModuleList)
    _same_tensors(torch, m, tm)
    back = interop.from_torch(tm)
    assert isinstance(back, nn.ModuleDict) and isinstance(back["enc"], nn.ModuleList)
    _same_tensors(torch, back, tm)


def test_dropout_in_training_mode_is_inverted_dropout_on_both_sides(torch):
    m = nn.Dropout(0.5)
    tm = interop.to_torch(m)
    assert tm.training and tm.p == 0.5
    x = np.abs(_x(200, 50)) + 1.0
    for y in (m(ag.tensor(x)).data, tm(_tin(torch, x)).numpy()):
        kept = y != 0
        np.testing.assert_allclose(y[kept], 2 * x[kept])
        assert 0.45 < kept.mean() < 0.55
    assert not interop.from_torch(tm.eval()).training


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtypes_and_requires_grad_are_kept(torch, dtype):
    m = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2)).to(dtype)
    m[0].bias.requires_grad_(False)
    tm = interop.to_torch(m)
    want = {np.float32: torch.float32, np.float64: torch.float64}[dtype]
    assert tm[0].weight.dtype == want and tm[1].running_var.dtype == want
    assert tm[1].num_batches_tracked.dtype == torch.int64
    assert tm[0].weight.requires_grad and not tm[0].bias.requires_grad
    back = interop.from_torch(tm)
    assert back[0].weight.dtype == dtype and back[1].num_batches_tracked.dtype == np.int64
    assert not back[0].bias.requires_grad
    # copies: changing one side leaves the other alone
    with torch.no_grad():
        tm[0].weight.add_(1.0)
    assert not np.allclose(m[0].weight.data, tm[0].weight.detach().numpy())
    assert not np.allclose(back[0].weight.data, tm[0].weight.detach().numpy())


def test_shared_modules_and_parameters_stay_shared(torch):
    lin = nn.Linear(3, 3)
    m = nn.Sequential(lin, nn.Tanh(), lin)
    tm = interop.to_torch(m)
    assert tm[0] is tm[2] and len(list(tm.parameters())) == 2
    back = interop.from_torch(tm)
    assert back[0] is back[2] and len(list(back.parameters())) == 2
    tied = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 3))
    tied[1].weight = tied[0].weight
    ttied = interop.to_torch(tied)
    assert ttied[1].weight is ttied[0].weight
    back = interop.from_torch(ttied)
    assert back[1].weight is back[0].weight


def test_native_torch_model_comes_over_with_its_weights(torch):
    torch.manual_seed(0)
    tm = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
        torch.nn.MaxPool2d(2), torch.nn.Conv2d(4, 4, 3, padding="same"), torch.nn.GELU(),
        torch.nn.AvgPool2d(2), torch.nn.Flatten(), torch.nn.Dropout(0.2),
        torch.nn.Linear(16, 8), torch.nn.LayerNorm(8), torch.nn.LeakyReLU(0.1),
        torch.nn.Linear(8, 3), torch.nn.LogSoftmax(dim=1)).double()
    x = _x(5, 1, 8, 8)
    tm.train()
    tm(_tin(torch, x))  # running statistics off their init
    tm.eval()
    m = interop.from_torch(tm)
    assert not m.training
    np.testing.assert_allclose(m(ag.tensor(x)).data, tm(_tin(torch, x)).detach().numpy(),
                               rtol=1e-6, atol=1e-6)
    assert isinstance(interop.from_torch(interop.to_torch(m))[4], nn.Conv2d)


def test_torch_batchnorm_without_bias(torch):
    tb = torch.nn.BatchNorm1d(3, bias=False).double()
    m = interop.from_torch(tb)
    assert m.bias is None and list(m.state_dict()) == list(tb.state_dict())
    x = _x(6, 3)
    np.testing.assert_allclose(m(ag.tensor(x)).data, tb(_tin(torch, x)).detach().numpy(),
                               atol=1e-12)
    assert interop.to_torch(m).bias is None


def test_conversions_leave_the_random_streams_alone(torch):
    ag.manual_seed(5)
    want = ag.rand(3).data
    ag.manual_seed(5)
    interop.from_torch(torch.nn.Sequential(torch.nn.Linear(50, 50), torch.nn.Embedding(9, 4)))
    np.testing.assert_array_equal(ag.rand(3).data, want)
    torch.manual_seed(5)
    twant = torch.rand(3)
    torch.manual_seed(5)
    interop.to_torch(nn.Sequential(nn.Linear(50, 50), nn.Embedding(9, 4)))
    assert torch.equal(torch.rand(3), twant)


def test_torch_residual_is_picklable(torch):
    tm = interop.to_torch(nn.Residual(nn.Linear(2, 2)))
    assert type(tm) is interop.TorchResidual
    buf = io.BytesIO()
    torch.save(tm, buf)
    buf.seek(0)
    again = torch.load(buf, weights_only=False)
    assert torch.equal(again.fn.weight, tm.fn.weight)
    with pytest.raises(ValueError, match="needs them equal"):
        interop.to_torch(nn.Residual(nn.Linear(2, 3)))(torch.ones(1, 2))


# ============================================================================ state dicts
def test_state_dicts_convert_both_ways(torch):
    m = _randomise(nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(),
                                 nn.Linear(8, 2)).double())
    tsd = interop.state_dict_to_torch(m.state_dict())
    assert all(isinstance(v, torch.Tensor) for v in tsd.values())
    twin = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2),
                               torch.nn.Flatten(), torch.nn.Linear(8, 2)).double().eval()
    twin.load_state_dict(tsd)
    m.eval()
    x = _x(3, 1, 4, 4)
    np.testing.assert_allclose(twin(_tin(torch, x)).detach().numpy(), m(ag.tensor(x)).data,
                               rtol=1e-6, atol=1e-6)
    sd = interop.state_dict_from_torch(twin.state_dict())
    assert all(isinstance(v, ag.Tensor) for v in sd.values())
    m2 = _randomise(nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(),
                                  nn.Linear(8, 2)).double())
    m2.load_state_dict(sd)
    _same_tensors(torch, m2, twin)
    tsd["0.weight"].add_(1.0)  # copies, not views
    assert not np.allclose(m.state_dict()["0.weight"].data, tsd["0.weight"].numpy())
    with pytest.raises(TypeError, match="expected a torch.Tensor"):
        interop.state_dict_from_torch({"w": np.ones(2)})
    with pytest.raises(TypeError, match="bfloat16"):
        interop.state_dict_from_torch({"w": torch.ones(2, dtype=torch.bfloat16)})


# ============================================================================ training
def _bn_step(torch, momentum):
    m = _randomise(nn.BatchNorm1d(3, momentum=momentum).double())
    tm = interop.to_torch(m)
    opt, topt = optim.SGD(m.parameters(), lr=0.1), torch.optim.SGD(tm.parameters(), lr=0.1)
    for _ in range(3):
        x = _x(8, 3) * 3 + 1
        loss = (m(ag.tensor(x)) ** 3).mean()
        tloss = (tm(_tin(torch, x)) ** 3).mean()
        for o, l in ((opt, loss), (topt, tloss)):
            o.zero_grad()
            l.backward()
            o.step()
    return m, tm


@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
def test_batchnorm_running_statistics_agree_after_training_steps(torch, momentum):
    m, tm = _bn_step(torch, momentum)
    for name in ("running_mean", "running_var", "weight", "bias"):
        np.testing.assert_allclose(getattr(m, name).data, getattr(tm, name).detach().numpy(),
                                   rtol=1e-6, atol=1e-12, err_msg=name)
    assert int(m.num_batches_tracked.data) == int(tm.num_batches_tracked) == 6
    m.eval(), tm.eval()
    x = _x(4, 3)
    np.testing.assert_allclose(m(ag.tensor(x)).data, tm(_tin(torch, x)).detach().numpy(),
                               rtol=1e-6, atol=1e-12)


def test_a_model_trained_here_continues_training_in_torch(torch):
    ag.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 4 * 4, 16), nn.Tanh(),
                          nn.Residual(nn.Sequential(nn.Linear(16, 16), nn.GELU())),
                          nn.LayerNorm(16), nn.Linear(16, 3)).double()
    X = _x(32, 1, 8, 8)
    Y = RNG.integers(0, 3, 32)
    batches = [(X[i:i + 8], Y[i:i + 8]) for i in range(0, 32, 8)] * 2
    opt = optim.SGD(model.parameters(), lr=0.05)

    def step_here(xb, yb):
        loss = nn.functional.cross_entropy(model(ag.tensor(xb)), ag.tensor(yb))
        opt.zero_grad()
        loss.backward()
        opt.step()
        return float(loss.item())

    for xb, yb in batches[:4]:  # trained here for a while
        step_here(xb, yb)
    tmodel = interop.to_torch(model)
    topt = torch.optim.SGD(tmodel.parameters(), lr=0.05)
    here, there = [], []
    for xb, yb in batches[4:]:  # then both go on from the same point
        here.append(step_here(xb, yb))
        tloss = torch.nn.functional.cross_entropy(tmodel(_tin(torch, xb)), torch.from_numpy(yb))
        topt.zero_grad()
        tloss.backward()
        topt.step()
        there.append(tloss.item())
    np.testing.assert_allclose(there, here, rtol=1e-6)
    assert here[-1] != here[0]
    _back = interop.from_torch(tmodel)  # and the torch-trained weights come back
    for (k, a), b in zip(model.state_dict().items(), _back.state_dict().values()):
        np.testing.assert_allclose(b.data, a.data, rtol=1e-6, atol=1e-9, err_msg=k)


# ============================================================================ errors
class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)

    def forward(self, x):
        return self.fc(x) * 2


class MyLinear(nn.Linear):
    def forward(self, x):
        return super().forward(x) + 1


class InitOnlyLinear(nn.Linear):
    """Changes only the init: converts as a Linear."""


def test_unsupported_modules_are_named_with_the_supported_list(torch):
    with pytest.raises(TypeError, match=r"module '1' of type Block.*supported types: "
                                        r"Sequential, ModuleList.*Linear.*LogSoftmax"):
        interop.to_torch(nn.Sequential(nn.ReLU(), Block()))
    with pytest.raises(TypeError, match=r"the model of type MyLinear"):
        interop.to_torch(MyLinear(2, 2))
    assert isinstance(interop.to_torch(InitOnlyLinear(2, 2)), torch.nn.Linear)
    with pytest.raises(TypeError, match=r"module '0.fn' of type Conv1d"):
        interop.from_torch(torch.nn.Sequential(interop.TorchResidual(torch.nn.Conv1d(1, 1, 1))))
    with pytest.raises(TypeError, match="of type Bilinear"):
        interop.from_torch(torch.nn.Bilinear(2, 2, 2))
    with pytest.raises(NotImplementedError, match="padding_mode='reflect'; autograd_lite "
                                                  "implements only padding_mode='zeros'"):
        interop.from_torch(torch.nn.Conv2d(2, 2, 3, padding_mode="reflect"))
    with pytest.raises(NotImplementedError, match="return_indices"):
        interop.from_torch(torch.nn.Sequential(torch.nn.MaxPool2d(2, return_indices=True)))
    with pytest.raises(NotImplementedError, match="max_norm"):
        interop.from_torch(torch.nn.Embedding(3, 2, max_norm=1.0))


def test_a_missing_extra_is_named(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ImportError
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r'to_torch needs torch.*"autograd-lite\[torch\]"'):
        interop.to_torch(nn.Linear(1, 1))
    with pytest.raises(ImportError, match=r"state_dict_from_torch needs torch"):
        interop.state_dict_from_torch({})
    with pytest.raises(ImportError, match=r'export_onnx needs onnx.*"autograd-lite\[onnx\]"'):
        interop.export_onnx(nn.Linear(1, 1), np.ones((1, 1), np.float32), None)


def test_export_without_onnxruntime_and_with_a_static_batch(monkeypatch, tmp_path):
    pytest.importorskip("onnx")
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    m = nn.Sequential(nn.Linear(3, 2), nn.ReLU())
    x = _x(4, 3, dtype=np.float32)
    with pytest.raises(ImportError, match=r"export_onnx\(check=True\) needs onnxruntime"):
        interop.export_onnx(m, x, None)
    proto = interop.export_onnx(m, x, tmp_path / "m.onnx", check=False, dynamic_batch=False)
    assert (tmp_path / "m.onnx").exists()
    dims = [[d.dim_value for d in v.type.tensor_type.shape.dim]
            for v in (proto.graph.input[0], proto.graph.output[0])]
    assert dims == [[4, 3], [4, 2]]


def test_export_errors(ort):
    x = _x(2, 2).astype(np.float32)
    with pytest.raises(TypeError, match="of type ModuleList"):
        interop.export_onnx(nn.ModuleList([nn.Linear(2, 2)]), x, None)
    with pytest.raises(TypeError, match="of type Block"):
        interop.export_onnx(nn.Sequential(Block()), x, None)
    with pytest.raises(TypeError, match="mix dtypes"):
        interop.export_onnx(nn.Linear(2, 2), x.astype(np.float64), None)
    with pytest.raises(ValueError, match="opset must be between 13"):
        interop.export_onnx(nn.Linear(2, 2), x, None, opset=11)
    with pytest.raises(ValueError, match="batched"):
        interop.export_onnx(nn.MaxPool2d(2), _x(1, 4, 4).astype(np.float32), None)
    with pytest.raises(RuntimeError, match="float32 only"):  # onnxruntime has no float64 Conv
        interop.export_onnx(nn.Conv2d(1, 1, 1).double(), _x(1, 1, 2, 2), None)


# ============================================================================ ONNX
def _run_onnx(ort, path, x):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.log_severity_level = 3
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x})[0]


def _check_export(ort, m, x, tmp_path, opset=17, other_batch=None):
    m.eval()
    path = tmp_path / "model.onnx"
    model = interop.export_onnx(m, x, path, opset=opset)
    assert path.exists() and model.opset_import[0].version == opset
    for xb in [x] + ([other_batch] if other_batch is not None else []):
        np.testing.assert_allclose(_run_onnx(ort, path, xb), m(ag.tensor(xb)).data,
                                   rtol=1e-5, atol=1e-5)
    return model


def test_export_mlp(ort, tmp_path):
    ag.manual_seed(1)
    m = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 16),
                      nn.Tanh(), nn.Linear(16, 3), nn.Softmax(dim=1))
    model = _check_export(ort, m, _x(5, 4, dtype=np.float32), tmp_path,
                          other_batch=_x(9, 4, dtype=np.float32))
    assert m.training is False  # eval() above; export_onnx leaves the mode alone:
    m.train()
    interop.export_onnx(m, _x(5, 4, dtype=np.float32), None)
    assert all(c.training for c in m.modules())
    names = [i.name for i in model.graph.initializer]
    assert names[:2] == ["0.weight", "0.bias"]
    # a float64 MLP runs in onnxruntime too
    _check_export(ort, m.double(), _x(5, 4), tmp_path, other_batch=_x(2, 4))


def test_export_cnn(ort, tmp_path):
    ag.manual_seed(2)
    m = _randomise(nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 8, 3, stride=2, padding="valid"), nn.LeakyReLU(0.1), nn.AvgPool2d(1),
        nn.Flatten(), nn.Linear(8, 10), nn.LogSoftmax(dim=1)))
    model = _check_export(ort, m, _x(3, 1, 8, 8, dtype=np.float32), tmp_path,
                          other_batch=_x(6, 1, 8, 8, dtype=np.float32))
    assert "num_batches_tracked" not in str([i.name for i in model.graph.initializer])
    assert [d.dim_param or d.dim_value for d in
            model.graph.output[0].type.tensor_type.shape.dim] == ["batch", 10]


@pytest.mark.parametrize("opset", [13, 17, 20])
def test_export_residual_net(ort, tmp_path, opset):
    ag.manual_seed(3)
    block = nn.Residual(nn.Sequential(nn.Linear(8, 8), nn.GELU(), nn.LayerNorm(8),
                                      nn.Linear(8, 8), nn.Softplus(beta=2.0)))
    m = _randomise(nn.Sequential(nn.Linear(3, 8), block, nn.GELU(approximate="tanh"), block,
                                 nn.Residual(nn.Identity()), nn.Linear(8, 1)))
    model = _check_export(ort, m, _x(5, 3, dtype=np.float32), tmp_path, opset=opset,
                          other_batch=_x(1, 3, dtype=np.float32))
    ops = {n.op_type for n in model.graph.node}
    assert ("LayerNormalization" in ops) == (opset >= 17) and ("Gelu" in ops) == (opset >= 20)
    assert sum(i.name == "1.fn.0.weight" for i in model.graph.initializer) == 1  # shared once


@pytest.mark.parametrize("make,x", [c[1:] for c in CASES], ids=IDS)
def test_export_every_layer(ort, tmp_path, make, x):
    m = _ag_model(make)
    m.float()
    x = x.astype(np.float32) if x.dtype.kind == "f" else x
    if isinstance(m, nn.LayerNorm):
        for opset in (13, 17):
            _check_export(ort, m, x, tmp_path, opset=opset)
    else:
        _check_export(ort, m, x, tmp_path)


def test_export_embedding_model(ort, tmp_path):
    m = nn.Sequential(nn.Embedding(10, 4), nn.Flatten(), nn.Linear(12, 2))
    _check_export(ort, m, RNG.integers(0, 10, (5, 3)), tmp_path,
                  other_batch=RNG.integers(0, 10, (2, 3)))


# ============================================================================ attention
def _attention(bias=True, batch_first=False, dtype=np.float64):
    m = nn.MultiheadAttention(8, 2, bias=bias, batch_first=batch_first).to(dtype)
    with ag.no_grad():
        for _, p in m.named_parameters():
            p.copy_(0.5 * RNG.standard_normal(p.shape))
    return m


def _qkv(batch_first, n=3, lq=5, s=4, dtype=np.float64):
    def one(length):
        return _x(*((n, length, 8) if batch_first else (length, n, 8))).astype(dtype)
    return one(lq), one(s), one(s)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batch_first", [False, True])
def test_multihead_attention_round_trip(torch, bias, batch_first):
    m = _attention(bias, batch_first)
    tm = interop.to_torch(m)
    assert isinstance(tm, torch.nn.MultiheadAttention) and tm.batch_first == batch_first
    _same_tensors(torch, m, tm)
    back = interop.from_torch(tm)
    assert isinstance(back, nn.MultiheadAttention) and (back.in_proj_bias is None) == (not bias)
    _same_tensors(torch, back, tm)
    q, k, v = _qkv(batch_first)
    y, w = m(ag.tensor(q), ag.tensor(k), ag.tensor(v))
    ty, tw = tm(*(_tin(torch, a) for a in (q, k, v)))
    by, bw = back(ag.tensor(q), ag.tensor(k), ag.tensor(v))
    for a, b in ((ty.detach().numpy(), y.data), (by.data, y.data),
                 (tw.detach().numpy(), w.data), (bw.data, w.data)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    # a native torch layer comes over with its dropout and weights
    native = torch.nn.MultiheadAttention(8, 4, dropout=0.25, batch_first=batch_first).double()
    mine = interop.from_torch(native)
    assert mine.num_heads == 4 and mine.dropout == 0.25
    mine.eval(), native.eval()
    np.testing.assert_allclose(mine(*(ag.tensor(a) for a in (q, k, v)))[0].data,
                               native(*(_tin(torch, a) for a in (q, k, v)))[0].detach().numpy(),
                               rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kw,match", [({"kdim": 4}, "kdim/vdim"),
                                      ({"add_bias_kv": True}, "add_bias_kv"),
                                      ({"add_zero_attn": True}, "add_zero_attn")])
def test_from_torch_refuses_attention_settings_we_lack(torch, kw, match):
    with pytest.raises(NotImplementedError, match=match):
        interop.from_torch(torch.nn.MultiheadAttention(8, 2, **kw))


@pytest.mark.parametrize("batch_first", [False, True])
def test_export_self_attention(ort, tmp_path, batch_first):
    m = _attention(batch_first=batch_first, dtype=np.float32).eval()
    x, _, _ = _qkv(batch_first, dtype=np.float32)
    model = interop.export_onnx(m, x, tmp_path / "attn.onnx")
    dims = [d.dim_param or d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    assert dims == (["batch", 5, 8] if batch_first else [5, "batch", 8])
    x2, _, _ = _qkv(batch_first, n=6, dtype=np.float32)  # another batch size
    for xb in (x, x2):
        xt = ag.tensor(xb)
        np.testing.assert_allclose(_run_onnx(ort, tmp_path / "attn.onnx", xb),
                                   m(xt, xt, xt)[0].data, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("bias,batch_first", [(True, False), (False, True)])
def test_export_attention_with_query_key_value(ort, tmp_path, bias, batch_first):
    m = _attention(bias, batch_first, dtype=np.float64).eval()
    q, k, v = _qkv(batch_first)
    model = interop.export_onnx(m, (q, k, v), tmp_path / "attn.onnx")
    assert [i.name for i in model.graph.input] == ["query", "key", "value"]
    session = ort.InferenceSession(str(tmp_path / "attn.onnx"),
                                   providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"query": q, "key": k, "value": v})
    np.testing.assert_allclose(got, m(ag.tensor(q), ag.tensor(k), ag.tensor(v))[0].data,
                               rtol=1e-5, atol=1e-5)
    # unbatched (L, E) inputs
    u = _x(5, 8).astype(np.float64)
    interop.export_onnx(m, u, None)


def test_export_attention_errors(ort):
    x = _x(5, 2, 8).astype(np.float32)
    with pytest.raises(TypeError, match="no layer of a Sequential"):
        interop.export_onnx(nn.Sequential(nn.MultiheadAttention(8, 2)), x, None)
    with pytest.raises(TypeError, match=r"\(query, key, value\) for a MultiheadAttention"):
        interop.export_onnx(nn.Linear(8, 8), (x, x, x), None)


@pytest.mark.parametrize("kw", [
    {"kernel_size": 2, "ceil_mode": True},
    {"kernel_size": 3, "stride": 2, "ceil_mode": True},
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False},
    {"kernel_size": (3, 2), "stride": (2, 3), "padding": (1, 0), "ceil_mode": True},
    {"kernel_size": 2, "stride": 3, "ceil_mode": True},
    {"kernel_size": 4, "stride": 3, "padding": 2, "ceil_mode": True, "count_include_pad": False},
    {"kernel_size": 3, "stride": 2, "ceil_mode": True, "divisor_override": 2},
])
@pytest.mark.parametrize("shape", [(2, 3, 7, 6), (1, 2, 6, 6), (2, 1, 5, 8)])
def test_export_avg_pool_ceil_mode_matches_onnxruntime_and_torch(ort, tmp_path, kw, shape):
    torch = pytest.importorskip("torch")
    x = _x(*shape, dtype=np.float32)
    m = nn.AvgPool2d(**kw)
    got = _run_onnx(ort, _check_export(ort, m, x, tmp_path) and tmp_path / "model.onnx", x)
    ref = torch.nn.AvgPool2d(**kw)(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5)
    x2 = _x(5, *shape[1:], dtype=np.float32)  # the batch stays symbolic
    np.testing.assert_allclose(_run_onnx(ort, tmp_path / "model.onnx", x2),
                               torch.nn.AvgPool2d(**kw)(torch.from_numpy(x2)).numpy(),
                               rtol=1e-5, atol=1e-5)


# ============================================================================ the docs
@pytest.mark.parametrize("page", [DOCS_PAGE, DOCS_PAGE.parent.parent / "api" / "interop.md"],
                         ids=["guide", "api"])
def test_the_docs_list_exactly_the_supported_modules(page):
    para = next(p for p in page.read_text().split("\n\n") if "`Sequential`, `ModuleList`" in p)
    named = {n for n in re.findall(r"`(\w+)`", para)
             if isinstance(getattr(nn, n, None), type) and issubclass(getattr(nn, n), nn.Module)}
    assert named == set(interop.SUPPORTED_MODULES)


def test_guide_examples_run_with_torch_and_onnx(torch, ort, tmp_path, monkeypatch):
    """docs/guides/interop.md tags its torch and ONNX examples ``py`` (tests/test_docs.py runs
    only ``python`` blocks, and those must run without torch): here they all run, in page
    order, except the one titled "not run" (it needs several processes)."""
    blocks = re.findall(r"^```(python|py)([^\n]*)\n(.*?)^```", DOCS_PAGE.read_text(), re.S | re.M)
    assert blocks
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__docs__"}
    ran = 0
    for i, (_, attrs, body) in enumerate(blocks):
        if "not run" in attrs:
            compile(body, f"interop.md block {i}", "exec")  # it is Python, at least
            continue
        exec(compile(textwrap.dedent(body), f"interop.md block {i}", "exec"), namespace)
        ran += 1
    assert ran >= 3
