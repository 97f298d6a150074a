"""Visits: one participant's schedule, booking and logging, the Due list and the
bedside kit check."""
