"""The GS1 parser and formatter on real code shapes: every accepted spelling, every fault code."""

import datetime as dt

import pytest

from api.domain.codes.gs1 import (
    AI_TABLE,
    GS,
    ParsedCode,
    date_of,
    gtin_check_digit,
    normalise_gtin,
    parse,
    sscc_check_digit,
)
from api.faults import Fault, InvalidInput

TODAY = dt.date(2026, 11, 25)

GTIN = "04600439931256"  # 460043993125 + check digit 6
GTIN_GS1 = "09521234543213"  # GS1's own Digital Link example
SSCC = "106141411234567897"  # GS1's own SSCC example
SIG44 = "YWCXbmK6SN8vvwoxZFk+WKYjSj8f1fUgs+Ue+rDhGS8="  # shoes/pharma: base64 of 33 bytes
SIG88 = "JbxhT6sAUfhfnFsFVu/WOq51WWTpj0Hk++wDC4jse+1CTNiaQZyWWNjWKaUVbPAh0VH5GCB0iBDcNUSrpJCPFA=="  # Ed25519
SERIAL13 = "5%Q7H2d,v8Xn'"
PHARMA = f"01{GTIN}21{SERIAL13}{GS}91EE06{GS}92{SIG44}"
PHARMA_AIS = (("01", GTIN), ("21", SERIAL13), ("91", "EE06"), ("92", SIG44))


def parsed(value: str | bytes, today: dt.date = TODAY) -> ParsedCode:
    return parse(value, today=today)


def fault_of(value: str | bytes, today: dt.date = TODAY) -> Fault:
    with pytest.raises(InvalidInput) as caught:
        parse(value, today=today)
    [fault] = caught.value.faults
    assert fault.path == "code"
    return fault


def test_real_shapes_have_the_lengths_they_claim():
    assert len(SIG44) == 44 and len(SIG88) == 88 and len(SERIAL13) == 13


# --- check digits ------------------------------------------------------------------------------------


def test_gtin_check_digit_by_hand():
    # 0950600013435, weights 3,1,3… from the right: 5·3+3+4·3+3+1·3+0+0+0+6·3+0+5·3+9+0·3 = 78 → 80 − 78 = 2
    assert gtin_check_digit("0950600013435") == 2
    assert gtin_check_digit("9638507") == 4  # GTIN-8 96385074
    assert gtin_check_digit("03600029145") == 2  # GTIN-12 036000291452
    assert gtin_check_digit("400638133393") == 1  # GTIN-13 4006381333931


def test_sscc_check_digit():
    assert sscc_check_digit("10614141123456789") == 7


@pytest.mark.parametrize("body", ["", "123456", "12345678901234", "095060001343A"])
def test_check_digit_helpers_refuse_bodies_that_are_not_one(body: str):
    with pytest.raises(ValueError, match="body"):
        gtin_check_digit(body)


def test_sscc_check_digit_refuses_a_wrong_body():
    with pytest.raises(ValueError, match="SSCC"):
        sscc_check_digit("1061414112345678")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("96385074", "00000096385074"),
        ("036000291452", "00036000291452"),
        ("4006381333931", "04006381333931"),
        ("09506000134352", "09506000134352"),
    ],
)
def test_normalise_gtin_pads_to_fourteen(value: str, expected: str):
    assert normalise_gtin(value) == expected


@pytest.mark.parametrize(
    ("value", "code", "params"),
    [
        ("", "gs1.gtin_length", {"ai": "01", "actual": 0}),
        ("1234567", "gs1.gtin_length", {"ai": "01", "actual": 7}),
        ("963850745", "gs1.gtin_length", {"ai": "01", "actual": 9}),
        ("0950600013435X", "gs1.digits", {"ai": "01", "position": 14, "character": "X"}),
        (" 4006381333931", "gs1.digits", {"ai": "01", "position": 1, "character": "U+0020"}),
        ("4006381333932", "gs1.check_digit", {"ai": "01", "expected": 1, "actual": 2}),
    ],
)
def test_normalise_gtin_faults(value: str, code: str, params: dict[str, object]):
    with pytest.raises(InvalidInput) as caught:
        normalise_gtin(value)
    assert caught.value.faults == [Fault(code, "gtin", params=params)]


def test_normalise_gtin_takes_the_callers_path():
    with pytest.raises(InvalidInput) as caught:
        normalise_gtin("4006381333932", path="products[3].gtin")
    assert caught.value.faults[0].path == "products[3].gtin"


# --- the AI table ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ai", "numeric", "max_length", "fixed", "check_digit", "needs_separator"),
    [
        ("00", True, 18, True, True, False),
        ("01", True, 14, True, True, False),
        ("02", True, 14, True, True, False),
        ("10", False, 20, False, False, True),
        ("11", True, 6, True, False, False),
        ("17", True, 6, True, False, False),
        ("21", False, 20, False, False, True),
        ("240", False, 30, False, False, True),
        ("241", False, 30, False, False, True),
        ("30", True, 8, False, False, True),
        ("3103", True, 6, True, False, False),
        ("3165", True, 6, True, False, False),
        ("37", True, 8, False, False, True),
        ("410", True, 13, True, True, False),
        ("414", True, 13, True, True, False),
        ("422", True, 3, True, False, True),
        ("7003", True, 10, True, False, True),
        ("8005", True, 6, True, False, True),
        ("91", False, 90, False, False, True),
        ("92", False, 90, False, False, True),
        ("93", False, 90, False, False, True),
    ],
)
def test_ai_table(ai: str, numeric: bool, max_length: int, fixed: bool, check_digit: bool, needs_separator: bool):
    spec = AI_TABLE[ai]
    assert (spec.numeric, spec.max_length, spec.fixed, spec.check_digit, spec.needs_separator) == (
        numeric, max_length, fixed, check_digit, needs_separator,
    )


