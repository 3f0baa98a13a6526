"""The service context."""
