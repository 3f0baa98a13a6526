"""Code orders over real HTTP: a signed CODE_ORDER, background emission by the worker, streamed download,
and every refusal (other participant's GTIN, quantity out of range, wrong signer, reused id)."""

import base64
import csv
import io
import json
import os
import struct
import zlib

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import text

from tanba.worker import work_once
from tests.e2e.codes_support import emission_ready
from tests.e2e.identity_support import PARTICIPANT_A, bearer, envelope, login, new_id
from warehouse.database import Database

GTIN = "04600000000039"
MASTER = base64.b64encode(b"\x05" * 32).decode()


@pytest.fixture(scope="module")
def ready(api, people, prepared_db, admin_url, credentials_path, tmp_path_factory):
    a = login(api, people["a"])
    r = api.post("/api/v1/products", headers=bearer(a), json={
        "gtin": GTIN, "product_group": "shoes", "tnved": "6403", "name_kk": "Етік", "name_ru": "Сапоги",
        "manufacturer": "ТОО «Караганда Табак»", "country": "KZ"})
    assert r.status_code == 201, r.text
    settings = emission_ready(prepared_db, admin_url, credentials_path, tmp_path_factory.mktemp("worker"), MASTER)
    return {"a": a, "b": login(api, people["b"]), "settings": settings}


def order(who, quantity=1000, gtin=GTIN, order_id=None):
    return envelope(who, {"id": order_id or new_id(), "gtin": gtin, "quantity": quantity}, doc_type="CODE_ORDER")


def test_order_emit_download_and_verify(api, people, ready, prepared_db):
    body = order(people["a"], 1000)
    r = api.post("/api/v1/orders", json=body, headers=bearer(ready["a"]))
    assert r.status_code == 202, r.text
    order_id = r.json()["id"]
    assert r.json()["status"] == "RECEIVED"
    assert api.post("/api/v1/orders", json=body, headers=bearer(ready["a"])).status_code == 200
    r = api.get(f"/api/v1/orders/{order_id}/codes", headers=bearer(ready["a"]))
    assert r.status_code == 409 and r.json()["errors"][0]["code"] == "order.not_ready"

    assert str(work_once(ready["settings"])) == order_id
    status = api.get(f"/api/v1/orders/{order_id}", headers=bearer(ready["a"])).json()
    assert (status["status"], status["produced"], status["progress"]) == ("DONE", 1000, 1.0)

    as_csv = api.get(f"/api/v1/orders/{order_id}/codes?format=csv", headers=bearer(ready["a"]))
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    as_jsonl = api.get(f"/api/v1/orders/{order_id}/codes?format=jsonl", headers=bearer(ready["a"]))
    lines = as_jsonl.text.splitlines()
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_jsonl.headers["content-type"].startswith("application/x-ndjson")
    assert len(rows) == 1000 and len(lines) == 1000
    assert len({r["serial"] for r in rows}) == 1000
    keys = {k["key_id"]: k for k in api.get("/api/v1/public/keys").json()["keys"]}
    for row in rows[:50]:
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(keys[row["key_id"]]["public_key"]))
        public.verify(base64.b64decode(row["crypto_tail"]), f"01{row['gtin']}21{row['serial']}".encode())
        parsed = api.post("/api/v1/codes/parse", json={"code": row["marking_code"]}).json()
        assert (parsed["gtin"], parsed["serial"], parsed["crypto_signature"]) == (
            GTIN, row["serial"], row["crypto_tail"])
    assert json.loads(lines[0])["marking_code"].count("\x1d") == 2
    with api.stream("GET", f"/api/v1/orders/{order_id}/codes?format=csv", headers=bearer(ready["a"])) as streamed:
        assert streamed.headers["content-type"] == "text/csv; charset=utf-8"
    # another participant sees nothing of it
    assert api.get(f"/api/v1/orders/{order_id}", headers=bearer(ready["b"])).status_code == 404
    assert api.get(f"/api/v1/orders/{order_id}/codes", headers=bearer(ready["b"])).status_code == 404


def test_a_second_order_never_repeats_a_serial(api, people, ready, prepared_db):
    r = api.post("/api/v1/orders", json=order(people["a"], 2000), headers=bearer(ready["a"]))
    assert r.status_code == 202
    while work_once(ready["settings"]) is not None:
        pass
    with psycopg.connect(prepared_db.owner) as conn:
        total, distinct = conn.execute(
            "SELECT count(*), count(DISTINCT serial) FROM ops.marking_code WHERE gtin = %s", (GTIN,)).fetchone()
    assert total == distinct and total >= 3000


@pytest.mark.parametrize(("kind", "status", "code"), [
    ("other_gtin", 403, "order.not_your_gtin"),
    ("zero", 422, "order.quantity"),
    ("too_many", 422, "order.quantity"),
    ("bad_gtin", 422, "gs1.check_digit"),
    ("wrong_signer", 403, "document.signer_not_sender"),
    ("gtin_as_number", 422, "field.type"),
    ("id_as_number", 422, "field.type"),
])
def test_order_refusals(api, people, ready, kind, status, code):
    body = {
        "other_gtin": lambda: order(people["a"], 10, gtin="4600000000015"),
        "zero": lambda: order(people["a"], 0),
        "too_many": lambda: order(people["a"], 1_000_001),
        "bad_gtin": lambda: order(people["a"], 10, gtin="4600000000038"),
        "wrong_signer": lambda: order(people["b"], 10),
        # signed JSON is read as signed: a number is not taken for the digits it would print as
        "gtin_as_number": lambda: order(people["a"], 10, gtin=int(GTIN)),
        "id_as_number": lambda: order(people["a"], 10, order_id=12345),
    }[kind]()
    r = api.post("/api/v1/orders", json=body, headers={**bearer(ready["a"]), "Accept-Language": "kk"})
    assert r.status_code == status, r.text
    assert r.json()["errors"][0]["code"] == code
    assert r.json()["errors"][0]["message"] != code