def test_ai_table_is_read_only_and_prefix_free():
    with pytest.raises(TypeError):
        AI_TABLE["23"] = AI_TABLE["21"]  # type: ignore[index]
    for ai in AI_TABLE:
        assert not any(other != ai and other.startswith(ai) for other in AI_TABLE), ai
    assert AI_TABLE["3103"].decimals == 3 and AI_TABLE["21"].decimals is None
    assert {ai for ai, spec in AI_TABLE.items() if spec.date} == {"11", "12", "13", "15", "16", "17", "7003", "7006"}
    assert AI_TABLE["3202"].decimals == 2 and AI_TABLE["3925"].decimals == 5 and AI_TABLE["8003"].decimals is None


# --- real code shapes --------------------------------------------------------------------------------


def test_shoes_and_pharma_marking_code():
    code = parsed(PHARMA)
    assert code.ais == PHARMA_AIS
    assert (code.gtin, code.serial, code.sscc) == (GTIN, SERIAL13, None)
    assert (code.crypto_key_id, code.crypto_signature) == ("EE06", SIG44)
    assert code.identification_code == f"01{GTIN}21{SERIAL13}"
    assert code.element_string() == PHARMA
    assert code.marking_code() == PHARMA
    assert code.bracketed() == f"(01){GTIN}(21){SERIAL13}(91)EE06(92){SIG44}"
    assert code.bracketed_square() == f"[01]{GTIN}[21]{SERIAL13}[91]EE06[92]{SIG44}"
    assert code.digital_link() == (
        f"https://id.tanba.kz/01/{GTIN}/21/5%25Q7H2d%2Cv8Xn%27"
        "?91=EE06&92=YWCXbmK6SN8vvwoxZFk%2BWKYjSj8f1fUgs%2BUe%2BrDhGS8%3D"
    )


@pytest.mark.parametrize(
    "element_string",
    [
        f"01{GTIN}21{SERIAL13}{GS}240AB-12/7{GS}17270500{GS}91TNB1{GS}92{SIG88}",
        f"01{GTIN}1727050021{SERIAL13}{GS}240AB-12/7{GS}91TNB1{GS}92{SIG88}",
        f"17270500240AB-12/7{GS}01{GTIN}21{SERIAL13}{GS}91TNB1{GS}92{SIG88}",
        f"01{GTIN}21{SERIAL13}{GS}91TNB1{GS}92{SIG88}{GS}17270500240AB-12/7",
    ],
)
def test_signature_of_88_characters_with_240_and_17_in_any_order(element_string: str):
    code = parsed(element_string)
    values = dict(code.ais)
    assert values == {"01": GTIN, "21": SERIAL13, "240": "AB-12/7", "17": "270500", "91": "TNB1", "92": SIG88}
    assert code.crypto_signature == SIG88 and code.identification_code == f"01{GTIN}21{SERIAL13}"
    # formatting writes the fewest separators (none after 01 and 17; the first input has a tolerated extra one)
    assert code.element_string() == element_string.replace(f"17270500{GS}", "17270500")
    assert code.marking_code() == f"01{GTIN}21{SERIAL13}{GS}91TNB1{GS}92{SIG88}"


def test_tanba_tobacco_pack_code_in_gs1_form():
    pack = f"01{GTIN}21-3kH9\"e{GS}91TNB1{GS}92{SIG88}"
    code = parsed(pack)
    assert code.serial == '-3kH9"e' and code.identification_code == f"01{GTIN}21-3kH9\"e"
    assert len(code.identification_code) == 25


def test_tobacco_block_code_with_price_and_verification_code():
    # the GS1 form of a carton: 01 GTIN, 21 serial (7), 8005 maximum retail price (6), 93 verification code
    block = f"01{GTIN}21aB3:x_Z{GS}8005012500{GS}93dGh1"
    code = parsed(block)
    assert dict(code.ais) == {"01": GTIN, "21": "aB3:x_Z", "8005": "012500", "93": "dGh1"}
    assert code.element_string() == block


@pytest.mark.parametrize("identifier", ["", "]d1"])
def test_the_29_character_tobacco_pack_code_is_not_gs1(identifier: str):
    # GTIN-14 + 7-character serial + 8-character verification code, no AIs, no FNC1: refused with its own fault
    assert fault_of(identifier + "04780101164394TF&csaNNW1kK0tL") == Fault(
        "gs1.not_gs1", "code", params={"shape": "tobacco_pack"}
    )


@pytest.mark.parametrize("gtin", ["00012345678905", "01234567890128", "02000000000015", "03614272225374"])
def test_a_tobacco_pack_code_whose_gtin_begins_like_an_ai_is_not_gs1_either(gtin: str):
    # a padded UPC-A GTIN begins "00", the SSCC's AI; indicator 0 and a US/Canadian or in-store prefix begin
    # "01"-"03", the AIs of a GTIN: read as GS1 first, it is no GS1 code, so it is named as a tobacco pack code
    assert fault_of(f"{gtin}TF&csaNNW1kK0tL") == Fault("gs1.not_gs1", "code", params={"shape": "tobacco_pack"})


