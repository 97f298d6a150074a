"""Audit trail screens."""
