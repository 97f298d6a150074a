"""Safety: adverse events per participant (the Adverse events tab)."""
