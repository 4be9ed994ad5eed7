"""The installed framework's own self-test (``doctor --deep``): what to run, and what its output says.

``doctor`` judges versions against tables; the frameworks can answer "does this install work?" themselves.
MindFormers ships ``run_check()`` (mindformers/run_check.py: a MindSpore check, a 2-layer pretrain, a predict,
then its VERSION_MAP check); MindSpore alone has ``mindspore.run_check()`` (a multiplication). Either runs in
the TARGET interpreter as a tracked job: never imported here. This module builds that job's command and reads
its console back into one finding per stage, quoting the framework's own words; a failed stage's lines go
through the diagnose knowledge base for a root cause and fix.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, List, Optional

from mindpilot.presets.tool_command import ToolCommand
from mindpilot.validators.catalog import make_finding
from mindpilot.validators.findings import Finding

JOB_NAME = "selftest"
MARK = "mindpilot-selftest:"
"""Prefix of the lines our wrapper prints (which self-test runs, and that it returned)."""
DEFAULT_TIMEOUT = 900.0
"""Seconds the self-test may run: MindFormers' 2-layer pretrain compiles for about 30 s on 2 CPU cores."""

# Runs in the target interpreter (``python -c WRAPPER SECONDS``), one line: it is also written into the job's
# run.sh. faulthandler ends a self-test that hangs (a compile stuck in C code too) after SECONDS, printing where
# it was: the job is bounded without anyone watching it.
WRAPPER = ("import faulthandler, importlib.util as util, sys; "
           "faulthandler.dump_traceback_later(float(sys.argv[1]), exit=True); "
           "name = next((n for n in ('mindformers', 'mindspore') if util.find_spec(n)), None); "
           "print('mindpilot-selftest: ' + (name + '.run_check()' if name else 'none'), flush=True); "
           "name or sys.exit(3); "
           "__import__(name).run_check(); "
           "print('mindpilot-selftest: returned', flush=True)")

STAGES = ("mindspore", "pretrain", "predict", "versions")
_STARTS = {"Starting MindSpore Run Check": "mindspore", "Starting Pretrain Test": "pretrain",
           "Starting Predict Test": "predict", "Searching Environment Info": "versions"}
# The framework's own words for each outcome (mindformers/run_check.py 1.7.0, mindspore/run_check/run_check.py).
_PASSED = (("mindspore", "has been installed on platform"), ("pretrain", "Pretrain test passed!"),
           ("predict", "Predict test passed!"), ("versions", "All checks passed, used"))
_FAILED = (("mindspore", "MindSpore failed!"), ("mindspore", "MindSpore running check failed."),
           ("pretrain", "Pretrain test failed!"), ("predict", "Predict test failed!"))
_UNMATCHED = ("The installed software are unmatched", "It's recommended to install mindformers==")
_EXCEPTION = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Interrupt)): ?(.*)$")
_FRAME = re.compile(r'^\s*File "([^"]+)", line (\d+), in (\S+)')
_TIMEOUT = re.compile(r"^Timeout \((\d+:\d\d:\d\d)\)!")
MAX_QUOTE = 300
_LABELS = {"mindspore": ("MindSpore 自检", "MindSpore check"), "pretrain": ("预训练测试", "pretrain test"),
           "predict": ("推理测试", "predict test"), "versions": ("版本配套检查 (VERSION_MAP)", "version map check")}


@dataclass
class Stage:
    """One stage of the self-test as its console showed it."""

    name: str
    status: str = "not_run"
    """passed, failed (in the framework's words), unmatched (versions differ from the VERSION_MAP, the checks
    passed), crashed (begun, then the self-test ended with an exception), cut (begun, then the process ended
    without a word: stopped, killed, out of memory), not_run."""
    quote: str = ""
    """The framework's own line for the outcome."""
    lines: List[str] = field(default_factory=list)
    """The console lines of the stage (for diagnose), capped."""
    error: str = ""
    """The last exception line inside a failed stage."""


@dataclass
class Crash:
    """The self-test ended with an uncaught exception (or its watchdog)."""

    exception: str
    frame_file: str = ""
    frame_line: int = 0
    frame_function: str = ""
    timeout: str = ""


