"""Plan step: defaults from the environment, the candidate table, applying to a YAML."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Input

from mindpilot.tui import core
from mindpilot.tui.screens.diff import DiffScreen
from mindpilot.tui.screens.plan import PlanScreen
from mindpilot.tui.session import Session
from mindpilot.tui.widgets.command_hint import CommandHint
from tui_apps.fakes import fake_candidates, fake_report
from tui_apps.harness import ScreenHarness, screen_lines, settle, squeezed


async def _plan(pilot) -> None:
    await pilot.press("p")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_cards_and_hbm_default_to_the_environment_and_the_plan_shows_at_once(monkeypatch):
    calls = []
    monkeypatch.setattr(core, "plan", lambda *args: calls.append(args) or fake_candidates())
    session = Session(demo=True, env_report=fake_report())
    app = ScreenHarness(PlanScreen(session))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        # shown at once for the defaults, and again on p
        assert calls == [("qwen2.5-7b", 8, 64.0, 4096, "en", "mindformers", 1)]
        await _plan(pilot)
        assert len(calls) == 2
        table = app.screen.query_one("#candidates", DataTable)
        first = [str(cell) for cell in table.get_row_at(0)]
        assert first[:7] == ["1", "2", "4", "1", "1", "1", "1"]
        assert first[7] == "38.5/58.0" and first[9] == "yes"  # usable GB, as `mindpilot plan` shows
        assert [str(c) for c in table.get_row_at(2)][9] == "no"
        assert session.chosen is session.candidates[0]
        await pilot.press("down")
        assert session.chosen is session.candidates[1]
        hint = app.screen.query_one(CommandHint).plain
        assert "mindpilot plan --model qwen2.5-7b --cards 8 --hbm 64" in hint


async def test_real_planner_gives_candidates_for_qwen25_7b_on_8_cards():
    pytest.importorskip("mindpilot.presets.planner")
    session = Session(demo=True, env_report=fake_report())
    app = ScreenHarness(PlanScreen(session))
    async with app.run_test(size=(80, 24)) as pilot:
        await _plan(pilot)
        table = app.screen.query_one("#candidates", DataTable)
        assert table.row_count == len(session.candidates) > 0
        for candidate in session.candidates:
            parts = core.layout(candidate)
            assert parts["dp"] * parts["mp"] * parts["pp"] * parts["cp"] == 8
        memory = session.candidates[0]["memory_gb_per_card"]
        assert str(table.get_row_at(0)[7]) == f"{memory['total']:.1f}/{memory['usable']:.1f}"
        assert "fit" in str(app.screen.query_one("#plan-status").render())
        assert any("GB" in reason for reason in session.candidates[0]["reasons"])


async def test_apply_shows_the_diff_and_writes_only_after_y(monkeypatch, tmp_path):
    writes = []

    def fake_apply(path, candidate, dry_run):
        if not dry_run:
            writes.append((path, candidate["parallel_config"]["model_parallel"]))
        return "--- a/x.yaml\n+++ b/x.yaml\n-  model_parallel: 1\n+  model_parallel: 4\n"

    monkeypatch.setattr(core, "plan", lambda *args: fake_candidates())
    monkeypatch.setattr(core, "apply_candidate", fake_apply)
    session = Session(demo=True, env_report=fake_report())
    app = ScreenHarness(PlanScreen(session))
    async with app.run_test(size=(80, 24)) as pilot:
        await _plan(pilot)
        target = str(tmp_path / "x.yaml")
        app.screen.query_one("#yaml", Input).value = target
        await pilot.pause()
        # the step's CLI line only plans (pasting it writes nothing); the writing line comes with `a`'s confirm
        assert "--apply" not in app.screen.query_one(CommandHint).argv
        app.screen.query_one("#candidates", DataTable).focus()
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, DiffScreen)
        assert "+  model_parallel: 4" in app.screen.diff
        assert app.screen.command.endswith(f"--pick 1 --apply {target}")
        assert app.screen.command in str(app.screen.query_one("#diff-command").render())
        await pilot.press("n")
        await pilot.pause()
        assert writes == []
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert writes == [(target, 4)]


async def test_real_apply_writes_the_plan_into_a_yaml(tmp_path):
    pytest.importorskip("mindpilot.presets.yaml_apply")
    config = tmp_path / "finetune.yaml"
    config.write_text("# my run\nparallel_config:\n  data_parallel: 8  # keep\n  model_parallel: 1\n"
                      "  pipeline_stage: 1\n  micro_batch_num: 1\nrecompute_config:\n  recompute: false\n"
                      "model:\n  model_config:\n    num_layers: 28\n    offset: 0\n",
                      encoding="utf-8")
    session = Session(demo=True, env_report=fake_report(), candidates=fake_candidates())
    app = ScreenHarness(PlanScreen(session))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.screen.query_one("#yaml", Input).value = str(config)
        app.screen.query_one("#candidates", DataTable).focus()
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, DiffScreen)
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
    text = config.read_text(encoding="utf-8")
    assert "model_parallel: 4" in text and "data_parallel: 2" in text and "# my run" in text
    assert (tmp_path / "finetune.yaml.bak").exists()


async def test_real_planner_reasons_follow_the_language():
    pytest.importorskip("mindpilot.presets.planner")
    session = Session(demo=True, lang="zh", env_report=fake_report("zh"))
    app = ScreenHarness(PlanScreen(session))
    async with app.run_test(size=(80, 24)) as pilot:
        await _plan(pilot)
        reasons = " ".join(session.candidates[0]["reasons"])
        assert any("\u4e00" <= ch <= "\u9fff" for ch in reasons), reasons


async def test_picking_another_model_plans_for_it(monkeypatch):
    from textual.widgets import Select

    calls = []
    monkeypatch.setattr(core, "plan", lambda *args: calls.append(args) or fake_candidates())
    session = Session(demo=True, env_report=fake_report())
    app = ScreenHarness(PlanScreen(session))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        app.screen.query_one("#model", Select).value = "qwen3-8b"
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert [call[0] for call in calls] == ["qwen2.5-7b", "qwen3-8b"]
        assert session.model == "qwen3-8b"
        assert "--model qwen3-8b" in app.screen.query_one(CommandHint).plain


def _detail(app) -> str:
    return str(app.screen.query_one("#candidate-detail").render())


async def test_frameworks_grpo_roles_and_mindspeed_convert_args_with_the_real_planner(monkeypatch):
    pytest.importorskip("mindpilot.presets.planner")
    applied = []
    monkeypatch.setattr(core, "apply_candidate", lambda *args, **kwargs: applied.append(args) or "diff")
    session = Session(demo=True, env_report=fake_report(), config_path="/tmp/x.yaml")
    app = ScreenHarness(PlanScreen(session))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.screen.query_one(CommandHint).argv[-2:] == ["--framework", "mindformers"]
        assert app.screen.query_one("#yaml-row").display

        await pilot.press("f")
        await settle(pilot)
        assert session.framework == "mindrlhf-grpo"
        assert {c["framework"] for c in session.candidates} == {"mindrlhf-grpo"}
        roles = session.candidates[0]["roles"]
        actor = roles["actor_config"]["parallel_config"]
        ref = roles["ref_config"]["parallel_config"]
        generate = roles["generate_config"]["parallel_config"]
        detail = _detail(app)
        assert (f"actor dp{actor['data_parallel']} mp{actor['model_parallel']} pp{actor['pipeline_stage']} · "
                f"ref dp{ref['data_parallel']} mp{ref['model_parallel']} pp{ref['pipeline_stage']} · "
                f"generate dp{generate['data_parallel']} mp{generate['model_parallel']} pp1") in detail
        assert "ref+gen" in detail
        hint = app.screen.query_one(CommandHint).plain
        assert "--framework mindrlhf-grpo" in hint and "--apply" not in hint
        assert not app.screen.query_one("#yaml-row").display
        await pilot.press("a")
        await pilot.pause()
        assert applied == [] and not isinstance(app.screen, DiffScreen)
        assert any("actor_config" in str(n.message) for n in app._notifications)

        await pilot.press("f")
        await settle(pilot)
        assert session.framework == "mindspeed-llm"
        await pilot.press("down")
        await pilot.pause()
        chosen = session.chosen["mindspeed"]
        detail = _detail(app).replace("\n", " ")
        assert f"TP {chosen['TP']}  PP {chosen['PP']}" in detail
        assert "convert_ckpt.py " + " ".join(chosen["convert_args"]) in " ".join(detail.split())
        assert f"--target-tensor-parallel-size {chosen['TP']}" in detail
        await pilot.press("a")
        await pilot.pause()
        assert applied == [] and any("convert_ckpt.py" in str(n.message) for n in app._notifications)

        await pilot.press("f")
        await settle(pilot)
        assert session.framework == "mindformers" and app.screen.query_one("#yaml-row").display


QWEN_SMALL = {"model_type": "qwen2", "hidden_size": 896, "num_hidden_layers": 24, "num_attention_heads": 14,
              "num_key_value_heads": 2, "intermediate_size": 4864, "vocab_size": 151936,
              "max_position_embeddings": 32768, "tie_word_embeddings": True}
"""A Qwen2.5-0.5B-shaped ``config.json``: a model that is in no catalogue once it sits in a folder of its own."""


async def test_the_downloaded_model_directory_is_planned_as_the_cli_line_says(tmp_path):
    import json

    model_dir = tmp_path / "MyTinyQwen"
    model_dir.mkdir()
    (model_dir / "config.json").write_text(json.dumps(QWEN_SMALL))
    session = Session(demo=True, env_report=fake_report(), model_dir=str(model_dir))
    app = ScreenHarness(PlanScreen(session))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert session.model == str(model_dir)  # the model just downloaded, not a catalogue stand-in
        hint = app.screen.query_one(CommandHint).argv
        assert hint[:4] == ["mindpilot", "plan", "--model", str(model_dir)]
        assert session.candidates and "MyTinyQwen" in str(app.screen.query_one("#plan-status").render())
    cli = _cli_plan_json(hint)
    assert [c["parallel_config"] for c in cli["candidates"]] == \
        [c["parallel_config"] for c in session.candidates][: len(cli["candidates"])]


def _cli_plan_json(argv: list[str]) -> dict:
    """Run the CLI line the step shows (``--json``) in a child process and read its answer."""
    import json
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "mindpilot", *argv[1:], "--json", "--top", "50"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


async def test_the_yaml_seq_length_and_model_are_the_ones_the_cli_line_plans(tmp_path):
    from mindpilot.tui.core import demo_config

    config = demo_config()  # Qwen2.5-7B, seq_length 8192
    session = Session(demo=True, env_report=fake_report(), config_path=config)
    app = ScreenHarness(PlanScreen(session))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.screen.query_one("#seq", Input).value == "8192"
        argv = app.screen.query_one(CommandHint).argv
        assert "--apply" not in argv and argv[argv.index("--model") + 1] == config
    cli = _cli_plan_json(argv)
    assert cli["seq_len"] == 8192
    assert [c["parallel_config"] for c in cli["candidates"]] == \
        [c["parallel_config"] for c in session.candidates][: len(cli["candidates"])]


async def test_the_plan_line_with_a_catalogue_model_names_the_yaml_seq_length_and_writes_nothing(tmp_path):
    from mindpilot.tui.core import demo_config

    config = demo_config()  # seq_length 8192, not the CLI's default
    before = Path(config).read_bytes()
    session = Session(demo=True, env_report=fake_report(), config_path=config, model="qwen2.5-7b")
    app = ScreenHarness(PlanScreen(session))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        argv = app.screen.query_one(CommandHint).argv
    assert argv[argv.index("--model") + 1] == "qwen2.5-7b" and "--apply" not in argv
    assert argv[argv.index("--seq-len") + 1] == "8192"
    cli = _cli_plan_json(argv)
    assert cli["seq_len"] == 8192
    assert Path(config).read_bytes() == before


async def test_with_no_npu_here_the_step_asks_for_cards_and_hbm_instead_of_assuming_8_x_64(monkeypatch):
    calls = []
    monkeypatch.setattr(core, "plan", lambda *args: calls.append(args) or fake_candidates())
    report = fake_report()
    report.environment.clear()  # the probe found no NPU
    session = Session(demo=False, env_report=report)
    app = ScreenHarness(PlanScreen(session))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert calls == []
        assert app.screen.query_one("#cards", Input).value == "" and app.screen.query_one("#hbm", Input).value == ""
        ask = str(app.screen.query_one("#plan-status").render())
        assert "No NPU found here" in ask and squeezed(ask) in squeezed("".join(screen_lines(app)))  # whole
        argv = app.screen.query_one(CommandHint).argv
        assert argv[argv.index("--cards") + 1] == "CARDS" and argv[argv.index("--hbm") + 1] == "GB"
        app.screen.query_one("#cards", Input).value = "4"
        app.screen.query_one("#hbm", Input).value = "32"
        await pilot.pause()
        app.screen.query_one("#candidates").focus()
        await _plan(pilot)
        assert calls and calls[-1][1:3] == (4, 32.0)


async def test_the_language_switch_keeps_the_typed_inputs_and_the_chosen_row(monkeypatch):
    from mindpilot.tui.app import MindpilotApp

    monkeypatch.setattr(core, "doctor", lambda demo, lang: fake_report(lang))
    monkeypatch.setattr(core, "plan", lambda *args: fake_candidates())
    app = MindpilotApp(Session(demo=True, lang="en", env_report=fake_report("en")))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("5")
        await settle(pilot)
        screen = app.screen
        for field, value in (("#cards", "16"), ("#hbm", "32"), ("#seq", "2048")):
            screen.query_one(field, Input).value = value
        await pilot.pause()
        screen.query_one("#candidates").focus()
        await pilot.press("down", "down")
        chosen = app.session.chosen
        await pilot.press("l")
        await settle(pilot)
        screen = app.screen
        assert [screen.query_one(f, Input).value for f in ("#cards", "#hbm", "#seq")] == ["16", "32", "2048"]
        assert screen.query_one("#candidates", DataTable).cursor_row == 2
        assert core.layout(app.session.chosen) == core.layout(chosen)


_ENTRY_STAND_IN = '''import os, sys
# Stands in for run_mindformer.py on a host with CANN: prints the memory lines MindSpore's DryRun tutorial shows.
over = os.environ["RANK_ID"] != "0"
print("[INFO] PRE_ACT(1,ffff,python):2026-01-01-00:00:01.000.000 [mem.cc:1] Device MOC memory size: 65536M")
print("[INFO] PRE_ACT(1,ffff,python):2026-01-01-00:00:02.000.000 [mem.cc:4] "
      "Used peak memory usage (without fragments): %dM" % (70000 if over else 23716))
print("[INFO] PRE_ACT(1,ffff,python):2026-01-01-00:00:02.000.000 [mem.cc:5] "
      "Actual peak memory usage (with fragments): %dM" % (72000 if over else 26244))
'''


async def _verify(tmp_path, monkeypatch, cann: bool) -> str:
    from pathlib import Path

    config = Path(__file__).parent / "data" / "plan" / "finetune_qwen2_5_7b_8k.yaml"
    checkout = tmp_path / "mindformers"
    checkout.mkdir()
    (checkout / "run_mindformer.py").write_text(_ENTRY_STAND_IN, encoding="utf-8")
    monkeypatch.chdir(checkout)  # no checkout in the doctor's report: the current directory
    monkeypatch.setenv("MINDPILOT_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("MINDPILOT_DATA_DIR", str(tmp_path / "data"))
    toolkit = tmp_path / "toolkit"
    if cann:
        (toolkit / "x86_64-linux").mkdir(parents=True)
        (toolkit / "x86_64-linux" / "ascend_toolkit_install.info").write_text("version=8.2.RC1\n")
    monkeypatch.setenv("ASCEND_HOME_PATH", str(toolkit))
    monkeypatch.setattr(core, "plan", lambda *args: fake_candidates())
    app = ScreenHarness(PlanScreen(Session(demo=False, env_report=fake_report(), config_path=str(config))))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.app.workers.wait_for_complete()
        app.screen.query_one("#candidates", DataTable).focus()
        await pilot.press("v")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        return (str(app.screen.query_one("#plan-status").render()) + "\n"
                + str(app.screen.query_one("#candidate-detail").render()))


async def test_verify_key_without_cann_says_what_to_run_on_the_notebook(tmp_path, monkeypatch):
    import os

    if any(os.path.isdir(p) for p in ("/usr/local/Ascend/ascend-toolkit/latest", "/usr/local/Ascend/cann/latest")):
        pytest.skip("this machine has CANN installed")
    shown = await _verify(tmp_path, monkeypatch, cann=False)
    assert "DryRun needs the CANN toolkit (no NPU needed)" in shown and "mindpilot plan --verify" in shown


async def test_verify_key_runs_the_dryrun_and_shows_each_stage(tmp_path, monkeypatch):
    shown = await _verify(tmp_path, monkeypatch, cann=True)
    assert "a stage does not fit" in shown
    assert "Stage 0 (rank 0): MindSpore's peak 25.6 GB" in shown and "Stage 1 (rank 4)" in shown


async def test_a_model_checked_after_the_plan_step_was_shown_is_offered_and_planned_there(tmp_path):
    import json

    from mindpilot.tui.app import MindpilotApp

    model_dir = tmp_path / "MyTinyQwen"
    model_dir.mkdir()
    (model_dir / "config.json").write_text(json.dumps(QWEN_SMALL))
    session = Session(demo=True, env_report=fake_report())
    app = MindpilotApp(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("5")  # Plan first: its dropdown is built without the model
        await settle(pilot)
        assert str(model_dir) not in [value for _, value in app.screen.offered]
        await pilot.press("2")
        await settle(pilot)
        session.model_dir = str(model_dir)  # what the Model step's check of a complete directory leaves
        await pilot.press("5")
        await settle(pilot)
        assert app.screen.query_one("#model").value == session.model == str(model_dir)
        assert app.screen.query_one(CommandHint).argv[:4] == ["mindpilot", "plan", "--model", str(model_dir)]
        assert "MyTinyQwen" in str(app.screen.query_one("#plan-status").render())


async def test_the_yaml_option_of_the_model_dropdown_takes_one_row_whole():
    from mindpilot.tui.core import demo_config

    session = Session(demo=True, env_report=fake_report(), config_path=demo_config())
    app = ScreenHarness(PlanScreen(session))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.screen.query_one("#model").focus()
        await pilot.press("enter")  # open the list
        await settle(pilot)
        rows = [line for line in screen_lines(app) if "finetune_qwen2_5_7b (YAML)" in line]
        assert len(rows) >= 2, screen_lines(app)  # the closed value and its option, neither cut
