"""The Plan step: pick a model and framework, get parallel layouts for the cards, write one into a YAML.

Cards and HBM default to what the Environment step found. Planning runs ``presets.planner.plan``
in a thread worker; applying shows ``yaml_apply``'s diff first and writes only after ``y``. Only a
MindFormers plan can be applied: GRPO's three roles and MindSpeed-LLM's script and ``convert_ckpt.py``
arguments are shown in the details to copy by hand. The table rows and the details' text are built in
``tui/candidate_view.py``.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any, Optional

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, Select, Static

from mindpilot.tui import candidate_view, core
from mindpilot.tui.acquiring import interleave, seq_length
from mindpilot.tui.screens.diff import DiffScreen
from mindpilot.tui.screens.step import StepScreen
from mindpilot.tui.widgets.labeled import Labeled
from mindpilot.terminal_text import visible

DEFAULT_MODEL = "qwen2.5-7b"
DETAIL_LINES = 3
"""Lines of the details pane; one more when the YAML row is hidden (the framework cannot be applied)."""
_NO_APPLY = {"mindrlhf-grpo": "plan_no_apply_grpo", "mindspeed-llm": "plan_no_apply_mindspeed"}
"""Why ``a`` does nothing for a framework other than MindFormers, and what to do instead."""


class PlanScreen(StepScreen):
    """Model and card fields, the candidate table, and the selected candidate's details."""

    CSS_PATH = "plan.tcss"
    MODE = "plan"
    AUTO_FOCUS = "#candidates"
    BINDINGS = [
        Binding("p", "plan", "key_plan"),
        Binding("a", "apply", "key_apply"),
        Binding("f", "next_framework", "key_framework"),
        Binding("v", "verify", "key_verify"),
    ]

    def compose_body(self) -> ComposeResult:
        session = self.session
        options = self.offered = model_options(session)
        values = [value for _, value in options]
        model = session.model if session.model in values else (values[0] if values else None)
        session.model = model
        # The probe's cards and HBM; with no NPU here the fields stay empty and the status asks for them.
        cards = session.cards or session.env_cards() or (8 if session.demo else None)
        hbm = session.hbm_gb or session.env_hbm_gb() or (64 if session.demo else None)
        with Horizontal(id="plan-form"):
            yield Labeled(self.t("plan_model"), Select(options, value=model or Select.BLANK,
                                                       allow_blank=model is None, compact=True, id="model"))
            yield Labeled(self.t("plan_framework"), Select([(f, f) for f in core.FRAMEWORKS],
                                                           value=session.framework, allow_blank=False,
                                                           compact=True, id="framework"))
        with Horizontal(id="plan-numbers"):
            yield Labeled(self.t("plan_cards"), Input(str(cards or ""), type="integer", compact=True, id="cards",
                                                      placeholder="?"))
            yield Labeled(self.t("plan_hbm"), Input(f"{hbm:g}" if hbm else "", type="number", compact=True, id="hbm",
                                                    placeholder="?"))
            yield Labeled(self.t("plan_seq"), Input(str(session.seq_len or seq_length(session)), type="integer",
                                                    compact=True, id="seq"))
        yield Static(self.t("plan_hint") if cards and hbm else self.t("plan_ask_cards"), id="plan-status")
        table: DataTable = DataTable(cursor_type="row", zebra_stripes=True, id="candidates")
        for key in ("#", *candidate_view.LAYOUT_COLUMNS, "mbn"):
            table.add_column(key, key=key)
        table.add_column(self.t("col_mem"), key="mem")
        table.add_column("", key="bar")
        table.add_column(self.t("col_fits"), key="fits")
        yield table
        yield Static("", id="candidate-detail", markup=False)
        yield Labeled(self.t("plan_yaml"), Input(visible(session.config_path or ""), compact=True,
                                                 placeholder=self.t("plan_yaml_placeholder"), id="yaml"),
                      id="yaml-row")

    @property
    def applies(self) -> bool:
        """The framework's plan can be written into a YAML (MindFormers only)."""
        return self.session.framework == "mindformers"

    def cli_argv(self) -> list[str]:
        return core.plan_argv(self.session, self._seq_len())

    def on_mount(self) -> None:
        self.query_one("#yaml-row").display = self.applies
        if self.session.candidates:
            self.show_candidates(self.session.candidates)
        elif self._inputs() is not None:
            self.action_plan()  # fast: show candidates for the defaults at once

    async def on_screen_resume(self) -> None:
        await super().on_screen_resume()
        # The Model step may have fetched or checked a directory since: offer it, and plan it when it is new.
        options = model_options(self.session)
        if options == self.offered:
            return
        old = {value for _, value in self.offered}
        self.offered = options
        select = self.query_one("#model", Select)
        select.set_options(options)
        values = [value for _, value in options]
        new_dir = self.session.model_dir if self.session.model_dir in values and self.session.model_dir not in old \
            else None
        model = new_dir or (self.session.model if self.session.model in values else (values[0] if values else None))
        if model is not None:
            select.value = model  # a changed value plans again (on_select_changed)

    def after_relabel(self) -> None:
        # The planner's reasons come in one language: plan again in the new one, on the same row.
        self.query_one("#yaml-row").display = self.applies
        if self.session.candidates:
            self.action_plan()

    def _seq_len(self) -> int:
        fields = self.query("#seq")
        return (core.optional_int(fields.first(Input).value) if fields else None) or self.session.seq_len \
            or seq_length(self.session)

    def _inputs(self) -> Optional[tuple[str, int, float, int]]:
        model = self.query_one("#model", Select).value
        cards = core.optional_int(self.query_one("#cards", Input).value)
        hbm = core.optional_float(self.query_one("#hbm", Input).value)
        if not isinstance(model, str) or not cards or cards < 1 or not hbm or hbm <= 0:
            return None
        return model, cards, hbm, self._seq_len()

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "framework":
            if isinstance(event.value, str) and event.value != self.session.framework:
                self.session.framework = event.value
                self.query_one("#yaml-row").display = self.applies
                self.update_cli_hint()
                self.action_plan()
            return
        if isinstance(event.value, str) and event.value != self.session.model:
            self.session.model = event.value
            self.update_cli_hint()
            self.action_plan()  # a new model: its candidates right away

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "cards":
            self.session.cards = core.optional_int(event.value)
        elif event.input.id == "hbm":
            self.session.hbm_gb = core.optional_float(event.value)
        elif event.input.id == "seq":
            # kept only when it differs from the YAML's: a new YAML then brings its own length
            typed = core.optional_int(event.value)
            self.session.seq_len = typed if typed != seq_length(self.session) else None
        elif event.input.id == "yaml":
            self.session.config_path = event.value.strip() or None
        self.update_cli_hint()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "yaml":
            self.action_apply()
        else:
            self.action_plan()

    def action_next_framework(self) -> None:
        """MindFormers -> GRPO -> MindSpeed-LLM -> MindFormers (the select's change plans again)."""
        select = self.query_one("#framework", Select)
        current = select.value if select.value in core.FRAMEWORKS else core.FRAMEWORKS[-1]
        select.value = core.FRAMEWORKS[(core.FRAMEWORKS.index(current) + 1) % len(core.FRAMEWORKS)]

    def action_plan(self) -> None:
        """Plan for the model and cards in the fields."""
        inputs = self._inputs()
        if inputs is None:
            self.query_one("#plan-status", Static).update(self.t("plan_bad_input"))
            return
        self.query_one("#plan-status", Static).update(self.t("plan_running"))
        self.run_plan(*inputs, self.session.framework)

    @work(thread=True, exclusive=True, group="plan")
    def run_plan(self, model: str, cards: int, hbm: float, seq_len: int, framework: str) -> None:
        """The planner in a thread; candidates go back to the UI thread."""
        try:
            candidates = core.plan(model, cards, hbm, seq_len, self.session.lang, framework, interleave(self.session))
        except Exception as exc:  # bad model dir, planner refusal: say it, keep the UI
            self.from_thread(self._status, self.t("failed", error=exc))
            return
        self.from_thread(self.show_candidates, candidates, model, cards, hbm)

    def _status(self, text: str) -> None:
        self.query_one("#plan-status", Static).update(visible(text))

    def show_candidates(self, candidates: list[dict[str, Any]], model: Optional[str] = None,
                        cards: Optional[int] = None, hbm: Optional[float] = None) -> None:
        """Fill the candidate table (best first) and remember the candidates in the session."""
        session = self.session
        session.candidates = list(candidates)
        model = model or session.model
        cards = cards or session.cards or session.env_cards()
        hbm = hbm or session.hbm_gb or session.env_hbm_gb() or 0.0
        table = self.query_one("#candidates", DataTable)
        table.clear()
        for index, candidate in enumerate(candidates, start=1):
            table.add_row(*candidate_view.table_row(index, candidate, hbm, self.t), key=str(index))
        fits = sum(bool(c.get("fits")) for c in candidates)
        self._status(self.t("plan_count", count=len(candidates), fits=fits, model=model_name(model), cards=cards,
                            hbm=f"{hbm:g}")
                     if candidates else self.t("plan_none"))
        if candidates:
            row = candidate_view.same_layout_row(candidates, session.chosen)
            table.move_cursor(row=row)
            session.chosen = candidates[row]
            self.describe(candidates[row])
        self.update_cli_hint()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        row = event.cursor_row
        if 0 <= row < len(self.session.candidates):
            self.session.chosen = self.session.candidates[row]
            self.describe(self.session.chosen)

    def describe(self, candidate: dict[str, Any]) -> None:
        """The selected candidate: what to write (per framework), memory terms, the planner's reasons."""
        lines = candidate_view.detail_lines(candidate, width=max(self.app.size.width - 2, 20),
                                            rows=DETAIL_LINES if self.applies else DETAIL_LINES + 1)
        self.query_one("#candidate-detail", Static).update(visible("\n".join(lines)))

    def action_apply(self) -> None:
        """Diff the chosen candidate against the YAML in the field, then write it on confirmation."""
        if not self.applies:
            self.notify(self.t(_NO_APPLY.get(self.session.framework, "plan_no_apply_mindspeed")),
                        severity="warning", timeout=10)
            return
        path = self.query_one("#yaml", Input).value.strip()
        if not path:
            self.notify(self.t("plan_no_yaml"), severity="warning")
            return
        if self.session.chosen is None:
            self.notify(self.t("plan_no_candidate"), severity="warning")
            return
        self.session.config_path = path
        self.apply_flow(path, self.session.chosen)

    def action_verify(self) -> None:
        """MindSpore's DryRun of the YAML in the field as it is now (apply a candidate first to verify it)."""
        path = self.query_one("#yaml", Input).value.strip()
        if not path:
            self.notify(self.t("plan_no_yaml"), severity="warning")
            return
        self.session.config_path = path
        self._status(self.t("plan_verify_running", path=path))
        self.run_verify(path)

    @work(thread=True, exclusive=True, group="dryrun")
    def run_verify(self, path: str) -> None:
        """The DryRun's progress and verdict (:func:`mindpilot.tui.verifying.dryrun_updates`) onto the screen."""
        from textual.worker import get_current_worker

        from mindpilot.tui.verifying import dryrun_updates

        worker = get_current_worker()
        detail = self.query_one("#candidate-detail", Static)
        for kind, text in dryrun_updates(self.session, path, stop=lambda: worker.is_cancelled):
            self.from_thread(self._status if kind == "status" else detail.update, visible(text))

    @work(exclusive=True, group="apply")
    async def apply_flow(self, path: str, candidate: dict[str, Any]) -> None:
        """Dry-run, show the diff, write on ``y``."""
        try:
            diff = core.apply_candidate(path, candidate, dry_run=True)
        except Exception as exc:  # DataFileError names file, line and key
            self.notify(self.t("failed", error=exc), severity="error", timeout=8)
            return
        if not diff.strip():
            self.notify(self.t("plan_unchanged", path=path))
            return
        command = shlex.join(core.plan_argv(self.session, self._seq_len(), apply_pick=self._pick(candidate)))
        if await self.app.push_screen_wait(DiffScreen(diff, self.session.lang, command)):
            try:
                core.apply_candidate(path, candidate, dry_run=False)
            except Exception as exc:
                self.notify(self.t("failed", error=exc), severity="error", timeout=8)
                return
            self.notify(f"{self.t('plan_applied', path=path)}\n$ {command}", timeout=10, markup=False)

    def _pick(self, candidate: dict[str, Any]) -> int:
        """``--pick N`` of ``candidate``: its row in the table, 1-based."""
        return next((row for row, c in enumerate(self.session.candidates, start=1) if c is candidate), 1)


