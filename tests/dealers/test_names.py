"""People's names as their owners write them (issue #20): a Chinese name family name first
with no space, any other given name first; the page header and every list read the same."""

from __future__ import annotations

import pytest

from dealers.models import User

from ..conftest import client_for


@pytest.mark.parametrize(
    ("first", "last", "shown"),
    [
        ("勇", "何", "何勇"),
        ("晓明", "欧阳", "欧阳晓明"),
        ("Anna", "Li", "Anna Li"),
        ("", "何", "何"),
        ("", "", ""),
    ],
)
def test_a_chinese_name_is_written_family_name_first_and_others_given_name_first(first, last, shown):
    assert User(username="u", first_name=first, last_name=last).get_full_name() == shown


def test_a_user_without_a_name_is_shown_by_username():
    assert User(username="hq_ops").display_name == "hq_ops"


def test_the_page_header_names_the_user_family_name_first(hq_manager):
    hq_manager.first_name, hq_manager.last_name = "勇", "何"
    hq_manager.save()
    body = client_for(hq_manager).get("/workbench/").content.decode()
    assert '<span class="user-name" data-testid="user-name">何勇</span>' in body
