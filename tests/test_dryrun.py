"""MindSpore's DryRun of a MindFormers config (``check --dryrun``, ``plan --verify``).

No CANN exists here, so the one stand-in is the training interpreter: a script that prints the lines the MindSpore
DryRun tutorial documents (``Used peak memory usage (without fragments): 23716M`` ...) and records the exact
environment and argv each rank got. Everything else is real: the job supervisor, the driver, the logs, the
knowledge base, the kept results and ``plan``'s estimate.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest
from support import run_cli

from mindpilot.exit_codes import ExitCode
from mindpilot.validators.dryrun import RankChoice, rank_env, ranks_to_run, read_rank_log

CONFIG = Path(__file__).parent / "data" / "plan" / "finetune_qwen2_5_7b_8k.yaml"  # dp 4, mp 1, pp 2: 8 cards
ORIGINAL = CONFIG.read_text(encoding="utf-8")

STAND_IN = """#!{python}
import json, os, sys
rank = os.environ.get("RANK_ID", "?")
out = os.environ["STANDIN_OUT"]
with open(os.path.join(out, "rank_%s.json" % rank), "w") as handle:
    json.dump({{"env": dict(os.environ), "argv": sys.argv, "cwd": os.getcwd()}}, handle)
if rank == os.environ.get("STANDIN_HANG"):
    import time
    time.sleep(600)
if rank == os.environ.get("STANDIN_FAIL"):
    print("[ERROR] PARALLEL(1,ffff,python):2026-01-01-00:00:00.000.000 [step_parallel.cc:1] Check] "
          "Invalid strategy for MatMul")
    print("RuntimeError: The device num 8 is not equal to the product of the strategy 16")
    sys.exit(1)
config = open(sys.argv[sys.argv.index("--config") + 1]).read()
# The last stage of a pipeline, or any rank of a model_parallel 2 layout, overflows a 64 GB card.
over = rank == "4" or "model_parallel: 2" in config
peak = (70000, 72000) if over else (23716, 26244)
print("[INFO] PRE_ACT(1,ffff,python):2026-01-01-00:00:01.000.000 [mem.cc:1] Device MOC memory size: 65536M")
print("[INFO] PRE_ACT(1,ffff,python):2026-01-01-00:00:01.000.000 [mem.cc:2] MindSpore Used memory size: 59392M")
print("[INFO] PRE_ACT(1,ffff,python):2026-01-01-00:00:01.000.000 [mem.cc:3] MindSpore memory base address: 0xffff")
print("[INFO] PRE_ACT(1,ffff,python):2026-01-01-00:00:02.000.000 [mem.cc:4] "
      "Used peak memory usage (without fragments): %dM" % peak[0])
print("[INFO] PRE_ACT(1,ffff,python):2026-01-01-00:00:02.000.000 [mem.cc:5] "
      "Actual peak memory usage (with fragments): %dM" % peak[1])
"""


@pytest.fixture
def notebook(tmp_path):
    """A host with CANN's install record, a MindFormers checkout, and the stand-in interpreter."""
    toolkit = tmp_path / "Ascend" / "ascend-toolkit" / "latest"
    (toolkit / "x86_64-linux").mkdir(parents=True)
    (toolkit / "x86_64-linux" / "ascend_toolkit_install.info").write_text("version=8.2.RC1\n", encoding="utf-8")
    checkout = tmp_path / "mindformers"
    checkout.mkdir()
    (checkout / "run_mindformer.py").write_text("# the stand-in interpreter never reads it\n", encoding="utf-8")
    python = tmp_path / "stand-in-python"
    python.write_text(STAND_IN.format(python=sys.executable), encoding="utf-8")
    python.chmod(python.stat().st_mode | stat.S_IXUSR)
    out = tmp_path / "ranks"
    out.mkdir()
    env = {"ASCEND_HOME_PATH": str(toolkit), "MINDPILOT_STATE_DIR": str(tmp_path / "state"),
           "MINDPILOT_DATA_DIR": str(tmp_path / "data"), "STANDIN_OUT": str(out), "PYTHONUNBUFFERED": "1"}
    return {"checkout": checkout, "python": python, "out": out, "env": env, "tmp": tmp_path}


