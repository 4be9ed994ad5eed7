"""``tui/launching.py`` helpers the Launch step's workers stand on: event batches, the stop's outcome."""

from __future__ import annotations

from mindpilot.launch.events import LineEvent
from mindpilot.tui import launching
from mindpilot.tui.job_view import JobView
from mindpilot.tui.labels import label


def _t(key: str, **params) -> str:
    return label(key, "en", **params)


def _lines(count: int) -> list[LineEvent]:
    return [LineEvent(source="worker", rank=0, text=f"line {n}") for n in range(count)]


def test_batches_keep_every_event_in_order(monkeypatch):
    monkeypatch.setattr(launching, "watch", lambda job, lang, stop: iter(_lines(5)))
    each = list(launching.watch_batches("job", "en", _t, stop=lambda: False, seconds=0))
    assert [len(batch) for batch in each] == [1, 1, 1, 1, 1]
    whole = list(launching.watch_batches("job", "en", _t, stop=lambda: False, seconds=60))
    assert [[event.text for event in batch] for batch in whole] == [[f"line {n}" for n in range(5)]]


def test_a_failing_watch_ends_with_a_note_after_the_events_before_it(monkeypatch):
    def broken(job, lang, stop):
        yield from _lines(2)
        raise KeyError("job record vanished")

    monkeypatch.setattr(launching, "watch", broken)
    batches = list(launching.watch_batches("job", "en", _t, stop=lambda: False, seconds=60))
    assert len(batches) == 1 and [event.type for event in batches[0]] == ["line", "line", "note"]
    view = JobView(_t)
    view.add(batches[0])
    assert any("job record vanished" in line for line in view.panel_lines())


def test_the_stop_outcome_names_what_is_left(monkeypatch):
    monkeypatch.setattr(launching, "unreachable_nodes", lambda job: [])
    monkeypatch.setattr(launching, "stop_job", lambda job: [])
    assert launching.stop_outcome("j1", _t) == (_t("launch_stopped", job="j1"), "information")
    monkeypatch.setattr(launching, "stop_job", lambda job: [41, 42])
    text, severity = launching.stop_outcome("j1", _t)
    assert "41, 42" in text and severity == "information"
    monkeypatch.setattr(launching, "unreachable_nodes", lambda job: [{"rank": 1, "host": "node\x1b[2J1"}])
    text, severity = launching.stop_outcome("j1", _t)
    assert severity == "error" and "1 (node" in text and "\x1b" not in text

    def vanished(job):
        raise KeyError("no job j1")

    monkeypatch.setattr(launching, "stop_job", vanished)
    text, severity = launching.stop_outcome("j1", _t)
    assert severity == "error" and "no job j1" in text


def test_an_unreadable_job_store_is_no_running_job(monkeypatch):
    def unreadable():
        raise PermissionError("state dir")

    monkeypatch.setattr(launching, "running_jobs", unreadable)
    assert launching.newest_running_job() is None
    monkeypatch.setattr(launching, "running_jobs", lambda: ["newest", "older"])
    assert launching.newest_running_job() == "newest"
