"""Signed documents over real HTTP (API.md: Documents): APPLICATION, AGGREGATION and DISAGGREGATION processed
all-or-nothing by the worker, the code card's parent, children and history, and every refusal."""

import base64
import json
import urllib.parse
import uuid

import psycopg
import pytest

from tanba.worker import process_documents, work_once
from tests.e2e.codes_support import emission_ready
from tests.e2e.identity_support import bearer, envelope, login, new_id

GTIN_A, GTIN_B = "04600000000039", "04600000000046"
GROUP_PACK, TRANSPORT_PACK = "14600000000036", "24600000000033"  # packs of GTIN_A: 5 units, 4 group packs
SSCC = ["046000000000000015", "046000000000000022", "046000000000000039", "046000000000000046"]
MASTER = base64.b64encode(b"\x07" * 32).decode()


def card(gtin: str) -> dict:
    packs = [{"gtin": GROUP_PACK, "level": "GROUP_PACK", "units": 5},
             {"gtin": TRANSPORT_PACK, "level": "TRANSPORT_PACK", "units": 20}] if gtin == GTIN_A else []
    if gtin == GTIN_A:  # pharma: a group that has group packs
        return {"gtin": gtin, "product_group": "pharma", "tnved": "3004", "name_kk": "Аспирин", "name_ru": "Аспирин",
                "manufacturer": "ТОО «Химфарм»", "country": "KZ", "packs": packs}
    return {"gtin": gtin, "product_group": "shoes", "tnved": "6403", "name_kk": "Етік", "name_ru": "Сапоги",
            "manufacturer": "ТОО «Караганда Табак»", "country": "KZ", "packs": packs}


@pytest.fixture(scope="module")
def world(api, people, prepared_db, admin_url, credentials_path, tmp_path_factory):
    a, b = login(api, people["a"]), login(api, people["b"])
    for token, gtin in ((a, GTIN_A), (b, GTIN_B)):
        r = api.post("/api/v1/products", headers=bearer(token), json=card(gtin))
        assert r.status_code == 201, r.text
    settings = emission_ready(prepared_db, admin_url, credentials_path, tmp_path_factory.mktemp("worker"), MASTER)
    codes = {}
    for name, who, token, gtin, quantity in (("a", "a", a, GTIN_A, 30), ("b", "b", b, GTIN_B, 5),
                                             ("group_packs", "a", a, GROUP_PACK, 3)):
        doc = envelope(people[who], {"id": new_id(), "gtin": gtin, "quantity": quantity}, doc_type="CODE_ORDER")
        r = api.post("/api/v1/orders", json=doc, headers=bearer(token))
        assert r.status_code == 202, r.text
        while work_once(settings) is not None:
            pass
        codes[name] = [json.loads(line) for line in api.get(
            f"/api/v1/orders/{r.json()['id']}/codes?format=jsonl", headers=bearer(token)).text.splitlines()]
    return {"a": a, "b": b, "settings": settings, "codes": codes}


def ki(row: dict) -> str:
    return f"01{row['gtin']}21{row['serial']}"


def typed(doc_type: str, document: dict) -> dict:
    """A document names its own type inside the signed bytes."""
    return {"type": doc_type, **document}


def submit(api, who, token, doc_type: str, document: dict, language: str = "ru"):
    return api.post("/api/v1/documents", json=envelope(who, typed(doc_type, document), doc_type=doc_type),
                    headers={**bearer(token), "Accept-Language": language})


def processed(api, world, token, document_id: str, language: str = "ru") -> dict:
    process_documents(world["settings"])
    r = api.get(f"/api/v1/documents/{document_id}", headers={**bearer(token), "Accept-Language": language})
    assert r.status_code == 200, r.text
    return r.json()


def code_card(api, token, code: str, language: str = "ru") -> dict:
    r = api.get("/api/v1/codes/" + urllib.parse.quote(code, safe=""),
                headers={**bearer(token), "Accept-Language": language})
    assert r.status_code == 200, r.text
    return r.json()


def statuses(prepared_db, keys: list[str]) -> dict[str, tuple[str, str | None]]:
    with psycopg.connect(prepared_db.owner) as conn:
        rows = conn.execute("SELECT '01' || gtin || '21' || serial, status, parent FROM ops.marking_code "
                            "WHERE '01' || gtin || '21' || serial = ANY(%s)", (keys,)).fetchall()
    return {k: (s, p) for k, s, p in rows}


