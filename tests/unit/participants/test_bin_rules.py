"""The Kazakh BIN/IIN rule: structure, first-pass and second-pass check digits, impossible numbers."""

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.domain.participants.rules import TaxpayerNumber, check_digit, parse_bin
from api.faults import Fault


def with_check(first_eleven: str) -> str:
    digit = check_digit(first_eleven)
    assert digit is not None
    return first_eleven + str(digit)


def test_first_pass_weights():
    # 1*0+2*8+3*0+4*3+5*4+6*0+7*4+8*2+9*4+10*4+11*5 = 223; 223 mod 11 = 3
    assert check_digit("08034042445") == 3
    assert parse_bin("080340424453") == TaxpayerNumber("080340424453")


def test_second_pass_is_used_when_first_gives_ten():
    # find 11 digits whose first pass gives 10, then check the second pass by hand
    for tail in itertools.product("0123456789", repeat=4):
        body = "0803404" + "".join(tail)
        digits = [int(c) for c in body]
        if sum(d * w for d, w in zip(digits, range(1, 12), strict=True)) % 11 != 10:
            continue
        second = sum(d * w for d, w in zip(digits, (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2), strict=True)) % 11
        if second == 10:
            continue
        assert check_digit(body) == second
        assert isinstance(parse_bin(body + str(second)), TaxpayerNumber)
        wrong = (second + 1) % 10
        fault = parse_bin(body + str(wrong))
        assert isinstance(fault, Fault) and fault.code == "bin.check_digit"
        assert fault.params["expected"] == second
        return
    pytest.fail("no number with a second pass found")


def test_numbers_whose_check_digit_cannot_exist_are_refused_whatever_the_last_digit():
    impossible = []
    for tail in itertools.product("0123456789", repeat=4):
        body = "0803404" + "".join(tail)
        if check_digit(body) is None:
            impossible.append(body)
    assert impossible, "the sample space holds numbers with no check digit"
    for body in impossible[:20]:
        for last in "0123456789":
            fault = parse_bin(body + last)
            assert isinstance(fault, Fault) and fault.code == "bin.check_digit_impossible"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("12345", "bin.length"),
        ("0803404244512", "bin.length"),
        ("08034042445a", "bin.digits"),
        ("０８０３４０４２４４５１", "bin.digits"),  # full-width digits are not ASCII digits
        ("081340424451", "bin.month"),
        ("080370424451", "bin.kind"),
        ("850231300000", "bin.birth_date"),  # 31 February
        ("850212700000", "bin.century"),
        ("", "bin.length"),
    ],
)
def test_structure_faults(value, code):
    fault = parse_bin(value)
    assert isinstance(fault, Fault)
    assert fault.code == code
    assert fault.path == "bin"


def test_non_string_is_refused():
    fault = parse_bin(80340424451)
    assert isinstance(fault, Fault) and fault.code == "bin.type"


def test_iin_and_bin_are_told_apart_by_the_fifth_digit():
    iin = with_check("85051230012")
    assert parse_bin(iin) == TaxpayerNumber(iin)
    assert TaxpayerNumber(iin).is_individual
    assert not TaxpayerNumber("080340424453").is_individual


@given(st.from_regex(r"\A[0-9]{2}(0[1-9]|1[0-2])[456][0-4][0-9]{5}\Z"))
def test_every_bin_either_has_one_valid_check_digit_or_none(first_eleven):
    valid = [d for d in "0123456789" if isinstance(parse_bin(first_eleven + d), TaxpayerNumber)]
    expected = check_digit(first_eleven)
    assert valid == ([] if expected is None else [str(expected)])