@dataclass
class SelfTest:
    """What the console says."""

    which: str = ""
    """``mindformers.run_check()``, ``mindspore.run_check()``, ``none``, or empty (the wrapper never ran)."""
    stages: List[Stage] = field(default_factory=list)
    crash: Optional[Crash] = None
    returned: bool = False


def selftest_command(python: str, workdir: str, timeout: float = DEFAULT_TIMEOUT) -> ToolCommand:
    """The tracked job's command: the wrapper in ``python``, run in ``workdir`` (run_check writes ./output)."""
    return ToolCommand(name=JOB_NAME, argv=[python, "-c", WRAPPER, f"{timeout:g}"], cwd=workdir)


def quote(text: str) -> str:
    """A console line fit to show: no ANSI or control characters, secrets masked, at most ``MAX_QUOTE``."""
    from mindpilot.redact import redact_log_line, secret_values
    from mindpilot.validators.kb.matcher import clean_line

    text = "".join(ch for ch in clean_line(text) if unicodedata.category(ch) != "Cc" or ch == "\t").strip()
    text = redact_log_line(text, secret_values())
    return text if len(text) <= MAX_QUOTE else text[:MAX_QUOTE - 1] + "…"


def parse_console(lines: Iterable[str], max_stage_lines: int = 4000) -> SelfTest:
    """Read the self-test's console, one pass, bounded by its length."""
    result = SelfTest()
    by_name = {name: Stage(name) for name in STAGES}
    current: Optional[Stage] = None
    frame: Optional[re.Match] = None
    for raw in lines:
        line = raw.rstrip("\n")
        if line.startswith(MARK):
            word = line[len(MARK):].strip()
            result.returned = result.returned or word == "returned"
            result.which = result.which if word == "returned" else word
            if word.startswith("mindspore"):  # mindspore.run_check() prints no stage header of its own
                current = by_name["mindspore"]
                current.status = "started"
            continue
        started = next((stage for text, stage in _STARTS.items() if text in line), None)
        if started:
            current = by_name[started]
            if current.status == "not_run":
                current.status = "started"
            continue
        _outcome(line, by_name)
        if current is not None and len(current.lines) < max_stage_lines:
            current.lines.append(line)
        frame = _FRAME.match(line) or frame
        _crash_line(line, frame, current, result)
    result.stages = [stage for stage in by_name.values()
                     if stage.status != "not_run" or result.which.startswith("mindformers")]
    for stage in result.stages:
        if stage.status == "started":  # begun, never said how it ended: the crash (if any) ended it
            stage.status = "crashed" if result.crash else "cut"
    return result


def _outcome(line: str, by_name: dict) -> None:
    for name, words in _PASSED:
        if words in line and by_name[name].status != "failed":
            by_name[name].status, by_name[name].quote = "passed", quote(_message(line))
    for name, words in _FAILED:
        if words in line:
            by_name[name].status, by_name[name].quote = "failed", quote(_message(line))
    if any(words in line for words in _UNMATCHED) and by_name["versions"].status != "passed":
        stage = by_name["versions"]
        stage.status = "unmatched"
        stage.quote = (stage.quote + " " if stage.quote else "") + quote(_message(line))


def _crash_line(line: str, frame: Optional[re.Match], current: Optional[Stage], result: SelfTest) -> None:
    timeout = _TIMEOUT.match(line)
    if timeout:
        result.crash = Crash(exception=quote(line), timeout=timeout.group(1))
        return
    exception = _EXCEPTION.match(line)
    if not exception:
        return
    if current is not None and current.status == "failed" and not current.error:
        current.error = quote(line)
    if result.crash is None or not result.crash.timeout:
        result.crash = Crash(exception=quote(line))
        if frame is not None:
            result.crash.frame_file, result.crash.frame_line = frame.group(1), int(frame.group(2))
            result.crash.frame_function = frame.group(3)


def _message(line: str) -> str:
    """The message part of a logger line (``... - INFO - message``), else the line."""
    for level in (" - INFO - ", " - ERROR - ", " - WARNING - "):
        if level in line:
            return line.split(level, 1)[1]
    return line


