"""Shell slips in launch and preparation scripts that cost users hours.

Each rule is about how bash reads the line, not about the framework: a space after a line-continuation
backslash, ``PYTHONPATH`` entries joined with a space, ``pip install name>=1`` that bash turns into a
redirection, a browser ``/blob/`` address downloaded with wget, two checkouts of one package on
``PYTHONPATH``, ``cd /research/...`` with a stray leading slash, and conversion/preprocessing arguments
that MindSpeed-LLM takes differently from what users write. Texts: ``data/rules/shell.yaml`` and
``data/rules/mindspeed.yaml``.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from mindpilot.validators.check.context import CheckContext

if TYPE_CHECKING:
    from mindpilot.validators.check.bash_script import Script

PATH_LISTS = ("PYTHONPATH", "MINDFORMERS_PATH", "LD_LIBRARY_PATH", "PATH")
"""Variables whose value is a ``:``-separated list of directories."""
SOURCE_PACKAGES = ("mindformers", "mindrlhf", "msadapter", "mindspeed", "mindspeed-llm", "megatron-lm")
"""Checkout folder names that must appear once on ``PYTHONPATH`` (the first copy shadows the others)."""
REPO_DIRS = ("research", "mindformers", "mindrlhf", "examples", "scripts", "mindspeed-llm", "mindspeed", "configs")
"""Folders that live inside a checkout, never at the file-system root."""
PIP_NAMES = {"fastchat": "fschat", "minspore": "mindspore", "mindsopre": "mindspore", "mindfromers": "mindformers"}
"""Names users write that pip installs as something else (or not at all) -> the intended package."""
MODEL_FAMILIES = ("qwen", "llama", "deepseek", "glm", "mistral", "baichuan", "gemma", "internlm")
"""Model families as they appear in tokenizer folder names and MindSpeed-LLM template names (templates.json)."""
HF_BLOB = re.compile(r"https?://(?:huggingface\.co|hf-mirror\.com)/\S*?/blob/\S+")
IP_PLACEHOLDER = re.compile(r"\bIP_ADDRESS\b|\bMASTER_IP_ADDRESS\b|\bx\.x\.x\.x\b|<\s*master[_ ]?ip\s*>", re.IGNORECASE)
PIP_SPEC = re.compile(r"^([A-Za-z][A-Za-z0-9_.\-]*(?:\[[^\]]*\])?)(>=|<=|==|~=|!=|>|<)(\S*)$")
LAUNCHER = re.compile(r"^\s*(?:\S*/)?(torchrun|msrun)\s", re.MULTILINE)
"""A command line that starts a multi-node launcher."""
EXPORT = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$")


def check_shell(script: "Script", ctx: CheckContext) -> None:
    """Every shell rule over one script."""
    _backslash_space(script, ctx)
    _path_lists(script, ctx)
    for line in script.lines:
        text = line.text
        if text.lstrip().startswith("#"):
            continue
        _pip(text, line.number, script.path, ctx)
        _downloads_and_addresses(text, line.number, script.path, ctx)
        _cd_absolute(text, line.number, script.path, ctx)
        _mindspeed_args(script, text, line.number, ctx)
    _multinode(script, ctx)


def _backslash_space(script: "Script", ctx: CheckContext) -> None:
    """``--tokenizer-name-or-path x \\   ``: the backslash escapes a space, so the command ends on this line."""
    lines = script.text.splitlines()
    for number, raw in enumerate(lines, start=1):
        stripped = raw.rstrip()
        if stripped.endswith("\\") and raw != stripped and not stripped.lstrip().startswith("#"):
            following = lines[number].strip() if number < len(lines) else ""
            ctx.add("shell.backslash_space", script.path, number, spaces=len(raw) - len(stripped),
                    next=following.split(" ", 1)[0] or "?")


def _path_lists(script: "Script", ctx: CheckContext) -> None:
    """``MINDFORMERS_PATH="$A $B"`` (a space instead of ``:``) and several checkouts of one package."""
    entries: list[str] = []
    added_at: dict[str, int] = {}
    for line in script.lines:
        match = EXPORT.match(line.text)
        if not match or match.group(1) not in PATH_LISTS:
            continue
        name, value = match.group(1), _unquote(_strip_trailing_comment(match.group(2)))
        if re.search(r"\S\s+\S", value) and ("$" in value or "/" in value):
            ctx.add("shell.path_list_space", script.path, line.number, name=name, value=value,
                    suggest=":".join(value.split()))
        if name == "PYTHONPATH":
            entries = _pythonpath_after(script, value, entries, added_at, line.number)
    _check_checkout_copies(script, ctx, entries, added_at)


def _pythonpath_after(script: "Script", value: str, entries: list[str], added_at: dict[str, int],
                      line: int) -> list[str]:
    """``PYTHONPATH`` after ``export PYTHONPATH=value`` (``$PYTHONPATH`` in it stands for ``entries``); the line
    each new entry was added on goes into ``added_at``."""
    new: list[str] = []
    for part in value.split(":"):
        if part in ("$PYTHONPATH", "${PYTHONPATH}"):
            new.extend(entries)
        elif part:
            entry = os.path.normpath(script.expand(part))
            new.append(entry)
            added_at.setdefault(entry, line)
    return new


def _check_checkout_copies(script: "Script", ctx: CheckContext, entries: list[str], added_at: dict[str, int]) -> None:
    """Two checkouts of one package on ``PYTHONPATH``: the first shadows the others."""
    by_package: dict[str, list[str]] = {}
    for entry in dict.fromkeys(entries):
        package = os.path.basename(entry).lower()
        if package in SOURCE_PACKAGES and "$" not in entry:
            by_package.setdefault(package, []).append(entry)
    for package, copies in by_package.items():
        if len(copies) > 1:
            ctx.add("shell.pythonpath_conflict", script.path, max(added_at[c] for c in copies), package=package,
                    winner=copies[0], others=", ".join(copies[1:]), count=len(copies))


def _unquote(value: str) -> str:
    value = value.strip()
    if value[:1] in ("'", '"') and value[-1:] == value[:1]:
        return value[1:-1]
    return value


def _strip_trailing_comment(value: str) -> str:
    return re.sub(r"\s+#.*$", "", value)


def _pip(text: str, number: int, path: str, ctx: CheckContext) -> None:
    words = text.split()
    if "install" not in words or not any(w in ("pip", "pip3") or w.endswith("/pip") for w in words[:3]):
        return
    for word in words[words.index("install") + 1:]:
        if word.startswith("#"):
            break
        match = PIP_SPEC.match(word)
        if match and set(match.group(2)) & {"<", ">"}:
            ctx.add("shell.pip_unquoted_specifier", path, number, word=word, name=match.group(1),
                    redirect=match.group(2).lstrip("<>") + match.group(3), quoted=f'"{word}"')
        name = (match.group(1) if match else word).split("[", 1)[0].lower()
        if name in PIP_NAMES:
            ctx.add("shell.pip_wrong_name", path, number, name=name, right=PIP_NAMES[name])


def _downloads_and_addresses(text: str, number: int, path: str, ctx: CheckContext) -> None:
    if re.search(r"\b(wget|curl)\b", text):
        for url in HF_BLOB.findall(text):
            ctx.add("shell.hf_blob_url", path, number, url=url, fixed=url.replace("/blob/", "/resolve/", 1))
    match = IP_PLACEHOLDER.search(text)
    if match:
        ctx.add("shell.placeholder_address", path, number, token=match.group(0))


def _cd_absolute(text: str, number: int, path: str, ctx: CheckContext) -> None:
    match = re.match(r"^\s*cd\s+/([^/\s;&]+)(\S*)", text)
    if match and match.group(1).lower() in REPO_DIRS:
        ctx.add("shell.cd_absolute", path, number, target="/" + match.group(1) + match.group(2),
                relative=(match.group(1) + match.group(2)).rstrip("/"))


def _mindspeed_args(script: "Script", text: str, number: int, ctx: CheckContext) -> None:
    """convert_ckpt.py back to Hugging Face with TP/PP > 1; preprocess_data.py ``--output-prefix`` a folder."""
    if "convert_ckpt" in text and re.search(r"--save-model-type[ =]+hf\b", text):
        sizes = {}
        for flag in ("target-tensor-parallel-size", "target-pipeline-parallel-size"):
            found = re.search(rf"--{flag}[ =]+(\S+)", text)
            sizes[flag] = script.expand(found.group(1)) if found else "1"
        if any(value not in ("1", "") and value.isdigit() for value in sizes.values()):
            ctx.add("mindspeed.convert_to_hf_parallel", script.path, number,
                    tp=sizes["target-tensor-parallel-size"], pp=sizes["target-pipeline-parallel-size"])
    if "preprocess_data" in text:
        _prompt_type(script, text, number, ctx)
        found = re.search(r"--output-prefix[ =]+(\S+)", text)
        if found:
            prefix = script.expand(found.group(1).strip("\"'"))
            if prefix.endswith("/") or (not ctx.skip_paths and os.path.isdir(prefix)):
                ctx.add("mindspeed.output_prefix_is_directory", script.path, number, prefix=prefix,
                        suggest=prefix.rstrip("/") + "/" + (os.path.basename(prefix.rstrip("/")) or "dataset"))


def _family(text: str) -> str:
    lowered = text.lower()
    return next((family for family in MODEL_FAMILIES if family in lowered), "")


def _prompt_type(script: "Script", text: str, number: int, ctx: CheckContext) -> None:
    """``--prompt-type llama2`` with a Qwen tokenizer: the chat template of another model family."""
    prompt = re.search(r"--prompt-type[ =]+(\S+)", text)
    tokenizer = re.search(r"--tokenizer-name-or-path[ =]+(\S+)", text)
    if not prompt or not tokenizer:
        return
    template = script.expand(prompt.group(1).strip("\"'"))
    model = script.expand(tokenizer.group(1).strip("\"'"))
    wanted, used = _family(os.path.basename(model.rstrip("/")) or model), _family(template)
    if wanted and used and wanted != used and template != "empty":
        ctx.add("mindspeed.prompt_type_family", script.path, number, template=template, model=model, family=wanted)


def _multinode(script: "Script", ctx: CheckContext) -> None:
    """MindSpeed-LLM on several nodes (torchrun, or msrun on the MindSpore backend): a real master address, and
    ``--no-shared-storage`` without shared data."""
    nodes = script.int_var("NNODES")
    if not nodes or nodes < 2 or not LAUNCHER.search(script.text):
        return
    line = script.var_lines.get("NNODES")
    addr = script.expand(script.vars.get("MASTER_ADDR", "")).strip()
    if addr.lower() in ("localhost", "127.0.0.1", "locahost", "::1"):
        ctx.add("mindspeed.multinode_localhost", script.path, script.var_lines.get("MASTER_ADDR") or line,
                nodes=nodes, addr=addr)
    commands = "\n".join(line.text for line in script.lines if not line.text.lstrip().startswith("#"))
    if "--no-shared-storage" not in commands:
        ctx.add("mindspeed.multinode_shared_storage", script.path, line, nodes=nodes)
