"""Identity and security: trusted certificates and CRLs (``trust``), the one CMS signature verifier
(``signatures``), request context, gateway and guards.

Import from the modules themselves; this package imports nothing, so a module that needs only the
request context does not load the CMS and certificate-path stack.
"""
