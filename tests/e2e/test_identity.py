"""Identity over real HTTP with real certificates: login and every refusal, sessions, roles, tenant
isolation on every participant-scoped route, registration, and the audit trail of all of it."""

import base64
import uuid

import httpx
import psycopg
import pytest

from tests.e2e.conftest import serve, service_env
from tests.e2e.identity_support import (
    PARTICIPANT_A,
    PARTICIPANT_B,
    bearer,
    challenge,
    crl_env,
    envelope,
    login,
    new_id,
    token_request,
)


def audit_rows(urls, request_id: str) -> list[tuple]:
    with psycopg.connect(urls.owner) as conn:
        return conn.execute("SELECT status, action, actor_bin, client_ip FROM ops.audit_log WHERE request_id = %s",
                            (request_id,)).fetchall()


# --- login ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["a", "a_ec"])
def test_valid_login_rsa_and_ecdsa(api, people, prepared_db, who):
    c = challenge(api)
    r = token_request(api, c["id"], people[who].sign_attached(c["data"].encode()))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0
    assert body["participant"]["bin"] == PARTICIPANT_A and body["participant"]["roles"] == ["participant"]
    assert body["participant"]["iin"] == people[who].iin
    rows = audit_rows(prepared_db, r.headers["x-request-id"])
    assert [(s, a, b) for s, a, b, _ in rows] == [(200, "auth.token", PARTICIPANT_A)]
    card = api.get(f"/api/v1/participants/{PARTICIPANT_A}", headers=bearer(body["access_token"]))
    assert card.status_code == 200 and card.json()["bin"] == PARTICIPANT_A


REFUSALS = [
    ("self_signed", "signature.untrusted"),
    ("expired", "signature.expired"),
    ("not_yet", "signature.not_yet_valid"),
    ("revoked", "signature.revoked"),
    ("wrong_usage", "signature.key_usage"),
    ("no_client_auth", "signature.key_usage"),
    ("unknown_ca", "signature.untrusted"),
]


@pytest.mark.parametrize(("who", "reason"), REFUSALS)
def test_bad_certificates_are_refused_with_reason_and_audited(api, people, prepared_db, who, reason):
    c = challenge(api)
    r = token_request(api, c["id"], people[who].sign_attached(c["data"].encode()))
    assert r.status_code == 401, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["code"] == reason
    assert r.headers["www-authenticate"].startswith("Bearer")
    (status, action, _, _), = audit_rows(prepared_db, r.headers["x-request-id"])
    assert status == 401 and reason in action
    # the challenge is spent by the refused attempt
    again = token_request(api, c["id"], people["a"].sign_attached(c["data"].encode()))
    assert again.status_code == 401 and again.json()["errors"][0]["code"] == "auth.challenge_used"


def test_replayed_challenge_is_refused(api, people):
    c = challenge(api)
    signature = people["a"].sign_attached(c["data"].encode())
    assert token_request(api, c["id"], signature).status_code == 200
    r = token_request(api, c["id"], signature)
    assert r.status_code == 401 and r.json()["errors"][0]["code"] == "auth.challenge_used"


def test_expired_challenge_is_refused(api, people, prepared_db):
    c = challenge(api)
    with psycopg.connect(prepared_db.owner) as conn:
        conn.execute("UPDATE ops.auth_challenge SET expires_at = now() - interval '1 second' WHERE id = %s",
                     (c["id"],))
    r = token_request(api, c["id"], people["a"].sign_attached(c["data"].encode()))
    assert r.status_code == 401 and r.json()["errors"][0]["code"] == "auth.challenge_expired"


def test_unknown_challenge_is_refused(api, people):
    r = token_request(api, str(uuid.uuid4()), people["a"].sign_attached(b"anything"))
    assert r.status_code == 401 and r.json()["errors"][0]["code"] == "auth.challenge_unknown"


def test_signature_over_other_data_is_refused(api, people, prepared_db):
    c = challenge(api)
    r = token_request(api, c["id"], people["a"].sign_attached(b"some other data"))
    assert r.status_code == 401 and r.json()["errors"][0]["code"] == "signature.content_mismatch"
    assert audit_rows(prepared_db, r.headers["x-request-id"])[0][0] == 401


def test_tampered_signature_is_refused(api, people):
    c = challenge(api)
    signature = bytearray(people["a"].sign_attached(c["data"].encode()))
    signature[-5] ^= 0xFF  # inside the signature value at the end of the structure
    r = token_request(api, c["id"], bytes(signature))
    assert r.status_code == 401
    assert r.json()["errors"][0]["code"] in {"signature.invalid", "signature.malformed"}