def test_apply_aggregate_nest_and_disaggregate(api, people, world, prepared_db):
    a, codes = world["a"], world["codes"]["a"]
    units = [ki(c) for c in codes[:10]]

    # EMITTED codes cannot be packed: refused whole, in the reader's language, nothing changes
    doc = {"id": new_id(), "parent": "00" + SSCC[0], "children": units[:3]}
    r = submit(api, people["a"], a, "AGGREGATION", doc)
    assert r.status_code == 202 and r.json()["status"] == "RECEIVED", r.text
    result = processed(api, world, a, doc["id"], "kk")
    assert result["status"] == "CHECKED_NOT_OK"
    assert [(e["code"], e["path"], e["index"]) for e in result["errors"]] == [
        ("aggregation.child_status", "document.children", i) for i in range(3)]
    assert "EMITTED" in result["errors"][0]["message"] and "мәртебесінде" in result["errors"][0]["message"]
    assert api.get("/api/v1/codes/00" + SSCC[0], headers=bearer(a)).status_code == 404  # no pack was formed

    # APPLICATION: EMITTED → APPLIED, with a history row each
    doc = {"id": new_id(), "codes": units}
    assert submit(api, people["a"], a, "APPLICATION", doc).status_code == 202
    result = processed(api, world, a, doc["id"])
    assert (result["status"], result["codes"], result["errors"]) == ("CHECKED_OK", 10, [])
    assert {s for s, _ in statuses(prepared_db, units).values()} == {"APPLIED"}

    # AGGREGATION into a new transport pack; codes in any spelling (a full marking code, brackets, Digital Link)
    spellings = [codes[0]["marking_code"], f"(01){codes[1]['gtin']}(21){codes[1]['serial']}",
                 f"https://id.gs1.org/01/{codes[2]['gtin']}/21/{urllib.parse.quote(codes[2]['serial'], safe='')}",
                 *units[3:6]]
    doc = {"id": new_id(), "parent": f"(00){SSCC[0]}", "children": spellings}
    assert submit(api, people["a"], a, "AGGREGATION", doc).status_code == 202
    result = processed(api, world, a, doc["id"])
    assert (result["status"], result["codes"]) == ("CHECKED_OK", 6), result
    unit = code_card(api, a, units[0])
    assert (unit["parent"], unit["children"]) == ("00" + SSCC[0], 0)
    assert [e["event"] for e in unit["history"]] == ["EMITTED", "APPLIED", "AGGREGATED"]
    assert unit["history"][2]["document_id"] == doc["id"] and unit["history"][2]["detail"] == "00" + SSCC[0]
    pack = code_card(api, a, "00" + SSCC[0])
    assert (pack["sscc"], pack["children"], pack["parent"], pack["status"]) == (SSCC[0], 6, None, None)
    packed = sorted(units[:6], key=lambda k: k.encode())  # the codes it holds, in byte order of the code
    assert pack["children_codes"] == [{"identification_code": k, "status": "APPLIED"} for k in packed]
    listed, after = [], None  # pages of 4: the last code of a page asks for the next one
    while True:
        r = api.get("/api/v1/codes/00" + SSCC[0], headers=bearer(a),
                    params={"children_limit": 4, **({"children_after": after} if after else {})})
        page = r.json()["children_codes"]
        if not page:
            break
        assert len(page) <= 4 and r.json()["children"] == 6
        listed, after = listed + [c["identification_code"] for c in page], page[-1]["identification_code"]
    assert listed == packed
    # the code after which to list, in any spelling; what is no code is refused, not read as a place
    bracketed = "(01)" + packed[1][2:16] + "(21)" + packed[1][18:]
    r = api.get("/api/v1/codes/00" + SSCC[0], headers=bearer(a),
                params={"children_limit": 4, "children_after": bracketed})
    assert [c["identification_code"] for c in r.json()["children_codes"]] == packed[2:6], r.text
    for after, fault in (("garbage", "gs1.unknown_ai"), ("01" + packed[1][2:16], "code.unit_or_pack_required")):
        r = api.get("/api/v1/codes/00" + SSCC[0], headers={**bearer(a), "Accept-Language": "en"},
                    params={"children_after": after})
        assert r.status_code == 422 and [(e["path"], e["code"]) for e in r.json()["errors"]] == [
            ("children_after", fault)], r.text
    r = api.get("/api/v1/codes/01" + packed[1][2:16], headers={**bearer(a), "Accept-Language": "en"})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "code.unit_or_pack_required", r.text
    assert api.get("/api/v1/codes/00" + SSCC[0], headers=bearer(a),
                   params={"children_limit": 0}).json()["children_codes"] == []
    r = api.get("/api/v1/codes/00" + SSCC[0], headers=bearer(a), params={"children_limit": 1001})
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "children_limit"

    # nesting: the pack and two more units into a pallet
    doc = {"id": new_id(), "parent": "00" + SSCC[1], "children": ["00" + SSCC[0], *units[6:8]]}
    submit(api, people["a"], a, "AGGREGATION", doc)
    assert processed(api, world, a, doc["id"])["status"] == "CHECKED_OK"
    pallet = code_card(api, a, "00" + SSCC[1])
    assert pallet["children"] == 3
    assert [(c["identification_code"], c["status"]) for c in pallet["children_codes"]] == [
        ("00" + SSCC[0], None), *sorted(((k, "APPLIED") for k in units[6:8]), key=lambda c: c[0].encode())]
    assert code_card(api, a, "00" + SSCC[0])["parent"] == "00" + SSCC[1]

    # no cycles, one parent per code, a full pack is not refilled: every fault named, nothing changes
    doc = {"id": new_id(), "parent": "00" + SSCC[0], "children": ["00" + SSCC[1], units[0], units[8]]}
    submit(api, people["a"], a, "AGGREGATION", doc)
    result = processed(api, world, a, doc["id"], "en")
    assert result["status"] == "CHECKED_NOT_OK"
    found = {(e["code"], e["index"]) for e in result["errors"]}
    assert found == {("aggregation.parent_not_empty", None), ("aggregation.cycle", 0),
                     ("aggregation.child_aggregated", 1)}, found
    assert statuses(prepared_db, [units[8]])[units[8]] == ("APPLIED", None)

    # partial, then whole disaggregation
    doc = {"id": new_id(), "parent": "00" + SSCC[0], "children": units[:2]}
    submit(api, people["a"], a, "DISAGGREGATION", doc)
    assert processed(api, world, a, doc["id"])["codes"] == 2
    assert code_card(api, a, units[0])["parent"] is None
    assert code_card(api, a, "00" + SSCC[0])["children"] == 4
    doc = {"id": new_id(), "parent": "00" + SSCC[1]}
    submit(api, people["a"], a, "DISAGGREGATION", doc)
    assert processed(api, world, a, doc["id"])["codes"] == 3
    assert code_card(api, a, "00" + SSCC[0])["parent"] is None
    assert [e["event"] for e in code_card(api, a, units[7])["history"]][-2:] == ["AGGREGATED", "DISAGGREGATED"]
    doc = {"id": new_id(), "parent": "00" + SSCC[1], "children": [units[0]]}
    submit(api, people["a"], a, "DISAGGREGATION", doc)
    assert processed(api, world, a, doc["id"])["errors"][0]["code"] == "disaggregation.not_a_child"


