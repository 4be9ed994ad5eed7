"""Version comparison for the two worlds an Ascend environment mixes.

Python packages follow PEP 440 (``packaging``), but CANN and driver versions are Ascend-style:
release candidates come *before* the final release of the same minor line
(8.0.RC1 < 8.0.RC2 < 8.0.RC3 < 8.0.0 < 8.1.RC1 < 8.2.RC1 < 8.3.RC1 < 8.5.0 < 9.0.0),
``.T6`` marks a test build, and ``.beta1`` / ``-beta.2`` suffixes come before the release they
qualify (as ``ascend_toolkit_install.info`` files show). PEP 440 would order
``8.0.RC3`` after ``8.0.0``, hence the second comparison.
"""

from __future__ import annotations

import re
from functools import total_ordering
from typing import Optional, Union

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

# Rank of a qualifier within one release line: T (test build) < beta < RC < final < post.
_QUALIFIER_RANK = {"t": 0, "alpha": 1, "a": 1, "beta": 2, "b": 2, "rc": 3}
_FINAL = 4
_TOKEN = re.compile(r"(\d+)|([A-Za-z]+)")


@total_ordering
class AscendVersion:
    """A CANN or driver version such as ``8.2.RC1``, ``8.0.0``, ``24.1.rc3.3`` or ``9.2.0-beta.2``."""

    def __init__(self, text: str) -> None:
        self.text = text.strip()
        self.key = _ascend_key(self.text)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AscendVersion) and self.key == other.key

    def __lt__(self, other: "AscendVersion") -> bool:
        return self.key < other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        return f"AscendVersion({self.text!r})"

    @property
    def release(self) -> tuple[int, ...]:
        """The leading numeric parts: ``(8, 2)`` for ``8.2.RC1``, ``(8, 0, 0)`` for ``8.0.0``."""
        parts = []
        for number, word in _TOKEN.findall(self.text):
            if word:
                break
            parts.append(int(number))
        return tuple(parts)


def _ascend_key(text: str) -> tuple:
    """A sortable key: numbers, then (qualifier rank, qualifier number) pairs.

    ``8.0.RC3`` -> ((8, 0, 0), 3, 3, ...), ``8.0.0`` -> ((8, 0, 0), 4, ...): the release part is padded
    to three numbers so that ``8.1`` and ``8.1.0`` compare equal and ``8.0.RC3`` lands before ``8.0.0``.
    """
    tokens = _TOKEN.findall(text.lower())
    numbers: list[int] = []
    index = 0
    while index < len(tokens) and tokens[index][0]:
        numbers.append(int(tokens[index][0]))
        index += 1
    # A 2-part release followed by a qualifier (8.0.RC3) is the x.y.0 line's pre-release.
    release = tuple((numbers + [0, 0, 0])[:3])
    extra_numbers = tuple(numbers[3:])
    qualifiers: list[tuple[int, int]] = []
    rest = tokens[index:]
    position = 0
    while position < len(rest):
        number, word = rest[position]
        if word:
            rank = _QUALIFIER_RANK.get(word, _FINAL + 1)
            value = 0
            if position + 1 < len(rest) and rest[position + 1][0]:
                value = int(rest[position + 1][0])
                position += 1
            qualifiers.append((rank, value))
        else:
            qualifiers.append((_FINAL, int(number)))
        position += 1
    # A closing "final" marker makes 8.0.RC3.beta1 sort before 8.0.RC3 (a beta of that RC).
    qualifiers.append((_FINAL, 0))
    return (release, tuple(qualifiers), extra_numbers)


def ascend_compare(left: str, right: str) -> int:
    """-1, 0 or 1 as Ascend-style ``left`` sorts before, equal to, or after ``right``."""
    a, b = AscendVersion(left), AscendVersion(right)
    return (a > b) - (a < b)


def ascend_matches(found: str, accepted: str) -> bool:
    """True when ``found`` is ``accepted`` or a refinement of it.

    ``8.1`` accepts ``8.1.RC1`` and ``8.1.0``; ``8.0.RC3`` accepts ``8.0.RC3.beta1``;
    ``8.2.RC1`` does not accept ``8.2.RC2``. Case and ``-``/``.`` separators do not matter.
    """
    found_tokens = [t.lower() for pair in _TOKEN.findall(found) for t in pair if t]
    accepted_tokens = [t.lower() for pair in _TOKEN.findall(accepted) for t in pair if t]
    if not accepted_tokens:
        return False
    return found_tokens[:len(accepted_tokens)] == accepted_tokens


def pep440(text: str) -> Optional[Version]:
    """The PEP 440 version, or None when ``text`` is not one (``0.8.4.dev0+g296c657`` is)."""
    try:
        return Version(text)
    except InvalidVersion:
        return None


def satisfies(version: str, spec: str) -> bool:
    """Whether a package version meets a PEP 440 specifier (pre-releases allowed, as pins name them).

    ``spec`` may also be a bare version (``2.7.1``), meaning ``==2.7.1``, or alternatives joined by
    ``||`` (``==2.1.0 || ==2.6.0``). A version or specifier that does not parse never satisfies.
    """
    if "||" in spec:
        return any(satisfies(version, part) for part in spec.split("||"))
    parsed = pep440(version)
    if parsed is None:
        return False
    text = spec.strip()
    if text and text[0].isdigit():
        text = "==" + text
    try:
        specifier = SpecifierSet(text, prereleases=True)
    except InvalidSpecifier:
        return False
    return specifier.contains(parsed, prereleases=True)


def version_key(text: str) -> Union[Version, tuple]:
    """Sort key for a package version; unparsable ones sort first."""
    parsed = pep440(text)
    return parsed if parsed is not None else Version("0")


def valid_spec(spec: str) -> bool:
    """Whether every ``||`` alternative of ``spec`` is a PEP 440 specifier or a bare version."""
    for part in spec.split("||"):
        text = part.strip()
        if text and text[0].isdigit():
            text = "==" + text
        try:
            SpecifierSet(text)
        except InvalidSpecifier:
            return False
    return True
