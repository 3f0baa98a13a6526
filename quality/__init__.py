"""Tanba quality package."""