def test_another_participants_codes_and_packs(api, people, world):
    a, b = world["a"], world["b"]
    theirs = [ki(c) for c in world["codes"]["a"][20:22]]
    mine = [ki(c) for c in world["codes"]["b"]]
    doc = {"id": new_id(), "codes": mine}
    submit(api, people["b"], b, "APPLICATION", doc)
    assert processed(api, world, b, doc["id"])["status"] == "CHECKED_OK"
    # A's codes are invisible to B: not found, exactly as in the API
    doc = {"id": new_id(), "parent": "00" + SSCC[3], "children": [mine[0], *theirs]}
    submit(api, people["b"], b, "AGGREGATION", doc)
    result = processed(api, world, b, doc["id"])
    assert [(e["code"], e["index"]) for e in result["errors"]] == [("code.not_found", 1), ("code.not_found", 2)]
    # an SSCC that is A's pack cannot become B's
    doc = {"id": new_id(), "parent": "00" + SSCC[0], "children": mine[:2]}
    submit(api, people["b"], b, "AGGREGATION", doc)
    assert processed(api, world, b, doc["id"])["errors"][0]["code"] == "aggregation.parent_taken"
    assert api.get("/api/v1/codes/00" + SSCC[0], headers=bearer(b)).status_code == 404
    assert api.get(f"/api/v1/documents/{doc['id']}", headers=bearer(a)).status_code == 404