@pytest.mark.parametrize("left_out", [("gtin",), ("quantity",), ("id",), ("id", "gtin", "quantity")])
def test_every_field_left_out_of_an_order_is_named_as_missing(api, people, ready, left_out):
    document = {key: value for key, value in {"id": new_id(), "gtin": GTIN, "quantity": 5}.items()
                if key not in left_out}
    r = api.post("/api/v1/orders", json=envelope(people["a"], document, doc_type="CODE_ORDER"),
                 headers={**bearer(ready["a"]), "Accept-Language": "en"})
    assert r.status_code == 422, r.text
    assert [(e["path"], e["code"]) for e in r.json()["errors"]] == [
        (f"document.{name}", "field.required") for name in ("id", "gtin", "quantity") if name in left_out]


def test_reused_order_id_with_other_content_is_refused(api, people, ready):
    order_id = new_id()
    assert api.post("/api/v1/orders", json=order(people["a"], 5, order_id=order_id),
                    headers=bearer(ready["a"])).status_code == 202
    r = api.post("/api/v1/orders", json=order(people["a"], 6, order_id=order_id), headers=bearer(ready["a"]))
    assert r.status_code == 409 and r.json()["errors"][0]["code"] == "document.id_reused"
    assert PARTICIPANT_A


def test_label_sheet_of_an_order_decodes_to_the_exact_codes(api, people, ready):
    import shutil
    import subprocess
    import tempfile
    from pathlib import Path

    import zxingcpp
    from PIL import Image

    r = api.post("/api/v1/orders", json=order(people["a"], 8), headers=bearer(ready["a"]))
    order_id = r.json()["id"]
    while work_once(ready["settings"]) is not None:  # every waiting order, this one included
        pass
    pdf = api.get(f"/api/v1/orders/{order_id}/labels?limit=8", headers=bearer(ready["a"]))
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    codes = {json.loads(line)["marking_code"] for line in api.get(
        f"/api/v1/orders/{order_id}/codes?format=jsonl", headers=bearer(ready["a"])).text.splitlines()}
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (Debian poppler-utils) is not installed: the PDF is not rasterised")
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "sheet.pdf").write_bytes(pdf.content)
        subprocess.run(["pdftoppm", "-r", "300", "-png", "sheet.pdf", "page"], cwd=folder, check=True)
        decoded = set()
        for page in sorted(Path(folder).glob("page*.png")):
            for result in zxingcpp.read_barcodes(Image.open(page), text_mode=zxingcpp.TextMode.Plain):
                assert result.symbology_identifier == "]d2"
                decoded.add(result.bytes.decode("ascii").removeprefix("\x1d"))
    assert decoded == codes


@pytest.fixture(scope="module")
def emitted(api, people, ready):
    r = api.post("/api/v1/orders", json=order(people["a"], 30), headers=bearer(ready["a"]))
    order_id = r.json()["id"]
    while work_once(ready["settings"]) is not None:
        pass
    return [json.loads(line) for line in api.get(f"/api/v1/orders/{order_id}/codes?format=jsonl",
                                                 headers=bearer(ready["a"])).text.splitlines()]


