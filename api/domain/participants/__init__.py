"""The participants context."""