def test_retries_and_reused_ids(api, people, world):
    a = world["a"]
    doc = {"id": new_id(), "codes": [ki(world["codes"]["a"][25])]}
    body = envelope(people["a"], typed("APPLICATION", doc), doc_type="APPLICATION")
    assert api.post("/api/v1/documents", json=body, headers=bearer(a)).status_code == 202
    again = api.post("/api/v1/documents", json=body, headers=bearer(a))
    assert again.status_code == 200 and again.json()["status"] == "RECEIVED"
    assert processed(api, world, a, doc["id"])["status"] == "CHECKED_OK"
    again = api.post("/api/v1/documents", json=body, headers=bearer(a))
    assert (again.status_code, again.json()["status"], again.json()["codes"]) == (200, "CHECKED_OK", 1)
    other = submit(api, people["a"], a, "APPLICATION", {"id": doc["id"], "codes": [ki(world["codes"]["a"][26])]})
    assert other.status_code == 409 and other.json()["errors"][0]["code"] == "document.id_reused"
    # processing twice changes nothing: the document is done
    assert process_documents(world["settings"]) == {}


@pytest.mark.parametrize(("doc_type", "document", "expected"), [
    ("SHIPMENT", {"id": "x"}, [("document.type_not_accepted", "type", None)]),
    ("AGGREGATION", {"id": "not-a-uuid", "parent": "00" + SSCC[2], "children": ["0104600000000039215abc"]},
     [("field.uuid", "document.id", None)]),
    ("AGGREGATION", {"parent": "(01)04600000000039", "children": ["00046000000000000016"]},
     [("field.uuid", "document.id", None), ("document.code_kind", "document.parent", None),
      ("gs1.check_digit", "document.children", 0)]),
    ("AGGREGATION", {"id": "", "parent": "00" + SSCC[2], "children": [], "extra": 1},
     [("document.unknown_field", "document.extra", None), ("field.uuid", "document.id", None),
      ("document.codes_list", "document.children", None)]),
    ("APPLICATION", {"codes": ["0104600000000039215abc", "(01)04600000000039(21)5abc", 7]},
     [("field.uuid", "document.id", None), ("document.duplicate_code", "document.codes", 1),
      ("document.code_text", "document.codes", 2)]),
    ("APPLICATION", {"id": "", "codes": ["0104600000000039215abc"] * 10_001},
     [("field.uuid", "document.id", None), ("document.too_many_codes", "document.codes", None)]),
    ("DISAGGREGATION", {"id": "", "parent": "00" + SSCC[2], "children": ["00" + SSCC[2]]},
     [("field.uuid", "document.id", None), ("disaggregation.not_a_child", "document.children", 0)]),

    # the nil and the max UUID: what an unset field gives every document (RFC 9562), refused by name
    ("APPLICATION", {"id": "00000000-0000-0000-0000-000000000000", "codes": ["0104600000000039215abc"]},
     [("field.uuid_reserved", "document.id", None)]),
    ("AGGREGATION", {"id": "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF", "parent": "00" + SSCC[2], "children": []},
     [("field.uuid_reserved", "document.id", None), ("document.codes_list", "document.children", None)]),
])
def test_format_logical_control_refuses_at_once(api, people, world, doc_type, document, expected):
    r = submit(api, people["a"], world["a"], doc_type, document, "en")
    assert r.status_code == 422, r.text
    got = [(e["code"], e["path"], e["index"]) for e in r.json()["errors"]]
    assert sorted(got, key=str) == sorted(expected, key=str)
    assert all(e["message"] and e["message"] != e["code"] for e in r.json()["errors"])


def test_signer_must_be_the_sender_and_documents_are_private(api, people, world):
    doc = {"id": new_id(), "codes": [ki(world["codes"]["a"][27])]}
    r = submit(api, people["b"], world["a"], "APPLICATION", doc)
    assert r.status_code == 403 and r.json()["errors"][0]["code"] == "document.signer_not_sender"
    assert api.get(f"/api/v1/documents/{doc['id']}", headers=bearer(world["a"])).status_code == 404
    assert api.post("/api/v1/documents", json=envelope(people["a"], typed("APPLICATION", doc),
                                                       doc_type="APPLICATION")).status_code == 401


