"""The ``tanba`` command: everything an operator does, from starting the platform to running the tests."""

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tanba.processes import Service, python_tool
from tanba.settings import PROJECT_ROOT, Settings


def say(message: str) -> None:
    print(message, flush=True)


def step(title: str) -> Callable[[], None]:
    """Print a step title now and its duration when the returned function is called."""
    started = time.monotonic()
    say(f"==> {title}")
    return lambda: say(f"    done in {time.monotonic() - started:.1f} s")


# --- database ---------------------------------------------------------------------------------------
def cmd_db_start(settings: Settings, args: argparse.Namespace) -> int:
    from warehouse.database import prepare_database

    done = step("Database: start (embedded when no URL is set), roles, migrations")
    urls = prepare_database(settings)
    done()
    say(f"    database {urls.database} at {urls.parts('owner')['host']}:{urls.parts('owner')['port']}")
    return 0


def cmd_db_stop(settings: Settings, args: argparse.Namespace) -> int:
    from warehouse.database import embedded_cluster

    if not settings.embedded:
        say("A database URL is configured: Tanba does not manage that server.")
        return 0
    say("Embedded PostgreSQL stopped." if embedded_cluster(settings).stop() else "Embedded PostgreSQL was not running.")
    return 0


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    from warehouse import migrate
    from warehouse.database import resolve_urls
    from warehouse.roles import bootstrap

    urls = resolve_urls(settings)
    bootstrap(urls)
    try:
        migrate.migrate_to(urls.sqlalchemy("owner"), args.revision)
    except LookupError as exc:
        say(f"error: {exc}; nothing was changed")
        return 2
    say(f"Schema at revision {migrate.current_revision(urls.sqlalchemy('owner'))}.")
    return 0


# --- data ---------------------------------------------------------------------------------------------
def cmd_reference_load(settings: Settings, args: argparse.Namespace) -> int:
    from warehouse.database import Database, prepare_database
    from warehouse.reference.loader import ReferenceFileError, load_reference_data

    urls = prepare_database(settings)
    db = Database.for_role(urls, "owner", pool_size=1)
    data_dir = Path(getattr(args, "data_dir", None) or settings.reference_data_dir)
    done = step(f"Reference data from {data_dir}")
    try:
        with db.session() as session:
            results = load_reference_data(session, data_dir, say)
    except ReferenceFileError as exc:
        say(f"error: {exc} — nothing was loaded")
        return 2
    finally:
        db.dispose()
    done()
    say(f"    {sum(r.changed for r in results)} of {len(results)} directories changed")
    return 0


def cmd_register_import(settings: Settings, args: argparse.Namespace) -> int:
    from api.domain.participants.register import import_register
    from api.faults import TanbaError
    from api.i18n import translate
    from tanba.demo import OPERATOR, operator_audit
    from warehouse.database import Database, prepare_database

    language = args.lang or settings.default_language
    path = Path(args.file)
    if not path.is_file():
        say(f"error: {path} is not a file")
        return 2
    urls = prepare_database(settings)
    db = Database.for_role(urls, "api", pool_size=1)
    try:
        with db.session(OPERATOR) as session:
            report = import_register(session, path.name, path.read_bytes())
            operator_audit(session, f"register.import {path.name}", str(report.id))
    except TanbaError as exc:
        for fault in exc.faults:
            say("error: " + translate(fault.code, language, fault.params))
        say(translate("error.invalid_input", language))
        return 2
    finally:
        db.dispose()
    say(translate("register.report", language, {
        "id": report.id, "total": report.total, "inserted": report.inserted, "updated": report.updated,
        "unchanged": report.unchanged, "rejected": len(report.rejected),
    }))
    for rejection in report.rejected:
        for fault in rejection.faults:
            say("  " + translate("register.rejected_row", language, {
                "row": rejection.row, "field": fault.path,
                "message": translate(fault.code, language, fault.params),
            }))
    return 1 if report.rejected and args.strict else 0


def cmd_demo_load(settings: Settings, args: argparse.Namespace) -> int:
    from tanba.demo import load_demo
    from warehouse.database import Database, prepare_database

    urls = prepare_database(settings)
    db = Database.for_role(urls, "api", pool_size=1)
    done = step("Demo data")
    try:
        load_demo(db, settings.demo_data_dir, say)
    finally:
        db.dispose()
    done()
    return 0