def selftest_findings(test: SelfTest, exit_code: Optional[int], lang: str, job: str = "",
                      log: str = "", status: str = "") -> List[Finding]:
    """One finding per stage, the crash explained, and a failed stage's root cause from the knowledge base."""
    if test.which == "none":
        return [make_finding("selftest.no_framework", lang)]
    if not test.which:
        return [make_finding("selftest.did_not_start", lang, code=exit_code, log=log)]
    findings: List[Finding] = []
    for stage in test.stages:
        if stage.status == "crashed":  # cut short by the crash: the crash's finding tells it
            continue
        findings.append(_stage_finding(stage, lang, test, job, _exit_words(exit_code, status, lang)))
        if stage.status == "failed":
            findings += [finding.model_copy({"file": log or None, "line": None})
                         for finding in _diagnosed(stage, lang)]
    if test.crash is not None and exit_code not in (0, None):
        findings.append(_crash_finding(test, lang, job))
        if findings[-1].rule == "selftest.crashed":  # an unknown crash: what the knowledge base knows of it
            findings += [finding.model_copy({"file": log or None, "line": None}) for stage in test.stages
                         if stage.status == "crashed" for finding in _diagnosed(stage, lang)]
    elif not findings and exit_code not in (0, None):
        findings.append(make_finding("selftest.did_not_start", lang, code=exit_code, log=log))
    for finding in findings:
        finding.__dict__.setdefault("log", log)
    return findings


def _exit_words(code: Optional[int], status: str, lang: str) -> str:
    """How the process ended, in a few words: ``mindpilot stop``, a signal, or its exit code."""
    zh = lang == "zh"
    if status == "stopped":
        return "被 mindpilot stop 停止" if zh else "stopped by mindpilot stop"
    if code is not None and code < 0:
        return f"被信号 {-code} 结束（内存不足时常是 9）" if zh else f"killed by signal {-code} (9 is often out of memory)"
    return f"退出码 {code}" if zh else f"exit code {code}"


def stage_label(name: str, lang: str) -> str:
    """The stage's name for people."""
    return _LABELS[name][0 if lang == "zh" else 1]


def _labels(stages: Iterable[Stage], status: str, lang: str) -> str:
    return ", ".join(stage_label(s.name, lang) for s in stages if s.status == status) or "-"


def _stage_finding(stage: Stage, lang: str, test: SelfTest, job: str, exit_words: str = "") -> Finding:
    values = {"job": job or "JOB", "stage": stage_label(stage.name, lang), "quote": stage.quote or stage.error or "-",
              "error": stage.error or "-"}
    if stage.status == "not_run":
        before = next((s for s in test.stages if s.status == "failed"), None)
        if before is None:  # nothing failed: the self-test ended (stopped, killed, crashed) before this stage
            return make_finding("selftest.not_reached", lang, extra={"stage": stage.name}, **values)
        return make_finding("selftest.not_run", lang, extra={"stage": stage.name}, **values,
                            after=stage_label(before.name, lang))
    if stage.status == "cut":
        return make_finding("selftest.cut", lang, extra={"stage": stage.name}, **values, how=exit_words)
    return make_finding(f"selftest.{stage.status}", lang, extra={"stage": stage.name}, **values)


def _crash_finding(test: SelfTest, lang: str, job: str) -> Finding:
    crash = test.crash
    assert crash is not None
    passed, failed = _labels(test.stages, "passed", lang), _labels(test.stages, "failed", lang)
    where = f"{Path(crash.frame_file).name}:{crash.frame_line} ({crash.frame_function})" if crash.frame_file else "-"
    if crash.timeout:
        return make_finding("selftest.timeout", lang, limit=crash.timeout, passed=passed)
    if (crash.frame_function == "get_recommend_versions" and crash.exception.startswith("TypeError")
            and crash.frame_file.endswith("run_check.py")):
        return make_finding("selftest.crash_version_check", lang, exception=crash.exception, where=where,
                            passed=passed, failed=failed)
    return make_finding("selftest.crashed", lang, exception=crash.exception, where=where, passed=passed,
                        job=job or "JOB")


def _diagnosed(stage: Stage, lang: str) -> List[Finding]:
    """The knowledge base's root cause for a failed stage's lines (none when it knows nothing of them)."""
    from mindpilot.validators.kb.diagnose import DiagnoseInputError, scan_inputs

    text = "\n".join(stage.lines).encode("utf-8", errors="replace")
    try:
        report = scan_inputs([("stdin", "-")], lang, stdin=io.BytesIO(text))
    except DiagnoseInputError:
        return []
    if report.root_cause is None:
        return []
    return [finding for finding in report.findings if finding.rule == report.root_cause.rule][:1]

