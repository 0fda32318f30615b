import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.scoring.scheme_file import SchemeFileError
from assessments.services.publishing import scheme_load
from assessments.services.schemes import SchemeError

# A scheme file is a couple of kilobytes; the upload page refuses more than this too.
MAX_SCHEME_FILE_BYTES = 1024 * 1024


class Command(BaseCommand):
    help = (
        "Load an assessment scheme file (scoring.md → Scheme file) as a new version; --publish publishes it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument("--publish", action="store_true")

    def handle(self, *args: object, path: str, publish: bool, **options: object) -> None:
        data = read_scheme_file(Path(path))
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


def read_scheme_file(path: Path) -> object:
    """The decoded JSON of a scheme file, or CommandError saying in plain words why not."""
    if not path.exists():
        raise CommandError(f"no such file: {path}")
    if not path.is_file():
        raise CommandError(
            f"{path} is a directory, not a file" if path.is_dir() else f"{path} is not a regular file"
        )
    try:
        if path.stat().st_size > MAX_SCHEME_FILE_BYTES:
            raise CommandError(
                f"{path} is not a scheme file: it is larger than {MAX_SCHEME_FILE_BYTES:,} bytes"
            )
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise CommandError(f"{path} cannot be read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise CommandError(f"{path} is not a JSON file: {exc}") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CommandError(f"{path} is not a JSON file: {exc}") from exc
    except RecursionError as exc:
        # The json module recurses once per level of nesting; a scheme has three.
        raise CommandError(f"{path} is not a scheme file: its JSON is nested too deeply") from exc
