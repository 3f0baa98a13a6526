"""Tanba api package."""
