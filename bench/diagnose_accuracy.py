"""How often ``diagnose`` names the stated cause of real, public error logs (tests/data/real/).

Each case of ``tests/data/real/index.yaml`` is a log posted in a public issue thread or printed on a
vendor's troubleshooting page, with the cause its maintainers or the page state and the words a right
answer must contain. This runs the same analysis as ``mindpilot diagnose LOG`` on every case and prints,
for one half of the corpus:

* top-1: the answer shown first (the root cause) contains the expected words;
* right-but-lower: it does not, but a finding listed after it does;
* wrong: a confident root cause (``root_cause.confidence`` is ``confident``: a rule that names the cause, not
  a catch-all, a code's general meaning or the unknown-error fallback) that contains neither;
* unsure: only unsure findings, none of them right;
* nothing: no finding at all;
* key-line-shown: the first finding points at (or quotes, see ``also_line``) a line that holds the clue (independent of the above);
* top1-not-certain: top-1 answers said as likely or unsure (a catch-all that happened to fit), not as the cause.

The halves were assigned before any rule was written (:func:`assign_halves`): rules are tuned on the
``tune`` half; ``--heldout`` measures the other half, to be read only at the end. ``--fresh`` measures
logs collected after the rules were written (tests/data/real/fresh/), outside the split. ``--holdout2``
measures a second held-out set (tests/data/real/holdout2/), collected once the first held-out half and the
fresh set had become tuning material; it is read once, at the end. ``--holdout3`` measures a third held-out set
(every ``tests/data/real/holdout3/*/index.yaml``: one folder per collector), collected once every earlier set
had become tuning material; it too is read once, at the end. ``--holdout4`` measures a fourth held-out set
(every ``tests/data/real/holdout4/*/index.yaml``), collected the same way once the third had become tuning material.
``--holdout5`` measures a fifth (every ``tests/data/real/holdout5/*/index.yaml``), collected once the fourth had
become tuning material, from issue threads and forum and blog posts. ``--holdout6`` measures a sixth (every
``tests/data/real/holdout6/*/index.yaml``: three collectors, ``ms``, ``torch`` and ``web``), collected the same way
once the fifth had become tuning material. ``--holdout7`` measures a seventh (every
``tests/data/real/holdout7/*/index.yaml``), collected the same way once the sixth had become tuning material, and
``--holdout8`` an eighth (every ``tests/data/real/holdout8/*/index.yaml``), once the seventh had, ``--holdout9`` a
ninth, once the eighth had, and ``--holdout10`` a tenth, once the ninth had. A set whose folder is missing measures as zero cases.

    .venv/bin/python bench/diagnose_accuracy.py
        [--heldout | --fresh | --holdout2 | ... | --holdout10 | --all] [--verbose] [--json]
        [--rules all|none|catch-alls]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from typing import Optional
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "real"
FRESH = CORPUS / "fresh" / "index.yaml"
"""Logs collected after the rules were written, measured once (``--fresh``); not part of the hash split."""
HOLDOUT2 = CORPUS / "holdout2" / "index.yaml"
"""A second held-out set, collected after the first measures were used up (``--holdout2``); outside the split."""
HOLDOUT3 = CORPUS / "holdout3"
"""A third held-out set (``--holdout3``), one sub-folder with its own index.yaml per collector; outside the split."""
HOLDOUT4 = CORPUS / "holdout4"
"""A fourth held-out set (``--holdout4``), laid out as the third; outside the split."""
HOLDOUT5 = CORPUS / "holdout5"
"""A fifth held-out set (``--holdout5``), laid out as the third, with forum and blog posts too; outside the split."""
HOLDOUT6 = CORPUS / "holdout6"
"""A sixth held-out set (``--holdout6``), laid out as the fifth, from three collectors; outside the split."""
HOLDOUT7 = CORPUS / "holdout7"
"""A seventh held-out set (``--holdout7``), laid out as the sixth; outside the split."""
HOLDOUT8 = CORPUS / "holdout8"
"""An eighth held-out set (``--holdout8``), laid out as the sixth; outside the split."""
HOLDOUT9 = CORPUS / "holdout9"
"""A ninth held-out set (``--holdout9``), laid out as the sixth; outside the split."""
HOLDOUT10 = CORPUS / "holdout10"
"""A tenth held-out set (``--holdout10``), laid out as the sixth; outside the split."""
OUTCOMES = ("top1", "lower", "wrong", "unsure", "nothing")
"""Each case lands in exactly one of these, in this order of precedence."""


@dataclass
class Case:
    """One real log and what a right answer says."""

    id: str
    source: str
    family: str
    cause: str
    expect: list[list[str]]
    key: str
    half: str = ""
    extra: dict[str, object] = field(default_factory=dict)
    folder: Path = CORPUS

    @property
    def log(self) -> Path:
        return self.folder / f"{self.id}.log"


@dataclass
class Result:
    """What diagnose said about one case."""

    case: Case
    outcome: str
    key_line_shown: bool
    rule: Optional[str] = None
    line: Optional[int] = None
    confidence: Optional[str] = None
    """The root cause's ``confidence`` (None without a root cause)."""


