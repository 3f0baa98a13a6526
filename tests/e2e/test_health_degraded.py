"""With its database unreachable the API still answers: /health says 503, other routes a clean problem."""

import httpx

from tests.e2e.conftest import free_port, serve, service_env


def test_health_is_503_and_errors_stay_clean_when_the_database_is_down(tmp_path, credentials_path):
    dead = f"postgresql://postgres:x@127.0.0.1:{free_port()}/postgres"
    env = service_env(dead, "tanba", credentials_path, tmp_path)
    process, base = serve("api.serve:application", "asgi", env, "/health")
    try:
        r = httpx.get(base + "/health", timeout=15)
        assert r.status_code == 503
        assert r.json() == {"status": "degraded", "database": "unreachable"}
        r = httpx.get(base + "/api/v1/reference", headers={"Accept-Language": "en"}, timeout=15)
        assert r.status_code == 503
        body = r.json()
        assert body["title"] == "The database is unreachable"
        assert body["request_id"] and "Traceback" not in r.text and "psycopg" not in r.text
        # the public verification route, answered by the gateway itself, fails the same clean way
        r = httpx.get(base + "/api/v1/public/verify", params={"code": "010460000000003921ABC"},
                      headers={"Accept-Language": "kk"}, timeout=30)
        assert r.status_code == 503 and r.headers["retry-after"] == "5"
        assert r.json()["status"] == 503 and "Traceback" not in r.text and "psycopg" not in r.text
    finally:
        process.terminate()
        process.wait(10)
