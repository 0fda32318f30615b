"""python manage.py seed_demo — a realistic demo data set for a new user to explore."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.periods import Month
from dealers.demo import (
    DEFAULT_DEALERS,
    DEFAULT_MONTHS,
    DEFAULT_SEED,
    DemoError,
    DemoResult,
    DemoUser,
    demo_reset,
    demo_seed,
    demo_state,
    demo_users_new_passwords,
)
from dealers.models import Dealer


def month_argument(text: str) -> Month:
    try:
        return Month.parse(text)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc


class Command(BaseCommand):
    help = (
        "Fill an empty database with demo data: dealers in the seven regions and all city tiers, "
        "a year of service data up to the last complete month, scorecards for every month "
        "(all but the last two closed), and a user for every role. Prints the users' passwords."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dealers", type=int, default=DEFAULT_DEALERS, help="number of dealers (default 120)"
        )
        parser.add_argument(
            "--months", type=int, default=DEFAULT_MONTHS, help=f"months of data (default {DEFAULT_MONTHS})"
        )
        parser.add_argument(
            "--until",
            type=month_argument,
            default=None,
            help="last month YYYY-MM (default: the last complete month)",
        )
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help="random seed (the same seed, the same data)"
        )
        parser.add_argument(
            "--reset", action="store_true", help="delete the demo data set first and seed it again"
        )
        parser.add_argument(
            "--new-passwords", action="store_true", help="give the demo users new passwords and print them"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["new_passwords"]:
                self._new_passwords()
                return
            if options["reset"]:
                demo_reset()
            state = demo_state()
            if state == "demo":
                self.stdout.write(
                    f"Demo data already present ({Dealer.objects.count()} dealers); nothing changed. "
                    "Use --reset to seed it again, or --new-passwords to print new passwords for the demo users."
                )
                return
            if state == "foreign":
                raise CommandError(
                    "This database already holds dealers that seed_demo did not create; "
                    "seed_demo only fills an empty database."
                )
            started = time.monotonic()
            result = demo_seed(
                dealers=options["dealers"],
                months=options["months"],
                until=options["until"],
                seed=options["seed"],
                progress=self._progress if options["verbosity"] >= 1 else lambda _m: None,
            )
        except DemoError as exc:
            raise CommandError(str(exc)) from exc
        self._summary(result, time.monotonic() - started)

    def _progress(self, message: str) -> None:
        self.stderr.write(message)

    def _summary(self, result: DemoResult, seconds: float) -> None:
        counts = " ".join(f"{name}={n}" for name, n in result.counts.items())
        self.stdout.write(
            f"seeded {counts} periods={result.periods[0]}..{result.periods[-1]} "
            f"closed={len(result.closed)} in {seconds:.0f} s"
        )
        self._users_table(result.users)

    def _new_passwords(self) -> None:
        users = demo_users_new_passwords()
        if not users:
            raise CommandError("There are no demo users here; run seed_demo first.")
        self.stdout.write(f"new passwords for {len(users)} demo users")
        self._users_table(users)

    def _users_table(self, users: list[DemoUser]) -> None:
        width = max(len("username"), *(len(u.username) for u in users))
        pw_width = max(len("password"), *(len(u.password) for u in users))
        self.stdout.write("")
        # The address the portal serves (scripts/demo sets SITE_URL from its PORT).
        self.stdout.write(f"Sign in at {settings.SITE_URL}/ with (the passwords are shown only now):")
        self.stdout.write(f"  {'username':<{width}}  {'password':<{pw_width}}  role")
        for u in users:
            self.stdout.write(f"  {u.username:<{width}}  {u.password:<{pw_width}}  {u.label}")
