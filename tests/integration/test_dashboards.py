"""The dashboards app on a real, migrated database, read as the read-only dashboard role.

The mart is created here as the owner (dbt builds it in production); layouts and callbacks are
called directly, and the HTTP endpoints are exercised through Flask's test client.
"""

import datetime as dt
import importlib
import json
import sys
import uuid
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import dash
import psycopg
import pytest
from dash import html
from dash.development.base_component import Component

from dashboards.app import EXTENSION, create_dash_app, dashboard_context
from dashboards.data import DataSourceUnavailable, MartReader
from warehouse.roles import DatabaseUrls

PAGE_MODULE = "dashboards.pages.participants"

MART_DDL = """
CREATE TABLE marts.fct_participants_by_region (
    region_kato varchar(9) NOT NULL,
    region_name_kk text,
    region_name_ru text,
    region_name_en text,
    region_lat double precision,
    region_lon double precision,
    participant_type varchar(32) NOT NULL,
    participants_total bigint NOT NULL,
    participants_active bigint NOT NULL
);
GRANT SELECT ON marts.fct_participants_by_region TO tanba_dashboard;
"""

# (KATO, kk, ru, en, lat, lon): real regions, plus the pipeline's bucket for an unknown region.
REGIONS = [
    ("710000000", "Астана", "Астана", "Astana", 51.17, 71.43),
    ("750000000", "Алматы", "Алматы", "Almaty", 43.24, 76.89),
    ("470000000", "Маңғыстау облысы", "Мангистауская область", "Mangystau Region", 43.65, 51.17),
    (
        "590000000",
        "Солтүстік Қазақстан облысы",
        "Северо-Казахстанская область",
        "North Kazakhstan Region",
        54.87,
        69.15,
    ),
    ("000000000", "Белгісіз", "Не определён", "Unknown", None, None),
]
COUNTS = {  # region → {participant type: (total, active)}
    "710000000": {"MANUFACTURER": (120, 100), "IMPORTER": (80, 70), "RETAILER": (1500, 1400)},
    "750000000": {"MANUFACTURER": (200, 180), "WHOLESALER": (300, 250), "RETAILER": (2500, 2300)},
    "470000000": {"IMPORTER": (15, 12), "EXPORTER": (9, 9)},
    "590000000": {"MANUFACTURER": (30, 25), "RETAILER": (400, 390)},
    "000000000": {"RETAILER": (3, 1)},
}


def create_mart(urls: DatabaseUrls, filled: bool = True) -> None:
    """The mart as dbt would leave it, created by the owner (who owns schema marts)."""
    rows = [
        (*region, participant_type, total, active)
        for region in REGIONS
        for participant_type, (total, active) in COUNTS[region[0]].items()
    ]
    with psycopg.connect(urls.owner, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(MART_DDL)
        if filled:
            cur.executemany(
                "INSERT INTO marts.fct_participants_by_region VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                rows,
            )


def record_quality_run(urls: DatabaseUrls, run_at: dt.datetime, suites: list[tuple[str, str, bool, int, int]]) -> None:
    """One run of the quality runner, written as the analytics role (the runner's role)."""
    run_id = uuid.uuid4()
    with psycopg.connect(urls.analytics, autocommit=True) as conn, conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO dq.validation_run"
            " (run_id, suite, asset, success, evaluated, failed, details, run_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, '[]'::jsonb, %s)",
            [(run_id, suite, asset, ok, evaluated, failed, run_at) for suite, asset, ok, evaluated, failed in suites],
        )


@pytest.fixture
def build_app(db_urls: DatabaseUrls) -> Iterator[Any]:
    """Builds apps on the test database (as the dashboard role) and closes their pools afterwards."""
    apps: list[dash.Dash] = []

    def build(default_language: str = "ru", url: str | None = None) -> dash.Dash:
        app = create_dash_app(url or db_urls.sqlalchemy("dashboard"), default_language=default_language)
        apps.append(app)
        return app

    yield build
    for app in apps:
        dashboard_context(app).marts.dispose()


def page() -> ModuleType:
    """The page module as Dash loaded it (it exists only once an app has been built)."""
    return sys.modules[PAGE_MODULE]


