"""The Randomization tab: set-up wizard, balance report, dispensing list and emergency envelopes."""