def test_a_29_character_gs1_code_of_the_tobacco_shape_still_reads():
    # both begin with 14 digits whose last is the check digit of the 13 before, as a tobacco pack code does
    assert parsed(f"00{SSCC}400PO-123").ais == (("00", SSCC), ("400", "PO-123"))
    assert parsed("010460000000070121ABCDE123456").ais == (("01", "04600000000701"), ("21", "ABCDE123456"))


def test_transport_package_code():
    code = parsed(f"00{SSCC}")
    assert (code.sscc, code.gtin, code.serial) == (SSCC, None, None)
    assert code.identification_code == f"00{SSCC}"
    assert code.marking_code() == f"00{SSCC}"
    assert code.digital_link() == f"https://id.tanba.kz/00/{SSCC}"
    assert parsed(f"https://id.gs1.org/00/{SSCC}") == code


def test_logistic_label_with_content_count_and_batch():
    label = f"00{SSCC}02{GTIN_GS1}3724{GS}10LOT-7"
    code = parsed(label)
    assert code.ais == (("00", SSCC), ("02", GTIN_GS1), ("37", "24"), ("10", "LOT-7"))
    assert code.identification_code == f"00{SSCC}"
    assert code.digital_link() == f"https://id.tanba.kz/00/{SSCC}?02={GTIN_GS1}&37=24&10=LOT-7"
    assert parsed(code.digital_link()) == code


def test_measures_dates_and_locations():
    code = parsed(f"01{GTIN_GS1}3103001250{GS}11261100" + f"4104870204300000422398{GS}70032612312359{GS}3012")
    assert dict(code.ais) == {
        "01": GTIN_GS1, "3103": "001250", "11": "261100", "410": "4870204300000", "422": "398",
        "7003": "2612312359", "30": "12",
    }


# --- scanner noise -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "variant",
    [
        PHARMA,
        GS + PHARMA,
        "]d2" + PHARMA,
        "]d2" + GS + PHARMA,
        "]C1" + PHARMA,
        "]e0" + PHARMA,
        "]Q3" + PHARMA,
        "]J1" + PHARMA,
        PHARMA.replace(GS, "\u00e8"),
        "\u00e8" + PHARMA.replace(GS, "\u00e8"),
        ("\u00e8" + PHARMA.replace(GS, "\u00e8")).encode("latin-1"),  # the raw FNC1 byte 0xE8
        ("\u00e8" + PHARMA.replace(GS, "\u00e8")).encode("utf-8"),
        PHARMA.encode("ascii"),
        PHARMA.replace(GS, "<GS>"),
        "<GS>" + PHARMA.replace(GS, "<GS>"),
        PHARMA.replace(GS, "\\x1d"),
        PHARMA.replace(GS, "\\u001D"),
        f"01{GTIN}{GS}21{SERIAL13}{GS}{GS}91EE06{GS}92{SIG44}{GS}",  # GS after a fixed AI, doubled, trailing
        "  " + PHARMA + "\r\n",
        "\t" + PHARMA + "\t",
    ],
)
def test_scanner_noise_gives_the_same_code(variant: str | bytes):
    assert parsed(variant) == parsed(PHARMA)


def test_a_serial_that_contains_the_text_gs_placeholder_still_parses():
    assert parsed(f"01{GTIN}21ab<GS>cdefghi").serial == "ab<GS>cdefghi"
    with_real_gs = f"01{GTIN}21ab<GS>cdefghi{GS}91EE06"
    assert parsed(with_real_gs).serial == "ab<GS>cdefghi"


def test_a_space_in_the_signature_is_a_plus_turned_into_space():
    assert parsed(PHARMA.replace("+", " ")) == parsed(PHARMA)
    assert parsed(f"01{GTIN}21{SERIAL13}{GS}91EE06{GS}92{SIG44[:-1]} ").crypto_signature == SIG44[:-1] + "+"


# --- bracketed forms ---------------------------------------------------------------------------------


def test_bracketed_and_square_forms():
    expected = parsed(PHARMA)
    assert parsed(expected.bracketed()) == expected
    assert parsed(expected.bracketed_square()) == expected
    assert parsed(f"(01) {GTIN} (21) {SERIAL13} (91) EE06 (92){SIG44}") == expected


def test_bracketed_values_may_hold_parentheses_unless_they_look_like_an_ai():
    code = parsed(f"(01){GTIN}(21)a(b)(c((10)x(1)")
    assert code.ais == (("01", GTIN), ("21", "a(b)(c("), ("10", "x(1)"))
    assert parsed(code.bracketed_square()) == code
    assert parsed(code.element_string()) == code
    # the documented ambiguity: a serial that holds "(10)" reads as two elements in this form
    assert parsed(f"(01){GTIN}(21)ab(10)cd").ais == (("01", GTIN), ("21", "ab"), ("10", "cd"))
    assert parsed(f"[01]{GTIN}[21]ab(10)cd").serial == "ab(10)cd"


def test_a_space_in_a_bracketed_signature_is_a_plus():
    assert parsed(f"(01){GTIN}(21){SERIAL13}(91)EE06(92){SIG44.replace('+', ' ')}") == parsed(PHARMA)


