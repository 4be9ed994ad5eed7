"""The Check step: findings for the user's config files, with the line to change and the fix.

Runs the CLI's router (``launch.router.analyse``, through ``tui.core.check``) in a thread worker against the
cards and HBM of the session (what the user typed on the Plan step, else the environment's). In demo mode the field starts with a copy
of ``tui/demo/finetune_qwen2_5_7b.yaml``, so the first check already finds something.
"""

from __future__ import annotations

import shlex

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Checkbox, Input, Static

from mindpilot.tui import core
from mindpilot.tui.screens.step import StepScreen
from mindpilot.tui.widgets.findings_panel import FindingsPanel
from mindpilot.tui.widgets.labeled import Labeled
from mindpilot.validators.findings import Severity
from mindpilot.terminal_text import visible


class CheckScreen(StepScreen):
    """A path field, a skip-paths switch, the findings and the selected one's fix."""

    CSS_PATH = "check.tcss"
    MODE = "check"
    AUTO_FOCUS = "#findings-table"
    BINDINGS = [
        Binding("k", "check", "key_check"),
        Binding("s", "toggle_skip", "key_skip_paths"),
        Binding("c", "copy_fix", "key_copy"),
    ]

    def compose_body(self) -> ComposeResult:
        if self.session.demo and not self.session.config_path:
            # A first-time user sees real findings at once: the demo config has two common mistakes.
            self.session.config_path = _demo_config()
        with Horizontal(id="check-form"):
            yield Labeled(self.t("check_file"), Input(visible(self.session.config_path or ""), compact=True,
                                                      placeholder=self.t("check_placeholder"), id="check-path"),
                          id="check-path-row")
            yield Checkbox(self.t("check_skip_paths"), self.session.demo, compact=True, id="skip-paths")
        yield Static(self.t("check_hint"), id="check-status")
        yield FindingsPanel(self.session.lang, id="check-findings")

    def on_mount(self) -> None:
        if self.session.check_findings:
            self.query_one(FindingsPanel).show(self.session.check_findings)
        elif self.session.config_path:
            self.action_check()

    def after_relabel(self) -> None:
        if self.session.check_findings:
            self.action_check()

    def on_screen_resume(self) -> None:
        # Plan may have set (or written) the config since this screen was built.
        # (Textual also runs StepScreen.on_screen_resume: handlers run for every class in the MRO.)
        field = self.query("#check-path")
        if field and not field.first(Input).value and self.session.config_path:
            field.first(Input).value = visible(self.session.config_path)
            self.action_check()

    def _paths(self) -> list[str]:
        return shlex.split(self.query_one("#check-path", Input).value)

    def _skip_paths(self) -> bool:
        boxes = self.query("#skip-paths")
        return bool(boxes and boxes.first(Checkbox).value)

    def cli_argv(self) -> list[str]:
        fields = self.query("#check-path")
        paths = self._paths() if fields else None
        return core.check_argv(self.session, paths, self._skip_paths())

    def on_input_changed(self, event: Input.Changed) -> None:
        paths = self._paths_or_none(event.value)
        self.session.config_path = paths[0] if paths else None
        self.update_cli_hint()

    @staticmethod
    def _paths_or_none(text: str) -> list[str]:
        try:
            return shlex.split(text)
        except ValueError:  # an unfinished quote while typing
            return []

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_check()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        self.update_cli_hint()

    def action_toggle_skip(self) -> None:
        """Skip file-system checks (CI machines hold configs but not weights)."""
        self.query_one("#skip-paths", Checkbox).toggle()

    def action_check(self) -> None:
        """Check the files in the field."""
        paths = self._paths_or_none(self.query_one("#check-path", Input).value)
        if not paths:
            self.query_one("#check-status", Static).update(self.t("check_no_file"))
            return
        self.query_one("#check-status", Static).update(self.t("check_running"))
        self.run_check(paths, self._skip_paths())

    @work(thread=True, exclusive=True, group="check")
    def run_check(self, paths: list[str], skip_paths: bool) -> None:
        """The checker in a thread; findings go back to the UI thread."""
        session = self.session
        cards = session.cards or session.env_cards()
        hbm = session.hbm_gb or session.env_hbm_gb()
        try:
            findings = core.check(paths, cards, hbm, skip_paths, session.lang)
        except Exception as exc:  # a file that does not parse: DataFileError names file, line and key
            self.from_thread(self._status, self.t("failed", error=exc))
            return
        self.from_thread(self.show_findings, findings, len(paths), cards, hbm)

    def _status(self, text: str) -> None:
        self.query_one("#check-status", Static).update(visible(text))

    def show_findings(self, findings: list, files: int, cards, hbm) -> None:
        """Show the findings and the counts, and keep them in the session."""
        self.session.check_findings = list(findings)
        errors = sum(f.severity is Severity.ERROR for f in findings)
        warnings = sum(f.severity is Severity.WARNING for f in findings)
        self._status(self.t("check_counts", files=files, errors=errors, warnings=warnings,
                            cards=cards or "?", hbm=f"{hbm:g}" if hbm else "?"))
        panel = self.query_one(FindingsPanel)
        panel.show(findings)
        panel.query_one("#findings-table").focus()


def _demo_config() -> str:
    try:
        return core.demo_config()
    except OSError:  # no writable temp dir: the field stays empty, the step still works
        return ""
