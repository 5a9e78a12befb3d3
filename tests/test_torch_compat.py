"""PyTorch's names (issue 18 item 1): ag.autograd, ag.utils.data, ag.Generator and generator=,
dtype aliases, the device API and the .data habits. Whole programs run against torch in
tests/test_torch_programs.py."""
import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite import nn


# ----------------------------------------------------------------------------- dtypes
def test_dtype_aliases_are_numpy_dtypes():
    pairs = {"float32": np.float32, "float": np.float32, "float64": np.float64,
             "double": np.float64, "float16": np.float16, "half": np.float16,
             "int64": np.int64, "long": np.int64, "int32": np.int32, "int": np.int32,
             "int16": np.int16, "int8": np.int8, "uint8": np.uint8, "bool": np.bool_}
    for name, np_type in pairs.items():
        d = getattr(ag, name)
        assert d == np.dtype(np_type) and isinstance(d, np.dtype), name
    assert ag.zeros(2, dtype=ag.long).dtype == ag.int64
    assert ag.tensor([1, 2], dtype=ag.float64).dtype == ag.double
    assert ag.ones(2).dtype == ag.float32 and ag.ones(2).dtype != ag.float64
    assert ag.arange(3).dtype == ag.long
    assert ag.tensor([1.0]).to(ag.half).dtype == ag.float16
    assert nn.Linear(2, 2, dtype=ag.float64).weight.dtype == ag.float64
    assert "float" not in ag.__all__  # `from autograd_lite import *` keeps the builtins


def test_finfo_iinfo():
    assert ag.finfo(ag.float32).eps == np.finfo(np.float32).eps
    assert ag.finfo().eps == np.finfo(ag.get_default_dtype()).eps
    assert ag.finfo(ag.float64).max == np.finfo(np.float64).max
    assert ag.iinfo(ag.int64).max == 2**63 - 1 and ag.iinfo(ag.uint8).min == 0


# ----------------------------------------------------------------------------- devices
def test_device_objects():
    cpu = ag.device("cpu")
    assert cpu == "cpu" and cpu == ag.device("cpu") and str(cpu) == "cpu"
    assert cpu.type == "cpu" and cpu.index is None and repr(cpu) == "device(type='cpu')"
    assert ag.device("cuda:1").index == 1 and ag.device("cuda", 0) != cpu  # nameable, unusable
    assert len({ag.device("cpu"), ag.device("cpu")}) == 1
    with pytest.raises(ValueError, match="unknown device type"):
        ag.device("gpu")
    assert not ag.cuda.is_available() and ag.cuda.device_count() == 0
    assert not ag.backends.mps.is_available() and not ag.accelerator.is_available()
    ag.cuda.manual_seed_all(0)  # accepted, no effect
    ag.backends.cudnn.deterministic = True


def test_device_argument_everywhere():
    dev = ag.device("cuda" if ag.cuda.is_available() else "cpu")
    made = [ag.tensor([1.0], device=dev), ag.zeros(2, device="cpu"), ag.ones(2, device=dev),
            ag.empty(2, device=dev), ag.full((2,), 3.0, device=dev), ag.eye(2, device=dev),
            ag.arange(3, device=dev), ag.linspace(0, 1, 3, device=dev), ag.rand(2, device=dev),
            ag.randn(2, device=dev), ag.randint(3, (2,), device=dev), ag.randperm(3, device=dev),
            ag.normal(0.0, 1.0, (2,), device=dev), ag.as_tensor([1.0], device=dev)]
    x = ag.ones(2)
    made += [f(x, device=dev) for f in (ag.zeros_like, ag.ones_like, ag.empty_like,
                                        ag.rand_like, ag.randn_like)]
    for t in made:
        assert t.device == ag.device("cpu") and t.device == "cpu" and not t.is_cuda
        assert t.cpu() is t
    for make in (lambda: ag.zeros(2, device="cuda"), lambda: ag.tensor(1.0, device="mps"),
                 lambda: ag.randn(2, device=ag.device("cuda", 0)), lambda: x.to("cuda"),
                 lambda: x.cuda(), lambda: nn.Linear(2, 2).to("cuda"),
                 lambda: nn.Linear(2, 2, device="cuda"), lambda: nn.Linear(2, 2).cuda()):
        with pytest.raises(ValueError, match="CPU only|cpu"):
            make()


