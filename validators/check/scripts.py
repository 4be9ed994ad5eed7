"""Launch scripts (bash): ``msrun``, MindFormers' ``msrun_launcher.sh``, MindRLHF's ``run_grpo.sh``, and
MindSpeed-LLM's ``torchrun`` training and ``convert_ckpt.py`` scripts.

The script is not run: variables are read from plain assignments (``TP=4``, ``export X=...``,
``WORLD_SIZE=$((A*B))``) as bash reads them (:mod:`~mindpilot.validators.check.bash_words`) and commands are split into argv lists after joining ``\\`` continuations.
"""

from __future__ import annotations

import re
import shlex
from typing import Optional

from mindpilot.validators.check.bash_words import assignment_value, open_quote
from mindpilot.validators.check.context import CheckContext
from mindpilot.validators.check.path_reads import launch_overrides
from mindpilot.validators.check.resources import PLACEHOLDER
from mindpilot.validators.check.shell import check_shell

ASSIGN = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$")
VAR = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")
LAUNCHER_ARGC = (1, 2, 6, 9)
"""``scripts/msrun_launcher.sh`` accepts 1, 2, 6 or 9 arguments (MF 1.7)."""
MAX_ARITHMETIC = 200
"""Longest ``$((...))`` evaluated (after names are filled in): a script's card counts are short; a hostile one
could multiply a million digits."""
WELL_KNOWN_ENV = {"HOME", "PWD", "PATH", "USER", "PYTHONPATH", "LD_LIBRARY_PATH", "ASCEND_HOME_PATH", "RANK_ID",
                  "RANK_SIZE", "DEVICE_ID", "MASTER_IP", "master_ip", "NODE_RANK", "LOCAL_RANK", "RANK"}


class Line:
    """One logical line of the script (continuations joined) and the physical line it starts on."""

    def __init__(self, number: int, text: str) -> None:
        self.number = number
        self.text = text


