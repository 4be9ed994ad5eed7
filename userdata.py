"""Files mindpilot keeps in the user's data directory and reads back later: data only, and trusted only as
far as nobody but this user could have written them.

``knowledge learn`` stores what it learned (a release's declarations, a CANN error catalogue) as JSON under
``$MINDPILOT_DATA_DIR`` (else the platform's user data directory), and ``doctor``, ``check`` and
``diagnose`` read it back: a rewritten file would change the fixes they print. That directory may be
shared (a notebook host, a CI runner), so:

- JSON only, parsed under the usual bounds; nothing read back is code;
- every directory above a file is owned by this user or root and writable by no one else (a world-writable
  sticky directory such as ``/tmp`` is fine: others cannot rename what is ours in it), and so is every
  symbolic link followed on the way (:func:`check_parents`, also used for ``preset render --out``); our own
  directories are created 0700 (an existing one of ours is narrowed to 0700 before a write);
- a file is opened with ``O_NOFOLLOW`` and checked with ``fstat`` on the open descriptor (a regular file of
  this user that no one else may write), so it cannot be swapped between the check and the read;
- writes go through :func:`mindpilot.fileio.write_atomic` without following links: an ``O_EXCL`` temp
  file, mode 0600, renamed into place.

A file that fails a check is not read (the caller treats it as absent); a write that fails one raises
:class:`UnsafeLocationError`, one line for the user.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Optional

DATA_ENV = "MINDPILOT_DATA_DIR"


def data_dir() -> Path:
    """``$MINDPILOT_DATA_DIR``, else the platform's user data directory for mindpilot."""
    override = os.environ.get(DATA_ENV)
    if override:
        return Path(override)
    from platformdirs import user_data_dir

    return Path(user_data_dir("mindpilot", appauthor=False))


MAX_FILE_BYTES = 16 << 20
"""Largest file read back (a learned release with its VERSION_MAP and config list is a few hundred KB)."""


class UnsafeLocationError(OSError):
    """A data directory or file that someone else could have written; nothing is read or written there."""


def _open_flags(directory: bool = False) -> int:
    flags = os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    return flags | (getattr(os, "O_DIRECTORY", 0) if directory else os.O_NONBLOCK)


def _others_can_write(status: os.stat_result) -> bool:
    return bool(status.st_mode & 0o022)


DATA_DIR_HINT = "set MINDPILOT_DATA_DIR to a folder of yours"
MAX_LINKS = 40
"""Symbolic links followed on one path before giving up (Linux's own limit)."""


def check_parents(directory: Path, hint: str = DATA_DIR_HINT) -> None:
    """Every existing directory on the way from ``/`` down to ``directory`` is this user's or root's, and no one
    else may write it unless it is sticky; every symbolic link followed on the way is this user's or root's.

    The path is walked as the kernel resolves it, so a folder reached through a link is checked where the link
    leads, and the folder holding the link is checked too: another user's link (say ``/tmp/data`` pointing at
    our folder) could be pointed elsewhere right after the check.

    Raises:
        UnsafeLocationError: naming the first directory or link that fails.
    """
    me = os.geteuid()
    current, parts, links = "/", list(reversed(os.path.abspath(directory).split("/"))), 0
    _check_folder("/", os.stat("/"), me, hint)
    while parts:
        part = parts.pop()
        if part in ("", "."):
            continue
        if part == "..":
            current = os.path.dirname(current)
            continue
        candidate = os.path.join(current, part)
        try:
            status = os.lstat(candidate)
        except FileNotFoundError:
            return  # below here we create it
        if stat.S_ISLNK(status.st_mode):
            links += 1
            if links > MAX_LINKS or status.st_uid not in (0, me):
                raise UnsafeLocationError(errno.ELOOP if links > MAX_LINKS else errno.EPERM,
                                          f"is a link of user id {status.st_uid}, not yours; refused ({hint})",
                                          candidate)
            target = os.readlink(candidate)
            current = "/" if target.startswith("/") else current
            parts.extend(reversed(target.split("/")))
            continue
        _check_folder(candidate, status, me, hint)
        current = candidate


def _check_folder(folder: str, status: os.stat_result, me: int, hint: str) -> None:
    if status.st_uid not in (0, me):
        raise UnsafeLocationError(errno.EPERM, f"belongs to user id {status.st_uid}, not to you; refused ({hint})",
                                  folder)
    if _others_can_write(status) and not status.st_mode & stat.S_ISVTX:
        raise UnsafeLocationError(errno.EPERM, f"others may write it; refused (chmod go-w it, or {hint})", folder)


def private_dir(directory: Path) -> Path:
    """``directory`` created (0700) or checked, ready to hold this user's files; returns it.

    Raises:
        UnsafeLocationError: a directory above it, or it, could be written by someone else.
        OSError: it cannot be created.
    """
    check_parents(directory)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    fd = os.open(directory, _open_flags(directory=True))
    try:
        status = os.fstat(fd)
        if status.st_uid != os.geteuid():
            raise UnsafeLocationError(errno.EPERM, "is not your directory; refused", str(directory))
        if status.st_mode & 0o077:
            os.fchmod(fd, 0o700)
    finally:
        os.close(fd)
    check_parents(directory)  # created through no link another user planted meanwhile
    return directory


def read_private(path: Path, max_bytes: int = MAX_FILE_BYTES) -> Optional[bytes]:
    """The bytes of ``path`` when it is a regular file of this user in a safe directory, else None."""
    try:
        check_parents(path.parent)
        fd = os.open(path, _open_flags())
    except OSError:
        return None
    try:
        status = os.fstat(fd)
        if (not stat.S_ISREG(status.st_mode) or status.st_uid != os.geteuid() or _others_can_write(status)
                or status.st_size > max_bytes):
            return None
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read(max_bytes + 1)[:max_bytes]
    except OSError:
        return None
    finally:
        os.close(fd)


def list_private(directory: Path, suffix: str) -> list[str]:
    """Names of the entries ending in ``suffix`` in ``directory``; none when it is not safe to read."""
    try:
        check_parents(directory)
        fd = os.open(directory, _open_flags(directory=True))
    except OSError:
        return []
    try:
        status = os.fstat(fd)
        if status.st_uid not in (0, os.geteuid()) or _others_can_write(status):
            return []
        return [name for name in os.listdir(fd) if name.endswith(suffix)]
    finally:
        os.close(fd)


def write_private(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` (mode 0600) in a private directory; returns ``path``.

    Raises:
        UnsafeLocationError, SymlinkRefusedError: see :func:`private_dir`, :func:`mindpilot.fileio.write_atomic`.
    """
    from mindpilot.fileio import write_atomic

    private_dir(path.parent)
    write_atomic(path, text, mode=0o600, follow_symlinks=False)
    return path
