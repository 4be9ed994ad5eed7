"""pytest fixtures shared by every test file."""

import os

import pytest
from support import shared_dir  # noqa: F401  (re-exported as a fixture)


@pytest.fixture(autouse=True, scope="session")
def _isolated_user_data(tmp_path_factory):
    """Releases learned with ``knowledge learn`` on a developer's machine must not change what tests see.

    Set in ``os.environ`` so that every CLI subprocess inherits it; tests that need their own data dir set
    ``MINDPILOT_DATA_DIR`` themselves.
    """
    before = os.environ.get("MINDPILOT_DATA_DIR")
    os.environ["MINDPILOT_DATA_DIR"] = str(tmp_path_factory.mktemp("user-data"))
    yield
    if before is None:
        os.environ.pop("MINDPILOT_DATA_DIR", None)
    else:
        os.environ["MINDPILOT_DATA_DIR"] = before


@pytest.fixture(autouse=True, scope="session")
def _isolated_parse_cache(tmp_path_factory):
    """The parse cache of shipped YAML (``mindpilot.datacache``) in a directory of this session, not the
    user's cache dir; CLI subprocesses inherit it."""
    before = os.environ.get("MINDPILOT_CACHE_DIR")
    os.environ["MINDPILOT_CACHE_DIR"] = str(tmp_path_factory.mktemp("parse-cache"))
    yield
    if before is None:
        os.environ.pop("MINDPILOT_CACHE_DIR", None)
    else:
        os.environ["MINDPILOT_CACHE_DIR"] = before
