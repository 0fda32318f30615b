"""Names kept in both languages: which one the reader gets."""

from __future__ import annotations

from django.utils.translation import get_language


def reads_english() -> bool:
    """True when the active language is English (the portal is Chinese first)."""
    return (get_language() or "zh-hans").startswith("en")


def localized_name(name_zh: str, name_en: str) -> str:
    """The name in the reader's language; an English reader of a name kept only in Chinese gets the Chinese."""
    return (name_en or name_zh) if reads_english() else (name_zh or name_en)