def test_garbage_instead_of_cms_is_refused(api):
    c = challenge(api)
    r = token_request(api, c["id"], b"not a signature at all")
    assert r.status_code == 401 and r.json()["errors"][0]["code"] == "signature.malformed"
    r = api.post("/api/v1/auth/token", json={"id": c["id"], "signature": "%%%"})
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "signature"


def test_pending_participant_cannot_sign_in(api, people):
    c = challenge(api)
    r = token_request(api, c["id"], people["pending"].sign_attached(c["data"].encode()))
    assert r.status_code == 401 and r.json()["errors"][0]["code"] == "auth.participant_inactive"


def test_localized_refusal(api, people):
    c = challenge(api)
    r = api.post("/api/v1/auth/token", headers={"Accept-Language": "kk"}, json={
        "id": c["id"], "signature": base64.b64encode(people["expired"].sign_attached(c["data"].encode())).decode()})
    assert r.json()["errors"][0]["message"] == "Сертификаттың қолданылу мерзімі өтті"


def test_bad_bin_in_a_route_is_named_in_the_callers_language(api, people):
    token = login(api, people["a"])
    bad = PARTICIPANT_A[:-1] + str((int(PARTICIPANT_A[-1]) + 1) % 10)
    r = api.get(f"/api/v1/participants/{bad}", headers={**bearer(token), "Accept-Language": "kk"})
    assert r.status_code == 422
    error = r.json()["errors"][0]
    assert error["code"] == "bin.check_digit" and error["path"] == "bin"
    assert "бақылау цифры қате" in error["message"]
    r = api.get("/api/v1/participants/123", headers={**bearer(token), "Accept-Language": "en"})
    assert r.json()["errors"][0]["message"] == "BIN/IIN must have 12 digits; “123” has 3"


# --- sessions -------------------------------------------------------------------------------------------------
def test_logout_ends_the_session(api, people):
    token = login(api, people["a"])
    assert api.post("/api/v1/auth/logout", headers=bearer(token)).status_code == 204
    r = api.get(f"/api/v1/participants/{PARTICIPANT_A}", headers=bearer(token))
    assert r.status_code == 401 and r.json()["errors"][0]["code"] == "auth.session_revoked"


def test_idle_and_absolute_expiry(api, people, prepared_db):
    idle, absolute = login(api, people["a"]), login(api, people["a"])
    with psycopg.connect(prepared_db.owner) as conn:
        conn.execute("UPDATE ops.auth_session SET last_seen_at = now() - interval '2 hours' "
                     "WHERE token_hash = sha256(convert_to(%s, 'UTF8'))", (idle,))
        conn.execute("UPDATE ops.auth_session SET expires_at = now() - interval '1 second' "
                     "WHERE token_hash = sha256(convert_to(%s, 'UTF8'))", (absolute,))
    r = api.get(f"/api/v1/participants/{PARTICIPANT_A}", headers=bearer(idle))
    assert r.status_code == 401 and r.json()["errors"][0]["code"] == "auth.session_idle"
    r = api.get(f"/api/v1/participants/{PARTICIPANT_A}", headers=bearer(absolute))
    assert r.status_code == 401 and r.json()["errors"][0]["code"] == "auth.session_expired"


def test_revoking_all_sessions_of_a_participant(api, people):
    first, second = login(api, people["b"]), login(api, people["b"])
    operator = login(api, people["operator"])
    r = api.post(f"/api/v1/auth/participants/{PARTICIPANT_B}/sessions/revoke", headers=bearer(operator))
    assert r.status_code == 200 and r.json()["revoked"] >= 2
    for token in (first, second):
        assert api.get(f"/api/v1/participants/{PARTICIPANT_B}", headers=bearer(token)).status_code == 401


def test_garbage_tokens(api):
    for header in ({"Authorization": "Bearer nonsense"}, {"Authorization": "Basic dXNlcjpwYXNz"}):
        r = api.get(f"/api/v1/participants/{PARTICIPANT_A}", headers=header)
        assert r.status_code == 401
        assert r.json()["errors"][0]["code"] in {"auth.token_unknown", "auth.scheme"}



