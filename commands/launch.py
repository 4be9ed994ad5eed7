"""``mindpilot launch``: preflight, print the exact msrun command, start it, follow every worker log.

``launch PRESET`` (a preset file or a built-in name), ``launch -- SCRIPT.py ARGS...`` or ``launch --demo``.
One line per event (``--json``: one JSON object per line with ``type``: command, preflight, started,
metric, finding, hang, status, exit). Exit status: 0 when the job succeeded, 4 when it failed or
could not start (preflight errors block unless ``--force``), 130 after Ctrl-C (which stops the job).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Optional, Sequence

from mindpilot.commands.output import CommandError, lang_of, message, words
from mindpilot.exit_codes import ExitCode


def add_parser(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Register ``launch``."""
    parser = subparsers.add_parser(
        "launch", parents=[common], help="preflight, run msrun, live-tail every worker, survive an SSH drop",
        description="Start a training job with msrun: checks first (port, leftover workers, card count, paths, "
                    "tokenizer), the exact command printed, then a live view of every worker log. The job runs "
                    "in its own session: closing the terminal does not stop it (mindpilot attach ID).")
    parser.add_argument("target", nargs="?", metavar="PRESET",
                        help="preset file (.yaml/.json) or built-in name; or, after --, a SCRIPT.py")
    parser.add_argument("script_args", nargs="*", metavar="ARGS", help="arguments of the script (after --)")
    parser.add_argument("--demo", action="store_true", help="the built-in 2-worker CPU demo job (real msrun)")
    parser.add_argument("--demo-fail-rank", type=int, default=None, metavar="R",
                        help="demo variant in which rank R fails on purpose")
    parser.add_argument("--cards", type=int, help="msrun --worker_num: all workers over all nodes")
    parser.add_argument("--local-cards", type=int, help="msrun --local_worker_num (default cards/nodes)")
    parser.add_argument("--nodes", type=int, help="number of nodes (prints one command per node)")
    parser.add_argument("--node-rank", type=int, help="this node's rank (0..nodes-1)")
    parser.add_argument("--hosts", metavar="H0,H1,...",
                        help="start every node from here: node r runs on the r-th host over ssh (master "
                             "first); `local` runs that node on this machine")
    parser.add_argument("--ray", action="store_true",
                        help="print the Ray cluster's ray start commands (MindSpeed-RL) and check ray status")
    parser.add_argument("--no-platform", action="store_true",
                        help="ignore ModelArts' VC_WORKER_HOSTS / VC_TASK_INDEX / MA_NUM_GPUS variables")
    parser.add_argument("--ssh-option", action="append", default=[], metavar="OPT",
                        help="ssh -o OPT for the remote nodes (repeat), e.g. Port=2222")
    parser.add_argument("--remote-python", metavar="PATH",
                        help="python on the remote nodes (default: the same path as here)")
    parser.add_argument("--master-addr", help="msrun --master_addr (IP of node 0)")
    parser.add_argument("--master-port", type=int, help="msrun --master_port (default: a free port)")
    parser.add_argument("--log-dir", help="msrun --log_dir")
    parser.add_argument("--config", help="the job's YAML config (checked before launch)")
    parser.add_argument("--tokenizer-dir", help="tokenizer directory to check")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                        help="extra variable (repeat); a secret's NAME alone passes it from this shell by name")
    parser.add_argument("--hang-minutes", type=float, help="report a hang after this long without a step")
    parser.add_argument("--detach", action="store_true", help="start the job and return (print `started`)")
    parser.add_argument("--force", action="store_true", help="start even when preflight finds errors")
    parser.add_argument("--dry-run", action="store_true", help="preflight and print the command, start nothing")
    parser.add_argument("--write-run-sh", metavar="PATH", help="also write the command as a shell script")
    parser.add_argument("--lines", action="store_true", help="also print every log line ([w0] ...)")
    parser.add_argument("--no-probe", action="store_true", help="skip the environment probe (NPU count, checkouts)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> ExitCode:
    """Build, check, start and follow the job."""
    from mindpilot.launch.command import UnsafeCommandError, check_command
    from mindpilot.launch.job_setup import log_root, probe_facts, setup_job, working_dir
    from mindpilot.launch.preflight import blocking
    from mindpilot.launch.view import HeadlessView

    lang = lang_of(args)
    view = HeadlessView(lang=lang, as_json=args.json, lines=args.lines, detach=args.detach)
    hosts = _hosts(args)
    layout = None if hosts or args.no_platform else _modelarts(args)
    preset = _preset_from(args, hosts, layout)
    if layout is not None:
        view.emit_dict({"type": "platform", "name": "modelarts", "derived": layout.to_dict()},
                       _layout_text(layout))
    if args.ray:
        from mindpilot.commands.launch_ray import run_ray

        return run_ray(preset, args, view, lang, hosts)
    facts, probe_error = probe_facts(preset, args.no_probe)
    job_id, run_log_dir = _job_folder(preset, str(log_root(preset)), args.dry_run)
    # without --hosts each node is launched on its own: they must agree on the port without talking
    setup = setup_job(preset, facts, probe_error=probe_error, nodes_start_apart=preset.nodes > 1 and not hosts,
                      run_log_dir=run_log_dir)
    commands, log_dir, cwd = setup.commands, setup.log_dir, working_dir(preset)
    try:
        for command in commands:
            check_command(command)  # before anything is printed, written or recorded
    except UnsafeCommandError as exc:
        raise CommandError(str(exc), ExitCode.USAGE) from None
    findings = _preflight(setup, hosts, cwd, args, lang)
    if layout is not None:  # on ModelArts every node runs mindpilot itself: show this node's command
        commands = [c for c in commands if c.node_rank == preset.node_rank] or commands
    _show(view, preset, commands, findings, hosts, args, lang)
    errors = blocking(findings)
    if args.dry_run:
        return ExitCode.FINDINGS if errors else ExitCode.OK
    if errors and not args.force:
        view.emit_dict({"type": "exit", "code": None, "status": "blocked", "first_failure": None},
                       words("launch.blocked", lang))
        return ExitCode.LAUNCH_FAILED
    if hosts:
        _require_secrets(commands[0].env, lang)
        return _start_nodes(preset, commands, hosts, str(log_dir), args, view, lang, job_id)
    if len(commands) > 1 and preset.node_rank is None:
        message(words("launch.several_nodes", lang))
        return ExitCode.OK
    mine = next((c for c in commands if c.node_rank == preset.node_rank), commands[0])
    _require_secrets(mine.env, lang)
    return _start_and_follow(preset, mine, str(log_dir), args, view, lang, job_id)


def _preflight(setup: Any, hosts: list, cwd: Path, args: argparse.Namespace, lang: str) -> list:
    """The job's preflight findings, with a note for a port picked here, and each remote node's checks."""
    from mindpilot.validators.catalog import make_finding

    notes = [make_finding("preflight.port_picked", lang, port=setup.port)] if setup.port_picked else []
    findings = notes + setup.preflight(lang)
    if hosts:
        if all(host == "local" for host in hosts):  # a rehearsal: loopback is right, and one port serves all
            findings = [f for f in findings if f.rule not in ("preflight.master_addr_loopback",
                                                              "preflight.port_picked")]
        findings += _node_checks(setup.preset, hosts, setup.port, cwd, setup.commands, args, lang)
    return findings


def _show(view: Any, preset: Any, commands: list, findings: list, hosts: list, args: argparse.Namespace,
          lang: str) -> None:
    """Each node's command, then the preflight findings; the run.sh when asked for."""
    from mindpilot.launch.command import render_run_sh, write_run_sh
    from mindpilot.validators.text.findings import format_finding

    for command in commands:
        view.emit_dict({"type": "command", **command.to_dict()},
                       "\n".join(_node_note(command, preset, lang, len(commands), hosts) + ["$ " + command.shell()]))
    for finding in findings:
        view.emit_dict({"type": "preflight", "finding": finding.to_dict()}, format_finding(finding, lang))
    if args.write_run_sh:
        write_run_sh(args.write_run_sh, render_run_sh(commands, preset))
        message(words("launch.wrote_run_sh", lang, file=args.write_run_sh))


def _modelarts(args: argparse.Namespace):
    """This node's layout from ModelArts' variables and the flags that override them; None outside ModelArts."""
    import os

    from mindpilot.launch.modelarts import FLAG_NAMES, ModelArtsError, in_modelarts, modelarts_layout, with_flags

    if not in_modelarts(os.environ):
        return None
    try:
        return with_flags(modelarts_layout(os.environ), {key: getattr(args, key) for key in FLAG_NAMES})
    except ModelArtsError as exc:
        raise CommandError(f"ModelArts: {exc} (or --no-platform)", ExitCode.USAGE) from None


def _layout_text(layout) -> str:
    parts = [f"{key} {item['value']} ({item['from']})" for key, item in layout.to_dict().items()]
    return "# ModelArts: " + "; ".join(parts)


def _require_secrets(env: dict, lang: str) -> None:
    """A secret the preset passes by name (``***`` or empty) must be set in this shell before the start."""
    import os

    from mindpilot.launch.command import from_environment

    for key, value in env.items():
        if from_environment(key, value) and not os.environ.get(key):
            raise CommandError(words("launch.secret_unset", lang, key=key), ExitCode.USAGE)


def _job_folder(preset, log_root: str, dry_run: bool) -> tuple[Optional[str], str]:
    """The new job's id and its own log folder inside ``log_root`` (a dry run shows the root itself).

    A log root that is, or lies inside, a running job's folder is refused before anything is printed.
    """
    from mindpilot.launch.jobs import new_job_id
    from mindpilot.launch.runner import LaunchError, job_log_dir, refuse_busy_log_dir

    if dry_run:
        return None, log_root
    try:
        refuse_busy_log_dir(log_root)
    except LaunchError as exc:
        raise CommandError(str(exc), ExitCode.USAGE) from None
    job_id = new_job_id(preset.name)
    return job_id, job_log_dir(log_root, job_id)


def _hosts(args: argparse.Namespace) -> list[str]:
    from mindpilot.launch.nodes import HostError, parse_hosts

    if not args.hosts:
        return []
    try:
        return parse_hosts(args.hosts, args.nodes)
    except HostError as exc:
        raise CommandError(str(exc), ExitCode.USAGE) from None


def _node_checks(preset, hosts: list, port: int, cwd: Path, commands: list, args: argparse.Namespace,
                 lang: str) -> list:
    """Every remote node against this one: versions, config checksum, route to the master, port on the master."""
    from mindpilot.launch.nodecheck import check_nodes

    config = str(cwd / Path(preset.config).expanduser()) if preset.config else None
    return check_nodes(hosts, port=port, config=config, master=preset.master_addr,
                       ssh_options=args.ssh_option, python=args.remote_python,
                       pythonpath=commands[0].env.get("PYTHONPATH"), lang=lang)


def _start_nodes(preset, commands, hosts, log_dir: str, args: argparse.Namespace, view, lang: str,
                 job_id: Optional[str]) -> ExitCode:
    from mindpilot.launch.runner import start_nodes_job

    return _started(lambda: start_nodes_job(preset, commands, hosts, log_dir, job_id=job_id,
                                            ssh_options=tuple(args.ssh_option),
                                            remote_python=args.remote_python), args, view, lang,
                    commands[0].secrets())


def _start_and_follow(preset, command, log_dir: str, args: argparse.Namespace, view, lang: str,
                      job_id: Optional[str] = None) -> ExitCode:
    from mindpilot.launch.runner import start_job

    return _started(lambda: start_job(preset, command, log_dir, job_id=job_id), args, view, lang, command.secrets())


def _started(start, args: argparse.Namespace, view, lang: str, secrets: Sequence[str] = ()) -> ExitCode:
    """Run ``start()`` (which starts a job and returns its record), report it, then follow it or detach.

    ``secrets``: the values of the job's secret variables this launch knows (a preset's or ``--env``'s),
    masked in what it shows even when the job ends before its processes can be asked for them."""
    from mindpilot.launch.runner import LaunchError, started_event

    try:
        record = start()
    except LaunchError as exc:
        view.emit_dict({"type": "exit", "code": None, "status": "failed", "first_failure": None,
                        "error": str(exc)}, f"cannot start the job: {exc}")
        return ExitCode.LAUNCH_FAILED
    view.emit(started_event(record))
    if args.detach:
        return ExitCode.OK
    from mindpilot.commands.follow import follow

    return follow(record.id, view, lang, stop_on_interrupt=True, secrets=secrets)


def _node_note(command: Any, preset: Any, lang: str, count: int, hosts: Optional[list] = None) -> list[str]:
    if count < 2:
        return []
    if hosts and command.node_rank is not None and command.node_rank < len(hosts):
        host = hosts[command.node_rank]
        if host == "local":
            return ["# " + words("launch.node_here", lang, rank=command.node_rank)]
        return ["# " + words("launch.node_ssh", lang, rank=command.node_rank, host=host)]
    if command.node_rank == 0:
        return ["# " + words("launch.node_master", lang, master=preset.master_addr)]
    return ["# " + words("launch.node_other", lang, rank=command.node_rank, master=preset.master_addr)]


def _preset_from(args: argparse.Namespace, hosts: Optional[list] = None, layout: Any = None):
    """The preset to launch: the demo, a script, or a preset by name or file; then the flags, the platform's
    layout, ``--hosts`` and ``--env`` on top (a bad value is a usage error naming the field)."""
    from pydantic import ValidationError

    from mindpilot.presets.names import env_flag
    from mindpilot.presets.preset import Preset
    from mindpilot.datafiles import loc_text, plain_message

    data = _base_preset(args).model_dump()
    data.update({key: getattr(args, key) for key in _PRESET_FLAGS if getattr(args, key) is not None})
    if layout is not None:  # the platform's word, unless a flag says otherwise
        data.update(_layout_values(layout))
    if hosts:
        data["nodes"] = len(hosts)
        data["node_rank"] = None
        if args.master_addr is None and hosts[0] != "local":
            data["master_addr"] = _resolve_master(hosts[0])
    for item in args.env:
        try:
            key, value = env_flag(item)
        except ValueError as exc:
            raise CommandError(str(exc), ExitCode.USAGE) from None
        data["env"][key] = value
    try:
        return Preset.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = loc_text(first["loc"])
        raise CommandError(f"{where}: {plain_message(first)}" if where else plain_message(first),
                           ExitCode.USAGE) from None


_PRESET_FLAGS = ("cards", "local_cards", "nodes", "node_rank", "master_addr", "master_port", "log_dir", "config",
                 "tokenizer_dir", "hang_minutes")
"""Flags of ``launch`` that set the preset field of the same name."""


def _base_preset(args: argparse.Namespace) -> Any:
    """The demo job, a bare ``SCRIPT.py`` with its arguments, or a preset (built-in name or file)."""
    from mindpilot.launch.demo import demo_preset
    from mindpilot.presets.names import safe_preset_name
    from mindpilot.presets.preset import Preset, find_preset

    if args.demo or args.demo_fail_rank is not None:
        return demo_preset(fail_rank=args.demo_fail_rank, config=args.config)
    if args.target and args.target.endswith(".py"):
        return Preset(name=safe_preset_name(Path(args.target).stem), script=args.target,
                      script_args=list(args.script_args), framework="custom")
    if args.target:
        preset = find_preset(args.target)
        if args.script_args:
            preset = preset.model_copy(update={"script_args": preset.script_args + list(args.script_args)})
        return preset
    raise CommandError("give a PRESET, `-- SCRIPT.py ARGS...`, or --demo", ExitCode.USAGE)


def _layout_values(layout: Any) -> dict[str, Any]:
    """Nodes, this node's rank, the master and (when known) the cards, as the platform gives them."""
    derived = {"nodes": layout.nodes.value, "node_rank": layout.node_rank.value, "master_addr": layout.master_addr.value}
    if layout.cards_per_node is not None:
        derived["local_cards"] = layout.cards_per_node.value
        derived["cards"] = layout.cards_per_node.value * layout.nodes.value
    return derived


def _resolve_master(host: str) -> str:
    """The address of the first host (the master): msrun wants an address every node can reach."""
    import socket

    name = host.rsplit("@", 1)[-1]
    try:
        return socket.gethostbyname(name)
    except OSError:
        raise CommandError(f"cannot resolve the master host {name!r}; give --master-addr IP",
                           ExitCode.USAGE) from None
