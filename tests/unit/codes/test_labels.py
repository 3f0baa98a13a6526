"""Labels: every symbol, read back by an independent decoder (zxing-cpp), holds the code it was made from."""

import base64
import io
import random
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from api.domain.codes import labels
from api.domain.codes.gs1 import CHARSET_82, GS, ParsedCode, gtin_check_digit, parse, sscc_check_digit
from api.faults import InvalidInput

ALPHABET_82 = "".join(sorted(CHARSET_82))
SPECIALS = "!%&()*+,-./:;<=>?_"
DATAMATRIX = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.DataMatrix)
SQUARE_SIZES = {10, 12, 14, 16, 18, 20, 22, 24, 26, 32, 36, 40, 44, 48, 52, 64, 72, 80, 88, 96, 104, 120, 132, 144}


def gtin(number: int) -> str:
    body = f"0460{number:09d}"
    return body + str(gtin_check_digit(body))


def sscc(number: int) -> str:
    body = f"04600000{number:09d}"
    return body + str(sscc_check_digit(body))


def signature(number: int, size: int = 64) -> str:
    """A base64 signature like Ed25519's (64 bytes: 88 characters ending in ==), with '+' and '/' in it."""
    return base64.b64encode(b"\xfb\xff\xbf" + random.Random(number).randbytes(size - 3)).decode()


def serial(number: int, length: int) -> str:
    rng = random.Random(-number)
    return "".join(rng.choice(ALPHABET_82) for _ in range(length))


def marking_code(number: int, serial_text: str, sig_bytes: int = 64) -> ParsedCode:
    return parse(f"[01]{gtin(number)}[21]{serial_text}[91]EE{number % 100:02d}[92]{signature(number, sig_bytes)}")


def sheet_codes(count: int) -> list[ParsedCode]:
    """A mix of the code shapes Tanba prints: marking codes, tobacco-style codes, SSCCs."""
    shapes = [
        lambda n: marking_code(n, serial(n, 13)),
        lambda n: marking_code(n, (SPECIALS * 2)[n % 18:n % 18 + 13]),
        lambda n: marking_code(n, serial(n, 7), sig_bytes=33),
        lambda n: parse(f"[00]{sscc(n)}"),
    ]
    return [shapes[n % len(shapes)](n) for n in range(count)]


REAL_CODES = {
    "specials": marking_code(1, "!%&()*+,-./:;"),
    "specials_2": marking_code(2, "<=>?_\"'aZ09xy"),
    "random_serial": marking_code(3, serial(3, 13)),
    "tobacco": parse(f"[01]{gtin(4)}[21]{serial(4, 7)}[91]AB12[92]{signature(4, 33)}"),
    "sscc": parse(f"[00]{sscc(5)}"),
    "lot_expiry": parse(f"[01]{gtin(6)}[17]281231[10]LOT-7/(A)[21]{serial(6, 20)}"),
}


def read(image: Image.Image) -> zxingcpp.Barcode:
    found = zxingcpp.read_barcodes(image, formats=DATAMATRIX, text_mode=zxingcpp.TextMode.Plain)
    assert len(found) == 1, f"{len(found)} symbols found"
    return found[0]


def assert_holds(barcode: zxingcpp.Barcode, code: ParsedCode) -> None:
    assert barcode.format == zxingcpp.BarcodeFormat.DataMatrix
    assert barcode.symbology_identifier == "]d2"  # GS1 DataMatrix: FNC1 first; plain DataMatrix is ]d1
    text = barcode.bytes.decode("ascii")
    assert text.removeprefix(GS) == code.element_string()


def test_real_code_shapes_are_as_expected():
    assert len(REAL_CODES["specials"].crypto_signature or "") == 88
    assert all(c in (REAL_CODES["specials"].crypto_signature or "") for c in "+/=")
    assert set(SPECIALS) <= set(REAL_CODES["specials"].serial or "") | set(REAL_CODES["specials_2"].serial or "")
    # GS after variable-length AIs, which the decoded text must keep
    assert all(GS in code.element_string() for name, code in REAL_CODES.items() if name != "sscc")


@pytest.mark.parametrize("name", REAL_CODES)
def test_png_decodes_to_the_element_string(name: str):
    code = REAL_CODES[name]
    image = Image.open(io.BytesIO(labels.datamatrix_png(code)))
    assert_holds(read(image), code)


