"""The Imports tab: the import wizard, its problem table and where each value came from."""
