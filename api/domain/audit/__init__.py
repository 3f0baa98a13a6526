"""The audit trail (requirement 23): search for operators and authorities."""
