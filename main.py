"""TrialDesk: `python main.py` opens the window; `python main.py COMMAND` runs headless."""

import os
import sys

from cli.crash import announce
from cli.runner import run
from services.audit_check import CHILD_FLAG
from services.audit_check import main as audit_check


def main() -> None:
    argv = sys.argv[1:]
    if argv[:1] == [CHILD_FLAG]:  # a bundle's own audit check (services/audit_check.py)
        audit_check(argv[1])
        return
    try:
        sys.exit(run())
    except BrokenPipeError:
        # The reader went away (`trialdesk visits list | head`): stop quietly, as
        # the Python documentation recommends, without a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except Exception as exc:  # the last resort: a report, not a traceback
        announce(exc, argv, as_json="--json" in argv)
        sys.exit(1)


if __name__ == "__main__":
    main()