# --- GS1 Digital Link --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "uri",
    [
        f"https://id.tanba.kz/01/{GTIN}/21/5%25Q7H2d,v8Xn'?91=EE06&92={SIG44}",  # '+' in a query is '+'
        f"https://id.tanba.kz/01/{GTIN}/21/5%25Q7H2d%2Cv8Xn%27?91=EE06&92={SIG44.replace('+', '%2B')}",
        f"HTTPS://ID.TANBA.KZ/01/{GTIN}/21/5%25Q7H2d,v8Xn'?91=EE06&92={SIG44}",
        f"http://example.com/shop/p/01/{GTIN}/21/5%25Q7H2d,v8Xn'/?linkType=gs1:pip&91=EE06&92={SIG44}#top",
        f"https://example.com/gtin/{GTIN[1:]}/ser/5%25Q7H2d,v8Xn'?91=EE06&92={SIG44.replace('+', ' ')}",
        f"]Q1https://id.tanba.kz/01/{GTIN}/21/5%25Q7H2d,v8Xn'?91=EE06&92={SIG44}",
    ],
)
def test_digital_link_variants(uri: str):
    assert parsed(uri) == parsed(PHARMA)


def test_digital_link_with_qualifiers_in_order_and_attributes():
    code = parsed(f"https://id.gs1.org/01/{GTIN_GS1}/22/V1/10/ABC123/21/12345?17=261231&3103=000500")
    assert code.ais == (
        ("01", GTIN_GS1), ("22", "V1"), ("10", "ABC123"), ("21", "12345"), ("17", "261231"), ("3103", "000500"),
    )
    assert code.digital_link("https://id.gs1.org/") == (
        f"https://id.gs1.org/01/{GTIN_GS1}/22/V1/10/ABC123/21/12345?17=261231&3103=000500"
    )
    assert parsed(f"https://id.gs1.org/01/{GTIN_GS1}/235/TPX-1").ais == (("01", GTIN_GS1), ("235", "TPX-1"))


def test_digital_link_puts_qualifiers_in_the_path_whatever_the_input_order():
    code = parsed(f"21S/1{GS}17261231" + f"10L?1{GS}01{GTIN_GS1}")
    uri = code.digital_link()
    assert uri == f"https://id.tanba.kz/01/{GTIN_GS1}/10/L%3F1/21/S%2F1?17=261231"
    assert dict(parsed(uri).ais) == dict(code.ais)


def test_digital_link_pads_short_gtins():
    assert parsed("https://id.gs1.org/01/96385074").gtin == "00000096385074"
    assert parsed("https://id.gs1.org/01/036000291452?17=270100").gtin == "00036000291452"


# --- formatting --------------------------------------------------------------------------------------


def test_element_string_separators():
    code = ParsedCode((("422", "398"), ("01", GTIN), ("8005", "012500"), ("17", "270131"), ("21", "X")))
    assert code.element_string() == f"422398{GS}01{GTIN}8005012500{GS}1727013121X"
    assert parsed(code.element_string()) == code


def test_codes_without_an_identification_code_cannot_be_a_marking_code_or_a_link():
    code = parsed("(400)PO-1(90)LOT1")
    assert code.identification_code is None
    with pytest.raises(InvalidInput) as caught:
        code.marking_code()
    assert caught.value.faults == [Fault("gs1.no_identification_code", "code")]
    with pytest.raises(InvalidInput) as caught:
        code.digital_link()
    assert caught.value.faults == [Fault("gs1.digital_link", "code", params={"detail": "no_primary_key"})]


def test_a_gtin_without_serial_has_no_identification_code():
    code = parsed(f"01{GTIN}17270131")
    assert code.gtin == GTIN and code.identification_code is None
    assert code.digital_link() == f"https://id.tanba.kz/01/{GTIN}?17=270131"


# --- dates -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ai", ["11", "12", "13", "15", "16", "17"])
def test_day_zero_means_end_of_month_for_the_date_ais(ai: str):
    companions = f"4154600439931256{GS}8020INV-1{GS}" if ai == "12" else f"01{GTIN}"  # 12 needs 8020, 8020 415
    assert dict(parsed(f"{companions}{ai}270200").ais)[ai] == "270200"


def test_century_window_decides_leap_days():
    assert parsed(f"01{GTIN}17000229").ais[1] == ("17", "000229")  # 2000 in 2026
    assert fault_of(f"01{GTIN}17000229", today=dt.date(2060, 1, 1)) == Fault(  # 2100 in 2060: not a leap year
        "gs1.date", "code", params={"ai": "17", "value": "000229"}
    )
    assert parsed(f"01{GTIN}17760229").ais[1] == ("17", "760229")  # 2076, 50 years ahead
    assert fault_of(f"01{GTIN}17770229") == Fault(  # 1977, 49 years back: not a leap year
        "gs1.date", "code", params={"ai": "17", "value": "770229"}
    )


# --- every fault -------------------------------------------------------------------------------------

