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
import io
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
    notes: list[str] = field(default_factory=list)  # what the reader chose, in the user's language
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
    if head.startswith(OLE2_MAGIC) and is_encrypted_workbook(path):
        raise FileRejected(msg.FILE_XLSX_ENCRYPTED)
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

    A file that holds valid UTF-8 Chinese and then an invalid byte is damaged UTF-8 (or a
    GB18030 row pasted into UTF-8), not GB18030: GB18030 would decode it without complaint,
    into mojibake. It is refused, naming the row. (A GB18030 file read as UTF-8 fails within
    its first Chinese characters: a GB pair can pass for UTF-8 by chance, a run of CJK
    ideographs cannot.) The other way round, a GB18030 file with a UTF-8 row decodes as
    GB18030 too, that row into mojibake; it is refused naming the row. A UTF-8 mark (BOM)
    before GB18030 text is refused as what it is, rather than read with a garbled header.
    """
    with path.open("rb") as handle:
        head = handle.read(4)
    if head.startswith(UTF16_BOMS):
        raise FileRejected(msg.FILE_ENCODING, offset=0)
    utf8_error, utf8_ideographs = _first_decode_error(path, "utf-8-sig")
    if utf8_error is None:
        return "utf-8-sig"
    if utf8_ideographs >= DAMAGED_UTF8_IDEOGRAPHS:
        row = _row_at(path, "utf-8-sig", utf8_error)
        raise FileRejected(msg.FILE_DAMAGED_UTF8, row=f"{row:,}", offset=f"{utf8_error:,}")
    has_bom = head.startswith(codecs.BOM_UTF8)
    gb_error, _ = _first_decode_error(path, "gb18030", skip=len(codecs.BOM_UTF8) if has_bom else 0)
    if gb_error is None and has_bom:
        raise FileRejected(msg.FILE_BOM_NOT_UTF8)
    # GB18030 rows with a UTF-8 row: the UTF-8 row may decode as GB18030 (into mojibake) or
    # not, depending on its characters; either way, name it.
    if gb_error is None or _is_gb18030_chinese(_line_at(path, utf8_error)):
        utf8_line = _first_utf8_line(path)
        if utf8_line is not None:
            row = _row_at(path, "gb18030", utf8_line)
            raise FileRejected(msg.FILE_MIXED_ENCODING, row=f"{row:,}")
    if gb_error is not None:
        raise FileRejected(msg.FILE_ENCODING, offset=f"{utf8_error:,}")
    return "gb18030"


def _first_decode_error(path: Path, encoding: str, skip: int = 0) -> tuple[int | None, int]:
    """Where strict decoding (from byte `skip` on) first fails (None: it does not), and how
    many CJK ideographs it decoded before that (counted up to DAMAGED_UTF8_IDEOGRAPHS)."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset = skip
    ideographs = 0
    try:
        with path.open("rb") as handle:
            handle.seek(skip)
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


# Where UTF-8 Chinese may start: an ASCII byte (a comma, a line break), then a three-byte
# UTF-8 sequence of a CJK character (first byte E3-E9, or EF for full-width forms). Bytes are
# mapped to classes so that bytes.find, not a Python loop or a regex, scans large files.
_BYTE_CLASSES = bytes(
    ord("a")
    if byte < 0x80
    else ord("L")
    if 0xE3 <= byte <= 0xE9 or byte == 0xEF
    else ord("c")
    if byte < 0xC0
    else ord("x")
    for byte in range(256)
)
_UTF8_CJK_START = b"aLcc"
# What a line of UTF-8 Chinese holds: ASCII, CJK punctuation, ideographs, full-width forms.
_CJK_LINE = re.compile("[\x00-\x7f\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]*")
_CJK_IDEOGRAPH = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]")


def _first_utf8_line(path: Path) -> int | None:
    """In a file of GB18030 rows, where the first line of UTF-8 Chinese starts (None: none).

    A line counts when it decodes strictly as UTF-8 and holds only ASCII and CJK text, at
    least one ideograph. Real GB18030 text almost never does: its common characters do not
    form UTF-8 sequences, and a row holds several Chinese fields.
    """
    start_of_data = 0  # file offset of `data`
    pending = b""
    with path.open("rb") as handle:
        while True:
            block = handle.read(BLOCK)
            # Complete lines only, unless this is the end of the file. "\r" ends a line too:
            # read as "\n" (same length, so offsets hold).
            data = (pending + block).replace(b"\r", b"\n")
            cut = data.rfind(b"\n") + 1 if block else len(data)
            classes = b"a" + data[:cut].translate(_BYTE_CLASSES)  # "a": the start of a line
            found = classes.find(_UTF8_CJK_START)
            while found >= 0:  # `found` is where the CJK character starts in `data`
                start = data.rfind(b"\n", 0, found) + 1
                end = data.find(b"\n", found, cut)
                end = cut if end < 0 else end
                if _is_utf8_chinese(data[start:end]):
                    return start_of_data + start
                found = classes.find(_UTF8_CJK_START, end + 1)
            if not block:
                return None
            pending = data[cut:]
            start_of_data += cut


