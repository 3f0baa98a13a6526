"""Background services of a local installation (API, dashboards): start, stop and status, by pid file."""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Service:
    name: str
    args: list[str]
    url: str | None  # answered with 2xx once the service is up (None: alive after a moment is enough)

    def pid_file(self, var_dir: Path) -> Path:
        return var_dir / "run" / f"{self.name}.pid"

    def log_file(self, var_dir: Path) -> Path:
        return var_dir / "log" / f"{self.name}.log"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running_pid(service: Service, var_dir: Path) -> int | None:
    path = service.pid_file(var_dir)
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if _alive(pid) else None


def wait_http(url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (our own local URL)
                if 200 <= response.status < 300:
                    return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


def start(service: Service, var_dir: Path, env: dict[str, str], timeout: float = 60) -> int:
    """Start the service in its own session, logging to var/log; returns its pid once it answers."""
    if pid := running_pid(service, var_dir):
        return pid
    service.pid_file(var_dir).parent.mkdir(parents=True, exist_ok=True)
    service.log_file(var_dir).parent.mkdir(parents=True, exist_ok=True)
    log = service.log_file(var_dir).open("ab")
    process = subprocess.Popen(
        service.args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        env=env, start_new_session=True, cwd=str(Path(__file__).resolve().parent.parent),
    )
    service.pid_file(var_dir).write_text(str(process.pid))
    if service.url is None:
        time.sleep(1.5)
        up = process.poll() is None
    else:
        up = wait_http(service.url, timeout)
    if not up:
        stop(service, var_dir)
        tail = service.log_file(var_dir).read_text(errors="replace").splitlines()[-15:]
        raise RuntimeError(f"{service.name} did not start (waited for {service.url or 'the process'}); "
                           f"last lines of {service.log_file(var_dir)}:\n  " + "\n  ".join(tail))
    return process.pid


def stop(service: Service, var_dir: Path, timeout: float = 20) -> bool:
    pid = running_pid(service, var_dir)
    service.pid_file(var_dir).unlink(missing_ok=True)
    if pid is None:
        return False
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.1)
    if _alive(pid):
        os.killpg(pid, signal.SIGKILL)
    return True


def python_tool(name: str) -> str:
    """A console script installed beside the running interpreter (the project's virtual environment)."""
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name
