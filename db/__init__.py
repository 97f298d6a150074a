"""Persistence: models, engine set-up, migrations and the audit trail."""
