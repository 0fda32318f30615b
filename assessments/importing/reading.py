"""Reading an uploaded file as a header and a stream of rows, whatever its format.

CSV: strict UTF-8 (with or without BOM) is tried first, then GB18030 — never GBK first,
because UTF-8 Chinese often decodes as GBK into mojibake without an error. RFC 4180
quoting through the csv module. XLSX: the first sheet, read-only, cached values of
formulas (never evaluated), after checking that the archive is not a zip bomb. openpyxl
parses XML through defusedxml when it is installed (it is a dependency).

Rows come out one at a time, so memory stays flat however large the file.
"""

from __future__ import annotations

import codecs
import csv
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import IO, Any

from django.conf import settings

from . import messages as msg

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
BLOCK = 1 << 20
# XLSX limits: what the archive declares it unpacks to, in total and relative to its size.
XLSX_MAX_UNCOMPRESSED_BYTES = 2 * 1024**3
XLSX_MAX_RATIO = 200
XLSX_RATIO_APPLIES_ABOVE = 50 * 1024**2

# Valid UTF-8 CJK ideographs seen before an invalid byte that make a file damaged UTF-8.
DAMAGED_UTF8_IDEOGRAPHS = 4
_IDEOGRAPHS = re.compile("[\u4e00-\u9fff]")

# A row: its number (the header is row 1), its cells as text, and the indexes of cells that
# hold a formula without a cached value (XLSX only; usually empty).
Row = tuple[int, list[str], tuple[int, ...]]


class FileRejected(Exception):
    """The whole file is refused; `message` says why in the user's language."""

    def __init__(self, message: Any, **params: Any) -> None:
        text = str(message)
        self.message = text % params if params else text
        super().__init__(self.message)


@dataclass
class Table:
    """A file opened for reading: its header cells and an iterator of its rows."""

    header: list[str]
    rows: Iterator[Row]
    encoding: str = ""
    _closers: list[Any] = field(default_factory=list)

    def close(self) -> None:
        for closer in self._closers:
            closer()

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def check_size(size: int) -> None:
    if size == 0:
        raise FileRejected(msg.FILE_EMPTY)
    limit = settings.IMPORT_MAX_FILE_BYTES
    if size > limit:
        raise FileRejected(msg.FILE_TOO_LARGE, size=f"{size:,}", limit=f"{limit:,}")


def open_table(path: Path, file_name: str) -> Table:
    """Open `path` (uploaded as `file_name`) as CSV or XLSX, or raise FileRejected."""
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError as exc:
        raise FileRejected(msg.FILE_MISSING, reason=exc.strerror or exc) from exc
    check_size(size)
    suffix = Path(file_name).suffix.lower()
    if head.startswith(OLE2_MAGIC) or suffix == ".xls":
        raise FileRejected(msg.FILE_OLD_XLS)
    if head.startswith(ZIP_MAGIC) or suffix in (".xlsx", ".xlsm"):
        return _open_xlsx(path, size)
    if suffix not in (".csv", ".txt", ""):
        raise FileRejected(msg.FILE_TYPE, name=file_name)
    return _open_csv(path)


# --- CSV -------------------------------------------------------------------------------


def detect_encoding(path: Path) -> str:
    """'utf-8-sig' or 'gb18030', after decoding the whole file strictly; else FileRejected.

    A file that holds valid UTF-8 Chinese and then an invalid byte is damaged UTF-8, not
    GB18030: GB18030 would decode it without complaint, into mojibake. It is refused. (A
    GB18030 file read as UTF-8 fails within its first Chinese characters: a GB pair can
    pass for UTF-8 by chance, a run of CJK ideographs cannot.)
    """
    with path.open("rb") as handle:
        head = handle.read(4)
    if head.startswith(UTF16_BOMS):
        raise FileRejected(msg.FILE_ENCODING, offset=0)
    utf8_error, utf8_ideographs = _first_decode_error(path, "utf-8-sig")
    if utf8_error is None:
        return "utf-8-sig"
    if utf8_ideographs < DAMAGED_UTF8_IDEOGRAPHS:
        gb_error, _ = _first_decode_error(path, "gb18030")
        if gb_error is None:
            return "gb18030"
    raise FileRejected(msg.FILE_ENCODING, offset=f"{utf8_error:,}")