CASES: list[tuple[str, str, dict[str, object]]] = [
    ("", "gs1.empty", {}),
    ("  \r\n", "gs1.empty", {}),
    (GS, "gs1.empty", {}),
    ("]d2" + GS, "gs1.empty", {}),
    ("<GS>", "gs1.empty", {}),
    ("0409521234543213", "gs1.unknown_ai", {"ai": "0409"}),
    (f"01{GTIN}23abc", "gs1.unknown_ai", {"ai": "23ab"}),
    (f"(23)abc(01){GTIN}", "gs1.unknown_ai", {"ai": "23"}),
    (f"[01]{GTIN}[23]abc", "gs1.unknown_ai", {"ai": "23"}),
    (f"https://id.gs1.org/01/{GTIN}?23=x", "gs1.unknown_ai", {"ai": "23"}),
    ("01" + GTIN[:13], "gs1.length", {"ai": "01", "expected": 14, "actual": 13}),
    (f"01{GTIN[:13]}{GS}21X", "gs1.length", {"ai": "01", "expected": 14, "actual": 13}),
    ("00" + SSCC[:17], "gs1.length", {"ai": "00", "expected": 18, "actual": 17}),
    (f"01{GTIN}1727013", "gs1.length", {"ai": "17", "expected": 6, "actual": 5}),
    (f"(01){GTIN}(17)2701310", "gs1.length", {"ai": "17", "expected": 6, "actual": 7}),
    (f"01{GTIN}21{'A' * 21}", "gs1.too_long", {"ai": "21", "max": 20, "actual": 21}),
    # a scanner that drops the separators: the serial runs into the crypto tail
    (f"01{GTIN}21{SERIAL13}91EE0692{SIG44}", "gs1.too_long", {"ai": "21", "max": 20, "actual": 65}),
    (f"01{GTIN}21{SERIAL13}{GS}92{'A' * 91}", "gs1.too_long", {"ai": "92", "max": 90, "actual": 91}),
    (f"01{GTIN}21{GS}91EE06", "gs1.empty_value", {"ai": "21"}),
    (f"01{GTIN}21", "gs1.empty_value", {"ai": "21"}),
    (f"(01){GTIN}(21)", "gs1.empty_value", {"ai": "21"}),
    (f"https://id.gs1.org/01/{GTIN}?17=", "gs1.empty_value", {"ai": "17"}),
    (f"01{GTIN}21ab~cd", "gs1.charset", {"ai": "21", "position": 3, "character": "~"}),
    (f"01{GTIN}21{SERIAL13}{GS}91EÉ06", "gs1.charset", {"ai": "91", "position": 2, "character": "É"}),
    (f"01{GTIN}21аbc", "gs1.charset", {"ai": "21", "position": 1, "character": "а"}),  # Cyrillic а
    (f"(01){GTIN}(21)ab cd", "gs1.charset", {"ai": "21", "position": 3, "character": "U+0020"}),
    (f"(01){GTIN}(21)ab{GS}(91)EE06", "gs1.charset", {"ai": "21", "position": 3, "character": "U+001D"}),
    (f"https://id.gs1.org/01/{GTIN}/21/a%1Db", "gs1.charset", {"ai": "21", "position": 2, "character": "U+001D"}),
    ("0109521234S43213", "gs1.digits", {"ai": "01", "position": 9, "character": "S"}),
    (f"01{GTIN}17 70131", "gs1.digits", {"ai": "17", "position": 1, "character": "U+0020"}),
    (f"01{GTIN}30{GS}", "gs1.empty_value", {"ai": "30"}),
    (f"01{GTIN}3012a", "gs1.digits", {"ai": "30", "position": 3, "character": "a"}),
    ("0109521234543214", "gs1.check_digit", {"ai": "01", "expected": 3, "actual": 4}),
    ("00106141411234567890", "gs1.check_digit", {"ai": "00", "expected": 7, "actual": 0}),
    (f"00{SSCC}0209521234543210", "gs1.check_digit", {"ai": "02", "expected": 3, "actual": 0}),
    (f"01{GTIN}4144870204300001", "gs1.check_digit", {"ai": "414", "expected": 0, "actual": 1}),
    ("https://id.gs1.org/01/4006381333932", "gs1.check_digit", {"ai": "01", "expected": 1, "actual": 2}),
    (f"01{GTIN}17261301", "gs1.date", {"ai": "17", "value": "261301"}),
    (f"01{GTIN}17260230", "gs1.date", {"ai": "17", "value": "260230"}),
    (f"01{GTIN}11270229", "gs1.date", {"ai": "11", "value": "270229"}),
    (f"01{GTIN}15260431", "gs1.date", {"ai": "15", "value": "260431"}),
    (f"01{GTIN}17260000", "gs1.date", {"ai": "17", "value": "260000"}),
    (f"01{GTIN}70032612000000", "gs1.datetime", {"ai": "7003", "value": "2612000000", "form": "YYMMDDHHMM"}),
    (f"01{GTIN}70032612312400", "gs1.datetime", {"ai": "7003", "value": "2612312400", "form": "YYMMDDHHMM"}),
    (f"01{GTIN}70032612312360", "gs1.datetime", {"ai": "7003", "value": "2612312360", "form": "YYMMDDHHMM"}),
    (f"01{GTIN}800501250021X", "gs1.missing_separator", {"ai": "8005"}),
    (f"42239801{GTIN}", "gs1.missing_separator", {"ai": "422"}),
    (f"01{GTIN}7003261231235921X", "gs1.missing_separator", {"ai": "7003"}),
    (f"01{GTIN}1727013117270131", "gs1.duplicate_ai", {"ai": "17"}),
    (f"01{GTIN}21A{GS}21A", "gs1.duplicate_ai", {"ai": "21"}),
    (f"https://id.gs1.org/01/{GTIN}/21/A?21=A", "gs1.digital_link",
     {"detail": "qualifier_in_query", "ai": "21", "primary": "01"}),
    (f"https://id.gs1.org/01/{GTIN}?10=L", "gs1.digital_link",
     {"detail": "qualifier_in_query", "ai": "10", "primary": "01"}),
    (f"https://id.gs1.org/21/ABC/01/{GTIN}", "gs1.digital_link",
     {"detail": "qualifier_order", "ai": "21", "primary": "01"}),
    (f"https://id.gs1.org/01/{GTIN}/17/261130", "gs1.digital_link",
     {"detail": "qualifier_not_allowed", "ai": "17", "primary": "01"}),
    (f"(01){GTIN}(21)ABC(9999)X", "gs1.unknown_ai", {"ai": "9999"}),
    (f"(01){GTIN}(21)ABC(8009)X", "gs1.unknown_ai", {"ai": "8009"}),
    ("800310950600013439ABC", "gs1.leading_zero", {"ai": "8003"}),
    ("800300950600013438ABC", "gs1.check_digit", {"ai": "8003", "expected": 9, "actual": 8}),
    ("8003095060001343", "gs1.too_short", {"ai": "8003", "min": 14, "actual": 12}),
    (f"01{GTIN}3941", "gs1.length", {"ai": "3941", "expected": 4, "actual": 0}),
    ("40209506000134350001", "gs1.check_digit", {"ai": "402", "expected": 4, "actual": 1}),
    ("4239876", "gs1.triplets", {"ai": "423", "actual": 4}),
    ("421ABCD", "gs1.digits", {"ai": "421", "position": 1, "character": "A"}),
    (f"01{GTIN}8008240101126", "gs1.datetime", {"ai": "8008", "value": "240101126", "form": "YYMMDDHH[MM[SS]]"}),
    (f"01{GTIN}8008240101", "gs1.too_short", {"ai": "8008", "min": 8, "actual": 6}),
    (f"01{GTIN}70072611012611", "gs1.date", {"ai": "7007", "value": "2611"}),
    (f"01{GTIN}80082401012460", "gs1.datetime", {"ai": "8008", "value": "24010124", "form": "YYMMDDHH"}),
    (f"01{GTIN}7006261100", "gs1.date", {"ai": "7006", "value": "261100"}),
    (f"https://id.gs1.org/01/{GTIN}?01={GTIN}", "gs1.duplicate_ai", {"ai": "01"}),
    ("21ABC", "gs1.gtin_required_with_serial", {"ai": "21"}),
    ("(21)ABC(17)270131", "gs1.gtin_required_with_serial", {"ai": "21"}),
    ("(17)270131(21)ABC", "gs1.requires", {"ai": "17", "needed": "01 / 02 / 03 / 255 / 8006 / 8026"}),
    (f"(01){GTIN}(250)Y", "gs1.requires", {"ai": "250", "needed": "01+21 / 03+21 / 8006+21"}),
    (f"(00){SSCC}(37)5", "gs1.requires", {"ai": "37", "needed": "00+02 / 00+8026"}),
    (f"(01){GTIN}(3922)100", "gs1.requires", {"ai": "3922", "needed": "01+30 / 01+31nn / 01+32nn / 01+35nn / 01+36nn"}),
    (f"(01){GTIN}(37)5", "gs1.excludes", {"ai": "01", "other": "37"}),
    (f"01{GTIN}31020001003103000100", "gs1.excludes", {"ai": "3102", "other": "3103"}),
    (f"(01){GTIN}(21)A(235)B", "gs1.excludes", {"ai": "21", "other": "235"}),
    (f"(8006){GTIN}0302(21)X", "gs1.piece_of_total", {"ai": "8006", "piece": 3, "total": 2}),
    (f"(8006){GTIN}0002(21)X", "gs1.piece_of_total", {"ai": "8006", "piece": 0, "total": 2}),
    ("4210987ABC", "gs1.country", {"ai": "421", "value": "098"}),
    ("(415)4600439931256(8020)INV1(255)4600439931256", "gs1.excludes", {"ai": "255", "other": "415"}),
    (f"01{GTIN}70112612312460{GS}21S", "gs1.datetime",
     {"ai": "7011", "value": "2612312460", "form": "YYMMDD[HHMM]"}),
    (f"01{GTIN}423398999", "gs1.country", {"ai": "423", "value": "999"}),
    (f"01{GTIN}422000", "gs1.country", {"ai": "422", "value": "000"}),
    (f"01{GTIN}30020{GS}39310011250", "gs1.currency", {"ai": "3931", "value": "001"}),
    (f"https://id.gs1.org/00/{SSCC}?21=ABC", "gs1.gtin_required_with_serial", {"ai": "21"}),
    (f"https://id.gs1.org/01/{GTIN}/21/x/10/y", "gs1.digital_link",
     {"detail": "qualifier_order", "ai": "10", "primary": "01"}),
    (f"https://id.gs1.org/01/{GTIN}/10/x/22/y", "gs1.digital_link",
     {"detail": "qualifier_order", "ai": "22", "primary": "01"}),
    (f"https://id.gs1.org/00/{SSCC}/21/x", "gs1.digital_link",
     {"detail": "qualifier_not_allowed", "ai": "21", "primary": "00"}),
    (f"https://id.gs1.org/01/{GTIN}/17/270131", "gs1.digital_link",
     {"detail": "qualifier_not_allowed", "ai": "17", "primary": "01"}),
    (f"https://id.gs1.org/01/{GTIN}/10/x/235/y", "gs1.digital_link",
     {"detail": "qualifier_not_allowed", "ai": "235", "primary": "01"}),
    ("https://id.gs1.org/21/ABC", "gs1.digital_link", {"detail": "no_primary_key"}),
    ("https://id.gs1.org/", "gs1.digital_link", {"detail": "no_primary_key"}),
    (f"https://id.gs1.org/01/{GTIN}/21", "gs1.digital_link", {"detail": "missing_value", "ai": "21"}),
    (f"https://id.gs1.org/01/{GTIN}/21/ab%2", "gs1.digital_link", {"detail": "percent_encoding", "ai": "21"}),
    (f"https://id.gs1.org/01/{GTIN}/21/ab%zz", "gs1.digital_link", {"detail": "percent_encoding", "ai": "21"}),
    (f"https://id.gs1.org/01/{GTIN}?92=ab%E8", "gs1.digital_link", {"detail": "percent_encoding", "ai": "92"}),
    (f"https:///01/{GTIN}", "gs1.digital_link", {"detail": "host"}),
    (f"https://[::1/01/{GTIN}", "gs1.digital_link", {"detail": "uri"}),
    ("]d1" + PHARMA, "gs1.symbology", {"identifier": "]d1"}),
    ("]E04006381333931", "gs1.symbology", {"identifier": "]E0"}),
]


