"""Start-up stays cheap: ``--help`` loads neither pydantic nor ruamel, and the knowledge shipped as YAML
is read from its compiled JSON (``mindpilot/compiled.py``), so that ``doctor --demo``, ``check FILE`` or
``diagnose`` of a pasted error loads neither, from the first run on. (Times are in ``bench/startup.py``.)"""

from __future__ import annotations

import json
import subprocess
import sys

from mindpilot import compiled
from mindpilot.datafiles import package_path

HEAVY = ("pydantic", "ruamel", "yaml", "psutil", "textual", "rich")


def _modules_after(code: str) -> list[str]:
    probe = (f"import sys, json, contextlib, io\n{code}\n"
             f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_help_imports_nothing_heavy():
    code = ("from mindpilot.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try:\n        main(['--help'])\n    except SystemExit:\n        pass")
    assert _modules_after(code) == []


def test_doctor_parses_no_yaml_and_needs_no_pydantic():
    code = ("from mindpilot.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n    main(['doctor', '--demo'])")
    assert not {"ruamel", "pydantic"} & set(_modules_after(code))  # the knowledge is compiled


def test_the_format_choices_are_the_formats_rendered():
    from mindpilot.commands.output import FORMATS
    from mindpilot.validators.ci_formats import FORMATS as RENDERED

    assert FORMATS == RENDERED


def test_only_knowledge_is_compiled_not_the_configs_we_ship():
    assert compiled.shipped(package_path("validators", "data", "stacks.yaml"))
    assert compiled.shipped(package_path("tui", "labels.yaml"))
    assert not compiled.shipped(package_path("presets", "builtin", "demo.yaml"))
    assert not compiled.shipped(package_path("tui", "demo", "finetune_qwen2_5_7b.yaml"))


def test_check_needs_neither_pydantic_nor_ruamel():
    config = package_path("tui", "demo", "finetune_qwen2_5_7b.yaml")
    code = ("from mindpilot.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    main(['check', {str(config)!r}, '--cards', '8', '--hbm', '64'])")
    assert not {"pydantic", "ruamel"} & set(_modules_after(code))


def test_diagnose_of_a_pasted_error_needs_neither_pydantic_nor_ruamel(tmp_path):
    log = tmp_path / "worker_0.log"
    log.write_text("Traceback (most recent call last):\nValueError: bad thing\n", encoding="utf-8")
    code = ("from mindpilot.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    main(['diagnose', {str(log)!r}])")
    assert not {"pydantic", "ruamel"} & set(_modules_after(code))


def test_diagnose_of_a_log_imports_nothing_heavy(tmp_path):
    # `diagnose` on a big clean log pays its start-up on top of the scan (issue 17's 150 MB/s): no TUI, no YAML
    # parser, no pydantic, no psutil on the way.
    log = tmp_path / "worker_0.log"
    log.write_text("[WARNING] DISTRIBUTED(1,ffff,python):2025-08-20-10:00:00.000.000 [tcp_comm.cc:1] Connect] Failed to "
                   "connect to the tcp server : 127.0.0.1:8118, retry to reconnect(1/60)...\nloss: 2.1\n", encoding="utf-8")
    code = ("from mindpilot.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    main(['diagnose', {str(log)!r}, '--json'])")
    assert _modules_after(code) == []