def _dryrun(notebook, *extra, fail=None, hang=None):
    env = dict(notebook["env"])
    if fail is not None:
        env["STANDIN_FAIL"] = str(fail)
    if hang is not None:
        env["STANDIN_HANG"] = str(hang)
    return run_cli("check", "--dryrun", str(CONFIG), "--checkout", str(notebook["checkout"]),
                   "--python", str(notebook["python"]), "--json", "--lang", "en", *extra, env=env)


def test_each_stage_gets_exactly_the_dryrun_environment(notebook):
    done = _dryrun(notebook)
    document = json.loads(done.stdout)
    parent = {**os.environ, **notebook["env"]}
    for rank in (0, 4):
        seen = json.loads((notebook["out"] / f"rank_{rank}.json").read_text(encoding="utf-8"))
        changed = {key: value for key, value in seen["env"].items() if parent.get(key) != value}
        removed = set(parent) - set(seen["env"])
        assert changed == {"MS_SIMULATION_LEVEL": "1", "RANK_SIZE": "8", "RANK_ID": str(rank), "GLOG_v": "1",
                           "MINDPILOT_JOB_ID": document["job"]}
        assert removed == set()
        assert seen["argv"][1:] == ["run_mindformer.py", "--config", str(CONFIG.resolve())]
        assert seen["cwd"] == str(notebook["checkout"])
    assert sorted(path.name for path in notebook["out"].iterdir()) == ["rank_0.json", "rank_4.json"]


def test_peaks_against_the_card_and_our_estimate(notebook):
    done = _dryrun(notebook)
    document = json.loads(done.stdout)
    ranks = {rank["rank"]: rank for rank in document["ranks"]}
    assert (ranks[0]["peak_mb"], ranks[0]["actual_peak_mb"], ranks[0]["device_mb"]) == (23716, 26244, 65536)
    assert document["hbm_gb"] == 64.0  # the card MindSpore simulated
    stages = {f["stage"]: f for f in document["findings"]}
    assert stages[0]["rule"] == "dryrun.stage_fits" and "25.6 GB" in stages[0]["title"]
    assert stages[1]["rule"] == "dryrun.stage_over" and "70.3 GB exceeds the card's 64 GB" in stages[1]["title"]
    assert all(isinstance(rank["estimate_gb"], float) and rank["estimate_gb"] > 0 for rank in document["ranks"])
    assert f"our estimate {ranks[0]['estimate_gb']:.1f} GB" in stages[0]["title"]
    assert done.returncode == ExitCode.FINDINGS
    assert "rank 4 (stage 1) 2/2 compiling" in done.stderr  # a progress line per rank, live
    jobs = json.loads(run_cli("jobs", "--json", env=notebook["env"]).stdout)
    assert [job["id"] for job in jobs] == [document["job"]]


def test_a_compile_error_is_named_with_its_rank(notebook):
    done = _dryrun(notebook, fail=4)
    document = json.loads(done.stdout)
    failed = next(f for f in document["findings"] if f["rule"] == "dryrun.rank_failed")
    assert failed["rank"] == 4 and failed["stage"] == 1
    assert "exit code 1" in failed["title"] and "Invalid strategy for MatMul" in failed["title"]
    assert done.returncode == ExitCode.FINDINGS


def test_a_rank_past_its_time_is_ended_and_the_next_one_still_compiles(notebook):
    done = _dryrun(notebook, "--rank-timeout", "1", hang=0)
    document = json.loads(done.stdout)
    ranks = {rank["rank"]: rank for rank in document["ranks"]}
    assert ranks[0]["exit_code"] == 124 and ranks[4]["exit_code"] == 0
    assert "ran past 1 s and was ended" in (notebook["tmp"] / "state").joinpath(
        "dryrun", document["job"], "rank_0.log").read_text(encoding="utf-8")
    assert next(f for f in document["findings"] if f["rank"] == 0)["rule"] == "dryrun.rank_failed"


