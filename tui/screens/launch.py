"""The Launch step: the job the steps built, its exact command, then the live job: logs, loss chart, errors.

With the preset field empty the job is the one the steps built (``launch.journey``: ``run_mindformer.py``
with the checked YAML, GRPO's entry script, MindSpeed-LLM's shell script; the demo job in demo mode); a
preset name or file launches that instead. The job is started and watched through ``mindpilot.launch``
(see ``tui/launching.py``); a thread worker hands the core's events in batches to the job view, which
``tui/widgets/job_pane.py`` draws. ``p`` shows the run.sh, ``w`` saves the job as a preset file that
``mindpilot launch FILE`` replays, ``s`` stops the job after a confirmation, ``d`` detaches
(``mindpilot attach ID`` resumes), ``v`` switches the log view.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.css.query import NoMatches
from textual.widgets import Input
from textual.worker import get_current_worker

from mindpilot.tui import acquiring, launching
from mindpilot.tui.job_view import JobView
from mindpilot.tui.screens.confirm import ConfirmScreen
from mindpilot.tui.screens.text_view import TextScreen
from mindpilot.tui.screens.step import StepScreen
from mindpilot.tui.widgets.command_block import CommandBlock
from mindpilot.tui.widgets.job_pane import JobPane
from mindpilot.tui.widgets.labeled import Labeled


class LaunchScreen(StepScreen):
    """Command preview, job status, loss sparkline, error panel, and the log."""

    CSS_PATH = "launch.tcss"
    MODE = "launch"
    AUTO_FOCUS = "#log"
    BINDINGS = [
        Binding("r", "run", "key_run"),
        Binding("R", "run(True)", show=False),
        Binding("s", "stop", "key_stop"),
        Binding("d", "detach", "key_detach"),
        Binding("v", "cycle_view", "key_view"),
        Binding("p", "run_sh", "key_run_sh"),
        Binding("w", "save_preset", "key_save"),
        Binding("a", "attach", "key_attach"),
    ]

    def __init__(self, session) -> None:
        super().__init__(session)
        self.preset: Any = None
        self.commands: list[Any] = []
        self.log_dir = ""
        self.master_port: Optional[int] = None
        self.running = False
        self.detached = False
        self.attached = False
        """The job on display was started elsewhere and attached to (the CLI line says ``attach``)."""
        self.attachable = False
        """A job runs that ``a`` attaches to (detached here, or found running): the footer then shows ``a``."""
        self.job = JobView(self.t)
        """Logs, losses, status and problems of the job on display."""
        self.preflight_for: Optional[tuple[Any, str, Optional[int]]] = None
        """What the last preflight checked (preset, log dir, port): ``l`` checks it again in the new language."""

    @property
    def job_id(self) -> Optional[str]:
        """Id of the job on display."""
        return self.job.job_id

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="launch-form"):
            yield Labeled(self.t("launch_preset"), Input("", compact=True, id="preset",
                                                         placeholder=self.t("launch_preset_placeholder")),
                          id="preset-row")
        yield CommandBlock("", self.session.lang, id="launch-command")
        yield JobPane(self.job, self.session.lang, id="job-pane")

    def cli_argv(self) -> list[str]:
        if self.attached and self.job_id:
            return launching.attach_argv(self.job_id, self.session.lang)
        fields = self.query("#preset")
        preset = fields.first(Input).value.strip() if fields else ""
        return launching.launch_argv(self.session.demo, preset, self.session.lang, self.session.saved_preset,
                                     self.session.config_path)

    def on_mount(self) -> None:
        self.query_one(JobPane).draw_errors(self.job)
        self.query_one(JobPane).draw_chart(self.job)
        self.build_job(self.query_one("#preset", Input).value.strip())
        if not self.running:
            self.offer_attach()

    @work(thread=True, exclusive=True, group="jobs")
    def offer_attach(self) -> None:
        """Say when a job is already running (detached earlier, or from another terminal)."""
        job = launching.newest_running_job()
        if job is not None and not self.running:
            self.from_thread(self._offer, job.id)

    def _offer(self, job_id: str) -> None:
        self._say("launch_running_elsewhere", job=job_id)
        self._set_attachable(True)

    def _set_attachable(self, attachable: bool) -> None:
        self.attachable = attachable
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> Optional[bool]:
        """``a`` (and its footer entry) only when there is a job to attach to."""
        if action == "attach":
            return self.attachable and not self.running
        return super().check_action(action, parameters)

    def action_attach(self) -> None:
        """Follow the newest running job's logs, as ``mindpilot attach ID`` does."""
        if self.running:
            self.notify(self.t("launch_already", job=self.job_id), severity="warning")
            return
        job = launching.newest_running_job()
        if job is None:
            self.notify(self.t("launch_no_job"), severity="warning")
            return
        self._reset_job_view()
        self._set_attachable(False)
        self.running, self.detached, self.attached = True, False, True
        self.job.job_id = job.id
        self.follow_job(job, ("launch_attached", dict(job=job.id, pid=job.pid)))
        self.update_cli_hint()

    def after_relabel(self) -> None:
        self.on_mount()
        self.query_one(JobPane).draw_view(self.job)
        if self.job.preflight and self.preflight_for is not None and not self.running:
            self.recheck(*self.preflight_for)  # its findings in the new language

    @work(thread=True, exclusive=True, group="launch")
    def recheck(self, preset: Any, log_dir: str, port: Optional[int]) -> None:
        """The preflight again, only to show its findings in the UI's new language."""
        try:
            findings = launching.preflight(preset, self._facts(preset), self.session.lang, log_dir, port)
        except Exception:  # it read before; if it cannot now, the findings shown stay
            return
        self.from_thread(self.show_findings, findings)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if not self.running:
            # Another job: the findings and status of the one before are not about it.
            self._reset_job_view()
            self._say("launch_ready")
        self.build_job(event.value.strip())
        self.update_cli_hint()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.update_cli_hint()

    # -- command preview ---------------------------------------------------------------------

    async def on_screen_resume(self) -> None:
        # The steps before may have changed the job; rebuild its command unless one runs.
        fields = self.query("#preset")
        if fields and not fields.first(Input).value.strip() and not self.running:
            self.build_job("")

    @work(thread=True, exclusive=True, group="build-job")
    def build_job(self, name: str) -> None:
        """Build the job (from the steps, or a preset) and its command (in a thread: it may probe files)."""
        try:
            preset = launching.load_preset(name) if name else acquiring.journey_preset(self.session)
            # The port picked when the command was first shown stays (run.sh, preview and job agree).
            commands, log_dir, port = launching.commands_for(preset, self._facts(preset), self.master_port)
        except Exception as exc:  # bad preset file: DataFileError names file, line and key
            self.from_thread(self._say, "failed", error=exc)
            return
        self.from_thread(self.show_command, preset, commands, log_dir, port)

    def show_command(self, preset: Any, commands: list[Any], log_dir: str = "", port: Optional[int] = None) -> None:
        """Show the exact command(s) the job will run."""
        self.preset, self.commands, self.log_dir, self.master_port = preset, commands, log_dir, port
        text = "\n".join(launching.preview(command.argv, preset) for command in commands)
        self.query_one("#launch-command", CommandBlock).show(text)
        if not self.running and not self.job.status_text and not self.query_one("#preset", Input).value.strip():
            config = getattr(preset, "config", None) or self.session.config_path or "—"
            self._say("launch_source_session", framework=self.session.framework, config=config)
        if not self.running and (getattr(preset, "device", None) == "cpu" or getattr(preset, "name", "") == "demo"):
            missing = launching.msrun_missing()
            if missing:
                self._say(launching.MISSING_LABELS[missing])

    # -- running -------------------------------------------------------------------------------

    def action_run(self, force: bool = False) -> None:
        """Preflight, then start the job and follow it."""
        if self.running:
            self.notify(self.t("launch_already", job=self.job_id), severity="warning")
            return
        if self.preset is None or not self.commands:
            self.notify(self.t("launch_no_preset"), severity="warning")
            return
        if len(self.commands) > 1 and getattr(self.preset, "node_rank", None) is None:
            self._say("launch_multi_node")  # as `launch` does: one command per node
            return
        missing = launching.msrun_missing()
        if missing:
            self._say(launching.MISSING_LABELS[missing])
            return
        self._reset_job_view()
        self._say("launch_starting")
        self.running, self.detached, self.attached = True, False, False
        self.update_cli_hint()
        self.run_job(self.preset, self.commands[0], self.log_dir, self.master_port, force)

    @work(thread=True, exclusive=True, group="launch")
    def run_job(self, preset: Any, command: Any, log_dir: str, port: Optional[int], force: bool) -> None:
        """Preflight as ``mindpilot launch`` does; errors ask first (yes is ``--force``), else start and follow."""
        call = self.from_thread
        try:
            findings = launching.preflight(preset, self._facts(preset), self.session.lang, log_dir, port)
        except Exception as exc:  # an unreadable config: say so, start nothing
            call(self._finish, "failed", error=exc)
            return
        self.preflight_for = (preset, log_dir, port)
        if findings:
            call(self.show_findings, findings)
        errors = launching.blocking(findings)
        if errors and not force:
            call(self.ask_force, preset, command, log_dir, len(errors))
            return
        self.start_job(preset, command, log_dir)

    def ask_force(self, preset: Any, command: Any, log_dir: str, errors: int) -> None:
        """Preflight found errors: the job starts only on ``y`` (as ``launch --force``); the findings stay shown."""
        self._finish("launch_preflight_blocked", errors=errors)

        def answered(yes: Optional[bool]) -> None:
            if yes and not self.running:
                self.running = True
                self._say("launch_starting")
                self.force_start(preset, command, log_dir)

        self.app.push_screen(ConfirmScreen(self.t("launch_confirm_force", errors=errors), self.session.lang),
                             answered)

    @work(thread=True, exclusive=True, group="launch")
    def force_start(self, preset: Any, command: Any, log_dir: str) -> None:
        """Start after the user overrode the preflight errors."""
        self.start_job(preset, command, log_dir)

    def start_job(self, preset: Any, command: Any, log_dir: str) -> None:
        """Start the job (in a worker thread) and follow it."""
        try:
            record = launching.start(preset, command, log_dir)
        except Exception as exc:  # LaunchError: msrun did not start
            self.from_thread(self._finish, "failed", error=exc)
            return
        self.job.job_id = record.id
        self.from_thread(self.follow_job, record, ("launch_started", dict(job=record.id, pid=record.pid)))

    @work(thread=True, exclusive=True, group="follow")
    def follow_job(self, record: Any, started: tuple[str, dict[str, Any]]) -> None:
        """Hand the job's events to the UI in batches until it ends or we detach."""
        worker = get_current_worker()
        call = self.from_thread
        self.job.job_id = record.id
        self.session.job = record
        self.session.log_dir = record.log_dir
        call(self._say, started[0], **started[1])
        for batch in launching.watch_batches(record.id, self.session.lang, self.t,
                                             stop=lambda: self.detached or worker.is_cancelled):
            call(self.apply_events, batch)
        call(self._watch_ended)

    def _facts(self, preset: Any) -> Any:
        facts = self.session.env_report.environment if self.session.env_report else None
        return launching.job_facts(preset, facts)

    def _watch_ended(self) -> None:
        self.running = False
        if self.detached and self.job_id:
            self._say("launch_detached", job=self.job_id)
        self.refresh_bindings()

    def _finish(self, key: str, **params: Any) -> None:
        self.running = False
        self._say(key, **params)

    def apply_events(self, events: list[Any]) -> None:
        """Take a batch of launch events into the job view and draw it."""
        new_lines = self.job.add(events)
        if self.job.ended:
            self.running = False
        self.set_class(True, "-job")
        try:
            self.query_one(JobPane).draw(self.job, new_lines)
        except NoMatches:
            pass  # the screen is being rebuilt (language switch); it redraws from the job view

    def show_findings(self, findings: list[Any]) -> None:
        """Preflight findings go to the error panel, worst first, each whole (the panel scrolls)."""
        self.job.show_preflight(findings)
        self.query_one(JobPane).draw_errors(self.job)

    def _say(self, key: str, **params: Any) -> None:
        """Set the status line from a label (drawn again in the new language after ``l``)."""
        self.job.say(key, **params)
        for pane in self.query(JobPane).results(JobPane):
            pane.draw_status(self.job)

    def _reset_job_view(self) -> None:
        self.job = JobView(self.t)
        pane = self.query_one(JobPane)
        pane.draw_chart(self.job)
        pane.draw_view(self.job)
        pane.draw_errors(self.job)

    # -- keys ----------------------------------------------------------------------------------

    def action_stop(self) -> None:
        """Ask, then stop the job: SIGTERM to its process group, then SIGKILL; check nothing is left."""
        if not self.job_id or not self.running:
            self.notify(self.t("launch_no_job"), severity="warning")
            return
        job_id = self.job_id

        def answered(yes: Optional[bool]) -> None:
            if yes and self.running and self.job_id == job_id:
                self._say("launch_stopping", job=job_id)
                self.stop_worker(job_id)

        self.app.push_screen(ConfirmScreen(self.t("launch_confirm_stop", job=job_id), self.session.lang), answered)

    def action_run_sh(self) -> None:
        """The run.sh the job runs, every value quoted (as ``launch --write-run-sh`` writes it)."""
        if self.preset is None or not self.commands:
            self.notify(self.t("launch_no_preset"), severity="warning")
            return
        text = launching.run_sh(self.commands, self.preset)
        self.app.push_screen(TextScreen(self.t("run_sh_title"), text, self.session.lang))

    def action_save_preset(self) -> None:
        """Write the job (with its YAML) as a preset file in the current directory, asking before overwriting one."""
        if self.preset is None:
            self.notify(self.t("launch_no_preset"), severity="warning")
            return
        preset = self.preset
        path = acquiring.preset_path(preset)
        if not Path(path).exists():
            self._save_preset(preset, path)
            return

        def answered(yes: Optional[bool]) -> None:
            if yes:
                self._save_preset(preset, path)

        self.app.push_screen(ConfirmScreen(self.t("launch_confirm_overwrite", path=path), self.session.lang), answered)

    def _save_preset(self, preset: Any, path: str) -> None:
        try:
            path = acquiring.save_preset(preset, path)
        except OSError as exc:
            self.notify(self.t("failed", error=exc), severity="error")
            return
        self.session.saved_preset = path
        self._say("launch_saved", path=path)
        self.update_cli_hint()

    @work(thread=True, group="stop")
    def stop_worker(self, job_id: str) -> None:
        """Blocking stop in a thread; what became of the job goes to a notification."""
        text, severity = launching.stop_outcome(job_id, self.t)
        self.from_thread(self.notify, text, severity=severity)

    def action_detach(self) -> None:
        """Stop watching; the job keeps running under its supervisor."""
        if not self.job_id or not self.running:
            self.notify(self.t("launch_no_job"), severity="warning")
            return
        self.detached = True
        self._say("launch_detached", job=self.job_id)
        self._set_attachable(True)

    def action_cycle_view(self) -> None:
        """All ranks -> rank 0 -> rank 1 -> ... -> all ranks."""
        self.job.cycle_view()
        self.query_one(JobPane).draw_view(self.job)

    async def before_quit(self) -> None:
        """Quitting detaches: the job keeps running; ``run_app`` prints how to attach."""
        if not self.running:
            return
        self.detached = True
        # Still starting (or its worker not yet begun): let the start finish, so that the job id can be printed.
        starting = [worker for worker in self.workers if worker.group == "launch" and not worker.is_finished]
        if starting:
            await self.app.workers.wait_for_complete(starting)
        if self.job_id:
            getattr(self.app, "detached_jobs", []).append(self.job_id)
