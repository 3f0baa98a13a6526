"""Marking codes: GS1 identifiers, emission with crypto protection, labels, public verification."""
