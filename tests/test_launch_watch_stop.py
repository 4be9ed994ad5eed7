"""watch_job(stop=...): a viewer (the TUI, a detaching CLI) ends the watch; the job itself goes on.

The job is a record marked running with this test's own pid as msrun (alive, never finishing), so the
watch would follow forever without ``stop``; no process is started.
"""

from __future__ import annotations

import os
import threading

import psutil
import pytest

from mindpilot.launch.events import ExitEvent, MetricEvent
from mindpilot.launch.jobs import JobRecord, load_job, save_job
from mindpilot.launch.runner import watch_job

LOSS_LINE = ("{{Epoch:[  1/  1], step:[{step:5d}/   10], loss: {loss:.6f}, per_step_time: 50ms, lr: 1e-05, "
             "overflow cond: False, loss_scale: 1.0, global_norm: [1.0]}}")


@pytest.fixture(autouse=True)
def state(tmp_path, monkeypatch):
    monkeypatch.setenv("MINDPILOT_STATE_DIR", str(tmp_path / "state"))
    return tmp_path / "state"


def running_job(tmp_path, steps: int) -> JobRecord:
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    (log_dir / "worker_0.log").write_text(
        "".join(LOSS_LINE.format(step=step, loss=2.0 / step) + "\n" for step in range(1, steps + 1)))
    record = JobRecord(id="live-1", argv=["msrun"], cwd=str(tmp_path), log_dir=str(log_dir), status="running",
                       pid=os.getpid(), pid_create_time=psutil.Process().create_time(), preset={"hang_minutes": 5})
    save_job(record)
    return record


def collect(events, into: list) -> None:
    """Consume ``events`` in a daemon thread; fail instead of hanging when the watch never returns."""
    worker = threading.Thread(target=lambda: into.extend(event for event in events), daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive(), "watch_job did not return although stop() said so"


def test_stop_ends_the_watch_without_an_exit_event_and_the_job_stays_running(tmp_path):
    record = running_job(tmp_path, steps=3)
    seen: list = []
    calls = []

    def stop() -> bool:
        calls.append(1)
        return any(isinstance(e, MetricEvent) and e.step == 3 for e in seen)

    collect(watch_job(record.id, kb=False, poll_interval=0.01, stop=stop), seen)
    assert [e.step for e in seen if isinstance(e, MetricEvent)] == [1, 2, 3]
    assert not any(isinstance(e, ExitEvent) for e in seen)
    assert len(calls) >= 2  # asked before the first poll and again after the events came
    assert load_job(record.id).status == "running"


def test_stop_true_at_once_yields_nothing(tmp_path):
    record = running_job(tmp_path, steps=2)
    seen: list = []
    collect(watch_job(record.id, kb=False, stop=lambda: True), seen)
    assert seen == []


def test_without_stop_a_finished_job_still_ends_with_its_exit_event(tmp_path):
    record = running_job(tmp_path, steps=2)
    save_job(record.model_copy(update={"status": "succeeded", "exit_code": 0}))
    events = list(watch_job(record.id, kb=False))
    assert [e.step for e in events if isinstance(e, MetricEvent)] == [1, 2]
    assert isinstance(events[-1], ExitEvent) and events[-1].status == "succeeded"
