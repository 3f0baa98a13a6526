"""The product catalogue over real HTTP: registration with format-logical control, ownership, isolation."""

import json

import pytest

from tests.e2e.identity_support import PARTICIPANT_A, bearer, login


def card(gtin: str = "4600000000015", **overrides) -> dict:
    body = {
        "gtin": gtin, "product_group": "shoes", "tnved": "6403990000", "name_kk": "Ерлер аяқ киімі",
        "name_ru": "Мужская обувь", "brand": "Дала", "manufacturer": "ТОО «Караганда Табак»", "country": "KZ",
        "packs": [{"gtin": "14600000000012", "level": "TRANSPORT_PACK", "units": 12}],
    }
    return {**body, **overrides}


@pytest.fixture(scope="module")
def tokens(api, people):
    return {"a": login(api, people["a"]), "b": login(api, people["b"]), "authority": login(api, people["authority"])}


def test_register_and_read_a_card(api, tokens):
    r = api.post("/api/v1/products", json=card(), headers=bearer(tokens["a"]))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["gtin"] == "04600000000015" and body["owner_bin"] == PARTICIPANT_A  # GTIN-13 normalised to 14
    assert body["packs"] == [{"gtin": "14600000000012", "level": "TRANSPORT_PACK", "units": 12}]
    assert api.get("/api/v1/products/4600000000015", headers=bearer(tokens["a"])).json()["name_ru"] == "Мужская обувь"
    assert api.get("/api/v1/products/04600000000015", headers=bearer(tokens["authority"])).status_code == 200
    # another participant neither sees it nor can take its GTIN
    assert api.get("/api/v1/products/04600000000015", headers=bearer(tokens["b"])).status_code == 404
    r = api.post("/api/v1/products", json=card(), headers=bearer(tokens["b"]))
    assert r.status_code in (403, 409)


def test_a_pack_gtin_cannot_be_reused_as_a_unit_gtin(api, tokens):
    r = api.post("/api/v1/products", json=card("14600000000012", packs=[]), headers=bearer(tokens["a"]))
    assert r.status_code == 409 and r.json()["errors"][0]["code"] == "product.gtin_taken"


def test_every_fault_is_named(api, tokens):
    bad = card("4600000000016", product_group="planets", tnved="12", name_kk=" ", country="ZZ",
               importer_bin="123", packs=[{"gtin": "1", "level": "BOX", "units": 0}])
    r = api.post("/api/v1/products", json=bad, headers={**bearer(tokens["a"]), "Accept-Language": "kk"})
    assert r.status_code == 422
    found = {(e["code"], e["path"], e["index"]) for e in r.json()["errors"]}
    paths = {p for _, p, _ in found}
    assert {"gtin", "product_group", "tnved", "name_kk", "country", "importer_bin", "packs.gtin", "packs.level",
            "packs.units"} <= paths
    assert all(e["message"] and e["message"] != e["code"] for e in r.json()["errors"])


def test_imported_goods_need_an_importer_and_tnved_must_fit_the_group(api, tokens):
    r = api.post("/api/v1/products", json=card("4600000000022", country="CN", packs=[]), headers=bearer(tokens["a"]))
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "product.importer_required"
    # an unknown country is named as such, without a follow-on "goods from KAZ need an importer"
    r = api.post("/api/v1/products", json=card("4600000000022", country="KAZ", packs=[]), headers=bearer(tokens["a"]))
    assert r.status_code == 422 and [e["code"] for e in r.json()["errors"]] == ["product.unknown_country"]
    r = api.post("/api/v1/products", json=card("4600000000022", tnved="2402200000", packs=[]),
                 headers=bearer(tokens["a"]))
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "product.tnved_not_in_group"


