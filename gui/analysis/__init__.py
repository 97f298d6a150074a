"""The Analysis tab: the summary tables after unblinding."""
