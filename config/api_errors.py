"""One error body for the whole API: {"detail": ..., "errors": {...}} with the status code."""

from typing import Any

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, dict) and set(data) == {"detail"}:
        body = {"detail": data["detail"], "errors": {}}
    else:
        body = {"detail": "Invalid input.", "errors": data}
    response.data = body
    return response
