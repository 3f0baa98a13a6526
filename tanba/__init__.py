"""Tanba tanba package."""
