"""TrialDesk: `python main.py` opens the window; `python main.py COMMAND` runs headless."""

import sys

from cli.runner import run


def main() -> None:
    sys.exit(run())


if __name__ == "__main__":
    main()
