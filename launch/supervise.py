"""``python -m mindpilot.launch.supervise JOB_ID``: run msrun for a job and record how it ended.

The launcher starts this process in a session of its own, so neither the launcher dying nor the SSH
session closing reaches it; it starts msrun (in yet another session, so ``stop`` can signal msrun's
group without killing the supervisor), writes msrun's pid into the job record, waits, and writes the
exit status. That is how a detached job still gets an exit code. When the job's record is deleted while
it runs, nothing could follow or stop the job any more: the supervisor then ends every process of it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Optional

import psutil

from mindpilot.launch.job_processes import end_processes, job_processes
from mindpilot.launch.jobs import FAILED, RUNNING, STOPPED, SUCCEEDED, JobRecord, jobs_dir, load_job, update_job


def final_status(code: int, stop_requested: bool) -> str:
    """succeeded for 0; stopped when ``stop`` was asked; failed otherwise."""
    if code == 0:
        return SUCCEEDED
    return STOPPED if stop_requested else FAILED


def supervise(job_id: str) -> int:
    """Run the job's msrun to the end; return its exit code."""
    record = load_job(job_id)
    for sig in (signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, signal.SIG_IGN)
    if record.nodes:
        from mindpilot.launch.multinode import supervise_nodes

        code = supervise_nodes(job_id)
        if not record_exists(job_id):  # orphaned: the nodes were signalled; end what they left here
            end_processes(job_processes(record), 5.0)
            return code
        return _finish(job_id, code)
    record.msrun_log.parent.mkdir(parents=True, exist_ok=True)
    with open(record.msrun_log, "ab") as console:
        try:
            process = subprocess.Popen(record.argv, cwd=record.cwd, stdin=subprocess.DEVNULL, stdout=console,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        except OSError as exc:
            update_job(job_id, status=FAILED, exit_code=127, ended_at=time.time(),
                       error=f"cannot start {record.argv[0]}: {exc}")
            return 127
    create_time: Optional[float] = None
    try:
        create_time = psutil.Process(process.pid).create_time()
    except psutil.NoSuchProcess:
        pass
    update_job(job_id, status=RUNNING, pid=process.pid, pgid=process.pid, pid_create_time=create_time)

    def forward(signum, _frame):  # someone signalled the supervisor: pass it on to msrun's group
        try:
            os.killpg(process.pid, signum)
        except OSError:
            pass

    signal.signal(signal.SIGTERM, forward)
    code = wait_while_recorded(job_id, process)
    if code is None:  # the record is gone: nobody can follow or stop the job any more, so end it
        end_processes(job_processes(load_job_as(record, process.pid, create_time)), 5.0)
        process.wait()
        return 143
    return _finish(job_id, code)


RECORD_POLL = 1.0
"""Seconds between two looks at whether the job's record still exists."""


def record_exists(job_id: str) -> bool:
    """The job's ``job.json`` is still there (deleted with its folder: the job is orphaned)."""
    return (jobs_dir() / job_id / "job.json").is_file()


def wait_while_recorded(job_id: str, process: subprocess.Popen) -> Optional[int]:
    """msrun's exit code, or None as soon as the job's record has been deleted while msrun runs."""
    while True:
        try:
            return process.wait(timeout=RECORD_POLL)
        except subprocess.TimeoutExpired:
            if not record_exists(job_id):
                return None


def load_job_as(record: JobRecord, pid: int, create_time: Optional[float]) -> JobRecord:
    """The record as it was when msrun started (for finding its processes once the file is gone)."""
    return record.model_copy(update={"pid": pid, "pgid": pid, "pid_create_time": create_time})


def _finish(job_id: str, code: int) -> int:
    """Kill what msrun left, then record the exit status."""
    leftovers = reap_leftovers(job_id)
    latest = load_job(job_id)
    if latest.status in (FAILED,) and latest.ended_at is not None:
        return code  # could not start: already recorded with its reason
    update_job(job_id, exit_code=code, ended_at=time.time(), status=final_status(code, latest.stop_requested),
               leftover_pids=leftovers)
    return code


def reap_leftovers(job_id: str, grace: float = 5.0) -> list[int]:
    """Kill what is left of the job once msrun is gone; return those pids.

    msrun killed by SIGKILL (OOM killer, a careless ``kill -9``) leaves its workers, each in a session
    of its own, and its ``tail -f`` followers running with nobody to stop them; the job id in their
    environment finds them. A clean msrun exit leaves none.
    """
    return end_processes(job_processes(load_job(job_id)), grace)


def main(argv: Optional[list[str]] = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m mindpilot.launch.supervise JOB_ID", file=sys.stderr)
        return 2
    return 0 if supervise(args[0]) == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
