"""The checkpoint archive of ``nn.save`` / ``nn.load``: an uncompressed ``.npz`` whose
``"__autograd_lite__"`` entry is a JSON description of the nested structure (containers, scalar
values, which key holds which array), and the checks that bound loading.

`_Encoder` flattens a structure into that JSON tree and a dict of arrays. `_Decoder` reads an
open archive: it checks the zip directory and each ``.npy`` header against ``max_bytes`` (and a
``like=`` template of `autograd_lite.nn.like_template`) before decompressing anything, then
rebuilds the structure (Tensors and Parameters as such) with ``allow_pickle=False``.
"""
from __future__ import annotations

import math
import zipfile
from collections import OrderedDict
from typing import Any

import numpy as np

from autograd_lite.factories import as_tensor
from autograd_lite.nn.like_template import _child, _Shapes
from autograd_lite.nn.module import Parameter
from autograd_lite.tensor import Tensor

_META = "__autograd_lite__"
_FORMAT = "autograd_lite.nn.save"
_VERSION = 1

#: Part of ``max_bytes`` the JSON structure entry may use (parsing it expands it several-fold).
_META_FRACTION = 16
_MiB = 1 << 20


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


class _Member:
    """One array entry of the archive, checked from its declared sizes only."""

    def __init__(self, info: zipfile.ZipInfo, shape: tuple, dtype: np.dtype) -> None:
        self.info = info
        self.shape = shape
        self.dtype = dtype


