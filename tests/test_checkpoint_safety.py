"""Checkpoints under attack or interruption (issue 11, items 8-10).

- ``Module.load_state_dict`` / ``Optimizer.load_state_dict`` check the whole state before
  writing anything: a refused state dict leaves every value and version counter as it was;
- ``nn.load`` bounds memory: declared sizes (zip directory and ``.npy`` headers) are checked
  against ``max_bytes`` and against each other before anything is decompressed, a member is
  read at most once, and with ``like=`` the declared shapes must be the expected ones;
- ``nn.save`` leaves no temporary file behind on any exception, removes stale temporaries of
  killed writers of the same target, gives the file np.savez's mode and writes through
  symlinks.
"""
from __future__ import annotations

import os

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite import nn, optim

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _model() -> nn.Module:
    ag.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))


def _values_and_versions(model: nn.Module) -> dict:
    return {k: (v.data.copy(), v._version) for k, v in model.state_dict(keep_vars=True).items()}


def _assert_unchanged(model: nn.Module, before: dict) -> None:
    after = _values_and_versions(model)
    assert after.keys() == before.keys()
    for k, (data, version) in before.items():
        assert after[k][1] == version, f"{k}: version changed by a refused load"
        assert after[k][0].dtype == data.dtype and np.array_equal(after[k][0], data), k


# ----------------------------------------------------------------------------- item 8: modules
@pytest.mark.parametrize("bad", ["complex", "string", "object", "float-into-int"])
def test_module_load_refused_dtype_writes_nothing(bad):
    model = _model()
    sd = {k: v.data.copy() + 1 for k, v in model.state_dict().items()}
    keys = list(sd)
    if bad == "float-into-int":
        victim = "1.num_batches_tracked"
        sd[victim] = np.float64(3.5)
    else:
        victim = keys[-1]  # the last parameter: everything before it would be written first
        shape = sd[victim].shape
        sd[victim] = {"complex": np.ones(shape, np.complex128),
                      "string": np.full(shape, "x"),
                      "object": np.full(shape, None, dtype=object)}[bad]
    before = _values_and_versions(model)
    with pytest.raises(TypeError) as ei:
        model.load_state_dict(sd)
    msg = str(ei.value)
    assert victim in msg and str(sd[victim].dtype) in msg
    assert str(model.state_dict()[victim].dtype) in msg
    _assert_unchanged(model, before)


def test_module_load_lists_every_problem_and_writes_nothing():
    model = _model()
    sd = {k: v.data.copy() + 1 for k, v in model.state_dict().items()}
    sd["0.bias"] = np.ones(5)                     # shape
    sd["2.weight"] = np.ones((2, 4), np.complex64)  # dtype
    del sd["2.bias"]                              # missing
    sd["extra"] = np.ones(1)                      # unexpected
    before = _values_and_versions(model)
    with pytest.raises(RuntimeError) as ei:
        model.load_state_dict(sd)
    msg = str(ei.value)
    for part in ("size mismatch for 0.bias", "(5,)", "(4,)", "2.weight", "complex64",
                 'Missing key(s) in state_dict: "2.bias"', '"extra"'):
        assert part in msg, part
    _assert_unchanged(model, before)
    # strict=False: missing/unexpected keys are allowed, a bad dtype still refuses everything
    with pytest.raises(TypeError, match="2.weight"):
        model.load_state_dict({"0.weight": np.zeros((4, 3)),
                               "2.weight": np.ones((2, 4), np.complex64)}, strict=False)
    _assert_unchanged(model, before)


def test_module_load_accepts_same_kind_casts():
    model = _model()
    sd = {k: v.data.astype(np.float32) if v.data.dtype.kind == "f" else v.data
          for k, v in model.state_dict().items()}
    sd["0.bias"] = np.array([1, 2, 3, 4])  # int into float is fine (as np.copyto same_kind)
    model.load_state_dict(sd)
    assert model[0].bias.dtype == np.float32 or model[0].bias.dtype == np.float64
    np.testing.assert_array_equal(model[0].bias.data, [1, 2, 3, 4])


# ----------------------------------------------------------------------------- item 8: optim
def _trained_opt(make, seed: int = 0):
    rng = np.random.default_rng(seed)
    params = [ag.tensor(rng.standard_normal((3, 2)), requires_grad=True),
              ag.tensor(rng.standard_normal(2), requires_grad=True)]
    opt = make(params)
    for _ in range(2):
        if isinstance(opt, optim.Newton):
            opt.step(lambda: (params[0] ** 2).sum() + (params[1] ** 2).sum())
            continue
        for p in params:
            p.grad = ag.tensor(rng.standard_normal(p.shape))
        opt.step()
    return params, opt


