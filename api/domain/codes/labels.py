"""Labels for marking codes: GS1 DataMatrix symbols as PNG or SVG, and printable PDF sheets of them.

Pure rendering (no database, no network). The encoder is zint in GS1 mode: FNC1 in first position, GS
after variable-length AIs, square symbols only, strict validation (a bad check digit or a character
outside set 82 is refused), and the 1-module quiet zone GS1 DataMatrix requires.

A code is a ``ParsedCode`` or a string. A string in zint's square-bracket form (``[01]…[21]…``) goes
to the encoder as it is, so zint's own GS1 validation decides (``label.encode``), then ``gs1.parse``
checks the rules across AIs zint does not (``gs1.*``); any other spelling is read with ``gs1.parse``
first. A ``ParsedCode`` is trusted to come from ``gs1.parse``: only zint checks it.

PDF sheets draw each symbol as one filled vector path built from its module matrix. One path per
symbol matters: drawing each module run as a separate rectangle leaves anti-aliasing hairline seams
between rows that break decoding.
"""

import dataclasses
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from zint import DataMatrixOptions, InputMode, OutputOptions, Symbol, Symbology, WarningLevel

from api.domain.codes import gs1
from api.domain.codes.gs1 import ParsedCode
from api.faults import Fault, InvalidInput

__all__ = [
    "MIN_MODULE_MM",
    "PAGE_MARGIN_MM",
    "datamatrix_png",
    "datamatrix_svg",
    "label_sheet_pdf",
]

PATH = "code"
PAGE_MARGIN_MM = 8.0
"""Blank border of a sheet; the rest of the page is split evenly into ``columns`` × ``rows`` cells."""
MIN_MODULE_MM = 0.25
"""Smallest module (X-dimension) a sheet prints; a conservative floor for office printers, not a GS1 figure."""
QUIET_ZONE_MODULES = 1  # GS1 DataMatrix: a light margin one module wide on all four sides

_CELL_PADDING = 2 * mm
_FONT = "Courier"  # monospaced: serials mix 0/O and 1/l/I, which proportional fonts make look alike
_FONT_WIDTH = 0.6  # Courier's advance width, in ems, for every character
_TEXT_SIZE = 6.0  # points
_TEXT_MIN_SIZE = 4.5
_SIGNATURE_MAX_SIZE = 5.0
_SIGNATURE_MIN_SIZE = 3.5  # below this the signature is left out and a note says where it is
_SIGNATURE_LINES = 2
_LEADING = 1.15
_TEXT_GAP = 1 * mm  # between the symbol's quiet zone and the text
_RUN = re.compile(r"1+")
MAX_MODULE_PX = 100


# --- encoding -------------------------------------------------------------------------------------


def _encoded(code: ParsedCode | str) -> tuple[Symbol, ParsedCode]:
    """A zint symbol holding the code as GS1 DataMatrix, and the code; raises InvalidInput if refused."""
    if isinstance(code, ParsedCode):
        parsed: ParsedCode | None = code
        data = code.bracketed_square()
    elif code.startswith("["):
        parsed, data = None, code
    else:
        parsed = gs1.parse(code)
        data = parsed.bracketed_square()
    symbol = Symbol()
    symbol.symbology = Symbology.DATAMATRIX
    symbol.input_mode = InputMode.GS1
    symbol.option_3 = DataMatrixOptions.SQUARE
    symbol.warn_level = WarningLevel.FAIL_ALL  # what zint would only warn about refuses too
    try:
        symbol.encode(data)
    except RuntimeError as refused:  # zint-bindings raises RuntimeError("Error 261: AI (01) position 14: …")
        raise InvalidInput(Fault("label.encode", PATH, params={"detail": str(refused)})) from None
    # zint checks each AI but not the rules across them (a repeated AI, 21 without 01): gs1.parse does,
    # so whatever gets a label reads back as a Tanba code.
    return symbol, parsed if parsed is not None else gs1.parse(data)


def _file(code: ParsedCode | str, module_px: int, extension: str) -> bytes:
    if not (isinstance(module_px, int) and 1 <= module_px <= MAX_MODULE_PX):
        raise ValueError(f"module_px is a whole number of pixels from 1 to {MAX_MODULE_PX}, got {module_px!r}")
    symbol, _ = _encoded(code)
    symbol.output_options |= OutputOptions.BARCODE_MEMORY_FILE | OutputOptions.BARCODE_QUIET_ZONES
    symbol.scale = module_px / 2  # zint's scale 1 draws a module 2 pixels wide
    symbol.outfile = f"mem.{extension}"  # with BARCODE_MEMORY_FILE only the extension matters
    try:
        symbol.print()
    except RuntimeError as refused:
        raise InvalidInput(Fault("label.encode", PATH, params={"detail": str(refused)})) from None
    memfile = symbol.memfile
    assert memfile is not None  # set by print() with BARCODE_MEMORY_FILE
    return bytes(memfile)


