"""The CLI contract that every subcommand keeps: exit codes, stdout for data, stderr for messages."""

from __future__ import annotations

from support import run_cli

from mindpilot.exit_codes import ExitCode
from mindpilot.i18n import detect_lang


def test_exit_codes_are_the_documented_numbers():
    assert [int(c) for c in ExitCode] == [0, 1, 2, 3, 4, 130]


def test_bare_command_off_a_terminal_is_a_usage_error_on_stderr():
    done = run_cli()
    assert done.returncode == ExitCode.USAGE
    assert done.stdout == ""
    assert "subcommand" in done.stderr


def test_unknown_flag_is_a_usage_error():
    done = run_cli("--no-such-flag")
    assert done.returncode == ExitCode.USAGE


def test_language_comes_from_the_locale():
    assert detect_lang({"LANG": "zh_CN.UTF-8"}) == "zh"
    assert detect_lang({"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}) == "en"
    assert detect_lang({}) == "en"


def test_only_the_tuis_own_flags_skip_the_subcommand_parsers():
    from mindpilot.cli import _tui_flags

    assert vars(_tui_flags(["--lang", "zh", "--demo"])) == {"command": None, "demo": True, "global_lang": "zh",
                                                            "lang": "zh"}
    assert _tui_flags([]).demo is False and _tui_flags(["--lang=en"]).lang == "en"
    for argv in (["check"], ["--help"], ["--version"], ["--lang", "fr"], ["--lang"], ["--demo", "doctor"]):
        assert _tui_flags(list(argv)) is None, argv  # these go through argparse, which explains or runs them