@pytest.mark.parametrize(("value", "code", "params"), CASES)
def test_faults(value: str, code: str, params: dict[str, object]):
    assert fault_of(value) == Fault(code, "code", params=params)


def test_every_fault_code_has_a_case():
    codes = {code for _, code, _ in CASES}
    assert codes == {
        "gs1.empty", "gs1.unknown_ai", "gs1.length", "gs1.too_long", "gs1.empty_value", "gs1.charset",
        "gs1.digits", "gs1.check_digit", "gs1.date", "gs1.missing_separator", "gs1.duplicate_ai",
        "gs1.gtin_required_with_serial", "gs1.digital_link", "gs1.symbology", "gs1.too_short", "gs1.leading_zero",
        "gs1.triplets", "gs1.datetime", "gs1.requires", "gs1.excludes", "gs1.piece_of_total", "gs1.country",
        "gs1.currency",
    }  # plus gs1.type, gs1.not_gs1, gs1.gtin_length, gs1.no_identification_code, tested above and below


def test_a_value_that_is_neither_text_nor_bytes():
    with pytest.raises(InvalidInput) as caught:
        parse(1234)  # type: ignore[arg-type]
    assert caught.value.faults == [Fault("gs1.type", "code")]


def test_faults_name_the_ai_wherever_one_is_involved():
    for _, code, params in CASES:
        if code not in {"gs1.empty", "gs1.symbology"} and params.get("detail") not in {"no_primary_key", "host", "uri"}:
            assert "ai" in params, (code, params)


