"""Checkpoints lose nothing: atomic saves, safe loads, bit-identical resume.

Guarantees tested here (RELIABILITY.md, "Checkpoints"):
- ``nn.save`` is atomic: a writer process killed with SIGKILL in the middle of a save leaves
  the previous checkpoint intact and loadable (the new one is written to a temporary file and
  renamed over the old one); an exception mid-save leaves it intact and no temporary file;
- ``nn.load`` never unpickles: object arrays (including a payload that would run code),
  foreign, truncated, empty, text, pickle, ``.npy`` and non-autograd_lite ``.npz`` files raise
  ``ValueError`` naming the file;
- model + optimiser (+ scheduler) state saved mid-training and loaded into freshly built
  objects (in this process and in a new one) resume training bit-identically.
"""
from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time
import zipfile

import numpy as np
import pytest

import autograd_lite as ag

nn = pytest.importorskip("autograd_lite.nn")
optim = pytest.importorskip("autograd_lite.optim")
if not (hasattr(nn, "save") and hasattr(nn, "load")):
    pytest.skip("nn.save / nn.load are not built yet", allow_module_level=True)


def _model(seed: int, dtype=np.float64):
    ag.manual_seed(seed)
    try:
        ag.set_default_dtype(dtype)
        return nn.Sequential(nn.Linear(4, 16), nn.BatchNorm1d(16), nn.Tanh(),
                             nn.Linear(16, 3))
    finally:
        ag.set_default_dtype(np.float32)


def _data(dtype=np.float64):
    rng = np.random.default_rng(123)
    X = ag.tensor(rng.standard_normal((32, 4)).astype(dtype))
    y = ag.tensor(rng.integers(0, 3, 32))
    return X, y


def _train(model, opt, sched, steps: int, start: int = 0) -> list:
    X, y = _data(model[0].weight.dtype)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    model.train()
    for step in range(start, start + steps):
        i = (step * 8) % 32
        opt.zero_grad()
        loss = loss_fn(model(X[i:i + 8]), y[i:i + 8])
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()
        losses.append(loss.item())
    return losses


def _snapshot(model) -> dict:
    return {k: np.array(v.data if isinstance(v, ag.Tensor) else v, copy=True)
            for k, v in model.state_dict().items()}


OPTIMS = {
    "sgd-nesterov": lambda p: optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True,
                                        weight_decay=1e-3),
    "adam-amsgrad": lambda p: optim.Adam(p, lr=1e-2, amsgrad=True),
    "adamw": lambda p: optim.AdamW(p, lr=1e-2),
    "adagrad": lambda p: optim.Adagrad(p, lr=0.05, lr_decay=1e-3),
    "rmsprop": lambda p: optim.RMSprop(p, lr=1e-2, momentum=0.5, centered=True),
}


# ----------------------------------------------------------------------------- resume
@pytest.mark.parametrize("name", sorted(OPTIMS))
def test_resume_is_bit_identical(tmp_path, name):
    path = tmp_path / "ckpt.npz"
    model = _model(0)
    opt = OPTIMS[name](model.parameters())
    sched = optim.lr_scheduler.StepLR(opt, step_size=4, gamma=0.5)
    _train(model, opt, sched, 10)
    nn.save({"model": model.state_dict(), "optim": opt.state_dict(),
             "sched": sched.state_dict(), "step": 10}, path)
    ref_losses = _train(model, opt, sched, 10, start=10)
    ref = _snapshot(model)

    fresh = _model(99)  # different initial weights: everything must come from the file
    opt2 = OPTIMS[name](fresh.parameters())
    sched2 = optim.lr_scheduler.StepLR(opt2, step_size=4, gamma=0.5)
    ck = nn.load(path)
    fresh.load_state_dict(ck["model"])
    opt2.load_state_dict(ck["optim"])
    sched2.load_state_dict(ck["sched"])
    assert ck["step"] == 10
    losses = _train(fresh, opt2, sched2, 10, start=ck["step"])
    assert losses == ref_losses  # exact float equality, step by step
    got = _snapshot(fresh)
    assert got.keys() == ref.keys()
    for k in ref:
        assert got[k].dtype == ref[k].dtype, k
        assert np.array_equal(got[k], ref[k]), f"{k} differs after resume"
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]


