"""The headless view: one line per event in text, one JSON object per line with `type` in JSON mode."""

from __future__ import annotations

import io
import json

from mindpilot.launch.events import ExitEvent, HangEvent, LineEvent, MetricEvent, StartedEvent, StatusEvent
from mindpilot.launch.parse import log_message
from mindpilot.launch.view import HeadlessView


def shown(view_kwargs, events):
    out = io.StringIO()
    view = HeadlessView(stream=out, **view_kwargs)
    for event in events:
        view.emit(event)
    return out.getvalue().splitlines()


def test_text_shows_the_lowest_rank_progress_and_the_first_failure():
    lines = shown({"lang": "en"}, [
        StartedEvent(job="j1", pid=42, log_dir="/logs"),
        MetricEvent(rank=1, step=1, total_steps=10, loss=2.5, per_step_time_ms=30.0),
        MetricEvent(rank=0, step=1, total_steps=10, loss=2.4, per_step_time_ms=31.0, lr=1e-5),
        MetricEvent(rank=1, step=2, total_steps=10, loss=2.3),
        LineEvent(source="worker", rank=0, text="raw line"),
        ExitEvent(code=1, status="failed", first_failure={"rank": 1, "text": "ValueError: x", "file": "w1.log",
                                                          "line": 7}),
    ])
    assert lines[0] == "started job j1 (pid 42), logs in /logs"
    assert lines[2] == "step 1/10  loss 2.5  30 ms/step  [rank 1]"
    assert lines[3] == "step 1/10  loss 2.4  31 ms/step  lr 1e-05  [rank 0]"
    assert not any("rank 1]" in line for line in lines[4:]) and "raw line" not in "\n".join(lines)
    assert lines[-3:] == ["job j1 failed (exit 1)", "first failing rank: 1: ValueError: x", "    at w1.log:7"]


def test_json_lines_carry_type_and_a_hang_carries_its_finding():
    lines = shown({"lang": "zh", "as_json": True, "lines": True}, [
        LineEvent(source="worker", rank=3, text="hello"),
        HangEvent(seconds=600.0, silent_ranks=[3, 0], last_step=17),
        StatusEvent(source="msrun", what="worker_failed", text="Worker process 1 exit with exception."),
    ])
    documents = [json.loads(line) for line in lines]
    assert [d["type"] for d in documents] == ["line", "hang", "status"]
    assert documents[1]["silent_ranks"] == [3, 0] and documents[1]["finding"]["rule"] == "tail.hang"
    assert "3, 0" in documents[1]["finding"]["title"] and "分钟" in documents[1]["finding"]["title"]


def test_log_message_drops_the_mindspore_prefix_only():
    line = ("[ERROR] DISTRIBUTED(1,7f,python):2026-11-25-11:22:43.401.917 [meta_server_node.cc:543] "
            "UpdateTopoState] The node: 1 is timed out.")
    assert log_message(line) == "The node: 1 is timed out."
    assert log_message("RuntimeError: boom") == "RuntimeError: boom"
