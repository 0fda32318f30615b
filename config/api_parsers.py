"""The API's parsers: DRF's, with deeply nested JSON refused as bad input (400), not a 500."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

JSON_TOO_DEEP = _("JSON parse error - the JSON is nested too deeply.")


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser. The json module recurses once per level of nesting, so a body of
    100,000 "[" raises RecursionError; that is the client's bad input, said as such."""

    def parse(
        self, stream: Any, media_type: str | None = None, parser_context: dict[str, Any] | None = None
    ) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(JSON_TOO_DEEP) from exc