def _opt_snapshot(opt) -> str:
    groups = [{k: (v if k != "params" else [id(p) for p in v]) for k, v in g.items()}
              for g in opt.param_groups]
    state = {id(p): {k: (np.asarray(v).tolist(), np.asarray(v).dtype.str, id(v))
                     for k, v in s.items()} for p, s in opt.state.items()}
    return repr((groups, sorted(state.items()), id(opt.state), id(opt.param_groups)))


MAKERS = {
    "SGD": lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
    "Adam": lambda p: optim.Adam(p, lr=0.01),
    "AdamW": lambda p: optim.AdamW(p, lr=0.01, amsgrad=True),
    "RMSprop": lambda p: optim.RMSprop(p, lr=0.01, momentum=0.5, centered=True),
    "Adagrad": lambda p: optim.Adagrad(p, lr=0.01),
    "Newton": lambda p: optim.Newton(p, lr=0.5),
}

BAD_HPARAMS = [
    ("SGD", "lr", -1.0), ("SGD", "momentum", -0.5), ("SGD", "weight_decay", -1e-3),
    ("Adam", "lr", -1.0), ("Adam", "betas", (1.0, 0.999)), ("Adam", "betas", (0.9, -0.1)),
    ("Adam", "betas", (0.9,)), ("Adam", "eps", -1e-8), ("AdamW", "weight_decay", -0.1),
    ("RMSprop", "alpha", -0.1), ("RMSprop", "eps", -1.0), ("RMSprop", "momentum", -1.0),
    ("Adagrad", "lr_decay", -1.0), ("Adagrad", "initial_accumulator_value", -1.0),
    ("Newton", "damping", -1.0), ("Newton", "max_params", 0), ("Adam", "lr", float("nan")),
]


@pytest.mark.parametrize("name,key,value", BAD_HPARAMS)
def test_optimizer_load_refuses_hyper_parameters_the_constructor_refuses(name, key, value):
    _, src = _trained_opt(MAKERS[name])
    sd = src.state_dict()
    sd["param_groups"][0][key] = value
    _, dst = _trained_opt(MAKERS[name], seed=1)
    before = _opt_snapshot(dst)
    with pytest.raises(ValueError) as ei:
        dst.load_state_dict(sd)
    msg = str(ei.value)
    assert name in msg and repr(key) in msg, msg
    assert _opt_snapshot(dst) == before


@pytest.mark.parametrize("bad", ["shape", "complex", "string", "index", "lr-type",
                                 "betas-type", "group-size", "group-count", "not-a-dict"])
def test_optimizer_load_refuses_bad_state_and_changes_nothing(bad):
    params, src = _trained_opt(MAKERS["Adam"])
    sd = src.state_dict()
    st = sd["state"]
    if bad == "shape":       # the second parameter's state is fine: the first is wrong
        st[0]["exp_avg"] = np.zeros((2, 3))
        want, match = ValueError, r"state\[0\]\['exp_avg'\].*\(3, 2\).*\(2, 3\)"
    elif bad == "complex":
        st[1]["exp_avg_sq"] = st[1]["exp_avg_sq"].astype(np.complex128)
        want, match = TypeError, r"state\[1\]\['exp_avg_sq'\].*complex128"
    elif bad == "string":
        st[1]["exp_avg"] = np.full(2, "a")
        want, match = TypeError, r"state\[1\]\['exp_avg'\]"
    elif bad == "index":
        st[7] = st[0]
        want, match = ValueError, "parameter index 7"
    elif bad == "lr-type":
        sd["param_groups"][0]["lr"] = "0.1"
        want, match = TypeError, r"param_groups\[0\]\['lr'\]"
    elif bad == "betas-type":
        sd["param_groups"][0]["betas"] = 0.9
        want, match = TypeError, r"param_groups\[0\]\['betas'\]"
    elif bad == "group-size":
        sd["param_groups"][0]["params"] = [0]
        want, match = ValueError, "doesn't match the size"
    elif bad == "group-count":
        sd["param_groups"].append(dict(sd["param_groups"][0]))
        want, match = ValueError, "2 parameter groups"
    else:
        sd = [sd]
        want, match = TypeError, "expected a dict"
    _, dst = _trained_opt(MAKERS["Adam"], seed=1)
    before = _opt_snapshot(dst)
    with pytest.raises(want, match=match) as ei:
        dst.load_state_dict(sd)
    assert "Adam.load_state_dict" in str(ei.value)
    assert _opt_snapshot(dst) == before


def test_optimizer_load_still_accepts_good_state_and_casts_dtype():
    params, src = _trained_opt(MAKERS["Adam"])
    sd = src.state_dict()
    rng = np.random.default_rng(5)
    p32 = [ag.tensor(rng.standard_normal(p.shape).astype(np.float32), requires_grad=True)
           for p in params]
    dst = optim.Adam(p32, lr=0.5)
    dst.load_state_dict(sd)
    assert dst.param_groups[0]["lr"] == 0.01
    assert dst.state[p32[0]]["exp_avg"].dtype == np.float32
    assert dst.state[p32[0]]["step"] == 2