def layout(app: dash.Dash, **query: str) -> Any:
    """The page's layout for ``/?<query>``, rendered as a request to ``app`` would render it."""
    with app.server.app_context():
        return page().layout(**query)


def switch_language(app: dash.Dash, language: str) -> Any:
    """The language-switch callback, called as ``app`` would call it."""
    with app.server.app_context():
        return page().switch_language(language)


def texts(component: Any) -> str:
    """Every string in a component tree, one per line."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, str):
            found.append(node)
        elif isinstance(node, list | tuple):
            for child in node:
                walk(child)
        elif isinstance(node, Component):
            walk(getattr(node, "children", None))

    walk(component)
    return "\n".join(found)


def find(component: Any, component_id: str) -> Any:
    """The component with ``component_id`` inside a component or a list of components."""
    root = component if isinstance(component, Component) else html.Div(component)
    return root[component_id]


def test_layout_in_kazakh_and_russian(db_urls: DatabaseUrls, build_app: Any) -> None:
    create_mart(db_urls)
    record_quality_run(
        db_urls,
        dt.datetime(2026, 11, 25, 9, 3, tzinfo=dt.UTC),
        [
            ("ops_participants", "ops.participant", True, 7, 0),
            ("marts_participants", "marts.fct", True, 4, 0),
        ],
    )
    app = build_app()

    kk = layout(app, lang="kk")
    kk_text = texts(kk)
    assert "Қатысушылар өңірлер бойынша" in kk_text
    assert "Маңғыстау облысы" in kk_text
    assert "Солтүстік Қазақстан облысы" in kk_text
    assert "Барлық тексерулер сәтті өтті" in kk_text
    assert "14:03" in kk_text  # 09:03 UTC shown in Kazakhstan time (UTC+5)
    assert "Мангистауская область" not in kk_text
    assert find(kk, "participants-language").value == "kk"
    assert "quality-passed" in find(kk, "participants-quality").className

    chart = find(kk, "participants-chart").figure
    assert [trace.name for trace in chart.data] == [
        "Өндірушілер",
        "Импорттаушылар",
        "Көтерме саудагерлер",
        "Бөлшек саудагерлер",
        "Экспорттаушылар",
    ]
    assert "Маңғыстау облысы" in chart.data[0].y
    assert sum(sum(trace.x) for trace in chart.data) == sum(t for c in COUNTS.values() for t, _ in c.values())
    assert chart.layout.xaxis.title.text == "Қатысушылар саны"
    # The map shows the regions that have coordinates (not the unknown region).
    assert len(find(kk, "participants-map").figure.data[0].x) == 4

    ru = layout(app, lang="ru")
    ru_text = texts(ru)
    assert "Участники по регионам" in ru_text
    assert "Мангистауская область" in ru_text
    assert "Северо-Казахстанская область" in ru_text
    assert "Все проверки пройдены" in ru_text
    assert "Маңғыстау облысы" not in ru_text
    table_text = texts(find(ru, "participants-table"))
    assert "Все регионы" in table_text
    assert "5\xa0157" in table_text  # the country total, grouped the Russian way (no-break space)
    assert find(ru, "participants-chart").figure.data[0].name == "Производители"


def test_default_language_and_unknown_language(db_urls: DatabaseUrls, build_app: Any) -> None:
    create_mart(db_urls)
    app = build_app(default_language="kk")
    assert "Қатысушылар өңірлер бойынша" in texts(layout(app))
    assert "Қатысушылар өңірлер бойынша" in texts(layout(app, lang="de", other="x"))
    assert "Participants by region" in texts(layout(app, lang="EN"))


def test_language_switch_callback(db_urls: DatabaseUrls, build_app: Any) -> None:
    create_mart(db_urls)
    app = build_app()

    title, label, body, search = switch_language(app, "kk")
    assert (title, label, search) == ("Қатысушылар өңірлер бойынша", "Тіл", "?lang=kk")
    assert "Солтүстік Қазақстан облысы" in texts(body)
    assert "Деректер сапасы әлі тексерілген жоқ" in texts(body)
    kk_chart = find(body, "participants-chart").figure
    assert kk_chart.layout.title.text == "Қатысушылар саны өңірлер мен түрлер бойынша"

    title, label, body, search = switch_language(app, "ru")
    assert (title, label, search) == ("Участники по регионам", "Язык", "?lang=ru")
    assert "Северо-Казахстанская область" in texts(body)
    assert "Проверок качества данных ещё не было" in texts(body)
    assert "quality-none" in find(body, "participants-quality").className
    assert find(body, "participants-chart").figure.layout.yaxis.title.text == "Регион"


def test_latest_quality_run_with_failures_is_red(db_urls: DatabaseUrls, build_app: Any) -> None:
    create_mart(db_urls)
    earlier = dt.datetime(2026, 11, 24, 1, 0, tzinfo=dt.UTC)
    record_quality_run(db_urls, earlier, [("ops_participants", "ops.participant", True, 7, 0)])
    record_quality_run(
        db_urls,
        earlier + dt.timedelta(days=1),
        [
            ("ops_participants", "ops.participant", True, 7, 0),
            ("marts_participants_by_region", "marts.fct_participants_by_region", False, 5, 2),
        ],
    )
    app = build_app()

    quality = find(layout(app, lang="ru"), "participants-quality")
    assert "quality-failed" in quality.className
    text = texts(quality)
    assert "Проверки не пройдены" in text
    assert "marts_participants_by_region (marts.fct_participants_by_region): не пройдено 2 из 5" in text
    assert "ops_participants" not in text  # only the failed suites are listed

    kk_text = texts(find(layout(app, lang="kk"), "participants-quality"))
    assert "Тексерулер өтпеді" in kk_text


@pytest.mark.parametrize("mart", ["empty", "missing"])
def test_no_data_yet(db_urls: DatabaseUrls, build_app: Any, mart: str) -> None:
    if mart == "empty":
        create_mart(db_urls, filled=False)
    app = build_app()

    for language, message in [
        ("ru", "Данных пока нет"),
        ("kk", "Деректер әлі жоқ"),
        ("en", "No data yet"),
    ]:
        page_layout = layout(app, lang=language)
        empty = texts(find(page_layout, "participants-empty"))
        assert message in empty
        assert "tanba pipeline" in empty
        with pytest.raises(KeyError):
            find(page_layout, "participants-chart")
    _, _, body, _ = switch_language(app, "kk")
    assert "Деректер әлі жоқ" in texts(body)


def test_unreachable_database_renders_a_notice(build_app: Any) -> None:
    app = build_app(url="postgresql+psycopg://tanba_dashboard:x@127.0.0.1:9/tanba")
    page_layout = layout(app, lang="kk")
    assert "Деректер көзі уақытша қолжетімсіз" in texts(find(page_layout, "participants-unavailable"))
    assert app.server.test_client().get("/").status_code == 200


def test_a_slow_mart_query_is_cut_short(db_urls: DatabaseUrls) -> None:
    with psycopg.connect(db_urls.owner, autocommit=True) as conn:
        conn.execute(
            "CREATE VIEW marts.fct_participants_by_region AS SELECT '710000000'::varchar(9) AS region_kato,"
            " pg_sleep(2)::text AS region_name_kk, 'Астана' AS region_name_ru, 'Astana' AS region_name_en,"
            " 51.17 AS region_lat, 71.43 AS region_lon, 'RETAILER'::varchar(32) AS participant_type,"
            " 1::bigint AS participants_total, 1::bigint AS participants_active"
        )
        conn.execute("GRANT SELECT ON marts.fct_participants_by_region TO tanba_dashboard")
    reader = MartReader(db_urls.sqlalchemy("dashboard"), statement_timeout="100ms")
    try:
        with pytest.raises(DataSourceUnavailable, match="statement timeout"):
            reader.participants_by_region()
        assert reader.latest_validation_run() is None  # the next transaction is fine
    finally:
        reader.dispose()


def _dependencies(client: Any) -> list[dict[str, Any]]:
    response = client.get("/_dash-dependencies")
    assert response.status_code == 200
    return response.get_json()


def _call(client: Any, dependency: dict[str, Any], inputs: list[dict[str, Any]]) -> dict[str, Any]:
    outputs = [
        {"id": part.split(".")[0], "property": part.split(".")[1]}
        for part in dependency["output"].strip(".").split("...")
    ]
    body = {
        "output": dependency["output"],
        "outputs": outputs,
        "inputs": inputs,
        "changedPropIds": [f"{i['id']}.{i['property']}" for i in inputs],
        "state": [],
    }
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_http_endpoints(db_urls: DatabaseUrls, build_app: Any) -> None:
    create_mart(db_urls)
    client = build_app().server.test_client()

    index = client.get("/")
    assert index.status_code == 200
    assert "<title>Tanba</title>" in index.get_data(as_text=True)
    app_layout = client.get("/_dash-layout")
    assert app_layout.status_code == 200
    assert "_pages_content" in app_layout.get_data(as_text=True)
    assert client.get("/assets/dashboards.css").status_code == 200

    dependencies = _dependencies(client)
    router = next(d for d in dependencies if "_pages_content.children" in d["output"])
    switch = next(d for d in dependencies if "participants-body.children" in d["output"])
    assert switch["inputs"] == [{"id": "participants-language", "property": "value"}]

    # The router renders the page from the URL, as a browser opening / or /?lang=kk would get it.
    pathname = {"id": "_pages_location", "property": "pathname", "value": "/"}
    routed_default = _call(client, router, [pathname, {"id": "_pages_location", "property": "search"}])
    assert "Участники по регионам" in json.dumps(routed_default, ensure_ascii=False)
    routed = _call(
        client,
        router,
        [pathname, {"id": "_pages_location", "property": "search", "value": "?lang=kk"}],
    )
    routed_json = json.dumps(routed, ensure_ascii=False)
    assert "Қатысушылар өңірлер бойынша" in routed_json
    assert "Маңғыстау облысы" in routed_json

    switched = _call(client, switch, [{"id": "participants-language", "property": "value", "value": "ru"}])
    response = switched["response"]
    assert response["participants-title"]["children"] == "Участники по регионам"
    assert response["participants-url"]["search"] == "?lang=ru"
    assert "Мангистауская область" in json.dumps(response["participants-body"], ensure_ascii=False)


def test_wsgi_entry_point(
    db_urls: DatabaseUrls,
    admin_url: str,
    credentials_path: Any,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    create_mart(db_urls)
    monkeypatch.setenv("TANBA_DATABASE_URL", admin_url)
    monkeypatch.setenv("TANBA_DATABASE_NAME", db_urls.database)
    monkeypatch.setenv("TANBA_CREDENTIALS_FILE", str(credentials_path))
    monkeypatch.setenv("TANBA_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("TANBA_DEFAULT_LANGUAGE", "kk")
    monkeypatch.delitem(sys.modules, "dashboards.wsgi", raising=False)

    wsgi = importlib.import_module("dashboards.wsgi")
    try:
        client = wsgi.server.test_client()
        assert client.get("/").status_code == 200
        with wsgi.server.app_context():
            assert "Қатысушылар өңірлер бойынша" in texts(page().layout())
    finally:
        wsgi.server.extensions[EXTENSION].marts.dispose()
        sys.modules.pop("dashboards.wsgi", None)


def test_pages_carry_security_headers(db_urls: DatabaseUrls, build_app: Any) -> None:
    create_mart(db_urls)
    app = build_app()
    response = app.server.test_client().get("/")
    assert response.status_code == 200
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_an_unknown_address_is_answered_in_the_visitors_language(db_urls: DatabaseUrls, build_app: Any) -> None:
    app = build_app(default_language="kk")
    not_found = sys.modules["pages.not_found_404"] if "pages.not_found_404" in sys.modules else next(
        m for name, m in sys.modules.items() if name.endswith("not_found_404"))
    with app.server.app_context():
        assert "Бет табылмады" in texts(not_found.layout())
        assert "Страница не найдена" in texts(not_found.layout(lang="ru"))
        assert "Page not found" in texts(not_found.layout(lang="en"))
