"""The import wizard's helpers."""
