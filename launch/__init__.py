"""Run it: msrun argv and environment, preflight, the job's processes and state, live log tailing.

Pure core: no Textual, no Rich. The TUI and the CLI consume the same iterators.
"""