def datamatrix_png(code: ParsedCode | str, module_px: int = 4) -> bytes:
    """A GS1 DataMatrix of the code as a 1-bit PNG, ``module_px`` pixels per module, quiet zone included."""
    return _file(code, module_px, "png")


def datamatrix_svg(code: ParsedCode | str, module_px: int = 4) -> str:
    """A GS1 DataMatrix of the code as SVG, ``module_px`` user units per module, quiet zone included."""
    return _file(code, module_px, "svg").decode("utf-8")


def _modules(symbol: Symbol) -> list[list[tuple[int, int]]]:
    """The dark runs of each row of an encoded symbol, as (first column, length)."""
    matrix = symbol.encoded_data  # rows × 144 bytes (1152 modules), module x of a row is bit x % 8 of byte x // 8
    flat = matrix.tobytes()
    stride = len(flat) // len(matrix)
    width, row_bytes = symbol.width, (symbol.width + 7) // 8
    runs: list[list[tuple[int, int]]] = []
    for row in range(symbol.rows):
        bits = int.from_bytes(flat[row * stride:row * stride + row_bytes], "little")
        columns = format(bits, f"0{row_bytes * 8}b")[::-1][:width]  # character x is module x
        runs.append([(m.start(), m.end() - m.start()) for m in _RUN.finditer(columns)])
    return runs


# --- sheets ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _TextLine:
    text: str
    size: float


@dataclass(frozen=True)
class _Cell:
    width: float
    height: float

    @property
    def inner_width(self) -> float:
        return self.width - 2 * _CELL_PADDING

    @property
    def inner_height(self) -> float:
        return self.height - 2 * _CELL_PADDING


def _fitting_size(text: str, width: float, largest: float) -> float:
    return min(largest, width / (_FONT_WIDTH * max(len(text), 1)))


def _wrapped(words: list[str], width: float, size: float) -> list[str]:
    """Words (one per element) into lines that fit ``width``; a word longer than a line is cut."""
    per_line = max(int(width / (_FONT_WIDTH * size)), 1)
    lines: list[str] = []
    current = ""
    for word in words:
        candidate = f"{current} {word}" if current else word
        if len(candidate) <= per_line:
            current = candidate
            continue
        if current:
            lines.append(current)
        rest = word
        while len(rest) > per_line:
            lines.append(rest[:per_line])
            rest = rest[per_line:]
        current = rest
    if current:
        lines.append(current)
    return lines


def _text_lines(ais: list[tuple[str, str]], width: float, *, with_signature: bool) -> list[_TextLine]:
    """The human-readable text of a label: the identification code (00, or 01 and 21) first, sized to fit
    one line, then the other AIs; the signature (AI 92) last.

    The signature is long and nobody types it: it is printed small over at most two lines, or replaced by
    a note when that would not fit (``with_signature`` False, or a font below 3.5 pt).
    """
    values = dict(ais)
    key = ["00"] if "00" in values else [ai for ai in ("01", "21") if ai in values]
    ordered = key + [ai for ai, _ in ais if ai not in key and ai != "92"]
    words = [f"({ai}){values[ai]}" for ai in ordered]
    size = max(_fitting_size(" ".join(words[:max(len(key), 1)]), width, _TEXT_SIZE), _TEXT_MIN_SIZE)
    lines = [_TextLine(text, size) for text in _wrapped(words, width, size)]
    signature = values.get("92")
    if signature is None:
        return lines
    text = f"(92){signature}"
    signature_size = _fitting_size(text, width * _SIGNATURE_LINES, _SIGNATURE_MAX_SIZE)
    if with_signature and signature_size >= _SIGNATURE_MIN_SIZE:
        per_line = max(int(width / (_FONT_WIDTH * signature_size)), 1)
        return lines + [_TextLine(text[i:i + per_line], signature_size) for i in range(0, len(text), per_line)]
    note = f"(92) {len(signature)} characters, in the symbol only"
    return [*lines, _TextLine(note, _fitting_size(note, width, _TEXT_MIN_SIZE))]


def _text_height(lines: list[_TextLine]) -> float:
    """The height of the text block, with the gap that separates it from the symbol."""
    return sum(line.size * _LEADING for line in lines) + (_TEXT_GAP if lines else 0)


def _module_size(cell: _Cell, symbol: Symbol, lines: list[_TextLine]) -> float:
    """The module size that fills the cell's free square, quiet zone included."""
    side = min(cell.inner_width, cell.inner_height - _text_height(lines))
    return side / (symbol.width + 2 * QUIET_ZONE_MODULES)


