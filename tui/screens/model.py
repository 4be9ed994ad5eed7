"""The Model step: a ModelScope id to download (with progress, resuming), or a directory to check.

The download runs ``acquire.download.download_model`` (modelscope's own client) in a thread worker and
draws its byte counts as a progress bar; every download ends with ``acquire.model_check``, so an
incomplete model is an error naming the missing shard, never a silent pass. The table lists models
already in the modelscope cache and the catalogue's models.
"""

from __future__ import annotations

from typing import Any, Optional

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, ProgressBar, Static

from mindpilot.tui import acquiring
from mindpilot.tui.core import short
from mindpilot.tui.screens.step import StepScreen
from mindpilot.tui.widgets.findings_panel import FindingsPanel
from mindpilot.tui.widgets.labeled import Labeled
from mindpilot.terminal_text import visible

_QWEN_FAMILIES = ("qwen2", "qwen3", "qwen3_moe")
"""Catalogue families published on ModelScope as ``Qwen/<Name>`` (``qwen2.5-7b`` -> ``Qwen/Qwen2.5-7B``)."""


def modelscope_id(model_id: str, family: str) -> str:
    """The ModelScope id of a Qwen catalogue model; empty for others (their spelling is not derivable)."""
    if family not in _QWEN_FAMILIES:
        return ""
    first, *rest = model_id.split("-")
    return "Qwen/" + "-".join([first[:1].upper() + first[1:], *(part.upper() for part in rest)])


