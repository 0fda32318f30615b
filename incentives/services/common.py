"""What the incentive services share: the user-facing error and the evidence-file check."""

from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _


class IncentiveError(Exception):
    """A decision that is not allowed; the message is for the user."""


EVIDENCE_EXTENSIONS = {
    ".pdf",
    ".jpg",
    ".jpeg",
    ".png",
    ".xlsx",
    ".xls",
    ".docx",
    ".doc",
    ".csv",
    ".txt",
    ".zip",
}
EVIDENCE_MAX_BYTES = 20 * 1024 * 1024
EVIDENCE_MAX_FILES = 10


def check_evidence(files: list[UploadedFile]) -> None:
    """Evidence files: at most ten, each at most 20 MB, of a document or image type."""
    if len(files) > EVIDENCE_MAX_FILES:
        raise IncentiveError(_("At most %(n)s evidence files.") % {"n": EVIDENCE_MAX_FILES})
    for f in files:
        name = (f.name or "").lower()
        if not any(name.endswith(ext) for ext in EVIDENCE_EXTENSIONS):
            raise IncentiveError(
                _("%(name)s: evidence must be a PDF, image, Office document, CSV, text or zip file.")
                % {"name": f.name}
            )
        if f.size is not None and f.size > EVIDENCE_MAX_BYTES:
            raise IncentiveError(_("%(name)s is larger than 20 MB.") % {"name": f.name})
