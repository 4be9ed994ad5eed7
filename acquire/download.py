"""Model downloads through modelscope's own client, as an iterator of progress events.

``modelscope.hub.snapshot_download`` already resumes (a ``*.incomplete`` file and an HTTP ``Range``
request) and checks every file's SHA-256; we add the progress stream that the CLI prints as JSON lines
and the TUI draws as a bar, and the completeness check of :mod:`mindpilot.acquire.model_check` after.
The client runs in a worker thread; its tqdm bars are switched off (they would draw over a TUI).
"""

from __future__ import annotations

import logging
import os
import queue
import re
import threading
from dataclasses import asdict, dataclass, field
from typing import Any, Iterator, Optional, Union

MODEL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}/[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$")
"""``owner/name`` as ModelScope spells model ids (``Qwen/Qwen2.5-7B``)."""


@dataclass
class FileProgress:
    """Bytes of one file received so far."""

    file: str
    """Path of the file inside the repository."""
    done: int
    """Bytes received (a resumed file starts at the size of its partial download)."""
    total: int
    """Size of the file from the repository listing (0 when unknown)."""
    type: str = "progress"


@dataclass
class DownloadTotals:
    """The whole download so far: what the UI bar shows."""

    done: int
    """Bytes received over every file seen so far."""
    total: int
    """Bytes of every file seen so far."""
    files_done: int
    """Files finished."""
    files_seen: int
    """Files started or finished."""
    type: str = "totals"


@dataclass
class DownloadDone:
    """The download finished; ``path`` is the model directory."""

    path: str
    """Where the files are."""
    type: str = "done"


@dataclass
class FailedFile:
    """One file the client gave up on, and why."""

    file: str
    """Path of the file inside the repository."""
    reason: str
    """``hash`` (its SHA-256 differs from the hub's listing), ``size`` (the hub sent another length) or ``other``."""
    message: str
    """The client's words for this file."""
    expected: str = ""
    """The listing's SHA-256 (as much of it as the client says) for ``hash``."""
    actual: str = ""
    """The received file's SHA-256 (as much of it as the client says) for ``hash``."""


@dataclass
class DownloadFailed:
    """The download stopped. A file cut off resumes when run again; a file that fails its hash does not."""

    error: str
    """The client's message."""
    files: list[FailedFile] = field(default_factory=list)
    """The files that failed, when the client names them."""
    type: str = "error"

    @property
    def resumable(self) -> bool:
        """Running the same download again can succeed (no file was refused for its content)."""
        return not any(f.reason in ("hash", "size") for f in self.files)


DownloadEvent = Union[FileProgress, DownloadTotals, DownloadDone, DownloadFailed]


def event_dict(event: DownloadEvent) -> dict[str, Any]:
    """JSON-ready form of an event (one ``--json`` line)."""
    return asdict(event)


def valid_model_id(model_id: str) -> bool:
    """``owner/name`` with no path tricks (``..``, slashes, spaces)."""
    return bool(MODEL_ID.match(model_id)) and ".." not in model_id


@dataclass
class _Tracker:
    """Per-file byte counts shared by the callbacks of one download."""

    events: "queue.Queue[Any]"
    sizes: dict[str, int] = field(default_factory=dict)
    received: dict[str, int] = field(default_factory=dict)
    finished: set = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def update(self, name: str, delta: int = 0, size: Optional[int] = None, end: bool = False) -> None:
        with self.lock:
            if size is not None:
                self.sizes[name] = size
                self.received.setdefault(name, 0)
            self.received[name] = max(self.received.get(name, 0) + delta, 0)
            if end:
                self.finished.add(name)
                self.received[name] = max(self.received[name], self.sizes.get(name, 0))
            self.events.put(FileProgress(name, self.received[name], self.sizes.get(name, 0)))
            self.events.put(DownloadTotals(sum(self.received.values()), sum(self.sizes.values()),
                                           len(self.finished), len(self.sizes)))


def _callback_class(tracker: _Tracker) -> type:
    from modelscope.hub.callback import ProgressCallback

    class _Progress(ProgressCallback):  # type: ignore[misc, valid-type]
        """modelscope makes one per file: forward its counts to the tracker."""

        def __init__(self, filename: str, file_size: int) -> None:
            super().__init__(filename, file_size)
            self.name = filename
            tracker.update(filename, size=int(file_size or 0))

        def update(self, size: int) -> None:
            tracker.update(self.name, delta=int(size))

        def end(self) -> None:
            tracker.update(self.name, end=True)

    return _Progress


def download_model(model_id: str, local_dir: Optional[str] = None, revision: Optional[str] = None,
                   cache_dir: Optional[str] = None, endpoint: Optional[str] = None,
                   min_interval: float = 0.2) -> Iterator[DownloadEvent]:
    """Download ``model_id`` and yield progress, then :class:`DownloadDone` or :class:`DownloadFailed`.

    ``local_dir`` None keeps the files in the modelscope cache (``MODELSCOPE_CACHE``); the endpoint is
    modelscope's (``MODELSCOPE_ENDPOINT`` / ``MODELSCOPE_DOMAIN``) unless given. Progress comes at most
    every ``min_interval`` seconds (the last state of each file is never dropped).
    """
    if not valid_model_id(model_id):
        yield DownloadFailed(f"not a ModelScope model id (owner/name): {model_id!r}")
        return
    os.environ.setdefault("TQDM_DISABLE", "1")
    events: "queue.Queue[Any]" = queue.Queue()
    tracker = _Tracker(events)
    finished = object()

    def run() -> None:
        try:
            from modelscope.hub.snapshot_download import snapshot_download

            _quiet_client_logs()

            # Like the endpoint, the client keeps the first cache dir it saw: name it on every call.
            cache = cache_dir or os.environ.get("MODELSCOPE_CACHE") or None
            kwargs: dict[str, Any] = dict(revision=revision, cache_dir=cache, local_dir=local_dir)
            chosen = endpoint or _endpoint_from_env()
            if chosen:
                kwargs["endpoint"] = chosen
            try:
                path = snapshot_download(model_id, progress_callbacks=[_callback_class(tracker)], **kwargs)
            except TypeError as exc:  # a modelscope without progress callbacks (or endpoint): totals at the end only
                if "progress_callbacks" not in str(exc) and "endpoint" not in str(exc):
                    raise
                kwargs.pop("endpoint", None)
                path = snapshot_download(model_id, **kwargs)
            events.put(DownloadDone(str(path)))
        except Exception as exc:  # network, 404, integrity: one line for the user, the partial files stay
            events.put(DownloadFailed(_one_line(exc), failed_files(exc)))
        finally:
            events.put(finished)

    worker = threading.Thread(target=run, name=f"download {model_id}", daemon=True)
    worker.start()
    yield from _throttled(events, finished, min_interval)
    worker.join()


def _throttled(events: "queue.Queue[Any]", finished: object, min_interval: float) -> Iterator[DownloadEvent]:
    """Events from the queue, progress coalesced per file to one every ``min_interval`` seconds."""
    import time

    pending: dict[str, Any] = {}
    last = 0.0
    while True:
        try:
            event = events.get(timeout=min_interval)
        except queue.Empty:
            event = None
        if event is finished:
            yield from pending.values()
            return
        if isinstance(event, (FileProgress, DownloadTotals)):
            pending[getattr(event, "file", "") if isinstance(event, FileProgress) else "\0totals"] = event
        elif event is not None:
            yield from pending.values()
            pending.clear()
            yield event
        if pending and time.monotonic() - last >= min_interval:
            yield from pending.values()
            pending.clear()
            last = time.monotonic()


def _quiet_client_logs() -> None:
    """Each failure comes back as an event with the client's words; the client's own log lines (set up when it is
    imported) would only repeat them, with timestamps, over the CLI's progress line and the TUI."""
    for name in list(logging.root.manager.loggerDict):
        if name == "modelscope_hub" or name.startswith("modelscope_hub."):
            logging.getLogger(name).setLevel(logging.CRITICAL)


def _endpoint_from_env() -> Optional[str]:
    """modelscope's own precedence (``MODELSCOPE_ENDPOINT``, then ``MODELSCOPE_DOMAIN``), read per call.

    The client keeps the endpoint it saw first for the whole process; passing it on every call makes a
    changed variable count (and a test's loopback hub).
    """
    value = os.environ.get("MODELSCOPE_ENDPOINT") or os.environ.get("MODELSCOPE_DOMAIN") or ""
    value = value.strip()
    if value and not value.startswith(("http://", "https://")):
        value = "https://" + value
    return value or None


_HASH_WORDS = re.compile(r"expected ([0-9a-fA-F]+)\.*,? got ([0-9a-fA-F]+)")
"""modelscope's ``Hash mismatch for NAME: expected 0123...., got 4567....`` (both cut to 16 digits)."""


def failed_files(exc: BaseException) -> list[FailedFile]:
    """The per-file failures a modelscope ``FileDownloadError`` carries (``failed_files``), or the error itself."""
    per_file = getattr(exc, "failed_files", None)
    if not isinstance(per_file, dict):
        per_file = {getattr(exc, "path", "") or "": exc} if _reason(exc) != "other" else {}
    return [_failed_file(str(name), error) for name, error in list(per_file.items())[:100]]


def _failed_file(name: str, error: BaseException) -> FailedFile:
    message = _one_line(error)
    found = _HASH_WORDS.search(str(error))
    expected, actual = (found.group(1).lower(), found.group(2).lower()) if found else ("", "")
    return FailedFile(name, _reason(error), message, expected, actual)


def _reason(error: BaseException) -> str:
    names = {cls.__name__ for cls in type(error).__mro__}
    if "FileSizeMismatchError" in names:
        return "size"
    if "FileIntegrityError" in names or "Hash mismatch" in str(error):
        return "hash"
    return "other"


def failure_findings(failed: DownloadFailed, lang: str = "en") -> list[Any]:
    """What went wrong, one finding per failed file (the file, the reason, the fix), or one for the whole run."""
    from mindpilot.validators.catalog import make_finding

    findings = []
    for item in failed.files:
        if item.reason == "hash":
            findings.append(make_finding("acquire.download_hash_mismatch", lang, file=item.file,
                                         expected=item.expected or "?", actual=item.actual or "?"))
        elif item.reason == "size":
            findings.append(make_finding("acquire.download_size_mismatch", lang, file=item.file, message=item.message))
        else:
            findings.append(make_finding("acquire.download_stopped", lang, file=item.file or None,
                                         message=f"{item.file}: {item.message}" if item.file else item.message))
    return findings or [make_finding("acquire.download_stopped", lang, message=failed.error)]


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
