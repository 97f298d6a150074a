"""Lock and unblinding: the checklist, signatures and the lock certificate."""
