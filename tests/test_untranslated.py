"""No zh-hans page shows English catalogue text.

Every role walks the portal from its home page in Chinese, following links (a few pages of
each kind, as the Content-Security-Policy walk does, over the same scored months with
customer voice, incentives, imports and an appeal). Every text a reader sees — text
nodes, and the placeholder, title, aria-label, data-label and button value attributes — is
compared with the translation catalogue: a text that is exactly a catalogue string with a
different Chinese translation means the translation was skipped (a string formatted before
the language was known, a lazy string forced at import time, a label built from a code).
"""

from __future__ import annotations

import re
from collections import Counter, deque
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import trans_real

from tests.conftest import client_for
from tests.dealers.test_content_security_policy import PER_VIEW, kind_of_page, links, portal, view_name

__all__ = ["portal"]

ROLES = ["dealer_user", "regional_manager", "hq_manager", "hq_admin"]
# (not alt: Django's own admin search icon says alt="Search" untranslated in every language)
SHOWN_ATTRIBUTES = {"placeholder", "title", "aria-label", "data-label"}
#: Catalogue strings that are the same words in a Chinese page on purpose (brands, codes).
SAME_IN_CHINESE = {"English"}  # the language switcher names each language in itself


def english_catalogue() -> dict[str, str]:
    """msgid → Chinese of every catalogue string that is English words and translated differently."""
    catalogue = trans_real.translation("zh-hans")._catalog  # noqa: SLF001 - Django's merged catalogue
    out = {}
    for msgid, msgstr in catalogue.items():
        if not isinstance(msgid, str) or not msgid or msgstr == msgid or msgid in SAME_IN_CHINESE:
            continue
        if re.search(r"[A-Za-z]{3,}", msgid) and not re.search(r"%\(|%s|%d|\{", msgid):
            out[" ".join(msgid.split())] = msgstr
    return out


class ShownText(HTMLParser):
    """Text nodes and the attributes a reader sees, whitespace collapsed; scripts and code skipped."""

    SKIPPED = {"script", "style", "code", "pre", "textarea"}

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIPPED:
            self.skipping += 1
        for name, value in attrs:
            if value and (
                name in SHOWN_ATTRIBUTES or (tag == "input" and name == "value" and self._button(attrs))
            ):
                self.texts.append(" ".join(value.split()))

    @staticmethod
    def _button(attrs: list[tuple[str, str | None]]) -> bool:
        return dict(attrs).get("type") in {"submit", "button"}

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIPPED and self.skipping:
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text and not self.skipping:
            self.texts.append(text)


def shown_texts(html: str) -> list[str]:
    parser = ShownText()
    parser.feed(html)
    return parser.texts


def untranslated_on_walk(client: Client, catalogue: dict[str, str]) -> dict[str, set[str]]:
    """Walk from the home page; the English catalogue texts found, by page."""
    queue, seen, per_view = deque(["/"]), set(), Counter()
    found: dict[str, set[str]] = {}
    while queue:
        path = queue.popleft()
        name = view_name(path)
        if path in seen or name is None or name == "logout" or per_view[kind_of_page(name)] >= PER_VIEW:
            continue
        seen.add(path)
        per_view[kind_of_page(name)] += 1
        response = client.get(path)
        if response.status_code in (301, 302):
            queue.append(response["Location"])
            continue
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        html = response.content.decode()
        english = {text for text in shown_texts(html) if text in catalogue}
        if english:
            found[path] = english
        queue.extend(links(html, path))
    return found


def test_the_check_finds_english_catalogue_text_and_passes_chinese():
    catalogue = english_catalogue()
    with translation.override("zh-hans"):
        chinese = translation.gettext("Ranking")

    assert "Ranking" in catalogue
    assert [t for t in shown_texts(f"<p>Ranking</p><p>{chinese}</p>") if t in catalogue] == ["Ranking"]
    assert [
        t for t in shown_texts('<input placeholder="Ranking"><code>Ranking</code>') if t in catalogue
    ] == ["Ranking"]


@pytest.mark.parametrize("role", ROLES)
def test_no_page_of_the_role_shows_english_catalogue_text_in_chinese(portal, role):
    client = client_for(portal[role])
    client.cookies["django_language"] = "zh-hans"

    found = untranslated_on_walk(client, english_catalogue())

    assert not found, f"English catalogue text on zh-hans pages: {found}"


class AdminLabels(HTMLParser):
    """The column headings of an admin change list and the field labels of its form."""

    def __init__(self) -> None:
        super().__init__()
        self.labels: list[str] = []
        self.inside: str | None = None
        self.text: list[str] = []
        self.in_head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "thead":
            self.in_head = True
        # Headings only: a change list's first cell of each row is a <th> holding data.
        if tag == "label" or (tag == "th" and self.in_head):
            self.inside, self.text = tag, []

    def handle_endtag(self, tag: str) -> None:
        if tag == "thead":
            self.in_head = False
        if tag == self.inside:
            label = " ".join("".join(self.text).split()).rstrip(":：")
            if label:
                self.labels.append(label)
            self.inside = None

    def handle_data(self, data: str) -> None:
        if self.inside:
            self.text.append(data)


#: Labels that read the same in Chinese: codes and abbreviations.
ADMIN_SAME = {"ID", "VIN", "KPI", "URL", "API", "IP", "JSON", "CSV", "XLSX", "n", "#"}


def english_labels(html: str) -> list[str]:
    parser = AdminLabels()
    parser.feed(html)
    return [
        label
        for label in parser.labels
        if label not in ADMIN_SAME
        and re.search(r"[A-Za-z]{2,}", label)
        and not re.search(r"[\u4e00-\u9fff]", label)
    ]


def admin_pages() -> list[str]:
    from django.contrib import admin

    return sorted(
        f"{model._meta.app_label}/{model._meta.model_name}"
        for model in admin.site._registry  # noqa: SLF001
    )


@pytest.mark.django_db
@pytest.mark.parametrize("page", admin_pages())
def test_every_admin_list_and_form_is_labelled_in_chinese(hq_admin, page):
    client = client_for(hq_admin)
    client.cookies["django_language"] = "zh-hans"

    found = {}
    for path in (f"/admin/{page}/", f"/admin/{page}/add/"):
        response = client.get(path)
        if response.status_code == 200:
            found[path] = sorted(set(english_labels(response.content.decode())))

    assert not any(found.values()), f"English labels in the zh-hans admin: {found}"


@pytest.mark.parametrize("code", ["days", "h", "ROs", "pts", "CNY"])
def test_a_kpi_unit_reads_in_chinese_wherever_a_page_shows_it(code):
    from django.template import Context, Template

    with translation.override("zh-hans"):
        shown = Template("{% load portal %}{{ code|unit_label }}").render(Context({"code": code}))

    assert shown != code and re.search(r"[\u4e00-\u9fff]", shown)


@pytest.mark.django_db
def test_the_network_page_names_units_in_chinese(portal):
    client = client_for(portal["hq_manager"])
    client.cookies["django_language"] = "zh-hans"

    html = client.get("/assessments/network/").content.decode()

    assert "天 · " in html  # appointment lead time, in days
    assert ">days ·" not in html and "days · " not in html and ">h ·" not in html