@pytest.mark.parametrize(("number", "field", "bin_", "status"), [
    (1, "importer_bin", "150240517508", 201),  # an active importer
    (2, "importer_bin", "190940094949", 422),  # a wholesaler, not an importer
    (3, "importer_bin", PARTICIPANT_A, 422),  # the owner itself, not an importer
    (4, "importer_bin", "080340424453", 422),  # not active (pending)
    (5, "manufacturer_bin", "160340123374", 422),  # a retailer, not a manufacturer
    (6, "manufacturer_bin", PARTICIPANT_A, 201),  # the owner, a manufacturer
])
def test_a_card_names_only_active_participants_of_the_right_type(api, tokens, number, field, bin_, status):
    """The public reads the importer and manufacturer from the card when it checks a code: nobody may name
    a company that is not that kind of participant."""
    from api.domain.codes.gs1 import gtin_check_digit

    body = f"460000077{number:04d}"
    names = {"importer_bin": "150240517508", field: bin_}
    r = api.post("/api/v1/products", json=card(body + str(gtin_check_digit(body)), country="CN", packs=[], **names),
                 headers={**bearer(tokens["a"]), "Accept-Language": "en"})
    assert r.status_code == status, r.text
    if status == 422:
        assert [(e["path"], e["code"]) for e in r.json()["errors"]] == [(field, "product.not_a_participant")]
        assert bin_ in r.json()["errors"][0]["message"]


@pytest.mark.parametrize(("overrides", "path", "code"), [
    ({"name_kk": "Ә" * 501}, "name_kk", "field.length"),
    ({"packs": [{"gtin": "14600000000012", "level": "TRANSPORT_PACK", "units": 2**31}]}, "packs[0].units",
     "field.bound"),
])
def test_a_card_has_upper_bounds(api, tokens, overrides, path, code):
    r = api.post("/api/v1/products", json=card("4600000000091", **overrides),
                 headers={**bearer(tokens["a"]), "Accept-Language": "kk"})
    assert r.status_code == 422, r.text
    assert [(e["path"], e["code"]) for e in r.json()["errors"]] == [(path, code)]
    assert "Expected" not in r.json()["errors"][0]["message"]


def test_a_taken_pack_gtin_is_named_as_the_pack(api, tokens):
    api.post("/api/v1/products", json=card(), headers=bearer(tokens["a"]))  # A's pack 14600000000012
    r = api.post("/api/v1/products", json=card("4600000000107"), headers=bearer(tokens["b"]))
    assert r.status_code == 409, r.text
    (fault,) = r.json()["errors"]
    assert (fault["path"], fault["index"], fault["code"]) == ("packs.gtin", 0, "product.gtin_taken"), fault
    assert "14600000000012" in fault["message"]


def test_the_card_list_pages_by_gtin_and_authorities_see_it(api, tokens):
    from api.domain.codes.gs1 import gtin_check_digit

    for body in ("460000088001", "460000088002", "460000088003"):
        api.post("/api/v1/products", json=card(body + str(gtin_check_digit(body)), packs=[]),
                 headers=bearer(tokens["a"]))
    seen: list[str] = []
    after = None
    while True:
        page = api.get("/api/v1/products", params={"limit": 2, **({"after": after} if after else {})},
                       headers=bearer(tokens["a"])).json()
        if not page:
            break
        seen += [c["gtin"] for c in page]
        after = page[-1]["gtin"]
    assert seen == sorted(set(seen)) and len(seen) >= 3
    assert all(g in seen for g in ("04600000880013", "04600000880020", "04600000880037"))
    assert api.get("/api/v1/products", headers=bearer(tokens["authority"])).status_code == 200
    assert api.get("/api/v1/products?after=x", headers=bearer(tokens["a"])).status_code == 422
    r = api.get("/api/v1/products", params={"after": "460000088004", "limit": 1}, headers=bearer(tokens["a"]))
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "after", r.text  # a GTIN-12, bad check digit
    r = api.get("/api/v1/products", params={"after": "4600000880013", "limit": 1}, headers=bearer(tokens["a"]))
    assert [c["gtin"] for c in r.json()] == ["04600000880020"], r.text  # a GTIN-13 reads as its GTIN-14


