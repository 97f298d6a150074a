"""What every screen shares: widgets, message boxes, table models, background jobs, signals."""
