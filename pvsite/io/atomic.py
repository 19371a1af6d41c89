"""Atomic file writes: the one helper every writer of pvsite uses.

A file is written to a temporary name beside its target,
``.<name>.<pid>.tmp<suffix>``, and renamed over the target only when it is
complete (``os.replace`` is atomic on POSIX and Windows within one folder).
An interrupted write leaves the previous file as it was; a temporary file a
killed process left behind (SIGKILL, power cut) is removed by the next write
to the same target (:func:`remove_stale_temps`), unless its process still runs.

    with atomic_path(target) as tmp:
        write_something(tmp)          # renamed to target on success

A target may be a directory (a partitioned GeoParquet dataset): its
temporary directory is renamed the same way; an existing one is first moved
aside and removed after the rename (:func:`replace_all`).

Files that belong together (a run's GeoPackage, project and workbook) are
each written to :func:`temp_path` and then renamed in one step by
:func:`replace_all`, with SIGINT/SIGTERM held back meanwhile
(:func:`deferred_signals`), so Ctrl-C cannot split the set.
:func:`exclusive_lock` keeps two processes from writing the same target at
once (``fcntl.flock`` on POSIX, ``msvcrt.locking`` on Windows).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import glob
import json
import logging
import os
import re
import shutil
import signal
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None
try:  # Windows
    import msvcrt
except ImportError:
    msvcrt = None

log = logging.getLogger(__name__)

#: SQLite writes these beside a database while it is open.
_SIDECARS = ("-journal", "-wal", "-shm")


def refuse_existing(target: str | os.PathLike, overwrite: bool,
                    fix: str = "Pass --overwrite to replace it, or choose another --out.",
                    fix_zh: str = "加 --overwrite 覆盖，或换一个 --out。") -> None:
    """Refuse to clobber: :class:`~pvsite.errors.OutputError` when ``target`` exists and ``overwrite`` is false."""
    from pvsite.errors import OutputError

    if not overwrite and Path(target).exists():
        raise OutputError(f"Output {target} already exists.", fix=fix,
                          zh=f"输出 {target} 已存在。",
                          fix_zh=fix_zh)


def temp_path(target: str | os.PathLike) -> Path:
    """The temporary name of ``target`` for this process: ``.<name>.<pid>.tmp<suffix>``."""
    target = Path(target)
    return target.with_name(f".{target.name}.{os.getpid()}.tmp{target.suffix}")


def discard(path: str | os.PathLike) -> None:
    """Remove a temporary file and the SQLite side files beside it, or a temporary directory, if present."""
    path = Path(path)
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
        return
    for p in (path, *(path.with_name(path.name + s) for s in _SIDECARS)):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


_unlink_with_sidecars = discard


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

    Matches ``.<name>.<pid>.tmp<suffix>`` and its SQLite side files (and the
    ``.<name>.<pid>.old<suffix>`` a directory target is moved to while it is
    replaced, :func:`replace_all`); a file or directory of this process or
    of a live process (a concurrent writer) is left alone.

    Returns
    -------
    list of Path
        The files removed.
    """
    target = Path(target)
    pattern = re.compile(
        rf"\.{re.escape(target.name)}\.(\d+)\.(?:tmp|old){re.escape(target.suffix)}(?:{'|'.join(_SIDECARS)})?")
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
            discard(tmp) if tmp.is_dir() and not tmp.is_symlink() else tmp.unlink()
        except OSError:
            continue
        log.warning("removed %s, left by an interrupted run (process %d)", tmp, pid)
        removed.append(tmp)
    return removed


# ---------------------------------------------------------------------------
# Several files renamed as one step
# ---------------------------------------------------------------------------

@contextlib.contextmanager
def deferred_signals(signums: Iterable[int] = (signal.SIGINT, signal.SIGTERM)) -> Iterator[None]:
    """Hold back ``signums`` inside the block; deliver them (once each) when it ends.

    Used around the short rename phase of an output set so that Ctrl-C or a
    ``kill`` cannot leave half the new files and half the old ones.  Outside
    the main thread (where Python cannot install handlers) the block runs
    unprotected.
    """
    received: list[int] = []
    previous = {}
    try:
        for signum in signums:
            previous[signum] = signal.signal(signum, lambda n, _frame: received.append(n))
    except ValueError:  # not the main thread: Python refuses the handler (the authoritative test of it)
        for signum, handler in previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        yield
        return
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        for signum in dict.fromkeys(received):
            signal.raise_signal(signum)


