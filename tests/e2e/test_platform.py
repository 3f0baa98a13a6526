"""The operator's path: `tanba up` on an embedded database brings up the API and dashboards with demo data,
`tanba stop` stops them, and a second `tanba up` finds the data still there."""

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
TANBA = str(Path(sys.executable).parent / "tanba")


@pytest.fixture
def platform_env(tmp_path):
    env = {
        **os.environ,
        "TANBA_VAR_DIR": str(tmp_path / "var"),
        "TANBA_EMBEDDED_PORT": str(free_port()),
        "TANBA_API_PORT": str(free_port()),
        "TANBA_DASHBOARD_PORT": str(free_port()),
    }
    env.pop("TANBA_DATABASE_URL", None)
    yield env
    subprocess.run([TANBA, "stop"], env=env, cwd=ROOT, capture_output=True, check=False, timeout=120)


def tanba(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([TANBA, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=600,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_up_stop_up_keeps_data(platform_env):
    out = tanba(platform_env, "up")
    assert "pipeline OK" in out and "Tanba is up" in out
    api = f"http://127.0.0.1:{platform_env['TANBA_API_PORT']}"
    dashboards = f"http://127.0.0.1:{platform_env['TANBA_DASHBOARD_PORT']}"
    assert httpx.get(api + "/health").json() == {"status": "ok", "database": "ok"}
    regions = httpx.get(api + "/api/v1/reference/kato_regions", headers={"Accept-Language": "kk"}).json()
    assert len(regions["entries"]) == 20 and regions["label"] == regions["name"]["kk"]
    page = httpx.get(dashboards + "/", timeout=30)
    assert page.status_code == 200 and "_dash-config" in page.text

    # a participant registered through the CLI path survives a restart
    register = Path(platform_env["TANBA_VAR_DIR"]) / "extra.csv"
    register.write_text("bin;name_ru;status;registration_date;kato\n"
                        "200740012347;ТОО «Перезапуск»;ACTIVE;2020-07-01;750000000\n", encoding="utf-8")
    report = tanba(platform_env, "register", "import", str(register), "--lang", "en")
    assert "1 new" in report and "0 rejected" in report

    out = tanba(platform_env, "stop")
    assert "Embedded PostgreSQL stopped." in out
    with pytest.raises(httpx.TransportError):
        httpx.get(api + "/health", timeout=2)

    out = tanba(platform_env, "up", "--no-demo")
    assert "Tanba is up" in out
    status = tanba(platform_env, "status")
    assert "api: running" in status and "database (embedded): running" in status
    regions = httpx.get(api + "/api/v1/reference/kato_regions").json()
    assert len(regions["entries"]) == 20 and regions["version"] == 1  # loaded once, kept, not reloaded
    again = tanba(platform_env, "register", "import", str(register), "--lang", "en")
    assert "0 new" in again and "1 unchanged" in again