def test_a_token_not_accepted_is_refused_on_public_routes_too(api, people, prepared_db):
    """RFC 6750 3.1: an inspector whose session ended is told so, not answered and audited as the public;
    signing in again with the old token still attached works, and so do health and the documentation."""
    token = login(api, people["a"])
    assert api.post("/api/v1/auth/logout", headers=bearer(token)).status_code == 204
    stale = {**bearer(token), "Accept-Language": "en"}
    for method, path, body in (("GET", "/api/v1/public/verify?code=x", None), ("GET", "/api/v1/reference", None),
                               ("HEAD", "/api/v1/public/verify?code=x", None),
                               ("POST", "/api/v1/codes/parse", {"code": "x"}), ("GET", "/no/such/route", None),
                               ("POST", "/api/v1/auth/logout", None), ("GET", "/api/v1/auth/nothing", None)):
        r = api.request(method, path, json=body, headers=stale)
        assert r.status_code == 401, (path, r.text)
        assert 'error="invalid_token"' in r.headers["www-authenticate"], path
        if method != "HEAD":
            assert r.json()["errors"][0]["code"] == "auth.session_revoked", path
            assert audit_rows(prepared_db, r.headers["x-request-id"])[0][0] == 401, path
    for header, code, error in (({"Authorization": "Bearer nonsense"}, "auth.token_unknown", True),
                                ({"Authorization": "Basic dXNlcjpwYXNz"}, "auth.scheme", False)):
        r = api.get("/api/v1/public/keys", headers=header)
        assert r.status_code == 401 and r.json()["errors"][0]["code"] == code
        assert ('error="invalid_token"' in r.headers["www-authenticate"]) is error  # RFC 6750 3: not for Basic
    assert api.get("/health", headers=stale).status_code == 200
    c = api.get("/api/v1/auth/challenge", headers=stale).json()  # signing in again, the old token still sent
    signature = base64.b64encode(people["a"].sign_attached(c["data"].encode())).decode()
    r = api.post("/api/v1/auth/token", json={"id": c["id"], "signature": signature}, headers=stale)
    assert r.status_code == 200 and r.json()["access_token"] != token, r.text


# --- roles and tenants ----------------------------------------------------------------------------------------
def test_roles_gate_routes(api, people):
    participant = login(api, people["a"])
    operator = login(api, people["operator"])
    authority = login(api, people["authority"])
    assert api.get("/api/v1/audit").status_code == 401
    r = api.get("/api/v1/audit", headers=bearer(participant))
    assert r.status_code == 403 and r.json()["errors"][0]["code"] == "auth.role_required"
    assert api.get("/api/v1/audit?limit=5", headers=bearer(operator)).status_code == 200
    assert api.get("/api/v1/audit?limit=5", headers=bearer(authority)).status_code == 200
    # authorities read any participant (their reads are audited like every request)
    r = api.get(f"/api/v1/participants/{PARTICIPANT_B}", headers=bearer(authority))
    assert r.status_code == 200 and r.json()["bin"] == PARTICIPANT_B


def test_participants_cannot_see_or_change_each_others_rows(api, people, prepared_db):
    a, b = login(api, people["a"]), login(api, people["b"])
    # every participant-scoped route, tried with the other participant's ids
    r = api.get(f"/api/v1/participants/{PARTICIPANT_B}", headers=bearer(a))
    assert r.status_code == 404
    r = api.post(f"/api/v1/auth/participants/{PARTICIPANT_B}/sessions/revoke", headers=bearer(a))
    assert r.status_code == 403
    assert api.get(f"/api/v1/participants/{PARTICIPANT_B}", headers=bearer(b)).status_code == 200  # b unharmed
    with psycopg.connect(prepared_db.owner) as conn:
        app_id = conn.execute("INSERT INTO ops.participant_application (id, owner_bin, requested_types, document, "
                              "signature, signer_iin, signer_certificate_sha256, status) VALUES (gen_random_uuid(), "
                              "%s, '{RETAILER}', '\\x00', '\\x00', %s, repeat('0', 64), 'PENDING') RETURNING id",
                              (PARTICIPANT_B, people["b"].iin)).fetchone()[0]
    assert api.get(f"/api/v1/participants/applications/{app_id}", headers=bearer(a)).status_code == 404
    assert api.get(f"/api/v1/participants/applications/{app_id}", headers=bearer(b)).status_code == 200
    assert api.post(f"/api/v1/participants/applications/{app_id}/decision", headers=bearer(a),
                    json={"approve": True}).status_code == 403