def test_tensor_to():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    assert x.to("cpu") is x and x.to(ag.device("cpu")) is x and x.to(ag.float32) is x
    y = x.to("cpu", ag.float64)
    assert y.dtype == ag.float64 and y.requires_grad
    y.sum().backward()
    assert x.grad.dtype == ag.float32 and np.allclose(x.grad.data, 1)
    assert x.to(device="cpu", dtype=ag.float16).dtype == ag.float16
    assert x.to(ag.zeros(1, dtype=ag.long)).dtype == ag.int64
    assert x.to("cpu", copy=True) is not x
    assert x.to(ag.float64, non_blocking=True).dtype == ag.float64
    with pytest.raises(TypeError, match="neither a dtype nor a device"):
        x.to("banana")


def test_module_to_device_and_dtype():
    m = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    assert m.to("cpu") is m and m.to(ag.device("cpu")) is m and m.cpu() is m
    m.to("cpu", ag.float64)
    assert all(p.dtype == ag.float64 for p in m.parameters())
    m.to(dtype=ag.float32)
    assert all(p.dtype == ag.float32 for p in m.parameters())
    assert m[1].running_mean.dtype == ag.float32


# ----------------------------------------------------------------------------- random
def test_generator_reproducible_and_independent():
    ag.manual_seed(5)
    a = ag.randn(4).data
    ag.manual_seed(5)
    g = ag.Generator().manual_seed(0)
    ag.rand(3, generator=g)  # draws from g leave the global stream where it was
    ag.randperm(5, generator=g)
    assert np.array_equal(ag.randn(4).data, a)
    draws = []
    for _ in range(2):
        g = ag.Generator().manual_seed(123)
        draws.append(np.concatenate([
            ag.rand(2, generator=g).data, ag.randn(2, generator=g).data,
            ag.randint(0, 10, (3,), generator=g).data, ag.randperm(4, generator=g).data,
            ag.normal(1.0, 2.0, size=(2,), generator=g).data,
            ag.multinomial(ag.tensor([0.1, 0.2, 0.7]), 2, generator=g).data,
            ag.randn_like(ag.zeros(2), generator=g).data]))
    assert np.array_equal(*draws)
    g = ag.Generator()
    assert g.manual_seed(3) is g and g.initial_seed() == 3 and g.device == "cpu"
    state = g.get_state()
    first = ag.rand(3, generator=g).data
    g.set_state(state)
    assert np.array_equal(ag.rand(3, generator=g).data, first)
    with pytest.raises(TypeError, match="generator"):
        ag.rand(2, generator=42)


def test_global_rng_state_and_seeds():
    ag.manual_seed(11)
    assert ag.initial_seed() == 11
    state = ag.get_rng_state()
    first = ag.randn(5).data
    ag.rand(7)  # moves on
    ag.set_rng_state(state)
    assert np.array_equal(ag.randn(5).data, first)
    ag.set_rng_state(state)  # the saved state is a copy: restoring twice repeats twice
    assert np.array_equal(ag.randn(5).data, first)
    s = ag.seed()
    assert isinstance(s, int) and ag.initial_seed() == s
    with pytest.raises(TypeError, match="set_rng_state"):
        ag.set_rng_state(b"\x00")
    with pytest.raises(ValueError, match="set_rng_state"):
        ag.set_rng_state({"bit_generator": "MT19937", "state": {}})


def test_random_functions():
    ag.manual_seed(0)
    assert sorted(ag.randperm(6).tolist()) == list(range(6)) and ag.randperm(6).dtype == ag.long
    x = ag.zeros(2, 3, dtype=ag.float64)
    assert ag.randn_like(x).shape == (2, 3) and ag.rand_like(x).dtype == ag.float64
    r = ag.randint_like(ag.zeros(5, dtype=ag.long), 3)
    assert r.dtype == ag.long and r.data.min() >= 0 and r.data.max() < 3
    n = ag.normal(ag.zeros(3, dtype=ag.float64), ag.ones(3, dtype=ag.float64))
    assert n.shape == (3,) and n.dtype == ag.float64
    assert ag.normal(ag.zeros(2, 1), 1.0).shape == (2, 1)
    assert ag.normal(2.0, 0.0, size=(3,)).tolist() == [2.0, 2.0, 2.0]
    with pytest.raises(TypeError, match="size"):
        ag.normal(0.0, 1.0)
    m = ag.multinomial(ag.tensor([1.0, 1.0, 1.0, 0.0]), 3)
    assert sorted(m.tolist()) == [0, 1, 2] and m.dtype == ag.long
    m2 = ag.multinomial(ag.tensor([[0.0, 1.0], [1.0, 0.0]]), 4, replacement=True)
    assert m2.tolist() == [[1] * 4, [0] * 4]
    with pytest.raises(ValueError, match="without replacement"):
        ag.multinomial(ag.tensor([1.0, 0.0]), 2)
    assert ag.empty(2, 3).shape == (2, 3) and ag.empty_like(x).dtype == ag.float64


