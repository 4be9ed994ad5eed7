"""The architecture's promises, checked in fresh interpreters: a pure core, and no top-level names."""

from __future__ import annotations

import json
import subprocess
import sys

CORE = ["mindpilot.validators", "mindpilot.presets", "mindpilot.launch", "mindpilot.acquire", "mindpilot.cli",
        "mindpilot.commands"]


def _fresh(code: str, cwd) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_core_imports_without_textual_or_rich(tmp_path):
    code = (
        "import importlib, json, pkgutil, sys\n"
        f"for name in {CORE!r}:\n"
        "    module = importlib.import_module(name)\n"
        "    for info in pkgutil.walk_packages(getattr(module, '__path__', []), name + '.'):\n"
        "        importlib.import_module(info.name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))))\n"
    )
    assert json.loads(_fresh(code, tmp_path)) == []


def test_tui_is_imported_by_nothing_in_the_core(tmp_path):
    code = (
        "import importlib, pkgutil, sys\n"
        f"for name in {CORE!r}:\n"
        "    module = importlib.import_module(name)\n"
        "    for info in pkgutil.walk_packages(getattr(module, '__path__', []), name + '.'):\n"
        "        importlib.import_module(info.name)\n"
        "print('mindpilot.tui' in sys.modules)\n"
    )
    assert _fresh(code, tmp_path).strip() == "False"


def test_subpackages_are_not_installed_as_top_level_names(tmp_path):
    code = (
        "import importlib.util, json\n"
        "names = ['validators', 'tui', 'launch', 'presets', 'commands']\n"
        "origins = {}\n"
        "for n in names:\n"
        "    spec = importlib.util.find_spec(n)\n"
        "    origins[n] = spec.origin if spec else None\n"
        "import mindpilot, os\n"
        "print(json.dumps({'origins': origins, 'root': os.path.dirname(mindpilot.__file__)}))\n"
    )
    result = json.loads(_fresh(code, tmp_path))
    root = result["root"]
    for name, origin in result["origins"].items():
        assert origin is None or not str(origin).startswith(root), f"`import {name}` resolves to {origin}"
