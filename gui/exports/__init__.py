"""File → Export data."""