def test_input_longer_than_any_real_code_is_refused_before_parsing():
    """A Digital Link of 20,000 repeated segments once took 12 s (the path search is quadratic)."""
    import time

    started = time.perf_counter()
    with pytest.raises(InvalidInput) as caught:
        parse("https://x/" + f"01/{GTIN}/" * 20_000)
    assert time.perf_counter() - started < 0.5
    assert caught.value.faults == [Fault("gs1.code_too_long", "code", params={"limit": 2048, "length": 360_010})]
    longest_real = f"https://id.gs1.org/01/{GTIN}/21/" + "%21" * 20 + "?17=251231&" + "92=" + "%2B" * 88
    assert parse(longest_real).serial == "!" * 20


@pytest.mark.parametrize(("value", "date"), [
    ("251231", dt.date(2025, 12, 31)),
    ("991231", dt.date(1999, 12, 31)),  # 74 years ahead of 2025 is outside the window: the past century
    ("251200", dt.date(2025, 12, 31)),  # DD 00: the month's last day
    ("240200", dt.date(2024, 2, 29)),
])
def test_a_date_value_names_one_day(value, date):
    assert date_of(value, today=dt.date(2025, 6, 1)) == date


def test_verification_shows_the_production_date_of_ai_11():
    from api.domain.codes.verification import _production_date

    code = parse(f"(01){GTIN}(11)991231(21)ABC", today=dt.date(2026, 11, 26))
    assert _production_date(code) == "1999-12-31"
    assert _production_date(parse(f"(01){GTIN}(21)ABC")) is None
    assert _production_date(parse(f"(01){GTIN}(11)241100(21)ABC")) == "2024-11"  # day 00: the month only
    assert _production_date(parse(f"(01){GTIN}(11)450101(21)ABC")) is None  # not produced yet: not shown


@pytest.mark.parametrize("value", ["(01)00000000000000(21)ABC", "(00)000000000000000000", "0100000000000000"])
def test_an_all_zero_key_is_refused_although_its_check_digit_holds(value):
    with pytest.raises(InvalidInput) as caught:
        parse(value)
    assert caught.value.faults[0].code == "gs1.zero_key"
    with pytest.raises(InvalidInput) as caught:
        normalise_gtin("00000000")
    assert caught.value.faults == [Fault("gs1.zero_key", "gtin", params={"ai": "01"})]


# --- the AIs of the Syntax Dictionary beyond the marking code's, and the bracketed form's escape ----------


