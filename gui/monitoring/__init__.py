"""Monitoring: data queries on values (the Queries tab)."""