def test_public_verification_of_an_issued_code(api, emitted):
    code = emitted[0]["marking_code"]
    r = api.get("/api/v1/public/verify", params={"code": code}, headers={"Accept-Language": "kk"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["found"] and body["authentic"]
    assert body["status"] == "EMITTED" and body["status_text"]
    assert body["product"]["name"] == "Етік" and body["product"]["gtin"] == GTIN
    assert [w["code"] for w in body["warnings"]] == ["verify.not_in_circulation"]
    # the same code as a scanner may leak it, a raw FNC1 byte (%E8, not UTF-8) for each GS
    import urllib.parse

    raw = "%E8".join(urllib.parse.quote(part, safe="") for part in code.split("\x1d"))
    r = api.get(f"/api/v1/public/verify?code={raw}")
    assert r.status_code == 200, r.text
    assert r.json()["found"] and r.json()["authentic"]


def test_the_verification_answer_carries_the_headers_of_every_route(api, emitted, ready):
    """The gateway answers verification itself: the same security headers as a Litestar route, the language,
    the request id; HEAD gets them without the body; a signed-in caller's answer is not cached."""
    code = emitted[29]["marking_code"]
    keys = api.get("/api/v1/public/keys", headers={"Accept-Language": "kk"})
    shared = ("x-content-type-options", "x-frame-options", "referrer-policy", "strict-transport-security",
              "cross-origin-resource-policy", "content-security-policy", "content-language")
    for method in ("GET", "HEAD"):
        r = api.request(method, "/api/v1/public/verify", params={"code": code}, headers={"Accept-Language": "kk"})
        assert r.status_code == 200
        assert {h: r.headers.get(h) for h in shared} == {h: keys.headers.get(h) for h in shared}
        assert r.headers["content-type"] == "application/json" and len(r.headers["x-request-id"]) == 36
        assert "cache-control" not in r.headers
        assert (r.content == b"") == (method == "HEAD")
        if method == "GET":
            assert int(r.headers["content-length"]) == len(r.content) and r.json()["found"]
    r = api.get("/api/v1/public/verify", params={"code": code}, headers=bearer(ready["a"]))
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"


def test_each_verification_leaves_exactly_one_audit_row(api, emitted, prepared_db):
    r = api.get("/api/v1/public/verify", params={"code": emitted[5]["marking_code"]})
    with psycopg.connect(prepared_db.owner) as conn:
        rows = conn.execute("SELECT status, action, role, object_id FROM ops.audit_log WHERE request_id = %s",
                            (r.headers["x-request-id"],)).fetchall()
    assert rows == [(200, "public.verify", "public", f"01{GTIN}21{emitted[5]['serial']}")]
    r = api.get("/api/v1/public/verify", params={"code": "garbage"})
    with psycopg.connect(prepared_db.owner) as conn:
        rows = conn.execute("SELECT status FROM ops.audit_log WHERE request_id = %s",
                            (r.headers["x-request-id"],)).fetchall()
    assert rows == [(422,)]


def test_a_verification_is_audited_as_its_caller_and_its_method(api, emitted, prepared_db, ready):
    """A signed-in participant's check is audited with its BIN, IIN and role; an anonymous HEAD as HEAD."""
    code = emitted[6]["marking_code"]
    signed_in = api.get("/api/v1/public/verify", params={"code": code}, headers=bearer(ready["a"]))
    head = api.head("/api/v1/public/verify", params={"code": code})
    assert signed_in.status_code == head.status_code == 200
    with psycopg.connect(prepared_db.owner) as conn:
        rows = [conn.execute("SELECT role, method, actor_bin, actor_iin IS NOT NULL, action FROM ops.audit_log "
                             "WHERE request_id = %s", (r.headers["x-request-id"],)).fetchall()
                for r in (signed_in, head)]
    assert rows == [[("participant", "GET", PARTICIPANT_A, True, "public.verify")],
                    [("public", "HEAD", None, False, "public.verify")]]


def test_a_clients_own_request_id_is_not_kept(api, emitted, prepared_db):
    """Only a trusted proxy's X-Request-Id is kept (none is configured here): a client's own id, e.g. one it
    saw in another answer, gets a new one, so each audit row's request id stays the server's."""
    sent = "0c66ef34-0000-4000-8000-000000000001"
    r = api.get("/api/v1/public/verify", params={"code": emitted[7]["marking_code"]}, headers={"X-Request-Id": sent})
    assert r.status_code == 200 and r.headers["x-request-id"] != sent
    with psycopg.connect(prepared_db.owner) as conn:
        assert conn.execute("SELECT count(*) FROM ops.audit_log WHERE request_id = %s", (sent,)).fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM ops.audit_log WHERE request_id = %s",
                            (r.headers["x-request-id"],)).fetchone() == (1,)


def test_forged_and_unknown_codes_are_flagged(api, emitted):
    code = emitted[1]["marking_code"]
    tail = emitted[1]["crypto_tail"]
    forged = code[:-len(tail)] + ("A" if tail[0] != "A" else "B") + tail[1:]
    body = api.get("/api/v1/public/verify", params={"code": forged}).json()
    assert body["found"] and not body["authentic"] and "verify.forged_tail" in [w["code"] for w in body["warnings"]]
    identification = code[:code.index("\x1d91")]
    for half in (identification + "\x1d91" + emitted[1]["key_id"], identification + "\x1d92" + tail):
        body = api.get("/api/v1/public/verify", params={"code": half}).json()
        assert body["found"] and not body["authentic"], half
        assert [w["code"] for w in body["warnings"]] == ["verify.forged_tail", "verify.not_in_circulation"], half
    body = api.get("/api/v1/public/verify", params={"code": identification}).json()
    assert body["found"] and body["warnings"][0]["code"] == "verify.no_crypto_tail"
    unknown = f"01{GTIN}21NEVERISSUED01"
    body = api.get("/api/v1/public/verify", params={"code": unknown}, headers={"Accept-Language": "en"}).json()
    assert not body["found"] and not body["authentic"] and body["product"] is None
    assert body["warnings"][0]["code"] == "verify.unknown_code" and "never issued" in body["warnings"][0]["message"]
    r = api.get("/api/v1/public/verify", params={"code": "0104600000000038211"})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "gs1.check_digit"


def test_a_plus_sent_unencoded_still_verifies(api, emitted):
    """A client that percent-encodes everything but '+' (which then arrives as a space) still verifies."""
    import urllib.parse

    import httpx

    row = next((r for r in emitted[10:] if "+" in r["crypto_tail"] and "+" not in r["serial"]), None)
    if row is None:
        pytest.skip("no code among 30 with '+' in its tail only")
    raw = urllib.parse.quote(row["marking_code"], safe="+")
    body = httpx.get(f"{api.base_url}/api/v1/public/verify?code={raw}").json()
    assert body["found"] is True and body["authentic"] is True


def test_a_digital_link_pasted_unencoded_into_the_query_still_verifies(api, emitted, ready):
    """``?code=https://…/21/…?91=…&92=…`` unencoded: the tail's ``&92=`` arrives as a parameter of its own and
    is folded back into the link; without it the genuine code would be answered as forged."""
    import httpx

    for row in emitted[11:16]:
        link = api.post("/api/v1/codes/parse", json={"code": row["marking_code"]}).json()["digital_link"]
        assert "&92=" in link
        r = httpx.get(f"{api.base_url}/api/v1/public/verify?code={link}")
        assert r.status_code == 200, (link, r.text)
        body = r.json()
        assert body["found"] is True and body["authentic"] is True, (link, body)
        assert "verify.forged_tail" not in [w["code"] for w in body["warnings"]]
        # the code card's path and a label's query read it the same way, the tail included
        tail = row["crypto_tail"]
        forged = link.replace("&92=" + link.split("&92=")[1][:3], "&92=" + ("A" if tail[0] != "A" else "B") +
                              link.split("&92=")[1][1:3])
        for sent, authentic in ((link, True), (forged, False)):
            r = httpx.get(f"{api.base_url}/api/v1/codes/{sent}", headers=bearer(ready["a"]))
            assert r.status_code == 200 and r.json()["authentic"] is authentic, (sent, r.text)
        r = httpx.get(f"{api.base_url}/api/v1/labels/datamatrix?code={link}", headers=bearer(ready["a"]))
        assert r.status_code == 200 and r.headers["content-type"] == "image/png", (link, r.text)


def test_head_requests_are_no_scans_and_raise_no_copy_signal(api, emitted, prepared_db):
    """HEAD shows nothing of the code: 25 of them are audited, but they do not make a genuine code look
    copied (a link-preview bot sends HEAD)."""
    code = emitted[8]["marking_code"]
    heads = [api.head("/api/v1/public/verify", params={"code": code}) for _ in range(25)]
    assert {r.status_code for r in heads} == {200}
    body = api.get("/api/v1/public/verify", params={"code": code}).json()
    assert body["authentic"] and "verify.suspicious_scans" not in [w["code"] for w in body["warnings"]]
    with psycopg.connect(prepared_db.owner) as conn:
        scans = conn.execute("SELECT count(*) FROM ops.code_scan WHERE serial = %s", (emitted[8]["serial"],)).fetchone()
        audited = conn.execute("SELECT count(*) FROM ops.audit_log WHERE request_id = ANY(%s)",
                               ([r.headers["x-request-id"] for r in heads],)).fetchone()
    assert scans == (1,) and audited == (25,)


def test_many_scans_raise_a_copy_signal(api, emitted, prepared_db):
    code = emitted[2]["marking_code"]
    for i in range(3):  # three far-apart places within a day
        api.get("/api/v1/public/verify", params={"code": code, "lat": 43.2 + i * 5, "lon": 76.9 + i * 5})
    body = api.get("/api/v1/public/verify", params={"code": code}).json()
    assert "verify.suspicious_scans" in [w["code"] for w in body["warnings"]]
    with psycopg.connect(prepared_db.owner) as conn:
        scans = conn.execute("SELECT count(*) FROM ops.code_scan WHERE serial = %s", (emitted[2]["serial"],)).fetchone()
    assert scans == (4,)


def _image(kind: str, size: tuple[int, int] = (64, 48), mode: str = "RGB") -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new(mode, size, 1 if mode == "1" else (200, 30, 30)).save(out, format=kind)
    return out.getvalue()


def _png_chunks(data: bytes, size: tuple[int, int] = (64, 48)) -> bytes:
    """A PNG of ``size`` (8-bit RGB) whose image data is ``data``, every chunk's checksum right."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", *size, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + (chunk(b"IDAT", data) if data else b"")
            + chunk(b"IEND", b""))


def test_violation_photos_are_read_whole(api, prepared_db):
    """A photo is stored only when it reads as the whole image its header promises; a body just too large for
    its photo is refused by the photo's rule, not by the body limit."""
    english = {"Accept-Language": "en"}
    jpeg, png = _image("JPEG"), _image("PNG")
    for photo in (jpeg, png):
        r = api.post("/api/v1/public/violations", json={"kind": "OTHER", "photo": base64.b64encode(photo).decode()})
        assert r.status_code == 201, r.text
        with psycopg.connect(prepared_db.owner) as conn:
            stored = conn.execute("SELECT photo FROM ops.violation_report WHERE id = %s", (r.json()["id"],)).fetchone()
        assert stored == (photo,)
    fakes = (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, png[: len(png) // 2], jpeg[:40],
             png[:-20] + bytes(20), b"\xff\xd8\xff" + b"not a jpeg" * 10,
             _png_chunks(b""),  # no image data at all (Pillow's verify() raised IndexError: a 500)
             _png_chunks(os.urandom(500)),  # checksums right, the data not a compressed image
             _png_chunks(zlib.compress(bytes(64 * 49 * 3))[:-30]))  # a compressed stream cut short
    for fake in fakes:
        r = api.post("/api/v1/public/violations", json={"kind": "OTHER", "photo": base64.b64encode(fake).decode()},
                     headers=english)
        assert r.status_code == 422, (fake[:20], r.text)
        assert [(e["path"], e["code"]) for e in r.json()["errors"]] == [("photo", "violation.photo_unreadable")]
        assert "cannot be read" in r.json()["errors"][0]["message"]
    for sent in ("data:image/jpeg;base64," + base64.b64encode(jpeg).decode(),  # what apps send, also decoded
                 base64.encodebytes(jpeg).decode(), base64.urlsafe_b64encode(jpeg).decode().rstrip("=")):
        r = api.post("/api/v1/public/violations", json={"kind": "OTHER", "photo": sent})
        assert r.status_code == 201, r.text
        with psycopg.connect(prepared_db.owner) as conn:
            stored = conn.execute("SELECT photo FROM ops.violation_report WHERE id = %s", (r.json()["id"],)).fetchone()
        assert stored == (jpeg,)
    bomb = _image("PNG", (10_000, 7_000), mode="1")  # 70 megapixels of one colour: a few KB
    r = api.post("/api/v1/public/violations", json={"kind": "OTHER", "photo": base64.b64encode(bomb).decode()})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "violation.photo_unreadable", r.text
    big = base64.b64encode(b"\xff\xd8\xff" + bytes(1_600_000)).decode()  # 2.1 MB of base64: over 2 MiB
    r = api.post("/api/v1/public/violations", json={"kind": "OTHER", "photo": big}, headers=english)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "violation.photo_too_large", r.text
    r = api.post("/api/v1/public/violations", json={"kind": "OTHER", "photo": big * 2}, headers=english)
    assert r.status_code == 413 and "3145728" in r.json()["title"], r.text
    assert r.headers["connection"] == "close"  # the unread rest of the body ends this connection


def test_a_code_that_cannot_be_read_is_kept_as_sent_when_that_is_the_report(api, prepared_db):
    scanned = "04780101164394TF&csaNNW1kK0tL"  # a 29-character tobacco pack code: not GS1
    for kind in ("UNREADABLE_CODE", "NOT_AUTHENTIC", "CODE_NOT_FOUND"):
        r = api.post("/api/v1/public/violations", json={"kind": kind, "code": scanned})
        assert r.status_code == 201, r.text
        with psycopg.connect(prepared_db.owner) as conn:
            row = conn.execute("SELECT code, gtin, serial FROM ops.violation_report WHERE id = %s",
                               (r.json()["id"],)).fetchone()
        assert row == (scanned, None, None)
    r = api.post("/api/v1/public/violations", json={"kind": "ALREADY_SOLD", "code": scanned})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "gs1.not_gs1", r.text
    r = api.post("/api/v1/public/violations", json={"kind": "UNREADABLE_CODE", "code": "x" * 3000})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "gs1.code_too_long", r.text


def test_violation_report(api, emitted, prepared_db):
    png = base64.b64encode(_image("PNG")).decode()
    r = api.post("/api/v1/public/violations", json={
        "code": emitted[3]["marking_code"], "kind": "NOT_AUTHENTIC", "comment": "Сомнительный товар",
        "location": {"lat": 43.238, "lon": 76.889, "address": "Алматы"}, "photo": png})
    assert r.status_code == 201, r.text
    with psycopg.connect(prepared_db.owner) as conn:
        kind, serial = conn.execute("SELECT kind, serial FROM ops.violation_report WHERE id = %s",
                                    (r.json()["id"],)).fetchone()
    assert (kind, serial) == ("NOT_AUTHENTIC", emitted[3]["serial"])
    r = api.post("/api/v1/public/violations", json={"kind": "SPACESHIP", "photo": "bm90IGFuIGltYWdl"},
                 headers={"Accept-Language": "ru"})
    assert r.status_code == 422
    assert [(e["path"], e["code"]) for e in r.json()["errors"]] == [
        ("photo", "violation.photo_type"), ("kind", "violation.unknown_kind")]  # every fault, in one answer
    with psycopg.connect(prepared_db.owner) as conn:
        before = conn.execute("SELECT count(*) FROM ops.violation_report").fetchone()
    r = api.post("/api/v1/public/violations", json={"kind": "SPACESHIP", "location": {"lat": 43.2}},
                 headers={"Accept-Language": "kk"})
    assert r.status_code == 422
    assert {(e["path"], e["code"]) for e in r.json()["errors"]} == {
        ("location.lon", "field.required"), ("kind", "violation.unknown_kind")}
    english = {"Accept-Language": "en"}
    r = api.post("/api/v1/public/violations", json={"kind": "OTHER", "comment": "a\u0000b", "photo": "###",
                                                     "location": {"address": "x" * 501}}, headers=english)
    assert r.status_code == 422
    assert {(e["path"], e["code"]) for e in r.json()["errors"]} == {
        ("location.address", "violation.address_too_long"), ("photo", "field.base64")}
    r = api.post("/api/v1/public/violations", json={"kind": "OTHER", "comment": "a\u0000b",
                                                     "location": {"address": "\u0000"}}, headers=english)
    assert r.status_code == 422
    assert [(e["path"], e["code"]) for e in r.json()["errors"]] == [
        ("comment", "field.nul"), ("location.address", "field.nul")]
    assert "U+0000" in r.json()["errors"][0]["message"]
    with psycopg.connect(prepared_db.owner) as conn:
        assert conn.execute("SELECT count(*) FROM ops.violation_report").fetchone() == before
    r = api.post("/api/v1/public/violations", json={"kind": "OTHER", "code": " "})
    assert r.status_code == 201, r.text
    with psycopg.connect(prepared_db.owner) as conn:
        assert conn.execute("SELECT code FROM ops.violation_report WHERE id = %s", (r.json()["id"],)).fetchone() == (
            None,)


def test_code_card_for_the_owner_only(api, emitted, ready):
    code = emitted[4]["marking_code"]
    import urllib.parse

    encoded = urllib.parse.quote(code, safe="")  # GS, '+', '/' and '%' (all legal in a serial) percent-encoded
    r = api.get(f"/api/v1/codes/{encoded}", headers=bearer(ready["a"]))
    assert r.status_code == 200, r.text
    card = r.json()
    assert card["status"] == "EMITTED" and card["owner_bin"] == PARTICIPANT_A
    assert card["history"][0]["event"] == "EMITTED"
    assert card["authentic"] is True  # the tail given is the one issued
    assert card["product"]["gtin"] == GTIN and card["product"]["name_kk"] == "Етік"
    assert card["product"]["product_group"] == card["product_group"] and card["product"]["country"]
    # an inspector reading the card of a code with an altered or half tail is told, as the public is
    forged = code[:-3] + ("A" if code[-3] != "A" else "B") + code[-2:]
    bare = code.split("\x1d91")[0]
    half = code.split("\x1d92")[0]
    for spelling, authentic in ((forged, False), (half, False), (bare, None)):
        r = api.get(f"/api/v1/codes/{urllib.parse.quote(spelling, safe='')}", headers=bearer(ready["a"]))
        assert r.status_code == 200 and r.json()["authentic"] is authentic, (spelling, r.text)
    assert api.get(f"/api/v1/codes/{encoded}", headers=bearer(ready["b"])).status_code == 404
    assert api.get(f"/api/v1/codes/{encoded}").status_code == 401


def test_concurrent_verifications_are_answered_recorded_and_audited_each(api, emitted, prepared_db):
    """Verifications arriving together share one statement (a batch): each still gets its own answer, its own
    scan row and its own audit row, and the audit chain stays intact."""
    import asyncio

    import httpx

    from warehouse.audit import verify_audit_log

    tail = emitted[2]["crypto_tail"]
    forged = emitted[2]["marking_code"][:-len(tail)] + ("A" if tail[0] != "A" else "B") + tail[1:]
    cases = [(e["marking_code"], "genuine") for e in emitted[10:30]] + [(forged, "forged")] * 5 + \
            [(f"01{GTIN}21NEVER{i:08d}", "unknown") for i in range(15)] + [("garbage", "invalid")] * 5
    with psycopg.connect(prepared_db.owner) as conn:
        scans_before = conn.execute("SELECT count(*) FROM ops.code_scan").fetchone()[0]

    async def run() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=str(api.base_url), timeout=20) as client:
            return list(await asyncio.gather(*(
                client.get("/api/v1/public/verify", params={"code": code}) for code, _ in cases)))

    answers = asyncio.run(run())
    for (_, kind), r in zip(cases, answers, strict=True):
        if kind == "invalid":
            assert r.status_code == 422, r.text
            continue
        body = r.json()
        assert r.status_code == 200 and body["found"] == (kind != "unknown"), (kind, body)
        assert body["authentic"] == (kind == "genuine"), (kind, body)
        if kind == "genuine":
            assert body["product"]["gtin"] == GTIN
    request_ids = [r.headers["x-request-id"] for r in answers]
    assert len(set(request_ids)) == len(cases)
    with psycopg.connect(prepared_db.owner) as conn:
        audited = dict(conn.execute("SELECT request_id, status FROM ops.audit_log WHERE request_id = ANY(%s)",
                                    (request_ids,)).fetchall())
        scans_after = conn.execute("SELECT count(*) FROM ops.code_scan").fetchone()[0]
    expected = {rid: (422 if kind == "invalid" else 200) for rid, (_, kind) in zip(request_ids, cases, strict=True)}
    assert audited == expected
    assert scans_after - scans_before == len(cases) - 5  # every valid code's scan, none for unparseable input
    check = verify_audit_log(prepared_db.owner)
    assert check.ok, check.problems[:5]


@pytest.mark.parametrize(("query", "path", "code", "language", "word"), [
    ({}, "code", "field.required", "kk", "code"),
    ({"code": "x", "lat": "north"}, "lat", "field.number", "ru", "числом"),
    ({"code": f"01{GTIN}21ABC", "lat": "95"}, "lat", "field.range", "en", "lat"),
    ({"code": f"01{GTIN}21ABC", "lat": "43.2"}, "lon", "field.required", "en", "lon"),  # a location is a pair
    ({"code": f"01{GTIN}21ABC", "lat": "nan", "lon": "76.9"}, "lat", "field.range", "kk", "lat"),
    ({"code": "0104600000000038211"}, "code", "gs1.check_digit", "en", "check digit"),
])
def test_verification_refusals_name_the_field_and_rule(api, query, path, code, language, word):
    r = api.get("/api/v1/public/verify", params=query, headers={"Accept-Language": language})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.headers["content-language"] == language
    error = r.json()["errors"][0]
    assert (error["path"], error["code"]) == (path, code)
    assert word in error["message"]


def test_one_code_label_as_png_and_svg_decodes_to_the_issued_code(api, emitted, ready):
    """Any spelling of the code gets the symbol of the code as issued (crypto tail included)."""
    import io
    import xml.etree.ElementTree as ET

    import zxingcpp
    from PIL import Image

    issued = emitted[7]["marking_code"]
    bracketed = api.post("/api/v1/codes/parse", json={"code": issued}).json()["bracketed"]
    png = api.get("/api/v1/labels/datamatrix", params={"code": bracketed, "module": 6}, headers=bearer(ready["a"]))
    assert png.status_code == 200, png.text
    assert png.headers["content-type"] == "image/png"
    assert png.headers.get_list("cache-control") == ["no-store"]  # once: the route's own and the gateway's
    (result,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)), text_mode=zxingcpp.TextMode.Plain)
    assert result.symbology_identifier == "]d2"
    assert result.bytes.decode("ascii").removeprefix("\x1d") == issued
    svg = api.get("/api/v1/labels/datamatrix", params={"code": issued, "format": "svg"}, headers=bearer(ready["a"]))
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(svg.content)  # noqa: S314 (our own server's answer, in a test)
    assert root.tag.endswith("svg") and len(root.findall(".//{http://www.w3.org/2000/svg}rect")) + \
        len(root.findall(".//{http://www.w3.org/2000/svg}path")) > 0


