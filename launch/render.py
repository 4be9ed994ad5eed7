"""``preset render``: a preset as the files a job runs from, the same bytes for the same preset.

CI renders a preset into a directory and ships or archives it: ``run.sh`` (what ``launch`` runs, every
value quoted), ``env.sh`` (the variables, to ``source`` in a shell), one ``node<N>.sh`` per node of a
multi-node job, the config YAML(s) with the preset's parallel plan written in (comments and layout
kept, through :mod:`mindpilot.presets.yaml_apply`), the related scripts, and ``preset.yaml``: the preset
pointing at those copies, which ``check`` and ``launch --dry-run`` take as is. A file whose content is
already right is not touched, so a second render changes nothing (not even a modification time).

A preset may come from anyone, and the output folder is often published (a CI artifact), so a render copies
only files inside the preset's own folder, the package's templates, or files the user named on the command
line (``--allow-file``): ``related_files: [/etc/shadow, ~/.ssh/id_rsa]`` is refused, not copied, and so is a
hidden file of the preset's folder; the rule is checked on the file actually opened. A copy keeps its source's
permission bits, never wider. A symbolic link (dangling or not), FIFO or folder already in the output folder
at an output's name is refused, never written through, and so is an output folder another user could change.

The output folder is often uploaded and used elsewhere, so it names its own files relative to itself:
``preset.yaml`` lists them relative to its folder (``relative_to: preset``), and the scripts find them from
their own folder at run time (``"$HERE"/config.yaml``). A preset without a ``workdir`` runs where the script is
started, as ``launch`` does, instead of in the folder the render ran in.

It lives in ``launch`` (not ``presets``) because it renders through the launch command builder.
"""

from __future__ import annotations

import os
import re
import shlex
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional, Union

from mindpilot.datafiles import PACKAGE_ROOT, read_text
from mindpilot.fileio import write_atomic
from mindpilot.presets.preset import Preset

PRESET_FILE = "preset.yaml"
NODE_SCRIPT = re.compile(r"node[0-9]+\.sh")
"""The script of one node of a multi-node job: a copied file of that name would be overwritten by it."""


class RenderRefusedError(ValueError):
    """A render that would copy a file from outside what the preset may name, or write through a link."""


@dataclass
class SourceRule:
    """Which files a render may copy: inside ``folders`` (the preset's own), the package's templates, or one
    of ``files`` (named by the user on the command line)."""

    folders: list[Path] = field(default_factory=list)
    files: set[Path] = field(default_factory=set)

    @classmethod
    def of(cls, preset_folder: Optional[Path], allowed: Iterable[Union[str, Path]] = ()) -> "SourceRule":
        folders = [Path(os.path.realpath(preset_folder))] if preset_folder is not None else []
        return cls(folders, {Path(os.path.realpath(Path(path).expanduser())) for path in allowed})

    def check(self, source: Path, key: str, real: Optional[Path] = None) -> None:
        """Raise :class:`RenderRefusedError` unless ``source`` (``real``: the file it is, links resolved) may be
        copied. A hidden file or folder (``.ssh/id_rsa``, ``.env``) counts only when named on the command line:
        a preset kept in the home folder would otherwise reach ``~/.ssh``."""
        real = real or Path(os.path.realpath(source))
        if real in self.files:
            return
        for folder in [*self.folders, PACKAGE_ROOT]:  # the package: templates of the built-in presets
            if folder in real.parents and not any(part.startswith(".") for part in real.relative_to(folder).parts):
                return
        where = ", ".join(str(folder) for folder in self.folders) or "none"
        raise RenderRefusedError(f"{key}: {source} is outside the preset's folder ({where}) or hidden; not "
                                 f"copied. Name it with --allow-file {source} to copy it")

    def read(self, source: Path, key: str) -> tuple[str, int]:
        """The text and permission bits of ``source`` once :meth:`check` accepts the file actually opened: a
        file swapped for a link after a check by path would otherwise be read through the link.

        Raises:
            DataFileError, RenderRefusedError: see :func:`mindpilot.datafiles.read_text` and :meth:`check`.
        """
        modes = []

        def inspect(fd: int, status: os.stat_result) -> None:
            self.check(source, key, _opened_path(fd, source))
            modes.append(status.st_mode & 0o777)

        text = read_text(source, inspect=inspect)
        return text, modes[0]


