"""Findings in the formats CI systems read: JUnit XML, SARIF 2.1.0 and GitHub Actions annotations.

GitLab and Jenkins show JUnit XML as test results, GitHub code scanning reads SARIF, and a GitHub
Actions step that prints ``::error file=...,line=...::message`` puts the message on that line of the
diff. ``check``, ``diagnose`` and ``doctor`` pick one of :data:`CI_FORMATS` and pass their findings
here; the renderers know nothing about which command found them. Output is deterministic (no
timestamps, no host names), so the same findings give the same bytes. A file under the working directory is
named relative to it (SARIF: a relative ``uri`` with ``uriBaseId`` ``%SRCROOT%``), so an uploaded artifact
points into the repository, not at the runner's disk.
"""

from __future__ import annotations

import copy
import json
import os
import posixpath
from pathlib import PurePath
from typing import Iterable, Optional, Sequence
from urllib.parse import quote

from mindpilot.validators.findings import Finding, Severity

FORMATS = ("text", "json", "junit", "sarif", "github")
"""Every ``--format`` value; ``text`` and ``json`` are the commands' own outputs."""
CI_FORMATS = ("junit", "sarif", "github")
"""The formats rendered here."""
SRCROOT = "%SRCROOT%"
"""The ``uriBaseId`` of relative SARIF locations: the root of the checkout (what GitHub code scanning maps)."""
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_GITHUB_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def render(findings: Sequence[Finding], fmt: str, command: str, version: str = "0",
           base: Optional[str] = None) -> str:
    """``findings`` as ``junit``, ``sarif`` or ``github`` text (ends with a newline unless empty), files under
    ``base`` (default: the working directory) named relative to it."""
    findings = [_relative_to(finding, base) for finding in findings]
    if fmt == "junit":
        return to_junit(findings, command)
    if fmt == "sarif":
        return json.dumps(to_sarif(findings, command, version), ensure_ascii=False, indent=2) + "\n"
    if fmt == "github":
        return to_github(findings)
    raise ValueError(f"unknown CI format {fmt!r}; one of {', '.join(CI_FORMATS)}")


def _working_root(base: Optional[str]) -> Optional[str]:
    """``base`` (default: the working directory) as an absolute path; None when there is none."""
    try:
        return os.path.abspath(base if base is not None else os.getcwd())
    except OSError:  # the working directory is gone
        return None


def relative_path(path: str, base: Optional[str] = None) -> str:
    """``path`` relative to ``base`` (default: the working directory) when it lies under it; else unchanged."""
    root = _working_root(base)
    if root is None or not os.path.isabs(path):
        return path
    absolute = os.path.normpath(path)
    try:
        inside = os.path.commonpath([absolute, root]) == root
    except ValueError:  # paths on different drives
        return path
    return os.path.relpath(absolute, root) if inside and absolute != root else path


def _relative_to(finding: Finding, base: Optional[str]) -> Finding:
    """``finding`` with its file, and every path under ``base`` its texts name, relative to ``base``."""
    root = _working_root(base)
    if root is None or root == os.sep:
        return finding
    prefix = root.rstrip(os.sep) + os.sep
    texts = (finding.title, finding.detail, finding.fix)
    relative = relative_path(finding.file, root) if finding.file else finding.file
    if relative == finding.file and not any(prefix in text for text in texts):
        return finding
    moved = copy.copy(finding)
    moved.file = relative
    # the texts name files as the finding did (a fix command such as `mindpilot check --fix FILE`)
    moved.title, moved.detail, moved.fix = (text.replace(prefix, "") for text in texts)
    return moved


def _message(finding: Finding) -> str:
    parts = [finding.title]
    if finding.detail:
        parts.append(finding.detail)
    if finding.fix:
        parts.append(f"fix: {finding.fix}")
    return "\n".join(parts)


def _where(finding: Finding) -> str:
    if not finding.file:
        return ""
    return f"{finding.file}:{finding.line}" if finding.line else finding.file


# --- JUnit XML ------------------------------------------------------------------------------------------