@pytest.mark.parametrize(("who", "params", "status", "path"), [
    ("b", {}, 404, "code"),                      # another participant's code: as if unknown
    ("a", {"format": "gif"}, 422, "format"),
    ("a", {"module": "0"}, 422, "module"),
])
def test_one_code_label_refusals(api, emitted, ready, who, params, status, path):
    r = api.get("/api/v1/labels/datamatrix", params={"code": emitted[8]["marking_code"], **params},
                headers=bearer(ready[who]))
    assert r.status_code == status, r.text
    assert r.json()["errors"][0]["path"] == path


def test_simultaneous_submissions_of_one_id_apply_once(api, people, ready):
    """Retries racing their original: one 202, the others the stored answer (same bytes) or 409 (other
    bytes), never a 500."""
    from concurrent.futures import ThreadPoolExecutor

    same = order(people["a"], 3)
    with ThreadPoolExecutor(8) as pool:
        statuses = sorted(pool.map(lambda _: api.post("/api/v1/orders", json=same,
                                                      headers=bearer(ready["a"])).status_code, range(8)))
    assert statuses == [200] * 7 + [202]
    order_id = new_id()
    bodies = [order(people["a"], 3 + i, order_id=order_id) for i in range(6)]
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda b: api.post("/api/v1/orders", json=b, headers=bearer(ready["a"])), bodies))
    assert sorted(a.status_code for a in answers) == [202] + [409] * 5
    assert {a.json()["errors"][0]["code"] for a in answers if a.status_code == 409} == {"document.id_reused"}