def cmd_pipeline(settings: Settings, args: argparse.Namespace) -> int:
    from tanba.pipeline import run_pipeline
    from warehouse.database import prepare_database

    urls = prepare_database(settings)
    done = step("Analytics pipeline: dbt build, then data-quality checks")
    ok = run_pipeline(urls, settings.dbt_project_dir, say, work_dir=settings.var_dir / "dbt")
    done()
    say("    pipeline OK" if ok else "    pipeline FAILED (see above)")
    return 0 if ok else 1


# --- security ----------------------------------------------------------------------------------------------
def cmd_audit_verify(settings: Settings, args: argparse.Namespace) -> int:
    from warehouse.audit import verify_audit_log
    from warehouse.database import resolve_urls

    urls = resolve_urls(settings)
    done = step("Audit trail: walking every shard's hash chain")
    result = verify_audit_log(urls.owner, say)
    done()
    say(f"    {result.rows} rows in {result.shards} shards")
    for problem in result.problems[:200]:
        say(f"  BROKEN: {problem}")
    if len(result.problems) > 200:
        say(f"  … and {len(result.problems) - 200} more")
    say("    audit trail intact" if result.ok else f"    audit trail BROKEN: {len(result.problems)} problems")
    return 0 if result.ok else 1


def cmd_roles_grant(settings: Settings, args: argparse.Namespace) -> int:
    from sqlalchemy import text

    from api.domain.participants.services import valid_bin
    from tanba.demo import OPERATOR, operator_audit
    from warehouse.database import Database, prepare_database

    bin_ = valid_bin(args.bin).value
    iin = valid_bin(args.iin).value if args.iin else None
    urls = prepare_database(settings)
    db = Database.for_role(urls, "api", pool_size=1)
    try:
        with db.session(OPERATOR) as session:
            if args.revoke:
                count = session.execute(
                    text("UPDATE ops.role_grant SET revoked_at = now() WHERE bin = :b AND iin IS NOT DISTINCT FROM "
                         ":i AND role = :r AND revoked_at IS NULL"), {"b": bin_, "i": iin, "r": args.role},
                ).rowcount  # type: ignore[attr-defined]
                # a session carries the roles it was opened with: those that carry this one end now
                ended = session.execute(
                    text("UPDATE ops.auth_session SET revoked_at = now(), revoked_reason = :why "
                         "WHERE owner_bin = :b AND (CAST(:i AS text) IS NULL OR person_iin = :i) "
                         "AND :r = ANY(roles) AND revoked_at IS NULL"),
                    {"b": bin_, "i": iin, "r": args.role, "why": f"role {args.role} revoked"},
                ).rowcount  # type: ignore[attr-defined]
                operator_audit(session, f"roles.revoke {args.role}", f"{bin_}/{iin or '*'}")
                say(f"revoked {count} grant(s) of {args.role} from {bin_}/{iin or '*'}; ended {ended} session(s)")
            else:
                session.execute(
                    text("INSERT INTO ops.role_grant (bin, iin, role, granted_by) VALUES (:b, :i, :r, :by)"),
                    {"b": bin_, "i": iin, "r": args.role, "by": "cli"},
                )
                operator_audit(session, f"roles.grant {args.role}", f"{bin_}/{iin or '*'}")
                say(f"granted {args.role} to {bin_}/{iin or '*'}")
    finally:
        db.dispose()
    return 0


def cmd_bench_identity(settings: Settings, args: argparse.Namespace) -> int:
    from tanba.bench.identity import report, run_identity_bench

    done = step("Benchmark: identity (login throughput; security path overhead on a read)")
    results = run_identity_bench(settings, args.seconds, args.connections, say)
    done()
    for line in report(results):
        say(line)
    say(f"results: {results['file']}")
    return 0


