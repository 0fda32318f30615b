"""import_data KIND PATH [--partial] [--dry-run] [--as-user USERNAME] (interfaces.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.choices import ImportKind, ImportStatus
from assessments.importing import import_file
from config.delays import collecting
from dealers.models import User

SHOWN_ERRORS = 50


class Command(BaseCommand):
    help = "Import a CSV or XLSX file of one kind of data (data-formats.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=list(ImportKind.values))
        parser.add_argument("path")
        parser.add_argument("--partial", action="store_true", help="Write the valid rows; reject the others.")
        parser.add_argument("--dry-run", action="store_true", help="Validate and count; write nothing.")
        parser.add_argument(
            "--as-user", metavar="USERNAME", help="Import with this user's rights (default: HQ)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if not path.exists():
            raise CommandError(f"No such file: {path}")
        if not path.is_file():
            raise CommandError(
                f"{path} is a directory, not a file" if path.is_dir() else f"{path} is not a regular file"
            )
        user = None
        if options["as_user"]:
            user = User.objects.filter(username=options["as_user"], is_active=True).first()
            if user is None:
                raise CommandError(f"No active user named {options['as_user']}")
        with collecting() as delayed:
            job = import_file(
                options["kind"],
                path,
                user=user,
                file_name=path.name,
                partial=options["partial"],
                dry_run=options["dry_run"],
            )
        months = sorted({what for kind, what in delayed if kind == "recompute"})
        if months:
            self.stderr.write(
                f"The background service is unreachable: the recompute of {', '.join(months)} "
                "waits in the database and runs as soon as it is back."
            )
        self.stdout.write(
            f"created={job.created} updated={job.updated} unchanged={job.unchanged} rejected={job.rejected}"
        )
        self._report_errors(job)
        if job.error_file:
            self.stderr.write(f"Rejected rows, each with its error, are in {job.error_file.path}")
        valid_rows = job.created + job.updated + job.unchanged
        if job.status in (ImportStatus.REJECTED, ImportStatus.FAILED):
            raise SystemExit(1)
        if job.rejected and not (options["partial"] and valid_rows):
            raise SystemExit(1)  # a dry run that predicts a rejection, or nothing valid at all

    def _report_errors(self, job: Any) -> None:
        if job.message:
            self.stderr.write(job.message)
        for error in job.errors[:SHOWN_ERRORS]:
            column = f", {error['column']}" if error["column"] else ""
            self.stderr.write(f"row {error['row']}{column}: {error['message']}")
        hidden = max(len(job.errors) - SHOWN_ERRORS, 0)
        unlisted_rows = job.rejected - len({error["row"] for error in job.errors})
        if hidden or unlisted_rows > 0:
            self.stderr.write(f"… and {hidden} more errors, {max(unlisted_rows, 0)} more rejected rows")