def test_a_retried_registration_is_answered_as_the_first(api, tokens):
    """The owner's retry (a lost answer) gets 200 and the stored card; a different card, or the same card from
    another participant, is still 409; nothing is stored twice."""
    packs = [{"gtin": "14600000000210", "level": "TRANSPORT_PACK", "units": 6}]
    first = api.post("/api/v1/products", json=card("4600000000213", packs=packs), headers=bearer(tokens["a"]))
    assert first.status_code == 201, first.text
    again = api.post("/api/v1/products", json=card("04600000000213", packs=packs), headers=bearer(tokens["a"]))
    assert again.status_code == 200 and again.json() == first.json(), again.text
    for token, changed in ((tokens["a"], {"name_ru": "Другое"}), (tokens["a"], {"packs": []}),
                           (tokens["b"], {})):
        r = api.post("/api/v1/products", json=card("4600000000213", **{"packs": packs, **changed}),
                     headers=bearer(token))
        assert r.status_code == 409 and r.json()["errors"][0]["code"] == "product.gtin_taken", r.text


def test_every_malformed_field_is_named_in_one_answer(api, tokens):
    """msgspec stops at the first fault; the caller still learns every field that is wrong at once."""
    body = {**card("4600000000305"), "gtin": 4600000000305, "bogus": 1, "name_kk": "Ә" * 501,
            "packs": [{"gtin": 1, "level": "TRANSPORT_PACK", "units": 2}]}
    del body["tnved"]
    r = api.post("/api/v1/products", json=body, headers={**bearer(tokens["a"]), "Accept-Language": "en"})
    assert r.status_code == 422, r.text
    found = {(e["path"], e["code"]) for e in r.json()["errors"]}
    assert found == {("gtin", "field.type"), ("bogus", "field.unknown"), ("tnved", "field.required"),
                     ("name_kk", "field.length"), ("packs[0].gtin", "field.type")}, r.text
    assert len(r.json()["errors"]) == 5 and all("`" not in e["message"] for e in r.json()["errors"])
    assert api.get("/api/v1/products/4600000000305", headers=bearer(tokens["a"])).status_code == 404


def test_a_body_is_read_strictly(api, tokens):
    """A string is not a number and "true" is not a boolean: format-logical control refuses, not guesses."""
    body = card("4600000000312", packs=[{"gtin": "14600000003129", "level": "TRANSPORT_PACK", "units": "10"}])
    r = api.post("/api/v1/products", json=body, headers={**bearer(tokens["a"]), "Accept-Language": "en"})
    assert r.status_code == 422, r.text
    assert [(e["path"], e["code"]) for e in r.json()["errors"]] == [("packs[0].units", "field.type")]
    r = api.post("/api/v1/codes/parse", json={"code": "(10)X(21)Y", "partial": "true"})
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "partial", r.text
    r = api.post("/api/v1/public/violations", json={"kind": "OTHER", "location": {"lat": "43.2", "lon": 76.9}})
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "location.lat", r.text
    r = api.post("/api/v1/public/violations", json={"kind": "OTHER", "location": {"lat": 43, "lon": 76.9}})
    assert r.status_code == 201, r.text  # an integer is a number


def test_every_fault_inside_the_packs_is_named_too(api, tokens):
    body = card("4600000000329", packs=[{"gtin": 1, "level": "x" * 40, "units": "many", "zz": 1},
                                        {"units": 2_000_000}])
    r = api.post("/api/v1/products", json=body, headers={**bearer(tokens["a"]), "Accept-Language": "kk"})
    assert r.status_code == 422, r.text
    assert {(e["path"], e["code"]) for e in r.json()["errors"]} == {
        ("packs[0].zz", "field.unknown"), ("packs[0].gtin", "field.type"), ("packs[0].level", "field.length"),
        ("packs[0].units", "field.type"), ("packs[1].gtin", "field.required"), ("packs[1].level", "field.required"),
        ("packs[1].units", "field.bound")}


