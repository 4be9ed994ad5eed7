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
from typing import Optional

import pytest

ROOT = Path(__file__).resolve().parent.parent
BASE_MODULES = ("__init__", "bilingual", "compiled", "datafiles", "exit_codes", "fileio", "i18n", "redact",
                "terminal_text", "userdata", "wording")
"""Modules at the package root that every layer may use; they import only each other."""
LAYERS = ("base", "presets", "validators", "launch", "acquire")
"""The core, bottom up: a file may import its own layer and the layers below it, nothing above."""
CORE_PACKAGES = LAYERS[1:]
NEVER_IN_CORE = ("textual", "rich")
"""Presentation libraries: only ``tui`` may import them."""
ALLOWED = {("compiled.py", "mindpilot.launch"), ("compiled.py", "mindpilot.presets"),
           ("compiled.py", "mindpilot.validators")}
"""Known upward imports, each with its reason: ``compiled._loaders`` is the build step (``python -m
mindpilot.compiled``) that runs every loader of shipped knowledge to compile it; nothing at run time calls it."""

CORE = ["mindpilot.validators", "mindpilot.presets", "mindpilot.launch", "mindpilot.acquire", "mindpilot.cli",
        "mindpilot.commands"] + [f"mindpilot.{name}" for name in BASE_MODULES if name != "__init__"]


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


def _module_name(path: Path) -> str:
    return ".".join(("mindpilot",) + path.relative_to(ROOT).with_suffix("").parts)


def _imported_string(node: ast.Call) -> Optional[str]:
    """The module an ``importlib.import_module(...)`` / ``__import__(...)`` call names, as far as the source
    says it (the literal part of an f-string: ``f"mindpilot.commands.{name}"`` -> ``mindpilot.commands.``)."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if name not in ("import_module", "__import__") or not node.args:
        return None
    first = node.args[0]
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        return first.value
    if isinstance(first, ast.JoinedStr):
        return "".join(part.value for part in first.values if isinstance(part, ast.Constant))
    return None


def _imports(path: Path, text: Optional[str] = None) -> list[tuple[int, str]]:
    """Absolute names of every module ``path`` imports (or ``text``, as if it were that file), with the line:
    relative imports resolved, lazy ones inside functions and ``importlib`` strings included."""
    package = ".".join(("mindpilot",) + path.relative_to(ROOT).with_suffix("").parts[:-1])
    source = path.read_text(encoding="utf-8") if text is None else text
    names = []
    for node in ast.walk(ast.parse(source, str(path))):
        if isinstance(node, ast.Import):
            names += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            names.append((node.lineno, base))
            names += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Call):
            named = _imported_string(node)
            if named:
                names.append((node.lineno, named.rstrip(".")))
    return names


def _layer_of_module(name: str) -> Optional[str]:
    """The core layer of a ``mindpilot.*`` module, or None above the core (commands, tui, cli, ...)."""
    parts = name.split(".")
    if len(parts) == 1:
        return "base"  # `import mindpilot` / `from mindpilot import x` is checked through its parts
    if parts[1] in BASE_MODULES:
        return "base"
    return parts[1] if parts[1] in CORE_PACKAGES else None


def _layer_of_file(path: Path) -> str:
    relative = path.relative_to(ROOT)
    return "base" if len(relative.parts) == 1 else relative.parts[0]


def _offences(path: Path, text: Optional[str] = None) -> list[str]:
    """Every import of ``path`` the layering forbids."""
    layer = LAYERS.index(_layer_of_file(path))
    offences = []
    for line, name in _imports(path, text):
        where = f"{path.relative_to(ROOT)}:{line}: {name}"
        if name.split(".")[0] in NEVER_IN_CORE:
            offences.append(where)
        if not name.startswith("mindpilot.") or (path.relative_to(ROOT).as_posix(), ".".join(name.split(".")[:2])) \
                in ALLOWED:
            continue
        target = _layer_of_module(name)
        if target is None or LAYERS.index(target) > layer:
            offences.append(where)
    return offences


def _core_files() -> list[Path]:
    files = [ROOT / f"{name}.py" for name in BASE_MODULES]
    for package in CORE_PACKAGES:
        files += sorted(p for p in (ROOT / package).rglob("*.py") if "__pycache__" not in p.parts)
    return files


def test_every_root_module_is_placed_in_a_layer():
    """A new module at the root is a base module (add it to BASE_MODULES) or a front end (cli, __main__)."""
    placed = set(BASE_MODULES) | {"cli", "__main__"}
    assert sorted(p.stem for p in ROOT.glob("*.py") if p.stem not in placed) == []


def test_no_core_file_imports_an_upper_layer_even_lazily():
    files = _core_files()
    assert len(files) > 100 and all(path.is_file() for path in files)
    assert [offence for path in files for offence in _offences(path)] == []


@pytest.mark.parametrize("where, leak", [
    ("acquire/_probe.py", "def f():\n    from mindpilot.commands import output\n"),  # lazy acquire -> commands
    ("validators/_probe.py", "from mindpilot.acquire.stack import Stack\n"),  # validators -> acquire
    ("datafiles.py", "def f():\n    from mindpilot.launch import jobs\n"),  # a base module -> launch
    ("validators/check/_probe.py", "def f():\n    from rich.text import Text\n"),  # presentation in the core
    ("launch/_probe.py", "import importlib\nimportlib.import_module('mindpilot.commands.check')\n"),
    ("launch/_probe.py", "import importlib\ndef f(n):\n    return importlib.import_module(f'mindpilot.tui.{n}')\n"),
    ("presets/_probe.py", "def f():\n    from ..validators import findings\n"),  # relative, upward
    ("wording.py", "import textual\n"),
])
def test_the_static_scan_sees_each_kind_of_leak(where, leak):
    """Each leak, as if written in that file (nothing is written into the source tree)."""
    leak_line = len(leak.splitlines())
    found = _offences(ROOT / where, leak)
    assert found and all(offence.startswith(f"{where}:{leak_line}: ") for offence in found)


def test_the_static_scan_lets_the_layers_below_through():
    allowed = ("from mindpilot.validators.findings import Finding\nfrom mindpilot import fileio\n"
               "from ..presets import preset\nimport importlib\nimportlib.import_module('mindpilot.launch.jobs')\n")
    assert _offences(ROOT / "acquire" / "_probe.py", allowed) == []
    assert _offences(ROOT / "presets" / "_probe.py", "from mindpilot.launch import jobs\n") != []


def test_no_command_imports_another_command():
    """A subcommand module imports only shared helpers of ``commands`` (output, follow, tool_job), never another
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


def test_importing_every_core_module_loads_no_upper_layer(tmp_path):
    modules = [_module_name(path) for path in _core_files()]
    modules = [name[: -len(".__init__")] if name.endswith(".__init__") else name for name in modules]
    upper = ("mindpilot.commands", "mindpilot.tui", "mindpilot.cli")
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.startswith({upper!r}))))\n"
    )
    assert json.loads(_fresh(code, tmp_path)) == []


def test_the_commands_never_import_the_tui():
    """The TUI is reached only through the CLI's lazy door (``cli.py``); no subcommand or helper imports it."""
    offences = [f"{path.relative_to(ROOT)}:{line}: {name}" for path in sorted((ROOT / "commands").glob("*.py"))
                for line, name in _imports(path) if name == "mindpilot.tui" or name.startswith("mindpilot.tui.")]
    assert offences == []
