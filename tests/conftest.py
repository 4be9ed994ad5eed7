"""pytest fixtures shared by every test file."""

import os
from contextlib import contextmanager

import pytest
from support import shared_dir  # noqa: F401  (re-exported as a fixture)


@contextmanager
def _env_dir(name: str, folder) -> None:
    """``os.environ[name]`` set to ``folder`` (so every CLI subprocess inherits it), restored afterwards."""
    before = os.environ.get(name)
    os.environ[name] = str(folder)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


@pytest.fixture(autouse=True, scope="session")
def _isolated_user_data(tmp_path_factory):
    """Releases learned with ``knowledge learn`` on a developer's machine must not change what tests see;
    tests that need their own data dir set ``MINDPILOT_DATA_DIR`` themselves."""
    with _env_dir("MINDPILOT_DATA_DIR", tmp_path_factory.mktemp("user-data")):
        yield


@pytest.fixture
def no_rules(monkeypatch):
    """Diagnose with the engine alone: the shipped knowledge base's rules switched off."""
    from mindpilot.validators.kb import diagnose, knowledge

    empty = knowledge.KnowledgeBase({}, {})
    monkeypatch.setattr(knowledge, "load_kb_for_logs", lambda: empty)
    monkeypatch.setattr(diagnose, "load_kb_for_logs", lambda: empty)
