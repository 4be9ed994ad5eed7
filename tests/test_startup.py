"""Start-up stays cheap: ``--help`` loads neither pydantic nor ruamel, and the knowledge shipped as YAML
is parsed and validated once, then read from the cache until a file changes, so that a warm ``doctor --demo``
or ``check FILE`` loads neither. (Times are in ``bench/startup.py``.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from mindpilot import datacache
from mindpilot.datafiles import package_path, read_yaml

HEAVY = ("pydantic", "ruamel", "yaml", "psutil", "textual", "rich")


def _modules_after(code: str, cache: str) -> list[str]:
    probe = (f"import sys, json, contextlib, io\n{code}\n"
             f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "MINDPILOT_CACHE_DIR": cache})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_help_imports_nothing_heavy(tmp_path):
    code = ("from mindpilot.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try:\n        main(['--help'])\n    except SystemExit:\n        pass")
    assert _modules_after(code, str(tmp_path)) == []


def test_a_second_doctor_run_parses_no_yaml_and_needs_no_pydantic(tmp_path):
    code = ("from mindpilot.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n    main(['doctor', '--demo'])")
    first = _modules_after(code, str(tmp_path))
    second = _modules_after(code, str(tmp_path))
    assert "ruamel" in first and "pydantic" in first  # the knowledge is parsed and validated once ...
    assert "ruamel" not in second and "pydantic" not in second  # ... then read as it was built


def test_the_cache_follows_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("MINDPILOT_CACHE_DIR", str(tmp_path))
    path = package_path("validators", "data", "rules", "diagnose.yaml")
    assert datacache.shipped(path) and not datacache.shipped(tmp_path / "user.yaml")
    parsed = read_yaml(path)
    assert hasattr(parsed, "lc")  # ruamel's document, with line numbers
    cached = read_yaml(path)
    assert not hasattr(cached, "lc") and json.dumps(cached) == json.dumps(parsed)
    with _edited(path):
        assert datacache.load(path) is datacache.MISS and hasattr(read_yaml(path), "lc")


def test_what_json_would_change_is_not_cached(tmp_path, monkeypatch):
    import datetime

    monkeypatch.setenv("MINDPILOT_CACHE_DIR", str(tmp_path))
    assert datacache._plain({1: "int key"}) is datacache.MISS
    assert datacache._plain({"when": datetime.date(2025, 8, 7)}) is datacache.MISS
    assert datacache._plain({"a": [1, 2.5, True, None, "x"]}) == {"a": [1, 2.5, True, None, "x"]}
    (tmp_path / "yaml").write_text("not a directory", encoding="utf-8")  # an unwritable cache: no cache, no error
    path = package_path("validators", "data", "rules", "diagnose.yaml")
    assert hasattr(read_yaml(path), "lc") and hasattr(read_yaml(path), "lc")


def test_the_format_choices_are_the_formats_rendered():
    from mindpilot.commands.output import FORMATS
    from mindpilot.validators.ci_formats import FORMATS as RENDERED

    assert FORMATS == RENDERED


def test_only_knowledge_is_cached_not_the_configs_we_ship():
    assert datacache.shipped(package_path("validators", "data", "stacks.yaml"))
    assert datacache.shipped(package_path("tui", "labels.yaml"))
    assert not datacache.shipped(package_path("presets", "builtin", "demo.yaml"))
    assert not datacache.shipped(package_path("tui", "demo", "finetune_qwen2_5_7b.yaml"))


def test_a_second_check_run_needs_neither_pydantic_nor_ruamel(tmp_path):
    config = package_path("tui", "demo", "finetune_qwen2_5_7b.yaml")
    code = ("from mindpilot.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    main(['check', {str(config)!r}, '--cards', '8', '--hbm', '64'])")
    first = _modules_after(code, str(tmp_path))
    second = _modules_after(code, str(tmp_path))
    assert "pydantic" in first  # the knowledge is validated once ...
    assert "pydantic" not in second and "ruamel" not in second  # ... and then read as it was built


@contextmanager
def _edited(path: Path):
    """``path`` looks edited (its mtime one second later) inside the block, and as it was after."""
    stat = path.stat()
    try:
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        yield
    finally:
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def _counting_build(make=lambda count: {"built": count}):
    """A builder that returns ``make(number of calls so far)``."""
    calls = []

    def build():
        calls.append(1)
        return make(len(calls))

    return build


def test_built_knowledge_follows_the_file_and_refuses_an_entry_others_can_write(tmp_path, monkeypatch):
    monkeypatch.setenv("MINDPILOT_CACHE_DIR", str(tmp_path))
    path = package_path("validators", "data", "rules", "parallel.yaml")
    build = _counting_build()
    assert datacache.built(path, "probe", build) == {"built": 1}
    assert datacache.built(path, "probe", build) == {"built": 1}  # from the entry
    entry = next((tmp_path / "yaml").glob("*.probe.py*.pickle"))
    entry.chmod(0o666)  # anyone may write it now: never unpickled
    assert datacache.built(path, "probe", build) == {"built": 2}
    assert entry.stat().st_mode & 0o777 == 0o600  # written again, private
    with _edited(path):
        assert datacache.built(path, "probe", build) == {"built": 3}
    entry.write_bytes(b"not a pickle")
    assert datacache.built(path, "probe", build) == {"built": 4}
    assert datacache.built(tmp_path / "user.yaml", "probe", build) == {"built": 5}  # not shipped: never kept


def test_built_knowledge_follows_the_code_of_the_types_it_holds(tmp_path, monkeypatch):
    from mindpilot import bilingual
    from mindpilot.bilingual import Bilingual

    monkeypatch.setenv("MINDPILOT_CACHE_DIR", str(tmp_path))
    path = package_path("validators", "data", "rules", "parallel.yaml")
    build = _counting_build(lambda count: {"text": [Bilingual(zh="甲", en="a")], "count": count})
    assert datacache.built(path, "types", build)["count"] == 1
    assert datacache.built(path, "types", build) == {"text": [Bilingual(zh="甲", en="a")], "count": 1}
    with _edited(Path(bilingual.__file__)):  # the code of a type the entry holds "changed"
        assert datacache.built(path, "types", build)["count"] == 2


def test_a_second_diagnose_of_a_pasted_error_needs_neither_pydantic_nor_ruamel(tmp_path):
    log = tmp_path / "worker_0.log"
    log.write_text("Traceback (most recent call last):\nValueError: bad thing\n", encoding="utf-8")
    code = ("from mindpilot.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    main(['diagnose', {str(log)!r}])")
    _modules_after(code, str(tmp_path / "cache"))
    assert not {"pydantic", "ruamel"} & set(_modules_after(code, str(tmp_path / "cache")))
