from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.periods import Month
from assessments.services.recompute import RecomputeError, period_close


class Command(BaseCommand):
    help = "Close (freeze) a period: its scorecards never change again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("period", help="YYYY-MM")

    def handle(self, *args: object, period: str, **options: object) -> None:
        try:
            code = str(Month.parse(period))  # checked here, before any work: a clear message
            closed = period_close(code)
        except ValueError as exc:
            raise CommandError(f"bad period {period!r}: use YYYY-MM") from exc
        except RecomputeError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"period={closed.code} status=closed scorecards={closed.scorecards.count()}")
