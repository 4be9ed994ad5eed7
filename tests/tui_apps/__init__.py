"""Fixed fake data and harness apps for the TUI tests (no dependency on the machine)."""