def load_cases(index: Path = CORPUS / "index.yaml") -> list[Case]:
    """The corpus, as written in its index."""
    import yaml

    cases = []
    for entry in yaml.safe_load(index.read_text(encoding="utf-8"))["cases"]:
        known = {name: entry.pop(name) for name in ("id", "source", "family", "cause", "expect", "key")}
        cases.append(Case(**known, half=entry.pop("half", ""), extra=entry, folder=index.parent))
    return cases


def collector_indexes(folder: Path) -> list[Path]:
    """Every index of a held-out set kept one sub-folder per collector (the third and later), in name order;
    none while the set's folder does not exist yet."""
    if not folder.is_dir():
        return []
    return sorted(folder.glob("*/index.yaml"))


def load_collected(folder: Path) -> list[Case]:
    """A held-out set kept one sub-folder per collector: the cases of all its indexes together."""
    return [case for index in collector_indexes(folder) for case in load_cases(index)]


def assign_halves(cases: Sequence[Case]) -> dict[str, str]:
    """``tune`` or ``heldout`` for each case id, decided by hashes alone (no look at any log).

    Cases that share a source (one thread, one documentation section) share a half, so a rule tuned on one
    post cannot meet its twin in the held-out half. Within each family (a source's family is the first,
    alphabetically, of its cases' families) sources go in sha256 order, alternating halves and starting with the half that is smaller so
    far, so that both halves hold every family that has two sources or more.
    """
    sources: dict[str, list[Case]] = {}
    for case in cases:
        sources.setdefault(case.source, []).append(case)
    families: dict[str, list[str]] = {}
    for source, members in sources.items():
        families.setdefault(min(case.family for case in members), []).append(source)
    sizes = {"tune": 0, "heldout": 0}
    halves: dict[str, str] = {}
    for family in sorted(families):
        ordered = sorted(families[family], key=lambda src: hashlib.sha256(src.encode()).hexdigest())
        half = "tune" if sizes["tune"] <= sizes["heldout"] else "heldout"
        for source in ordered:
            for case in sources[source]:
                halves[case.id] = half
            sizes[half] += len(sources[source])
            half = "heldout" if half == "tune" else "tune"
    return halves


def matches(text: str, expect: Sequence[Sequence[str]]) -> bool:
    """Whether ``text`` holds every word of at least one alternative (case-insensitive)."""
    lowered = text.lower()
    return any(all(word.lower() in lowered for word in alternative) for alternative in expect)


def answer_text(finding, log_lines: Sequence[str] = ()) -> str:
    """A finding's own words: title, cause and fix, without the log text it quotes (quoting the line that
    holds the clue is not naming the cause, nor is the file's name)."""
    text = "\n".join((finding.title or "", finding.detail or "", finding.fix or ""))
    quoted = [getattr(finding, "matched", None), getattr(finding, "text", None), finding.file, *log_lines]
    for piece in sorted((q.strip() for q in quoted if isinstance(q, str)), key=len, reverse=True):
        if len(piece) > 8 and piece in text:
            text = text.replace(piece, " ")
    return text


