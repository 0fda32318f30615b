import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.scoring.scheme_file import SchemeFileError
from assessments.services.schemes import SchemeError, scheme_load


class Command(BaseCommand):
    help = (
        "Load an assessment scheme file (scoring.md → Scheme file) as a new version; --publish publishes it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument("--publish", action="store_true")

    def handle(self, *args: object, path: str, publish: bool, **options: object) -> None:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
        except FileNotFoundError as exc:
            raise CommandError(f"no such file: {path}") from exc
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(f"{path} is not a JSON file: {exc}") from exc
        try:
            scheme = scheme_load(data=data, publish=publish)
        except SchemeFileError as exc:
            raise CommandError("the scheme file was rejected:\n  " + "\n  ".join(exc.problems)) from exc
        except SchemeError as exc:
            raise CommandError(str(exc)) from exc
        state = "published" if scheme.is_published else "draft"
        self.stdout.write(
            f"scheme={scheme.code} version={scheme.version} status={state} effective_from={scheme.effective_from}"
        )
