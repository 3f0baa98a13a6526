"""Emission of marking codes (requirements 1, 2): serials from a CSPRNG in the group's alphabet, each
identification code signed with the emission key (Ed25519; base64 signature = AI 92), written with COPY.

Signing is the expensive part (≈31k signatures/s per core), so chunks are generated and signed in worker
processes, one per core, while the parent copies finished chunks into PostgreSQL. Each chunk commits in its
own transaction together with the order's progress; (gtin, serial) is the primary key, so a serial that
already exists anywhere makes its chunk fail, and that chunk is generated again with new serials: no code
is ever issued twice.
"""

import base64
import multiprocessing
import os
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass

import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.domain.codes.gs1 import CHARSET_82

SERIAL_ALPHABET = "".join(sorted(CHARSET_82))  # GS1 character set 82, in a fixed order

CHUNK = 25_000
COLUMNS = "gtin, serial, order_id, owner_bin, key_id, crypto_tail"
# PostgreSQL refuses COPY into a table under row-level security, so a chunk is copied into a temporary
# table first and moved with one INSERT … SELECT, which the tenant policy checks row by row.
STAGE_SQL = ("CREATE TEMP TABLE IF NOT EXISTS emission_chunk (gtin char(14), serial varchar(20), order_id uuid, "
             "owner_bin char(12), key_id char(4), crypto_tail char(88)) ON COMMIT DELETE ROWS")
COPY_SQL = f"COPY emission_chunk ({COLUMNS}) FROM STDIN"
MOVE_SQL = f"INSERT INTO ops.marking_code ({COLUMNS}) SELECT {COLUMNS} FROM emission_chunk"


def _alphabet_table(alphabet: str) -> tuple[bytes, bytes]:
    """A bytes.translate table mapping uniformly random bytes onto the alphabet, and the bytes to drop
    (those ≥ the largest multiple of the alphabet size: rejection sampling keeps the draw uniform)."""
    size = len(alphabet)
    if not 2 <= size <= 256 or not alphabet.isascii():
        raise ValueError("the serial alphabet must be 2 to 256 ASCII characters")
    limit = 256 // size * size
    table = bytes(ord(alphabet[b % size]) if b < limit else 0 for b in range(256))
    return table, bytes(range(limit, 256))


def random_serials(count: int, length: int, alphabet: str = SERIAL_ALPHABET) -> list[str]:
    """``count`` serials of ``length`` characters drawn uniformly from ``alphabet`` with os.urandom."""
    table, drop = _alphabet_table(alphabet)
    need = count * length
    buffer = bytearray()
    while len(buffer) < need:
        buffer += os.urandom((need - len(buffer)) * 256 // (256 - len(drop)) + 64).translate(table, drop)
    text = buffer[:need].decode("ascii")
    return [text[i:i + length] for i in range(0, need, length)]


def crypto_tail(key: Ed25519PrivateKey, gtin: str, serial: str) -> str:
    """AI 92: the base64 Ed25519 signature over the identification code ``01{gtin}21{serial}``."""
    return base64.b64encode(key.sign(f"01{gtin}21{serial}".encode())).decode()


_WORKER_KEY: dict[str, Ed25519PrivateKey] = {}


def _init_worker(private_key: bytes) -> None:
    _WORKER_KEY["key"] = Ed25519PrivateKey.from_private_bytes(private_key)


@dataclass(frozen=True)
class ChunkSpec:
    gtin: str
    count: int
    serial_length: int
    alphabet: str
    order_id: str
    owner_bin: str
    key_id: str


def _sign_chunk(spec: ChunkSpec) -> bytes:
    """COPY text rows for one chunk (runs in a worker process)."""
    key = _WORKER_KEY["key"]
    prefix = f"01{spec.gtin}21".encode()
    suffix = f"\t{spec.order_id}\t{spec.owner_bin}\t{spec.key_id}\t"
    lines = []
    for serial in random_serials(spec.count, spec.serial_length, spec.alphabet):
        tail = base64.b64encode(key.sign(prefix + serial.encode())).decode()
        lines.append(f"{spec.gtin}\t{serial}{suffix}{tail}\n")
    return "".join(lines).encode()


@dataclass
class EmissionResult:
    produced: int
    chunks: int
    retried_chunks: int


def emit_codes(
    api_url: str, order_id: uuid.UUID, owner_bin: str, gtin: str, quantity: int, serial_length: int,
    private_key: Ed25519PrivateKey, key_id: str, alphabet: str = SERIAL_ALPHABET, workers: int | None = None,
    progress: Callable[[int, int], None] | None = None, start_method: str = "forkserver",
) -> EmissionResult:
    """Generate, sign and store ``quantity`` codes for an order; ``api_url`` is the API role's libpq URL.
    ``progress(done, total)`` is called after each committed chunk."""
    from cryptography.hazmat.primitives import serialization

    raw = private_key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                    serialization.NoEncryption())
    sizes = [min(CHUNK, quantity - start) for start in range(0, quantity, CHUNK)]
    result = EmissionResult(0, len(sizes), 0)
    workers = workers or os.cpu_count() or 1

    def spec(count: int) -> ChunkSpec:
        return ChunkSpec(gtin, count, serial_length, alphabet, str(order_id), owner_bin, key_id)

    # forkserver, not fork: the worker that calls this runs other threads (documents), whose locks a forked
    # child would inherit held
    context = multiprocessing.get_context(start_method)
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(raw,),
                             mp_context=context) as pool, \
            psycopg.connect(api_url) as conn:
        conn.execute(STAGE_SQL)
        conn.commit()
        pending: list[tuple[int, Future[bytes]]] = [(n, pool.submit(_sign_chunk, spec(n))) for n in sizes]
        while pending:
            count, future = pending.pop(0)
            payload = future.result()
            try:
                with conn.transaction():
                    conn.execute("SELECT set_config('tanba.bin', %s, true), set_config('tanba.role', 'participant', "
                                 "true)", (owner_bin,))
                    with conn.cursor().copy(COPY_SQL) as copy:
                        copy.write(payload)
                    conn.execute(MOVE_SQL)
                    conn.execute("UPDATE ops.code_order SET produced = produced + %s WHERE id = %s",
                                 (count, order_id))
            except psycopg.errors.UniqueViolation:
                # a serial collided (with any code ever issued): this chunk again, with new serials
                result.retried_chunks += 1
                pending.append((count, pool.submit(_sign_chunk, spec(count))))
                continue
            result.produced += count
            if progress:
                progress(result.produced, quantity)
    return result
