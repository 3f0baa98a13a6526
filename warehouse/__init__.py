"""Tanba warehouse package."""
