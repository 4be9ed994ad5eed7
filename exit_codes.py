"""The one enum of process exit codes: the CLI is an API and these are part of its contract."""

from enum import IntEnum


class ExitCode(IntEnum):
    """Exit status of every ``mindpilot`` subcommand."""

    OK = 0
    """Nothing of severity error was found."""
    FINDINGS = 1
    """At least one finding of severity error."""
    USAGE = 2
    """Usage or input error: a bad flag, a file that does not exist or does not parse."""
    ENVIRONMENT = 3
    """The environment could not be probed (interpreter missing, probe crashed or timed out)."""
    LAUNCH_FAILED = 4
    """The launched job failed, or could not be started."""
    INTERRUPTED = 130
    """Interrupted by the user (Ctrl-C)."""
