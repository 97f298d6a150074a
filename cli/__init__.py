"""The headless command line (../shared/CLI.md): argument parsing and printing only."""
