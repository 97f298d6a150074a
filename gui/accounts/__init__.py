"""Accounts: signing in."""