@pytest.mark.parametrize("module_px", [1, 2, 3, 4, 7])
def test_png_is_square_with_modules_of_the_size_asked_and_a_quiet_zone(module_px: int):
    code = REAL_CODES["specials"]
    image = Image.open(io.BytesIO(labels.datamatrix_png(code, module_px=module_px))).convert("L")
    width, height = image.size
    assert width == height
    assert width % module_px == 0
    modules = width // module_px
    assert modules - 2 in SQUARE_SIZES  # a square ECC 200 size, plus a 1-module quiet zone each side
    border = [image.getpixel((x, y)) for x in range(width) for y in range(module_px)]
    border += [image.getpixel((y, x)) for x in range(width) for y in range(module_px)]
    assert set(border) == {255}
    # zxing wants a few pixels a module: enlarge without smoothing, as a printer would
    assert_holds(read(image.resize((width * 2, height * 2), Image.Resampling.NEAREST)), code)


@pytest.mark.parametrize("module_px", [0, -1, 101, 2.5])
def test_module_px_out_of_range_is_refused(module_px):
    with pytest.raises(ValueError, match="module_px"):
        labels.datamatrix_png(REAL_CODES["sscc"], module_px=module_px)


@pytest.mark.parametrize("name", ["specials", "sscc", "lot_expiry"])
def test_svg_is_one_path_that_decodes(name: str):
    code = REAL_CODES[name]
    svg = labels.datamatrix_svg(code, module_px=4)
    root = ET.fromstring(svg)  # noqa: S314 -- our own output, not untrusted data
    namespace = {"svg": "http://www.w3.org/2000/svg"}
    width, height = int(root.attrib["width"]), int(root.attrib["height"])
    assert width == height
    (path,) = root.findall(".//svg:path", namespace)
    number = r"(\d+(?:\.\d+)?)"
    rects = re.findall(rf"M{number} {number}h{number}v{number}h-{number}Z", path.attrib["d"])
    assert "".join(f"M{x} {y}h{w}v{h}h-{w2}Z" for x, y, w, h, w2 in rects) == path.attrib["d"]
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    for x, y, w, h, _ in rects:
        left, top = float(x), float(y)
        draw.rectangle((left, top, left + float(w) - 1, top + float(h) - 1), fill=0)
    assert_holds(read(image), code)


def test_every_spelling_of_a_code_gives_the_same_symbol():
    code = REAL_CODES["specials"]
    png = labels.datamatrix_png(code)
    assert labels.datamatrix_png(code.bracketed_square()) == png
    assert labels.datamatrix_png(code.element_string()) == png
    assert labels.datamatrix_png(code.bracketed()) == png


# --- refusals -------------------------------------------------------------------------------------


def test_bad_check_digit_in_raw_bracketed_string_is_a_label_encode_fault():
    with pytest.raises(InvalidInput) as refused:
        labels.datamatrix_png("[01]04600000000017[21]ABC")  # the check digit of 0460000000001 is 5
    (fault,) = refused.value.faults
    assert fault.code == "label.encode"
    assert fault.path == "code"
    assert "(01)" in fault.params["detail"]
    assert "checksum" in fault.params["detail"].lower()


@pytest.mark.parametrize(
    "raw",
    [
        "[01]04600000000015[21]AB C",  # space: outside character set 82
        "[01]04600000000015[21]" + "A" * 21,  # serial too long
        "[01]0460000000001[21]A",  # GTIN too short
        "[01]04600000000015[21]é",
    ],
)
def test_data_zint_refuses_is_a_label_encode_fault(raw: str):
    with pytest.raises(InvalidInput) as refused:
        labels.datamatrix_svg(raw)
    assert [f.code for f in refused.value.faults] == ["label.encode"]


def test_an_unchecked_parsed_code_is_still_checked_by_the_encoder():
    with pytest.raises(InvalidInput) as refused:
        labels.datamatrix_png(ParsedCode((("01", "04600000000017"), ("21", "ABC"))))
    assert [f.code for f in refused.value.faults] == ["label.encode"]


def test_rules_across_ais_that_zint_does_not_check_are_still_enforced():
    with pytest.raises(InvalidInput) as refused:
        labels.datamatrix_png("[01]04600000000015[21]A[21]B")  # zint encodes a repeated AI
    assert [f.code for f in refused.value.faults] == ["gs1.duplicate_ai"]


def test_other_spellings_are_parsed_first():
    with pytest.raises(InvalidInput) as refused:
        labels.datamatrix_png("(01)04600000000017(21)ABC")
    assert [f.code for f in refused.value.faults] == ["gs1.check_digit"]


def test_a_refused_code_on_a_sheet_names_its_position():
    codes = [*sheet_codes(2), "[01]04600000000017[21]ABC", *sheet_codes(2)]
    with pytest.raises(InvalidInput) as refused:
        labels.label_sheet_pdf(codes)
    (fault,) = refused.value.faults
    assert (fault.code, fault.path, fault.index) == ("label.encode", "code", 2)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"columns": 0}, "one column"),
        ({"columns": 20, "rows": 40}, "does not fit"),
    ],
)
def test_impossible_sheets_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        labels.label_sheet_pdf(sheet_codes(1), **kwargs)


