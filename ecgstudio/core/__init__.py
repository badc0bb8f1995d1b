"""Pure values and rules (numpy and the standard library only)."""