def replace_all(pairs: Iterable[tuple[str | os.PathLike, str | os.PathLike]]) -> None:
    """Rename every ``(temporary, target)`` pair, with SIGINT/SIGTERM deferred.

    Each rename is atomic (``os.replace``); holding the signals back makes the
    sequence uninterruptible by Ctrl-C, so a set of files is replaced whole.
    A temporary *directory* cannot be renamed over an existing target in one
    step (POSIX refuses a non-empty one): the target is first renamed aside
    (``.<name>.<pid>.old<suffix>``), the new directory into place, and the old
    one removed after every rename (a kill between leaves it for
    :func:`remove_stale_temps`).
    """
    pairs = [(Path(t), Path(f)) for t, f in pairs]
    aside = []
    with deferred_signals():
        for tmp, target in pairs:
            if tmp.is_dir() and (target.exists() or target.is_symlink()):
                old = target.with_name(f".{target.name}.{os.getpid()}.old{target.suffix}")
                discard(old)
                os.replace(target, old)
                aside.append(old)
            os.replace(tmp, target)
    for old in aside:
        discard(old)


# ---------------------------------------------------------------------------
# An exclusive lock between processes
# ---------------------------------------------------------------------------

class LockTimeout(TimeoutError):
    """Another process held a lock longer than the caller would wait.

    Attributes
    ----------
    path : Path
        The lock file.
    holder : str
        Who holds it, as recorded in the lock file (``"another process"`` when unreadable).
    waited_s : float
        How long the caller waited [s].
    """

    def __init__(self, path: Path, holder: str, waited_s: float):
        super().__init__(f"{path} is held by {holder} (waited {waited_s:g} s)")
        self.path, self.holder, self.waited_s = path, holder, waited_s


def _try_lock(fd: int) -> bool:
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        elif msvcrt is not None:  # pragma: no cover - Windows
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except (BlockingIOError, PermissionError):
        return False
    except OSError as exc:  # msvcrt reports a held lock as EACCES / EDEADLK
        if msvcrt is not None and fcntl is None:  # pragma: no cover - Windows
            return False
        raise exc
    return True


def _unlock(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_UN)
    elif msvcrt is not None:  # pragma: no cover - Windows
        os.lseek(fd, 0, os.SEEK_SET)
        with contextlib.suppress(OSError):
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)


def lock_holder(lock_path: str | os.PathLike) -> str:
    """Who holds ``lock_path``, as its holder recorded it: ``"process 123 on host h since …"``."""
    try:
        info = json.loads(Path(lock_path).read_text(encoding="utf-8"))
        return f"process {int(info['pid'])} on host {info['host']} since {info['since']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "another process"


@contextlib.contextmanager
def exclusive_lock(lock_path: str | os.PathLike, timeout_s: float = 600.0, poll_s: float = 0.1,
                   on_wait: Callable[[str], None] | None = None) -> Iterator[Path]:
    """Hold an exclusive lock on ``lock_path`` (created if needed) inside the block.

    The lock is advisory (``fcntl.flock`` / ``msvcrt.locking``): it keeps out
    every caller of this function, and the operating system releases it when
    the holder dies, even by SIGKILL.  The holder writes its process id, host
    and start time into the file for the error message of a waiting process,
    and removes the file when done (a waiter that locked the removed file
    notices and locks the new one).

    Parameters
    ----------
    lock_path : str or PathLike
        The lock file; its folder must exist.
    timeout_s : float
        Longest wait for another holder [s]; 0 = do not wait.
    poll_s : float
        Interval between attempts while waiting [s].
    on_wait : callable, optional
        Called once with the holder's description when the lock is busy.

    Raises
    ------
    LockTimeout
        The lock stayed busy for ``timeout_s``.
    OSError
        The lock file cannot be created.
    """
    lock_path = Path(lock_path)
    start = time.monotonic()
    told = False
    while True:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            if _try_lock(fd):
                try:  # the previous holder may have removed the file after we opened it
                    same = os.path.samestat(os.fstat(fd), os.stat(lock_path))
                except FileNotFoundError:
                    same = False
                if same:
                    break
                _unlock(fd)
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
        waited = time.monotonic() - start
        if waited >= timeout_s:
            raise LockTimeout(lock_path, lock_holder(lock_path), timeout_s)
        if not told and on_wait is not None:
            on_wait(lock_holder(lock_path))
            told = True
        time.sleep(min(poll_s, max(timeout_s - waited, 0.0)))
    try:
        stamp = json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                            "since": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")})
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, stamp.encode("utf-8"))
        yield lock_path
    finally:
        with contextlib.suppress(OSError):  # Windows cannot remove an open file: it stays, harmless
            lock_path.unlink()
        _unlock(fd)
        os.close(fd)
