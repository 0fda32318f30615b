"""What the import tells people, as translatable constants. Tests reuse them.

File messages reject a whole file; row messages name what is wrong with one cell and are
shown next to the row number and the column.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

# The whole file
FILE_EMPTY = _("The file is empty (0 bytes).")
FILE_TOO_LARGE = _("The file is %(size)s bytes; the limit is %(limit)s bytes.")
FILE_TYPE = _("The file must be a CSV (.csv) or Excel workbook (.xlsx); %(name)s is neither.")
FILE_OLD_XLS = _("This is an old Excel .xls file; save it as .xlsx or as CSV and upload again.")
FILE_XLSX_ENCRYPTED = _(
    "The workbook is password-protected, so it cannot be read; open it in Excel, save it without a password, "
    "and upload again."
)
FILE_BINARY = _("The file is not a CSV text file: it holds binary data (is it another kind of file?).")
FILE_ENCODING = _(
    "The file cannot be read: it is neither UTF-8 nor GB18030 text (invalid bytes at byte %(offset)s). "
    "Save it as “CSV UTF-8” and upload again."
)
FILE_MIXED_ENCODING = _(
    "Row %(row)s is UTF-8 text but other rows of the file are GB18030: the file mixes two encodings, and "
    "its Chinese would be stored garbled. Save the whole file as “CSV UTF-8” and upload again."
)
FILE_DAMAGED_UTF8 = _(
    "Row %(row)s is not UTF-8 text while the rows before it are (invalid bytes at byte %(offset)s): the file "
    "mixes two encodings or is damaged. Save the whole file as “CSV UTF-8” and upload again."
)
FILE_BOM_NOT_UTF8 = _(
    "The file begins with a UTF-8 mark (BOM) but its text is GB18030, not UTF-8, so its Chinese cannot be "
    "read safely. Save it as “CSV UTF-8” and upload again."
)
FILE_CSV_MALFORMED = _("The CSV file is malformed at row %(row)s: %(reason)s. Is the file cut short?")
CSV_UNCLOSED_QUOTE = _("a quoted field is never closed")
CSV_STRAY_QUOTE = _("a quote inside a quoted field is not doubled")
FILE_XLSX_INVALID = _(
    "The file is not a valid XLSX workbook: it is damaged, cut short, or another kind of file renamed."
)
FILE_XLSX_BOMB = _(
    "The XLSX file would expand to %(size)s bytes (%(ratio)s times its size); it is refused as a possible "
    "zip bomb."
)
FILE_XLSX_NO_SHEET = _("The XLSX workbook has no worksheet.")
XLSX_OTHER_SHEETS_IGNORED = _(
    "The workbook has %(count)s sheets; only the first, “%(sheet)s”, was read. Not read: %(others)s."
)
FILE_NO_HEADER = _("The file has no header row.")
FILE_PERIOD_CLOSED_MEANWHILE = _(
    "The period %(period)s was closed while this file was being imported, so nothing was written. "
    "Rows for a closed period are refused; import the file again to see which."
)
FILE_NO_ROWS = _("The file has a header row but no data rows.")
FILE_MISSING_COLUMNS = _("Required column missing: %(columns)s.")
FILE_DUPLICATE_COLUMN = _("The column %(column)s appears twice in the header.")
FILE_TOO_MANY_ROWS = _("The file has more than %(limit)s rows, the most one import may hold.")
FILE_NOT_ALLOWED = _("You may not import %(kind)s.")
FILE_UNKNOWN_KIND = _("Unknown kind of import: %(kind)s.")
FILE_MISSING = _("The file could not be opened: %(reason)s.")
IMPORT_ROWS_REJECTED = _("%(count)s rows have errors, so nothing was written. Correct them and import again.")
IMPORT_SOME_ROWS_REJECTED = _("%(count)s rows were rejected and not written; they are in the error file.")
IMPORT_FAILED = _("The import failed on an unexpected error; nothing was written.")
IMPORT_LOST = _(
    "The import stopped: the background worker running it was lost. Nothing was written; "
    "upload the file again."
)
IMPORT_LOST_CHUNKS = _(
    "The import stopped: the process running it was lost. Rows written before that stay; "
    "import the same file again to complete it."
)
IMPORT_CONFLICT = _(
    "Another import was writing the same records at the same time, so nothing of this file "
    "was written. Import it again."
)
IMPORT_CONFLICT_CHUNKS = _(
    "Another import was writing the same records at the same time. Rows written before that stay; "
    "import the file again to complete it."
)
IMPORT_FAILED_AFTER_WRITING = _(
    "The import failed on an unexpected error after writing %(count)s rows; import the same file again "
    "to complete it (rows already written are left as they are)."
)

# One cell or one row
ROW_REQUIRED = _("is required")
ROW_SHORT = _("the row has %(found)s columns but the header has %(expected)s (is the file cut short?)")
ROW_LONG = _("the row has more columns than the header (an unquoted comma?)")
ROW_TOO_LONG = _("is longer than %(max)s characters")
ROW_FORMULA_NO_VALUE = _("holds a formula without a saved value (open the file in Excel and save it again)")
ROW_BAD_TIMESTAMP = _("“%(value)s” is not a date and time like 2026-10-01 08:30 or 2026-10-01 08:30:00")
ROW_BAD_DATE = _("“%(value)s” is not a date like 2026-10-01")
ROW_NO_SUCH_DAY = _("“%(value)s” is not a day of the calendar")
# Dates out of their sane range (values.py says why each range is what it is).
ROW_EVENT_OUT_OF_RANGE = _(
    "“%(value)s” is not between %(earliest)s and %(latest)s: assessment data starts in 2000, and what has "
    "happened cannot be dated after tomorrow"
)
ROW_PROMISE_OUT_OF_RANGE = _(
    "“%(value)s” is not between %(earliest)s and %(latest)s: a promised time is at most a year ahead"
)
ROW_OPENING_OUT_OF_RANGE = _(
    "“%(value)s” is not between %(earliest)s and %(latest)s: an opening date is at most a year ahead"
)
ROW_PERIOD_OUT_OF_RANGE = _(
    "“%(value)s” is not between %(earliest)s and %(latest)s: a monthly report is for a month that has begun"
)
ROW_BAD_MONEY = _("“%(value)s” is not an amount: digits with a “.” and at most 2 decimals")
ROW_NEGATIVE = _("“%(value)s” is negative; it may not be")
ROW_BAD_DECIMAL = _("“%(value)s” is not a number with at most 2 decimals")
ROW_BAD_INTEGER = _("“%(value)s” is not a whole number")
ROW_OUT_OF_RANGE = _("%(value)s is not between %(min)s and %(max)s")
ROW_BELOW_MIN = _("%(value)s is less than %(min)s")
ROW_TOO_BIG = _("%(value)s is too large")
ROW_BAD_CHOICE = _("“%(value)s” is not one of: %(choices)s")
ROW_BAD_VIN = _("“%(value)s” is not a VIN: 17 letters and digits, without I, O or Q")
ROW_BAD_DEALER_CODE = _("“%(value)s” is not a dealer code: 1–20 letters, digits or “-”")
ROW_UNKNOWN_DEALER = _("there is no dealer with the code “%(value)s”")
ROW_NOT_YOUR_DEALER = _("“%(value)s” is not your dealer")
ROW_DUPLICATE_KEY = _("the same %(key)s is already on row %(first)s of this file")
ROW_BEFORE = _("is before %(other)s")
ROW_AFTER = _("is after %(other)s")
ROW_MORE_THAN = _("%(value)s is more than %(other)s (%(limit)s)")
ROW_FAULT_CODE_REQUIRED = _("is required for repair and warranty orders")
ROW_UNKNOWN_REPAIR_ORDER = _("there is no repair order “%(value)s” of dealer %(dealer)s")
ROW_NOT_DEALERS_RECORD = _("this record comes from %(channel)s and cannot be changed by a dealer import")
ROW_RESERVED_ID = _("ids beginning with %(prefix)s are given by the portal; “%(value)s” cannot be imported")
ROW_BAD_PERIOD = _("“%(value)s” is not a month like 2026-10")
ROW_PERIOD_CLOSED = _(
    "the period %(value)s is closed: its scores are frozen, and this row would add or change "
    "a record they counted"
)
ROW_ALREADY_APPROVED = _("the submission for %(value)s is already approved; ask HQ to return it first")

# Uploads
UPLOAD_LIMIT_REACHED = _(
    "You have started %(limit)s imports in the last hour, the most allowed; try again later."
)
ERROR_FILE_NOTE = _(
    "note: cells that a spreadsheet would run as a formula (starting with = + - @, a tab or a "
    "carriage return) are prefixed with ' in this file; the file as uploaded is kept unchanged for its "
    "uploader"
)
