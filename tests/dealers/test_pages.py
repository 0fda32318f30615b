"""Sign-in and sign-out, the home page per role, the layout, the language switch and the dealer pages."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from ..conftest import PASSWORD, client_for
from ..factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def _text(response) -> str:
    return response.content.decode()


# --- sign-in and sign-out ----------------------------------------------------------------


def test_the_sign_in_page_opens_for_anonymous_visitors_in_chinese(db):
    response = Client().get(LOGIN)
    assert response.status_code == 200
    body = _text(response)
    assert '<html lang="zh-hans">' in body
    assert "经销商售后服务考核平台" in body
    assert 'name="username"' in body and 'name="password"' in body


@pytest.mark.parametrize(
    ("role", "landing"),
    [
        ("hq_admin", "/workbench/"),
        ("hq_manager", "/workbench/"),
        ("regional_manager", "/workbench/"),
        ("dealer_user", "/workbench/"),
    ],
)
def test_signing_in_through_the_form_lands_on_the_home_page_of_the_role(cast, role, landing):
    client = Client()
    response = client.post(LOGIN, {"username": cast[role].username, "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == landing
    assert response.status_code == 200


def test_a_wrong_password_says_so_on_the_sign_in_page(dealer_user):
    response = Client().post(LOGIN, {"username": "dealer_user", "password": "not-the-password"})
    assert response.status_code == 200
    assert 'data-testid="login-error"' in _text(response)


def test_a_locked_out_sign_in_says_when_to_try_again(dealer_user):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(LOGIN, {"username": "dealer_user", "password": "wrong-password-0"})
    response = client.post(LOGIN, {"username": "dealer_user", "password": PASSWORD})
    assert response.status_code == 429
    body = _text(response)
    assert 'data-testid="locked-out"' in body
    assert "15 分钟" in body


def test_a_signed_in_user_opening_sign_in_goes_home(hq_manager):
    response = client_for(hq_manager).get(LOGIN)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_signing_out_is_a_post_and_ends_the_session(hq_manager):
    client = client_for(hq_manager)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    assert client.get("/assessments/overview/").status_code == 302


# --- home per role, layout, navigation ---------------------------------------------------


@pytest.mark.parametrize(
    ("role", "location"),
    [
        ("hq_admin", "/workbench/"),
        ("hq_manager", "/workbench/"),
        ("regional_manager", "/workbench/"),
        ("other_regional_manager", "/workbench/"),
        ("dealer_user", "/workbench/"),
        ("other_dealer_user", "/workbench/"),
    ],
)
def test_home_sends_each_role_to_its_page(cast, role, location):
    response = client_for(cast[role]).get("/")
    assert response.status_code == 302
    assert response["Location"] == location


def test_a_user_without_a_role_is_told_to_ask_hq(db):
    response = client_for(UserFactory(username="nobody", role="")).get("/")
    assert response.status_code == 200
    assert 'data-testid="no-role"' in _text(response)


def test_anonymous_home_goes_to_sign_in(db):
    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def _nav_labels(response) -> list[str]:
    nav = re.search(r'<nav class="nav".*?</nav>', _text(response), re.S)
    return re.findall(r"<a [^>]*>([^<]+)</a>", nav.group(0)) if nav else []


def test_navigation_follows_the_role(cast):
    client = client_for(cast["dealer_user"])
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    dealer_nav = _nav_labels(client.get("/assessments/my/"))
    assert "My dealer" in dealer_nav
    assert "Ranking" not in dealer_nav and "Overview" not in dealer_nav and "Administration" not in dealer_nav

    client = client_for(cast["hq_manager"])
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    manager_nav = _nav_labels(client.get("/assessments/overview/"))
    assert {"Overview", "Ranking", "Dealers", "Imports"} <= set(manager_nav)
    assert "Administration" not in manager_nav and "My dealer" not in manager_nav

    client = client_for(cast["hq_admin"])
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Administration" in _nav_labels(client.get("/assessments/overview/"))


def test_the_user_menu_names_the_role_and_scope(cast):
    body = _text(client_for(cast["regional_manager"]).get("/assessments/overview/"))
    assert "区域经理" in body and "华东" in body
    body = _text(client_for(cast["dealer_user"]).get("/assessments/my/"))
    assert "经销商用户" in body and "吉利南京01店" in body


def test_the_active_navigation_entry_is_marked(hq_manager):
    body = _text(client_for(hq_manager).get("/assessments/ranking/"))
    assert re.search(r'<a href="/assessments/ranking/" class="active" aria-current="page">', body)


def test_the_language_switch_is_a_post_that_keeps_the_page(hq_manager):
    client = client_for(hq_manager)
    body = _text(client.get("/assessments/ranking/?region=华东"))
    assert 'action="/i18n/setlang/"' in body and 'method="post"' in body
    response = client.post(
        reverse("set_language"), {"language": "en", "next": "/assessments/ranking/?region=华东"}
    )
    assert response.status_code == 302
    assert unquote(response["Location"]) == "/assessments/ranking/?region=华东"
    english = _text(client.get("/assessments/ranking/"))
    assert '<html lang="en">' in english and "Sign out" in english
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert "退出登录" in _text(client.get("/assessments/ranking/"))


def test_anonymous_visitors_can_switch_language_on_the_sign_in_page(db):
    client = Client()
    client.post(reverse("set_language"), {"language": "en", "next": LOGIN})
    assert "Dealer After-Sales Assessment Portal" in _text(client.get(LOGIN))


def test_every_asset_is_served_by_the_portal_itself(hq_manager):
    body = _text(client_for(hq_manager).get("/assessments/overview/"))
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', body)
    assert sources
    assert all(
        source.startswith(settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/static/")
        for source in sources
    )
    static = Path(settings.BASE_DIR) / "static"
    assert (static / "vendor" / "echarts" / "echarts.min.js").stat().st_size > 500_000
    assert (static / "vendor" / "echarts" / "LICENSE").exists()
    assert (static / "css" / "portal.css").exists()


def test_a_page_that_does_not_exist_answers_with_the_portal_404_page(hq_manager):
    response = client_for(hq_manager).get("/no/such/page/")
    assert response.status_code == 404
    assert 'data-testid="not-found"' in _text(response)


def test_a_page_of_another_role_answers_with_the_portal_403_page(dealer_user):
    response = client_for(dealer_user).get("/assessments/overview/")
    assert response.status_code == 403
    assert 'data-testid="forbidden"' in _text(response)


# --- dealer registry pages ---------------------------------------------------------------


NAMES = {"GL0001": "吉利南京01店", "GL0002": "吉利苏州02店", "GL0003": "吉利广州03店"}


def _dealer_codes(response) -> list[str]:
    return [dealer.code for dealer in response.context["page"].object_list]


@pytest.mark.parametrize(
    ("role", "codes"),
    [
        ("dealer_user", ["GL0001"]),
        ("other_dealer_user", ["GL0002"]),
        ("regional_manager", ["GL0001", "GL0002"]),
        ("other_regional_manager", ["GL0003"]),
        ("hq_manager", ["GL0001", "GL0002", "GL0003"]),
        ("hq_admin", ["GL0001", "GL0002", "GL0003"]),
    ],
)
def test_the_dealer_list_shows_exactly_the_dealers_in_scope(cast, role, codes):
    response = client_for(cast[role]).get("/dealers/")
    assert response.status_code == 200
    assert _dealer_codes(response) == codes


@pytest.mark.parametrize(
    ("query", "codes"),
    [
        ("q=苏州", ["GL0002"]),
        ("q=gl0003", ["GL0003"]),
        ("region=华南", ["GL0003"]),
        ("city_tier=1", ["GL0003"]),
        ("status=suspended", []),
        ("city_tier=9", ["GL0001", "GL0002", "GL0003"]),
    ],
)
def test_the_dealer_list_filters(cast, hq_manager, query, codes):
    assert _dealer_codes(client_for(hq_manager).get(f"/dealers/?{query}")) == codes


@pytest.mark.parametrize(
    ("role", "code", "status"),
    [
        ("dealer_user", "GL0001", 200),
        ("dealer_user", "GL0002", 404),
        ("other_dealer_user", "GL0001", 404),
        ("regional_manager", "GL0002", 200),
        ("regional_manager", "GL0003", 404),
        ("other_regional_manager", "GL0003", 200),
        ("other_regional_manager", "GL0001", 404),
        ("hq_manager", "GL0003", 200),
        ("hq_admin", "GL0001", 200),
    ],
)
def test_the_dealer_page_answers_404_outside_the_scope(cast, role, code, status):
    response = client_for(cast[role]).get(f"/dealers/{code}/")
    assert response.status_code == status
    if status == 404:
        assert NAMES[code] not in _text(response)


def test_dealer_pages_need_sign_in(cast):
    for url in ("/dealers/", "/dealers/GL0001/"):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN)


def test_a_dealer_without_scorecards_says_so(cast, hq_manager):
    body = _text(client_for(hq_manager).get("/dealers/GL0001/"))
    assert 'data-testid="no-scorecards"' in body


def test_the_latest_scorecard_of_a_dealer_without_scorecards_is_its_dealer_page(cast, hq_manager):
    response = client_for(hq_manager).get("/assessments/dealers/GL0001/")
    assert response.status_code == 302
    assert response["Location"] == "/dealers/GL0001/"


# --- translations ------------------------------------------------------------------------

LOCALE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"


def _po_entries(path: Path) -> list[dict[str, object]]:
    """The live entries of a .po file: msgid, msgid_plural, msgstr (the first form) and fuzzy."""
    entries: list[dict[str, object]] = []
    current: dict[str, object] = {}
    field = None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if current.get("msgid"):
                entries.append(current)
            current, field = {}, None
        elif line.startswith("#,"):
            current["fuzzy"] = "fuzzy" in line
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            if field:
                current[field] = str(current[field]) + ast.literal_eval(line)
        else:
            key, _space, literal = line.partition(" ")
            field = {"msgctxt": "msgctxt", "msgid": "msgid", "msgid_plural": "msgid_plural"}.get(key)
            field = "msgstr" if key in ("msgstr", "msgstr[0]") else field
            if field:
                current[field] = ast.literal_eval(literal)
    return entries


def test_every_string_has_a_chinese_translation_and_the_catalogue_is_compiled():
    import gettext

    entries = _po_entries(LOCALE / "django.po")
    assert len(entries) > 500
    untranslated = [e["msgid"] for e in entries if not e.get("msgstr") or e.get("fuzzy")]
    assert untranslated == [], "run makemessages and fill every msgstr"
    with open(LOCALE / "django.mo", "rb") as handle:
        catalogue = gettext.GNUTranslations(handle)

    def compiled(entry: dict[str, object]) -> str:
        msgid = str(entry["msgid"])
        if "msgctxt" in entry:
            return catalogue.pgettext(str(entry["msgctxt"]), msgid)
        if "msgid_plural" in entry:
            return catalogue.ngettext(msgid, str(entry["msgid_plural"]), 1)
        return catalogue.gettext(msgid)

    stale = [e["msgid"] for e in entries if compiled(e) != e["msgstr"]]
    assert stale == [], "run compilemessages"
