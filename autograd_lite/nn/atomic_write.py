"""Writing a file atomically, for [`nn.save`][autograd_lite.nn.save].

The data is written to ``.tmp-<name>-<pid>-<host>-<random>`` next to the real target (symlinks
resolved, so a link is kept and its target replaced), fsynced, and renamed over the target; any
exception (``KeyboardInterrupt`` included) removes the temporary, and each write removes stale
temporaries of the same target left by killed writers (writer process gone on this host, or
untouched for `_STALE_SECONDS`). The file gets the mode ``np.savez`` would give: the existing
file's permission bits, or ``0o666 & ~umask`` for a new file.
"""
from __future__ import annotations

import contextlib
import os
import re
import secrets
import socket
import stat
import threading
import time
import zlib
from typing import IO, Callable

__all__ = ["write_atomic"]

#: A temporary of a writer that is alive (or on another host) is stale after this long.
_STALE_SECONDS = 15 * 60

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


def write_atomic(path: str | os.PathLike, write: Callable[[IO[bytes]], None]) -> None:
    """Call ``write(f)`` on a new temporary file next to ``path``'s real target, fsync it and
    rename it over the target; on any exception remove the temporary and re-raise."""
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
            write(f)
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
