"""The staff audit trail (trail.py) and the changes staff make, each written to it (changes.py)."""