def test_an_id_taken_by_another_participant_is_a_conflict(api, people, ready):
    gtin_b = "04600000000046"
    r = api.post("/api/v1/products", headers=bearer(ready["b"]), json={
        "gtin": gtin_b, "product_group": "shoes", "tnved": "6403", "name_kk": "Етік", "name_ru": "Сапоги",
        "manufacturer": "ТОО «Б»", "country": "KZ"})
    assert r.status_code in (201, 409), r.text
    order_id = new_id()
    assert api.post("/api/v1/orders", json=order(people["a"], 4, order_id=order_id),
                    headers=bearer(ready["a"])).status_code == 202
    r = api.post("/api/v1/orders", json=order(people["b"], 4, gtin=gtin_b, order_id=order_id),
                 headers=bearer(ready["b"]))
    assert r.status_code == 409, r.text
    assert r.json()["errors"][0]["code"] == "document.id_reused"
    # and nothing of B's was stored under that id: A still sees its own order
    assert api.get(f"/api/v1/orders/{order_id}", headers=bearer(ready["a"])).json()["quantity"] == 4


def test_code_card_path_keeps_slashes_and_raw_bytes(api, emitted, ready, prepared_db):
    """Routing merges "//" and drops a trailing "/": the card reads the code from the undecoded path, so a
    serial with slashes and a Digital Link (whose "https://" holds "//") are found, in any spelling."""
    import urllib.parse

    db = Database.for_role(prepared_db, "owner", pool_size=1)
    serial, percent = "S//L/", "AB%41"
    with db.session() as session:
        for new in (serial, percent):
            session.execute(text(
                "INSERT INTO ops.marking_code (gtin, serial, order_id, owner_bin, key_id, crypto_tail, status) "
                "SELECT gtin, :serial, order_id, owner_bin, key_id, crypto_tail, status FROM ops.marking_code "
                "WHERE gtin = :gtin AND serial = :other"), {"serial": new, "gtin": GTIN, "other": emitted[5]["serial"]})
    db.dispose()
    spellings = [f"01{GTIN}21{serial}", f"(01){GTIN}(21){serial}",
                 f"https://id.tanba.kz/01/{GTIN}/21/{urllib.parse.quote(serial, safe='')}"]
    for spelling in spellings:
        r = api.get(f"/api/v1/codes/{urllib.parse.quote(spelling, safe='')}", headers=bearer(ready["a"]))
        assert r.status_code == 200, (spelling, r.text)
        assert r.json()["serial"] == serial
    # a Digital Link pasted into the path as it is, not URL-encoded: its own escapes are decoded once
    for wanted in (serial, percent):
        link = f"https://id.tanba.kz/01/{GTIN}/21/{urllib.parse.quote(wanted, safe='')}"
        r = api.get(f"/api/v1/codes/{link}", headers=bearer(ready["a"]))
        assert r.status_code == 200 and r.json()["serial"] == wanted, (link, r.text)
    # a raw FNC1 byte (%E8) where a separator belongs reaches the parser as Latin-1 "è", a leaked FNC1
    code = "%E8".join(urllib.parse.quote(part, safe="") for part in emitted[5]["marking_code"].split("\x1d"))
    r = api.get(f"/api/v1/codes/{code}", headers=bearer(ready["a"]))
    assert r.status_code == 200, r.text
    assert r.json()["serial"] == emitted[5]["serial"]


