"""Atomic file writes: the one helper every writer of pvsite uses.

A file is written to a temporary name beside its target,
``.<name>.<pid>.tmp<suffix>``, and renamed over the target only when it is
complete (``os.replace`` is atomic on POSIX and Windows within one folder).
An interrupted write leaves the previous file as it was; a temporary file a
killed process left behind (SIGKILL, power cut) is removed by the next write
to the same target (:func:`remove_stale_temps`), unless its process still runs.

    with atomic_path(target) as tmp:
        write_something(tmp)          # renamed to target on success
"""

from __future__ import annotations

import contextlib
import glob
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)

#: SQLite writes these beside a database while it is open.
_SIDECARS = ("-journal", "-wal", "-shm")


def temp_path(target: str | os.PathLike) -> Path:
    """The temporary name of ``target`` for this process: ``.<name>.<pid>.tmp<suffix>``."""
    target = Path(target)
    return target.with_name(f".{target.name}.{os.getpid()}.tmp{target.suffix}")


def _unlink_with_sidecars(path: Path) -> None:
    for p in (path, *(path.with_name(path.name + s) for s in _SIDECARS)):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it over ``target`` on success.

    On any exception (including ``KeyboardInterrupt``) the temporary file is
    removed and ``target`` is left untouched.
    """
    target = Path(target)
    remove_stale_temps(target)
    tmp = temp_path(target)
    _unlink_with_sidecars(tmp)
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        _unlink_with_sidecars(tmp)
        raise


def write_text(target: str | os.PathLike, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``target`` atomically."""
    target = Path(target)
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding=encoding)
    return target


def write_bytes(target: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``target`` atomically."""
    target = Path(target)
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return target


def _pid_alive(pid: int) -> bool:
    """Whether process ``pid`` runs (POSIX only: on Windows os.kill would terminate it)."""
    if os.name == "nt":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


def remove_stale_temps(target: str | os.PathLike) -> list[Path]:
    """Delete temporary files of ``target`` that killed processes left behind.

    Matches ``.<name>.<pid>.tmp<suffix>`` and its SQLite side files; a file
    of this process or of a live process (a concurrent writer) is left alone.

    Returns
    -------
    list of Path
        The files removed.
    """
    target = Path(target)
    pattern = re.compile(
        rf"\.{re.escape(target.name)}\.(\d+)\.tmp{re.escape(target.suffix)}(?:{'|'.join(_SIDECARS)})?")
    removed = []
    if not target.parent.is_dir():
        return removed
    for tmp in sorted(target.parent.glob(f".{glob.escape(target.name)}.*")):
        m = pattern.fullmatch(tmp.name)
        if m is None:
            continue
        pid = int(m.group(1))
        if pid == os.getpid() or _pid_alive(pid):
            continue
        try:
            tmp.unlink()
        except OSError:
            continue
        log.warning("removed %s, left by an interrupted run (process %d)", tmp, pid)
        removed.append(tmp)
    return removed
