"""``tanba codes parse`` reads codes as bytes: a scanner's raw FNC1 byte 0xE8 (not UTF-8) is a separator."""

import json
import subprocess
import sys

GTIN = "04600439931256"


def run(args: list[bytes], stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "tanba.cli", "codes", "parse", "--lang", "en", *args],
                          input=stdin, capture_output=True, timeout=60, check=False)


def test_raw_fnc1_byte_on_standard_input_and_as_an_argument():
    raw = f"01{GTIN}21ABC".encode() + b"\xe8" + b"91FFD0"
    for done in (run([], stdin=raw + b"\n"), run([raw])):
        assert done.returncode == 0, done.stderr.decode()
        parsed = json.loads(done.stdout)
        assert (parsed["gtin"], parsed["serial"], parsed["crypto_key_id"]) == (GTIN, "ABC", "FFD0")


def test_a_bad_code_names_the_rule_and_exits_1():
    done = run([f"01{GTIN[:-1]}0".encode()])
    assert done.returncode == 1
    assert "check digit of ai 01 is 0, expected 6" in (done.stdout + done.stderr).decode().lower()
