"""pytest fixtures shared by every test file."""

from support import shared_dir  # noqa: F401  (re-exported as a fixture)
