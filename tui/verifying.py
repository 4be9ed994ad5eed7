"""The Plan step's ``v``: MindSpore's DryRun of the YAML in the field, as status and detail texts for the screen.

A thin adapter over :mod:`mindpilot.launch.dryrun_run` (the iterator ``check --dryrun`` follows too): the host
check, the job, its progress lines, and each stage's verdict, in the user's language.
"""

from __future__ import annotations

import shlex
from typing import Any, Callable, Iterator

from mindpilot.tui.labels import label


def dryrun_updates(session: Any, path: str, stop: Callable[[], bool]) -> Iterator[tuple[str, str]]:
    """``("status", text)`` for each rank's progress and the verdict, ``("detail", text)`` with every stage's
    finding; a refusal (no CANN, no checkout, a PyNative YAML) or a job that cannot start is one status."""
    from mindpilot.launch.dryrun_run import follow_dryrun, prepare_dryrun
    from mindpilot.tui.acquiring import stack
    from mindpilot.validators.dryrun import MARK

    lang = session.lang
    hbm = session.hbm_gb or session.env_hbm_gb()
    again = f"mindpilot plan --verify {shlex.quote(path)} --cards {session.cards or 'N'} --checkout <mindformers checkout>"
    try:
        prepared = prepare_dryrun(path, None, stack(session).mindformers_dir, hbm or 64.0, lang, again)
        for kind, payload in follow_dryrun(prepared, lang, hbm, stop=stop):
            if kind == "text":
                progress = [line for line in payload.splitlines() if line.startswith(MARK)]
                if progress:
                    yield "status", progress[-1][len(MARK):].strip()
            elif kind == "done":
                report, findings = payload
                yield "status", label("plan_verify_fits" if report.fits() else "plan_verify_over", lang,
                                      job=report.job)
                yield "detail", "\n".join(finding.title for finding in findings)
    except Exception as exc:  # no CANN, no checkout, a PyNative YAML, the job could not start: say it
        yield "status", (label("plan_verify_no_cann", lang, again=again) if getattr(exc, "environment", False)
                         else str(exc))