def _opened_path(fd: int, source: Path) -> Path:
    """The path of the file open as ``fd`` (Linux names it in ``/proc``), else ``source`` with links resolved."""
    try:
        return Path(os.readlink(f"/proc/self/fd/{fd}"))
    except OSError:
        return Path(os.path.realpath(source))


@dataclass
class RenderedFile:
    """One file of a render."""

    path: Path
    """Where it is."""
    changed: bool
    """False when the file already had this content (nothing written)."""


def _absolute(path: str, cwd: Path) -> Path:
    candidate = Path(path).expanduser()
    return candidate if candidate.is_absolute() else cwd / candidate


def _unique_name(name: str, taken: set[str]) -> str:
    stem, dot, suffix = name.rpartition(".")
    candidate, number = name, 2
    while candidate in taken or candidate in (PRESET_FILE, "run.sh", "env.sh") or NODE_SCRIPT.fullmatch(candidate):
        candidate = f"{stem}-{number}.{suffix}" if dot else f"{name}-{number}"
        number += 1
    taken.add(candidate)
    return candidate


def config_text(preset: Preset, path: Path, text: Optional[str] = None) -> str:
    """The config at ``path`` (``text``, when already read) with the preset's ``parallel`` written in (a
    MindFormers YAML), else as it is."""
    from mindpilot.validators.check import detect_kind
    from mindpilot.datafiles import read_yaml

    text = read_text(path) if text is None else text
    if not preset.parallel or not str(path).lower().endswith((".yaml", ".yml")):
        return text
    if detect_kind(str(path), text, read_yaml(path, text)) != "mindformers":
        return text  # a GRPO config has one layout per role; the preset's single plan does not name one
    from mindpilot.presets.yaml_apply import plan_text

    return plan_text(path, dict(preset.parallel), {}, text=text)[1]


def rendered_files(preset: Preset, out_dir: Union[str, Path], sources: Optional[SourceRule] = None,
                   modes: Optional[dict[str, int]] = None) -> tuple[Preset, dict[str, str]]:
    """The rendered preset and ``{file name: text}`` of every file a render writes (nothing is written).

    ``sources`` says which files may be copied (default: the package's templates only); ``modes``, when
    given, receives the permission bits of each copied file's source.

    Raises:
        DataFileError: a config or related file is missing or does not parse.
        RenderRefusedError: a config or related file that ``sources`` does not allow.
    """
    sources = sources or SourceRule()
    modes = modes if modes is not None else {}
    out = Path(out_dir).expanduser().resolve()
    cwd = Path(preset.workdir).expanduser() if preset.workdir else Path.cwd()
    files: dict[str, str] = {}
    taken: set[str] = set()
    replacements: dict[str, str] = {}
    new_config: Optional[str] = None
    if preset.config:
        source = _absolute(preset.resolve(preset.config), cwd)
        text, mode = sources.read(source, "config")
        name = _unique_name(source.name, taken)
        files[name] = config_text(preset, source, text)
        modes[name] = mode
        new_config = str(out / name)
        replacements[preset.config] = replacements[str(source)] = new_config
    related = []
    for raw in preset.related_files:
        source = _absolute(preset.resolve(raw), cwd)
        text, mode = sources.read(source, "related_files")
        name = _unique_name(source.name, taken)
        files[name] = text
        modes[name] = mode
        related.append(str(out / name))
        replacements[raw] = replacements[str(source)] = str(out / name)
    args = [replacements.get(arg, replacements.get(preset.resolve(arg), arg)) for arg in preset.script_args]
    rendered = preset.model_copy(update={"config": new_config, "related_files": related, "script_args": args,
                                         "script": preset.resolve(preset.script)})
    from mindpilot.launch.command import build_commands, render_run_sh
    from mindpilot.presets.store import preset_to_yaml

    commands = build_commands(rendered, msrun="msrun")  # no machine's paths: the same bytes everywhere
    own = {str(out / name): name for name in files}
    files[PRESET_FILE] = preset_to_yaml(rendered.model_copy(update={
        "config": own.get(new_config or "", new_config), "related_files": [own[path] for path in related],
        "script_args": [own.get(arg, arg) for arg in args], "relative_to": "preset",
        "script": preset.script}))  # ``mindpilot:...`` stays so: found in the package wherever it is installed
    files["env.sh"] = env_sh(commands[0].env, rendered)
    scripts = {"run.sh": commands} if len(commands) == 1 else {
        "run.sh": commands, **{f"node{command.node_rank}.sh": [command] for command in commands}}
    for script, chosen in scripts.items():
        files[script] = _from_here(render_run_sh(chosen, rendered), own, None if preset.workdir else chosen[0].cwd)
    return rendered, files


