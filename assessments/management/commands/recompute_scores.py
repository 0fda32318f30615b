from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from assessments.periods import Month
from assessments.services.recompute import (
    RecomputeBusy,
    RecomputeError,
    open_period_codes,
    period_recompute,
    recompute_request,
)


class Command(BaseCommand):
    help = "Recompute a period's scorecards now, in this process (or every open period with --all-open)."

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--period", help="YYYY-MM")
        group.add_argument("--all-open", action="store_true")

    def handle(self, *args: object, period: str | None, all_open: bool, **options: object) -> None:
        if all_open:
            codes = open_period_codes()
        else:
            try:
                codes = [str(Month.parse(period or ""))]  # checked here, before any work
            except ValueError as exc:
                raise CommandError(f"bad period {period!r}: use YYYY-MM") from exc
        summaries = []
        for code in codes:
            try:
                run = period_recompute(code)
            except ValueError as exc:
                raise CommandError(f"bad period {code!r}: use YYYY-MM") from exc
            except RecomputeBusy as exc:
                # Not lost: the request waits, and the running recompute (or the sweep) takes it.
                with transaction.atomic():
                    recompute_request([code], "command")
                summaries.append(f"period={code} {exc} This request waits and runs after it.")
                continue
            except RecomputeError as exc:
                raise CommandError(str(exc)) from exc
            summaries.append(f"period={run.period.code} scorecards={run.scorecards}")
        self.stdout.write("; ".join(summaries) if summaries else "no open period")
