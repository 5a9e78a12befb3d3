"""``nn.save`` / ``nn.load``: nested state (model and optimizer state dicts) in ``.npz``,
without pickle.

File layout: an uncompressed NumPy ``.npz`` archive. Every array leaf is stored under a
flattened key built from its path (``"state/0/exp_avg"``, ``"fc.weight"``); the entry
``"__autograd_lite__"`` holds a JSON description of the nested structure (containers, scalar
values, and which key holds which array). Loading uses ``np.load(allow_pickle=False)``, so a
file cannot run code; object arrays, foreign archives and truncated files raise ``ValueError``.

Round trip (types preserved): ``dict`` (keys: str, int, float, bool, None, tuples of these),
``OrderedDict``, ``list``, ``tuple``, ``int``, ``float`` (bit-exact, including nan/inf),
``bool``, ``str``, ``None``, ``np.ndarray`` (numeric, bool or unicode dtypes), NumPy scalars,
and ``Tensor`` / ``nn.Parameter``: **Tensors load back as Tensors** (Parameters as
Parameters, with their ``requires_grad``), so ``model.load_state_dict(nn.load(path))`` works;
arrays load back as arrays.
"""
from __future__ import annotations

import json
import os
import tempfile
import zipfile
from collections import OrderedDict
from typing import Any

import numpy as np

from autograd_lite.nn.module import Parameter
from autograd_lite.tensor import Tensor

__all__ = ["save", "load"]

_META = "__autograd_lite__"
_FORMAT = "autograd_lite.nn.save"
_VERSION = 1


def _check_array(a: np.ndarray, where: str) -> None:
    if a.dtype.kind not in "biufcU":
        raise TypeError(f"nn.save: cannot store the array at {where!r} with dtype {a.dtype} "
                        "(only numeric, bool and unicode arrays; no objects)")


class _Encoder:
    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def _key(self, path: tuple) -> str:
        base = "/".join(str(p) for p in path) or "_"
        key, n = base, 1
        while key in self.arrays or key == _META:
            key, n = f"{base}#{n}", n + 1
        return key

    def key(self, k: Any, path: tuple) -> Any:
        if k is None or isinstance(k, (bool, str)):
            return k if not isinstance(k, bool) else {"t": "bool", "v": k}
        if isinstance(k, (int, float, tuple)) and not isinstance(k, np.generic):
            return self.value(k, path)
        raise TypeError(f"nn.save: unsupported dict key type {type(k).__name__} at "
                        f"{'/'.join(map(str, path))!r}")

    def value(self, obj: Any, path: tuple) -> Any:
        where = "/".join(map(str, path))
        if obj is None:
            return {"t": "none"}
        if isinstance(obj, np.generic):  # before float: np.float64 subclasses float
            a = np.asarray(obj)
            _check_array(a, where)
            k = self._key(path)
            self.arrays[k] = a
            return {"t": "npscalar", "k": k}
        if isinstance(obj, bool):
            return {"t": "bool", "v": obj}
        if isinstance(obj, int):
            return {"t": "int", "v": str(obj)}
        if isinstance(obj, float):
            return {"t": "float", "v": obj.hex()}
        if isinstance(obj, str):
            return {"t": "str", "v": obj}
        if isinstance(obj, Tensor):
            a = np.asarray(obj.data, order="C")
            _check_array(a, where)
            k = self._key(path)
            self.arrays[k] = a
            cls = "Parameter" if isinstance(obj, Parameter) else "Tensor"
            return {"t": "tensor", "k": k, "cls": cls, "rg": bool(obj.requires_grad)}
        if isinstance(obj, np.ndarray):
            _check_array(obj, where)
            k = self._key(path)
            self.arrays[k] = obj
            return {"t": "array", "k": k}
        if isinstance(obj, dict):
            kind = "odict" if isinstance(obj, OrderedDict) else "dict"
            items = [[self.key(k, path + (k,)), self.value(v, path + (k,))]
                     for k, v in obj.items()]
            return {"t": kind, "items": items}
        if isinstance(obj, (list, tuple)):
            kind = "list" if isinstance(obj, list) else "tuple"
            return {"t": kind, "items": [self.value(v, path + (i,)) for i, v in enumerate(obj)]}
        hint = " (save its state_dict() instead)" if hasattr(obj, "state_dict") else ""
        raise TypeError(f"nn.save: cannot store an object of type {type(obj).__name__} at "
                        f"{where or '<root>'!r}{hint}")


