"""One module per top-level command; each defines `register(subparsers)`.

Modules are discovered by cli/runner.py, so adding a command touches no list.
"""
