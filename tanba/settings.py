"""Settings of a Tanba installation, read from TANBA_* environment variables or a .env file."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Everything an operator may configure. Built once by the entry point and passed down."""

    model_config = SettingsConfigDict(env_prefix="TANBA_", env_file=".env", extra="ignore")

    # With no database URL, Tanba runs its own PostgreSQL cluster under var_dir/postgres.
    database_url: str | None = Field(
        default=None,
        description="Administrative URL (a role that may create roles and databases). "
        "Unset: the embedded PostgreSQL is used.",
    )
    database_name: str = "tanba"
    var_dir: Path = PROJECT_ROOT / "var"
    embedded_port: int = 54329
    credentials_file: Path | None = Field(
        default=None, description="Where the generated passwords of the Tanba database roles are kept."
    )

    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_workers: int = 2
    api_db_pool_size: int = 32
    dashboard_host: str = "127.0.0.1"
    dashboard_port: int = 8050

    default_language: str = "ru"
    dbt_project_dir: Path = PROJECT_ROOT / "dbt"
    reference_data_dir: Path = PROJECT_ROOT / "warehouse" / "reference" / "data"
    demo_data_dir: Path = PROJECT_ROOT / "warehouse" / "demo" / "data"

    master_key: str | None = Field(
        default=None, repr=False, description="32 random bytes, base64: wraps the emission keys' data keys. "
        "Required with a database URL; a development installation generates var/master.key.",
    )

    # identity and security
    pki_dir: Path | None = Field(default=None, description="The development PKI. Unset: var_dir/pki.")
    trust_dir: Path | None = Field(
        default=None, description="Folder of trusted CA certificates (production: the national CA roots). "
        "Unset: the development CA's folder under pki_dir."
    )
    crl_sources: list[str] = Field(
        default_factory=list, description="CRL files or URLs. Unset: the development CA's CRL files."
    )
    trusted_proxies: list[str] = Field(
        default_factory=list, description="Networks whose X-Forwarded-For is believed (e.g. 10.0.0.0/8)."
    )
    crl_refresh_seconds: int = 300
    challenge_ttl_seconds: int = 120
    token_ttl_seconds: int = 8 * 3600
    token_idle_seconds: int = 30 * 60
    rate_limit_login_per_minute: int = 30
    rate_limit_public_per_minute: int = 600
    rate_limit_storage: str = Field(
        default="memory://",
        description="Where rate-limit counters live (a `limits` storage URI): memory:// per process (counted "
        "synchronously), or a shared async store, e.g. async+redis://host:6379 (with the coredis package), when "
        "the API runs on several machines.",
    )
    max_request_bytes: int = 2 * 1024 * 1024

    @property
    def development_master_key_file(self) -> Path | None:
        return self.var_dir / "master.key" if self.embedded else None

    @property
    def pki_path(self) -> Path:
        return self.pki_dir or self.var_dir / "pki"

    @property
    def trust_path(self) -> Path:
        return self.trust_dir or self.pki_path / "trust"

    @property
    def credentials_path(self) -> Path:
        return self.credentials_file or self.var_dir / "credentials.json"

    @property
    def embedded(self) -> bool:
        return self.database_url is None