def save(obj: Any, path: str | os.PathLike) -> None:
    """Write ``obj`` (nested dicts/lists/tuples of arrays, Tensors, numbers, strings, None) to
    ``path`` as an ``.npz`` archive (the path is used as given, no suffix is added).

    The file is written to a temporary file in the same directory and then renamed over
    ``path`` (``os.replace``), so a crash never leaves a half-written checkpoint.
    """
    enc = _Encoder()
    tree = enc.value(obj, ())
    meta = json.dumps({"format": _FORMAT, "version": _VERSION, "tree": tree})
    path = os.fspath(path)
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-" + os.path.basename(path) + "-", dir=d)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **{_META: np.array(meta)}, **enc.arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


class _Decoder:
    def __init__(self, archive: Any, path: str) -> None:
        self.archive = archive
        self.path = path

    def bad(self, msg: str) -> ValueError:
        return ValueError(f"nn.load: {self.path!r} is not a valid autograd_lite checkpoint: "
                          f"{msg}")

    def array(self, k: Any, meta: bool = False) -> np.ndarray:
        if not isinstance(k, str) or k not in self.archive.files or (k == _META) != meta:
            raise self.bad(f"missing array entry {k!r}")
        try:
            a = self.archive[k]
        except ValueError as e:  # object arrays need pickle: refused
            raise self.bad(f"entry {k!r} cannot be loaded without pickle ({e})") from None
        except Exception as e:  # noqa: BLE001 - truncated/corrupt member
            raise self.bad(f"entry {k!r} is corrupt or truncated ({type(e).__name__}: {e})"
                           ) from None
        if a.dtype.kind not in "biufcU":
            raise self.bad(f"entry {k!r} has unsupported dtype {a.dtype}")
        return a

    def key(self, k: Any) -> Any:
        if k is None or isinstance(k, str):
            return k
        return self.value(k, hashable=True)

    def value(self, node: Any, hashable: bool = False) -> Any:
        if not isinstance(node, dict) or "t" not in node:
            raise self.bad(f"malformed structure entry {node!r:.80}")
        t = node["t"]
        try:
            if t == "none":
                return None
            if t == "bool":
                return bool(node["v"])
            if t == "int":
                return int(node["v"])
            if t == "float":
                return float.fromhex(node["v"])
            if t == "str":
                if not isinstance(node["v"], str):
                    raise TypeError("not a string")
                return node["v"]
            if t == "tuple":
                return tuple(self.value(v, hashable) for v in node["items"])
        except (KeyError, TypeError, ValueError) as e:
            raise self.bad(f"malformed {t} entry ({e})") from None
        if hashable:
            raise self.bad(f"unsupported dict key entry of type {t!r}")
        if t == "array":
            return self.array(node.get("k"))
        if t == "npscalar":
            return self.array(node.get("k"))[()]
        if t == "tensor":
            a = self.array(node.get("k"))
            if node.get("cls") == "Parameter":
                return Parameter(a, requires_grad=bool(node.get("rg", True)))
            return Tensor(a, requires_grad=bool(node.get("rg", False)))
        if t in ("dict", "odict"):
            items = node.get("items")
            if not isinstance(items, list):
                raise self.bad(f"malformed {t} entry")
            out = OrderedDict() if t == "odict" else {}
            for pair in items:
                if not isinstance(pair, list) or len(pair) != 2:
                    raise self.bad(f"malformed {t} item")
                out[self.key(pair[0])] = self.value(pair[1])
            return out
        if t == "list":
            items = node.get("items")
            if not isinstance(items, list):
                raise self.bad("malformed list entry")
            return [self.value(v) for v in items]
        raise self.bad(f"unknown entry type {t!r}")


def load(path: str | os.PathLike) -> Any:
    """Read an object written by :func:`save` (no pickle is ever loaded).

    Raises ``ValueError`` naming the file for anything that is not a complete autograd_lite
    checkpoint: a foreign or truncated file, a pickled or object array, a missing entry.
    """
    path = os.fspath(path)
    try:
        archive = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as e:
        raise ValueError(f"nn.load: {path!r} is not a valid autograd_lite checkpoint (an .npz "
                         f"written by nn.save): {e}") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"nn.load: {path!r} is a single .npy array, not an autograd_lite "
                         "checkpoint (an .npz written by nn.save)")
    with archive:
        dec = _Decoder(archive, path)
        if _META not in archive.files:
            raise dec.bad(f"no {_META!r} entry (a foreign .npz archive?)")
        meta_arr = dec.array(_META, meta=True)
        if meta_arr.dtype.kind != "U" or meta_arr.ndim != 0:
            raise dec.bad("malformed header")
        try:
            meta = json.loads(str(meta_arr[()]))
        except (ValueError, TypeError) as e:
            raise dec.bad(f"unreadable header ({e})") from None
        if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
            raise dec.bad("unknown header format")
        if meta.get("version") != _VERSION:
            raise dec.bad(f"unsupported version {meta.get('version')!r}")
        return dec.value(meta.get("tree"))
