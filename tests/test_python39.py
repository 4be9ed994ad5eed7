"""ModelArts images run Python 3.9/3.10: every module must parse as 3.9 and keep runtime annotations 3.9-safe.

``ast.parse(feature_version=(3, 9))`` rejects ``match`` and other newer syntax. pydantic evaluates field
annotations at runtime, so ``int | None`` in a model breaks on 3.9 even under ``from __future__ import
annotations``; the second test finds such annotations in class bodies.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SOURCES = sorted(p for p in REPO.rglob("*.py")
                 if not {".venv", "build", "__snapshots__"} & set(p.relative_to(REPO).parts))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(REPO)))
def test_module_parses_as_python_3_9(path):
    ast.parse(path.read_text(encoding="utf-8"), filename=str(path), feature_version=(3, 9))


def _uses_pipe_union(node: ast.AST) -> bool:
    return any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.BitOr) for n in ast.walk(node))


def test_class_attribute_annotations_avoid_pipe_unions():
    offenders = []
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
            for stmt in cls.body:
                if isinstance(stmt, ast.AnnAssign) and _uses_pipe_union(stmt.annotation):
                    offenders.append(f"{path.relative_to(REPO)}:{stmt.lineno}")
    assert offenders == [], "use Optional[...] / Union[...] in class annotations: " + ", ".join(offenders)