class Script:
    """Variables and commands of one bash script."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self.lines = _logical_lines(text)
        self.vars: dict[str, str] = {}
        self.var_lines: dict[str, int] = {}
        index = 0
        while index < len(self.lines):
            line = self.lines[index]
            index += 1
            match = ASSIGN.match(line.text)
            if not match or line.text.lstrip().startswith("#"):
                continue
            raw, quote = match.group(2), open_quote(match.group(2))
            while quote and index < len(self.lines):  # DISTRIBUTED_ARGS="<newline> --flag ... <newline>"
                raw += "\n" + self.lines[index].text
                quote = open_quote(self.lines[index].text, quote)
                index += 1
            self.vars[match.group(1)] = assignment_value(raw)
            self.var_lines.setdefault(match.group(1), line.number)

    def expand(self, value: str, depth: int = 0) -> str:
        """``${TP}`` -> ``4``; ``$((A*B))`` evaluated when every name is a known number."""
        if depth > 5:
            return value

        def arith(match: "re.Match[str]") -> str:
            expression = self.expand(match.group(1), depth + 1)
            expression = VAR.sub(lambda m: self.vars.get(m.group(1), ""), expression)
            expression = re.sub(r"\b[A-Za-z_][A-Za-z0-9_]*\b", lambda m: self.vars.get(m.group(0), "0"), expression)
            if len(expression) <= MAX_ARITHMETIC and re.fullmatch(r"[\d\s+*/()-]+", expression or "x") \
                    and "**" not in expression:
                try:
                    result = eval(expression, {"__builtins__": {}}, {})  # digits and operators only
                except (SyntaxError, ArithmeticError, ValueError):  # 1/0, a quotient too large for a float
                    return match.group(0)
                return str(int(result)) if abs(result) < 1 << 63 else match.group(0)
            return match.group(0)

        value = re.sub(r"\$\(\((.*?)\)\)", arith, value)
        return VAR.sub(lambda m: self.expand(self.vars[m.group(1)], depth + 1) if m.group(1) in self.vars
                       else m.group(0), value)

    def int_var(self, name: str) -> Optional[int]:
        value = self.expand(self.vars.get(name, "")).strip()
        return int(value) if value.isdigit() else None

    def commands(self) -> list[tuple[Line, list[str]]]:
        """(line, argv) of every command line; leading ``VAR=x``, ``nohup`` and ``exec`` are dropped."""
        out = []
        for line in self.lines:
            stripped = _strip_comment(line.text).strip()
            if not stripped or stripped.startswith(("export ", "#")):
                continue
            try:
                argv = shlex.split(stripped)
            except ValueError:
                continue
            while argv and (ASSIGN.match(argv[0]) or argv[0] in ("nohup", "exec", "time")):
                argv.pop(0)
            if argv:
                out.append((line, argv))
        return out


def _strip_comment(text: str) -> str:
    quote = ""
    for index, char in enumerate(text):
        if quote:
            if char == quote:
                quote = ""
        elif char in ("'", '"'):
            quote = char
        elif char == "#" and (index == 0 or text[index - 1] in " \t"):
            return text[:index]
    return text


def _logical_lines(text: str) -> list[Line]:
    lines: list[Line] = []
    buffer, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not buffer:
            start = number
        stripped = raw.rstrip()
        if stripped.endswith("\\") and not stripped.lstrip().startswith("#"):
            buffer += stripped[:-1] + " "
            continue
        if stripped.lstrip().startswith("#") and buffer:
            continue
        buffer += _strip_comment(raw) if buffer else raw
        lines.append(Line(start, buffer))
        buffer = ""
    if buffer:
        lines.append(Line(start, buffer))
    return lines


def is_launch_script(text: str, name: str) -> bool:
    if name.endswith((".sh", ".bash")) or text.startswith("#!") and "sh" in text.splitlines()[0]:
        return True
    return bool(re.search(r"^\s*(msrun|torchrun|bash\s+\S*msrun_launcher\.sh)\b", text, re.MULTILINE))


def _flags(argv: list[str]) -> dict[str, str]:
    """``--a=1 --b 2 --c`` -> {"a": "1", "b": "2", "c": ""}."""
    flags: dict[str, str] = {}
    index = 0
    while index < len(argv):
        token = argv[index]
        if token.startswith("--"):
            name, eq, value = token[2:].partition("=")
            if not eq and index + 1 < len(argv) and not argv[index + 1].startswith("--"):
                value = argv[index + 1]
                index += 1
            flags[name] = value
        index += 1
    return flags


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
            flags = _flags(expanded)
            tp, pp = flags.get("target-tensor-parallel-size", "1"), flags.get("target-pipeline-parallel-size", "1")
            if tp.isdigit() and pp.isdigit():
                facts.convert_tp_pp = (int(tp), int(pp))
                ep = flags.get("target-expert-parallel-size", "1")
                facts.convert_ep = int(ep) if ep.isdigit() else 1
                facts.convert_line = _line_of(script, "--target-tensor-parallel-size") or line.number
                facts.save_dir = flags.get("save-dir")
    _check_mindspeed(script, ctx, facts)
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
    flags = _flags(argv)
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
    path = script.path
    if len(args) not in LAUNCHER_ARGC:
        ctx.add("launch.launcher_argc", path, line.number, count=len(args))
        return
    if len(args) == 1:
        facts.worker_num, facts.worker_line = 8, line.number
        if ctx.cards and ctx.cards != 8:
            ctx.add("launch.launcher_default_8", path, line.number, cards=ctx.cards)
    else:
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
    try:
        inner = shlex.split(args[0])
    except ValueError:
        inner = []
    config = _flags(inner).get("config")
    if config:
        facts.config = config
    facts.run_args = launch_overrides(_flags(inner))


def _num(script: Script, *names: str) -> Optional[int]:
    for name in names:
        value = script.int_var(name)
        if value is not None:
            return value
    return None


def _flag_value(script: Script, flag: str) -> Optional[str]:
    match = re.search(rf"--{flag}[ =]+(\S+)", script.text)
    if not match:
        return None
    return script.expand(match.group(1).strip("\"'"))


def _check_mindspeed(script: Script, ctx: CheckContext, facts: ScriptFacts) -> None:
    """``WORLD_SIZE % (TP*PP*CP)``, TP/PP vs the checkpoint, batch sizes, layers (Megatron validate_args)."""
    text = script.text
    if "tensor-model-parallel-size" not in text and "torchrun" not in text:
        return
    path = script.path
    tp_text, pp_text = _flag_value(script, "tensor-model-parallel-size"), _flag_value(script, "pipeline-model-parallel-size")
    tp = int(tp_text) if tp_text and tp_text.isdigit() else _num(script, "TP")
    pp = int(pp_text) if pp_text and pp_text.isdigit() else _num(script, "PP")
    cp_text = _flag_value(script, "context-parallel-size")
    cp = int(cp_text) if cp_text and cp_text.isdigit() else (_num(script, "CP") or 1)
    if tp is None or pp is None:
        return
    tp_line = script.var_lines.get("TP") or _line_of(script, "tensor-model-parallel-size")
    facts.train_tp_pp, facts.train_line = (tp, pp), tp_line
    ep_text = _flag_value(script, "expert-model-parallel-size")
    ep = int(ep_text) if ep_text and ep_text.isdigit() else (_num(script, "EP") or 1)
    facts.train_ep = ep
    experts = _int_or_none(_flag_value(script, "num-experts"))
    if experts and ep > 1 and experts % ep:
        ctx.add("mindspeed.experts_ep", path, _line_of(script, "expert-model-parallel-size") or tp_line,
                experts=experts, ep=ep)
    lr, min_lr = _float_or_none(_flag_value(script, "lr")), _float_or_none(_flag_value(script, "min-lr"))
    if lr is not None and min_lr is not None and min_lr > lr:
        ctx.add("mindspeed.min_lr", path, _line_of(script, "--min-lr"), lr=lr, min_lr=min_lr)
    npus = _num(script, "NPUS_PER_NODE", "GPUS_PER_NODE")
    nodes = _num(script, "NNODES") or 1
    world = script.int_var("WORLD_SIZE")
    if world is None or world == 0:
        world = npus * nodes if npus else None
    if ctx.cards and npus and npus > ctx.cards:
        ctx.add("launch.local_gt_cards", path, script.var_lines.get("NPUS_PER_NODE"), local=npus, cards=ctx.cards)
    if world and world % (tp * pp * cp):
        ctx.add("mindspeed.world_not_divisible", path, tp_line, world=world, tp=tp, pp=pp, cp=cp,
                model_size=tp * pp * cp, npus_line=script.var_lines.get("NPUS_PER_NODE"))
    if npus and tp > npus:
        ctx.add("mindspeed.tp_across_nodes", path, tp_line, tp=tp, npus=npus)
    load = _flag_value(script, "load") or script.expand(script.vars.get("CKPT_LOAD_DIR", ""))
    if load:
        facts.load_dir = load
        match = re.search(r"tp(\d+)[_-]?pp(\d+)", load.lower())
        if match and (int(match.group(1)), int(match.group(2))) != (tp, pp):
            ctx.add("mindspeed.checkpoint_layout", path, script.var_lines.get("CKPT_LOAD_DIR") or tp_line,
                    load=load, ckpt_tp=match.group(1), ckpt_pp=match.group(2), tp=tp, pp=pp)
    mbs, gbs = _num(script, "MBS"), _num(script, "GBS")
    mbs = mbs or _int_or_none(_flag_value(script, "micro-batch-size"))
    gbs = gbs or _int_or_none(_flag_value(script, "global-batch-size"))
    if world and mbs and gbs and world % (tp * pp * cp) == 0:
        dp = world // (tp * pp * cp)
        if gbs % (mbs * dp):
            ctx.add("mindspeed.global_batch", path, script.var_lines.get("GBS") or tp_line, gbs=gbs, mbs=mbs, dp=dp)
    _check_mindspeed_lengths(script, ctx, pp, cp)


def _check_mindspeed_lengths(script: Script, ctx: CheckContext, pp: int, cp: int) -> None:
    """Layers vs pipeline stages, and the sequence length vs position embeddings and context parallel."""
    text, path = script.text, script.path
    layers = _int_or_none(_flag_value(script, "num-layers"))
    if layers and pp > 1 and layers % pp and "num-layer-list" not in text and "noop-layers" not in text \
            and "decoder-first-pipeline-num-layers" not in text:
        ctx.add("mindspeed.layers_pp", path, _line_of(script, "num-layers"), layers=layers, pp=pp)
    seq = _num(script, "SEQ_LEN") or _int_or_none(_flag_value(script, "seq-length"))
    max_pos = _int_or_none(_flag_value(script, "max-position-embeddings"))
    if seq and max_pos and max_pos < seq:
        ctx.add("mindspeed.max_position", path, _line_of(script, "max-position-embeddings"), seq=seq, max_pos=max_pos)
    if seq and cp > 1 and seq % (2 * cp):
        ctx.add("mindspeed.seq_cp", path, script.var_lines.get("SEQ_LEN"), seq=seq, cp=cp)


def _float_or_none(value: Optional[str]) -> Optional[float]:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _int_or_none(value: Optional[str]) -> Optional[int]:
    return int(value) if value and value.isdigit() else None


def _line_of(script: Script, needle: str) -> Optional[int]:
    for number, line in enumerate(script.text.splitlines(), start=1):
        if needle in line:
            return number
    return None


def cross_check_convert(facts: list[tuple[str, ScriptFacts]], ctx: CheckContext) -> None:
    """The TP/PP a checkpoint was converted with must be the TP/PP the training script uses."""
    converts = [(p, f) for p, f in facts if f.convert_tp_pp]
    trains = [(p, f) for p, f in facts if f.train_tp_pp]
    for train_path, train in trains:
        for convert_path, convert in converts:
            related = len(converts) == 1 or (train.load_dir and convert.save_dir and
                                             train.load_dir.rstrip("/") == convert.save_dir.rstrip("/"))
            if related and (*convert.convert_tp_pp, convert.convert_ep) != (*train.train_tp_pp, train.train_ep):
                ctx.add("mindspeed.convert_mismatch", train_path, train.train_line,
                        tp=train.train_tp_pp[0], pp=train.train_tp_pp[1], ep=train.train_ep,
                        ctp=convert.convert_tp_pp[0], cpp=convert.convert_tp_pp[1], cep=convert.convert_ep,
                        convert_file=convert_path, convert_line=convert.convert_line)


def worker_vs_product(path: str, facts: ScriptFacts, product: Optional[int], config_path: str,
                      ctx: CheckContext, kind: str = "config") -> None:
    if facts.worker_num and product and facts.worker_num != product:
        ctx.add("launch.worker_num_vs_config", path, facts.worker_line, worker=facts.worker_num, product=product,
                config=config_path, kind=kind)