def test_group_packs_hold_units_of_their_product_and_go_into_transport_packs(api, people, world, prepared_db):
    a, codes, packs = world["a"], world["codes"]["a"], world["codes"]["group_packs"]
    units, pack_codes = [ki(c) for c in codes[10:17]], [ki(p) for p in packs]
    assert {c["gtin"] for c in packs} == {GROUP_PACK} and len(packs) == 3
    doc = {"id": new_id(), "codes": units + pack_codes[:2]}
    submit(api, people["a"], a, "APPLICATION", doc)
    assert processed(api, world, a, doc["id"])["status"] == "CHECKED_OK"

    # a pack's card (GTIN 14600000000036, 5 units) says what goes in: units of its product, at most 5, one status
    doc = {"id": new_id(), "parent": pack_codes[0], "children": [*units[:6], pack_codes[1], "00" + SSCC[3]]}
    submit(api, people["a"], a, "AGGREGATION", doc)
    errors = processed(api, world, a, doc["id"])["errors"]
    assert {(e["code"], e["index"]) for e in errors} == {
        ("aggregation.child_product", 6), ("aggregation.child_product", 7), ("aggregation.pack_overfilled", None),
        ("code.not_found", 7)}, errors
    doc = {"id": new_id(), "parent": pack_codes[2], "children": units[:5]}  # still EMITTED
    submit(api, people["a"], a, "AGGREGATION", doc)
    assert [e["code"] for e in processed(api, world, a, doc["id"])["errors"]] == ["aggregation.pack_status"]
    doc = {"id": new_id(), "parent": units[6], "children": units[:2]}  # a unit is not a pack
    submit(api, people["a"], a, "AGGREGATION", doc)
    assert processed(api, world, a, doc["id"])["errors"][0]["code"] == "aggregation.not_a_pack"

    doc = {"id": new_id(), "parent": packs[0]["marking_code"], "children": units[:5]}
    submit(api, people["a"], a, "AGGREGATION", doc)
    assert processed(api, world, a, doc["id"])["codes"] == 5
    pack = code_card(api, a, pack_codes[0])
    assert (pack["children"], pack["product_name_ru"], pack["gtin"]) == (5, "Аспирин", GROUP_PACK)
    assert code_card(api, a, units[0])["parent"] == pack_codes[0]

    # the group pack goes into a transport pack with a loose unit; the public sees the pack's product
    doc = {"id": new_id(), "parent": "00" + SSCC[2], "children": [pack_codes[0], units[5]]}
    submit(api, people["a"], a, "AGGREGATION", doc)
    assert processed(api, world, a, doc["id"])["codes"] == 2
    assert code_card(api, a, pack_codes[0])["parent"] == "00" + SSCC[2]
    assert code_card(api, a, "00" + SSCC[2])["children"] == 2
    public = api.get("/api/v1/public/verify", params={"code": packs[0]["marking_code"]}).json()
    assert (public["found"], public["authentic"], public["product"]["name"]) == (True, True, "Аспирин")
    assert (public["status"], [w["code"] for w in public["warnings"]]) == ("APPLIED", ["verify.not_in_circulation"])

    doc = {"id": new_id(), "parent": pack_codes[0]}
    submit(api, people["a"], a, "DISAGGREGATION", doc)
    assert processed(api, world, a, doc["id"])["codes"] == 5
    assert statuses(prepared_db, units[:5]) == dict.fromkeys(units[:5], ("APPLIED", None))


def test_transport_pack_gtins_get_no_codes(api, people, world):
    doc = envelope(people["a"], {"id": new_id(), "gtin": TRANSPORT_PACK, "quantity": 5}, doc_type="CODE_ORDER")
    r = api.post("/api/v1/orders", json=doc, headers={**bearer(world["a"]), "Accept-Language": "en"})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "order.transport_pack_gtin"
    assert "SSCC" in r.json()["errors"][0]["message"]