def test_a_key_given_twice_is_refused(api, tokens):
    raw = b'{"code": "(01)04600000000015", "partial": false, "code": "(00)046000000000000014"}'
    r = api.post("/api/v1/codes/parse", content=raw, headers={"Content-Type": "application/json",
                                                             "Accept-Language": "en"})
    assert r.status_code == 422, r.text
    assert [(e["path"], e["code"]) for e in r.json()["errors"]] == [("body", "body.duplicate_key")]
    assert "“code” appears twice" in r.json()["errors"][0]["message"]


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                                          "text/plain", "application/xml"])
def test_a_body_sent_as_another_media_type_than_json_is_refused_and_changes_nothing(api, tokens, content_type):
    body = json.dumps(card("4600000000336")).encode()
    r = api.post("/api/v1/products", content=body, headers={**bearer(tokens["a"]), "Content-Type": content_type,
                                                            "Accept-Language": "en"})
    assert r.status_code == 415, r.text
    assert r.json()["type"] == "urn:tanba:problem:unsupported-media-type"
    assert [(e["path"], e["code"]) for e in r.json()["errors"]] == [("body", "body.media_type")]
    assert f"«{content_type}»" in r.json()["errors"][0]["message"] and "application/json" in r.json()["detail"]
    assert api.get("/api/v1/products/4600000000336", headers=bearer(tokens["a"])).status_code == 404


@pytest.mark.parametrize("content_type", [None, "application/json; charset=utf-8", "APPLICATION/JSON",
                                          "application/problem+json"])
def test_a_json_body_is_read_whatever_json_media_type_it_names_or_none(api, content_type):
    headers = {} if content_type is None else {"Content-Type": content_type}
    r = api.post("/api/v1/codes/parse", content=b'{"code": "(01)04600000000015"}', headers=headers)
    assert r.status_code == 200 and r.json()["gtin"] == "04600000000015", r.text


@pytest.mark.parametrize(("gtin", "prefix", "shape", "words"), [
    ("2000000000008", "200", "rcn", "restricted circulation"),   # in-store number (weighed goods, shelf labels)
    ("0421000000003", "042", "rcn", "restricted circulation"),   # in-company number
    ("510000000004", "051", "coupon", "coupon"),                 # a GTIN-12 of number system 5: a US coupon
    ("9810000000006", "981", "coupon", "coupon"),
    ("9800000000007", "980", "refund", "refund receipt"),
    ("20000004", "2", "rcn", "restricted circulation"),          # RCN-8: a GTIN-8 beginning 0 or 2
    ("01234565", "0", "rcn", "restricted circulation"),
    ("00000020000004", "2", "rcn", "restricted circulation"),    # the same RCN-8 written in 14 digits
    ("000001234565", "0", "rcn", "restricted circulation"),      # and in 12
])
def test_a_gtin_that_is_not_unique_worldwide_cannot_be_marked(api, tokens, gtin, prefix, shape, words):
    """Marking needs a trade item's GTIN: restricted circulation, coupon and refund numbers are not unique
    beyond their issuer (GS1 prefix list), so no card takes them, nor a pack."""
    for language, expected in (("en", words), ("ru", "префикс " + prefix), ("kk", prefix + " префиксі")):
        r = api.post("/api/v1/products", json=card(gtin), headers={**bearer(tokens["a"]), "Accept-Language": language})
        assert r.status_code == 422, r.text
        (error,) = r.json()["errors"]
        assert (error["path"], error["code"]) == ("gtin", "product.gtin_restricted") and expected in error["message"]
    assert api.get(f"/api/v1/products/{gtin}", headers=bearer(tokens["a"])).status_code == 404


@pytest.mark.parametrize("gtin", ["9771234000005", "9786017000004"])  # periodicals (ISSN) and books (ISBN)
def test_issn_and_isbn_gtins_are_trade_items(api, tokens, gtin):
    r = api.post("/api/v1/products", json=card(gtin), headers={**bearer(tokens["a"]), "Accept-Language": "en"})
    assert "product.gtin_restricted" not in r.text, r.text
