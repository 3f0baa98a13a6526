"""Identity: certificate login, sessions, and the roles of a signed-in caller."""
