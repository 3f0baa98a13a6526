"""Tanba dashboards package."""