# --- registration -----------------------------------------------------------------------------------------------
def test_registration_by_signed_application_and_operator_approval(api, people):
    doc = {"id": new_id(), "bin": "200740012347", "types": ["RETAILER", "WHOLESALER"]}
    body = envelope(people["newcomer"], doc)
    r = api.post("/api/v1/participants/applications", json=body)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "PENDING"
    assert api.post("/api/v1/participants/applications", json=body).status_code == 200  # the same again
    other = envelope(people["newcomer"], {**doc, "types": ["RETAILER"]})
    r = api.post("/api/v1/participants/applications", json=other)
    assert r.status_code == 409 and r.json()["errors"][0]["code"] == "document.id_reused"
    # not a participant yet: no sign-in
    c = challenge(api)
    r = token_request(api, c["id"], people["newcomer"].sign_attached(c["data"].encode()))
    assert r.status_code == 401 and r.json()["errors"][0]["code"] == "auth.not_registered"
    operator = login(api, people["operator"])
    pending = api.get("/api/v1/participants/applications?status=PENDING", headers=bearer(operator)).json()
    assert doc["id"] in [p["id"] for p in pending]
    r = api.post(f"/api/v1/participants/applications/{doc['id']}/decision", headers=bearer(operator),
                 json={"approve": True, "types": ["RETAILER"]})
    assert r.status_code == 200 and r.json()["status"] == "APPROVED" and r.json()["approved_types"] == ["RETAILER"]
    token = login(api, people["newcomer"])
    card = api.get("/api/v1/participants/200740012347", headers=bearer(token)).json()
    assert card["state"] == "ACTIVE" and card["types"] == ["RETAILER"]


@pytest.mark.parametrize(
    ("who", "bin_", "status", "code"),
    [
        ("stranger", "210340012344", 422, "registration.unknown_bin"),
        ("liquidated", "090640012348", 422, "registration.inactive_bin"),
        ("a", PARTICIPANT_B, 403, "registration.bin_mismatch"),
        ("expired", PARTICIPANT_A, 401, "signature.expired"),
    ],
)
def test_registration_refusals(api, people, prepared_db, who, bin_, status, code):
    r = api.post("/api/v1/participants/applications", headers={"Accept-Language": "ru"},
                 json=envelope(people[who], {"id": new_id(), "bin": bin_, "types": ["RETAILER"]}))
    assert r.status_code == status, r.text
    assert r.json()["errors"][0]["code"] == code
    assert r.json()["errors"][0]["message"]
    assert audit_rows(prepared_db, r.headers["x-request-id"])[0][0] == status


def test_application_format_errors_are_all_named(api, people):
    r = api.post("/api/v1/participants/applications", json=envelope(
        people["a"], {"id": "not-a-uuid", "bin": "123", "types": []}, doc_type="WRONG"))
    assert r.status_code == 422
    paths = {e["path"] for e in r.json()["errors"]}
    assert paths == {"type", "document.id", "document.bin", "document.types"}
    r = api.post("/api/v1/participants/applications", json=envelope(
        people["newcomer"], {"id": new_id(), "bin": "200740012347", "types": ["RETAILER", "WHOLESALER", "RETAILER"]}))
    assert r.status_code == 422
    assert [(e["path"], e["index"], e["code"]) for e in r.json()["errors"]] == [
        ("document.types", 2, "registration.duplicate_type")]


# --- audit trail and transport ----------------------------------------------------------------------------------
def test_every_request_is_audited_with_ip_and_searchable(api, people, prepared_db):
    r = api.get("/api/v1/nothing-here", headers={"X-Forwarded-For": "203.0.113.9"})
    assert r.status_code == 404
    ((status, _, actor, ip),) = audit_rows(prepared_db, r.headers["x-request-id"])
    assert status == 404 and actor is None and ip == "127.0.0.1"  # no trusted proxy: the socket address
    operator = login(api, people["operator"])
    page = api.get("/api/v1/audit?status=401&limit=500", headers=bearer(operator)).json()
    assert page["entries"] and all(e["status"] == 401 for e in page["entries"])
    assert {"at", "actor_bin", "actor_iin", "role", "client_ip", "method", "route", "action"} <= set(
        page["entries"][0])


def test_security_headers_and_no_internals(api):
    r = api.get("/api/v1/reference")
    for header in ("x-content-type-options", "x-frame-options", "content-security-policy", "x-request-id"):
        assert header in r.headers
    r = api.post("/api/v1/auth/token", content=b"{broken", headers={"Content-Type": "application/json"})
    assert r.status_code in (400, 422)
    assert "Traceback" not in r.text and "msgspec" not in r.text