def test_results_are_kept_and_plan_shows_estimate_against_the_framework(notebook):
    _dryrun(notebook)
    kept = list((notebook["tmp"] / "data" / "dryrun").glob("*.json"))
    assert len(kept) == 1 and oct(kept[0].stat().st_mode & 0o777) == "0o600"
    record = json.loads(kept[0].read_text(encoding="utf-8"))
    assert record["model"] == "finetune_qwen2_5_7b_8k" and record["layout"]["pp"] == 2
    done = run_cli("plan", "--model", str(CONFIG), "--cards", "8", "--lang", "en", env=notebook["env"])
    assert "estimate vs the framework's figure" in done.stdout
    assert "stage 1: ours" in done.stdout and "DryRun 70.3 GB" in done.stdout
    (kept[0].parent / "broken.json").write_text('{"model": "finetune_qwen2_5_7b_8k", "ranks": [', encoding="utf-8")
    (kept[0].parent / "wrong.json").write_text('{"model": "finetune_qwen2_5_7b_8k", "ranks": "x"}', encoding="utf-8")
    again = run_cli("plan", "--model", str(CONFIG), "--cards", "8", "--lang", "en", env=notebook["env"])
    assert again.returncode == done.returncode and "1 kept for this model" in again.stdout
    document = json.loads(run_cli("plan", "--model", str(CONFIG), "--cards", "8", "--json", env=notebook["env"]).stdout)
    assert [(s["stage"], s["actual_peak_mb"]) for s in document["dryrun"]["stages"]] == [(0, 26244), (1, 72000)]
    bench = run_cli_bench(notebook["env"])
    assert "finetune_qwen2_5_7b_8k" in bench and "stage 1" in bench


def run_cli_bench(env):
    import subprocess

    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, str(root / "bench" / "dryrun_error.py")], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_without_cann_one_line_says_what_to_run_on_the_notebook(notebook):
    env = {**notebook["env"], "ASCEND_HOME_PATH": str(notebook["tmp"] / "nowhere")}
    if any(Path(p).is_dir() for p in ("/usr/local/Ascend/ascend-toolkit/latest", "/usr/local/Ascend/cann/latest")):
        pytest.skip("this machine has CANN installed")
    done = run_cli("check", "--dryrun", str(CONFIG), env=env)
    assert done.returncode == ExitCode.ENVIRONMENT
    assert done.stderr.count("\n") == 1
    assert "DryRun needs the CANN toolkit (no NPU needed)" in done.stderr
    assert f"mindpilot check --dryrun {CONFIG}" in done.stderr


def test_plan_verify_picks_the_first_candidate_the_framework_fits(notebook):
    env = {**notebook["env"]}
    done = run_cli("plan", "--verify", str(CONFIG), "--cards", "8", "--top", "3", "--checkout",
                   str(notebook["checkout"]), "--python", str(notebook["python"]), "--json", "--lang", "en",
                   env=env, timeout=300)
    document = json.loads(done.stdout)
    ranked = json.loads(run_cli("plan", "--model", str(CONFIG), "--cards", "8", "--json", env=env).stdout)
    layouts = [(c["parallel_config"]["model_parallel"], c["parallel_config"]["pipeline_stage"])
               for c in ranked["candidates"][:3]]
    # The stand-in overflows model_parallel 2 layouts and the last of 2 pipeline stages.
    expected = next(pick for pick, (mp, pp) in enumerate(layouts, 1) if mp != 2 and pp == 1)
    assert document["chosen"] == expected
    assert [entry["fits"] for entry in document["verified"]] == [False] * (expected - 1) + [True]
    assert done.returncode == ExitCode.OK
    assert CONFIG.read_text(encoding="utf-8") == ORIGINAL  # the user's file is never written
    assert f"--apply {CONFIG} --pick {expected}" in done.stderr


