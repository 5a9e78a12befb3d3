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

Loading is bounded (``load(path, max_bytes=2 GiB, like=None)``): before anything is
decompressed, every member's declared size in the zip directory must agree with its ``.npy``
header (shape times itemsize), the declared sizes together must not exceed ``max_bytes``,
member names and offsets must be unique, and each array entry may be referenced once; with
``like=`` (the model, optimizer or a structure of them that the file's state is for), the
declared shapes must also be the expected ones. So a small hostile file cannot make
``load`` allocate much more than ``max_bytes``.

Saving is atomic and leaves nothing behind: the archive is written to
``.tmp-<name>-<pid>-<host>-<random>`` next to the real target (symlinks are resolved, so the
link is kept and its target replaced), fsynced, and renamed over the target; any exception
(``KeyboardInterrupt`` included) removes the temporary, and each save removes stale
temporaries of the same target left by killed writers (writer process gone on this host, or
untouched for 15 minutes). The file gets the mode ``np.savez`` would give: the
existing file's permission bits, or ``0o666 & ~umask`` for a new file.
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import re
import secrets
import socket
import stat
import threading
import time
import zipfile
import zlib
from collections import OrderedDict
from collections.abc import Mapping
from typing import IO, Any

import numpy as np

from autograd_lite.factories import as_tensor
from autograd_lite.nn.module import Module, Parameter
from autograd_lite.tensor import Tensor

__all__ = ["save", "load"]

_META = "__autograd_lite__"
_FORMAT = "autograd_lite.nn.save"
_VERSION = 1

#: Default bound of [`load`][autograd_lite.nn.load]: total declared uncompressed size of an
#: archive's members.
DEFAULT_MAX_BYTES = 2 << 30
#: Part of ``max_bytes`` the JSON structure entry may use (parsing it expands it several-fold).
_META_FRACTION = 16
_MiB = 1 << 20
#: A temporary of a writer that is alive (or on another host) is stale after this long.
_STALE_SECONDS = 15 * 60


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


_HOST = f"{zlib.crc32(socket.gethostname().encode()):08x}"
_ACTIVE: set[str] = set()  # temporaries this process is writing now (full paths)
_ACTIVE_LOCK = threading.Lock()


def _tmp_stem(base: str) -> str:
    """The target's name as it appears in its temporaries (shortened for long names)."""
    if len(base) <= 200:
        return base
    return f"{base[:160]}~{zlib.crc32(base.encode('utf-8', 'surrogatepass')):08x}"


def _tmp_patterns(base: str) -> tuple[re.Pattern, re.Pattern]:
    stem = re.escape(_tmp_stem(base))
    ours = re.compile(rf"\.tmp-{stem}-(\d+)-([0-9a-f]{{8}})-[0-9a-f]{{8}}")
    legacy = re.compile(rf"\.tmp-{stem}-[a-z0-9_]{{8}}")  # tempfile.mkstemp, before pids
    return ours, legacy


def _pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this host (``True`` when unsure)."""
    if os.name == "nt" or pid <= 0:  # os.kill on Windows would terminate the process
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists, owned by someone else
        return True
    return True


def _remove_stale_temporaries(directory: str, base: str) -> None:
    """Delete temporaries of earlier saves to ``directory/base`` that nobody is writing.

    Only names of this module's pattern for this target are considered. A temporary is stale
    when its writer's pid is dead on this host, when it is this process's and not being
    written now, or (other hosts, live pids) when its modification time is more than
    ``_STALE_SECONDS`` old; an old-style (``tempfile.mkstemp``) name only when it is that old
    and empty or starts like a zip archive.
    """
    ours, legacy = _tmp_patterns(base)
    prefix = ".tmp-" + _tmp_stem(base) + "-"
    try:
        names = [n for n in os.listdir(directory) if n.startswith(prefix)]
    except OSError:
        return
    me, now = os.getpid(), time.time()
    for name in names:
        full = os.path.join(directory, name)
        m = ours.fullmatch(name)
        if m is None and legacy.fullmatch(name) is None:
            continue
        try:
            st = os.lstat(full)
        except OSError:
            continue
        if not stat.S_ISREG(st.st_mode):
            continue
        old = now - st.st_mtime > _STALE_SECONDS
        if m is None:  # an old-style name: only an old, empty or zip-looking file
            stale = old and (st.st_size == 0 or _starts_with_zip_magic(full))
        elif m.group(2) != _HOST:
            stale = old
        elif int(m.group(1)) == me:
            with _ACTIVE_LOCK:
                stale = full not in _ACTIVE
        else:
            stale = old or not _pid_alive(int(m.group(1)))
        if stale:
            with contextlib.suppress(OSError):
                os.unlink(full)


def _starts_with_zip_magic(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"PK\x03\x04"
    except OSError:
        return False


def _fsync_directory(directory: str) -> None:
    """Make a rename in ``directory`` durable (best effort; not possible everywhere)."""
    if os.name == "nt":
        return
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def save(obj: Any, path: str | os.PathLike) -> None:
    """Write ``obj`` (nested dicts/lists/tuples of arrays, Tensors, numbers, strings, None) to
    ``path`` as an ``.npz`` archive (the path is used as given, no suffix is added).

    The file is written to a temporary file next to the real target (a symlink at ``path`` is
    followed and kept) and then renamed over it (``os.replace``), so a crash never leaves a
    half-written checkpoint. Every exception, ``KeyboardInterrupt`` included, removes the
    temporary; temporaries left by writers that were killed (``SIGKILL``, power loss) are
    removed by the next save to the same target. A new file gets mode ``0o666 & ~umask``, an
    existing one keeps its permission bits, as with ``np.savez``.
    """
    enc = _Encoder()
    tree = enc.value(obj, ())
    meta = json.dumps({"format": _FORMAT, "version": _VERSION, "tree": tree})
    target = os.path.realpath(os.fspath(path))
    directory, base = os.path.split(target)
    _remove_stale_temporaries(directory, base)
    try:
        mode: int | None = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        mode = None  # a new file: os.open's 0o666 less the umask, as np.savez
    tmp = os.path.join(directory, f".tmp-{_tmp_stem(base)}-{os.getpid()}-{_HOST}-"
                                  f"{secrets.token_hex(4)}")
    created = False
    with _ACTIVE_LOCK:
        _ACTIVE.add(tmp)
    try:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        fd = os.open(tmp, flags | getattr(os, "O_CLOEXEC", 0), 0o666)
        created = True
        with _open_fd(fd) as f:
            if mode is not None:
                os.chmod(tmp, mode)
            np.savez(f, **{_META: np.array(meta)}, **enc.arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
        created = False
    except BaseException:
        if created:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise
    finally:
        with _ACTIVE_LOCK:
            _ACTIVE.discard(tmp)
    _fsync_directory(directory)


def _open_fd(fd: int) -> IO[bytes]:
    try:
        return os.fdopen(fd, "wb")
    except BaseException:
        os.close(fd)
        raise


class _Shapes:
    """Template leaf for ``load(like=...)``: arrays at or below it must have one of these
    shapes."""

    def __init__(self, shapes: set, what: str) -> None:
        self.shapes = shapes
        self.what = what


class _PerParameter:
    """Template for an optimizer's ``"state"``: entry ``i`` holds arrays shaped like the
    ``i``-th parameter, or 0-d."""

    def __init__(self, params: list) -> None:
        self.params = params

    def get(self, key: Any) -> _Shapes:
        try:
            i = int(key)
        except (TypeError, ValueError):
            i = -1
        if 0 <= i < len(self.params):
            shape = tuple(self.params[i].shape)
            return _Shapes({(), shape}, f"the optimizer's parameter {i} has shape {shape}")
        return _Shapes({()}, f"the optimizer has no parameter {key!r}")


def _template(like: Any) -> Any:
    """Expected shapes from ``like``: Modules, optimizers (anything with ``param_groups`` and
    ``state_dict``), Tensors, arrays, and dicts/lists/tuples of them; ``None`` elsewhere."""
    if isinstance(like, Module):
        return {k: _Shapes({tuple(v.shape)}, f"the model's {k!r} has shape {tuple(v.shape)}")
                for k, v in like.state_dict().items()}
    if hasattr(like, "param_groups") and hasattr(like, "state_dict"):
        params = []
        for group in like.param_groups:
            for p in group["params"]:
                if all(p is not q for q in params):
                    params.append(p)
        return {"state": _PerParameter(params), "param_groups": None}
    if isinstance(like, (Tensor, np.ndarray)):
        shape = tuple(like.shape)
        return _Shapes({shape}, f"expected shape {shape}")
    if isinstance(like, Mapping):
        return {k: _template(v) for k, v in like.items()}
    if isinstance(like, (list, tuple)):
        return [_template(v) for v in like]
    if hasattr(like, "state_dict") and callable(like.state_dict):  # e.g. a scheduler
        return _template(like.state_dict())
    return None


def _child(template: Any, key: Any) -> Any:
    if isinstance(template, _Shapes) or template is None:
        return template
    if isinstance(template, _PerParameter):
        return template.get(key)
    if isinstance(template, dict):
        if key in template:
            return template[key]
        alt = (str(key) if isinstance(key, int) and not isinstance(key, bool)
               else int(key) if isinstance(key, str) and key.isdigit() else None)
        return template.get(alt)
    if isinstance(template, list) and isinstance(key, int) and 0 <= key < len(template):
        return template[key]
    return None


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


def load(path: str | os.PathLike, *, max_bytes: int = DEFAULT_MAX_BYTES,
         like: Any = None) -> Any:
    """Read an object written by [`save`][autograd_lite.nn.save] (no pickle is ever loaded).

    Memory is bounded before anything is decompressed: the members' declared uncompressed
    sizes (zip directory) must total at most ``max_bytes`` (default 2 GiB) and agree with
    each ``.npy`` header's shape and dtype; duplicate or overlapping members and an array
    referenced twice are refused. ``like`` (optional) is what the state is for: a Module, an
    optimizer, or a dict/list of them mirroring the saved object (e.g.
    ``like={"model": model, "optim": opt}``); each array it covers must then declare the
    expected shape (a module's parameter/buffer shape; an optimizer state array the
    parameter's shape or 0-d). Entries ``like`` does not cover are bounded by ``max_bytes``
    only.

    Raises ``ValueError`` naming the file for anything refused: a file over the limit or
    with inconsistent declared sizes (the message names ``max_bytes`` when raising it would
    help), a foreign or truncated file, a pickled or object array, a missing entry.
    """
    path = os.fspath(path)
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 0:
        raise TypeError(f"nn.load: max_bytes must be a non-negative int, got {max_bytes!r}")
    template = _template(like)
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        raise
    except OSError as e:  # a directory, an unreadable file
        raise ValueError(f"nn.load: {path!r} is not a valid autograd_lite checkpoint (an .npz "
                         f"written by nn.save): {e}") from None
    with fh:
        magic = fh.read(6)
        fh.seek(0)
        if magic == b"\x93NUMPY":
            raise ValueError(f"nn.load: {path!r} is a single .npy array, not an autograd_lite "
                             "checkpoint (an .npz written by nn.save)")
        try:
            zf = zipfile.ZipFile(fh)
        except (zipfile.BadZipFile, ValueError, OSError, EOFError) as e:
            raise ValueError(f"nn.load: {path!r} is not a valid autograd_lite checkpoint (an "
                             f".npz written by nn.save): {e}") from None
        with zf:
            dec = _Decoder(zf, path, max_bytes)
            dec.check_directory()
            if _META not in dec.entries:
                raise dec.bad(f"no {_META!r} entry (a foreign .npz archive?)")
            dec.member(_META, limit=max(_MiB, max_bytes // _META_FRACTION))
            meta_arr = dec.array(_META, meta=True)
            if meta_arr.dtype.kind != "U" or meta_arr.ndim != 0:
                raise dec.bad("malformed header")
            try:
                meta = json.loads(str(meta_arr[()]))
            except (ValueError, TypeError, RecursionError) as e:
                raise dec.bad(f"unreadable header ({type(e).__name__}: {e})") from None
            del meta_arr
            if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
                raise dec.bad("unknown header format")
            if meta.get("version") != _VERSION:
                raise dec.bad(f"unsupported version {meta.get('version')!r}")
            try:
                dec.plan(meta.get("tree"), template, "")
                return dec.value(meta.get("tree"))
            except RecursionError:
                raise dec.bad("the structure is nested too deeply") from None