def _layout(cell: _Cell, symbol: Symbol, ais: list[tuple[str, str]], *, with_text: bool, index: int) -> list[_TextLine]:
    """The text of one label, leaving the signature out when the symbol would otherwise print too small."""
    choices = [_text_lines(ais, cell.inner_width, with_signature=full) for full in (True, False)] if with_text else [[]]
    for lines in choices:
        if _module_size(cell, symbol, lines) >= MIN_MODULE_MM * mm:
            return lines
    raise ValueError(
        f"label {index}: a {symbol.width}×{symbol.rows}-module symbol does not fit a {cell.width / mm:.1f}×"
        f"{cell.height / mm:.1f} mm cell with modules of at least {MIN_MODULE_MM} mm: use fewer columns or rows"
    )


def _draw_label(canvas: Canvas, x: float, y: float, cell: _Cell, symbol: Symbol, lines: list[_TextLine]) -> None:
    """One label in the cell whose bottom-left corner is (x, y): the symbol centred at the top, text below."""
    module = _module_size(cell, symbol, lines)
    centre = x + cell.width / 2
    left = centre - symbol.width * module / 2
    top = y + cell.height - _CELL_PADDING - QUIET_ZONE_MODULES * module
    canvas.saveState()
    canvas.translate(left, top)
    canvas.scale(module, -module)  # one unit per module, rows counted downwards as in the matrix
    # One path of all dark runs, filled once, so the modules merge with no seams between them. Written as
    # PDF operators directly: the coordinates are whole modules, and reportlab's path object formats
    # every number as a float, which made it 3/4 of the time of a sheet.
    canvas.addLiteral(
        "\n".join(f"{start} {row} {length} 1 re" for row, runs in enumerate(_modules(symbol)) for start, length in runs)
        + "\nf"
    )
    canvas.restoreState()
    baseline = top - (symbol.rows + QUIET_ZONE_MODULES) * module - _TEXT_GAP
    for line in lines:
        baseline -= line.size
        canvas.setFont(_FONT, line.size)
        canvas.drawCentredString(centre, baseline, line.text)
        baseline -= line.size * (_LEADING - 1)


def _with_index(fault: InvalidInput, index: int) -> InvalidInput:
    return InvalidInput(*(dataclasses.replace(f, index=index) for f in fault.faults))


def _numbered(codes: Iterable[ParsedCode | str]) -> Iterator[tuple[int, Symbol, ParsedCode]]:
    for index, code in enumerate(codes):
        try:
            yield index, *_encoded(code)
        except InvalidInput as refused:
            raise _with_index(refused, index) from None


def label_sheet_pdf(
    codes: Iterable[ParsedCode | str],
    *,
    columns: int = 4,
    rows: int = 10,
    page_size: tuple[float, float] = A4,
    with_text: bool = True,
    progress: Callable[[int], None] | None = None,
) -> bytes:
    """A printable PDF: one label per cell, ``columns`` × ``rows`` cells a page, as many pages as needed.

    Each label is the symbol with the code in brackets under it (``with_text``). ``codes`` is consumed
    once, lazily, one code at a time (a generator over a database cursor will do); no symbol outlives
    its label. The PDF itself is built in memory: about 1.3 MB per 1000 labels.
    ``progress`` is called with the number of labels drawn so far after each page. A code that cannot be
    encoded raises InvalidInput whose fault ``index`` is its position in ``codes``; an empty ``codes``
    or cells too small for the symbols raise ValueError. ``page_size`` is in points (reportlab's units).
    """
    if columns < 1 or rows < 1:
        raise ValueError(f"a sheet has at least one column and one row, got {columns}×{rows}")
    page_width, page_height = page_size
    margin = PAGE_MARGIN_MM * mm
    cell = _Cell((page_width - 2 * margin) / columns, (page_height - 2 * margin) / rows)
    if cell.inner_width <= 0 or cell.inner_height <= 0:
        raise ValueError("the page is too small for that many columns and rows")
    per_page = columns * rows
    output = io.BytesIO()
    canvas = Canvas(output, pagesize=page_size, pageCompression=1, invariant=1)
    canvas.setTitle("Tanba marking code labels")
    canvas.setCreator("Tanba")
    drawn = 0
    for index, symbol, code in _numbered(codes):
        position = index % per_page
        if index and position == 0:
            canvas.showPage()  # only once a label needs a new page: no blank page at the end
        text = _layout(cell, symbol, list(code.ais), with_text=with_text, index=index)
        x = margin + position % columns * cell.width
        y = page_height - margin - (position // columns + 1) * cell.height
        _draw_label(canvas, x, y, cell, symbol, text)
        drawn = index + 1
        if progress is not None and drawn % per_page == 0:
            progress(drawn)
    if drawn == 0:
        raise ValueError("no codes to print")
    canvas.showPage()
    canvas.save()
    if progress is not None and drawn % per_page:
        progress(drawn)
    return output.getvalue()