def test_rank_choice_one_per_differing_stage():
    assert ranks_to_run(8, 1) == [RankChoice(0, 0), RankChoice(7, 0)]
    assert ranks_to_run(1, 1) == [RankChoice(0, 0)]
    assert ranks_to_run(8, 2, [14, 14]) == [RankChoice(0, 0), RankChoice(4, 1)]
    # Middle stages with the same layer count compile the same graph: one of them is enough.
    assert ranks_to_run(16, 8, [3, 4, 4, 4, 4, 4, 4, 3]) == [RankChoice(0, 0), RankChoice(2, 1), RankChoice(14, 7)]
    assert ranks_to_run(8, 4, [7, 8, 7, 6]) == [RankChoice(0, 0), RankChoice(2, 1), RankChoice(4, 2),
                                                RankChoice(6, 3)]
    with pytest.raises(ValueError):
        ranks_to_run(8, 3)


def test_rank_env_is_the_documented_four():
    assert rank_env(3, 16) == {"MS_SIMULATION_LEVEL": "1", "RANK_SIZE": "16", "RANK_ID": "3", "GLOG_v": "1"}


def test_rank_log_reading_ignores_what_is_not_a_figure():
    lines = ["Used peak memory usage (without fragments): 100M", "\x1b[31mValueError: bad shape\x1b[0m",
             "Actual peak memory usage (with fragments): 120M", "noise " * 1000]
    result = read_rank_log(lines, 0, 0)
    assert (result.peak_mb, result.actual_peak_mb, result.device_mb) == (100, 120, None)
    assert result.error == "ValueError: bad shape"


def test_a_parallel_layout_without_use_parallel_is_refused_in_one_line(notebook):
    config = notebook["tmp"] / "finetune.yaml"
    config.write_text(ORIGINAL.replace("use_parallel: True", "use_parallel: False"), encoding="utf-8")
    done = run_cli("check", "--dryrun", str(config), "--checkout", str(notebook["checkout"]), "--python",
                   str(notebook["python"]), env=notebook["env"])
    assert done.returncode == ExitCode.USAGE
    assert done.stderr.count("\n") == 1 and "use_parallel is not True" in done.stderr
    assert list(notebook["out"].iterdir()) == []  # no rank was started


def test_a_rank_the_job_never_reached_is_said_so():
    from mindpilot.validators.dryrun import DryRunReport, RankResult, dryrun_findings

    report = DryRunReport(config="c.yaml", model="m", cards=8, layout={"dp": 4, "mp": 1, "pp": 2, "cp": 1},
                          hbm_gb=64.0, ranks=[RankResult(rank=0, stage=0, exit_code=0, peak_mb=1, actual_peak_mb=2),
                                              RankResult(rank=4, stage=1)])
    findings = dryrun_findings(report, "en")
    assert [f.rule for f in findings] == ["dryrun.stage_fits", "dryrun.rank_not_run"]
    assert not report.fits()


def test_the_notebook_command_quotes_the_config_path(tmp_path):
    if any(Path(p).is_dir() for p in ("/usr/local/Ascend/ascend-toolkit/latest", "/usr/local/Ascend/cann/latest")):
        pytest.skip("this machine has CANN installed")
    config = tmp_path / "my run's config.yaml"
    config.write_text(ORIGINAL, encoding="utf-8")
    done = run_cli("check", "--dryrun", str(config), env={"ASCEND_HOME_PATH": str(tmp_path / "none"),
                                                         "MINDPILOT_STATE_DIR": str(tmp_path / "state")})
    import shlex

    assert done.returncode == ExitCode.ENVIRONMENT
    assert f"mindpilot check --dryrun {shlex.quote(str(config))} --checkout" in done.stderr
