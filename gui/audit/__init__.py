"""The audit trail tab: the entries, their verification and export."""