HERE_LINE = 'HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"  # the folder of this script and its files\n'


def _from_here(script: str, own: dict[str, str], started_in: Optional[str]) -> str:
    """``script`` naming the render's own files from the script's folder (``"$HERE"/NAME``), and without
    the ``cd`` into ``started_in`` (the folder the render ran in, when the preset names no workdir)."""
    for path, name in own.items():
        script = re.sub(r"(?<=\s)" + re.escape(shlex.quote(path)) + r"(?=\s|$)",
                        lambda _match, name=name: '"$HERE"/' + shlex.quote(name), script, flags=re.M)
    if started_in is not None:
        script = script.replace(f"cd {shlex.quote(started_in)}\n", "", 1)
    if '"$HERE"/' in script:
        script = script.replace("set -euo pipefail\n", "set -euo pipefail\n" + HERE_LINE, 1)
    return script


def env_sh(env: dict[str, str], preset: Preset) -> str:
    """``export`` lines of the job's variables, to ``source env.sh`` in an interactive shell."""
    from mindpilot.launch.command import _quoted_env_value
    from mindpilot.presets.names import one_line

    lines = ["# Written by mindpilot preset render: source this file to get the job's environment.",
             f"# preset: {one_line(preset.name)}"]
    for key, value in env.items():  # a secret is exported by name: "${HF_TOKEN:?set HF_TOKEN}"
        lines.append(f"export {key}={_quoted_env_value(key, value)}")
    return "\n".join(lines) + "\n"


def render_preset(preset: Preset, out_dir: Union[str, Path], sources: Optional[SourceRule] = None) -> list[RenderedFile]:
    """Write :func:`rendered_files` into ``out_dir`` (created if missing); unchanged files are not rewritten.

    Raises:
        RenderRefusedError: a file ``sources`` does not allow, an output folder that another user could change
            (see :func:`mindpilot.userdata.check_parents`), or a symbolic link at one of the outputs (all
            checked before anything is written).
    """
    out = Path(out_dir).expanduser()
    modes: dict[str, int] = {}
    _, files = rendered_files(preset, out, sources, modes)
    _check_output_folder(out)
    _check_outputs(out, files)
    out.mkdir(parents=True, exist_ok=True)
    _check_output_folder(out)  # made through no link another user planted meanwhile
    result = []
    for name, text in files.items():
        path = out / name
        old = path.read_text(encoding="utf-8") if path.is_file() and not path.is_symlink() else None
        mode = modes.get(name, 0o755 if name.endswith(".sh") else None)
        if old != text:
            try:
                write_atomic(path, text, mode=mode, follow_symlinks=False)
            except OSError as exc:
                if exc.filename:
                    raise
                raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from None  # a full disk: say where
        elif mode is not None:
            _narrow(path, mode)  # a copy made wider earlier gets its source's bits again
        result.append(RenderedFile(path, old != text))
    return result


def _check_outputs(out: Path, names: Iterable[str]) -> None:
    """Refuse, before anything is written, an output name that holds a link, a FIFO, a folder ... already."""
    from mindpilot.datafiles import not_regular

    for name in names:
        try:
            mode = os.lstat(out / name).st_mode
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(mode):
            raise RenderRefusedError(f"{out / name} is a symbolic link; refused to write through it, nothing "
                                     f"written (remove it first)")
        if not stat.S_ISREG(mode):
            raise RenderRefusedError(f"{out / name}: {not_regular(mode)}, nothing written")


def _check_output_folder(out: Path) -> None:
    """Refuse an output folder that another user owns or may write, or reaches through a link of theirs: they
    could swap it for a link to ``/etc/profile.d`` between our checks and the writes."""
    from mindpilot.userdata import UnsafeLocationError, check_parents

    try:
        check_parents(out, hint="render into a folder of yours")
    except UnsafeLocationError as exc:
        raise RenderRefusedError(f"{exc.filename}: {exc.strerror}; nothing written") from None


def _narrow(path: Path, mode: int) -> None:
    """Give the regular file ``path`` exactly ``mode``, through a descriptor: a link is never followed."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        status = os.fstat(fd)
        if stat.S_ISREG(status.st_mode) and status.st_mode & 0o777 != mode:
            os.fchmod(fd, mode)
    finally:
        os.close(fd)
