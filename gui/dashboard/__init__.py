"""The study dashboard."""
