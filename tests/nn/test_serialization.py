"""nn.save / nn.load: bit-exact round trips of state dicts and generic nested state, atomic
writes, and refusal of pickled, foreign or truncated files."""
from __future__ import annotations

import math
import os
import pathlib
from collections import OrderedDict

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite import nn


def _model():
    ag.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(),
                         nn.Linear(8, 3))


def test_state_dict_roundtrip_bit_exact(tmp_path):
    m = _model()
    m(ag.randn(4, 1, 4, 4))  # move BatchNorm's running statistics
    sd = m.state_dict()
    path = tmp_path / "model.npz"
    nn.save(sd, path)
    back = nn.load(path)
    assert list(back.keys()) == list(sd.keys())
    assert type(back) is type(sd)
    for k, v in sd.items():
        assert isinstance(back[k], ag.Tensor)
        assert back[k].dtype == v.dtype and back[k].shape == v.shape
        assert back[k].data.tobytes() == v.data.tobytes()
    m2 = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(),
                       nn.Linear(8, 3))
    m2.load_state_dict(back)
    x = ag.randn(2, 1, 4, 4)
    m.eval()
    m2.eval()
    assert m(x).data.tobytes() == m2(x).data.tobytes()


def test_generic_nested_structures_roundtrip_types_exactly(tmp_path):
    obj = {
        "state": {0: {"step": 3, "exp_avg": np.arange(4, dtype=np.float32),
                      "max": np.float64(2.5)},
                  1: {"step": 3, "momentum_buffer": None}},
        "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "eps": 1e-8, "amsgrad": False,
                          "params": [0, 1], "name": "group-é"}],
        "floats": [math.inf, -math.inf, 1 / 3, -0.0, 1e-310],
        "big": 2 ** 70,
        (1, "a"): "tuple key",
        2.5: "float key",
        True: None,
        "ordered": OrderedDict([("b", 1), ("a", 2)]),
        "ints": np.array([[1, 2]], dtype=np.int16),
        "bools": np.array([True, False]),
        "words": np.array(["x", "yz"]),
        "tensor": ag.tensor([1.5, 2.5], dtype=np.float64),
        "param": nn.Parameter(np.ones(2)),
        "empty": {}, "empty_list": [], "nested": [[(1,), []]],
    }
    path = tmp_path / "opt.npz"
    nn.save(obj, path)
    back = nn.load(path)

    def same(a, b):
        assert type(a) is type(b), (a, b)
        if isinstance(a, dict):
            assert list(a.keys()) == list(b.keys())
            for k in a:
                same(a[k], b[k])
        elif isinstance(a, (list, tuple)):
            assert len(a) == len(b)
            for x, y in zip(a, b):
                same(x, y)
        elif isinstance(a, ag.Tensor):
            assert a.dtype == b.dtype and a.data.tobytes() == b.data.tobytes()
            assert a.requires_grad == b.requires_grad
        elif isinstance(a, (np.ndarray, np.generic)):
            assert a.dtype == b.dtype and a.shape == b.shape
            assert np.asarray(a).tobytes() == np.asarray(b).tobytes()
        elif isinstance(a, float):
            assert math.copysign(1, a) == math.copysign(1, b) and a == b
        else:
            assert a == b
    same(obj, back)
    nn.save([float("nan")], path)
    assert math.isnan(nn.load(path)[0])


def test_save_refuses_unsupported_objects(tmp_path):
    with pytest.raises(TypeError, match="state_dict"):
        nn.save(nn.Linear(2, 2), tmp_path / "m.npz")
    with pytest.raises(TypeError, match="object"):
        nn.save({"a": np.array([object()], dtype=object)}, tmp_path / "m.npz")
    with pytest.raises(TypeError, match="set"):
        nn.save({"a": {1, 2}}, tmp_path / "m.npz")
    assert not any(p.name.startswith(".tmp") for p in tmp_path.iterdir())


def test_save_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    nn.save({"w": np.ones(3)}, path)
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", boom)
    with pytest.raises(OSError, match="disk full"):
        nn.save({"w": np.zeros(3)}, path)
    assert path.read_bytes() == before  # old checkpoint intact
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.npz"]  # no temporary left behind


class _Evil:
    """Unpickling this would create a file: proof that loading executed code."""

    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (pathlib.Path.touch, (pathlib.Path(self.target),))


def test_load_refuses_object_arrays_without_executing(tmp_path):
    sentinel = tmp_path / "pwned"
    path = tmp_path / "evil.npz"
    arr = np.empty(1, dtype=object)
    arr[0] = _Evil(str(sentinel))
    np.savez(path, __autograd_lite__=np.array('{"format": "autograd_lite.nn.save", "version": 1,'
                                              ' "tree": {"t": "array", "k": "w"}}'), w=arr)
    with pytest.raises(ValueError, match="pickle"):
        nn.load(path)
    assert not sentinel.exists()
    # a plain pickled file (not even a zip) is refused as well
    import pickle
    pk = tmp_path / "evil.pkl"
    pk.write_bytes(pickle.dumps(_Evil(str(sentinel))))
    with pytest.raises(ValueError, match="not a valid"):
        nn.load(pk)
    assert not sentinel.exists()
    # a single object .npy
    npy = tmp_path / "evil.npy"
    np.save(npy, arr, allow_pickle=True)
    with pytest.raises(ValueError):
        nn.load(npy)
    assert not sentinel.exists()


def test_load_rejects_foreign_truncated_and_corrupt_files(tmp_path):
    good = tmp_path / "good.npz"
    nn.save(_model().state_dict(), good)
    data = good.read_bytes()
    trunc = tmp_path / "trunc.npz"
    trunc.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="not a valid autograd_lite checkpoint"):
        nn.load(trunc)
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, a=np.ones(2))
    with pytest.raises(ValueError, match="foreign"):
        nn.load(foreign)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ValueError, match="not a valid"):
        nn.load(text)
    # header pointing at a missing entry
    broken = tmp_path / "broken.npz"
    np.savez(broken, __autograd_lite__=np.array(
        '{"format": "autograd_lite.nn.save", "version": 1, "tree": {"t": "array", "k": "x"}}'))
    with pytest.raises(ValueError, match="missing array entry"):
        nn.load(broken)
    # a member whose bytes are damaged (CRC error) is reported as a ValueError
    big = tmp_path / "big.npz"
    nn.save({"w": np.arange(1000.0)}, big)
    raw = bytearray(big.read_bytes())
    raw[len(raw) // 2] ^= 0xFF  # inside the 8000 data bytes of "w"
    damaged = tmp_path / "damaged.npz"
    damaged.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="corrupt"):
        nn.load(damaged)
    with pytest.raises(FileNotFoundError):
        nn.load(tmp_path / "nope.npz")
    assert os.path.exists(good)
