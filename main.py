"""TrialDesk: `python main.py` opens the window; `python main.py COMMAND` runs headless."""

import os
import sys

from cli.runner import run


def main() -> None:
    try:
        sys.exit(run())
    except BrokenPipeError:
        # The reader went away (`trialdesk visits list | head`): stop quietly, as
        # the Python documentation recommends, without a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)


if __name__ == "__main__":
    main()