def to_junit(findings: Sequence[Finding], command: str) -> str:
    """One ``<testsuite>`` named after the command; each finding is a ``<testcase>``.

    An error is a ``<failure>``; a warning or note passes with its text in ``<system-out>`` (JUnit has no
    warning state, and a warning must not fail a pipeline). No findings: one passing test case, so a CI
    report says "1 passed" rather than "no tests".
    """
    from xml.etree import ElementTree  # only this format needs it: `mindpilot --help` stays light

    failures = sum(1 for f in findings if f.severity is Severity.ERROR)
    cases = max(len(findings), 1)
    root = ElementTree.Element("testsuites", name=f"mindpilot {command}", tests=str(cases),
                               failures=str(failures), errors="0", skipped="0")
    suite = ElementTree.SubElement(root, "testsuite", name=f"mindpilot {command}", tests=str(cases),
                                   failures=str(failures), errors="0", skipped="0")
    if not findings:
        ElementTree.SubElement(suite, "testcase", classname=f"mindpilot.{command}", name=f"{command}: no findings")
    for finding in findings:
        where = _where(finding)
        case = ElementTree.SubElement(suite, "testcase", classname=f"mindpilot.{finding.rule}",
                                      name=f"{where}: {finding.title}" if where else finding.title)
        if finding.file:
            case.set("file", finding.file)
            if finding.line:
                case.set("line", str(finding.line))
        if finding.severity is Severity.ERROR:
            failure = ElementTree.SubElement(case, "failure", message=finding.title, type=finding.rule)
            failure.text = _message(finding)
        else:
            out = ElementTree.SubElement(case, "system-out")
            out.text = f"{finding.severity.value}: {_message(finding)}"
    ElementTree.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding="unicode") + "\n"


# --- SARIF 2.1.0 ----------------------------------------------------------------------------------------

def artifact_uri(path: str) -> str:
    """A file path as a SARIF ``artifactLocation.uri``: relative paths stay relative (GitHub maps them to the
    repository), absolute ones become ``file://`` URIs; spaces and non-ASCII are percent-encoded."""
    pure = PurePath(path)
    if pure.is_absolute():
        return "file://" + quote(pure.as_posix())
    return quote(posixpath.normpath(pure.as_posix()))


def to_sarif(findings: Sequence[Finding], command: str, version: str = "0") -> dict:
    """A SARIF 2.1.0 log with one run: the rules that fired (first use order) and one result per finding."""
    rule_ids: dict[str, int] = {}
    rules: list[dict] = []
    for finding in findings:
        if finding.rule not in rule_ids:
            rule_ids[finding.rule] = len(rule_ids)
            rule = {"id": finding.rule, "shortDescription": {"text": finding.title},
                    "defaultConfiguration": {"level": _SARIF_LEVEL[finding.severity]}}
            if finding.fix:
                rule["help"] = {"text": finding.fix}
            rules.append(rule)
    results = []
    for finding in findings:
        result: dict = {"ruleId": finding.rule, "ruleIndex": rule_ids[finding.rule],
                        "level": _SARIF_LEVEL[finding.severity], "message": {"text": _message(finding)}}
        if finding.file:
            uri = artifact_uri(finding.file)
            artifact = {"uri": uri} if uri.startswith("file://") else {"uri": uri, "uriBaseId": SRCROOT}
            location: dict = {"artifactLocation": artifact}
            if finding.line and finding.line >= 1:
                location["region"] = {"startLine": int(finding.line)}
            result["locations"] = [{"physicalLocation": location}]
        results.append(result)
    driver = {"name": "mindpilot", "semanticVersion": version, "rules": rules}
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0",
            "runs": [{"tool": {"driver": driver}, "automationDetails": {"id": f"mindpilot/{command}/"},
                      "results": results}]}


# --- GitHub Actions workflow commands --------------------------------------------------------------------

def escape_data(text: str) -> str:
    """A workflow command's message: ``%``, CR and LF percent-encoded (actions/toolkit ``escapeData``)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value: as :func:`escape_data`, plus ``:`` and ``,``
    (actions/toolkit ``escapeProperty``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotation(finding: Finding) -> str:
    """``::error file=F,line=L,title=T::message`` (``warning`` / ``notice`` for the other severities)."""
    props: list[tuple[str, str]] = []
    if finding.file:
        props.append(("file", finding.file))
        if finding.line:
            props.append(("line", str(finding.line)))
    props.append(("title", f"{finding.rule}: {finding.title}"))
    head = ",".join(f"{key}={escape_property(value)}" for key, value in props)
    return f"::{_GITHUB_COMMAND[finding.severity]} {head}::{escape_data(_message(finding))}"


def to_github(findings: Iterable[Finding]) -> str:
    """One annotation per line."""
    lines = [github_annotation(finding) for finding in findings]
    return "\n".join(lines) + "\n" if lines else ""