def test_a_retried_violation_report_is_stored_once(api, emitted, prepared_db):
    """The app's own id makes a retry safe: the same report again is answered with the first answer (200),
    another report under that id is refused (409); copies sent at once store one report."""
    from concurrent.futures import ThreadPoolExecutor

    report = {"id": new_id(), "kind": "OTHER", "code": emitted[6]["marking_code"], "comment": "Нет акцизной марки",
              "location": {"lat": 51.128, "lon": 71.43, "address": "Астана"}}
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: api.post("/api/v1/public/violations", json=report), range(6)))
    assert sorted(a.status_code for a in answers) == [200] * 5 + [201], [a.text for a in answers]
    first = answers[0].json()["received_at"]
    assert {(a.json()["id"], a.json()["received_at"]) for a in answers} == {(report["id"], first)}
    assert sorted(a.json()["stored"] for a in answers) == [False] * 5 + [True]
    r = api.post("/api/v1/public/violations", json={**report, "comment": "другое"}, headers={"Accept-Language": "en"})
    assert r.status_code == 409
    assert [(e["path"], e["code"]) for e in r.json()["errors"]] == [("id", "violation.id_reused")]
    with psycopg.connect(prepared_db.owner) as conn:
        assert conn.execute("SELECT count(*), min(comment) FROM ops.violation_report WHERE id = %s",
                            (report["id"],)).fetchone() == (1, "Нет акцизной марки")
    r = api.post("/api/v1/public/violations", json={"id": "not-a-uuid", "kind": "OTHER"},
                 headers={"Accept-Language": "en"})
    assert r.status_code == 422
    assert [(e["path"], e["code"]) for e in r.json()["errors"]] == [("id", "field.uuid")]


