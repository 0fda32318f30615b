"""What a case may carry: photos, short videos, diagnostic logs and PDFs, judged by content.

The name's extension must agree with what the first bytes say the file is: a script renamed
`photo.jpg` is refused, as is a PDF renamed `.png`. Limits per type are settings.
"""

from __future__ import annotations

from pathlib import PurePath

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from .errors import SupportError

# Which extensions each kind of file may carry.
EXTENSIONS = {
    "photo": {".jpg", ".jpeg", ".png", ".webp", ".heic"},
    "video": {".mp4", ".mov", ".m4v"},
    "pdf": {".pdf"},
    "log": {".log", ".txt", ".csv", ".zip"},
}
HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1"}
SNIFF_BYTES = 64 * 1024


def sniff(head: bytes) -> str | None:
    """The kind of file these first bytes begin, or None when it is none the portal takes."""
    if head.startswith(b"\xff\xd8\xff") or head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "photo"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "photo"
    if head[4:8] == b"ftyp":
        return "photo" if head[8:12] in HEIF_BRANDS else "video"
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "log"  # a zipped diagnostic log
    if head and b"\x00" not in head:
        for encoding in ("utf-8", "gb18030"):
            try:
                head.decode(encoding)
            except UnicodeDecodeError as exc:
                if exc.start >= len(head) - 4:  # a character cut at the end of the sample
                    return "log"
                continue
            return "log"
    return None


def attachment_kind(upload: UploadedFile) -> str:
    """Check one upload: its kind (photo, video, pdf, log), or SupportError in the user's words."""
    name = upload.name or ""
    suffix = PurePath(name).suffix.lower()
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    kind = sniff(head)
    allowed = ", ".join(sorted(ext for exts in EXTENSIONS.values() for ext in exts))
    if kind is None or suffix not in EXTENSIONS[kind]:
        raise SupportError(
            _(
                "%(name)s: not a photo, short video, diagnostic log or PDF (or its name does not match its content). Allowed: %(allowed)s."
            )
            % {"name": name, "allowed": allowed}
        )
    limit_mb = settings.SUPPORT_MAX_FILE_MB[kind]
    if upload.size is not None and upload.size > limit_mb * 1024 * 1024:
        raise SupportError(_("%(name)s is larger than %(mb)s MB.") % {"name": name, "mb": limit_mb})
    return kind


def check_attachments(uploads: list[UploadedFile]) -> list[str]:
    if len(uploads) > settings.SUPPORT_MAX_FILES:
        raise SupportError(_("At most %(n)s files at a time.") % {"n": settings.SUPPORT_MAX_FILES})
    return [attachment_kind(u) for u in uploads]
