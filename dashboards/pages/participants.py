"""Participants by region: a stacked bar chart, a map of regions and a table, in kk, ru or en.

The language comes from ``?lang=`` (or the app's default); the switch re-renders the page's words,
region names and charts from fresh data and writes the choice back into the URL, so a reload or a
shared link keeps it. Below the title, the status of the newest data-quality run.
"""

from urllib.parse import urlencode

import dash
import pandas as pd
from dash import Input, Output, dcc, html
from dash.development.base_component import Component

from dashboards import figures, i18n
from dashboards.app import current_context
from dashboards.data import DataSourceUnavailable, MartNotBuilt, ValidationRun

dash.register_page(__name__, path="/", name="Participants", title="Tanba", order=0)

PIPELINE_COMMAND = "tanba pipeline"
GRAPH_CONFIG: dcc.Graph.Config = {"displaylogo": False, "responsive": True}


def layout(lang: str | None = None, **_query: object) -> html.Div:
    """The page for ``/?lang=…`` (other query parameters are ignored), built from fresh data."""
    context = current_context()
    language = i18n.resolve_language(lang, context.default_language)
    title, language_label, body = render(language)
    return html.Div(
        className="participants-page",
        children=[
            dcc.Location(id="participants-url", refresh=False),
            html.Header(
                className="participants-header",
                children=[
                    html.H1(title, id="participants-title"),
                    html.Div(
                        className="participants-language",
                        children=[
                            html.Span(language_label, id="participants-language-label"),
                            dcc.RadioItems(
                                id="participants-language",
                                options=[{"label": name, "value": code} for code, name in i18n.LANGUAGE_NAMES.items()],
                                value=language,
                                inline=True,
                            ),
                        ],
                    ),
                ],
            ),
            html.Div(body, id="participants-body"),
        ],
    )


@dash.callback(
    Output("participants-title", "children"),
    Output("participants-language-label", "children"),
    Output("participants-body", "children"),
    Output("participants-url", "search"),
    Input("participants-language", "value"),
    prevent_initial_call=True,
)
def switch_language(language: str | None) -> tuple[str, str, list[Component], str]:
    """Re-render the page in the chosen language, and keep the choice in the URL (``?lang=kk``)."""
    language = i18n.resolve_language(language, current_context().default_language)
    title, language_label, body = render(language)
    return title, language_label, body, "?" + urlencode({"lang": language})


def render(language: str) -> tuple[str, str, list[Component]]:
    """The page's title, the label of the language switch, and its body, in ``language``."""
    t = i18n.translator(language)
    marts = current_context().marts
    body: list[Component] = [html.P(t("participants.lead"), className="participants-lead")]
    try:
        body.append(quality_status(marts.latest_validation_run(), language))
        frame = marts.participants_by_region()
    except MartNotBuilt:
        frame = None
    except DataSourceUnavailable:
        body.append(html.Div(t("participants.unavailable"), id="participants-unavailable", className="notice"))
        return t("participants.title"), t("participants.language"), body
    if frame is None or frame.empty:
        body.append(
            html.Div(
                id="participants-empty",
                className="notice",
                children=[t("participants.empty"), " ", html.Code(PIPELINE_COMMAND)],
            )
        )
    else:
        body.extend(participants_sections(frame, language))
    return t("participants.title"), t("participants.language"), body


def chart_text(language: str, title_key: str) -> figures.ChartText:
    t = i18n.translator(language)
    return figures.ChartText(
        title=t(title_key),
        region=t("participants.region"),
        count=t("participants.count"),
        participant_type=t("participants.type"),
        type_names={code: t(f"participant_type.{code}") for code in figures.PARTICIPANT_TYPES},
        separators=i18n.number_separators(language),
        longitude=t("participants.map.longitude"),
        latitude=t("participants.map.latitude"),
    )


def participants_sections(frame: pd.DataFrame, language: str) -> list[Component]:
    """The chart, the map (when the mart has coordinates) and the table."""
    named = figures.with_region_name(frame, language)
    sections: list[Component] = [
        dcc.Graph(
            id="participants-chart",
            figure=figures.participants_by_region_bar(named, chart_text(language, "participants.chart.title")),
            config=GRAPH_CONFIG,
        )
    ]
    bubble_map = figures.regions_bubble_map(named, chart_text(language, "participants.map.title"))
    if bubble_map is not None:
        sections.append(dcc.Graph(id="participants-map", figure=bubble_map, config=GRAPH_CONFIG))
    sections.append(participants_table(figures.region_summary(named), language))
    return sections


def participants_table(summary: pd.DataFrame, language: str) -> html.Section:
    """Regions with a column per participant type, total and active, and a line for the whole country."""
    t = i18n.translator(language)
    types = [
        c
        for c in summary.columns
        if c not in {"region_kato", "region_name", "participants_total", "participants_active"}
    ]
    count_columns = [*types, "participants_total", "participants_active"]
    headers = [
        t("participants.region"),
        t("participants.kato"),
        *(t(f"participant_type.{code}") for code in types),
        t("participants.total"),
        t("participants.active"),
    ]

    def count_cells(values: pd.Series) -> list[html.Td]:
        return [html.Td(i18n.format_count(int(values[c]), language), className="number") for c in count_columns]

    rows = [
        html.Tr([html.Td(row["region_name"]), html.Td(row["region_kato"]), *count_cells(row)])
        for _, row in summary.iterrows()
    ]
    totals = summary[count_columns].sum()
    return html.Section(
        className="participants-table",
        children=[
            html.H2(t("participants.table.title")),
            html.Table(
                id="participants-table",
                children=[
                    html.Thead(html.Tr([html.Th(h) for h in headers])),
                    html.Tbody(rows),
                    html.Tfoot(html.Tr([html.Th(t("participants.all_regions")), html.Th(""), *count_cells(totals)])),
                ],
            ),
        ],
    )


def quality_status(run: ValidationRun | None, language: str) -> html.Section:
    """Green when every suite of the newest run passed, red listing the failed ones, grey with no run."""
    t = i18n.translator(language)
    failures: list[Component] = []
    if run is None:
        status, message = "none", t("quality.none")
    elif run.success:
        status, message = "passed", t("quality.passed", time=i18n.format_timestamp(run.run_at, language))
    else:
        status, message = "failed", t("quality.failed", time=i18n.format_timestamp(run.run_at, language))
        failures = [
            html.Li(
                t(
                    "quality.failed_suite",
                    suite=s.suite,
                    asset=s.asset,
                    failed=i18n.format_count(s.failed, language),
                    evaluated=i18n.format_count(s.evaluated, language),
                )
            )
            for s in run.failed_suites
        ]
    children: list[Component] = [html.H2(t("quality.heading")), html.P(message)]
    if failures:
        children.append(html.Ul(failures))
    return html.Section(children, id="participants-quality", className=f"quality quality-{status}")