def test_audit_pages_walk_every_row_once_even_when_a_batch_shares_one_time(api, people, emitted):
    """Verifications that arrive together are audited with one time: a page boundary inside such a batch
    must neither skip nor repeat rows (next_cursor orders by time, shard and sequence)."""
    import datetime as dt
    from concurrent.futures import ThreadPoolExecutor

    since = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)).isoformat()
    with ThreadPoolExecutor(16) as pool:
        sent = set(pool.map(lambda i: api.get("/api/v1/public/verify", params={
            "code": emitted[i % len(emitted)]["marking_code"]}).headers["x-request-id"], range(48)))
    operator = bearer(login(api, people["operator"]))
    seen: list[str] = []
    params: dict[str, str | int] = {"action": "public.verify", "since": since, "limit": 7}
    for _ in range(100):
        page = api.get("/api/v1/audit", params=params, headers=operator).json()
        seen += [e["request_id"] for e in page["entries"]]
        if not page["next_cursor"]:
            break
        params["cursor"] = page["next_cursor"]
    assert len(seen) == len(set(seen)) and sent <= set(seen)
    r = api.get("/api/v1/audit", params={"status": 32768}, headers={**operator, "Accept-Language": "en"})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "field.bound", r.text
    r = api.get("/api/v1/audit", params={"cursor": "nonsense"}, headers=operator)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "audit.cursor"


@pytest.mark.parametrize(("raw", "path", "code"), [
    ('{"id": "%s", "gtin": "%s", "quantity": 1, "quantity": 2}', "document", "document.duplicate_key"),
    ('{"id": "%s", "gtin": "%s", "quantity": NaN}', "document", "document.number"),
    ('{"id": "%s", "gtin": "%s", "quantity": 1e400}', "document", "document.number"),
    ('{"id": "%s", "gtin": "%s", "quantity": ' + "9" * 5000 + "}", "document", "document.number"),
    ('{"id": "%s", "gtin": "%s", "quantity": ' + "[" * 5000 + "]" * 5000 + "}", "document", "document.too_deep"),
    ('\ufeff{"id": "%s", "gtin": "%s", "quantity": 1}', "document", "document.encoding"),
    ('{"id": "%s", "gtin": "%s", "quantity": 1', "document", "document.not_json"),
    ('["%s", "%s"]', "document", "document.not_object"),
    ('{"id": "%s", "gtin": "%s", "quantity": 1, "note": "x"}', "document.note", "document.unknown_field"),
])
def test_a_signed_document_has_one_meaning(api, people, ready, raw, path, code):
    """What was signed is refused when JSON readers could disagree on it (a key twice: which value?), and a
    document nested too deep is refused, not a crash."""
    document = (raw % (new_id(), GTIN)).encode()
    body = {"type": "CODE_ORDER", "document": base64.b64encode(document).decode(),
            "signature": base64.b64encode(people["a"].sign_detached(document)).decode()}
    r = api.post("/api/v1/orders", json=body, headers=bearer(ready["a"]))
    assert r.status_code == 422, r.text
    assert [(e["path"], e["code"]) for e in r.json()["errors"]] == [(path, code)]


