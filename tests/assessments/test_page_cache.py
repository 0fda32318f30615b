"""The page cache (issue #21): what a recompute changes shows at the next request; one scope's,
one dealer's or one language's cached data never serves another; cached pages cost fewer queries."""

from __future__ import annotations

import gzip
import json

import pytest
from django.core.cache import cache
from django.utils import translation

from assessments.models import Scorecard, VetoIncident
from assessments.pages import cache as page_cache
from assessments.services.recompute import period_recompute
from dealers.choices import DealerStatus

from ..conftest import client_for

pytestmark = pytest.mark.django_db

OCT = "2026-10"
API = f"/api/v1/scorecards/?period={OCT}"
RANKING = f"/assessments/ranking/?period={OCT}"
OVERVIEW = f"/assessments/overview/?period={OCT}"
SCORECARD = f"/assessments/dealers/GL0001/{OCT}/"


@pytest.fixture
def local_cache(settings):
    """A cache of this test process only: Redis (the PostgreSQL run's cache) is shared by the
    suite's parallel workers, whose databases reuse the same ids and scopes."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "pages"}
    }


@pytest.fixture
def cache_on(settings, local_cache):
    settings.PAGE_CACHE = True
    cache.clear()  # the test process's own cache (local_cache)
    yield
    cache.clear()  # the test process's own cache (local_cache)


def _codes(response) -> list[str]:
    assert response.status_code == 200
    return sorted(card["dealer_code"] for card in response.json()["results"])


def _card(response, code: str) -> dict:
    return next(card for card in response.json()["results"] if card["dealer_code"] == code)


def test_a_cached_page_is_served_until_a_recompute_then_shows_the_new_scorecards(
    scored_months, dealer, hq_manager, cache_on, django_capture_on_commit_callbacks
):
    client = client_for(hq_manager)
    before = client.get(API)
    assert _card(before, "GL0001")["veto"] is False
    ranking_before = client.get(RANKING).content.decode()
    # A change no recompute made is not seen: the page comes from the cache.
    Scorecard.objects.filter(dealer=dealer, period__code=OCT).update(veto=True)
    assert _card(client.get(API), "GL0001")["veto"] is False
    vetoes = ranking_before.count('badge badge-bad">')
    assert client.get(RANKING).content.decode().count('badge badge-bad">') == vetoes

    VetoIncident.objects.create(dealer=dealer, period=OCT, title="Fabricated claim")
    with django_capture_on_commit_callbacks(execute=True):
        period_recompute(OCT)
    after = client.get(API)
    assert _card(after, "GL0001")["veto"] is True
    assert _card(after, "GL0001")["veto_incident"] == "Fabricated claim"
    ranking_after = client.get(RANKING).content.decode()
    assert ranking_after.count('badge badge-bad">') == vetoes + 1
    assert "Fabricated claim" in client.get(SCORECARD).content.decode()


def test_the_scorecards_api_answers_304_to_its_etag_until_a_recompute(
    scored_months, hq_manager, cache_on, django_capture_on_commit_callbacks
):
    client = client_for(hq_manager)
    first = client.get(API)
    etag = first["ETag"]
    assert first["Cache-Control"] == "private, no-cache"
    assert client.get(API, HTTP_IF_NONE_MATCH=etag).status_code == 304
    with django_capture_on_commit_callbacks(execute=True):
        period_recompute(OCT)
    fresh = client.get(API, HTTP_IF_NONE_MATCH=etag)
    assert fresh.status_code == 200
    assert fresh["ETag"] != etag


def test_a_dealer_user_never_gets_another_dealers_cached_scorecards(
    scored_months, dealer_user, other_dealer_user, cache_on
):
    mine = client_for(dealer_user)
    theirs = client_for(other_dealer_user)
    assert _codes(mine.get(API)) == ["GL0001"]
    assert _codes(theirs.get(API)) == ["GL0002"]  # the same URL, language and version
    assert mine.get(SCORECARD).status_code == 200
    assert theirs.get(SCORECARD).status_code == 404
    home = theirs.get(f"/assessments/my/?period={OCT}").content.decode()
    assert "GL0002" in home and "/assessments/dealers/GL0001/" not in home
    assert mine.get("/assessments/dealers/GL0002/2026-10/").status_code == 404


def test_a_regional_manager_never_gets_another_regions_cached_pages(
    scored_months, regional_manager, other_regional_manager, cache_on
):
    east = client_for(regional_manager)
    south = client_for(other_regional_manager)
    assert _codes(east.get(API)) == ["GL0001", "GL0002"]
    assert _codes(south.get(API)) == ["GL0003"]
    east_ranking = east.get(RANKING).content.decode()
    south_ranking = south.get(RANKING).content.decode()
    assert "/dealers/GL0001/" in east_ranking and "/dealers/GL0003/" not in east_ranking
    assert "/dealers/GL0003/" in south_ranking and "/dealers/GL0001/" not in south_ranking
    east_overview = east.get(OVERVIEW).content.decode()
    south_overview = south.get(OVERVIEW).content.decode()
    assert "/dealers/GL0001/" in east_overview and "/dealers/GL0003/" not in east_overview
    assert "region=%E5%8D%8E%E4%B8%9C" in east_overview and "region=%E5%8D%8E%E5%8D%97" not in east_overview
    assert "region=%E5%8D%8E%E5%8D%97" in south_overview and "region=%E5%8D%8E%E4%B8%9C" not in south_overview
    assert "/dealers/GL0001/" not in south_overview
    assert south.get(SCORECARD).status_code == 404


def test_a_page_cached_in_one_language_is_never_shown_in_the_other(scored_months, hq_manager, cache_on):
    client = client_for(hq_manager)
    with translation.override("zh-hans"):
        region_rank_zh = translation.gettext("Region rank")
    assert region_rank_zh != "Region rank"
    for url in (RANKING, OVERVIEW):
        client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    english = client.get(RANKING, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    chinese = client.get(RANKING, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "Region rank" in english and region_rank_zh not in english
    assert region_rank_zh in chinese and "Region rank" not in chinese
    overview_en = client.get(OVERVIEW, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Top 10" in overview_en


def test_a_dealers_status_change_makes_cached_pages_stale(
    scored_months, dealer, hq_manager, cache_on, django_capture_on_commit_callbacks
):
    client = client_for(hq_manager)
    assert 'badge badge-warn">' not in client.get(RANKING).content.decode().split("ranking-table")[1]
    version = page_cache.scorecards_version()
    with django_capture_on_commit_callbacks(execute=True):
        dealer.status = DealerStatus.SUSPENDED
        dealer.save()
    assert page_cache.scorecards_version() != version
    assert 'badge badge-warn">' in client.get(RANKING).content.decode().split("ranking-table")[1]


# Without the cache (tests/assessments/test_pages.py): ranking 7, overview 7, scorecard 8.
CACHED_QUERIES = {
    RANKING: 2,  # session, user
    f"{RANKING}&region=华东&sort=-change&q=GL": 2,
    OVERVIEW: 3,  # + is the month still open (HQ's "Close this month")
    SCORECARD: 4,  # + the appeals filed against the scorecard, + the month's technical cases (live)
    API: 2,
}


@pytest.mark.parametrize("url", CACHED_QUERIES)
def test_a_cached_page_costs_only_the_queries_of_the_signed_in_user_and_what_is_live(
    scored_months, hq_manager, cache_on, django_assert_num_queries, url
):
    client = client_for(hq_manager)
    assert client.get(url).status_code == 200
    with django_assert_num_queries(CACHED_QUERIES[url]):
        assert client.get(url).status_code == 200


def test_the_page_cache_is_off_without_a_shared_cache(settings, scored_months, hq_manager):
    settings.PAGE_CACHE = False
    client = client_for(hq_manager)
    client.get(API)
    Scorecard.objects.filter(dealer__code="GL0001", period__code=OCT).update(veto=True)
    assert _card(client.get(API), "GL0001")["veto"] is True


@pytest.mark.parametrize("cached", [False, True])
def test_the_scorecards_list_is_gzipped_for_a_client_that_accepts_it_and_keeps_its_shape(
    settings, local_cache, scored_months, hq_manager, cached
):
    settings.PAGE_CACHE = cached
    cache.clear()  # the test process's own cache (local_cache)
    client = client_for(hq_manager)
    plain = client.get(API)
    packed = client.get(API, HTTP_ACCEPT_ENCODING="gzip")
    assert "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(packed.content)) == plain.json()
    assert len(packed.content) < len(plain.content)
    cache.clear()  # the test process's own cache (local_cache)


def test_the_cached_kpi_table_shows_each_readers_appeal_buttons_and_every_appeal_as_it_stands(
    scored_months, dealer_user, hq_manager, cache_on, settings
):
    from django.utils import timezone

    from assessments.models import Period
    from incentives.models import Appeal

    # given the dealer's October scorecard, its table cached once the dealer's user has seen it
    card = Scorecard.objects.get(dealer__code="GL0001", period__code=OCT)
    rows = card.kpi_results.count()
    Period.objects.filter(code=OCT).update(scorecards_published_at=timezone.now())
    dealer_client, hq_client = client_for(dealer_user), client_for(hq_manager)
    version = page_cache.scorecards_version()
    page = dealer_client.get(SCORECARD).content.decode()
    assert page.count('data-testid="kpi-appeal"') == rows and "kpi-appeal-filed" not in page
    # then HQ, in the same scope of every dealer, is not served the dealer's buttons
    assert 'data-testid="kpi-appeal"' not in hq_client.get(SCORECARD).content.decode()

    # when the dealer files an appeal, and HQ then decides it (no recompute: the same version)
    appeal = Appeal.objects.create(
        scorecard=card, dealer=card.dealer, period=OCT, kpi_code="csat", reason="抽样有误"
    )
    page = dealer_client.get(SCORECARD).content.decode()
    assert page.count('data-testid="kpi-appeal-filed"') == 1 and f"/appeals/{appeal.pk}/" in page
    Appeal.objects.filter(pk=appeal.pk).update(status="upheld")
    with translation.override("zh-hans"):  # the dealer user reads Chinese
        upheld = translation.gettext("Upheld")
    assert f"{upheld}</a>" in dealer_client.get(SCORECARD).content.decode()
    assert page_cache.scorecards_version() == version

    # and once the window has closed, the dealer's rows say so instead of offering the button
    from incentives.services.appeals import appeal_window_end

    settings.APPEAL_WINDOW_DAYS = 0  # as if the days had passed: the card itself is cached
    page = dealer_client.get(SCORECARD).content.decode()
    closed_on = timezone.localtime(appeal_window_end(Period.objects.get(code=OCT))).strftime("%Y-%m-%d")
    assert 'data-testid="kpi-appeal"' not in page
    with translation.override("zh-hans"):
        says = translation.gettext("Window closed on %(end)s") % {"end": closed_on}
    assert page.count(says) == rows - 1  # every row but the appealed one


def test_a_page_reads_the_scorecards_version_once_and_a_change_within_the_request_is_seen(
    scored_months, hq_manager, cache_on, monkeypatch
):
    from django.test import RequestFactory

    reads = []

    class Counting:
        def __getattr__(self, name):
            return getattr(cache, name)

        def get(self, key, *args, **kwargs):
            if key == page_cache.VERSION_KEY:
                reads.append(key)
            return cache.get(key, *args, **kwargs)

    monkeypatch.setattr(page_cache, "cache", Counting())
    client = client_for(hq_manager)
    client.get(RANKING)  # cached from now on; its page builds several keys
    reads.clear()
    assert client.get(RANKING).status_code == 200
    assert len(reads) == 1
    # within one request, a change of the scorecards (an in-process recompute) is read anew
    seen = []

    def view(request):
        seen.append(page_cache.scorecards_version())
        page_cache.scorecards_changed()
        seen.append(page_cache.scorecards_version())
        return None

    page_cache.PageVersionMiddleware(view)(RequestFactory().get("/"))
    assert seen[0] != seen[1] and page_cache.scorecards_version() == seen[1]


def test_the_cached_ranking_filters_show_the_query_asked_and_only_the_readers_regions(
    scored_months, hq_manager, regional_manager, cache_on
):
    hq = client_for(hq_manager)
    for code in ("GL0001", "GL0002", "GL0001"):
        page = hq.get(f"{RANKING}&q={code}").content.decode()
        form = page.split('data-testid="ranking-filters"')[1].split("</form>")[0]
        assert f'name="q" id="f-q" value="{code}"' in form
    east = client_for(regional_manager).get(RANKING).content.decode()
    form = east.split('data-testid="ranking-filters"')[1].split("</form>")[0]
    assert '<option value="华东"' in form and '<option value="华南"' not in form
    every = hq.get(RANKING).content.decode().split('data-testid="ranking-filters"')[1].split("</form>")[0]
    assert '<option value="华东"' in every and '<option value="华南"' in every
