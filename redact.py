"""Secrets never leave the machine: redact credential-looking variables in every output.

ModelArts notebooks carry OBS access keys, tokens and passwords in the environment; a doctor
report gets pasted into chats and issues. A variable is a secret when its name looks like one
(``*_KEY``, ``*TOKEN*``, ``*SECRET*``, ``*PASSWORD*``, ``AK``/``SK``, ``OBS_*`` credentials ...);
its value is replaced by ``***`` wherever it appears, not just next to its name.

This module is the one place that knows what a secret looks like: besides those values, the userinfo of
a URL (``https://user:pass@host``, up to the last ``@`` before the host), tokens whose shape gives them
away (Hugging Face ``hf_...``, GitHub ``ghp_...``, ``sk-...``, AWS ``AKIA...``, JWTs), and, in log lines,
``password=...`` / ``HF_TOKEN: ...`` / ``Bearer ...``. doctor, diagnose, the launch command and job records
all mask through here.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from typing import Any, Iterable, Mapping, Optional, TypeVar

M = TypeVar("M")

MASK = "***"
_SECRET_WORDS = {"KEY", "KEYS", "TOKEN", "SECRET", "SECRETS", "PASSWORD", "PASSWD", "PASS",
                 "PWD", "CREDENTIAL", "CREDENTIALS", "AUTH", "AK", "SK", "COOKIE", "PAT", "PRIVATE",
                 "SIGNATURE", "APIKEY"}
_SECRET_PARTS = ("SECRET", "TOKEN", "PASSWORD", "PASSWD", "ACCESSKEY", "ACCESS_KEY", "SECRETKEY",
                 "APIKEY", "API_KEY", "CREDENTIAL", "PRIVATE_KEY")
_TOKEN_COUNTS = {"TOKENIZER", "TOKENIZERS", "TOKENS"}
_TOKEN_FIELDS = {"ID", "IDS", "LEN", "LENGTH", "NUM", "COUNT", "TYPE"}
_NOT_SECRET = {"PWD", "OLDPWD", "KEYTIMEOUT", "SSH_AUTH_SOCK", "GPG_AGENT_INFO", "XAUTHORITY"}
_MIN_SECRET_LENGTH = 4  # shorter values ("1", "on") would mask unrelated text
# Userinfo runs to the LAST "@" before the host: "https://u:p@ss@host" hides "u:p@ss" whole.
_URL_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]{0,15}://)(?P<userinfo>(?:[^/\s?#@]{0,512}@){1,8})")
_TOKEN_SHAPES = re.compile(
    r"\b(?:hf_[A-Za-z0-9]{30,}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,}|glpat-[A-Za-z0-9_-]{20,}"
    r"|sk-[A-Za-z0-9_-]{20,}|(?:AKIA|ASIA)[0-9A-Z]{16}|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})")
"""Tokens recognisable by their prefix, masked in any text."""
_BEARER = re.compile(r"\b(?P<word>Bearer|Basic|token)(?P<gap>\s+)(?P<value>[A-Za-z0-9._~+/=-]{12,})", re.IGNORECASE)
_ASSIGNMENT = re.compile(r"\b(?P<key>[A-Za-z_][A-Za-z0-9_.-]{0,63})(?P<sep>[\"']?[ \t]*[=:][ \t]*[\"']?)"
                         r"(?P<value>[^\s\"',;&]{1,4096})")
_LOG_SECRET_WORDS = {"TOKEN", "SECRET", "PASSWORD", "PASSWD", "APIKEY", "AK", "SK", "CREDENTIAL",
                     "CREDENTIALS"}
_LOG_SECRET_PARTS = ("ACCESS_KEY", "ACCESSKEY", "SECRET_KEY", "SECRETKEY", "API_KEY", "PRIVATE_KEY", "PASSWORD",
                     "AUTH_TOKEN", "ACCESS_TOKEN")
_SHAPE_MARKS = ("hf_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "sk-", "AKIA", "ASIA", "eyJ")
_ASSIGN_MARKS = ("token", "secret", "passw", "key", "credential", "_ak", "_sk", "ak=", "sk=", "ak:", "sk:", "ak\"",
                 "sk\"", "auth")
_BEARER_MARKS = ("bearer", "basic", "token")
"""Cheap first looks (substrings): most log lines hold none of them, and skip the regular expressions."""
_TOKENIZER_TOKEN = re.compile(r"(?:(?:pad|bos|eos|unk|sep|cls|mask|start|end|image|video|audio|system|user|"
                              r"assistant|special)[_-])?tokens?", re.IGNORECASE)
"""Keys of a tokenizer's special tokens (``pad_token``), whose letters-only values are no secrets."""
_TOKEN_LIKE = re.compile(r"(?=[^\s]*[0-9])(?=[^\s]*[A-Za-z])[A-Za-z0-9._~+/=-]{8,}\Z")