# ----------------------------------------------------------------------------- utils.data
def test_utils_data_is_the_library_data():
    from autograd_lite.utils.data import DataLoader, Dataset, TensorDataset
    assert DataLoader is ag.data.DataLoader and Dataset is ag.data.Dataset
    assert TensorDataset is ag.data.TensorDataset and ag.utils.data.Subset is ag.data.Subset


def test_dataloader_torch_arguments():
    from autograd_lite.utils.data import DataLoader, RandomSampler, TensorDataset
    ds = TensorDataset(ag.arange(10), ag.arange(10) * 2)

    def order(**kw):
        return np.concatenate([xb.data for xb, _ in DataLoader(ds, batch_size=3, **kw)])

    plain = order(num_workers=4, pin_memory=True, persistent_workers=True, prefetch_factor=2)
    assert plain.tolist() == list(range(10))
    a = order(shuffle=True, generator=ag.Generator().manual_seed(7))
    b = order(shuffle=True, generator=ag.Generator().manual_seed(7))
    assert np.array_equal(a, b) and sorted(a.tolist()) == list(range(10))
    assert len(DataLoader(ds, batch_size=3, drop_last=True)) == 3
    s = order(sampler=RandomSampler(ds, generator=ag.Generator().manual_seed(7)))
    assert sorted(s.tolist()) == list(range(10))
    batches = list(DataLoader(ds, batch_size=4, collate_fn=lambda samples: len(samples)))
    assert batches == [4, 4, 2]
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(ds, shuffle=True, sampler=range(10))


def test_random_split_and_subset():
    from autograd_lite.utils.data import DataLoader, Subset, TensorDataset, random_split
    ds = TensorDataset(ag.arange(10))
    tr, te = random_split(ds, [7, 3], generator=ag.Generator().manual_seed(1))
    tr2, _ = random_split(ds, [7, 3], generator=ag.Generator().manual_seed(1))
    assert len(tr) == 7 and len(te) == 3 and tr.indices == tr2.indices
    assert sorted(tr.indices + te.indices) == list(range(10))
    assert [len(s) for s in random_split(ds, [0.5, 0.3, 0.2])] == [5, 3, 2]
    sub = Subset(ds, [4, 2])
    assert sub[0][0].item() == 4
    (xb,) = next(iter(DataLoader(sub, batch_size=2)))
    assert xb.tolist() == [4, 2]
    with pytest.raises(ValueError, match="sum of input lengths"):
        random_split(ds, [3, 3])


# ----------------------------------------------------------------------------- autograd
def test_autograd_namespace():
    from autograd_lite import autograd
    assert autograd.Function is ag.Function and autograd.functional is ag.functional
    assert autograd.grad is ag.grad and autograd.gradcheck is ag.testing.gradcheck
    assert autograd.forward_ad is ag.forward_ad
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    (g,) = autograd.grad((x ** 3).sum(), x, create_graph=True)
    assert g.tolist() == [3.0, 12.0]
    autograd.backward([g.sum()])
    assert x.grad.tolist() == [6.0, 12.0]
    autograd.set_detect_anomaly(True)
    assert ag.is_anomaly_enabled()
    autograd.set_detect_anomaly(False)
    assert not ag.is_anomaly_enabled()


class _Exp(ag.autograd.Function):  # torch 2.x style: forward without ctx + setup_context
    @staticmethod
    def forward(x, scale=1.0):
        return x.exp() * scale

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.scale = inputs[1]
        ctx.save_for_backward(output)

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out, None