def test_resume_in_a_new_process_is_bit_identical(tmp_path):
    path = tmp_path / "ckpt.npz"
    out = tmp_path / "after.npz"
    model = _model(0, np.float32)
    opt = optim.Adam(model.parameters(), lr=1e-2)
    _train(model, opt, None, 7)
    nn.save({"model": model.state_dict(), "optim": opt.state_dict()}, path)
    ref_losses = _train(model, opt, None, 5, start=7)
    ref = _snapshot(model)
    script = textwrap.dedent(f"""
        import json, sys
        import numpy as np
        sys.path.insert(0, {os.path.dirname(os.path.dirname(__file__))!r})
        from tests.test_checkpoint import _model, _train, _snapshot
        from autograd_lite import nn, optim
        m = _model(7, np.float32)
        o = optim.Adam(m.parameters(), lr=1e-2)
        ck = nn.load({str(path)!r})
        m.load_state_dict(ck["model"])
        o.load_state_dict(ck["optim"])
        losses = _train(m, o, None, 5, start=7)
        np.savez({str(out)!r}, **_snapshot(m))
        print(json.dumps(losses))
    """)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout.strip().splitlines()[-1]) == ref_losses
    with np.load(out) as got:
        for k in ref:
            assert got[k].dtype == ref[k].dtype
            assert got[k].dtype == np.float32 or k.endswith("num_batches_tracked")
            assert np.array_equal(got[k], ref[k]), k


def test_round_trip_preserves_types_and_bits(tmp_path):
    path = tmp_path / "x.npz"
    obj = {"f32": ag.tensor(np.array([1.5, np.nan, -0.0], np.float32)),
           "p": nn.Parameter(ag.tensor(np.array([np.inf, 1e-310]))),
           "arr": np.arange(6, dtype=np.int16).reshape(2, 3),
           "float": 0.1, "int": 2 ** 70, "none": None, "tuple": (1, "a"), "list": [True]}
    nn.save(obj, path)
    back = nn.load(path)
    assert isinstance(back["f32"], ag.Tensor) and back["f32"].dtype == np.float32
    assert isinstance(back["p"], nn.Parameter) and back["p"].requires_grad
    assert np.array_equal(back["f32"].data.view(np.uint32), obj["f32"].data.view(np.uint32))
    assert np.array_equal(back["p"].data, obj["p"].data)
    assert back["arr"].dtype == np.int16 and np.array_equal(back["arr"], obj["arr"])
    assert back["float"] == 0.1 and back["int"] == 2 ** 70 and back["none"] is None
    assert back["tuple"] == (1, "a") and back["list"] == [True]


# ----------------------------------------------------------------------------- atomic save
WRITER = textwrap.dedent("""
    import sys
    import numpy as np
    from autograd_lite import nn
    path = sys.argv[1]
    big = np.empty(4_000_000)  # 32 MB per save: long enough to be killed in the middle
    print("ready", flush=True)
    k = 1
    while True:
        big.fill(k)
        nn.save({"version": k, "w": big}, path)
        k += 1
""")


def _tmp_files(d) -> list:
    return [f for f in os.listdir(d) if f.startswith(".tmp-")]


def test_killed_writer_leaves_previous_checkpoint_intact(tmp_path):
    path = tmp_path / "ckpt.npz"
    nn.save({"version": 0, "w": np.zeros(10)}, path)
    killed_mid_write = 0
    for attempt in range(5):
        p = subprocess.Popen([sys.executable, "-c", WRITER, str(path)],
                             stdout=subprocess.PIPE, text=True)
        try:
            assert p.stdout.readline().strip() == "ready"
            deadline = time.monotonic() + 30
            # wait until a save is in progress (its temporary file exists), then kill
            while not _tmp_files(tmp_path) and time.monotonic() < deadline:
                pass
            time.sleep(0.002 * attempt)
            os.kill(p.pid, signal.SIGKILL)
        finally:
            p.wait(timeout=30)
            p.stdout.close()
        assert p.returncode == -signal.SIGKILL
        leftovers = _tmp_files(tmp_path)
        killed_mid_write += bool(leftovers)
        back = nn.load(path)  # whatever happened, the checkpoint at `path` is complete
        v = back["version"]
        assert np.all(back["w"] == (v if v else 0))
        assert back["w"].shape == ((10,) if v == 0 else (4_000_000,))
        for f in leftovers:
            os.remove(tmp_path / f)
    print(f"\nwriter killed mid-save in {killed_mid_write} of 5 runs; previous file intact")
    assert killed_mid_write >= 1, "never managed to kill the writer in the middle of a save"