def is_unsure(report) -> bool:
    """The report does not claim to know the cause: no root cause, or one whose ``confidence`` (the field the
    text heading and ``--json`` show) is not ``confident`` (a catch-all, a code's general meaning, the line
    that most looks like the failure)."""
    from mindpilot.validators.kb.report import CONFIDENT

    return report.root_cause is None or report.root_cause.confidence != CONFIDENT


def judge(case: Case, report) -> Result:
    """Sort one report into an outcome."""
    # The answer shown first is the first finding that is not a grouped consequence; every other finding
    # (consequences included: the report lists them too) may still be right, lower down.
    findings = sorted(report.findings, key=lambda f: bool(getattr(f, "consequence", False)))
    lines = case.log.read_text(encoding="utf-8").splitlines()
    key_lines = {number for number, line in enumerate(lines, 1) if case.key in line}
    if not findings:
        return Result(case, "nothing", False)
    top = findings[0]
    # The lines the finding quotes: its own, and the failed call under CANN's TraceBack it quotes too.
    shown = top.line in key_lines or getattr(top, "also_line", None) in key_lines
    if matches(answer_text(top, lines), case.expect):
        outcome = "top1"
    elif any(matches(answer_text(other, lines), case.expect) for other in findings[1:]):
        outcome = "lower"
    elif not is_unsure(report):
        outcome = "wrong"
    else:
        outcome = "unsure"
    confidence = report.root_cause.confidence if report.root_cause is not None else None
    return Result(case, outcome, shown, rule=top.rule, line=top.line, confidence=confidence)


RULE_SETS = ("all", "none", "catch-alls")
"""``--rules``: every rule; none (the engine alone: the unsure fallback on every case); or, per case, the
knowledge base less the specific rules that hit it (catch-alls and consequences stay): the case as a log whose
message no rule knows meets the engine, for the key line when the rules do not carry over."""


def run(cases: Sequence[Case], lang: str = "en", rules: str = "all") -> list[Result]:
    """Diagnose every case as the CLI does (one log file per run), with the rules of ``rules``."""
    from mindpilot.launch.router import analyse
    from mindpilot.validators.kb import knowledge

    if rules == "all":
        return [judge(case, analyse([str(case.log)], lang)) for case in cases]
    full = knowledge.load_kb_for_logs()
    results = []
    for case in cases:
        if rules == "none":
            kept = {}
        else:
            hit = _rules_hitting(case, full, lang)
            kept = {key: rule for key, rule in full.rules.items()
                    if key not in hit or rule.generic or rule.consequence}
        with _knowledge(knowledge.KnowledgeBase(kept, full.stages, coded=full.coded if kept else None)):
            results.append(judge(case, analyse([str(case.log)], lang)))
    return results


def _rules_hitting(case: Case, kb, lang: str) -> set:
    """Ids of the rules whose patterns hit the case's log."""
    from mindpilot.validators.kb.diagnose import diagnose_paths

    with _knowledge(kb):
        report = diagnose_paths([str(case.log)], lang, kb=kb)
    return {finding.rule for finding in report.findings}


class _knowledge:
    """Every reader of the shipped knowledge base reads ``kb`` while inside."""

    def __init__(self, kb) -> None:
        from mindpilot.validators import kb as package
        from mindpilot.validators.kb import diagnose, knowledge

        self.kb = kb
        self.places = [(knowledge, "load_kb_for_logs"), (diagnose, "load_kb_for_logs"), (package, "load_kb")]
        self.saved: list = []

    def __enter__(self) -> None:
        self.saved = [getattr(module, name) for module, name in self.places]
        for module, name in self.places:
            setattr(module, name, lambda kb=self.kb: kb)

    def __exit__(self, *exc) -> None:
        for (module, name), value in zip(self.places, self.saved):
            setattr(module, name, value)


