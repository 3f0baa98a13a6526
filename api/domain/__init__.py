"""Domain contexts of the operational API, one folder each."""
