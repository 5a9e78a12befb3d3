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

import json
import os
import zipfile
from typing import Any

import numpy as np

from autograd_lite.nn.archive import (
    _FORMAT,
    _META,
    _META_FRACTION,
    _VERSION,
    _Decoder,
    _Encoder,
    _MiB,
)
from autograd_lite.nn.atomic_write import write_atomic
from autograd_lite.nn.like_template import _template

__all__ = ["save", "load"]

#: Default bound of [`load`][autograd_lite.nn.load]: total declared uncompressed size of an
#: archive's members.
DEFAULT_MAX_BYTES = 2 << 30


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
    write_atomic(path, lambda f: np.savez(f, **{_META: np.array(meta)}, **enc.arrays))


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