@lru_cache(maxsize=1 << 16)  # asked for every variable of every node's command, several times: cached per name
def is_secret_name(name: str) -> bool:
    """Whether an environment variable named ``name`` probably holds a credential."""
    upper = name.upper()
    if upper in _NOT_SECRET:
        return False
    words = [word for word in re.split(r"[_\-.]+", upper) if word]
    # Tokenizer settings and token counts are no credentials: TOKENIZERS_PARALLELISM, MAX_TOKENS, PAD_TOKEN_ID.
    kept = [word for index, word in enumerate(words) if word not in _TOKEN_COUNTS
            and not (word == "TOKEN" and index + 1 < len(words) and words[index + 1] in _TOKEN_FIELDS)]
    if any(part in "_".join(kept) for part in _SECRET_PARTS):
        return True
    return any(word in _SECRET_WORDS for word in kept)


def secret_values(environ: Optional[Mapping[str, str]] = None) -> list[str]:
    """Values of secret-named variables, longest first (so a longer secret is masked whole)."""
    env = os.environ if environ is None else environ
    values = {value for name, value in env.items() if is_secret_name(name) and len(value) >= _MIN_SECRET_LENGTH}
    return sorted(values, key=len, reverse=True)


def redact_env(environ: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``environ`` with every secret-named variable's value replaced by ``***``."""
    return {name: (MASK if is_secret_name(name) else redact_text(value, ())) for name, value in environ.items()}


def is_secret_variable(name: str, value: str) -> bool:
    """Whether a variable must be passed by name and never shown: its name looks like a credential, or its value
    holds one (a URL's ``user:password@``, a token's shape): ``PIP_INDEX_URL=https://u:p@mirror/simple``."""
    return is_secret_name(name) or masked_value(name, value) != value


def masked_value(name: str, value: str) -> str:
    """What may be shown of a variable: ``***`` for a secret name, else the value with a URL's userinfo and
    token-shaped words masked (``https://***@mirror/simple``)."""
    return MASK if is_secret_name(name) else redact_text(value, ())


def from_environment(name: str, value: str) -> bool:
    """A secret variable given as ``***`` or empty, or a URL whose userinfo is ``***``: passed by name, the
    launching environment supplies it."""
    if is_secret_name(name):
        return value in ("", MASK)
    return f"://{MASK}@" in value


def masked_env(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` with each secret variable masked (:func:`masked_value`: what a preset export, the launch command
    and a job record hold); other values are kept as they are, so the result still launches."""
    return {name: masked_value(name, value) for name, value in env.items()}


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with each secret value, a URL's ``user:password@`` and token-shaped words masked."""
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    if "://" in text:
        text = _URL_USERINFO.sub(_url_userinfo, text)
    if any(mark in text for mark in _SHAPE_MARKS):
        text = _TOKEN_SHAPES.sub(MASK, text)
    return text


def secret_marks(secrets: Iterable[str] = ()) -> list[str]:
    """Case-sensitive literals, one of which is in nearly every line :func:`redact_log_line` would change.

    For prefilters that look at many lines at once (the live tail's single re2 pass): a line without any of
    them is shown as it is. Words are listed in lower, Capitalised and UPPER case (not every mixed case).
    """
    marks = {"://", *_SHAPE_MARKS, *secrets}
    for word in ("token", "secret", "passw", "credential", "apikey", "api_key", "access_key", "accesskey",
                 "secret_key", "private_key", "bearer", "basic"):
        marks |= {word, word.capitalize(), word.upper()}
    for word in ("ak", "sk"):
        for case in (word, word.upper()):
            marks |= {"_" + case, "-" + case, "." + case} | {case + sep for sep in ("=", ":", "\"", "'")}
    return sorted(marks)


def redact_log_line(text: str, secrets: Iterable[str] = ()) -> str:
    """A log line as :func:`redact_text`, and ``password=...``, ``HF_TOKEN: ...``, ``Bearer ...`` values masked.

    Log lines are shown back to the user (diagnose's root cause, the live view) and pasted into chats.
    """
    text = redact_text(text, secrets)
    lower = text.lower()
    if ("=" in text or ":" in text) and any(mark in lower for mark in _ASSIGN_MARKS):
        text = _ASSIGNMENT.sub(_assignment, text)
    if any(mark in lower for mark in _BEARER_MARKS):
        text = _BEARER.sub(lambda m: m.group("word") + m.group("gap") + MASK, text)
    return text


def _url_userinfo(match: "re.Match[str]") -> str:
    userinfo = match.group("userinfo")[:-1]
    # A bare user name (ssh://git@host) is no secret; a password or a token as user name is.
    if ":" in userinfo or _TOKEN_LIKE.match(userinfo) or _TOKEN_SHAPES.search(userinfo):
        return match.group("scheme") + MASK + "@"
    return match.group(0)


def is_secret_key_in_text(key: str) -> bool:
    """Whether ``key`` in a ``key=value`` of free text names a credential (stricter than :func:`is_secret_name`:
    ``tokenizer``, ``max_tokens`` and ``pad_token_id`` are not)."""
    upper = key.upper().replace("-", "_").replace(".", "_")
    if any(part in upper for part in _LOG_SECRET_PARTS):
        return True
    words = [word for word in upper.split("_") if word]
    return bool(words) and words[-1] in _LOG_SECRET_WORDS


def _assignment(match: "re.Match[str]") -> str:
    key, value = match.group("key"), match.group("value")
    if value == MASK or not is_secret_key_in_text(key):
        return match.group(0)
    # "pad_token: <pad>", "eos_token=endoftext" are tokenizer settings (a token value there has letters and
    # digits); HF_TOKEN or access_token is a credential whatever its letters.
    if _TOKENIZER_TOKEN.fullmatch(key) and not _TOKEN_LIKE.match(value):
        return match.group(0)
    return match.group("key") + match.group("sep") + MASK


def redact_document(document: Any, secrets: Iterable[str], log: bool = False) -> Any:
    """Redact every string (keys included) in a JSON-like document; other values pass through.

    ``log=True`` masks each string as a log line (:func:`redact_log_line`), for documents that quote logs.
    """
    secrets = list(secrets)
    if isinstance(document, str):
        return redact_log_line(document, secrets) if log else redact_text(document, secrets)
    if isinstance(document, dict):
        return {redact_document(key, secrets, log) if isinstance(key, str) else key:
                redact_document(value, secrets, log) for key, value in document.items()}
    if isinstance(document, (list, tuple)):
        return [redact_document(item, secrets, log) for item in document]
    return document


def redact_model(model: M, secrets: Iterable[str] = (), log: bool = True) -> M:
    """A copy of a finding, a report (a dataclass) or a pydantic model with every string in it redacted."""
    return _redact_value(model, list(secrets), log)


def _redact_value(value: Any, secrets: list, log: bool) -> Any:
    import dataclasses

    if isinstance(value, str):
        return redact_document(value, secrets, log)
    if hasattr(value, "model_dump") and hasattr(type(value), "model_validate"):  # a finding, a pydantic model
        return type(value).model_validate(redact_document(value.model_dump(), secrets, log))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{spec.name: _redact_value(getattr(value, spec.name), secrets, log)
                                             for spec in dataclasses.fields(value) if spec.init})
    if isinstance(value, (list, tuple)):
        return type(value)(_redact_value(item, secrets, log) for item in value)
    if isinstance(value, dict):
        return {redact_document(key, secrets, log) if isinstance(key, str) else key: _redact_value(item, secrets, log)
                for key, item in value.items()}
    return value
