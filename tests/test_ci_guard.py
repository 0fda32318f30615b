"""The two README commands and CI stay what the README promises."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SCRIPTS = ["scripts/setup", "scripts/demo", "scripts/test", "scripts/serve", ".ci/run"]


def test_the_readme_gives_exactly_the_two_commands_and_both_exist():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Two commands.*?```sh\n(.*?)```", readme, re.S)

    assert block is not None
    commands = [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]
    assert commands == ["./scripts/demo", "./scripts/test"]


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_script_is_executable_strict_bash(script):
    path = REPO / script
    text = path.read_text(encoding="utf-8")

    assert os.access(path, os.X_OK), f"{script} is not executable"
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text
    assert subprocess.run(["bash", "-n", str(path)], capture_output=True).returncode == 0


def test_the_ci_runs_the_readme_test_command_and_the_postgres_pass_with_the_worker_test_required():
    ci = (REPO / ".ci/run").read_text(encoding="utf-8")

    assert "./scripts/test" in ci
    assert "AFTERSALES_REQUIRE_WORKER_TEST=1" in ci
    assert "sample_acceptance.py" in ci
    assert "--fail-level WARNING" in ci
    assert "makemigrations --check" in ci


def test_the_ci_drives_the_production_stack_and_requires_its_journeys():
    ci = (REPO / ".ci/run").read_text(encoding="utf-8")

    assert "./scripts/serve" in ci
    assert "celery -A config worker" in ci
    assert "scripts/stack_journey.py" in ci
    assert "AFTERSALES_REQUIRE_STACK=1" in ci
    assert re.search(r"pytest tests/stack\b", ci)


def setup_done() -> bool:
    digest = hashlib.sha256((REPO / "pyproject.toml").read_bytes()).hexdigest()[:16]
    return (REPO / ".venv" / f".installed-{digest}").exists()


@pytest.mark.skipif(not setup_done(), reason="scripts/setup has not installed this pyproject.toml into .venv")
def test_the_test_command_fails_when_pytest_collects_no_tests():
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}

    result = subprocess.run(
        [
            "./scripts/test",
            "tests/test_ci_guard.py",
            "-n",
            "0",
            "-k",
            "no_test_has_this_name",
            "-p",
            "no:cacheprovider",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 1
    assert "collected no tests" in result.stderr