def cmd_keys(settings: Settings, args: argparse.Namespace) -> int:
    """Emission keys: create, rotate (a new key signs from now on; the old ones stay published), list."""
    import datetime as dt

    from sqlalchemy import select

    from api.domain.codes.keys import MasterKey, create_emission_key
    from warehouse.database import Database, prepare_database
    from warehouse.models import EmissionKey

    urls = prepare_database(settings)
    db = Database.for_role(urls, "owner", pool_size=1)
    now = dt.datetime.now(dt.UTC)
    try:
        with db.session() as session:
            keys = list(session.scalars(select(EmissionKey).order_by(EmissionKey.valid_from)))
            if args.keys_command in ("create", "rotate"):
                if args.keys_command == "create" and any(k.valid_to is None or k.valid_to > now for k in keys) \
                        and not args.force:
                    say("A valid emission key exists already; use `tanba keys rotate` to replace it.")
                    return 0
                master = MasterKey.load(settings.master_key, settings.development_master_key_file)
                for key in keys:
                    if key.valid_to is None or key.valid_to > now:
                        key.valid_to = now
                valid_to = now + dt.timedelta(days=args.days) if args.days else None
                new = create_emission_key(master, {k.key_id for k in keys}, now, valid_to)
                session.add(new)
                keys.append(new)
                say(f"emission key {new.key_id} (Ed25519) signs from now on; master key {master.key_id}")
            for key in keys:
                state = "active" if key.valid_to is None or key.valid_to > now else f"retired {key.valid_to:%Y-%m-%d}"
                say(f"  {key.key_id}  {key.algorithm}  from {key.valid_from:%Y-%m-%d %H:%M}  {state}")
    finally:
        db.dispose()
    return 0


def cmd_codes_parse(settings: Settings, args: argparse.Namespace) -> int:
    """Parse codes given as arguments or one per line on standard input (GS may be written as <GS>)."""
    import json

    from api.domain.codes.services import parse_code
    from api.faults import TanbaError
    from api.i18n import translate

    # As bytes: a scanner's raw FNC1 byte 0xE8 is not UTF-8, and the parser reads such input as Latin-1.
    values = ([arg.encode("utf-8", "surrogateescape") for arg in args.code]
              or [line.rstrip(b"\r\n") for line in sys.stdin.buffer if line.strip()])
    worst = 0
    for raw in values:
        value = raw.decode("utf-8", "backslashreplace")
        try:
            print(json.dumps(msgspec_to_builtins(parse_code(raw, partial=args.partial)), ensure_ascii=False))
        except TanbaError as exc:
            worst = 1
            for fault in exc.faults:
                print(f"error: {value!r}: " + translate(fault.code, args.lang or settings.default_language,
                                                        fault.params), file=sys.stderr, flush=True)
    return worst


def msgspec_to_builtins(value: object) -> object:
    import msgspec

    return msgspec.to_builtins(value)


def cmd_bench_emission(settings: Settings, args: argparse.Namespace) -> int:
    from tanba.bench.emission import run_emission_bench

    done = step(f"Benchmark: emission of {args.count:,} codes in one order")
    r = run_emission_bench(settings, args.count, say)
    done()
    say(f"{r['count']:,} codes in {r['seconds']:.1f} s = {r['codes_per_s']:,.0f} codes/s (stored {r['stored']:,}, "
        f"{r['retried_chunks']} chunks retried); raw Ed25519 {r['ed25519_sign_per_s_one_core']:,.0f}/s per core "
        f"x {r['cores']} cores; ratio to the signing limit {r['ratio_to_signing_limit']:.2f}")
    say(f"results: {r['file']}")
    return 0 if r["stored"] == r["count"] else 1


def cmd_bench_documents(settings: Settings, args: argparse.Namespace) -> int:
    from tanba.bench.documents import run_documents_bench

    done = step(f"Benchmark: documents of {args.codes:,} codes (APPLICATION, AGGREGATION, DISAGGREGATION)")
    r = run_documents_bench(settings, args.codes, say)
    done()
    say(f"  raw UPDATE of the same {r['codes']:,} rows: {r['raw_update_s']:.2f} s; slowest document / raw "
        f"{r['ratio_slowest_to_raw_update']:.1f}")
    say(f"results: {r['file']}")
    return 0 if all(d["status"] == "CHECKED_OK" for d in r["documents"].values()) else 1


