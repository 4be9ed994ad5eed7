"""Where an exception's own words are, when the line found first only points at them.

The unknown-error fallback (:mod:`mindpilot.launch.unsure_root`) finds a line that looks like the failure; often
that line is only a pointer: a quoted ``raise X(...)`` statement (the exception it printed is below), a logged
"Failed to ..." with the traceback of the exception being handled under it, C++'s ``terminate called after
throwing an instance of 'T'`` (the message is on the ``what():`` line), a bare ``AssertionError`` (the quoted
``assert`` statement above says what was asserted), or a message that is only a name (the ``raise`` of the class
that says what went wrong is above it). Each function here reads the lines around such a line and returns the one
that says what happened, or None. Wrappings are removed with :func:`~.keyline.key_text` first.
"""

from __future__ import annotations

import re
from typing import Optional, Sequence, Tuple

from mindpilot.validators.kb.keyline import EXCEPTION_LINE, TRACEBACK_BODY, key_text

_BARE_EXCEPTION_LINE = re.compile(r"(?:[A-Za-z_][\w.]*\.)?[A-Z]\w*(?:Error|Exception) ?:?")
_RAISE_STATEMENT = re.compile(r"raise [A-Z]\w*(?:Error|Exception)\(")
_CARETS = re.compile(r"[\s^~]+")
RAISE_REACH = 3
"""Lines after a quoted ``raise`` statement within which the exception it raised is printed."""


def raised_exception(root_text: str, following: Sequence[Tuple[int, str]]) -> Optional[Tuple[int, str]]:
    """The exception line a quoted ``raise X(...)`` statement printed (``subprocess.CalledProcessError: Command
    ... returned non-zero exit status 215``) among the numbered lines after it, or None: the statement is code,
    the exception's line says what happened."""
    if _RAISE_STATEMENT.match(key_text(root_text)) is None:
        return None
    for number, raw in following[:RAISE_REACH]:
        key = key_text(raw)
        if EXCEPTION_LINE.match(key):
            return number, raw
        if key.startswith(("File \"", "Traceback (most recent call last)")):
            return None
    return None


_BARE_NAME = re.compile(r"[A-Za-z_][\w.:]{0,200}")
"""A message that is only a name (``_C.rotary_embedding.default``: the operator a fake-tensor dispatch could not
run), with no word saying what went wrong."""
_RAISED_CLASS = re.compile(r"raise (?P<type>(?:[A-Za-z_]\w*\.)*[A-Z]\w*(?:Error|Exception))\(")
RAISE_LOOKBACK = 4
"""Lines above an exception line searched for the ``raise`` statement the traceback quotes last."""


def raise_naming_a_bare_message(message: str, above: Sequence[str]) -> Optional[Tuple[int, str]]:
    """For an exception whose message is only a name (torch's ``RuntimeError: Failed running call_function X(...):``
    / ``X.default``, the original exception's message), the ``raise UnsupportedOperatorException(func)`` its
    traceback quotes last, a few lines above: (how many lines above the end of ``above``, the class it raises), or
    None. The class raised says what went wrong; the message only what it went wrong with."""
    if _BARE_NAME.fullmatch(message.strip()) is None:
        return None
    for back in range(1, min(RAISE_LOOKBACK, len(above)) + 1):
        found = _RAISED_CLASS.match(key_text(above[-back]))
        if found is not None:
            return back, found.group("type")
    return None


_TRACEBACK_END = re.compile(r"(?:[A-Za-z_][\w]*\.)*[A-Za-z_]\w*(?::\s|:?$)")
"""The line that ends a Python traceback: the exception's qualified class name, a colon and its message
(``pkg.mod.DCMIError_LibraryNotFound: Library Not Found``), or the bare class name."""


def logged_exception(root_text: str, following: Sequence[Tuple[int, str]]) -> Optional[Tuple[int, str]]:
    """The exception line that ends the traceback printed right under a logged error (Python logging's
    ``logger.exception("Failed to initialize X")`` writes the message, then the traceback of the exception
    being handled), or None: the logged line says what the program was doing, the exception line why it
    failed. A line that is itself an exception, followed by a traceback, is followed by another error."""
    if not following or EXCEPTION_LINE.match(key_text(root_text)):
        return None
    head = following[0][1]
    if not key_text(head).startswith("Traceback (most recent call last)"):
        return None
    indent = len(head) - len(head.lstrip())
    for number, raw in following[1:]:
        key = key_text(raw)
        if not key or len(raw) - len(raw.lstrip()) > indent or key.startswith(TRACEBACK_BODY):
            continue  # the traceback's frames and quoted source lines, indented under its header
        return (number, raw) if _TRACEBACK_END.match(key) else None
    return None


_TERMINATE = re.compile(r"terminate called after throwing an instance of '(?P<type>[^']{1,120})'")
_WHAT = re.compile(r"\s*what\(\):\s*(?P<what>\S.*)")


def terminate_message(root_text: str, following: Sequence[Tuple[int, str]]) -> Optional[Tuple[int, str]]:
    """The ``what():`` line under C++'s ``terminate called after throwing an instance of 'std::length_error'``
    (the exception's message, printed by the terminate handler on the next line) as ``type: message``, or
    None: the type only says what kind of exception ended the process, the message what it was."""
    thrown = _TERMINATE.search(root_text)
    if not following or thrown is None:
        return None
    number, raw = following[0]
    what = _WHAT.match(raw)
    return (number, f"{thrown.group('type')}: {what.group('what').strip()}") if what else None


def failed_statement(root_text: str, above: Sequence[str]) -> Optional[Tuple[int, str]]:
    """For an exception with no message (a bare ``AssertionError``), the source line the traceback quotes just
    above it (``assert isinstance(device, torch.device)``) and how many lines above it sits, or None: that
    statement is all the exception says."""
    if _BARE_EXCEPTION_LINE.fullmatch(key_text(root_text)) is None:
        return None
    back = 1
    while back < len(above) and _CARETS.fullmatch(key_text(above[-back]) or " "):
        back += 1  # Python 3.11's ^^^^ markers under the statement
    if back >= len(above) or not key_text(above[-back - 1]).startswith("File \""):
        return None
    statement = above[-back]
    return (back, statement) if key_text(statement) else None
