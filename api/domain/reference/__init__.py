"""The reference context."""
