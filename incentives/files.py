"""Evidence files (appeals, rectifications, vetoes): stored under random names, served privately.

A stored path never carries the uploader's file name (guessable, and in the dealer's words); the
original name stays in the row. Files go out only through scoped views, always as an attachment
that the browser may not sniff into a page nor keep in a shared cache.
"""

from __future__ import annotations

import uuid
from pathlib import PurePath
from typing import Any

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404
from django.utils import timezone


def _random_name(folder: str, filename: str) -> str:
    today = timezone.localdate()
    return f"{folder}/{today:%Y/%m}/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()[:10]}"


def appeal_evidence_path(instance: Any, filename: str) -> str:
    return _random_name("appeals", filename)


def veto_evidence_path(instance: Any, filename: str) -> str:
    return _random_name("vetoes", filename)


def private_file_response(field: FieldFile, filename: str) -> FileResponse:
    """The file as a download under its original name (encoded safely by Django); 404 if gone."""
    try:
        handle = field.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle, as_attachment=True, filename=filename, content_type="application/octet-stream"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
