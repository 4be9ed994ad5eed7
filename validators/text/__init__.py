"""Plain-text rendering shared by the CLI, the TUI and the live view (``launch.view``).

It lives in the core so that the live view and the TUI render findings exactly as the CLI does
without importing the CLI layer: :mod:`.columns` measures and wraps text for 80-column terminals
(Chinese takes two columns per character), :mod:`.findings` turns a finding into a few lines.
"""
