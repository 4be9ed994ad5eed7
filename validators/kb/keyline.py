"""The message of a log line, whatever wrapped it: launcher, rank, logger and CANN 8 prefixes removed.

The same error reaches users in many wrappings: ``[rank3]: RuntimeError: ...`` (torchrun), ``(VllmWorker
rank=0 pid=12) ERROR 12-01 10:00:00 [core.py:123] ...`` (vLLM; vLLM-Omni puts ``[Stage-1]`` first),
``2025-11-19 11:14:59.028 | ERROR | mod:f:95 | ...`` (loguru), ``svc   | ...`` (docker compose), ``#8 12.345 ``
(a ``docker build`` step's output), ``[default0]:`` (torch elastic), a kubectl time stamp, glog's
``E1212 10:00:00.123456 7 a.cc:1]``, ``ERROR:root:`` (Python logging's default), leading spaces of a pasted
traceback, a ``【BUG】：`` tag, ``grep -rn``'s ``plog/plog-1.log:14:`` before each line it found,
and CANN 8's ``EI0006: [PID: 1234] 2025-...-10:00:00.123.456 Getting socket ...`` where the process id and
time sit between the code and the message (or ahead of both: ``[PID: 1234] 2025-... AclNN_Parameter_Error(EZ1001):
...``). Rules and the unknown-error fallback read :func:`key_text`, so
one rule matches every wrapping; what users see is the line as it was written.
"""

from __future__ import annotations

import re
from typing import Optional, Sequence, Tuple

MAX_PREFIXES = 4
"""Wrappings removed at most (a rank prefix around a vLLM prefix around a tag ...)."""

_WRAPPERS = (
    re.compile(r"(?:\^\[|\[)?\[[0-9;]{1,12}m"),  # a colour code pasted as text: ^[[36m, [[36m
    re.compile(r"[\w./-]{1,200}\.(?:log|txt|out|err):(?:\d+:|(?=\[))"),  # grep -rn over log files: plog/x.log:14:[ERROR] ...
    re.compile(r"\[rank\s?\d+\]:\s?"),  # torchrun / msrun: [rank0]: ...
    re.compile(r"\[default\d+\]:\s?"),  # torch elastic's --tee / log_dir: [default0]: ...
    re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d) "),  # kubectl logs --timestamps
    re.compile(r"[IWEF]\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ [\w./-]+:\d+\] "),  # glog (Ray, gRPC): E1212 10:00:00.123456 7 a.cc:1]
    re.compile(r"(?:CRITICAL|ERROR|WARNING|INFO|DEBUG):[\w.-]*:(?=\S)"),  # Python logging's default: ERROR:root:...
    re.compile(r"\((?:\w+ )?(?:rank|pid)=\d+[^)]{0,60}\)\s?"),  # vLLM: (VllmWorker rank=0 pid=123)
    re.compile(r"\[Stage-\d+\]\s?"),  # vLLM-Omni's stage of a multi-stage pipeline: [Stage-1] ERROR 04-18 ...
    # vLLM: ERROR 12-01 10:00:00 [core.py:123] ...; before 0.8 without the opening bracket: ... worker_base.py:593]
    re.compile(r"(?:ERROR|WARNING|INFO|DEBUG|CRITICAL) \d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? "
               r"(?:\[[^\]]{0,80}|[\w./-]{1,80}:\d+)\] "),
    re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[.,]\d+)? \| ?\w+\s*\| [^|]{0,120}\| ?"),  # loguru
    re.compile(r"[\w.-]{1,64}\s+\| (?=\S)"),  # docker compose: service   | ...
    re.compile(r"【[^】]{1,16}】\s?[:：]?\s?"),  # a pasted tag: 【BUG】：
    re.compile(r"Error:(?=[A-Z]\w*(?:Error|Exception)\b)"),  # Error:RuntimeError: ...
    re.compile(r"\[PID: ?\d+\] \d{4}-\d\d-\d\d-\d\d:\d\d:\d\d(?:\.\d+)* "),  # CANN 8: [PID: 1] 2025-..-10:00:00.1.2 X_Error(EZ1001): ...
    re.compile(r"#\d{1,4} \d{1,6}\.\d{2,3} "),  # docker build's plain progress: #8 12.345 error: ...
)
_CANN8 = re.compile(r"\b([EW][0-9A-Z]\d{4}):? ?\[PID: ?\d+\] \d{4}-\d\d-\d\d-\d\d:\d\d:\d\d(?:\.\d+)*(?: \(\1\))?:? +")
"""CANN 8: ``EI0006: [PID: 1234] 2025-04-08-18:07:20.444.436 message`` (also ``EE9999[PID: ..] ... (EE9999): ``)."""