def _first_decode_error(path: Path, encoding: str) -> tuple[int | None, int]:
    """Where strict decoding first fails (None: it does not), and how many CJK ideographs
    it decoded before that (counted up to DAMAGED_UTF8_IDEOGRAPHS)."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset = 0
    ideographs = 0
    try:
        with path.open("rb") as handle:
            while block := handle.read(BLOCK):
                if b"\x00" in block:
                    raise FileRejected(msg.FILE_BINARY)
                text = decoder.decode(block)
                if ideographs < DAMAGED_UTF8_IDEOGRAPHS and not text.isascii():
                    ideographs += len(_IDEOGRAPHS.findall(text, 0, 100_000))
                offset += len(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        if ideographs < DAMAGED_UTF8_IDEOGRAPHS and exc.start:
            ideographs += len(_IDEOGRAPHS.findall(exc.object[: exc.start].decode(encoding, errors="ignore")))
        return offset + exc.start, ideographs
    return None, ideographs


def _open_csv(path: Path) -> Table:
    encoding = detect_encoding(path)
    handle = path.open("r", encoding=encoding, newline="")
    try:
        reader = csv.reader(handle, strict=True)
        number = 0
        header: list[str] | None = None
        try:
            for cells in reader:
                number += 1
                if cells and any(cell.strip() for cell in cells):
                    header = cells
                    break
        except csv.Error as exc:
            raise FileRejected(msg.FILE_CSV_MALFORMED, row=number + 1, reason=_csv_reason(exc)) from exc
        if header is None:
            raise FileRejected(msg.FILE_NO_HEADER)
    except BaseException:
        handle.close()
        raise
    return Table(header=header, rows=_csv_rows(reader, number), encoding=encoding, _closers=[handle.close])


def _csv_reason(error: csv.Error) -> str:
    """The csv module's reason in plain words, in the user's language where we know it."""
    text = str(error)
    if "unexpected end of data" in text:
        return str(msg.CSV_UNCLOSED_QUOTE)
    if "expected after" in text:
        return str(msg.CSV_STRAY_QUOTE)
    return text


def _csv_rows(reader: Any, header_number: int) -> Iterator[Row]:
    number = header_number
    no_formulas: tuple[int, ...] = ()
    try:
        for cells in reader:
            number += 1
            yield number, cells, no_formulas
    except csv.Error as exc:
        raise FileRejected(msg.FILE_CSV_MALFORMED, row=number + 1, reason=_csv_reason(exc)) from exc


# --- XLSX ------------------------------------------------------------------------------


def check_xlsx_archive(path: Path, size: int) -> None:
    """Refuse archives that are not ZIP files, or that declare too much to unpack."""
    try:
        with zipfile.ZipFile(path) as archive:
            declared = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise FileRejected(msg.FILE_XLSX_INVALID) from exc
    ratio = declared / max(size, 1)
    too_big = declared > getattr(settings, "IMPORT_MAX_XLSX_UNCOMPRESSED_BYTES", XLSX_MAX_UNCOMPRESSED_BYTES)
    if too_big or (declared > XLSX_RATIO_APPLIES_ABOVE and ratio > XLSX_MAX_RATIO):
        raise FileRejected(msg.FILE_XLSX_BOMB, size=f"{declared:,}", ratio=f"{ratio:,.0f}")


def _open_xlsx(path: Path, size: int) -> Table:
    import openpyxl  # imported here: CSV-only processes never pay for it

    check_xlsx_archive(path, size)
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign file
        raise FileRejected(msg.FILE_XLSX_INVALID) from exc
    try:
        if not workbook.worksheets:
            raise FileRejected(msg.FILE_XLSX_NO_SHEET)
        rows = _xlsx_rows(workbook, workbook.worksheets[0])
        header: list[str] | None = None
        for _number, cells, _formulas in rows:
            if any(cell.strip() for cell in cells):
                header = cells
                break
        if header is None:
            raise FileRejected(msg.FILE_NO_HEADER)
    except BaseException:
        workbook.close()
        raise
    return Table(header=header, rows=rows, encoding="xlsx", _closers=[workbook.close])


class _NoCachedValue:
    """Marks a formula cell that was saved without its computed value."""


NO_CACHED_VALUE = _NoCachedValue()


def _xlsx_rows(workbook: Any, sheet: Any) -> Iterator[Row]:
    from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser

    class Parser(WorkSheetParser):
        def parse_cell(self, element: Any) -> dict[str, Any]:
            cell = super().parse_cell(element)
            if cell["value"] is None and element.find(FORMULA_TAG) is not None:
                cell["value"] = NO_CACHED_VALUE
            return cell

    try:
        source: IO[bytes] = workbook._archive.open(sheet._worksheet_path)
        parser = Parser(
            source,
            sheet._shared_strings,
            data_only=True,
            epoch=workbook.epoch,
            date_formats=workbook._date_formats,
            timedelta_formats=workbook._timedelta_formats,
        )
        for number, cells in parser.parse():
            width = max((cell["column"] for cell in cells), default=0)
            texts = [""] * width
            formulas: list[int] = []
            for cell in cells:
                index = cell["column"] - 1
                value = cell["value"]
                if value is NO_CACHED_VALUE:
                    formulas.append(index)
                else:
                    texts[index] = cell_text(value)
            yield number, texts, tuple(formulas)
    except FileRejected:
        raise
    except Exception as exc:  # a cut-short archive or broken XML shows up only while reading
        raise FileRejected(msg.FILE_XLSX_INVALID) from exc


def cell_text(value: Any) -> str:
    """A spreadsheet cell as the text a CSV export would hold."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        # Excel stores times as fractions of a day; round to the second, never truncate 08:29:59.9999.
        value = (value + timedelta(microseconds=500_000)).replace(microsecond=0)
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    return str(value)
