"""Speed and memory figures, each printed as a ratio to a baseline from the same run.

The entry command is `python -m benchmarks.run` (see benchmarks/run.py)."""