_ANY_WRAPPER = re.compile("|".join(f"(?:{wrapper.pattern})" for wrapper in _WRAPPERS))
"""One pass over every wrapping: most lines have none, and one failed match is cheaper than seven."""


_MARKDOWN_ESCAPE = re.compile(r"\\([\[\]\-*_#>+|`!(){}.])")
"""A backslash before punctuation in a post's Markdown source (a backslash before ``- Ascend Error Message:``
or before each bracket of ``[ERROR]``)."""


def key_text(text: str) -> str:
    """``text`` without its wrappings, for matching (at most :data:`MAX_PREFIXES` removed). A line pasted from a
    post's Markdown source (it starts with a backslash before ``-`` or ``[``) is read with its escapes undone."""
    line = text.strip()
    if line[:1] == "\\" and _MARKDOWN_ESCAPE.match(line):
        line = _MARKDOWN_ESCAPE.sub(r"\1", line)
    if "[PID:" in line:
        line = _CANN8.sub(lambda found: found.group(1) + ": ", line)
    for _ in range(MAX_PREFIXES):
        found = _ANY_WRAPPER.match(line)
        if found is None or found.end() >= len(line):
            break
        line = line[found.end():].lstrip()
    return line



_QUIET = ("[WARNING]", "[INFO]", "[DEBUG]", "[EVENT]", "[TRACE]", " - WARNING - ", " - INFO - ", " - DEBUG - ")
_QUIET_WRAPPED = re.compile(r"(?:^|\) |^\[Stage-\d+\] )(?:WARNING|INFO|DEBUG) \d\d-\d\d |"
                            r"\| ?(?:WARNING|INFO|DEBUG|SUCCESS)\s*\||"
                            r"^(?:\[default\d+\]:\s?)?(?:WARNING|INFO|DEBUG):[\w.-]*:|^[IW]\d{4} \d\d:\d\d:\d\d\.\d{6} |"
                            r"^(?:\[rank\s?\d+\]:\s?)?\[[IW]\d{3,4} \d\d:\d\d:\d\d\.\d{6,9} |"
                            r"(?:^|\s)level=(?:info|debug|trace|warn|warning)\b|"
                            r"\"level\": ?\"(?:info|debug|trace|warn|warning)\"")
"""vLLM (``INFO 12-01 10:00:00 [x.py:1]``, after vLLM-Omni's ``[Stage-1]`` too), loguru (``| INFO     |``), Python
logging's default format (``WARNING:root:``), glog (``W1212 10:00:00.123456``) and PyTorch c10 (``[rank0]:[W731 07:57:56.838912403
file:335]``), and Go's logrus and JSON loggers (``time="..." level=info msg="..."``, ``{"level":"warn",...}``: device
plugins, container runtimes) levels below ERROR."""


def quiet_level(text: str) -> bool:
    """The line is logged at WARNING level or below (MindSpore/CANN, MindFormers, vLLM, loguru formats; CANN's
    plog also writes EVENT and TRACE lines, state changes such as GE's [status:INIT]): it reports no failure of
    its own."""
    head = text[:120]
    return any(marker in head for marker in _QUIET) or _QUIET_WRAPPED.search(head) is not None


_RANK_PREFIX = re.compile(r"\s*\[rank\s?(\d{1,6})\]:|\s*\(\w* ?rank=(\d{1,6})\b")


def line_rank(text: str) -> Optional[int]:
    """The rank a launcher's prefix names (``[rank3]: ...``, ``(VllmWorker rank=3 pid=9) ...``), else None:
    one file holding every rank's output (torchrun, vLLM) still says which rank failed."""
    found = _RANK_PREFIX.match(text)
    if found is None:
        return None
    return int(found.group(1) or found.group(2))


CANN_CODE = re.compile(r"(?<![\w=])[EW][0-9A-Z]\d{4}(?!\w)")
"""A CANN error-manager code standing as a word (as :data:`~mindpilot.validators.kb.matcher.CODE_IN_LINE`)."""
CODE_HEAD_REACH = 40
"""Characters from the start of a line's message within which a code is the line's subject."""


def code_at_head(key: str, reach: int = CODE_HEAD_REACH) -> "Optional[re.Match[str]]":
    """CANN's error-manager code standing as a word within ``reach`` characters of a message's start, or None."""
    return CANN_CODE.search(key, 0, reach + 6)