class _Decoder:
    def __init__(self, zf: zipfile.ZipFile, path: str, max_bytes: int) -> None:
        self.zf = zf
        self.path = path
        self.max_bytes = max_bytes
        self.entries: dict[str, zipfile.ZipInfo] = {}
        self.members: dict[str, _Member] = {}
        self.expected: dict[str, tuple[_Shapes | None, str]] = {}

    def bad(self, msg: str) -> ValueError:
        return ValueError(f"nn.load: {self.path!r} is not a valid autograd_lite checkpoint: "
                          f"{msg}")

    def refuse(self, msg: str) -> ValueError:
        return ValueError(f"nn.load: refused {self.path!r} before decompressing it: {msg}")

    # ------------------------------------------------------------------ declared sizes
    def check_directory(self) -> None:
        """Unique names and offsets, and a total declared size within ``max_bytes``."""
        infos = self.zf.infolist()
        names = [i.filename for i in infos]
        if len(set(names)) != len(names):
            dup = sorted({n for n in names if names.count(n) > 1})
            raise self.refuse(f"the zip directory lists the member(s) {dup[:5]} more than "
                              "once (nn.save writes each member once)")
        offsets = [i.header_offset for i in infos]
        if len(set(offsets)) != len(offsets):
            raise self.refuse("several zip directory entries point at the same data "
                              "(overlapping members; nn.save never writes these)")
        total = sum(i.file_size for i in infos)
        if total > self.max_bytes:
            raise self.refuse(f"its {len(infos)} member(s) declare {total:,} bytes "
                              f"uncompressed, more than max_bytes={self.max_bytes:,}; if you "
                              "trust the file, pass nn.load(path, max_bytes=...) a larger "
                              "limit")
        for info in infos:
            key = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
            self.entries[key] = info

    def member(self, k: str, limit: int | None = None) -> _Member:
        """Read and check only the ``.npy`` header of entry ``k``: a supported dtype (no
        pickle) and a shape whose size is exactly the declared uncompressed size."""
        if k in self.members:
            return self.members[k]
        info = self.entries[k]
        try:
            with self.zf.open(info) as f:
                version = np.lib.format.read_magic(f)
                if version == (1, 0):
                    shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
                elif version == (2, 0):
                    shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
                else:
                    raise ValueError(f"unsupported .npy format version {version}")
                header_len = f.tell()
        except Exception as e:  # noqa: BLE001 - not an .npy member, or corrupt
            raise self.bad(f"entry {k!r} is corrupt or truncated ({type(e).__name__}: {e})"
                           ) from None
        if dtype.hasobject:
            raise self.bad(f"entry {k!r} is an object array, which cannot be loaded without "
                           "pickle (refused)")
        if dtype.kind not in "biufcU":
            raise self.bad(f"entry {k!r} has unsupported dtype {dtype}")
        shape = tuple(int(n) for n in shape)
        count = math.prod(shape)
        nbytes = count * dtype.itemsize
        if nbytes != info.file_size - header_len or count > self.max_bytes:
            raise self.refuse(f"entry {k!r} declares shape {shape} of {dtype} ({nbytes:,} "
                              f"bytes) in its .npy header but {info.file_size - header_len:,}"
                              " bytes of data in the zip directory")
        if limit is not None and nbytes > limit:
            raise self.refuse(f"entry {k!r} declares {nbytes:,} bytes, more than the "
                              f"{limit:,} allowed for the structure entry (1/{_META_FRACTION}"
                              f" of max_bytes={self.max_bytes:,}); pass nn.load(path, "
                              "max_bytes=...) a larger limit if you trust the file")
        m = self.members[k] = _Member(info, shape, dtype)
        return m

    def plan(self, node: Any, template: Any, where: str) -> None:
        """Walk the structure without loading arrays: every array entry exists, is referenced
        once, and (under a ``like=`` template) has an expected shape."""
        if not isinstance(node, dict) or "t" not in node:
            raise self.bad(f"malformed structure entry {node!r:.80}")
        t = node["t"]
        if t in ("array", "npscalar", "tensor"):
            k = node.get("k")
            if not isinstance(k, str) or k not in self.entries or k == _META:
                raise self.bad(f"missing array entry {k!r}")
            if k in self.expected:
                raise self.refuse(f"entry {k!r} is referenced more than once in the structure "
                                  "(nn.save stores each array once)")
            m = self.member(k)
            self.expected[k] = (template if isinstance(template, _Shapes) else None, where)
            if t == "npscalar" and m.shape != ():
                raise self.bad(f"entry {k!r} should hold a scalar, its header says shape "
                               f"{m.shape}")
            if isinstance(template, _Shapes) and m.shape not in template.shapes:
                raise self.refuse(f"entry {k!r} (at {where or '<root>'!r}) declares shape "
                                  f"{m.shape}, but {template.what} (like=)")
            return
        items = node.get("items")
        if t in ("dict", "odict"):
            if not isinstance(items, list):
                raise self.bad(f"malformed {t} entry")
            for pair in items:
                if not isinstance(pair, list) or len(pair) != 2:
                    raise self.bad(f"malformed {t} item")
                key = self.key(pair[0])
                self.plan(pair[1], _child(template, key), f"{where}/{key}" if where else
                          str(key))
        elif t in ("list", "tuple"):
            if not isinstance(items, list):
                raise self.bad(f"malformed {t} entry")
            for i, v in enumerate(items):
                self.plan(v, _child(template, i), f"{where}/{i}" if where else str(i))

    # ------------------------------------------------------------------ decoding
    def array(self, k: Any, meta: bool = False) -> np.ndarray:
        if not isinstance(k, str) or k not in self.entries or (k == _META) != meta:
            raise self.bad(f"missing array entry {k!r}")
        m = self.member(k)
        try:
            with self.zf.open(m.info) as f:
                a = np.lib.format.read_array(f, allow_pickle=False)
        except Exception as e:  # noqa: BLE001 - truncated/corrupt member, bad CRC
            raise self.bad(f"entry {k!r} is corrupt or truncated ({type(e).__name__}: {e})"
                           ) from None
        if a.shape != m.shape or a.dtype != m.dtype:
            raise self.bad(f"entry {k!r} changed while it was read")
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
            if a.dtype.kind not in "biufc":
                raise self.bad(f"tensor entry {node.get('k')!r} has non-numeric dtype {a.dtype}")
            cls = Parameter if node.get("cls") == "Parameter" else Tensor
            rg = bool(node.get("rg", cls is Parameter))
            if rg and a.dtype.kind != "f":
                raise self.bad(f"tensor entry {node.get('k')!r} requires grad but has dtype "
                               f"{a.dtype}")
            if cls is Tensor:  # `a` is ours alone: no copy needed
                return as_tensor(a).requires_grad_(rg)
            return cls(a, requires_grad=rg)
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

