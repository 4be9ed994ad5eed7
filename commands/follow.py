"""Following a job's events until it ends: what ``launch`` does after the start and ``attach`` does later.

A helper of those two commands, not a command itself.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

from mindpilot.commands.output import message, words
from mindpilot.exit_codes import ExitCode


def follow(job_id: str, view: Any, lang: str, stop_on_interrupt: bool, from_start: bool = True,
           secrets: Sequence[str] = ()) -> ExitCode:
    """Print a job's events until it ends; the exit code follows the job (shared with ``attach``)."""
    from mindpilot.launch.events import ExitEvent
    from mindpilot.launch.runner import stop_job, watch_job

    code: Optional[int] = None
    status = "lost"
    try:
        for event in watch_job(job_id, lang=lang, lines=view.lines, from_start=from_start, secrets=secrets):
            view.emit(event)
            if isinstance(event, ExitEvent):
                code, status = event.code, event.status
    except KeyboardInterrupt:
        if stop_on_interrupt:
            message(words("follow.stopping", lang, job=job_id))
            left = stop_job(job_id)
            if left:
                pids = " ".join(map(str, left))
                message(words("follow.still_alive", lang, pids=pids))
        else:
            message(words("follow.detached", lang, job=job_id))
        return ExitCode.INTERRUPTED
    return ExitCode.OK if status == "succeeded" and code == 0 else ExitCode.LAUNCH_FAILED