_SAYS_NOTHING = re.compile(r"(?i)inner error|contact support engineer|^\W*$")
"""What a code's message says when it says nothing of its own (``EE9999: Inner Error!``). A code line that says
what timed out (``EI0006: Getting socket times out. Reason: Remote Rank did not send the data in time``) under the
exception raised for it says why that call failed: it is the detail."""
_WRAPS_A_CODE = re.compile(r"error code is -?\d+|function error|ret ?\[-?\d+\]|Run task error|refer to|"
                           r"Error Message|[Ii]nner [Ee]rror|CANN error|PTA call acl api failed|error_code|"
                           r"error in: [\w./-]+:\d+\s*$")
"""An exception that only carries a return code or points at CANN's message (torch_npu's ``NPU function error:
..., error code is 507015``, its ProcessGroupHCCL's ``HCCL error in: file.cpp:64``, MindSpore's ``Run task error!`` /
``The details refer to 'Ascend Error Message'``)."""
_REFERRED = re.compile(r"""(?i)refer to ['"]([^'"]{3,60})['"]""")
"""An error that sends the reader to a section of its own message (MindSpore: ``For details, please refer to
"Device load error message"``, ``The details refer to 'Ascend Error Message'``)."""
_NOT_A_MESSAGE = ("File \"", "Traceback (most recent call last)", "----", "[bt]", "Call Stack", "at ")
_PYDANTIC_DETAIL = re.compile(r"\[type=\w+")
"""pydantic's line for one error of a ValidationError: ``  Value error, ... [type=value_error, input_value=...``."""


WRAPPED_AT = 60
"""Characters from which a line that stops mid-sentence may have been wrapped by the terminal or the paste."""


def continuation(text: str, following: Sequence[str]) -> str:
    """The rest of a message wrapped onto the next line (``... must be less than or equal to the number`` /
    ``of visible devices (0).``), or "": the next line starts in lower case with no wrapping of its own,
    after a long line that stops mid-sentence."""
    if not following or len(text) < WRAPPED_AT or text.rstrip()[-1:] in ".:!?;)]}\"'":
        return ""
    nxt = following[0]
    if not nxt[:1].islower() or not nxt[:1].isascii() or key_text(nxt) != nxt.strip():
        return ""
    return nxt.strip()[:MAX_CONTINUATION]


MAX_CONTINUATION = 300
"""Characters of a wrapped continuation kept."""


_ACL_MESSAGE = re.compile(r"\[Error\]: ?[A-Z]\w*")
"""torch_npu's line for the runtime's own message after the return code it raised (``[Error]: The vector core
execution is abnormal.``)."""


def wraps_a_code(text: str) -> bool:
    """Whether an error's line only carries a return code (``NPU function error: ..., error code is 507035``):
    the line that says what the code means follows it."""
    return _WRAPS_A_CODE.search(text) is not None


def refers_to_details(text: str) -> bool:
    """Whether an error's line sends the reader to a section of its message (``... refer to 'X'``)."""
    return _REFERRED.search(text) is not None


