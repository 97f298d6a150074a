"""Bundled study files: the reference protocol."""
