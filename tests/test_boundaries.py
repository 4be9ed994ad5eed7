"""The architecture's promises: a pure core in layers, and no top-level names.

Checked twice: statically (every ``import`` in every core file, lazy ones inside functions included) and
in fresh interpreters (what importing each core module really loads).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORE_PACKAGES = ("presets", "validators", "launch")
UPPER = ("mindpilot.commands", "mindpilot.tui", "mindpilot.cli")
FORBIDDEN = {
    "presets": UPPER + ("mindpilot.validators", "mindpilot.launch"),
    "validators": UPPER + ("mindpilot.launch",),
    "launch": UPPER,
}
"""What each core package may never import: the layers are base modules < presets < validators < launch."""

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


def _imports(path: Path) -> list[tuple[int, str]]:
    """Absolute names of every module ``path`` imports, with the line (relative imports resolved)."""
    package = ".".join(("mindpilot",) + path.relative_to(ROOT).with_suffix("").parts[:-1])
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            names.append((node.lineno, base))
            names += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return names


def _core_files(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if "__pycache__" not in p.parts)


def test_no_core_file_imports_an_upper_layer_even_lazily():
    offences = []
    for package in CORE_PACKAGES:
        files = _core_files(package)
        assert files, package
        for path in files:
            for line, name in _imports(path):
                if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN[package]):
                    offences.append(f"{path.relative_to(ROOT)}:{line}: {name}")
    assert offences == []


def test_the_static_scan_sees_lazy_and_relative_imports(tmp_path):
    package = ROOT / "launch"
    probe = package / "_boundary_probe_for_test.py"
    probe.write_text("def f():\n    from ..commands import output\n    import mindpilot.tui.core\n", encoding="utf-8")
    try:
        names = [name for _, name in _imports(probe)]
    finally:
        probe.unlink()
    assert "mindpilot.commands.output" in names and "mindpilot.tui.core" in names


def test_importing_every_core_module_loads_no_upper_layer(tmp_path):
    modules = [".".join(("mindpilot",) + p.relative_to(ROOT).with_suffix("").parts) for package in CORE_PACKAGES
               for p in _core_files(package)]
    modules = [name[: -len(".__init__")] if name.endswith(".__init__") else name for name in modules]
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.startswith({UPPER!r}))))\n"
    )
    assert json.loads(_fresh(code, tmp_path)) == []


def test_no_command_imports_another_command():
    """A subcommand module imports only shared helpers of ``commands`` (output, follow, ...), never another
    subcommand: what two commands share lives in a helper module or in the core."""
    from mindpilot.commands import COMMANDS

    commands = {f"mindpilot.commands.{name}" for name in COMMANDS}
    offences = []
    for name in COMMANDS:
        path = ROOT / "commands" / f"{name}.py"
        for line, imported in _imports(path):
            other = next((c for c in commands if imported == c or imported.startswith(c + ".")), None)
            if other and other != f"mindpilot.commands.{name}":
                offences.append(f"commands/{name}.py:{line}: {imported}")
    assert offences == []
