#!/usr/bin/env bash
# Tanba's one entry point on a fresh machine: installs what is missing (once), then runs `tanba "$@"`.
#   ./tanba.sh up      start the platform with demo data on the embedded database
#   ./tanba.sh test    run the full test suite
set -euo pipefail
CALLER=$PWD  # file arguments (--document order.json) are the caller's, relative to where they ran this
cd "$(dirname "$0")"
ROOT=$PWD
UV_VERSION=0.13.9

log() { printf '%s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }
apt_install() {
  command -v apt-get >/dev/null || return 1
  log "installing with apt-get: $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null 2>&1 \
    || { as_root apt-get update -q >/dev/null 2>&1 && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null; }
}

# 1. Python 3.11 or newer
PY=${TANBA_PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  apt_install python3 python3-venv || { log "error: Python 3.11+ is required (set TANBA_PYTHON)"; exit 1; }
fi

# 2. uv, the installer that reproduces uv.lock
if command -v uv >/dev/null 2>&1; then
  UV=$(command -v uv)
else
  UV=var/tools/bin/uv
  if [ ! -x "$UV" ]; then
    log "installing uv $UV_VERSION into var/tools"
    "$PY" -m venv var/tools 2>/dev/null || { apt_install python3-venv && rm -rf var/tools && "$PY" -m venv var/tools; }
    var/tools/bin/python -m pip install -q "uv==$UV_VERSION"
  fi
fi

# 3. PostgreSQL server binaries for the embedded database (unless an external URL is configured)
extras=()
have_pg() { [ -x "$(pg_config --bindir 2>/dev/null)/initdb" ] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; }
if [ -z "${TANBA_DATABASE_URL:-}" ] && ! have_pg; then
  apt_install postgresql || true
  if ! have_pg; then
    log "no PostgreSQL server binaries: using the PostgreSQL bundled in the pgserver wheel"
    extras=(--extra bundled-postgres)
  fi
fi

# 4. Tools some commands use, when the machine can install them (best effort: without them the command says
#    what is missing, or the test that needs it is skipped and says so)
case "${1:-}" in
  test)  # pdftoppm rasterises the label PDFs; redis-server is the shared rate-limit store of two API machines
    missing=()
    command -v pdftoppm >/dev/null || missing+=(poppler-utils)
    command -v redis-server >/dev/null || missing+=(redis-server)
    [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}" || true ;;
  bench) command -v wrk >/dev/null || apt_install wrk || true ;;  # the HTTP load of the benchmarks
esac

# 5. The project's locked dependencies in .venv (a no-op when already in sync)
export UV_PROJECT_ENVIRONMENT="$PWD/.venv" UV_PYTHON="$PY" UV_NO_PROGRESS=1
"$UV" sync --frozen --quiet "${extras[@]}"

export DBT_SEND_ANONYMOUS_USAGE_STATS=false GX_ANALYTICS_ENABLED=false
cd "$CALLER"
exec "$ROOT/.venv/bin/tanba" "$@"
