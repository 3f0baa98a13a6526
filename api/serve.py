"""Entry point for an ASGI server: ``granian --interface asgi api.serve:application``.

This module is the one place the API reads its settings from the environment.
"""

from api.app import create_app
from tanba.settings import Settings

application = create_app(Settings())
