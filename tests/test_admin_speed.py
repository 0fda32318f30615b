"""The admin stays fast on big tables: no huge <select>, no counts or date lists that grow with rows."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from assessments.models import RepairOrder
from config.admin_kit import BigTableAdmin, EstimatedCountPaginator
from dealers.models import Dealer, Region, User
from tests.conftest import client_for
from tests.factories import RepairOrderFactory, local

MANY = 130  # more dealers and users than any <select> may list
SELECT_LIMIT = 100
# Django's own permission pickers list the permission catalogue: fixed, not data.
CATALOGUE_SELECTS = {"user_permissions", "permissions"}

REGISTERED = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def _url(model: type, view: str, *args: object) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def superuser(db) -> User:
    return User.objects.create_superuser("root", "root@example.com", "Secret-pass-2026")


@pytest.fixture
def many_dealers_and_users(db) -> None:
    region = Region.objects.create(name="华东")
    dealers = Dealer.objects.bulk_create(
        Dealer(code=f"MD{i:04d}", name=f"经销商{i}", region=region, province="江苏", city="南京", city_tier=2)
        for i in range(MANY)
    )
    User.objects.bulk_create(User(username=f"many{i}", dealer=dealers[i]) for i in range(MANY))


def _big_selects(html: str) -> dict[str, int]:
    """The name and option count of every <select> on the page with more than SELECT_LIMIT options."""
    found = {}
    for match in re.finditer(r"<select[^>]*\sname=\"([^\"]+)\"[^>]*>(.*?)</select>", html, re.S):
        name, options = match.group(1), match.group(2).count("<option")
        if options > SELECT_LIMIT and name not in CATALOGUE_SELECTS:
            found[name] = options
    return found


@pytest.mark.parametrize("model", [m for m, _ in REGISTERED], ids=lambda m: m._meta.label)
def test_every_admin_list_answers_for_a_superuser_without_a_huge_select(
    model, superuser, many_dealers_and_users
):
    response = client_for(superuser).get(_url(model, "changelist"))

    assert response.status_code == 200
    assert _big_selects(response.content.decode()) == {}


@pytest.mark.parametrize("model", [m for m, _ in REGISTERED], ids=lambda m: m._meta.label)
def test_every_admin_add_page_lists_no_dealer_or_user_select(model, superuser, many_dealers_and_users):
    """Dealers and users are picked by autocomplete or by id, never from a list of thousands."""
    request = RequestFactory().get("/admin/")
    request.user = superuser
    if not admin.site._registry[model].has_add_permission(request):
        pytest.skip("this admin adds nothing")

    response = client_for(superuser).get(_url(model, "add"))

    assert response.status_code == 200
    assert _big_selects(response.content.decode()) == {}


@pytest.mark.parametrize(
    "model",
    [m for m, model_admin in REGISTERED if isinstance(model_admin, BigTableAdmin)],
    ids=lambda m: m._meta.label,
)
def test_big_table_admins_neither_count_everything_nor_list_dates(model):
    model_admin = admin.site._registry[model]

    assert model_admin.show_full_result_count is False
    assert model_admin.paginator is EstimatedCountPaginator
    assert model_admin.date_hierarchy is None


def test_no_admin_has_a_date_hierarchy_over_service_data():
    ours = [m for m, a in REGISTERED if m._meta.app_label not in {"axes", "auth"} and a.date_hierarchy]
    assert ours == []


def _repair_orders(dealer: Dealer, count: int) -> None:
    start = local("2026-10-02 09:00")
    RepairOrder.objects.bulk_create(
        RepairOrderFactory.build(
            dealer=dealer,
            ro_number=f"RQ{dealer.pk}-{i:05d}",
            vin=f"LB3E8MAL8RQ{i:06d}",
            opened_at=start + timedelta(hours=i),
            closed_at=start + timedelta(hours=i + 5),
        )
        for i in range(count)
    )


@pytest.mark.parametrize("rows", [5, 250])
def test_repair_order_list_queries_do_not_grow_with_rows(
    rows, superuser, many_dealers_and_users, django_assert_max_num_queries
):
    """Session, user, the month and region filters, one count, the page: a fixed handful."""
    _repair_orders(Dealer.objects.first(), rows)
    client = client_for(superuser)

    with django_assert_max_num_queries(8):
        response = client.get(_url(RepairOrder, "changelist"))

    assert response.status_code == 200


def test_repair_order_search_finds_a_whole_number_a_vin_or_a_dealer_code(superuser, many_dealers_and_users):
    first, second = Dealer.objects.order_by("code")[:2]
    _repair_orders(first, 3)
    _repair_orders(second, 2)
    client = client_for(superuser)

    def found(term: str) -> int:
        response = client.get(_url(RepairOrder, "changelist"), {"q": term})
        assert response.status_code == 200
        return response.context["cl"].result_count

    assert found(f"RQ{first.pk}-00001") == 1
    assert found("lb3e8mal8rq000001") == 2  # a VIN, in any case: the same vehicle at both dealers
    assert found(second.code) == 2
    assert found(f"RQ{first.pk}") == 0  # whole values only: a part of a number finds nothing


def test_estimated_count_paginator_counts_small_lists_exactly(superuser, many_dealers_and_users):
    paginator = EstimatedCountPaginator(Dealer.objects.order_by("code"), 100)

    assert paginator.count == MANY
    assert paginator.num_pages == 2


@pytest.mark.parametrize(
    ("language", "header", "title"),
    [
        ("zh-hans", "经销商售后服务考核平台", "站点管理"),
        ("en", "Dealer After-Sales Assessment Portal", "Site administration"),
    ],
)
def test_admin_says_the_portals_name_in_the_readers_language(language, header, title, superuser):
    response = client_for(superuser).get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE=language)
    html = response.content.decode()

    assert response.status_code == 200
    assert header in html
    assert title in html
    assert "Django" not in re.sub(r"<script.*?</script>|<link[^>]*>", "", html, flags=re.S)


def test_admin_sign_in_page_has_the_portals_name_and_icon(client):
    html = client.get(reverse("admin:login"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    assert "经销商售后服务考核平台" in html
    assert "Django 管理" not in html
    assert "img/favicon.svg" in html


def test_favicon_ico_leads_anyone_to_the_portals_icon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 302
    assert response["Location"].endswith("img/favicon.svg")