def summary(results: Sequence[Result]) -> dict[str, object]:
    """Counts and shares of each outcome, and of key-line-shown."""
    total = len(results)
    counts = {name: sum(1 for r in results if r.outcome == name) for name in OUTCOMES}
    counts["key_line_shown"] = sum(1 for r in results if r.key_line_shown)
    counts["top1_not_certain"] = sum(1 for r in results if r.outcome == "top1" and r.confidence != "confident")
    return {"cases": total, **counts,
            "shares": {name: round(100.0 * value / total, 1) if total else 0.0 for name, value in counts.items()}}


def _print(title: str, results: Sequence[Result], verbose: bool) -> None:
    figures = summary(results)
    shares = figures["shares"]
    print(f"{title}: {figures['cases']} cases")
    for name in OUTCOMES + ("key_line_shown", "top1_not_certain"):
        print(f"  {name:<15} {figures[name]:>3}  {shares[name]:5.1f}%")
    if verbose:
        for result in results:
            print(f"    {result.outcome:<7} {'K' if result.key_line_shown else '-'} "
                  f"{(result.confidence or '')[:6]:<6} {result.case.id:<48} {result.rule or ''}:{result.line or ''}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--heldout", action="store_true", help="measure the held-out half (read only at the end)")
    which.add_argument("--fresh", action="store_true", help="the set collected after the rules were written")
    which.add_argument("--holdout2", action="store_true", help="the second held-out set (read only at the end)")
    which.add_argument("--holdout3", action="store_true", help="the third held-out set (read only at the end)")
    which.add_argument("--holdout4", action="store_true", help="the fourth held-out set (read only at the end)")
    which.add_argument("--holdout5", action="store_true", help="the fifth held-out set (read only at the end)")
    which.add_argument("--holdout6", action="store_true", help="the sixth held-out set (read only at the end)")
    which.add_argument("--holdout7", action="store_true", help="the seventh held-out set (read only at the end)")
    which.add_argument("--holdout8", action="store_true", help="the eighth held-out set (read only at the end)")
    which.add_argument("--holdout9", action="store_true", help="the ninth held-out set (read only at the end)")
    which.add_argument("--holdout10", action="store_true", help="the tenth held-out set (read only at the end)")
    which.add_argument("--all", action="store_true", help="both halves, each printed apart")
    parser.add_argument("--verbose", action="store_true", help="one line per case")
    parser.add_argument("--json", action="store_true", help="figures as JSON")
    parser.add_argument("--rules", choices=RULE_SETS, default="all",
                        help="all (default); none: the engine alone; catch-alls: per case, without the specific "
                             "rules that hit it (how the key line fares on a message no rule knows)")
    args = parser.parse_args(argv)
    cases = load_cases()
    halves = assign_halves(cases)
    stale = [case.id for case in cases if case.half != halves[case.id]]
    if stale:
        print(f"index halves differ from the split for: {', '.join(stale)}", file=sys.stderr)
        return 2
    wanted = ["tune", "heldout"] if args.all else ["heldout" if args.heldout else "tune"]
    if args.fresh:
        cases, wanted = load_cases(FRESH), ["fresh"]
    if args.holdout2:
        cases, wanted = load_cases(HOLDOUT2), ["holdout2"]
    if args.holdout3:
        cases, wanted = load_collected(HOLDOUT3), ["holdout3"]
    if args.holdout4:
        cases, wanted = load_collected(HOLDOUT4), ["holdout4"]
    if args.holdout5:
        cases, wanted = load_collected(HOLDOUT5), ["holdout5"]
    if args.holdout6:
        cases, wanted = load_collected(HOLDOUT6), ["holdout6"]
    if args.holdout7:
        cases, wanted = load_collected(HOLDOUT7), ["holdout7"]
    if args.holdout8:
        cases, wanted = load_collected(HOLDOUT8), ["holdout8"]
    if args.holdout9:
        cases, wanted = load_collected(HOLDOUT9), ["holdout9"]
    if args.holdout10:
        cases, wanted = load_collected(HOLDOUT10), ["holdout10"]
    report = {}
    for half in wanted:
        results = run([case for case in cases if case.half == half], rules=args.rules)
        report[half] = summary(results)
        if not args.json:
            _print(half, results, args.verbose)
    if args.json:
        print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
