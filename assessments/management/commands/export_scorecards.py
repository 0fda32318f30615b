import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.exports import scorecards_table
from assessments.periods import Month
from assessments.serializers_json import scorecard_as_json, scorecards_for_export


class Command(BaseCommand):
    help = "Export a period's scorecards as JSON (the fixed shape), CSV or XLSX."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--period", required=True, help="YYYY-MM")
        parser.add_argument("--format", choices=["json", "csv", "xlsx"], default="json")
        parser.add_argument("--output", help="file to write (default: stdout)")

    def handle(self, *args: object, period: str, format: str, output: str | None, **options: object) -> None:
        try:
            code = str(Month.parse(period))
        except ValueError as exc:
            raise CommandError(f"bad period {period!r}: use YYYY-MM") from exc
        cards = scorecards_for_export(code)
        if format == "json":
            data = json.dumps([scorecard_as_json(c) for c in cards], ensure_ascii=False, indent=1).encode(
                "utf-8"
            )
        else:
            data = scorecards_table(cards, format)
        if output:
            try:
                Path(output).write_bytes(data)
            except OSError as exc:  # a directory, a folder that does not exist, no permission
                raise CommandError(f"cannot write {output}: {exc.strerror or exc}") from exc
            self.stdout.write(f"period={code} scorecards={len(cards)} format={format} output={output}")
        else:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
