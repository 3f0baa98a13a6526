"""The Tanba dashboards: a multi-page Dash app over the marts, built by :func:`create_dash_app`."""

from dataclasses import dataclass
from pathlib import Path

import dash
import flask
from dash import html

from dashboards import i18n
from dashboards.data import MartReader

PACKAGE_DIR = Path(__file__).resolve().parent
EXTENSION = "tanba_dashboards"


@dataclass(frozen=True)
class DashboardContext:
    """What the pages of one app need: its mart reader and the language shown when none is asked."""

    marts: MartReader
    default_language: str


def create_dash_app(dashboard_db_url: str, default_language: str = "ru") -> dash.Dash:
    """The dashboards app; ``dashboard_db_url`` is a SQLAlchemy URL of the read-only dashboard role.

    Nothing connects here: the engine opens its first connection on the first page request.
    """
    i18n.load_catalogs()
    app = dash.Dash(
        "dashboards",
        backend="flask",
        use_pages=True,
        pages_folder=str(PACKAGE_DIR / "pages"),
        title="Tanba",
        update_title="",  # keep the tab title while a callback runs
    )
    app.server.extensions[EXTENSION] = DashboardContext(
        marts=MartReader(dashboard_db_url),
        default_language=i18n.resolve_language(default_language, i18n.FALLBACK_LANGUAGE),
    )
    app.layout = html.Main(dash.page_container, className="tanba-dashboards")
    app.server.after_request(_security_headers)
    return app


# As the API's, except a script policy: Dash's page boots from inline scripts. Framing is refused outright.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "frame-ancestors 'none'; object-src 'none'; base-uri 'self'",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def _security_headers(response: flask.Response) -> flask.Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def dashboard_context(app: dash.Dash) -> DashboardContext:
    context: DashboardContext = app.server.extensions[EXTENSION]
    return context


def current_context() -> DashboardContext:
    """The context of the app serving the current request.

    Found through Flask's application context rather than ``dash.get_app()``, which, outside a
    callback, answers with whichever app last served a request in this thread.
    """
    if not flask.has_app_context() or EXTENSION not in flask.current_app.extensions:
        raise RuntimeError(
            "the dashboards' pages render inside a request (or `with app.server.app_context():`) "
            "of an app built by create_dash_app()"
        )
    context: DashboardContext = flask.current_app.extensions[EXTENSION]
    return context