def test_exception_mid_save_keeps_previous_file_and_no_temp(tmp_path, monkeypatch):
    from autograd_lite.nn import serialization

    path = tmp_path / "ckpt.npz"
    nn.save({"a": np.arange(3.0)}, path)
    before = path.read_bytes()

    def broken_savez(f, **arrays):
        f.write(b"PK\x03\x04 half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(serialization.np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        nn.save({"a": np.arange(5.0)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert _tmp_files(tmp_path) == []
    np.testing.assert_array_equal(nn.load(path)["a"], np.arange(3.0))


# ----------------------------------------------------------------------------- safe load
class _Evil:
    """Unpickling this would create a marker file (arbitrary code execution)."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _header(tree: dict) -> np.ndarray:
    return np.array(json.dumps({"format": "autograd_lite.nn.save", "version": 1,
                                "tree": tree}))


def test_object_array_with_code_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.npz"
    evil = np.empty(1, dtype=object)
    evil[0] = _Evil(str(marker))
    np.savez(path, __autograd_lite__=_header({"t": "array", "k": "w"}), w=evil)
    with pytest.raises(ValueError, match="evil.npz"):
        nn.load(path)
    assert not marker.exists(), "loading ran code from the file"


def test_object_array_of_plain_objects_is_refused(tmp_path):
    path = tmp_path / "obj.npz"
    arr = np.array([{"a": 1}, None], dtype=object)
    np.savez(path, __autograd_lite__=_header({"t": "dict", "items": [["x", {"t": "array",
                                                                           "k": "x"}]]}),
             x=arr)
    with pytest.raises(ValueError, match="pickle"):
        nn.load(path)


def test_save_refuses_object_arrays(tmp_path):
    with pytest.raises(TypeError, match="object"):
        nn.save({"x": np.array([{}], dtype=object)}, tmp_path / "x.npz")
    assert not (tmp_path / "x.npz").exists()


def _foreign_files(d) -> dict:
    files = {}
    (d / "text.npz").write_text("hello, not a checkpoint\n")
    files["text"] = d / "text.npz"
    (d / "empty.npz").write_bytes(b"")
    files["empty"] = d / "empty.npz"
    (d / "random.npz").write_bytes(np.random.default_rng(0).bytes(4096))
    files["random"] = d / "random.npz"
    with open(d / "pickle.pt", "wb") as f:
        pickle.dump({"weight": np.ones(3)}, f)
    files["pickle"] = d / "pickle.pt"
    np.save(d / "single.npy", np.ones(3))
    files["npy"] = d / "single.npy"
    np.savez(d / "foreign.npz", weight=np.ones(3))
    files["foreign-npz"] = d / "foreign.npz"
    with zipfile.ZipFile(d / "other.zip", "w") as z:
        z.writestr("readme.txt", "zip, but not numpy")
    files["zip"] = d / "other.zip"
    np.savez(d / "badheader.npz", __autograd_lite__=np.array("{not json"))
    files["bad-header"] = d / "badheader.npz"
    np.savez(d / "otherformat.npz", __autograd_lite__=np.array(json.dumps({"format": "x"})))
    files["other-format"] = d / "otherformat.npz"
    np.savez(d / "missing.npz", __autograd_lite__=_header({"t": "array", "k": "gone"}))
    files["missing-entry"] = d / "missing.npz"
    nn.save({"w": np.arange(1000.0)}, d / "full.npz")
    data = (d / "full.npz").read_bytes()
    (d / "truncated.npz").write_bytes(data[: len(data) // 2])
    files["truncated"] = d / "truncated.npz"
    return files


@pytest.mark.parametrize("kind", ["text", "empty", "random", "pickle", "npy", "foreign-npz",
                                  "zip", "bad-header", "other-format", "missing-entry",
                                  "truncated"])
def test_foreign_and_damaged_files_are_refused(tmp_path, kind):
    path = _foreign_files(tmp_path)[kind]
    with pytest.raises(ValueError) as ei:
        nn.load(path)
    assert os.path.basename(path) in str(ei.value)


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        nn.load(tmp_path / "nope.npz")
