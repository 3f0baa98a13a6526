"""The operational API over real HTTP: health, OpenAPI, reference data, participants, localized problems."""

import re

import httpx
import pytest


@pytest.fixture(scope="module")
def client(api_base):
    with httpx.Client(base_url=api_base, timeout=10) as c:
        yield c


def test_health(client):
    r = client.get("/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": "ok"}
    assert r.headers["x-request-id"]


def test_openapi_document_and_interactive_docs(client):
    doc = client.get("/schema/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    ops = {op["operationId"] for path in doc["paths"].values() for op in path.values() if isinstance(op, dict)}
    assert {"health", "listDirectories", "getDirectory", "getParticipant"} <= ops
    # an answer chosen by a format parameter is documented in each of its media types, with the same schema
    for path, media_types in (("/api/v1/orders/{order_id}/codes", ["text/csv", "application/x-ndjson"]),
                              ("/api/v1/labels/datamatrix", ["image/png", "image/svg+xml"])):
        content = doc["paths"][path]["get"]["responses"]["200"]["content"]
        assert list(content) == media_types
        assert content[media_types[0]] == content[media_types[1]] and content[media_types[0]]["schema"]
    page = client.get("/schema/swagger")
    assert page.status_code == 200
    # every script and style of the page is served by the API itself (a closed network has no CDN)
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', page.text)
    assert len(assets) == 3, assets
    bundle = client.get(next(a for a in assets if a.endswith("swagger-ui-bundle.js"))).text
    assert re.search(r'"5\.\d+\.\d+"', bundle)  # Swagger UI 5: it renders OpenAPI 3.1 (4.x cannot)
    assert not re.search(r"""(?:src|href)=["']https?:""", page.text)  # the favicon too: nothing from outside
    for asset in assets:
        assert asset.startswith("/schema/assets/"), asset
        r = client.get(asset)
        assert r.status_code == 200 and len(r.content) > 10_000, asset


def test_reference_list_has_trilingual_names(client):
    body = client.get("/api/v1/reference", headers={"Accept-Language": "kk"}).json()
    by_code = {d["code"]: d for d in body["directories"]}
    assert {"kato_regions", "product_groups", "countries", "tnved"} <= set(by_code)
    regions = by_code["kato_regions"]
    assert regions["entries"] == 20
    assert regions["label"] == regions["name"]["kk"]
    assert all(regions["name"][lang] for lang in ("kk", "ru", "en"))


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_directory_entries_in_each_language(client, language):
    r = client.get("/api/v1/reference/kato_regions", headers={"Accept-Language": language})
    assert r.status_code == 200
    assert r.headers["content-language"] == language
    body = r.json()
    astana = next(e for e in body["entries"] if e["code"] == "710000000")
    assert astana["label"] == astana["name"][language]
    assert {"Астана", "Astana"} & {astana["name"]["ru"], astana["name"]["en"], astana["name"]["kk"]}


def test_unknown_directory_is_a_localized_404(client):
    r = client.get("/api/v1/reference/planets", headers={"Accept-Language": "kk"})
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["errors"][0]["code"] == "reference.unknown_directory"
    assert body["errors"][0]["path"] == "directory"
    assert "planets" in body["detail"] and "анықтамалығы белгісіз" in body["detail"]
    assert "kato_regions" in body["detail"]


def test_bad_date_and_version_are_named(client):
    r = client.get("/api/v1/reference/units?at=2024-02-30", headers={"Accept-Language": "ru"})
    assert r.status_code == 422
    assert r.json()["errors"][0] | {"message": None} == {
        "code": "field.date", "path": "at", "index": None, "message": None}
    assert "ГГГГ-ММ-ДД" in r.json()["errors"][0]["message"]
    r = client.get("/api/v1/reference/units?version=99")
    assert r.status_code == 404 and r.json()["errors"][0]["code"] == "reference.unknown_version"
    r = client.get("/api/v1/reference/units?version=zero", headers={"Accept-Language": "en"})
    assert r.status_code in (400, 422)
    assert r.json()["errors"][0]["path"] == "version"


def test_participant_card_needs_a_token(client):
    r = client.get("/api/v1/participants/080340424453", headers={"Accept-Language": "en"})
    assert r.status_code == 401
    assert r.json()["errors"][0]["code"] == "auth.required"


def test_unknown_route_and_method_are_problems_without_internals(client):
    r = client.get("/api/v1/nothing-here")
    assert r.status_code == 404 and r.json()["errors"][0]["code"] == "error.route_not_found"
    r = client.delete("/api/v1/reference")
    assert r.status_code == 405
    assert "Traceback" not in r.text and "sqlalchemy" not in r.text.lower()


def test_public_keys_are_published_without_private_halves(client, demo_db_urls):
    import base64
    import datetime as dt

    from api.domain.codes.keys import MasterKey, create_emission_key
    from warehouse.database import Database

    db = Database.for_role(demo_db_urls, "owner", pool_size=1)
    with db.session() as session:
        row = create_emission_key(MasterKey(b"\x07" * 32), set(), dt.datetime.now(dt.UTC), None)
        session.add(row)
    db.dispose()
    keys = client.get("/api/v1/public/keys").json()["keys"]
    published = next(k for k in keys if k["key_id"] == row.key_id)
    assert published["algorithm"] == "Ed25519"
    assert base64.b64decode(published["public_key"]) == row.public_key
    assert set(published) == {"key_id", "algorithm", "public_key", "valid_from", "valid_to"}


@pytest.mark.parametrize("spelling", [
    "0104600000000015211234567890ABC\x1d91AB12\x1d92" + "A" * 43 + "=",
    "\x1d0104600000000015211234567890ABC\x1d91AB12\x1d92" + "A" * 43 + "=",
    "]d20104600000000015211234567890ABC\x1d91AB12\x1d92" + "A" * 43 + "=",
    "(01)04600000000015(21)1234567890ABC(91)AB12(92)" + "A" * 43 + "=",
    "https://id.tanba.kz/01/04600000000015/21/1234567890ABC?91=AB12&92=" + "A" * 43 + "%3D",
])
def test_every_spelling_parses_to_the_same_code(client, spelling):
    r = client.post("/api/v1/codes/parse", json={"code": spelling})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["identification_code"] == "0104600000000015211234567890ABC"
    assert (body["gtin"], body["serial"], body["crypto_key_id"]) == ("04600000000015", "1234567890ABC", "AB12")
    assert body["crypto_signature"] == "A" * 43 + "="
    assert [a["ai"] for a in body["ais"]] == ["01", "21", "91", "92"]


@pytest.mark.parametrize(("spelling", "link"), [
    ("(00)106141411234567897", "https://id.tanba.kz/00/106141411234567897"),
    ("(01)04600000000015(10)LOT1(17)251231", "https://id.tanba.kz/01/04600000000015/10/LOT1?17=251231"),
])
def test_codes_without_a_serial_have_a_digital_link_too(client, spelling, link):
    r = client.post("/api/v1/codes/parse", json={"code": spelling})
    assert r.status_code == 200, r.text
    assert r.json()["digital_link"] == link


def test_a_line_of_a_split_label_is_parsed_with_partial(client):
    line = "(10)LOT1(21)SER1"  # the GTIN is on the label's other barcode
    r = client.post("/api/v1/codes/parse", json={"code": line}, headers={"Accept-Language": "en"})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "gs1.requires", r.text
    r = client.post("/api/v1/codes/parse", json={"code": line, "partial": True})
    assert r.status_code == 200 and r.json()["serial"] == "SER1" and r.json()["gtin"] is None, r.text


def test_a_broken_code_names_the_ai_and_rule(client):
    r = client.post("/api/v1/codes/parse", json={"code": "0104600000000016211"},
                    headers={"Accept-Language": "ru"})
    assert r.status_code == 422
    error = r.json()["errors"][0]
    assert error["code"] == "gs1.check_digit" and error["path"] == "code"
    assert error["message"] == "Контрольная цифра AI 01 равна 6, ожидалась 5"


@pytest.mark.parametrize(("body", "language", "status", "errors"), [
    (b'{"code":"0104600000000016\xe821ABC"}', "en", 400, [("body", "body.encoding", "byte 0xE8")]),
    (b"{}", "kk", 422, [("code", "field.required", "«code» өрісі міндетті")]),
    (b'{"code": 5}', "ru", 422, [("code", "field.type", "строка, а не целое число")]),
    (b'{"code": "x", "extra": 1}', "en", 422, [("extra", "field.unknown", "“extra” is not expected")]),
    (b"", "en", 400, [("body", "body.empty", "The request body is empty")]),
    (b'{"code": 1e400}', "ru", 400, [("code", "body.number_range", "Число в поле «code» вне диапазона")]),
    (b'{"code": "x", "n": {"m": [1, -1e400]}}', "en", 400, [("n.m[1]", "body.number_range", "“n.m[1]”")]),
    (b"\xff{}", "en", 400, [("body", "body.encoding", "byte 0xFF")]),  # wherever the stray byte is
    (b'{"code": ' + b"9" * 5000 + b"}", "en", 400, [("code", "body.number_range", "“code”")]),
    (b'{"code": "x",}', "en", 400, [("body", "body.malformed", "not valid JSON")]),
    (b"[1]", "kk", 422, [("body", "field.type", "«body» өрісі")]),
])
def test_body_faults_name_the_field_and_rule_in_the_callers_language(client, body, language, status, errors):
    r = client.post("/api/v1/codes/parse", content=body,
                    headers={"Content-Type": "application/json", "Accept-Language": language})
    assert r.status_code == status, r.text
    assert r.json()["type"] == "urn:tanba:problem:invalid-input"  # one kind of problem for every body fault
    found = r.json()["errors"]
    assert [(e["path"], e["code"]) for e in found] == [(path, code) for path, code, _ in errors]
    for fault, (_, _, words) in zip(found, errors, strict=True):
        assert words in fault["message"]
        assert "`" not in fault["message"] and "Expected" not in fault["message"]
