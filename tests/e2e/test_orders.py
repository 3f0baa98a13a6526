"""Code orders over real HTTP: a signed CODE_ORDER, background emission by the worker, streamed download,
and every refusal (other participant's GTIN, quantity out of range, wrong signer, reused id)."""

import base64
import csv
import io
import json

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from api.domain.codes.keys import MasterKey, create_emission_key
from tanba.settings import Settings
from tanba.worker import work_once
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
    db = Database.for_role(prepared_db, "owner", pool_size=1)
    import datetime as dt

    with db.session() as session:
        session.add(create_emission_key(MasterKey.from_base64(MASTER), set(), dt.datetime.now(dt.UTC), None))
    db.dispose()
    settings = Settings(database_url=admin_url, database_name=prepared_db.database, credentials_file=credentials_path,
                        var_dir=tmp_path_factory.mktemp("worker"), master_key=MASTER)
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

    rows = list(csv.DictReader(io.StringIO(api.get(f"/api/v1/orders/{order_id}/codes?format=csv",
                                                   headers=bearer(ready["a"])).text)))
    lines = api.get(f"/api/v1/orders/{order_id}/codes?format=jsonl", headers=bearer(ready["a"])).text.splitlines()
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
])
def test_order_refusals(api, people, ready, kind, status, code):
    body = {
        "other_gtin": lambda: order(people["a"], 10, gtin="4600000000015"),
        "zero": lambda: order(people["a"], 0),
        "too_many": lambda: order(people["a"], 1_000_001),
        "bad_gtin": lambda: order(people["a"], 10, gtin="4600000000038"),
        "wrong_signer": lambda: order(people["b"], 10),
    }[kind]()
    r = api.post("/api/v1/orders", json=body, headers={**bearer(ready["a"]), "Accept-Language": "kk"})
    assert r.status_code == status, r.text
    assert r.json()["errors"][0]["code"] == code
    assert r.json()["errors"][0]["message"] != code


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
