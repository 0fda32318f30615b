"""Every task reaches a worker: the registry a worker loads holds every task the code defines
and every task beat schedules.

A worker imports `config`, builds the Celery app and autodiscovers `<app>.tasks` modules;
a task defined anywhere else is "unregistered" there even though in-process runs find it.
So the registry is read from a fresh process that starts exactly as a worker does.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from assessments.services.queueing import RECOMPUTE_TASK

REPO = Path(__file__).resolve().parents[2]
PROJECT_PACKAGES = ["config", "dealers", "assessments", "surveys", "incentives"]

WORKER_REGISTRY = """
import json
from config.celery_app import app
app.loader.import_default_modules()   # what `celery worker` does before it consumes
print(json.dumps(sorted(name for name in app.tasks if not name.startswith("celery."))))
"""


def worker_registry() -> set[str]:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings.local")
    result = subprocess.run(
        [sys.executable, "-c", WORKER_REGISTRY],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


def tasks_defined_in_code() -> set[str]:
    """`module.function` of every function decorated with shared_task / app.task in the project."""
    names = set()
    for package in PROJECT_PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            module = ".".join(path.relative_to(REPO).with_suffix("").parts)
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.FunctionDef):
                    continue
                for decorator in node.decorator_list:
                    target = decorator.func if isinstance(decorator, ast.Call) else decorator
                    label = ast.unparse(target)
                    if label in {"shared_task", "app.task", "celery_app.task"}:
                        explicit = [
                            kw.value.value
                            for kw in (decorator.keywords if isinstance(decorator, ast.Call) else [])
                            if kw.arg == "name" and isinstance(kw.value, ast.Constant)
                        ]
                        names.add(explicit[0] if explicit else f"{module}.{node.name}")
    return names


def test_the_code_defines_the_tasks_this_test_knows_of():
    # The scan itself must see the tasks that once went missing, or it proves nothing.
    defined = tasks_defined_in_code()
    assert "assessments.tasks_imports.run_import" in defined
    assert "assessments.tasks_submissions.send_submission_reminders" in defined
    assert "assessments.tasks.recompute_period" in defined


def test_the_recompute_nudge_sends_a_task_the_code_defines():
    # The services send it by name (they never import the tasks), so a rename must show here.
    assert RECOMPUTE_TASK in tasks_defined_in_code()


def test_a_worker_registers_every_task_the_code_defines_and_beat_schedules():
    registered = worker_registry()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    missing_defined = tasks_defined_in_code() - registered
    missing_scheduled = scheduled - registered

    assert not missing_defined, f"tasks a worker would call unregistered: {sorted(missing_defined)}"
    assert not missing_scheduled, f"beat schedules tasks no worker knows: {sorted(missing_scheduled)}"


def test_beat_schedules_a_job_of_every_app_and_the_sweep_every_minute():
    schedule = settings.CELERY_BEAT_SCHEDULE
    apps = {entry["task"].split(".")[0] for entry in schedule.values()}
    assert {"assessments", "surveys", "incentives"} <= apps
    assert schedule["sweep-background-work"]["schedule"] <= 60
