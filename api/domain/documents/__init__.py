"""Signed documents: receipt, format-logical control and all-or-nothing processing."""
