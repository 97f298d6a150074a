"""TrialDesk's domain rules: protocol, randomization, codes, schedule, sealing, statistics.

Nothing here imports Qt or SQLAlchemy, so the rules can be tested and reused
without a window or a database (enforced by an import-linter contract).
"""
