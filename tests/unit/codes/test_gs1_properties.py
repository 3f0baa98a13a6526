"""Round trips over generated GS1 codes: every spelling parses back to the code it was made from."""

import base64
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.domain.codes.gs1 import CHARSET_82, GS, ParsedCode, gtin_check_digit, parse, sscc_check_digit
from api.faults import InvalidInput

TODAY = dt.date(2026, 11, 25)  # two-digit years then cover 1977..2076
ALPHABET_82 = "".join(sorted(CHARSET_82))
DIGITS = "0123456789"


def text82(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    # "<GS>" is read as a separator in a string without real ones: not a value a generator should make
    return st.text(ALPHABET_82, min_size=min_size, max_size=max_size).filter(lambda v: "<GS>" not in v)


gtins = (  # GS1 allocates no all-zero key
    st.text(DIGITS, min_size=13, max_size=13)
    .filter(lambda body: body.strip("0"))
    .map(lambda body: body + str(gtin_check_digit(body)))
)
ssccs = (
    st.text(DIGITS, min_size=17, max_size=17)
    .filter(lambda body: body.strip("0"))
    .map(lambda body: body + str(sscc_check_digit(body)))
)
dates = st.builds(
    lambda day, no_day: day.strftime("%y%m") + ("00" if no_day else day.strftime("%d")),
    st.dates(dt.date(1977, 1, 1), dt.date(2076, 12, 31)),
    st.booleans(),
)
signatures = st.one_of(
    st.binary(min_size=33, max_size=33).map(lambda b: base64.b64encode(b).decode()),  # 44 characters
    st.binary(min_size=64, max_size=64).map(lambda b: base64.b64encode(b).decode()),  # 88 characters
    text82(1, 90),
)
OPTIONAL = {"91": text82(1, 90), "92": signatures, "17": dates, "10": text82(1, 20), "240": text82(1, 30)}


@st.composite
def codes(draw: st.DrawFn) -> ParsedCode:
    ais = [("01", draw(gtins)), ("21", draw(text82(1, 20)))]
    for ai, values in OPTIONAL.items():
        if draw(st.booleans()):
            ais.append((ai, draw(values)))
    return ParsedCode(tuple(draw(st.permutations(ais))))


def read(value: str | bytes) -> ParsedCode:
    return parse(value, today=TODAY)


@given(codes())
def test_element_string_round_trip(code: ParsedCode):
    text = code.element_string()
    assert not text.startswith(GS)
    assert read(text) == code


@given(codes())
def test_square_bracket_round_trip(code: ParsedCode):
    assert read(code.bracketed_square()) == code


@given(codes())
def test_bracketed_round_trip(code: ParsedCode):
    # a value's "(" is written "\\(", so a serial holding e.g. "(10)" or "(8008)" reads back unchanged
    assert read(code.bracketed()) == code


@given(st.lists(st.sampled_from(["(", ")", "(10)", "(94)", "(8008)", "(9999)", "1", "a", "+"]), min_size=1,
                max_size=12).map("".join).filter(lambda v: len(v) <= 20))
def test_a_serial_with_parentheses_reads_back_from_the_bracketed_form(serial: str):
    code = ParsedCode((("01", "04600000000015"), ("21", serial)))
    assert read(code.bracketed()) == code


@given(codes())
def test_digital_link_round_trip(code: ParsedCode):
    uri = code.digital_link()
    back = read(uri)
    assert dict(back.ais) == dict(code.ais)  # the link orders the AIs: key and qualifiers first
    assert (back.identification_code, back.crypto_key_id, back.crypto_signature) == (
        code.identification_code, code.crypto_key_id, code.crypto_signature,
    )


@given(codes(), st.sampled_from(["", "]d2", "]C1", "]Q3"]), st.sampled_from([GS, "\u00e8", "\\x1d"]), st.booleans())
def test_scanner_noise_round_trip(code: ParsedCode, identifier: str, separator: str, as_bytes: bool):
    text = identifier + separator + code.element_string().replace(GS, separator)
    assert read(text.encode("latin-1") if as_bytes and separator != "\\x1d" else text) == code


@given(codes())
def test_marking_code_round_trip(code: ParsedCode):
    back = read(code.marking_code())
    assert back.identification_code == code.identification_code == f"01{code.gtin}21{code.serial}"
    assert (back.crypto_key_id, back.crypto_signature) == (code.crypto_key_id, code.crypto_signature)


@given(codes())
def test_a_signature_whose_plus_became_space_reads_the_same(code: ParsedCode):
    # only AI 92 is repaired: elsewhere a space stays the character-set fault it is
    mangled = ParsedCode(tuple((ai, value.replace("+", " ") if ai == "92" else value) for ai, value in code.ais))
    assert read(mangled.element_string()) == code
    assert read(mangled.bracketed_square()) == code


@given(codes(), st.integers(1, 9), st.sampled_from(["element_string", "bracketed_square", "digital_link"]))
def test_a_wrong_gtin_check_digit_names_ai_01(code: ParsedCode, shift: int, spelling: str):
    assert code.gtin is not None
    wrong = code.gtin[:-1] + str((int(code.gtin[-1]) + shift) % 10)
    mutated = ParsedCode(tuple((ai, wrong if ai == "01" else value) for ai, value in code.ais))
    with pytest.raises(InvalidInput) as caught:
        read(getattr(mutated, spelling)())
    [fault] = caught.value.faults
    assert (fault.code, fault.path) == ("gs1.check_digit", "code")
    assert fault.params == {"ai": "01", "expected": int(code.gtin[-1]), "actual": int(wrong[-1])}


@given(ssccs, gtins, st.one_of(st.none(), text82(1, 20)), st.one_of(st.none(), st.integers(1, 99_999_999)))
def test_transport_code_round_trip(sscc: str, content: str, batch: str | None, count: int | None):
    # the GS1 pairing rules: 02 (the content's GTIN) needs 37 (its count), and a batch needs the GTIN
    inside = [("02", content), ("37", str(count))] + ([("10", batch)] if batch else []) if count else []
    ais = [("00", sscc), *inside]
    code = ParsedCode(tuple(ais))
    assert code.identification_code == "00" + sscc
    for spelling in (code.element_string(), code.bracketed_square(), code.digital_link(), code.marking_code()):
        back = read(spelling)
        assert back.sscc == sscc and back.identification_code == code.identification_code
        assert set(back.ais) <= set(code.ais)


@given(st.one_of(st.text(), st.binary(), st.text("0123456789()[]<>GS%/:?=&+ \x1d\u00e8", max_size=60)))
def test_any_input_parses_or_is_refused_with_a_fault(value: str | bytes):
    try:
        code = read(value)
    except InvalidInput as refused:
        faults = refused.faults
    else:
        assert read(code.element_string()) == code
        return
    assert [fault.path for fault in faults] == ["code"]


def reading(read_with, text: str) -> ParsedCode | list[object]:
    """A parse's outcome: the code, or the faults it raised."""
    try:
        return read_with(text)
    except InvalidInput as exc:
        return [(f.code, f.path, f.params) for f in exc.faults]


NEAR_82 = ALPHABET_82 + " \t\r\n" + GS + "\u00e8é\\<>"  # what scanners and typists put where they should not
near_values = st.text(NEAR_82, min_size=0, max_size=95)
near_gtins = st.one_of(gtins, st.text(DIGITS, min_size=14, max_size=14), st.text(DIGITS + "A ", min_size=13,
                                                                                   max_size=15))


@given(st.one_of(
    st.builds(lambda g, s, k, t: f"01{g}21{s}{GS}91{k}{GS}92{t}", gtins, text82(1, 20), text82(1, 90), signatures),
    st.builds(lambda g, s, k, t: f"01{g}21{s}{GS}91{k}{GS}92{t}", near_gtins, near_values, near_values, near_values),
))
def test_the_marking_code_fast_path_reads_what_the_general_reading_reads(text: str):
    """``parse`` reads the usual marking code with one match; the result, or the fault, is the general one's."""
    from api.domain.codes.gs1 import _parse_text

    assert reading(read, text) == reading(lambda t: _parse_text(t, TODAY), text)


@given(st.text(DIGITS, min_size=1, max_size=40))
def test_the_check_digit_is_the_weighted_sum_of_gs1(body: str):
    """GS1 General Specifications 7.9.1: weights 3, 1, 3 … from the rightmost digit, then up to a multiple of 10."""
    from api.domain.codes.gs1 import _mod10

    total = sum(int(digit) * (3 if position % 2 == 0 else 1) for position, digit in enumerate(reversed(body)))
    assert _mod10(body) == -total % 10
