"""PostgreSQL as Django's own backend, waiting briefly for a pooler that is restarting."""