def test_the_worker_processes_documents_while_it_emits_a_large_order(api, people, world, prepared_db, admin_url,
                                                                     credentials_path, tmp_path):
    """`tanba worker` as the platform runs it: a document is processed while a 300,000-code order is emitted
    (two loops), and the emission's processes start cleanly beside the documents thread (forkserver)."""
    import subprocess
    import sys
    import time
    from pathlib import Path

    from tests.e2e.conftest import ROOT, service_env

    a = world["a"]
    order = envelope(people["a"], {"id": new_id(), "gtin": GTIN_A, "quantity": 300_000}, doc_type="CODE_ORDER")
    order_id = api.post("/api/v1/orders", json=order, headers=bearer(a)).json()["id"]
    env = {**service_env(admin_url, prepared_db.database, credentials_path, tmp_path), "TANBA_MASTER_KEY": MASTER}
    log = tmp_path / "worker.log"
    worker = subprocess.Popen([str(Path(sys.executable).parent / "tanba"), "worker"], env=env, cwd=ROOT,
                              stdout=log.open("ab"), stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while api.get(f"/api/v1/orders/{order_id}", headers=bearer(a)).json()["status"] != "PROCESSING":
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        doc = {"id": new_id(), "codes": [ki(world["codes"]["a"][28])]}
        assert submit(api, people["a"], a, "APPLICATION", doc).status_code == 202
        while (state := api.get(f"/api/v1/documents/{doc['id']}", headers=bearer(a)).json())["status"] != \
                "CHECKED_OK":
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        assert api.get(f"/api/v1/orders/{order_id}", headers=bearer(a)).json()["status"] == "PROCESSING", \
            "the order finished first: the test proves nothing about waiting"
        assert state["codes"] == 1
        while (status := api.get(f"/api/v1/orders/{order_id}", headers=bearer(a)).json())["status"] != "DONE":
            assert status["status"] == "PROCESSING" and time.monotonic() < deadline + 120, log.read_text()
            time.sleep(0.5)
        assert status["produced"] == 300_000
    finally:
        worker.terminate()
        worker.wait(30)


def test_reaggregation_takes_out_and_puts_in_at_once(api, people, world):
    a, codes = world["a"], world["codes"]["a"]
    units = [ki(c) for c in codes[17:20]] + [ki(c) for c in codes[0:2]]  # 0 and 1 were applied and are free
    doc = {"id": new_id(), "codes": units[:3]}
    submit(api, people["a"], a, "APPLICATION", doc)
    assert processed(api, world, a, doc["id"])["status"] == "CHECKED_OK"
    pack = "00" + SSCC[3]
    doc = {"id": new_id(), "parent": pack, "children": units[:2]}
    submit(api, people["a"], a, "AGGREGATION", doc)
    assert processed(api, world, a, doc["id"])["status"] == "CHECKED_OK"

    doc = {"id": new_id(), "parent": pack, "remove": [units[0]], "add": [units[2], units[3]]}
    submit(api, people["a"], a, "REAGGREGATION", doc)
    assert processed(api, world, a, doc["id"])["codes"] == 3
    assert code_card(api, a, pack)["children"] == 3
    assert code_card(api, a, units[0])["parent"] is None and code_card(api, a, units[3])["parent"] == pack

    # all-or-nothing: one bad code to remove and one taken code to add refuse the whole document
    doc = {"id": new_id(), "parent": pack, "remove": [units[0]], "add": [units[4]]}
    submit(api, people["a"], a, "REAGGREGATION", doc)
    errors = processed(api, world, a, doc["id"])["errors"]
    assert {(e["code"], e["path"], e["index"]) for e in errors} == {
        ("disaggregation.not_a_child", "document.remove", 0)}, errors
    assert code_card(api, a, units[4])["parent"] is None

    r = submit(api, people["a"], a, "REAGGREGATION", {"id": new_id(), "parent": pack, "add": [units[1]],
                                                      "remove": [units[1]]}, "en")
    assert r.status_code == 422 and [e["code"] for e in r.json()["errors"]] == ["reaggregation.add_and_remove"]
    r = submit(api, people["a"], a, "REAGGREGATION", {"id": new_id(), "parent": pack})
    assert r.status_code == 422 and [e["code"] for e in r.json()["errors"]] == ["reaggregation.nothing"]


def test_one_id_names_one_document_orders_included(api, people, world):
    a, b = world["a"], world["b"]
    doc_id = new_id()
    doc = {"id": doc_id, "codes": [ki(world["codes"]["a"][29])]}
    assert submit(api, people["a"], a, "APPLICATION", doc).status_code == 202
    order = envelope(people["a"], {"id": doc_id, "gtin": GTIN_A, "quantity": 1}, doc_type="CODE_ORDER")
    r = api.post("/api/v1/orders", json=order, headers=bearer(a))
    assert r.status_code == 409 and r.json()["errors"][0]["code"] == "document.id_reused"
    # another participant's id, even for identical bytes: 409 (its document stays invisible)
    r = submit(api, people["b"], b, "APPLICATION", doc)
    assert r.status_code == 409 and r.json()["errors"][0]["code"] == "document.id_reused"
    order_id = api.post("/api/v1/orders", json=envelope(people["b"], {"id": new_id(), "gtin": GTIN_B, "quantity": 1},
                                                        doc_type="CODE_ORDER"), headers=bearer(b)).json()["id"]
    r = submit(api, people["a"], a, "APPLICATION", {"id": order_id, "codes": doc["codes"]})
    assert r.status_code == 409 and r.json()["errors"][0]["code"] == "document.id_reused"


def test_every_fault_is_reported_and_tails_must_be_the_issued_ones(api, people, world):
    b = world["b"]
    theirs = world["codes"]["b"][0]
    # B aims at A's SSCC with A's code: both faults at once
    doc = {"id": new_id(), "parent": "00" + SSCC[1], "children": [ki(world["codes"]["a"][29])]}
    submit(api, people["b"], b, "AGGREGATION", doc)
    codes = {e["code"] for e in processed(api, world, b, doc["id"])["errors"]}
    assert codes == {"aggregation.parent_taken", "code.not_found"}, codes
    # a code sent with a tail that is not its own (another code's AI 92) is refused
    other = world["codes"]["b"][2]
    forged = theirs["marking_code"].split("\x1d92")[0] + "\x1d92" + other["crypto_tail"]
    doc = {"id": new_id(), "parent": "00046000000000000053", "children": [theirs["marking_code"], forged]}
    r = submit(api, people["b"], b, "AGGREGATION", doc)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "document.duplicate_code"
    doc = {"id": new_id(), "codes": [forged]}
    submit(api, people["b"], b, "APPLICATION", doc)
    errors = processed(api, world, b, doc["id"])["errors"]
    assert [(e["code"], e["path"], e["index"]) for e in errors] == [("code.tail_mismatch", "document.codes", 0)]


def test_a_pack_keeps_its_own_history(api, people, world):
    a = world["a"]
    history = code_card(api, a, "00" + SSCC[0])["history"]  # formed, put on a pallet, opened, taken off it
    assert [(e["event"], e["detail"]) for e in history] == [
        ("PACK_FORMED", "6"), ("AGGREGATED", "00" + SSCC[1]), ("PACK_OPENED", "2/6"),
        ("DISAGGREGATED", "00" + SSCC[1])]
    words = [e["message"] for e in code_card(api, a, "00" + SSCC[0], "kk")["history"]]
    assert words[0] == "Қаптама құрылды: 6 код" and words[2] == "Қаптама ашылды: 6 кодтың 2 алынды", words
    assert code_card(api, a, "00" + SSCC[0], "en")["history"][1]["message"] == f"Put into pack 00{SSCC[1]}"
    assert [e["event"] for e in code_card(api, a, "00" + SSCC[1])["history"]] == ["PACK_FORMED", "PACK_OPENED"]
    assert "PACK_CHANGED" in [e["event"] for e in code_card(api, a, "00" + SSCC[3])["history"]]


def test_one_senders_documents_are_processed_in_the_order_received(api, people, world, prepared_db):
    """With several workers, a sender's later document never overtakes an earlier one."""
    from api.domain.documents.processing import process_document
    from tanba.worker import OPERATOR

    a = world["a"]
    unit = ki(world["codes"]["a"][18])  # in SSCC[3]: out, then back in (the other way round both would fail)
    first = {"id": new_id(), "parent": "00" + SSCC[3], "remove": [unit]}
    second = {"id": new_id(), "parent": "00" + SSCC[3], "add": [unit]}
    for doc in (first, second):
        assert submit(api, people["a"], a, "REAGGREGATION", doc).status_code == 202
    with psycopg.connect(prepared_db.api, autocommit=True) as conn:
        conn.execute(OPERATOR)
        assert process_document(conn, uuid.UUID(second["id"])) is None  # the older one goes first
        with psycopg.connect(prepared_db.api) as other:  # another worker holds the sender
            other.execute("SELECT pg_advisory_xact_lock(4005, hashtext(%s))", ("011040197726",))
            assert process_document(conn, uuid.UUID(first["id"])) is None
        assert process_document(conn, uuid.UUID(first["id"])) == "CHECKED_OK"
        assert process_document(conn, uuid.UUID(second["id"])) == "CHECKED_OK"
    assert code_card(api, a, unit)["parent"] == "00" + SSCC[3]


def test_an_attached_signature_is_named(api, people, world):
    raw = json.dumps(typed("APPLICATION", {"id": new_id(), "codes": [ki(world["codes"]["a"][29])]})).encode()
    body = {"type": "APPLICATION", "document": base64.b64encode(raw).decode(),
            "signature": base64.b64encode(people["a"].sign_attached(raw)).decode()}
    r = api.post("/api/v1/documents", json=body, headers={**bearer(world["a"]), "Accept-Language": "en"})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "signature.attached"
    assert "detached" in r.json()["errors"][0]["message"]


def test_a_document_that_fails_on_our_side_is_retried_then_given_up(api, people, world, monkeypatch):
    """An error of the system (not a refusal) leaves the document RECEIVED to be tried again; after three
    failed runs it is CHECKED_NOT_OK, so that the sender's later documents are not held back for ever."""
    from api.domain.documents import processing

    a = world["a"]
    stuck = {"id": new_id(), "parent": "00" + SSCC[3], "remove": [ki(world["codes"]["a"][18])]}
    later = {"id": new_id(), "codes": [ki(world["codes"]["a"][27])]}
    for doc_type, doc in (("REAGGREGATION", stuck), ("APPLICATION", later)):
        assert submit(api, people["a"], a, doc_type, doc).status_code == 202

    def broken(*args):
        raise RuntimeError("a bug of ours")

    monkeypatch.setitem(processing.PROCESSORS, processing.Reaggregation, broken)
    for _ in range(processing.MAX_ATTEMPTS - 1):
        process_documents(world["settings"])
        states = [api.get(f"/api/v1/documents/{d['id']}", headers=bearer(a)).json()["status"] for d in (stuck, later)]
        assert states == ["RECEIVED", "RECEIVED"]  # the later one waits for the earlier one
    process_documents(world["settings"])
    result = api.get(f"/api/v1/documents/{stuck['id']}", headers={**bearer(a), "Accept-Language": "en"}).json()
    assert (result["status"], result["errors"][0]["code"]) == ("CHECKED_NOT_OK", "document.processing_failed")
    assert "3 attempts" in result["errors"][0]["message"]
    monkeypatch.undo()
    assert processed(api, world, a, later["id"])["status"] == "CHECKED_OK"
    assert code_card(api, a, ki(world["codes"]["a"][18]))["parent"] == "00" + SSCC[3]  # nothing was changed


def test_the_signed_bytes_name_the_type_and_hold_only_characters(api, people, world):
    """The envelope's type is not signed: an AGGREGATION replayed as a DISAGGREGATION (same shape) is refused;
    half a UTF-16 pair ("\\ud800") is no character and is refused, not a 500."""
    a = world["a"]
    doc = typed("AGGREGATION", {"id": new_id(), "parent": "00" + SSCC[3], "children": [ki(world["codes"]["a"][18])]})
    swapped = envelope(people["a"], doc, doc_type="DISAGGREGATION")
    r = api.post("/api/v1/documents", json=swapped, headers={**bearer(a), "Accept-Language": "en"})
    assert r.status_code == 422 and [e["code"] for e in r.json()["errors"]] == ["document.type_mismatch"]
    assert "DISAGGREGATION" in r.json()["errors"][0]["message"]
    raw = ('{"type": "APPLICATION", "id": "' + new_id() + '", "codes": ["\\ud800"]}').encode()
    body = {"type": "APPLICATION", "document": base64.b64encode(raw).decode(),
            "signature": base64.b64encode(people["a"].sign_detached(raw)).decode()}
    r = api.post("/api/v1/documents", json=body, headers=bearer(a))
    assert r.status_code == 422 and [e["code"] for e in r.json()["errors"]] == ["document.encoding"], r.text


def test_reaggregation_keeps_a_group_pack_within_its_count_and_names_its_lists(api, people, world):
    a, packs, codes = world["a"], world["codes"]["group_packs"], world["codes"]["a"]
    pack = ki(packs[1])  # APPLIED, empty (group pack of 5 units)
    units = [ki(c) for c in codes[10:15]]  # APPLIED, free since the group pack test disaggregated them
    doc = {"id": new_id(), "parent": pack, "children": units[:5]}
    submit(api, people["a"], a, "AGGREGATION", doc)
    assert processed(api, world, a, doc["id"])["status"] == "CHECKED_OK"
    doc = {"id": new_id(), "parent": pack, "add": [ki(codes[15])]}
    submit(api, people["a"], a, "REAGGREGATION", doc)
    errors = processed(api, world, a, doc["id"])["errors"]
    assert {(e["code"], e["path"], e["index"]) for e in errors} == {
        ("aggregation.pack_overfilled", "document.add", None), ("aggregation.child_aggregated", "document.add", 0)}
    assert code_card(api, a, pack)["children"] == 5
    doc = {"id": new_id(), "parent": pack, "remove": [units[0]], "add": [ki(codes[16])]}
    submit(api, people["a"], a, "REAGGREGATION", doc)
    assert processed(api, world, a, doc["id"])["codes"] == 2
    assert code_card(api, a, pack)["children"] == 5
    r = submit(api, people["a"], a, "DISAGGREGATION", {"id": new_id(), "parent": units[0]})
    assert r.status_code == 202
    assert processed(api, world, a, r.json()["id"])["errors"][0]["code"] == "aggregation.not_a_pack"
