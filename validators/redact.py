"""Secrets never leave the machine: redact credential-looking variables in every output.

ModelArts notebooks carry OBS access keys, tokens and passwords in the environment; a doctor
report gets pasted into chats and issues. A variable is a secret when its name looks like one
(``*_KEY``, ``*TOKEN*``, ``*SECRET*``, ``*PASSWORD*``, ``AK``/``SK``, ``OBS_*`` credentials ...);
its value is replaced by ``***`` wherever it appears, not just next to its name.
"""

from __future__ import annotations

import os
import re
from typing import Any, Iterable, Mapping, Optional

MASK = "***"
_SECRET_WORDS = {"KEY", "KEYS", "TOKEN", "TOKENS", "SECRET", "SECRETS", "PASSWORD", "PASSWD", "PASS",
                 "PWD", "CREDENTIAL", "CREDENTIALS", "AUTH", "AK", "SK", "COOKIE", "PAT", "PRIVATE",
                 "SIGNATURE", "APIKEY"}
_SECRET_PARTS = ("SECRET", "TOKEN", "PASSWORD", "PASSWD", "ACCESSKEY", "ACCESS_KEY", "SECRETKEY",
                 "APIKEY", "API_KEY", "CREDENTIAL", "PRIVATE_KEY")
_NOT_SECRET = {"PWD", "OLDPWD", "KEYTIMEOUT", "SSH_AUTH_SOCK", "GPG_AGENT_INFO", "XAUTHORITY"}
_MIN_SECRET_LENGTH = 4  # shorter values ("1", "on") would mask unrelated text
_URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@")


def is_secret_name(name: str) -> bool:
    """Whether an environment variable named ``name`` probably holds a credential."""
    upper = name.upper()
    if upper in _NOT_SECRET:
        return False
    if any(part in upper for part in _SECRET_PARTS):
        return True
    return any(word in _SECRET_WORDS for word in re.split(r"[_\-.]+", upper))


def secret_values(environ: Optional[Mapping[str, str]] = None) -> list[str]:
    """Values of secret-named variables, longest first (so a longer secret is masked whole)."""
    env = os.environ if environ is None else environ
    values = {value for name, value in env.items() if is_secret_name(name) and len(value) >= _MIN_SECRET_LENGTH}
    return sorted(values, key=len, reverse=True)


def redact_env(environ: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``environ`` with every secret-named variable's value replaced by ``***``."""
    return {name: (MASK if is_secret_name(name) else redact_text(value, ())) for name, value in environ.items()}


def redact_text(text: str, secrets: Iterable[str]) -> str:
    """``text`` with each secret value and any ``user:password@`` in URLs masked."""
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return _URL_CREDENTIALS.sub(lambda m: m.group("scheme") + MASK + "@", text)


def redact_document(document: Any, secrets: Iterable[str]) -> Any:
    """Redact every string (keys included) in a JSON-like document; other values pass through."""
    secrets = list(secrets)
    if isinstance(document, str):
        return redact_text(document, secrets)
    if isinstance(document, dict):
        return {redact_document(key, secrets) if isinstance(key, str) else key: redact_document(value, secrets)
                for key, value in document.items()}
    if isinstance(document, (list, tuple)):
        return [redact_document(item, secrets) for item in document]
    return document