def detail_line(root_text: str, following: Sequence[Tuple[int, str]]) -> Optional[Tuple[int, str]]:
    """The line among ``following`` (numbered lines after an unknown error whose message is ``root_text``)
    that says what the error means, or None when the error's own line is the best.

    * CANN's code line with a message of its own, after an error that only wraps a return code: torch_npu's
      and MindSpore's exceptions carry an ACL return code, and CANN's ``EE1001: The argument is invalid.
      Reason: ...`` follows (after ``EZ9999: Inner Error!``, which says nothing). An exception with a message
      of its own stays the key line. A code line whose message starts on the next line
      (``AclNN_Parameter_Error(EZ1001):``) hands over to that line; so does an exception whose message, on
      the line under it, only carries a return code;
    * CANN runtime's ``rtX execute failed, reason=...`` line under such an error, when no code line with a
      message of its own came first (a paste that kept the runtime's lines and not the code's);
    * the first line of the section of the message the error refers to (MindSpore's ``- Device load error
      message:``);
    * pydantic's line for the error a ``ValidationError: 1 validation error for X`` announces;
    * the first cause under ``Caused by:`` (Rust's anyhow prints a program's error so: ``Error: failed to build
      X`` / ``Caused by:`` / ``    failed to create HTTP listener: Address already in use``);
    * the next line with a message when the error's line only announces one: it ends with a colon
      (``CMake Error at x (message):``) or is a banner of tags (``///----[ERROR][Triton][BEG]----``); further
      announcements in between (``[ConvertLinalgRToBinary] encounters error:``) are passed over.
    """
    pydantic = "validation error" in root_text
    exception = EXCEPTION_LINE.match(key_text(root_text)) is not None
    """An exception whose message goes on under it (torch_npu's ``RuntimeError: op:...:415`` over ``NPU function
    error: call aclnnX failed,`` / ``error code is 561002``): its next line may only carry a return code too."""
    wrapper = wraps_a_code(root_text)
    opened = announces(root_text) or only_a_place(root_text)
    """The next line with a message is the detail (the root only announces one, or a code line opened it)."""
    referred = _REFERRED.search(root_text)
    section = re.compile(r"\s*-\s*" + re.escape(referred.group(1)) + r"\s*:", re.IGNORECASE) if referred else None
    in_section = False
    acl_message: Optional[Tuple[int, str]] = None
    announcement: Optional[Tuple[int, str]] = None
    """The last line under the root that only announced more (``include could not find requested file:``), with
    the path it was about once one followed."""
    first = True
    for number, raw in following:
        key = key_text(raw)
        if key.startswith("Traceback (most recent call last)"):
            break  # another traceback: another error
        if section is None and _ASCEND_SECTION.match(raw):
            wrapper = True  # MindSpore's own section for CANN's account of this exception
            continue
        if key == "Caused by:":
            opened = True  # Rust's anyhow (and Java): the chain of causes under the error, innermost last
            continue
        if first and key:
            first = False
            # CANN's "Inner Error!" right under the exception opens its account of it: the code line with a
            # message of its own below says why (``EI9999: ... hccl fftsplus task timeout occurred ...``).
            wrapper = wrapper or says_nothing_code(key) or (exception and wraps_a_code(key))
        if wrapper and (_named_code_line(key) or runtime_reason(key)):
            return number, raw
        code = code_at_head(key) if wrapper else None
        if wrapper and _ACL_MESSAGE.match(key):
            acl_message = acl_message or (number, raw)  # CANN's code line below it, if any, says why
            continue
        if code is not None:
            message = key[code.end():].lstrip(" :)(")[:200]
            if not _SAYS_NOTHING.search(message):
                return number, raw
            opened = opened or key.rstrip().endswith(":")
            continue
        if (pydantic and _PYDANTIC_DETAIL.search(key)) or (in_section and key and not key.startswith(("---", "==="))):
            return number, raw
        if section is not None and section.match(raw):
            in_section = True
            continue
        if opened and key:
            if key.startswith(_NOT_A_MESSAGE):
                break
            found, announcement = _under_an_announcement(number, raw, key, announcement)
            if found is not None:
                return found
    return acl_message or _announced_path(announcement)


def _under_an_announcement(number: int, raw: str, key: str, announcement: Optional[Tuple[int, str]]
                           ) -> Tuple[Optional[Tuple[int, str]], Optional[Tuple[int, str]]]:
    """One line under a root that announced its message: (the line, when it is the message; the last
    announcement so far, with the path it was about when this line is only a path)."""
    if _ONLY_A_PATH.fullmatch(key):
        # What the announcement above was about (a library, a file): the message, if any, follows.
        if announcement is not None:
            announcement = (announcement[0], f"{announcement[1].rstrip()} {key}")
        return None, announcement
    if not announces(key):
        return (number, raw), announcement
    return None, (number, raw)


def _announced_path(announcement: Optional[Tuple[int, str]]) -> Optional[Tuple[int, str]]:
    """An announcement whose object is a path, with nothing after them (``include could not find requested file:``
    over the file's path): the two say it; else None."""
    return announcement if announcement is not None and not announces(announcement[1]) else None


_RUNTIME_REASON = re.compile(r"\b(?:execute|execution) failed, reason=")
"""CANN runtime's line for the call that failed and why (``rtSetDevice execution failed, reason=device retain
error``, ``rtMemcpy2d execute failed, reason=[driver error:feature not support]``): under an error that only
carries a return code, it says what the code meant here, with or without the code line CANN puts above it."""


def runtime_reason(text: str) -> bool:
    """Whether a line is CANN runtime's ``rtX execute failed, reason=...`` for a call that failed."""
    return _RUNTIME_REASON.search(text) is not None


CANN_TRACEBACK_HEAD = "TraceBack (most recent call last)"
"""CANN's header for the calls under an error code (a capital B, unlike Python's)."""
ACCOUNT_REACH = 8
"""Lines under an error read for the ``TraceBack`` of CANN's account of it."""


