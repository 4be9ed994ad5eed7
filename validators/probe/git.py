"""Facts about a source checkout from ``git``: commit (full and short), branch, dirty state.

Users run mindformers and mindrlhf from clones pinned to a commit
(``git checkout 0cd087455`` then ``git rev-parse HEAD``); this answers the same question for them.
Every git call has a timeout and ``safe.directory=*`` (ModelArts checkouts are often owned by
another uid, and git would refuse to read them).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

from mindpilot.validators.probe.facts import Checkout
from mindpilot.validators.probe.subprocesses import ProcessTimeout, run_captured

GIT_TIMEOUT = 5.0


def _git(path: str, *args: str, timeout: float) -> Optional[str]:
    done = run_captured(["git", "-c", "safe.directory=*", "-C", path, *args], timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError((done.stderr.strip().splitlines() or ["git failed"])[-1])
    return done.stdout


def checkout_facts(name: str, path: str, imported: bool = False, timeout: float = GIT_TIMEOUT) -> Checkout:
    """Git facts of the checkout at ``path``; on any git failure the reason lands in ``error``."""
    checkout = Checkout(name=name, path=path, imported=imported, version=source_version(path, name))
    try:
        checkout.commit = (_git(path, "rev-parse", "HEAD", timeout=timeout) or "").strip() or None
        checkout.short = (_git(path, "rev-parse", "--short", "HEAD", timeout=timeout) or "").strip() or None
        branch = (_git(path, "rev-parse", "--abbrev-ref", "HEAD", timeout=timeout) or "").strip()
        checkout.branch = None if branch in ("", "HEAD") else branch
        status = _git(path, "status", "--porcelain", "--untracked-files=no", timeout=timeout) or ""
        checkout.dirty = bool(status.strip())
    except (RuntimeError, ProcessTimeout, OSError) as exc:
        checkout.error = str(exc)
    return checkout


_VERSION = re.compile(r"""^__version__\s*=\s*['"]([^'"]+)['"]""", re.MULTILINE)


def source_version(path: str, name: str) -> Optional[str]:
    """``__version__`` of ``<path>/<name>/__init__.py``, read as text (never imported)."""
    try:
        text = (Path(path) / name / "__init__.py").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    match = _VERSION.search(text)
    return match.group(1) if match else None