def cmd_bench_verify(settings: Settings, args: argparse.Namespace) -> int:
    from tanba.bench.verify import run_verify_bench

    done = step("Benchmark: public verification (64 connections) vs a one-lookup handler and pgbench -S")
    r = run_verify_bench(settings, args.seconds, args.rounds, say)
    done()
    for number, measured in enumerate(r["rounds"], 1):
        for name in ("verify", "baseline", "baseline_in_transaction", "verify_without_writes"):
            x = measured[name]
            cpu = x["cpu_us_per_request"]
            say(f"  {number} {name:23} {x['requests_per_s']:8.0f} req/s  p50 {x['p50_ms']:.1f} ms  "
                f"p99 {x['p99_ms']:.1f} ms  non-2xx {x['non_2xx']:.0f}; CPU per request: API {cpu['granian']:.0f} us, "
                f"PostgreSQL {cpu['postgres']:.0f} us, wrk {cpu['wrk']:.0f} us")
        say(f"  {number} ratio verify/baseline {measured['ratio']:.2f} "
            f"(verify/baseline in a transaction {measured['ratio_in_transaction']:.2f}; "
            f"verify without writes/baseline {measured['ratio_without_writes']:.2f})")
    say(f"  pgbench -S {r['pgbench_select_tps']:.0f} tps; median verify/baseline {r['ratio_to_baseline']:.2f} "
        f"(in a transaction {r['ratio_to_baseline_in_transaction']:.2f}; without writes "
        f"{r['ratio_to_baseline_without_writes']:.2f}), verify/pgbench {r['ratio_to_pgbench']:.3f}")
    say(f"results: {r['file']}")
    return 0


def cmd_bench_stream(settings: Settings, args: argparse.Namespace) -> int:
    from tanba.bench.verify import run_stream_bench

    done = step("Benchmark: API memory while streaming a 1,000,000-code order")
    r = run_stream_bench(settings, say)
    done()
    say(f"  {r['codes']:,} codes, {r['bytes'] / 1e6:.0f} MB in {r['seconds']:.1f} s ({r['codes_per_s']:,.0f}/s); "
        f"API RSS idle {r['rss_idle_mib']:.0f} MiB, peak {r['rss_peak_mib']:.0f} MiB, last {r['rss_last_mib']:.0f} MiB")
    say(f"results: {r['file']}")
    return 0


# --- services -------------------------------------------------------------------------------------------
def _services(settings: Settings) -> list[Service]:
    granian = python_tool("granian")
    return [
        Service("api", [granian, "--interface", "asgi", "--host", settings.api_host, "--port",
                        str(settings.api_port), "--workers", str(settings.api_workers), "--loop", "uvloop",
                        "--no-access-log", "api.serve:application"],
                f"http://{settings.api_host}:{settings.api_port}/health"),
        Service("worker", [python_tool("tanba"), "worker"], None),
        Service("dashboards", [granian, "--interface", "wsgi", "--host", settings.dashboard_host, "--port",
                               str(settings.dashboard_port), "--workers", "1", "--no-access-log",
                               "dashboards.wsgi:server"],
                f"http://{settings.dashboard_host}:{settings.dashboard_port}/"),
    ]


def _service_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env["TANBA_VAR_DIR"] = str(settings.var_dir)
    env["TANBA_EMBEDDED_PORT"] = str(settings.embedded_port)
    if settings.database_url:
        env["TANBA_DATABASE_URL"] = settings.database_url
    env["TANBA_DATABASE_NAME"] = settings.database_name
    env["TANBA_CREDENTIALS_FILE"] = str(settings.credentials_path)
    return env


def cmd_up(settings: Settings, args: argparse.Namespace) -> int:
    from tanba import processes

    started = time.monotonic()
    for command in (cmd_db_start, cmd_reference_load):
        if (code := command(settings, args)) != 0:
            return code
    if not args.no_demo and (code := cmd_demo_load(settings, args)) != 0:
        return code
    from tanba.demo import prepare_development_pki

    if (code := cmd_keys(settings, argparse.Namespace(keys_command="create", days=0, force=False))) != 0:
        return code
    done = step("Certificates: development CA and demo key files")
    prepare_development_pki(settings, with_demo_keys=not args.no_demo, progress=say)
    done()
    if (code := cmd_pipeline(settings, args)) != 0:
        say("The platform starts anyway; the dashboards show the failed quality checks.")
    for service in _services(settings):
        done = step(f"Start {service.name}")
        pid = processes.start(service, settings.var_dir, _service_env(settings))
        done()
        say(f"    {service.name} running (pid {pid}), log: {service.log_file(settings.var_dir)}")
    say("")
    say(f"Tanba is up ({time.monotonic() - started:.0f} s). Look here:")
    say(f"  API health         http://{settings.api_host}:{settings.api_port}/health")
    say(f"  API documentation  http://{settings.api_host}:{settings.api_port}/schema/swagger")
    say(f"  Reference data     http://{settings.api_host}:{settings.api_port}/api/v1/reference")
    say(f"  Dashboards         http://{settings.dashboard_host}:{settings.dashboard_port}/")
    if settings.trust_dir is None and not args.no_demo:
        say(f"  Sign in (demo)     ./tanba.sh login --key {settings.pki_path / 'demo' / 'operator.p12'}")
    say("Stop everything with:  ./tanba.sh stop   (data stays in var/ and is there at the next start)")
    return 0