def test_request_size_limit(api):
    r = api.post("/api/v1/participants/applications", content=b"x" * (3 * 1024 * 1024),
                 headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert r.json()["status"] == 413


def test_login_rate_limit(prepared_db, admin_url, credentials_path, tmp_path, ca):
    env = {**service_env(admin_url, prepared_db.database, credentials_path, tmp_path), **crl_env(ca),
           "TANBA_RATE_LIMIT_LOGIN_PER_MINUTE": "5", "TANBA_RATE_LIMIT_PUBLIC_PER_MINUTE": "3"}
    process, base = serve("api.serve:application", "asgi", env, "/health")
    try:
        with httpx.Client(base_url=base, timeout=10) as client:
            statuses = [client.get("/api/v1/auth/challenge").status_code for _ in range(7)]
            assert statuses[:5] == [200] * 5 and statuses[5:] == [429, 429]
            r = client.get("/api/v1/auth/challenge", headers={"Accept-Language": "en"})
            assert int(r.headers["retry-after"]) > 0
            assert r.json()["title"].startswith("Too many requests")
            # the public verification route (answered by the gateway itself) counts the same way, per route
            verify = [client.get("/api/v1/public/verify", params={"code": "x"}) for _ in range(4)]
            assert [v.status_code for v in verify] == [422, 422, 422, 429]
            assert int(verify[-1].headers["retry-after"]) > 0 and verify[-1].json()["status"] == 429
            assert client.get("/api/v1/public/keys").status_code == 200
    finally:
        process.terminate()
        process.wait(10)


# --- sessions end with their certificate or role --------------------------------------------------------------
def test_a_session_ends_when_a_crl_revokes_its_certificate(prepared_db, admin_url, credentials_path, ca,
                                                           tmp_path_factory):
    """A token is as good as its certificate: once a loaded CRL names it, every request is refused (401),
    even though the session itself has not expired."""
    import time

    from tests.e2e.identity_support import person

    holder = person(ca, 21, PARTICIPANT_A)
    env = {**service_env(admin_url, prepared_db.database, credentials_path, tmp_path_factory.mktemp("var")),
           **crl_env(ca), "TANBA_CRL_REFRESH_SECONDS": "1"}
    process, base = serve("api.serve:application", "asgi", env, "/health")
    try:
        with httpx.Client(base_url=base, timeout=20) as api:
            token = login(api, holder)
            assert api.get(f"/api/v1/participants/{PARTICIPANT_A}", headers=bearer(token)).status_code == 200
            ca.revoke(holder.issued.certificate.serial_number)
            ca.crl()
            for _ in range(50):  # the API reloads its CRLs every second here
                r = api.get(f"/api/v1/participants/{PARTICIPANT_A}", headers=bearer(token))
                if r.status_code != 200:
                    break
                time.sleep(0.2)
            assert r.status_code == 401, r.text
            assert r.json()["errors"][0]["code"] == "auth.certificate_revoked"
    finally:
        process.terminate()
        process.wait(10)


def test_revoking_a_role_ends_the_sessions_that_carry_it(api, people, prepared_db, admin_url, credentials_path,
                                                         tmp_path):
    import subprocess
    import sys

    from tests.e2e.identity_support import AUTHORITY_BIN

    authority = login(api, people["authority"])
    assert api.get("/api/v1/audit?limit=1", headers=bearer(authority)).status_code == 200
    env = service_env(admin_url, prepared_db.database, credentials_path, tmp_path)

    def roles(*extra: str) -> str:
        done = subprocess.run([sys.executable, "-m", "tanba.cli", "roles", "grant", "--bin", AUTHORITY_BIN,
                               "--role", "authority", *extra], env=env, capture_output=True, text=True, timeout=60,
                              check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout + done.stderr

    import re

    assert re.search(r"ended [1-9]\d* session", roles("--revoke"))
    try:
        r = api.get("/api/v1/audit?limit=1", headers=bearer(authority))
        assert r.status_code == 401 and r.json()["errors"][0]["code"] == "auth.session_revoked"
    finally:
        roles()  # the other tests' authority again
    assert api.get("/api/v1/audit?limit=1", headers=bearer(login(api, people["authority"]))).status_code == 200


def test_head_answers_like_get_without_a_body(api):
    for path in ("/health", "/api/v1/reference", "/api/v1/public/keys"):
        got, head = api.get(path), api.head(path)
        assert head.status_code == got.status_code == 200, path
        assert head.content == b"" and head.headers["content-type"] == got.headers["content-type"]
        assert head.headers["content-length"] == got.headers["content-length"]
    assert api.head("/api/v1/nothing-here").status_code == 404


def test_an_overlong_unknown_path_is_audited_clipped(api, prepared_db):
    r = api.get("/zz" + "a" * 8000)
    assert r.status_code == 404
    with psycopg.connect(prepared_db.owner) as conn:
        (route,) = conn.execute("SELECT route FROM ops.audit_log WHERE request_id = %s",
                                (r.headers["x-request-id"],)).fetchone()
    assert len(route) == 512 and route.startswith("/zzaaa") and route.endswith("…")


@pytest.mark.parametrize(("path", "who", "field", "code"), [
    ("/api/v1/audit?actor_bin=abc", "operator", "actor_bin", "field.pattern"),
    ("/api/v1/participants/applications?status=WHATEVER", "operator", "status", "field.choice"),
])
def test_parameters_are_checked_not_matched_to_nothing(api, people, path, who, field, code):
    r = api.get(path, headers={**bearer(login(api, people[who])), "Accept-Language": "en"})
    assert r.status_code == 422, r.text
    assert [(e["path"], e["code"]) for e in r.json()["errors"]] == [(field, code)]
    assert "`" not in r.json()["errors"][0]["message"]
    operator = bearer(login(api, people["operator"]))
    r = api.post("/api/v1/auth/participants/abc/sessions/revoke", headers=operator)
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "bin"


def test_one_application_under_review_per_bin_and_no_empty_approval(api, people, prepared_db, ca):
    from tests.e2e.identity_support import demo_bin, person

    bin_ = demo_bin("20074001235")
    with psycopg.connect(prepared_db.api) as conn:
        conn.execute("SELECT set_config('tanba.role', 'operator', false)")
        conn.execute("INSERT INTO ops.business_register_entry (bin, name_ru, status, registration_date, kato, "
                     "import_id) SELECT %s, 'ТОО «Второй»', 'ACTIVE', '2021-01-01', '750000000', id "
                     "FROM ops.register_import LIMIT 1", (bin_,))
    applicant = person(ca, 31, bin_, "ТОО «Второй»")
    r = api.post("/api/v1/participants/applications",
                 json=envelope(applicant, {"id": new_id(), "bin": bin_, "types": ["RETAILER"], "extra": "x"}))
    assert r.status_code == 422 and [(e["path"], e["code"]) for e in r.json()["errors"]] == [
        ("document.extra", "document.unknown_field")]
    first = api.post("/api/v1/participants/applications",
                     json=envelope(applicant, {"id": new_id(), "bin": bin_, "types": ["RETAILER"]}))
    assert first.status_code == 201, first.text
    r = api.post("/api/v1/participants/applications",
                 json=envelope(applicant, {"id": new_id(), "bin": bin_, "types": ["WHOLESALER"]}))
    assert r.status_code == 409 and r.json()["errors"][0]["code"] == "registration.pending_exists"
    operator = bearer(login(api, people["operator"]))
    decide = f"/api/v1/participants/applications/{first.json()['id']}/decision"
    for types, code in (([], "registration.types"), (["RETAILER", "RETAILER"], "registration.duplicate_type")):
        r = api.post(decide, headers=operator, json={"approve": True, "types": types})
        assert r.status_code == 422 and r.json()["errors"][0]["code"] == code, r.text
    assert api.get(f"/api/v1/participants/applications/{first.json()['id']}",
                   headers=operator).json()["status"] == "PENDING"  # refused decisions changed nothing


def test_requests_where_no_route_lives_are_rate_limited(prepared_db, admin_url, credentials_path, ca,
                                                        tmp_path_factory):
    env = {**service_env(admin_url, prepared_db.database, credentials_path, tmp_path_factory.mktemp("var")),
           **crl_env(ca), "TANBA_RATE_LIMIT_PUBLIC_PER_MINUTE": "5"}
    process, base = serve("api.serve:application", "asgi", env, "/health")
    try:
        with httpx.Client(base_url=base, timeout=20) as api:
            statuses = [api.get(f"/zz{i}").status_code for i in range(7)]
            assert statuses == [404] * 5 + [429] * 2
            r = api.get("/zz-more", headers={"Accept-Language": "en"})
            assert r.status_code == 429 and "retry-after" in r.headers
            assert r.headers["content-type"].startswith("application/problem+json")
            assert api.get("/health").status_code == 200  # service routes are not counted
    finally:
        process.terminate()
        process.wait(10)
