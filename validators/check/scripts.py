"""Launch scripts (bash): ``msrun``, MindFormers' ``msrun_launcher.sh``, MindRLHF's ``run_grpo.sh``, and
MindSpeed-LLM's ``torchrun`` training and ``convert_ckpt.py`` scripts.

The script is read, not run (:mod:`~mindpilot.validators.check.bash_script`). Here: placeholders, variables
and the launchers' arguments; MindSpeed-LLM's layout in :mod:`~mindpilot.validators.check.mindspeed_script`,
the shell's own pitfalls in :mod:`~mindpilot.validators.check.shell`.
"""

from __future__ import annotations

import re
import shlex
from typing import Optional

from mindpilot.validators.check.bash_script import VAR, Line, Script, argv_flags
from mindpilot.validators.check.context import CheckContext
from mindpilot.validators.check.mindspeed_script import check_mindspeed, read_convert
from mindpilot.validators.check.path_reads import launch_overrides
from mindpilot.validators.check.resources import PLACEHOLDER
from mindpilot.validators.check.shell import check_shell

LAUNCHER_ARGC = (1, 2, 6, 9)
"""``scripts/msrun_launcher.sh`` accepts 1, 2, 6 or 9 arguments (MF 1.7)."""
WELL_KNOWN_ENV = {"HOME", "PWD", "PATH", "USER", "PYTHONPATH", "LD_LIBRARY_PATH", "ASCEND_HOME_PATH", "RANK_ID",
                  "RANK_SIZE", "DEVICE_ID", "MASTER_IP", "master_ip", "NODE_RANK", "LOCAL_RANK", "RANK"}


def is_launch_script(text: str, name: str) -> bool:
    if name.endswith((".sh", ".bash")) or text.startswith("#!") and "sh" in text.splitlines()[0]:
        return True
    return bool(re.search(r"^\s*(msrun|torchrun|bash\s+\S*msrun_launcher\.sh)\b", text, re.MULTILINE))


class ScriptFacts:
    """What other files need from a script: worker count, referenced config, TP/PP of train and convert."""

    def __init__(self) -> None:
        self.worker_num: Optional[int] = None
        self.worker_line: Optional[int] = None
        self.config: Optional[str] = None
        self.train_tp_pp: Optional[tuple[int, int]] = None
        self.train_ep = 1
        self.train_line: Optional[int] = None
        self.convert_tp_pp: Optional[tuple[int, int]] = None
        self.convert_ep = 1
        self.convert_line: Optional[int] = None
        self.load_dir: Optional[str] = None
        self.save_dir: Optional[str] = None
        self.run_args: dict[str, str] = {}
        """Flags of the launched command that replace YAML keys (``--run_mode predict``, ``--train_dataset_dir``)."""


def check_script(path: str, text: str, ctx: CheckContext) -> ScriptFacts:
    script = Script(path, text)
    facts = ScriptFacts()
    _check_variables(script, ctx)
    for line, argv in script.commands():
        expanded = _expanded(script, line, argv)
        for token in expanded:
            if token == "PORT" or re.search(r"(^|[=/])PORT$", token):
                ctx.add("launch.placeholder_port", path, line.number, token=token)
        for token in argv:
            if "$" not in token and PLACEHOLDER.search(token):
                ctx.add("launch.placeholder_path", path, line.number, token=token)
                break
        if "msrun" in [t.rsplit("/", 1)[-1] for t in expanded[:1]]:
            _check_msrun(script, line, expanded, ctx, facts)
        launcher = next((i for i, t in enumerate(expanded) if t.endswith("msrun_launcher.sh")), None)
        if launcher is not None:
            _check_launcher(script, line, expanded[launcher + 1:], ctx, facts)
        if any(t.endswith("convert_ckpt.py") or t.endswith("convert_ckpt_v2.py") for t in expanded):
            read_convert(script, line, expanded, facts)
    check_mindspeed(script, ctx, facts)
    check_shell(script, ctx)
    return facts


def _expanded(script: Script, line: Line, argv: list[str]) -> list[str]:
    """``argv`` with variables expanded; an unquoted ``$ARGS`` is split into words, as bash splits it."""
    words: list[str] = []
    unquoted = set(line.text.split())  # `$ARGS` written without quotes around it
    for token in argv:
        value = script.expand(token)
        words += value.split() if token in unquoted and VAR.fullmatch(token) and value != token else [value]
    return words


def _check_variables(script: Script, ctx: CheckContext) -> None:
    path = script.path
    addr = script.vars.get("MASTER_ADDR")
    if addr is not None:
        _check_addr(addr, path, script.var_lines.get("MASTER_ADDR"), ctx)
    for name, value in script.vars.items():
        if PLACEHOLDER.search(VAR.sub("", value)):  # ${TOKENIZER_PATH} names a variable, not a placeholder
            ctx.add("launch.placeholder_path", path, script.var_lines.get(name), token=f"{name}={value}")
    port = script.expand(script.vars.get("MASTER_PORT", ""))
    if port == "PORT":
        ctx.add("launch.placeholder_port", path, script.var_lines.get("MASTER_PORT"), token=port)
    for name, value in script.vars.items():
        for match in re.finditer(r"\$\(\((.*?)\)\)", value):
            for used in re.findall(r"\$?\{?([A-Za-z_][A-Za-z0-9_]*)\}?", match.group(1)):
                if used not in script.vars and used not in WELL_KNOWN_ENV:
                    similar = _similar_var(used, script.vars)
                    ctx.add("launch.undefined_variable", path, script.var_lines.get(name), name=used, target=name,
                            similar=similar or "?", suggest=f"{name}={value.replace(used, similar)}"
                            if similar else f"{used}=...")