def test_function_setup_context_style():
    x = ag.tensor([0.0, 1.0], dtype=ag.float64, requires_grad=True)
    y = _Exp.apply(x, 2.0)
    assert str(y.grad_fn) == "_ExpBackward"
    y.sum().backward()
    assert np.allclose(x.grad.data, 2 * np.exp([0.0, 1.0]))
    assert ag.autograd.gradcheck(lambda t: _Exp.apply(t, 3.0), (x,))
    assert ag.autograd.gradgradcheck(lambda t: _Exp.apply(t, 3.0), (x,))


# ----------------------------------------------------------------------------- .data habits
def test_data_update_habits():
    p = ag.tensor([1.0, 2.0], requires_grad=True)
    (p * p).sum().backward()
    p.data += -0.1 * p.grad  # ndarray += Tensor: in place, stays an ndarray
    assert isinstance(p.data, np.ndarray) and np.allclose(p.data, [0.8, 1.6])
    buf = p.data
    p.data -= 0.5 * p.grad
    assert p.data is buf and np.allclose(p.data, [-0.2, -0.4])
    p.data = p.data - 0.1 * p.grad  # an ndarray minus a Tensor is a Tensor: its array is kept
    assert isinstance(p.data, np.ndarray) and p.data.dtype == np.float32
    assert np.allclose(p.data, [-0.4, -0.8])
    p.data = [1.0, 1.0]
    assert isinstance(p.data, np.ndarray)
    assert p.data.sum() == 2.0 and p.requires_grad and p.is_leaf


def test_numpy_operands_still_give_tensors():
    t = ag.tensor([1.0, 2.0], requires_grad=True)
    for r in (np.ones(2) + t, np.ones(2) - t, np.ones(2) * t, np.ones(2) / t,
              np.float64(2) * t, np.eye(2) @ t):
        assert isinstance(r, ag.Tensor) and r.requires_grad
    assert (np.float64(2) * t).dtype == ag.float32  # PyTorch's scalar rule
    assert (np.zeros(2) < t).tolist() == [True, True]
    with pytest.raises(TypeError):
        np.exp(t)  # NumPy functions on Tensors stay refused: use ag.exp


def test_tensor_constructor_differs_from_torch():
    # Documented difference (docs/pytorch.md): ag.Tensor(data) is the data constructor, as
    # ag.tensor; torch.Tensor(3) is an uninitialised vector of length 3. Use ag.empty(3).
    assert ag.Tensor(3).shape == () and ag.Tensor(3).item() == 3
    assert ag.empty(3).shape == (3,)


def test_remaining_differences_documented_in_pytorch_md():
    assert not ag.empty(2, 2).data.any() and not ag.empty_like(ag.ones(3)).data.any()
    assert str(ag.ones(1).dtype) == "float32"  # torch: "torch.float32"
    with pytest.raises(ValueError, match="CPU only"):
        nn.Linear(1, 1).cuda()
    with pytest.raises(ValueError, match="batch_sampler"):
        ag.utils.data.DataLoader(ag.utils.data.TensorDataset(ag.ones(4)), batch_sampler=[[0]])
    g = ag.Generator().manual_seed(0)
    assert np.array_equal(ag.rand(3, generator=g).data,
                          np.random.default_rng(0).random(3).astype(np.float32))  # NumPy's PCG64


def test_from_numpy_is_tensor_inference_mode():
    a = np.arange(3.0)
    t = ag.from_numpy(a)
    assert t.data is a and t.dtype == ag.float64 and ag.is_tensor(t) and not ag.is_tensor(a)
    with pytest.raises(TypeError, match="from_numpy"):
        ag.from_numpy([1.0])
    w = ag.ones(2, requires_grad=True)
    with ag.inference_mode():
        assert not (w * 2).requires_grad
    with ag.inference_mode(False):
        assert (w * 2).requires_grad

    @ag.inference_mode
    def f(x):
        return x * 2

    @ag.inference_mode()
    def g(x):
        return x * 2

    assert not f(w).requires_grad and not g(w).requires_grad


def test_init_takes_an_ag_generator():
    w1, w2 = ag.zeros(3, 4), ag.zeros(3, 4)
    nn.init.kaiming_uniform_(w1, generator=ag.Generator().manual_seed(0))
    nn.init.kaiming_uniform_(w2, generator=ag.Generator().manual_seed(0))
    assert np.array_equal(w1.data, w2.data) and w1.data.any()
    nn.init.normal_(w1, generator=np.random.default_rng(0))  # a NumPy generator still works
