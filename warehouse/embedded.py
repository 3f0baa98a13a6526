"""An embedded PostgreSQL cluster under the project's data folder, for when no database URL is configured.

PostgreSQL refuses to run as root; when started by root the server runs as an unprivileged system
user (``postgres`` when it exists, else ``tanba-pg``, created on demand) that owns the data folder.
"""

import glob
import os
import pwd
import secrets
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


class EmbeddedPostgresError(RuntimeError):
    """The embedded cluster could not be found, created, started or stopped; the message says why."""


def find_bindir() -> Path:
    """The folder of PostgreSQL server binaries: TANBA_PG_BINDIR, pg_config, Debian's layout, or a wheel."""
    candidates: list[Path] = []
    if env := os.environ.get("TANBA_PG_BINDIR"):
        candidates.append(Path(env))
    if pg_config := shutil.which("pg_config"):
        try:
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=True)
            candidates.append(Path(out.stdout.strip()))
        except (OSError, subprocess.CalledProcessError):
            pass
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    if postgres := shutil.which("postgres"):
        candidates.append(Path(postgres).parent)
    try:  # PostgreSQL bundled in a wheel (the optional "bundled-postgres" extra)
        import pgserver

        candidates.append(Path(pgserver.__file__).parent / "pginstall" / "bin")
    except ImportError:
        pass
    for c in candidates:
        if (c / "initdb").exists() and (c / "pg_ctl").exists() and (c / "postgres").exists():
            return c
    raise EmbeddedPostgresError(
        "No PostgreSQL server binaries found (initdb, pg_ctl, postgres). Install the PostgreSQL server "
        "(e.g. apt-get install postgresql), set TANBA_PG_BINDIR to its bin folder, install the "
        "'bundled-postgres' extra, or set TANBA_DATABASE_URL to an existing server."
    )


def _service_user() -> str | None:
    """The unprivileged user to run the server as, or None when we are not root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "tanba-pg"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    try:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "tanba-pg"],
            check=True, capture_output=True,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        raise EmbeddedPostgresError(
            "Running as root and no 'postgres' user exists; creating the system user 'tanba-pg' failed: "
            f"{exc}. Create an unprivileged user for PostgreSQL or run Tanba as a normal user."
        ) from exc
    return "tanba-pg"


@dataclass
class EmbeddedPostgres:
    """One PostgreSQL cluster in ``data_dir`` listening on 127.0.0.1:``port`` (and a socket in run/)."""

    root: Path
    port: int

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "run"

    @property
    def log_file(self) -> Path:
        return self.root / "server.log"

    @property
    def superuser_password_file(self) -> Path:
        return self.root / "superuser.password"

    def superuser_url(self, database: str = "postgres") -> str:
        password = self.superuser_password_file.read_text().strip()
        return f"postgresql://postgres:{password}@127.0.0.1:{self.port}/{database}"

    # -- running commands as the service user ---------------------------------------------------
    def _run(self, args: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
        user = _service_user()
        cmd = ["runuser", "-u", user, "--", *args] if user else args
        result = subprocess.run(cmd, capture_output=True, text=True, cwd="/", check=False)
        if check and result.returncode != 0:
            raise EmbeddedPostgresError(
                f"{Path(args[0]).name} failed (exit {result.returncode}): "
                f"{(result.stderr or result.stdout).strip()[-2000:]}"
            )
        return result

    def _prepare_folders(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        user = _service_user()
        if user:
            entry = pwd.getpwnam(user)
            for path in (self.root, self.socket_dir):
                os.chown(path, entry.pw_uid, entry.pw_gid)
            if self.data_dir.exists():
                os.chown(self.data_dir, entry.pw_uid, entry.pw_gid)
            # the server must be able to reach its folder: make the parents traversable
            parent = self.root.parent
            while parent != parent.parent:
                mode = parent.stat().st_mode
                if not mode & 0o001:
                    os.chmod(parent, mode | 0o001)
                parent = parent.parent

    # -- lifecycle --------------------------------------------------------------------------------
    @property
    def initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def init(self) -> bool:
        """Create the cluster if it does not exist. Returns True when it was created now."""
        if self.initialised:
            return False
        bindir = find_bindir()
        self._prepare_folders()
        password = secrets.token_urlsafe(24)
        pwfile = self.root / ".initdb-pw"
        pwfile.write_text(password + "\n")
        user = _service_user()
        if user:
            entry = pwd.getpwnam(user)
            os.chown(pwfile, entry.pw_uid, entry.pw_gid)
        os.chmod(pwfile, 0o600)
        try:
            self._run([
                str(bindir / "initdb"), "-D", str(self.data_dir), "-U", "postgres", "-E", "UTF8",
                "--locale=C.UTF-8", "--auth-local=scram-sha-256", "--auth-host=scram-sha-256",
                f"--pwfile={pwfile}",
            ])
        finally:
            pwfile.unlink(missing_ok=True)
        self.superuser_password_file.write_text(password + "\n")
        os.chmod(self.superuser_password_file, 0o600)
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.write(
                "\n# Tanba embedded cluster\n"
                f"listen_addresses = '127.0.0.1'\nport = {self.port}\n"
                f"unix_socket_directories = '{self.socket_dir}'\n"
                "max_connections = 200\nshared_buffers = 256MB\n"
                "logging_collector = off\n"
            )
        return True

    def is_running(self) -> bool:
        """Whether the postmaster named in postmaster.pid is alive (read directly: no permission games)."""
        try:
            pid = int((self.data_dir / "postmaster.pid").read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        cmdline = Path(f"/proc/{pid}/cmdline")
        return not cmdline.exists() or b"postgres" in cmdline.read_bytes()

    def start(self) -> None:
        """Create (if needed) and start the cluster; a no-op when it already runs."""
        self.init()
        if self.is_running():
            return
        self._prepare_folders()
        bindir = find_bindir()
        if not self.log_file.exists():
            self.log_file.touch()
        user = _service_user()
        if user:
            entry = pwd.getpwnam(user)
            os.chown(self.log_file, entry.pw_uid, entry.pw_gid)
        result = self._run(
            [str(bindir / "pg_ctl"), "-D", str(self.data_dir), "-l", str(self.log_file), "-w", "-t", "60",
             "start"],
            check=False,
        )
        if result.returncode != 0:
            tail = self.log_file.read_text(errors="replace").strip().splitlines()[-8:]
            raise EmbeddedPostgresError(
                f"The embedded PostgreSQL in {self.data_dir} did not start (port {self.port}). "
                "Last lines of its log:\n  " + "\n  ".join(tail)
            )
        self.wait_ready()

    def wait_ready(self, timeout: float = 30.0) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(self.superuser_url(), connect_timeout=2):
                    return
            except psycopg.OperationalError as exc:
                if time.monotonic() > deadline:
                    raise EmbeddedPostgresError(f"The embedded PostgreSQL does not accept connections: {exc}") from exc
                time.sleep(0.1)

    def stop(self) -> bool:
        """Stop the cluster (fast shutdown: running transactions roll back, committed data stays)."""
        if not self.is_running():
            return False
        self._prepare_folders()
        bindir = find_bindir()
        self._run([str(bindir / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"])
        return True