def _is_utf8_chinese(line: bytes) -> bool:
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return _CJK_LINE.fullmatch(text) is not None and _CJK_IDEOGRAPH.search(text) is not None


def _line_at(path: Path, offset: int, reach: int = 1 << 16) -> bytes:
    """The line holding byte `offset` (at most `reach` bytes of it either side)."""
    start = max(offset - reach, 0)
    with path.open("rb") as handle:
        handle.seek(start)
        window = handle.read(offset - start + reach)
    at = offset - start
    first = max(window.rfind(b"\n", 0, at), window.rfind(b"\r", 0, at)) + 1
    ends = [i for i in (window.find(b"\n", at), window.find(b"\r", at)) if i >= 0]
    return window[first : min(ends, default=len(window))]


def _is_gb18030_chinese(line: bytes) -> bool:
    try:
        text = line.decode("gb18030")
    except UnicodeDecodeError:
        return False
    return _CJK_IDEOGRAPH.search(text) is not None


class _PrefixThenMarker(io.RawIOBase):
    """The first `size` bytes of a binary file, then one ASCII byte: what _row_at reads."""

    def __init__(self, handle: IO[bytes], size: int) -> None:
        self.handle = handle
        self.left = size
        self.marker = b"X"

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.left > 0:
            data = self.handle.read(min(len(buffer), self.left))
            self.left = self.left - len(data) if data else 0  # 0: the file is shorter
        else:
            data, self.marker = self.marker, b""
        buffer[: len(data)] = data
        return len(data)


def _row_at(path: Path, encoding: str, offset: int) -> int:
    """The number of the CSV row (the header is row 1, as in row errors) holding byte `offset`.

    The file up to `offset` is read as CSV with a marker in place of the byte there: the
    marker ends up in the last row read, whether the byte starts a row or sits inside one
    (a quoted field may span lines).
    """
    with path.open("rb") as handle:
        prefix = io.BufferedReader(_PrefixThenMarker(handle, offset))
        text = io.TextIOWrapper(prefix, encoding=encoding, errors="replace", newline="")
        return sum(1 for _ in csv.reader(text))


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


# An OLE compound file's directory entry (128 bytes, 128-aligned in the file) of the stream
# "EncryptedPackage": its UTF-16LE name with the terminating NUL, then at byte 64 the name's
# length in bytes (34) and at byte 66 the entry's type (2, a stream).
_ENCRYPTED_PACKAGE_NAME = "EncryptedPackage\x00".encode("utf-16-le")
_DIRECTORY_ENTRY = 128


def is_encrypted_workbook(path: Path) -> bool:
    """Whether an OLE compound file is an Office document saved with a password.

    Excel stores a password-protected .xlsx (ECMA-376 agile or standard encryption) not as a
    ZIP archive but inside an OLE compound file, as an "EncryptedPackage" stream next to
    "EncryptionInfo" — the same container as an old .xls, so the magic bytes alone would
    call it one.
    """
    with path.open("rb") as handle:
        while block := handle.read(BLOCK):  # BLOCK is a multiple of 128: entries never straddle
            position = block.find(_ENCRYPTED_PACKAGE_NAME)
            while position >= 0:
                entry = block[position : position + _DIRECTORY_ENTRY]
                if (
                    position % _DIRECTORY_ENTRY == 0
                    and entry[64:66] == b"\x22\x00"
                    and entry[66:67] == b"\x02"
                ):
                    return True
                position = block.find(_ENCRYPTED_PACKAGE_NAME, position + 1)
    return False


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
    # A file object, not the path: openpyxl refuses a path whose suffix is not .xlsx, and an
    # upload may be stored under any name (a temporary "….upload" file, a workbook named .csv).
    handle = path.open("rb")
    try:
        workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign file
        handle.close()
        raise FileRejected(msg.FILE_XLSX_INVALID) from exc
    closers = [workbook.close, handle.close]
    try:
        sheets = workbook.worksheets
        if not sheets:
            raise FileRejected(msg.FILE_XLSX_NO_SHEET)
        notes = []
        if len(sheets) > 1:
            # The first sheet is read (data-formats.md), not the one Excel last showed: say so.
            others = ", ".join(f"“{sheet.title}”" for sheet in sheets[1:])
            notes.append(
                str(msg.XLSX_OTHER_SHEETS_IGNORED)
                % {"count": len(sheets), "sheet": sheets[0].title, "others": others}
            )
        rows = _xlsx_rows(workbook, sheets[0])
        header: list[str] | None = None
        for _number, cells, _formulas in rows:
            if any(cell.strip() for cell in cells):
                header = cells
                break
        if header is None:
            raise FileRejected(" ".join([str(msg.FILE_NO_HEADER), *notes]))
    except BaseException:
        for close in closers:
            close()
        raise
    return Table(header=header, rows=rows, encoding="xlsx", notes=notes, _closers=closers)


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
