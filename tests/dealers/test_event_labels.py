"""Audit events are read as words in the reader's language, not as codes (`scheme.published`)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.utils import translation

from dealers.event_labels import EVENT_LABELS, event_label
from incentives.choices import ActionStatus, AppealStatus, RectificationStatus
from incentives.models.rectification import TaskStatus

ROOT = Path(__file__).resolve().parents[2]
APPS = (
    "assessments",
    "dealers",
    "goals",
    "incentives",
    "insights",
    "support",
    "surveys",
    "training",
    "workbench",
)
RECORDERS = {"record", "_record"}


def written_codes() -> set[str]:
    """Every literal event code passed to a recorder, plus the codes built from a status."""
    codes: set[str] = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                name = getattr(node.func, "id", getattr(node.func, "attr", None))
                first = node.args[0]
                if name in RECORDERS and isinstance(first, ast.Constant) and isinstance(first.value, str):
                    if "." in first.value:
                        codes.add(first.value)
    codes |= {f"appeal.{s}" for s in AppealStatus.values}
    codes |= {f"incentive.action_{s}" for s in ActionStatus.values}
    codes |= {f"rectification.{s}" for s in RectificationStatus.values}
    codes |= {f"rectification.task_{s}" for s in [*TaskStatus.values, "added", "edited"]}
    codes |= {f"interview.{s}" for s in ("opened", "recorded")}
    codes |= {f"submission.{s}" for s in ("saved", "submitted", "approved", "returned")}
    codes |= {"technician.created", "technician.changed"}
    return codes


def test_the_scan_finds_the_codes_the_services_write():
    codes = written_codes()

    assert {"scheme.published", "period.closed", "support.case_opened", "finding.dismissed"} <= codes
    assert len(codes) > 50


def test_every_event_code_written_has_a_label():
    missing = sorted(written_codes() - set(EVENT_LABELS))

    assert not missing, f"event codes without a label in dealers/event_labels.py: {missing}"


@pytest.mark.parametrize("code", sorted(EVENT_LABELS))
def test_every_label_reads_in_chinese_and_english(code):
    with translation.override("zh-hans"):
        chinese = event_label(code)
    with translation.override("en"):
        english = event_label(code)

    assert chinese != english
    assert any("\u4e00" <= ch <= "\u9fff" for ch in chinese)


def test_an_unknown_code_shows_as_itself():
    assert event_label("something.new") == "something.new"


def test_pages_show_the_label_through_the_portal_filter():
    from django.template import Context, Template

    with translation.override("zh-hans"):
        expected = str(EVENT_LABELS["scheme.published"])
        shown = Template("{% load portal %}{{ code|event_label }}").render(
            Context({"code": "scheme.published"})
        )

    assert shown == expected
    assert shown != "scheme.published"


def test_every_object_type_written_has_a_label_in_chinese():
    from dealers.event_labels import OBJECT_LABELS, object_label
    from workbench.owners import OWNED_MODELS

    written: set[str] = set(OWNED_MODELS)
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.keyword)
                    and node.arg == "object_type"
                    and isinstance(node.value, ast.Constant)
                ):
                    written.add(node.value.value)

    assert written - set(OBJECT_LABELS) == set()
    with translation.override("zh-hans"):
        assert all(any("\u4e00" <= ch <= "\u9fff" for ch in object_label(code)) for code in OBJECT_LABELS)