def cmd_stop(settings: Settings, args: argparse.Namespace) -> int:
    from tanba import processes

    for service in reversed(_services(settings)):
        say(f"{service.name}: " + ("stopped" if processes.stop(service, settings.var_dir) else "was not running"))
    return cmd_db_stop(settings, args)


def cmd_status(settings: Settings, args: argparse.Namespace) -> int:
    from tanba import processes
    from warehouse.database import embedded_cluster

    if settings.embedded:
        say("database (embedded): " + ("running" if embedded_cluster(settings).is_running() else "stopped"))
    else:
        say("database: external (TANBA_DATABASE_URL)")
    for service in _services(settings):
        pid = processes.running_pid(service, settings.var_dir)
        where = f" at {service.url}" if service.url else ""
        say(f"{service.name}: " + (f"running (pid {pid}){where}" if pid else "stopped"))
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    """Run one service in the foreground (for a process manager such as systemd)."""
    service = next(s for s in _services(settings) if s.name == args.service)
    os.execvpe(service.args[0], service.args, _service_env(settings))  # noqa: S606
    return 0  # not reached


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    from tanba.worker import run_forever

    run_forever(settings)
    return 0


def cmd_test(settings: Settings, args: argparse.Namespace) -> int:
    import pytest

    os.chdir(PROJECT_ROOT)
    return int(pytest.main(args.pytest_args))