class ModelScreen(StepScreen):
    """Source and target fields, a progress bar, cached and catalogue models, the completeness findings."""

    CSS_PATH = "model.tcss"
    MODE = "model"
    AUTO_FOCUS = "#model-table"
    BINDINGS = [
        Binding("g", "download", "key_download"),
        Binding("k", "check", "key_check_model"),
    ]

    def compose_body(self) -> ComposeResult:
        session = self.session
        if session.demo and not session.model_source:
            session.model_source = session.model_dir = _safe_demo_model()
        with Horizontal(id="model-form"):
            yield Labeled(self.t("model_source"), Input(visible(session.model_source or ""), compact=True,
                                                        id="model-source",
                                                        placeholder=self.t("model_source_placeholder")),
                          id="model-source-row")
        with Horizontal(id="model-form2"):
            yield Labeled(self.t("model_local_dir"), Input(visible(session.model_local_dir or ""), compact=True,
                                                           id="model-local",
                                                           placeholder=self.t("model_local_placeholder")),
                          id="model-local-row")
        hint = self.t("model_demo", model=acquiring.DEMO_MODEL_ID, path=session.model_dir) if session.demo \
            else self.t("model_hint")
        yield Static(hint, id="model-status", markup=False)
        yield ProgressBar(total=None, show_eta=False, id="model-progress")
        table: DataTable = DataTable(cursor_type="row", zebra_stripes=True, id="model-table")
        table.add_column(self.t("col_where"), key="where", width=9)
        table.add_column(self.t("col_model"), key="model", width=18)
        table.add_column(self.t("col_path"), key="path", width=46)
        yield table
        yield FindingsPanel(self.session.lang, id="model-findings")

    def __init__(self, session) -> None:
        super().__init__(session)
        self.fetched: dict[str, str] = {}
        """Directory each ModelScope id was downloaded into this session (a later check reads it, not the id)."""
        self.checked: Optional[str] = None
        """The directory of the last check: ``l`` checks it again, to say its verdict in the new language."""

    def on_mount(self) -> None:
        self.query_one("#model-progress").display = False
        self.rows: list[tuple[str, Optional[str]]] = []
        self.list_models()
        if self.checked:
            self.run_check(self.checked)
        elif self.session.model_dir and self.session.demo:
            self.action_check()

    def after_relabel(self) -> None:
        self.on_mount()

    def cli_argv(self) -> list[str]:
        return acquiring.model_argv(self.session, self._field("#model-source"), self._field("#model-local"))

    def _field(self, selector: str) -> str:
        fields = self.query(selector)
        return fields.first(Input).value.strip() if fields else ""

    @work(thread=True, exclusive=True, group="list")
    def list_models(self) -> None:
        """Cached models (a directory scan) and the catalogue, in a thread."""
        from mindpilot.acquire.cache import cached_models

        rows = [("cache", m.model_id, m.path) for m in _safe(cached_models, [])]
        for model_id, arch in _safe(_catalogue, {}).items():
            rows.append(("catalogue", model_id, modelscope_id(model_id, getattr(arch, "family", ""))))
        self.from_thread(self.show_models, rows)

    def show_models(self, rows: list[tuple[str, str, str]]) -> None:
        """Fill the table: what each row would put in the source field."""
        table = self.query_one("#model-table", DataTable)
        table.clear()
        self.rows = []
        for index, (where, model_id, path) in enumerate(rows):
            table.add_row(self.t(f"where_{where}"), short(visible(model_id), 18), short(visible(path), 46),
                          key=str(index))
            self.rows.append((path or model_id, model_id if where == "catalogue" else None))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id != "model-table" or not 0 <= event.cursor_row < len(self.rows):
            return
        source, catalogue_id = self.rows[event.cursor_row]
        if catalogue_id:
            self.session.model = catalogue_id
        self.query_one("#model-source", Input).value = source
        self.query_one("#model-source", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "model-source":
            self.session.model_source = event.value.strip() or None
        elif event.input.id == "model-local":
            self.session.model_local_dir = event.value.strip() or None
        self.update_cli_hint()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        source = self._field("#model-source")
        if source and acquiring.is_model_id(source):
            self.action_download()
        else:
            self.action_check()

    def _status(self, text: str) -> None:
        self.query_one("#model-status", Static).update(visible(text))

    def action_download(self) -> None:
        """Download the id in the field (modelscope resumes a stopped download)."""
        source = self._field("#model-source")
        if not source:
            self._status(self.t("model_need_source"))
            return
        if not acquiring.is_model_id(source):
            self._status(self.t("model_not_id", text=source))
            return
        self._status(self.t("model_downloading", model=source))
        self.query_one(FindingsPanel).show([])  # an earlier check's findings are not about this download
        bar = self.query_one("#model-progress", ProgressBar)
        bar.display = True
        bar.update(total=None, progress=0)
        self.run_download(source, self._field("#model-local") or None)

    @work(thread=True, exclusive=True, group="download")
    def run_download(self, model_id: str, local_dir: Optional[str]) -> None:
        """The download in a thread; progress and the result go back to the UI thread."""
        from mindpilot.acquire.download import (DownloadDone, DownloadFailed, DownloadTotals, download_model,
                                                failure_findings)

        try:
            for event in download_model(model_id, local_dir=local_dir):
                if isinstance(event, DownloadTotals):
                    self.from_thread(self.show_progress, event)
                elif isinstance(event, DownloadDone):
                    self.from_thread(self.downloaded, event.path, model_id)
                elif isinstance(event, DownloadFailed):
                    self.from_thread(self.download_failed, failure_findings(event, self.session.lang))
        except Exception as exc:  # anything the download events do not cover: the bar must not keep going
            self.from_thread(self.download_failed, [], str(exc))

    def download_failed(self, findings: list, error: str = "") -> None:
        """Stop and hide the bar, say which file failed, why, and what to do; the findings replace older ones."""
        bar = self.query_one("#model-progress", ProgressBar)
        bar.update(total=100, progress=0)  # an indeterminate bar animates even when hidden and shown again
        bar.display = False
        self.query_one(FindingsPanel).show(findings)
        first = findings[0] if findings else None
        # the title only: the fix is in the findings below (with both, two rows ended on a cut " —")
        self._status(self.t("model_failed", error=first.title if first else error))

    def show_progress(self, totals: Any) -> None:
        """Move the bar and say how far it is."""
        self.query_one("#model-progress", ProgressBar).update(total=max(totals.total, 1), progress=totals.done)
        self._status(self.t("model_progress", done=f"{totals.done / 1e6:,.1f}", total=f"{totals.total / 1e6:,.1f}",
                            files=totals.files_done))

    def downloaded(self, path: str, model_id: str = "") -> None:
        """Remember the directory and check it."""
        self.session.model_dir = path
        if model_id:
            self.fetched[model_id] = path
        self.run_check(path)

    def action_check(self) -> None:
        """Check the directory in the field (or the downloaded one) for completeness."""
        source = self._field("#model-source") or self.session.model_dir or ""
        if not source:
            self._status(self.t("model_need_source"))
            return
        if acquiring.is_model_id(source):
            from mindpilot.acquire.cache import find_cached

            source = self.fetched.get(source) or _safe(lambda: find_cached(source), None) or source
        self._status(self.t("model_checking", path=source))
        self.run_check(source)

    @work(thread=True, exclusive=True, group="check")
    def run_check(self, path: str) -> None:
        """The completeness check in a thread."""
        from mindpilot.acquire.model_check import check_model_dir

        findings = check_model_dir(path, self.session.lang)
        self.from_thread(self.show_check, path, findings)

    def show_check(self, path: str, findings: list) -> None:
        """The verdict, and the findings with their fixes."""
        self.checked = path
        if not findings:
            self.session.model_dir = path
            catalogue_id = _catalogue_id(self.session.model_source or "", path)
            if catalogue_id:
                self.session.model = catalogue_id  # Plan plans for the model just fetched
                self.session.candidates = []
            self._status(self.t("model_complete", path=path))
        else:
            self._status(self.t("model_incomplete", count=len(findings), path=path))
        self.query_one(FindingsPanel).show(findings)
        self.update_cli_hint()


def _catalogue_id(source: str, path: str) -> Optional[str]:
    """The catalogue model a ModelScope id or a model folder name spells (``Qwen/Qwen2.5-7B`` -> ``qwen2.5-7b``)."""
    from pathlib import Path

    from mindpilot.presets.models import find_model

    for name in (source, Path(path).name):
        try:
            model = find_model(name) if name else None
        except Exception:  # an unreadable catalogue must not stop the step
            return None
        if model is not None:
            return model.name
    return None


def _catalogue() -> dict:
    from mindpilot.presets.models import catalogue

    return catalogue()


def _safe(function, default):
    try:
        return function()
    except Exception:  # an unreadable cache or catalogue must not stop the step
        return default


def _safe_demo_model() -> Optional[str]:
    try:
        return acquiring.demo_model()
    except OSError:  # no writable temp dir: the field stays empty, the step still works
        return None
