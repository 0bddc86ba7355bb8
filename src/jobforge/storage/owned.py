"""Files owned by a live process: created already locked, so a sweep can tell abandoned ones apart.

A file made by :func:`create_owned` holds an exclusive ``flock`` for as long as its creator keeps
the descriptor open; the kernel drops the lock when the process dies, however it dies (kill -9
included). :func:`claim_abandoned` takes that lock without waiting: it succeeds only for a file no
live process holds, which the sweeper may then remove. The file is created under a ``.new`` name
and renamed to its final name only once locked, so a sweep never sees an unlocked final name of a
live writer. Locks are per open file description: a second descriptor opened by the creator's own
process (another store in the same server) still sees the file as taken.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Linux/macOS: no ownership, age-based sweeps only
    fcntl = None  # type: ignore[assignment]

NEW_SUFFIX = ".new"
NEW_FILE_GRACE_SECONDS = 3600  # a ``.new`` file lives for microseconds; an old one is a crash's


def owned_name(prefix: str, suffix: str) -> str:
    """``<prefix><pid>.<24 hex>`` + ``suffix``: the pid is for people, the lock decides."""
    return f"{prefix}{os.getpid()}.{secrets.token_hex(12)}{suffix}"


def create_owned(directory: Path, name: str, flags: int = os.O_WRONLY) -> tuple[int, Path] | None:
    """Create ``directory/name`` exclusively, locked by this process; None where locks are unavailable.

    Returns the descriptor (close-on-exec, keep it open while the file is in use) and the path.
    """
    if fcntl is None:
        return None
    staged = directory / (name + NEW_SUFFIX)
    fd = os.open(staged, flags | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # e.g. a filesystem without locks (ENOLCK): the caller falls back
        os.close(fd)
        os.unlink(staged)
        return None
    path = directory / name
    os.replace(staged, path)
    return fd, path


def create_temp(directory: Path, prefix: str, suffix: str) -> tuple[int, Path]:
    """A new file to write, owned (locked) where locks work, else a plain exclusive one.

    O_EXCL: never follow or reuse someone else's file; mode 0o666 lets the umask decide. Keep the
    descriptor open until the file is renamed into place, so sweeps know it is in use.
    """
    owned = create_owned(directory, owned_name(prefix, suffix))
    if owned is not None:
        return owned
    path = directory / f"{prefix}{secrets.token_hex(12)}{suffix}"
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666), path


def claim_abandoned(path: Path, flags: int = os.O_RDONLY) -> int | None:
    """A locked descriptor on ``path`` if no live process owns it, else None (also when it vanished).

    The caller removes or rewrites the file while holding the descriptor, then closes it.
    """
    if fcntl is None:
        return None
    try:
        fd = os.open(path, flags | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if not _same_file(fd, path):  # renamed away (committed) before we locked it
            raise OSError("moved")
    except OSError:
        os.close(fd)
        return None
    return fd


def remove_if_abandoned(path: Path) -> bool:
    """Unlink ``path`` if no live process owns it; True if it was removed."""
    fd = claim_abandoned(path)
    if fd is None:
        return False
    try:
        path.unlink()
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def remove_stale_new_files(directory: Path, pattern: str, now: float | None = None) -> None:
    """Drop ``.new`` files (a crash between create and rename; always empty) older than the grace."""
    cutoff = (time.time() if now is None else now) - NEW_FILE_GRACE_SECONDS
    for leftover in directory.glob(pattern + NEW_SUFFIX):
        try:
            if leftover.lstat().st_mtime < cutoff:
                leftover.unlink()
        except OSError:
            continue


def fsync_dir(path: Path) -> None:
    """Make a rename or creation in ``path`` durable (best effort: skipped where unsupported)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _same_file(fd: int, path: Path) -> bool:
    try:
        st, now = os.fstat(fd), os.lstat(path)
    except OSError:
        return False
    return (st.st_dev, st.st_ino) == (now.st_dev, now.st_ino)
