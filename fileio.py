"""Writing files so that a crash, a full disk or Ctrl-C never leaves half a file behind.

Every file mindpilot writes (a user's YAML, a job record, ``run.sh``, an exported preset) goes
through :func:`write_atomic`: a temp file in the same directory, fsync, then ``os.replace``.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from pathlib import Path
from typing import Optional, Union


def write_atomic(path: Union[str, Path], text: str, keep_backup: bool = False, mode: Optional[int] = None) -> None:
    """Replace ``path`` with ``text`` in one step.

    Args:
        path: the file to write; its directory must exist.
        text: the new content (UTF-8).
        keep_backup: copy an existing file to ``path.bak`` first (for a user's own files).
        mode: permission bits for the new file; default: the old file's, or the umask's for a new one.
    """
    target = Path(path)
    # Say which path is wrong in the user's terms (not the temp file's name, not a copy error).
    if target.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a directory, not a file", str(target))
    if not target.parent.is_dir():
        raise FileNotFoundError(errno.ENOENT, "no such directory", str(target.parent))
    if keep_backup and target.exists():
        shutil.copy2(target, str(target) + ".bak")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=str(target.parent))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is None and target.exists():
            mode = target.stat().st_mode & 0o7777
        if mode is None:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