def test_nested_too_deep_body_is_refused_not_a_crash(api):
    r = api.post("/api/v1/codes/parse", content=b'{"code":' + b"[" * 1000 + b"]" * 1000 + b"}",
                 headers={"Content-Type": "application/json", "Accept-Language": "en"})
    assert r.status_code == 400, r.text
    assert r.json()["errors"][0]["code"] == "body.too_deep"


def test_faults_name_where_they_came_from(api, people, ready):
    a = {**bearer(ready["a"]), "Accept-Language": "en"}
    for body, code in ((b'{"code": "x", }', "body.malformed"), (b"", "body.empty"), (b"  \n", "body.empty"),
                       (b"\xef\xbb\xbf{}", "body.malformed"), (b"[]", "field.type"), (b"null", "field.type")):
        r = api.post("/api/v1/codes/parse", content=body, headers={"Content-Type": "application/json"})
        assert r.status_code == (422 if code == "field.type" else 400), r.text
        assert [(e["path"], e["code"]) for e in r.json()["errors"]] == [("body", code)], body
        assert "data" not in r.text
    r = api.get("/api/v1/reference/%00", headers=a)
    assert r.status_code in (404, 422) and "body" not in [e["path"] for e in r.json()["errors"]], r.text
    r = api.get(f"/api/v1/orders/{new_id()}/labels", params={"offset": "9" * 23}, headers=a)
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "offset", r.text  # checked before the order
    r = api.get("/api/v1/reference/" + "a" * 5000, headers=a)
    assert r.status_code == 404 and len(r.content) < 4000 and "withdrawal_reasons" in r.text
    # a document signed with a revoked certificate, sent in a valid session: the document is refused, not the session
    r = api.post("/api/v1/orders", json=order(people["revoked"], 1), headers=a)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "signature.revoked", r.text


def test_the_nil_uuid_is_no_order_id(api, people, ready, prepared_db):
    """An order's id is its sender's retry key: the nil UUID, what an unset field gives every order alike, is
    refused by name in each language and orders nothing."""
    nil = "00000000-0000-0000-0000-000000000000"
    for language, words in (("en", "reserved"), ("ru", "зарезервирован"), ("kk", "сақталған")):
        r = api.post("/api/v1/orders", json=order(people["a"], 5, order_id=nil),
                     headers={**bearer(ready["a"]), "Accept-Language": language})
        assert r.status_code == 422, r.text
        (error,) = r.json()["errors"]
        assert (error["path"], error["code"]) == ("document.id", "field.uuid_reserved"), r.text
        assert nil in error["message"] and words in error["message"], error["message"]
    with psycopg.connect(prepared_db.owner) as conn:
        assert conn.execute("SELECT count(*) FROM ops.code_order WHERE id = %s", (nil,)).fetchone() == (0,)
    r = api.post("/api/v1/public/violations", json={"id": nil, "kind": "OTHER"}, headers={"Accept-Language": "en"})
    assert r.status_code == 422
    assert [(e["path"], e["code"]) for e in r.json()["errors"]] == [("id", "field.uuid_reserved")], r.text


def test_an_order_id_has_one_spelling(api, people, ready, prepared_db):
    """A signed order's id is the UUID's text form alone: braces, a URN, hyphens elsewhere or non-ASCII digits
    (which Python's UUID reads as the same id) are refused, so one id is never two spellings of a document."""
    base = new_id()
    spellings = ["{" + base, base + "}", "{" + base + "}", "urn:uuid:" + base, base.replace("-", ""),
                 base[:4] + "-" + base[4:8] + base[9:], "１" * 8 + base[8:]]
    for spelling in spellings:
        r = api.post("/api/v1/orders", json=order(people["a"], 5, order_id=spelling),
                     headers={**bearer(ready["a"]), "Accept-Language": "en"})
        assert r.status_code == 422, (spelling, r.text)
        assert [(e["path"], e["code"]) for e in r.json()["errors"]] == [("document.id", "field.uuid")], r.text
    with psycopg.connect(prepared_db.owner) as conn:
        assert conn.execute("SELECT count(*) FROM ops.code_order WHERE id = %s", (base,)).fetchone() == (0,)
    r = api.post("/api/v1/orders", json=order(people["a"], 5, order_id=base.upper()), headers=bearer(ready["a"]))
    assert r.status_code == 202 and r.json()["id"] == base, r.text  # either case: the same id


def test_a_control_character_quoted_back_in_a_message_is_named(api, ready):
    """A NUL or other control byte sent in a code is named as U+XXXX in the message, never written raw."""
    r = api.get(f"/api/v1/codes/01{GTIN}2%00", headers={**bearer(ready["a"]), "Accept-Language": "en"})
    assert r.status_code == 422, r.text
    message = r.json()["errors"][0]["message"]
    assert "U+0000" in message and "\x00" not in message and "\x00" not in r.text.replace("\\u0000", ""), message


@pytest.mark.parametrize(("path", "name"), [
    ("/api/v1/orders/abc", "order_id"), ("/api/v1/orders/12345/codes", "order_id"),
    ("/api/v1/orders/not-a-uuid/labels", "order_id"), ("/api/v1/documents/xyz", "document_id")])
def test_an_id_that_is_no_uuid_is_named_not_answered_as_an_unknown_route(api, ready, path, name):
    r = api.get(path, headers={**bearer(ready["a"]), "Accept-Language": "en"})
    assert r.status_code == 422, r.text
    assert [(e["path"], e["code"]) for e in r.json()["errors"]] == [(name, "field.uuid")]


def test_a_path_that_no_route_takes_is_still_an_unknown_route(api, ready):
    for path in ("/api/v1/orders/abc/nothing", "/api/v1/nothing-here"):
        r = api.get(path, headers=bearer(ready["a"]))
        assert r.status_code == 404 and r.json()["errors"][0]["code"] == "error.route_not_found", (path, r.text)
