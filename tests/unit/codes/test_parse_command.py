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


def test_a_bad_code_names_the_rule_on_stderr_and_exits_1():
    good = f"01{GTIN}21ABC".encode()
    done = run([], stdin=good + b"\n" + f"01{GTIN[:-1]}0".encode() + b"\n")
    assert done.returncode == 1
    assert "check digit of ai 01 is 0, expected 6" in done.stderr.decode().lower()
    (line,) = done.stdout.decode().splitlines()  # standard output stays JSON lines (a pipe into jq keeps working)
    assert json.loads(line)["serial"] == "ABC"
