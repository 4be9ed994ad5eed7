"""JobView: the Launch step's state from launch events, without any widget."""

from __future__ import annotations

from mindpilot.launch.events import LineEvent, MetricEvent
from mindpilot.tui.job_view import JobView
from mindpilot.tui.labels import label
from tui_apps.fakes import fake_job_events


def _view(lang: str = "en") -> JobView:
    return JobView(lambda key, **params: label(key, lang, **params))


def test_losses_follow_the_lowest_reporting_rank():
    view = _view()
    view.add([MetricEvent(rank=1, step=1, loss=3.0, time=0.0), MetricEvent(rank=1, step=2, loss=2.0, time=0.0)])
    assert view.losses == [3.0, 2.0]
    view.add([MetricEvent(rank=0, step=1, loss=2.9, time=0.0), MetricEvent(rank=1, step=3, loss=1.5, time=0.0)])
    assert view.loss_rank == 0 and view.losses == [2.9]
    assert view.loss_range() == "2.900 → 2.900"


def test_the_chart_is_one_loss_per_step_not_the_ranks_one_after_another():
    def metric(rank, step, loss):
        return MetricEvent(rank=rank, step=step, epoch=1, loss=loss, time=0.0)

    view = _view()
    # msrun's own log repeats workers' lines without a rank; then the workers' logs, in the demo's order.
    view.add([metric(None, 1, 9.0), metric(None, 2, 8.0)])
    assert view.losses == [9.0, 8.0]
    view.add([metric(0, 1, 6.67), metric(0, 2, 7.19), metric(1, 1, 2.19), metric(0, 3, 5.68),
              metric(1, 2, 6.47), metric(1, 3, 6.55), metric(1, 4, 5.43)])
    assert view.loss_rank == 0 and view.losses == [6.67, 7.19, 5.68]
    # A log read again (truncated, attached twice) gives the same steps again: still one point per step.
    view.add([metric(0, 2, 7.19), metric(0, 4, 5.74)])
    assert view.losses == [6.67, 7.19, 5.68, 5.74]
    assert view.loss_range() == "6.670 → 5.740"


def test_a_failed_job_names_the_first_failure_and_counts_consequences():
    lang = {"now": "en"}
    view = JobView(lambda key, **params: label(key, lang["now"], **params))
    view.job_id = "demo-1"
    view.add(fake_job_events(fail=True))
    assert view.ended and view.status_text == "job demo-1 failed (exit 1)"
    assert view.panel_lines() == ["▶ rank 1: device out of memory",
                                  "1 more are consequences (timeouts...), not the cause"]
    lang["now"] = "zh"  # the status line follows a language switch
    assert view.status_text == label("launch_exit_bad", "zh", job="demo-1", status="failed", code=1)


def test_views_cycle_through_all_ranks_then_each_rank():
    view = _view("zh")
    shown = view.add([LineEvent(source="worker", rank=r, text=f"line {r}") for r in (1, 0)]
                     + [LineEvent(source="msrun", rank=None, text="msrun says")])
    assert shown == ["[1] line 1", "[0] line 0", "msrun says"]
    titles = []
    for _ in range(4):
        view.cycle_view()
        titles.append((view.view, view.view_lines()))
    assert titles == [(0, ["line 0"]), (1, ["line 1"]), (None, ["[1] line 1", "[0] line 0", "msrun says"]),
                      (0, ["line 0"])]
    assert view.view_title() == "日志：rank 0（v 切换）"


def test_colour_codes_are_dropped_and_control_characters_shown_not_obeyed():
    view = _view()
    shown = view.add([LineEvent(source="worker", rank=0, text="\x1b[31m[ERROR]\x1b[0m boom\r\x07 " + "x" * 5000)])
    assert shown[0].startswith("[0] [ERROR] boom␍␇ ")
    assert "\x1b" not in shown[0] and "\r" not in shown[0] and "\x07" not in shown[0]
    assert len(view.buffers[0][0]) == 1000


def test_mindspore_log_prefixes_are_cut_to_the_level_so_the_message_shows():
    view = _view()
    line = ("[WARNING] DISTRIBUTED(2167,7f3b1dbfa6c0,python):2026-11-25-12:05:50.454.293 "
            "[mindspore/ccsrc/distributed/cluster/cluster_context.cc:252] Initialize] Cluster is ready")
    shown = view.add([LineEvent(source="worker", rank=0, text=line),
                      LineEvent(source="worker", rank=0, text="plain [x] line"),
                      LineEvent(source="worker", rank=1, text="2026-11-25 12:39:18,462 - mindformers[train.py:75]"
                                                              " - INFO - { Epoch:[  1/  1], step:[    3/   30]")])
    assert shown == ["[0] WARNING Cluster is ready", "[0] plain [x] line", "[1] INFO { Epoch:[  1/  1], step:[    3/   30]"]
