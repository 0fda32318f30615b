"""The dealer list exports as filtered (issue #20): the reader's language, the user's scope."""

from __future__ import annotations

from ..conftest import client_for


def test_the_dealer_list_exports_as_filtered_in_the_readers_language_and_scope(
    dealer, other_dealer, far_dealer, regional_manager
):
    import csv
    import io

    client = client_for(regional_manager)
    response = client.get("/dealers/export.csv?q=GL0001", HTTP_ACCEPT_LANGUAGE="zh-hans")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["经销商代码", "经销商", "大区"]
    assert [r[0] for r in rows[1:]] == [dealer.code]
    everything = list(csv.reader(io.StringIO(client.get("/dealers/export.csv").content.decode("utf-8-sig"))))
    assert far_dealer.code not in {r[0] for r in everything}  # another region's dealer
    assert 'data-testid="dealers-xlsx"' in client.get("/dealers/").content.decode()


def test_the_submission_queue_exports_who_is_missing(dealer, other_dealer, far_dealer, regional_manager):
    import csv
    import io

    from tests.factories import SubmissionFactory

    SubmissionFactory(dealer=dealer, period="2026-10", status="approved")
    client = client_for(regional_manager)
    response = client.get(
        "/assessments/submissions/export.csv?period=2026-10&state=missing", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["月份", "经销商代码"]
    assert [r[1] for r in rows[1:]] == [other_dealer.code]  # far_dealer is another region's
    assert rows[1][4] == "缺失"


def test_the_appeals_export_as_filtered_in_the_users_scope(dealer, far_dealer, dealer_user, hq_manager):
    import csv
    import io

    from incentives.models import Appeal

    Appeal.objects.create(dealer=dealer, period="2026-10", kpi_code="csat", reason="抽样有误")
    Appeal.objects.create(dealer=far_dealer, period="2026-10", kpi_code="csat", reason="其他店")
    mine = client_for(dealer_user).get("/incentives/appeals/export.csv", HTTP_ACCEPT_LANGUAGE="zh-hans")
    rows = list(csv.reader(io.StringIO(mine.content.decode("utf-8-sig"))))
    assert [r[1] for r in rows[1:]] == [dealer.code] and rows[1][6] == "抽样有误"
    everyone = client_for(hq_manager).get("/incentives/appeals/export.xlsx")
    assert everyone.status_code == 200
    assert 'data-testid="appeals-xlsx"' in client_for(hq_manager).get("/incentives/appeals/").content.decode()
