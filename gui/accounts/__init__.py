"""Accounts: signing in, the admin's account management, your own password, signing out."""