def build_parser() -> argparse.ArgumentParser:  # noqa: PLR0915 (one flat list of subcommands)
    parser = argparse.ArgumentParser(prog="tanba", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    up = sub.add_parser("up", help="start everything: database, migrations, reference and demo data, "
                                   "pipeline, API (:8000) and dashboards (:8050)")
    up.add_argument("--no-demo", action="store_true", help="do not load the demo data set")
    up.set_defaults(func=cmd_up)
    sub.add_parser("stop", help="stop the API, the dashboards and the embedded database").set_defaults(func=cmd_stop)
    sub.add_parser("status", help="what is running").set_defaults(func=cmd_status)
    sub.add_parser("worker", help="the worker in the foreground (processes documents, emits ordered codes)"
                   ).set_defaults(func=cmd_worker)
    serve = sub.add_parser("serve", help="run the API or the dashboards in the foreground")
    serve.add_argument("service", choices=["api", "worker", "dashboards"])
    serve.set_defaults(func=cmd_serve)

    db = sub.add_parser("db", help="the database").add_subparsers(dest="db_command", required=True)
    db.add_parser("start", help="start (embedded), create roles and database, migrate").set_defaults(func=cmd_db_start)
    db.add_parser("stop", help="stop the embedded database").set_defaults(func=cmd_db_stop)
    migrate = sub.add_parser("migrate", help="migrate the schema (default: to the newest revision)")
    migrate.add_argument("revision", nargs="?", default="head", help="head, a revision id, base, or -1")
    migrate.set_defaults(func=cmd_migrate)

    reference = sub.add_parser("reference", help="reference data").add_subparsers(dest="ref_command", required=True)
    load = reference.add_parser("load", help="load the directories from data files (idempotent)")
    load.add_argument("--data-dir", help="folder of directory files (default: the repository's)")
    load.set_defaults(func=cmd_reference_load)

    register = sub.add_parser("register", help="the state business register").add_subparsers(
        dest="register_command", required=True)
    imp = register.add_parser("import", help="import a register file (CSV or JSON lines; idempotent)")
    imp.add_argument("file")
    imp.add_argument("--lang", choices=["kk", "ru", "en"], help="language of the report")
    imp.add_argument("--strict", action="store_true", help="exit 1 when any row was rejected")
    imp.set_defaults(func=cmd_register_import)

    demo = sub.add_parser("demo", help="demo data").add_subparsers(dest="demo_command", required=True)
    demo.add_parser("load", help="load the demo data set (idempotent)").set_defaults(func=cmd_demo_load)

    sub.add_parser("pipeline", help="run dbt build, then the data-quality checks").set_defaults(func=cmd_pipeline)

    audit = sub.add_parser("audit", help="the audit trail").add_subparsers(dest="audit_command", required=True)
    audit.add_parser("verify", help="check every hash chain of the audit log (exit 1 when broken)").set_defaults(
        func=cmd_audit_verify)

    roles = sub.add_parser("roles", help="roles granted by the operator").add_subparsers(
        dest="roles_command", required=True)
    grant = roles.add_parser("grant", help="grant (or with --revoke, revoke) a role to a BIN or one person of it")
    grant.add_argument("--bin", required=True)
    grant.add_argument("--iin", help="only this person of the organisation (default: everyone in it)")
    grant.add_argument("--role", required=True, choices=["authority", "ofd", "eaeu", "operator"])
    grant.add_argument("--revoke", action="store_true")
    grant.set_defaults(func=cmd_roles_grant)

    bench = sub.add_parser("bench", help="benchmarks (outside the test suite)").add_subparsers(
        dest="bench_command", required=True)
    identity = bench.add_parser("identity", help="login throughput and the cost of token + RLS + audit on a read")
    identity.add_argument("--seconds", type=int, default=10)
    identity.add_argument("--connections", type=int, default=32)
    identity.set_defaults(func=cmd_bench_identity)
    emission = bench.add_parser("emission", help="one order of N codes end to end vs the raw Ed25519 signing rate")
    emission.add_argument("--count", type=int, default=1_000_000)
    emission.set_defaults(func=cmd_bench_emission)
    documents = bench.add_parser("documents", help="documents of the published limit of codes, checked and processed")
    documents.add_argument("--codes", type=int, default=10_000)
    documents.set_defaults(func=cmd_bench_documents)
    verify = bench.add_parser("verify", help="public verification vs a one-lookup handler, the same verification "
                                             "without its writes, and pgbench -S")
    verify.add_argument("--seconds", type=int, default=10)
    verify.add_argument("--rounds", type=int, default=5,
                        help="alternations of baseline, verify and baseline in a transaction (median kept)")
    verify.set_defaults(func=cmd_bench_verify)
    bench.add_parser("stream", help="API memory while streaming 1,000,000 codes").set_defaults(func=cmd_bench_stream)

    keys = sub.add_parser("keys", help="emission keys of the crypto tail").add_subparsers(
        dest="keys_command", required=True)
    for name, text in (("create", "create the first emission key (no-op when one is valid)"),
                       ("rotate", "create a new emission key and retire the current one"),
                       ("list", "list the emission keys (never the private halves)")):
        command = keys.add_parser(name, help=text)
        command.add_argument("--days", type=int, default=0, help="validity in days (default: until rotated)")
        command.add_argument("--force", action="store_true", help=argparse.SUPPRESS)
        command.set_defaults(func=cmd_keys)

    codes = sub.add_parser("codes", help="marking codes").add_subparsers(dest="codes_command", required=True)
    parse = codes.add_parser("parse", help="parse codes (arguments, or one per line on standard input)")
    parse.add_argument("code", nargs="*")
    parse.add_argument("--lang", choices=["kk", "ru", "en"])
    parse.add_argument("--partial", action="store_true",
                       help="each code is one of several barcodes of an item: AIs it requires may be in another")
    parse.set_defaults(func=cmd_codes_parse)

    from tanba.client import add_login_command
    from tanba.pki import add_pki_commands

    add_pki_commands(sub)
    add_login_command(sub)

    test = sub.add_parser("test", help="run the test suite (arguments go to pytest)")
    test.add_argument("pytest_args", nargs=argparse.REMAINDER)
    test.set_defaults(func=cmd_test)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings()
    try:
        return int(args.func(settings, args))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # an operator gets the reason, not a traceback
        if os.environ.get("TANBA_DEBUG"):
            raise
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)  # not into `> envelope.json`
        print("(set TANBA_DEBUG=1 for the full traceback)", file=sys.stderr, flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