def model_options(session: Any) -> list[tuple[str, str]]:
    """``(shown, value)`` of the models to plan: the step's model directory, the YAML's model, then the catalogue.

    The value is what ``mindpilot plan --model`` takes (a directory, a YAML or a catalogue name), so that the
    Plan step and its CLI line plan the same model.
    """
    options = []
    if session.model_dir and Path(session.model_dir).expanduser().is_dir() and _plannable(session.model_dir):
        options.append((f"{model_name(session.model_dir)} (dir)", session.model_dir))
    if session.config_path and _plannable(session.config_path):
        options.append((f"{Path(session.config_path).stem} (YAML)", session.config_path))  # one row, not two
    catalogue = core.model_ids()
    if session.model and session.model not in catalogue and not options:
        options.append((model_name(session.model), session.model))  # e.g. typed on the Model step
    preferred = [DEFAULT_MODEL] if DEFAULT_MODEL in catalogue else []
    return options + [(m, m) for m in preferred + [m for m in catalogue if m not in preferred]]


def model_name(model: Optional[str]) -> str:
    """A model's short name: the catalogue id, or the folder / file name of a path."""
    if not model:
        return "—"
    return Path(model).name if ("/" in model or model.endswith((".yaml", ".yml"))) else model


def _plannable(path: str) -> bool:
    """The planner can read the model's numbers from this directory's ``config.json`` or this YAML."""
    from mindpilot.datafiles import DataFileError
    from mindpilot.presets.models import get_model

    try:
        get_model(path)
    except (DataFileError, KeyError, OSError, ValueError):
        return False
    return True