def first_traceback_call(following: Sequence[Tuple[int, str]]) -> Optional[Tuple[int, str]]:
    """The first call under the ``TraceBack (most recent call last):`` of CANN's account right under an error
    (``EZ1001: ... LaunchAicore failed`` / ``TraceBack ...`` / ``Cannot find bin of op X, integral key ...``):
    CANN lists the calls innermost first, so it says where the failure began; or None (an empty line, another
    Python traceback or the end of :data:`ACCOUNT_REACH` lines first)."""
    after_head = False
    for number, raw in following[:ACCOUNT_REACH]:
        key = key_text(raw).lstrip("*> ")
        if not key or key.startswith(("Traceback (most recent call last)", "File \"")):
            return None
        if after_head:
            return number, raw
        after_head = key.startswith(CANN_TRACEBACK_HEAD)
    return None


_ONLY_A_PATH = re.compile(r"(?:[A-Za-z]:)?[~.]{0,2}(?:/[\w.+~@-]+){2,}/?")
"""A line that is only a file's path (the library a loader could not open, the file CMake could not include): the
object of the message above it, saying nothing itself."""


_BANNER = re.compile(r"[\W_]*(?:\[[^\]]{0,40}\][\W_]*)+|[\W_]{3,}")
"""A line of tags and rules only (``///------------------[ERROR][Triton][BEG]------------------``): it frames
a message and says nothing itself."""


_ASCEND_SECTION = re.compile(r"\s*\\?-\s*Ascend Error Message\s*:", re.IGNORECASE)
"""MindSpore's section of an exception's message that holds CANN's own lines (``- Ascend Error Message:``)."""


_TYPED_CODE = re.compile(r"(?P<type>[A-Z][A-Za-z]*(?:_[A-Za-z]+)+)\([EW][0-9A-Z]\d{4}\)\s*")
"""CANN 8's error-manager line with no message after it, its type saying what failed
(``Inner_Error_Device_Subprocess_Startup_Timeout(E39007)``, the causes on the lines below)."""


def _named_code_line(key: str) -> bool:
    """Whether a line is CANN's code line whose type name alone says what failed (more than ``Inner_Error``)."""
    found = _TYPED_CODE.fullmatch(key)
    return found is not None and bool(re.sub(r"^Inner_Error_?", "", found.group("type")))


def ascend_section(line: str) -> bool:
    """Whether a line opens MindSpore's section of an exception's message that holds CANN's own account of it
    (``- Ascend Error Message:``)."""
    return _ASCEND_SECTION.match(line) is not None


def says_nothing_code(key: str) -> bool:
    """Whether a line (its message) is a CANN code line that says nothing of its own (``EI9999: Inner Error!``)."""
    code = CANN_CODE.match(key)
    return code is not None and _SAYS_NOTHING.search(key[code.end():].lstrip(" :)(")[:200]) is not None


_ONLY_A_PLACE = re.compile(r"(?:[A-Za-z_][\w.]*\.)?[A-Z]\w*(?:Error|Exception) ?: ?(?:[\w:~]{1,120}:)?"
                           r"[\w./-]{1,300}\.(?:cpp|cc|cxx|c|hpp|h|py):\d+\s*")
"""An exception whose message is only the place that raised it (torch_npu's ``RuntimeError:
createHCCLCommOrigin:torch_npu/csrc/distributed/ProcessGroupHCCL.cpp:2314``, its message printed on the next
line: ``HCCL function error: HcclGetRootInfo(&hcclID), error code is 6``)."""


def only_a_place(text: str) -> bool:
    """Whether an exception's message is only the function, file and line that raised it: what went wrong is
    on the next line."""
    return _ONLY_A_PLACE.fullmatch(key_text(text)) is not None


def announces(text: str) -> bool:
    """The line only announces a message on the lines after it: it ends with a colon, or it is a banner."""
    key = key_text(text).rstrip()
    return key.endswith((":", "：")) or _BANNER.fullmatch(key) is not None


EXCEPTION_LINE = re.compile(r"(?:[A-Za-z_][\w.]*\.)?[A-Z]\w*(?:Error|Exception)(?:\b|\()")
"""A line that is an exception (``RuntimeError: ...``, ``pkg.mod.FooError(...)``)."""
TRACEBACK_BODY = ("File \"", "Traceback (most recent call last)", "During handling", "The above exception")
"""How the lines of a Python traceback's body start (not its closing exception line)."""
