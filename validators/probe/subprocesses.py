"""Run a helper process with a hard timeout that also kills everything it started.

A probed interpreter can hang (a ``.pth`` file that blocks, a broken NFS mount on ``sys.path``),
and so can ``npu-smi`` or ``git`` on a sick host. Each runs in its own process group so that a
timeout kills the whole group, not just the direct child. It can also print without end (a
``sitecustomize`` in a loop): at most :data:`MAX_OUTPUT_BYTES` of each stream are kept.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import time
from typing import Mapping, Optional, Sequence

MAX_OUTPUT_BYTES = 8 << 20
"""Most bytes kept from a helper's stdout (and as many from its stderr); the probe prints a few KB."""


class ProcessTimeout(Exception):
    """The process did not finish in time and was killed."""


class OutputTooLarge(ProcessTimeout):
    """The process printed more than :data:`MAX_OUTPUT_BYTES` on one stream and was killed."""


def run_captured(argv: Sequence[str], timeout: float, env: Optional[Mapping[str, str]] = None,
                 cwd: Optional[str] = None) -> subprocess.CompletedProcess:
    """Run ``argv`` (never through a shell) and return its output as text.

    Raises:
        ProcessTimeout: it ran longer than ``timeout`` seconds; its process group was killed.
        OSError: the program could not be started (missing, not executable).
    """
    process = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=dict(env) if env is not None else None,
                               cwd=cwd, start_new_session=True)
    try:
        stdout, stderr = _collect(process, timeout, str(argv[0]))
    except BaseException:
        _kill_group(process)
        raise
    return subprocess.CompletedProcess(list(argv), process.returncode,
                                       stdout.decode("utf-8", "replace"), stderr.decode("utf-8", "replace"))


def _collect(process: subprocess.Popen, timeout: float, name: str) -> tuple[bytes, bytes]:
    """Both output streams until they close and the process exits; bounded in time and in bytes."""
    deadline = time.monotonic() + timeout
    chunks: dict = {process.stdout: [], process.stderr: []}
    sizes = {process.stdout: 0, process.stderr: 0}
    with selectors.DefaultSelector() as selector:
        for stream in chunks:
            selector.register(stream, selectors.EVENT_READ)
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                raise ProcessTimeout(f"{name} did not finish within {timeout:g} s")
            for key, _ in selector.select(left):
                data = os.read(key.fileobj.fileno(), 1 << 16)
                if not data:
                    selector.unregister(key.fileobj)
                    continue
                sizes[key.fileobj] += len(data)
                if sizes[key.fileobj] > MAX_OUTPUT_BYTES:
                    raise OutputTooLarge(f"{name} printed more than {MAX_OUTPUT_BYTES >> 20} MiB and was killed")
                chunks[key.fileobj].append(data)
    try:
        process.wait(timeout=max(deadline - time.monotonic(), 0.01))
    except subprocess.TimeoutExpired:
        raise ProcessTimeout(f"{name} did not finish within {timeout:g} s") from None
    for stream in chunks:
        stream.close()
    return b"".join(chunks[process.stdout]), b"".join(chunks[process.stderr])


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        process.communicate(timeout=5)
    except (subprocess.TimeoutExpired, ValueError):
        pass
