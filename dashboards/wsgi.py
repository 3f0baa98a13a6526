"""The WSGI entry point of the dashboards: ``granian --interface wsgi dashboards.wsgi:server``.

Settings are read here, and only here, because this module is what the WSGI server starts.
"""

from flask import Flask

from dashboards.app import create_dash_app
from tanba.settings import Settings
from warehouse.database import resolve_urls


def create_server() -> Flask:
    """The WSGI application (the Flask server inside Dash), connected as the read-only dashboard role.

    The embedded cluster is not started from here: ``tanba`` starts it; the dashboards only connect.
    """
    settings = Settings()
    urls = resolve_urls(settings, start_embedded=False)
    app = create_dash_app(urls.sqlalchemy("dashboard"), default_language=settings.default_language)
    return app.server


server = create_server()
