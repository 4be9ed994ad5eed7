"""Who failed first, and who is only timing out because of it; who went silent in a hang.

When one rank dies, the other seven print HCCL timeouts and msrun kills them; the real error is one
line in one worker log among eight. :class:`FailureTracker` matches every line against the knowledge
base (``mindpilot.validators.kb``, when installed) and, failing that, against fallback patterns
(``launch/data/patterns.yaml``) read on the line's message (launcher and logger wrappings removed); it
keeps each rank's strongest error line (an exception before the ``[ERROR]`` trailer around it), the
first of equal ones, with the time the log gives it, and marks timeouts and aborts as consequences.
:class:`HangDetector` reports ranks that stopped stepping.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Iterable, Optional, Sequence

from mindpilot import compiled
from mindpilot.launch.events import FindingEvent, HangEvent
from mindpilot.launch.parse import line_timestamp, log_message
from mindpilot.validators.catalog import make_finding
from mindpilot.datafiles import load_model, package_path
from mindpilot.validators.findings import Finding, Severity
from mindpilot.redact import redact_log_line, redact_model, secret_values
from mindpilot.validators.kb.keyline import key_text, line_rank, quiet_level

MAX_TEXT = 600
"""Longest error text put in a finding title."""


@dataclass(frozen=True)
class Pattern:
    """One fallback regex and where the knowledge comes from."""

    __pydantic_config__ = {"extra": "forbid"}

    regex: str
    """Python regular expression searched in one line."""
    source: str
    """Why this pattern means what it means."""
    literals: list[str] = field(default_factory=list)
    """The regex runs only on lines containing one of these (a fast prefilter); empty: always."""
    strength: int = 2
    """For error patterns: 3 an exception, 2 an error line, 1 words of failure (a rank's strongest line wins)."""
    loud_only: bool = False
    """For error patterns: not on lines logged at INFO, DEBUG or WARNING level."""


@dataclass(frozen=True)
class Patterns:
    """``launch/data/patterns.yaml``."""

    __pydantic_config__ = {"extra": "forbid"}

    error: list[Pattern]
    """A line that reports a failure."""
    consequence: list[Pattern]
    """A failure that follows another rank's failure."""
    suspect: list[Pattern]
    """A line that names a rank to blame (group 1)."""


class _Compiled:
    """The patterns compiled, each behind its literal prefilter."""

    def __init__(self, data: Patterns) -> None:
        self.error = [(tuple(p.literals), re.compile(p.regex), p.strength, p.loud_only) for p in data.error]
        self.consequence = [(tuple(p.literals), re.compile(p.regex)) for p in data.consequence]
        self.suspect = [re.compile(p.regex) for p in data.suspect]

    @staticmethod
    def _any(compiled: list, text: str) -> bool:
        for literals, regex in compiled:
            if (not literals or any(literal in text for literal in literals)) and regex.search(text):
                return True
        return False

    def is_error(self, text: str) -> bool:
        return self.error_strength(text) > 0

    def error_strength(self, text: str, quiet: bool = False) -> int:
        """How surely ``text`` (a line's message) reports a failure: 0 not at all, up to 3 (an exception).
        ``quiet``: the line is logged at INFO, DEBUG or WARNING level (words of failure do not count)."""
        best = 0
        for literals, regex, strength, loud_only in self.error:
            if strength <= best or (loud_only and quiet):
                continue
            if any(literal in text for literal in literals) and regex.search(text):
                best = strength
        return best

    def is_consequence(self, text: str) -> bool:
        return self._any(self.consequence, text)


PATTERNS_FILE = package_path("launch", "data", "patterns.yaml")


def _load_patterns() -> Patterns:
    return compiled.built(PATTERNS_FILE, "patterns", lambda: load_model(Patterns, PATTERNS_FILE))


def failure_literals() -> list[str]:
    """Literals of the fallback error patterns (every error line contains one; see patterns.yaml)."""
    data = _load_patterns()
    literals = []
    for pattern in data.error:
        if not pattern.literals:
            raise ValueError(f"patterns.yaml: error pattern {pattern.regex!r} needs literals")
        literals += pattern.literals
    return literals


@lru_cache(maxsize=1)
def _patterns() -> _Compiled:
    return _Compiled(_load_patterns())


def kb_matcher() -> Any:
    """The knowledge base's line matcher (with this host's CANN error catalogue, as ``diagnose`` reads logs),
    or None while ``mindpilot.validators.kb`` is not there."""
    try:
        from mindpilot.validators.kb.knowledge import load_kb_for_logs
    except ImportError:
        return None
    try:
        return load_kb_for_logs().matcher()
    except Exception:  # a broken KB must not stop the live view; diagnose reports it
        return None


@dataclass
class Failure:
    """A rank's first error."""

    rank: Optional[int]
    rule: str
    text: str
    file: str
    line: Optional[int]
    time: Optional[float]
    """Time from the log itself (last timestamp at or before the line), else None."""
    seq: int
    """Order in which it was read (tie-breaker when logs carry no time)."""
    strength: int = 2
    """How surely the line reports a failure (see :class:`Pattern`; a known error is 4)."""

    def to_dict(self) -> dict[str, Any]:
        return {"rank": self.rank, "rule": self.rule, "text": self.text, "file": self.file, "line": self.line}


class FailureTracker:
    """Feeds on lines; yields findings; knows the first failing rank."""

    def __init__(self, lang: str = "en", use_kb: bool = True, secrets: Iterable[str] = (),
                 weakest: int = 2, kb_known: Optional[Callable[[str, str], bool]] = None) -> None:
        self.lang = lang
        self.kb_known = kb_known
        """For a replay after a full scan (``diagnose``): whether the scan found ``(rule id, file)``. A rule the scan
        never found in that file stood down there (its ``unless_near`` context, a ``before``/``after`` it lacked),
        which one line read alone cannot tell: its hit does not hide the line from the fallback patterns."""
        self.weakest = weakest
        """The weakest error pattern that counts: 2 while a job runs (words of failure in a healthy job's
        prints are no alarm), 1 after it failed, when ``diagnose`` looks for the likeliest line."""
        self.matcher = kb_matcher() if use_kb else None
        self.causes: dict[Optional[int], Failure] = {}
        self.suspects: list[int] = []
        self._emitted: set[tuple[Optional[int], str]] = set()
        self._seq = 0
        self._first_reported = False
        self._timed_out: dict[tuple[str, Optional[int]], int] = {}
        """Per file and rank: the line of its last timeout, or of the last error line of that timeout's burst."""
        self.secrets = sorted(set(secret_values()) | set(secrets), key=len, reverse=True)
        """Values of this environment's secret variables and of the job's (``secrets``): masked in every line."""

    def feed(self, text: str, rank: Optional[int], source: str, file: str, stamp_head: Optional[str],
             line: Optional[int] = None, kb_candidate: bool = True,
             before: Sequence[str] = ()) -> list[FindingEvent]:
        """Findings for one line (at most one per rank and rule).

        ``stamp_head``: the start of the last line of this file that may carry a time (the error's time);
        ``kb_candidate=False``: the caller knows that no knowledge-base literal is in the line.
        """
        # Masked first: the line is repeated in titles and the first failure, cut to MAX_TEXT.
        text = redact_log_line(text, self.secrets)
        patterns = _patterns()
        events: list[FindingEvent] = []
        quiet = quiet_level(text)
        key = key_text(text)
        if rank is None:
            rank = line_rank(text)
        hits = self.matcher.match_line(text, list(before)) if self.matcher is not None and kb_candidate else []
        if hits and self.kb_known is not None:
            hits = [hit for hit in hits if self.kb_known(hit.rule, file)]
        for hit in hits:
            if quiet and _severity(hit) is Severity.ERROR:
                continue  # e.g. "Topology build timed out., retry(1/120)": a normal WARNING while ranks start
            is_consequence = _hit_is_consequence(hit) or patterns.is_consequence(key)
            if is_consequence:
                self._note_timeout(file, rank, line, key)
            finding = hit.to_finding(self.lang, file=file, line=line, rank=rank)
            event = self._record(finding, text, rank, source, file, line, stamp_head, is_consequence,
                                 _severity(hit) is Severity.ERROR, KB_STRENGTH)
            if event is not None:
                events.append(event)
        if events or (hits and not quiet):
            return events
        if source != "worker":
            for pattern in patterns.suspect:
                found = pattern.search(text)
                if found and int(found.group(1)) not in self.suspects:
                    self.suspects.append(int(found.group(1)))
        quiet = quiet or quiet_level(key) or _source_line(text, key)
        strength = max(patterns.error_strength(key, quiet), patterns.error_strength(text, quiet) if key != text else 0)
        if strength < max(1, self.weakest) or _RETURN_TRACE.search(key) is not None:
            return events
        is_consequence = patterns.is_consequence(key) or source != "worker"
        if is_consequence:
            self._note_timeout(file, rank, line, key)
        else:
            is_consequence = self._in_timeout_burst(file, rank, line)
        rule = "tail.consequence" if is_consequence else "tail.worker_error"
        short = log_message(key)[:MAX_TEXT]
        finding = make_finding(rule, self.lang, file=file, line=line, who=_who(rank, source, self.lang),
                               text=short, path=file, lineno=line if line is not None else "?",
                               extra={"rank": rank})
        event = self._record(finding, short, rank, source, file, line, stamp_head, is_consequence, True, strength)
        if event is not None:
            events.append(event)
        return events

    def _note_timeout(self, file: str, rank: Optional[int], line: Optional[int], key: str) -> None:
        if line is not None and TIMEOUT_WORDS.search(key) is not None:
            self._timed_out[(file, rank)] = line

    def _in_timeout_burst(self, file: str, rank: Optional[int], line: Optional[int]) -> bool:
        """Whether an error line no rule knows follows a timeout of the same file and rank within
        :data:`TIMEOUT_BURST` lines (or the error lines that followed it): the call chain reporting that timeout
        (``[LinksEstablishCompleted] is failed. ret[9].`` under ``wait socket establish timeout``), not an error of
        its own. It is then a consequence too, and a rank that only waited does not come first by its time."""
        last = self._timed_out.get((file, rank))
        if line is None or last is None or not 0 < line - last <= TIMEOUT_BURST:
            return False
        self._timed_out[(file, rank)] = line
        return True

    def _record(self, finding: Finding, text: str, rank: Optional[int], source: str, file: str,
                line: Optional[int], stamp_head: Optional[str], consequence: bool,
                is_error: bool, strength: int = 2) -> Optional[FindingEvent]:
        key = (rank, finding.rule)
        cause = self.causes.get(rank)
        if is_error and not consequence and cause is not None and _explains_better(cause, strength, text, file, line):
            # A stronger line of the same rank explains it better: the exception after "[ERROR] ... failed".
            stamp = line_timestamp(stamp_head) if stamp_head else None
            self.causes[rank] = Failure(rank, finding.rule, text.strip()[:MAX_TEXT], file, line,
                                        stamp if stamp is not None else cause.time, cause.seq, strength)
        if key in self._emitted:
            return None
        self._emitted.add(key)
        self._seq += 1
        # What is shown of the line (title, matched text, first failure) carries no token or URL password.
        finding = redact_model(finding, self.secrets)
        first = False
        if is_error and not consequence and rank not in self.causes:
            stamp = line_timestamp(stamp_head) if stamp_head else None
            self.causes[rank] = Failure(rank, finding.rule, text.strip()[:MAX_TEXT], file, line, stamp, self._seq,
                                        strength)
            if not self._first_reported:
                first = self._first_reported = True
        return FindingEvent(finding=finding, rank=rank, source=source, consequence=consequence,
                            first_failure=first)

    def first_failure(self) -> Optional[Failure]:
        """The earliest cause by log time (read order breaks ties and fills missing times)."""
        if not self.causes:
            if self.suspects:
                return Failure(self.suspects[0], "tail.suspect", "named by the scheduler as the first to time out",
                               "", None, None, 0)
            return None
        ranked = [f for f in self.causes.values() if f.rank is not None] or list(self.causes.values())
        # A rank with only words of failure comes after one with an error line, whatever the times.
        return min(ranked, key=lambda f: (f.strength < 2, f.time if f.time is not None else float("inf"), f.seq))


_BARE_EXCEPTION = re.compile(r"(?:[\w.]+\.)?(?:KeyError|IndexError|StopIteration|AttributeError) ?(?::.{0,40})?")
"""An exception that names only a key or an index (``KeyError: 'qwen3'``): raised by a lookup, it is usually
caught and turned into the error that says what went wrong (``During handling of the above exception ...``)."""
_WRAPPER_EXCEPTION = re.compile(r"(?:ray\.exceptions\.)?(?:RayTaskError(?:\([\w.]+\))?|ActorDiedError|RayActorError)"
                                r"\s?:")
"""Ray's exceptions that carry another process's failure (``ray.exceptions.ActorDiedError: The actor died because of an
error raised in its creation task``, ``ray.exceptions.RayTaskError(ValueError): ray::W.f()``): the remote traceback
printed under them ends with the exception that says what failed (``subprocess.CalledProcessError: ...``)."""
CHAIN_REACH = 80
"""Lines after a bare exception within which a later exception of the same rank is its explanation."""


def _explains_better(cause: Failure, strength: int, text: str, file: str, line: Optional[int]) -> bool:
    """Whether a new error line of the rank of ``cause`` says more than ``cause``: a stronger kind of line, or
    the exception a bare lookup error turned into a few lines later (same file), or the remote exception a Ray
    wrapper's traceback ends with."""
    if cause.strength < min(strength, 3):
        return not _reports_that_programs_failure(cause, text, file)
    return (strength >= 3 and cause.strength >= 3 and cause.file == file and cause.line is not None
            and line is not None and 0 < line - cause.line <= CHAIN_REACH
            and (_BARE_EXCEPTION.fullmatch(cause.text) is not None or _WRAPPER_EXCEPTION.match(cause.text) is not None)
            and _BARE_EXCEPTION.fullmatch(text.strip()) is None and _WRAPPER_EXCEPTION.match(text.strip()) is None)


_PROGRAM_PREFIX = re.compile(r"(?P<program>[A-Za-z][\w.-]{3,63}): (?:\[?(?:ERROR|FATAL|CRITICAL|error|fatal)\b)")
"""A program's own error line, its name first (``ascend-docker-runtime: [ERROR] check aicore num failed ...``), as
a container runtime, a hook or a daemon writes to the log of the tool that ran it."""


def _reports_that_programs_failure(cause: Failure, text: str, file: str) -> bool:
    """Whether ``text`` (a stronger line than ``cause``, same rank) only reports that the program whose own error
    line ``cause`` is failed (``kubelet: Error: ... OCI runtime create failed: .../ascend-docker-runtime did not
    terminate successfully``): the caller names the program, the program's line says why it failed."""
    found = _PROGRAM_PREFIX.match(cause.text)
    return found is not None and cause.file == file and found.group("program") in text


def _who(rank: Optional[int], source: str, lang: str) -> str:
    if rank is not None:
        return f"rank {rank}"
    if source == "scheduler":
        return "调度器" if lang == "zh" else "scheduler"
    return source


TIMEOUT_WORDS = re.compile(r"(?i)(?<![a-z])(?:time[sd]? ?out|timeout)")
"""A consequence that is a wait that ran out (HCCL's socket and notify waits, the watchdog)."""
TIMEOUT_BURST = 3
"""Lines after a timeout (or after the last line of its burst) within which an error line is part of it."""

KB_STRENGTH = 4
"""The strength of a known error (above any fallback pattern)."""


_SOURCE_LINE = ("File \"", "raise ", "return ", "^", "~", "self.", "assert ", "if ", "elif ", "def ", "#")


_RETURN_TRACE = re.compile(r"call trace: ?\w*?[Rr]et ?-> ?-?\d+\s*$")
"""HCCL's line for a return code handed up the call chain (``[ERROR] HCCL(...) [hccl_impl.cc:731]... call trace:
ret -> 7``, ``call trace: hcclRet -> 12``): the error it carries was logged, with its words, where it began."""


def _source_line(text: str, key: str) -> bool:
    """A traceback's frame or quoted source line (indented, ``File "...``, ``raise ...``): its words of
    failure are code, not a report."""
    return text[:1] in (" ", "\t") or key.startswith(_SOURCE_LINE)


def _hit_is_consequence(hit: Any) -> bool:
    value = getattr(hit, "consequence", None)
    if value is None:
        rule = getattr(hit, "rule", None)
        value = getattr(rule, "consequence", False) if not isinstance(rule, str) else False
    return bool(value)


def _severity(hit: Any) -> Severity:
    value = getattr(hit, "severity", Severity.ERROR)
    try:
        return Severity(value)
    except ValueError:
        return Severity.ERROR


class HangDetector:
    """No training step from any rank for ``after`` seconds: report once, until progress resumes."""

    def __init__(self, after: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.after = after
        self.clock = clock
        self.start = clock()
        self.last_progress: dict[Optional[int], float] = {}
        self.last_activity: dict[Optional[int], float] = {}
        self.last_step: Optional[int] = None
        self._any_progress: Optional[float] = None
        self._reported = False

    def seen(self, rank: Optional[int]) -> None:
        self.last_activity.setdefault(rank, self.clock())

    def activity(self, rank: Optional[int]) -> None:
        self.last_activity[rank] = self.clock()

    def progress(self, rank: Optional[int], step: int) -> None:
        now = self.clock()
        self.last_progress[rank] = now
        self.last_activity[rank] = now
        self._any_progress = now
        self.last_step = step if self.last_step is None else max(self.last_step, step)
        self._reported = False

    def check(self) -> Optional[HangEvent]:
        """A :class:`HangEvent` the first time the job has been without progress for too long."""
        if self._reported:
            return None
        now = self.clock()
        # Before the first step, compilation and the cluster build take a while: count from the start.
        since = self._any_progress if self._any_progress is not None else self.start
        if now - since < self.after:
            return None
        self._reported = True
        ranks = set(self.last_activity) | set(self.last_progress)
        order = sorted((r for r in ranks if r is not None),
                       key=lambda r: (self.last_progress.get(r, float("-inf")), self.last_activity.get(r, 0.0)))
        return HangEvent(seconds=round(now - since, 1), silent_ranks=order, last_step=self.last_step)


def hang_finding(event: HangEvent, lang: str) -> Finding:
    """The hang as a finding (for the headless view and the TUI's error panel)."""
    ranks = ", ".join(str(r) for r in event.silent_ranks) or "?"
    return make_finding("tail.hang", lang, minutes=round(event.seconds / 60, 1), ranks=ranks,
                        step=event.last_step if event.last_step is not None else "-")