@pytest.mark.parametrize(("value", "ais"), [
    (f"01{GTIN}3202000150", (("01", GTIN), ("3202", "000150"))),
    (f"01{GTIN}31030012503925123{GS}10L1", (("01", GTIN), ("3103", "001250"), ("3925", "123"), ("10", "L1"))),
    (f"01{GTIN}3002{GS}3932398001{GS}10L1", (("01", GTIN), ("30", "02"), ("3932", "398001"), ("10", "L1"))),
    (f"2554600439931256{GS}39410100", (("255", "4600439931256"), ("3941", "0100"))),
    ("40209506000134350004", (("402", "09506000134350004"),)),
    ("800300950600013439ABC", (("8003", "00950600013439ABC"),)),
    ("800300950600013439", (("8003", "00950600013439"),)),
    (f"01{GTIN}800824010112{GS}21S", (("01", GTIN), ("8008", "24010112"), ("21", "S"))),
    (f"01{GTIN}80082401011230", (("01", GTIN), ("8008", "2401011230"),)),
    (f"01{GTIN}7007261101261130{GS}21S", (("01", GTIN), ("7007", "261101261130"), ("21", "S"))),
    ("4213987ABC" + GS + "400PO-7", (("421", "3987ABC"), ("400", "PO-7"))),
    (f"01{GTIN}422398{GS}423398643112", (("01", GTIN), ("422", "398"), ("423", "398643112"))),  # KZ; KZ, RU, CN
    (f"01{GTIN}30020{GS}39313981250", (("01", GTIN), ("30", "020"), ("3931", "3981250"))),  # 125.0 tenge
    (f"8006{GTIN}0203{GS}21S", (("8006", GTIN + "0203"), ("21", "S"))),  # piece 2 of 3 of a trade item
    (f"00{SSCC}02{GTIN}3712{GS}10L1", (("00", SSCC), ("02", GTIN), ("37", "12"), ("10", "L1"))),
    (f"03{GTIN}21S", (("03", GTIN), ("21", "S"))),
    (f"(01){GTIN}(8200)https://example.kz/p?x=1", (("01", GTIN), ("8200", "https://example.kz/p?x=1"))),
    (f"(01){GTIN}(21)x7\\(10)Ab", (("01", GTIN), ("21", "x7(10)Ab"))),
    (f"(01){GTIN}(21)AB(C", (("01", GTIN), ("21", "AB(C"))),
    (f"(01){GTIN}(21)x7(10)Ab", (("01", GTIN), ("21", "x7"), ("10", "Ab"))),
])
def test_more_of_the_syntax_dictionarys_ais_and_the_escaped_parenthesis(value, ais):
    assert parsed(value).ais == ais


def test_trailing_spaces_are_a_scanners_suffix_unless_they_may_be_a_signatures_plus():
    assert parsed(f"01{GTIN}93Ab1+ ").ais == (("01", GTIN), ("93", "Ab1+"))
    assert parsed(f"01{GTIN}  ").ais == (("01", GTIN),)
    padded = f"01{GTIN}21{SERIAL13}{GS}91EE06{GS}92{SIG88}"
    assert parsed(padded + " ").crypto_signature == SIG88  # after "=" padding a space cannot be a "+"
    unpadded = f"01{GTIN}21{SERIAL13}{GS}91EE06{GS}92{SIG88[:-2]}A"
    assert parsed(unpadded + " ").crypto_signature == SIG88[:-2] + "A+"  # here it may be


def test_a_serial_with_an_ai_in_parentheses_is_written_escaped_in_the_bracketed_form():
    code = ParsedCode((("01", GTIN), ("21", "=sIR(94)si9qt")))
    assert code.bracketed() == f"(01){GTIN}(21)=sIR\\(94)si9qt"
    assert parsed(code.bracketed()) == code


@pytest.mark.parametrize("line", [f"02{GTIN}15270101{GS}3712", f"10LOT1{GS}21SER1", "310201250015270101"])
def test_one_line_of_a_split_label_is_read_with_partial(line: str):
    """GS1: pairing rules hold over every barcode of an item. A line of a split GS1-128 label misses AIs that
    another line carries: refused alone, read with ``partial``; exclusions still hold."""
    assert fault_of(line).code in {"gs1.requires", "gs1.gtin_required_with_serial"}
    assert parse(line, today=TODAY, partial=True).ais
    with pytest.raises(InvalidInput) as caught:
        parse(f"01{GTIN}3712", today=TODAY, partial=True)
    assert caught.value.faults[0].code == "gs1.excludes"


def test_a_leading_byte_order_mark_is_dropped_as_leading_whitespace_is():
    assert parsed(f"\ufeff01{GTIN}21{SERIAL13}").identification_code == f"01{GTIN}21{SERIAL13}"
    assert parsed(f"\ufeff(01){GTIN}(21)ABC").serial == "ABC"


def test_an_empty_path_segment_of_a_digital_link_is_named():
    # a serial's "/" left unencoded: "…/21/a//b" would otherwise be named as an unknown qualifier ""
    fault = fault_of(f"https://id.tanba.kz/01/{GTIN}/21/a//b")
    assert fault == Fault("gs1.digital_link", "code", params={"detail": "empty_segment"})
    from api.i18n import translate
    assert "%2F" in translate(fault.code, "kk", fault.params)
    assert "AI  " not in translate(fault.code, "en", fault.params)
