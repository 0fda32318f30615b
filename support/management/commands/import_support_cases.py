"""python manage.py import_support_cases FILE — historical technical cases from CSV or XLSX."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from support.importing import HEADER, import_cases


class Command(BaseCommand):
    help = (
        "Import historical technical cases (and their fixes, for the knowledge base) from a CSV or "
        f"XLSX file with the columns {', '.join(HEADER)}. All rows or none; a case already there "
        "(same dealer, VIN and opening time) is not added again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        created, known, errors = import_cases(path.read_bytes(), path.name)
        if errors:
            for line, message in errors[:50]:
                self.stderr.write(f"line {line}: {message}" if line else message)
            raise CommandError(f"{len(errors)} errors; nothing was imported.")
        self.stdout.write(f"imported {created} cases; {known} already there")