def _similar_var(name: str, known: dict[str, str]) -> Optional[str]:
    for candidate in known:
        if candidate != name and candidate.split("_", 1)[-1] == name.split("_", 1)[-1]:
            return candidate
    return None


def _check_addr(addr: str, path: str, line: Optional[int], ctx: CheckContext) -> None:
    """``locahost``, ``localhsot``, ``loaclhost``: one slip away from ``localhost``, and unresolvable."""
    lowered = addr.strip().lower()
    if lowered == "localhost" or not lowered.isalpha():
        return
    if sorted(lowered) == sorted("localhost") or _edit1(lowered, "localhost"):
        ctx.add("launch.master_addr_typo", path, line, value=addr)


def _edit1(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) <= 2
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))


def _check_msrun(script: Script, line: Line, argv: list[str], ctx: CheckContext, facts: ScriptFacts) -> None:
    flags = argv_flags(argv)
    path = script.path
    worker = flags.get("worker_num", "8")
    local = flags.get("local_worker_num", "8")
    port = flags.get("master_port")
    if port is not None and not port.isdigit() and port != "PORT":
        if not port.startswith("$"):
            ctx.add("launch.bad_number", path, line.number, flag="--master_port", value=port)
    if "master_addr" in flags:
        _check_addr(flags["master_addr"], path, line.number, ctx)
    if not worker.isdigit() or not local.isdigit():
        return
    workers, locals_ = int(worker), int(local)
    if workers <= 0:
        ctx.add("launch.worker_num_nonpositive", path, line.number, value=workers)
        return
    if locals_ > workers:
        ctx.add("launch.local_gt_worker", path, line.number, worker=workers, local=locals_)
    if ctx.cards and locals_ > ctx.cards:
        ctx.add("launch.local_gt_cards", path, line.number, local=locals_, cards=ctx.cards)
    if locals_ < workers and flags.get("node_rank", "-1").lstrip("-").isdigit() and int(flags.get("node_rank", "-1")) < 0:
        ctx.add("launch.node_rank_unset", path, line.number, worker=workers, local=locals_)
    facts.worker_num, facts.worker_line = workers, line.number
    config = flags.get("config")
    if config:
        facts.config = config
    facts.run_args = launch_overrides(flags)


def _check_launcher(script: Script, line: Line, args: list[str], ctx: CheckContext, facts: ScriptFacts) -> None:
    """``bash msrun_launcher.sh "CMD" [WORKER_NUM [LOCAL_WORKER MASTER_ADDR MASTER_PORT ...]]``: the counts, then
    the config and the YAML overrides of the command it launches."""
    path = script.path
    if len(args) not in LAUNCHER_ARGC:
        ctx.add("launch.launcher_argc", path, line.number, count=len(args))
        return
    if len(args) == 1:
        facts.worker_num, facts.worker_line = 8, line.number
        if ctx.cards and ctx.cards != 8:
            ctx.add("launch.launcher_default_8", path, line.number, cards=ctx.cards)
    else:
        _check_launcher_counts(path, line, args, ctx, facts)
    try:
        inner = argv_flags(shlex.split(args[0]))
    except ValueError:
        inner = {}
    if inner.get("config"):
        facts.config = inner["config"]
    facts.run_args = launch_overrides(inner)


def _check_launcher_counts(path: str, line: Line, args: list[str], ctx: CheckContext, facts: ScriptFacts) -> None:
    """The worker count, port and address the launcher is given (2, 6 or 9 arguments)."""
    worker = args[1]
    if not worker.isdigit():
        ctx.add("launch.bad_number", path, line.number, flag="WORKER_NUM", value=worker)
    else:
        facts.worker_num, facts.worker_line = int(worker), line.number
        if int(worker) == 1:
            ctx.add("launch.launcher_single_worker", path, line.number)
        if ctx.cards and len(args) in (2, 6) and int(worker) > ctx.cards:
            ctx.add("launch.local_gt_cards", path, line.number, local=int(worker), cards=ctx.cards)
    port = args[2] if len(args) == 6 else args[4] if len(args) == 9 else None
    if port is not None and not port.isdigit() and port != "PORT":
        ctx.add("launch.bad_number", path, line.number, flag="MASTER_PORT", value=port)
    if len(args) == 9:
        _check_addr(args[3], path, line.number, ctx)
        if args[1].isdigit() and args[2].isdigit() and int(args[2]) > int(args[1]):
            ctx.add("launch.local_gt_worker", path, line.number, worker=int(args[1]), local=int(args[2]))


def worker_vs_product(path: str, facts: ScriptFacts, product: Optional[int], config_path: str,
                      ctx: CheckContext, kind: str = "config") -> None:
    if facts.worker_num and product and facts.worker_num != product:
        ctx.add("launch.worker_num_vs_config", path, facts.worker_line, worker=facts.worker_num, product=product,
                config=config_path, kind=kind)