def test_an_empty_sheet_is_refused():
    with pytest.raises(ValueError, match="no codes"):
        labels.label_sheet_pdf(iter([]))


# --- sheets ---------------------------------------------------------------------------------------


def page_streams(pdf: bytes) -> list[str]:
    """The decoded content streams of a reportlab PDF (ASCII85, then Flate)."""
    streams = re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.DOTALL)
    return [zlib.decompress(base64.a85decode(s.strip(), adobe=True)).decode("latin-1") for s in streams]


def pdf_string(text: str) -> str:
    return text.replace("(", "\\(").replace(")", "\\)")  # no backslash in character set 82


def test_sheet_streams_codes_page_by_page_and_reports_progress():
    codes = sheet_codes(45)
    pulled = 0
    reported: list[tuple[int, int]] = []

    def lazily() -> Iterator[ParsedCode]:
        nonlocal pulled
        for code in codes:
            pulled += 1
            yield code

    pdf = labels.label_sheet_pdf(lazily(), progress=lambda done: reported.append((done, pulled)))
    assert pdf.startswith(b"%PDF-")
    assert reported == [(40, 40), (45, 45)]  # page one was finished before code 41 was read
    assert len(re.findall(rb"/Type /Page\b", pdf)) == 2
    content = "".join(page_streams(pdf))
    assert content.count("re\nf\n") == 45  # one filled path a symbol
    for code in codes:  # the human-readable text, in PDF string syntax
        for ai, value in code.ais[:2]:
            if ai != "92":
                assert pdf_string(f"({ai}){value}") in content


def test_sheet_without_text_draws_only_symbols():
    pdf = labels.label_sheet_pdf(sheet_codes(6), columns=3, rows=2, with_text=False)
    content = "".join(page_streams(pdf))
    assert content.count("re\nf\n") == 6
    assert "Tj" not in content


def test_sheet_prints_the_signature_small_or_a_note_when_it_cannot():
    code = REAL_CODES["specials"]
    roomy = "".join(page_streams(labels.label_sheet_pdf([code])))
    assert (code.crypto_signature or "")[:20] in roomy
    cramped = "".join(page_streams(labels.label_sheet_pdf([code], columns=5, rows=13)))
    assert "in the symbol only" in cramped
    assert (code.crypto_signature or "")[:20] not in cramped


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed")
def test_sheet_rasterised_at_300_dpi_decodes_every_label(tmp_path: Path):
    codes = sheet_codes(40)
    pdf = tmp_path / "sheet.pdf"
    pdf.write_bytes(labels.label_sheet_pdf(codes))
    subprocess.run(["pdftoppm", "-r", "300", "-gray", "-png", str(pdf), str(tmp_path / "page")], check=True)
    (page_file,) = sorted(tmp_path.glob("page*.png"))
    page = Image.open(page_file)
    width, height = page.size
    margin = labels.PAGE_MARGIN_MM / 25.4 * 300
    cell_width, cell_height = (width - 2 * margin) / 4, (height - 2 * margin) / 10
    for index, code in enumerate(codes):  # labels fill the page row by row
        left, top = margin + index % 4 * cell_width, margin + index // 4 * cell_height
        cell = page.crop((round(left), round(top), round(left + cell_width), round(top + cell_height)))
        assert_holds(read(cell), code)


# --- property -------------------------------------------------------------------------------------


def text82(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    # "<GS>" is read as a separator in a string without real ones: not a value a generator should make
    return st.text(ALPHABET_82, min_size=min_size, max_size=max_size).filter(lambda v: "<GS>" not in v)


gtins = (  # GS1 allocates no all-zero key
    st.text("0123456789", min_size=13, max_size=13)
    .filter(lambda body: body.strip("0"))
    .map(lambda body: body + str(gtin_check_digit(body)))
)
ssccs = (
    st.text("0123456789", min_size=17, max_size=17)
    .filter(lambda body: body.strip("0"))
    .map(lambda body: body + str(sscc_check_digit(body)))
)
signatures = st.sampled_from([33, 64]).flatmap(lambda n: st.binary(min_size=n, max_size=n)).map(
    lambda b: base64.b64encode(b).decode()
)


@st.composite
def codes(draw: st.DrawFn) -> ParsedCode:
    if draw(st.integers(0, 4)) == 0:
        return parse(f"[00]{draw(ssccs)}")
    square = f"[01]{draw(gtins)}[21]{draw(text82(1, 20))}"
    if draw(st.booleans()):
        square += f"[91]{draw(text82(1, 4))}[92]{draw(signatures)}"
    return parse(square)


@settings(max_examples=30, deadline=None)
@given(codes())
def test_any_valid_code_round_trips_through_png(code: ParsedCode):
    barcode = read(Image.open(io.BytesIO(labels.datamatrix_png(code))))
    assert_holds(barcode, code)
    assert parse(barcode.bytes) == code
