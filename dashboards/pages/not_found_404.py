"""The page for an unknown address, in the visitor's language (Dash shows this module for any path no
page claims), with a way back to the statistics."""

import dash
from dash import dcc, html

from dashboards import i18n
from dashboards.app import current_context

dash.register_page(__name__, path="/404", title="Tanba")


def layout(lang: str | None = None, **_query: object) -> html.Div:
    language = i18n.resolve_language(lang, current_context().default_language)
    t = i18n.translator(language)
    return html.Div(className="not-found-page", children=[
        html.H1(t("not_found.title")),
        html.P(t("not_found.lead")),
        dcc.Link(t("not_found.back"), href=f"/?lang={language}"),
    ])
