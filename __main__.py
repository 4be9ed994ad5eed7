"""``python -m mindpilot``: the same entry point as the ``mindpilot`` console script."""

import sys

from mindpilot.cli import main

if __name__ == "__main__":
    sys.exit(main())
