"""Writing files so that a crash, a full disk, Ctrl-C or a second mindpilot never leaves half a file behind.

Every file mindpilot writes (a user's YAML, a job record, ``run.sh``, an exported preset) goes
through :func:`write_atomic`: a temp file in the same directory, fsync, then ``os.replace``. On top:

- a symlink is followed: the file it points to is replaced and the link stays a link; a writer of files
  into a folder it owns (``preset render --out``) asks for ``follow_symlinks=False`` instead: a link
  already at the path, dangling or not, is refused (:class:`SymlinkRefusedError`);
- the new content goes to a temp file created with ``O_EXCL`` (``mkstemp``, mode 0600 until the final
  mode is set) and is renamed over the path, which replaces a link itself rather than writing through it;
- only regular files are replaced: a directory, device, FIFO or socket at the path is refused
  (``-o /dev/full`` must not turn a device node into a file);
- one lock per edited file (:func:`locked`): read-modify-write callers hold it around the whole edit,
  so concurrent ``plan --apply`` runs on one file serialize and none is lost;
- backups: the first edit keeps the original as ``FILE.bak``, which is never overwritten; every later
  edit keeps the version it replaces as ``FILE.bak.N`` (N counting up), the newest
  :data:`NUMBERED_BACKUPS` of them are kept;
- the caller chooses line endings and encoding (:func:`read_for_edit` reports the file's own), so a
  CRLF or UTF-8-with-BOM file keeps its form.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, NamedTuple, Optional, Union

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Linux: writes stay atomic, only unlocked
    fcntl = None  # type: ignore[assignment]

PathLike = Union[str, Path]

NUMBERED_BACKUPS = 9
"""Numbered backups kept beside an edited file (``FILE.bak`` with the original is kept as well)."""
LOCK_RETRIES = 50
"""Times to re-take a lock whose file was replaced while waiting (each retry means another writer finished)."""

_held = threading.local()


class NotRegularFileError(OSError):
    """The path is a device, FIFO or socket: mindpilot writes regular files only."""


class SymlinkRefusedError(OSError):
    """A write asked not to follow symlinks found one at the path (see ``follow_symlinks``)."""


def resolve_target(path: PathLike, follow_symlinks: bool = True) -> Path:
    """The file a write to ``path`` changes: symlinks followed to the end (a dangling link's target too),
    or, with ``follow_symlinks=False``, the path itself in its (link-resolved) directory.

    Raises:
        IsADirectoryError, NotRegularFileError: something other than a regular file is there.
        SymlinkRefusedError: ``follow_symlinks`` is False and the path is a symbolic link.
        FileNotFoundError: the directory of the target does not exist.
    """
    if follow_symlinks:
        real = Path(os.path.realpath(path))
    else:
        if os.path.islink(path):
            raise SymlinkRefusedError(errno.ELOOP, "is a symbolic link; refused to write through it, nothing "
                                                   "written (remove the link first)", str(path))
        real = Path(os.path.realpath(Path(path).parent)) / Path(path).name
    try:
        mode = os.stat(real).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "is a directory, not a file", str(path))
    if mode is not None and not stat.S_ISREG(mode):
        raise NotRegularFileError(errno.EINVAL, f"{_kind(mode)}, not a regular file; refused, nothing written",
                                  str(path))
    if not real.parent.is_dir():
        raise FileNotFoundError(errno.ENOENT, "no such directory", str(Path(path).parent))
    return real


def _kind(mode: int) -> str:
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device"
    if stat.S_ISFIFO(mode):
        return "is a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "is a socket"
    return "is special"


@contextmanager
def locked(path: PathLike, follow_symlinks: bool = True) -> Iterator[Path]:
    """Hold the edit lock of the file at ``path`` for the block; yields the real (link-resolved) path.

    The lock is an exclusive ``flock`` on the file itself (on its directory while the file does not
    exist yet), so no lock file is left behind and every process that edits through mindpilot waits
    for the one before it. Re-entrant within a thread; :func:`write_atomic` takes it too.
    """
    real = resolve_target(path, follow_symlinks)
    held = _held_locks()
    key = str(real)
    if key in held:
        held[key][1] += 1
        try:
            yield real
        finally:
            held[key][1] -= 1
        return
    fd = _acquire(real)
    held[key] = [fd, 1]
    try:
        yield real
    finally:
        fd = held.pop(key)[0]
        if fd is not None:
            os.close(fd)  # releases the flock


def _held_locks() -> dict:
    if not hasattr(_held, "locks"):
        _held.locks = {}
    return _held.locks


def _acquire(real: Path) -> Optional[int]:
    """An fd holding an exclusive flock on ``real`` (or its directory while it does not exist); None where
    the file system has no locks or the file cannot be opened to lock it."""
    if fcntl is None:
        return None
    for _ in range(LOCK_RETRIES):
        try:
            if os.path.exists(real):
                fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
            else:
                fd = os.open(real.parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        except FileNotFoundError:
            continue  # replaced or removed between the check and the open: look again
        except PermissionError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:  # ENOLCK / EOPNOTSUPP (some network file systems): go on unlocked
            os.close(fd)
            return None
        if _still_the_object(fd, real):
            return fd
        os.close(fd)  # another writer replaced the file while we waited: lock the new one
    raise OSError(errno.EAGAIN, "the file keeps changing under another writer; try again", str(real))


def _still_the_object(fd: int, real: Path) -> bool:
    """Whether ``fd`` is still what :func:`_acquire` must lock for ``real`` after waiting for the lock."""
    mine = os.fstat(fd)
    try:
        now = os.stat(real)
    except FileNotFoundError:
        return stat.S_ISDIR(mine.st_mode)
    return not stat.S_ISDIR(mine.st_mode) and (now.st_dev, now.st_ino) == (mine.st_dev, mine.st_ino)


class TextFormat(NamedTuple):
    """How a text file is stored, so an edit writes it back the same way."""

    encoding: str
    """``utf-8``, or ``utf-8-sig`` when the file starts with a byte-order mark."""
    newline: str
    """``\\n`` or ``\\r\\n``: the file's first line ending."""


def read_for_edit(path: PathLike) -> tuple[str, TextFormat]:
    """The text of a file about to be edited (``\\n`` newlines, no BOM) and the :class:`TextFormat` to write
    it back in. The bounds and refusals of :func:`mindpilot.datafiles.read_bytes` apply; a file
    that is not UTF-8 (GBK ...) is refused rather than rewritten in another encoding."""
    from mindpilot.datafiles import DataFileError, cannot_read, read_bytes

    data = read_bytes(path)
    encoding = "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise DataFileError(str(path), None, None, cannot_read(exc)) from exc
    first = re.search(r"\r\n|\n|\r", text)
    newline = "\r\n" if first is not None and first.group() == "\r\n" else "\n"
    return text.replace("\r\n", "\n").replace("\r", "\n"), TextFormat(encoding, newline)


def write_atomic(path: PathLike, text: str, keep_backup: bool = False, mode: Optional[int] = None,
                 newline: str = "\n", encoding: str = "utf-8", follow_symlinks: bool = True) -> Optional[Path]:
    """Replace the file at ``path`` (the file a symlink points to) with ``text`` in one step.

    Args:
        path: the file to write; its directory must exist.
        text: the new content, with ``\\n`` line ends.
        keep_backup: keep the replaced version (``FILE.bak`` the first time, then ``FILE.bak.N``).
        mode: permission bits for the new file; default: the old file's, or the umask's for a new one.
        newline: line end written for each ``\\n`` (``\\r\\n`` keeps a CRLF file CRLF).
        encoding: ``utf-8``, or ``utf-8-sig`` to keep a byte-order mark.
        follow_symlinks: False refuses a symbolic link at ``path`` instead of writing to its target.

    Returns:
        The backup written, or None (no backup asked, no old file, or the content is unchanged).

    Raises:
        IsADirectoryError, NotRegularFileError, SymlinkRefusedError, FileNotFoundError: see
        :func:`resolve_target`.
    """
    data = text.replace("\n", newline).encode(encoding)
    with locked(path, follow_symlinks) as real:
        try:
            old = os.stat(real)
        except FileNotFoundError:
            old = None
        if old is not None and old.st_size == len(data) and _same_bytes(real, data):
            if mode is not None:
                os.chmod(real, mode)
            return None  # nothing changes: no write, and no backup that would only repeat the file
        backup = _backup(real) if keep_backup and old is not None else None
        _replace(real, data, mode, old)
        return backup


def _same_bytes(real: Path, data: bytes) -> bool:
    fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as handle:
        return handle.read(len(data) + 1) == data


def _replace(real: Path, data: bytes, mode: Optional[int], old: Optional[os.stat_result]) -> None:
    """Write ``data`` to a temp file beside ``real`` and rename it over ``real``, handing the lock over."""
    fd, tmp = tempfile.mkstemp(prefix=f".{real.name}.", suffix=".tmp", dir=str(real.parent))
    new_lock: Optional[int] = None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        _keep_mode_and_owner(tmp, mode, old)
        new_lock = _lock_new_inode(tmp)
        os.replace(tmp, real)
    except BaseException:
        if new_lock is not None:
            os.close(new_lock)
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    held = _held_locks().get(str(real))
    if held is not None and new_lock is not None:
        if held[0] is not None:
            os.close(held[0])  # waiters on the old inode wake, see it was replaced, and wait on ours
        held[0] = new_lock
    elif new_lock is not None:
        os.close(new_lock)


def _keep_mode_and_owner(tmp: str, mode: Optional[int], old: Optional[os.stat_result]) -> None:
    """The new file gets ``mode``, else the old file's mode, else what the umask gives a new file; and the old owner."""
    if mode is None and old is not None:
        mode = old.st_mode & 0o7777
    if mode is None:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(tmp, mode)
    if old is not None and hasattr(os, "chown"):
        try:  # root editing a user's file: the file stays the user's
            os.chown(tmp, old.st_uid, old.st_gid)
        except OSError:
            pass


def _lock_new_inode(tmp: str) -> Optional[int]:
    """Lock the file about to take the path's place, so the lock never lapses while the edit is held."""
    if fcntl is None:
        return None
    fd = os.open(tmp, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def _backup(real: Path) -> Path:
    """Copy ``real`` to ``real.bak`` if there is none (the original), else to the next ``real.bak.N``."""
    first = real.with_name(real.name + ".bak")
    numbered = _numbered_backups(real)
    target = first if not os.path.lexists(first) else real.with_name(
        f"{real.name}.bak.{(numbered[-1][0] if numbered else 0) + 1}")
    with open(real, "rb") as source:
        content = source.read()
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=str(real.parent))
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, os.stat(real).st_mode & 0o7777)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    for number, old in _numbered_backups(real)[:-NUMBERED_BACKUPS]:
        os.unlink(old)
    return target


def _numbered_backups(real: Path) -> list[tuple[int, Path]]:
    """``(N, path)`` of every ``real.bak.N`` beside ``real``, oldest first."""
    pattern = re.compile(re.escape(real.name) + r"\.bak\.([0-9]{1,9})")
    found = []
    for name in os.listdir(real.parent):
        match = pattern.fullmatch(name)
        if match:
            found.append((int(match.group(1)), real.parent / name))
    return sorted(found)


def backups_of(path: PathLike) -> tuple[Optional[Path], Optional[Path]]:
    """(the original ``FILE.bak``, the newest ``FILE.bak.N``) beside the file ``path`` points to, each or None."""
    real = Path(os.path.realpath(path))
    first = real.with_name(real.name + ".bak")
    numbered = _numbered_backups(real) if real.parent.is_dir() else []
    return (first if first.exists() else None), (numbered[-1][1] if numbered else None)
