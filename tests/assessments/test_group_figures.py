"""Group figures (scoring.md → "Network, regional and group figures") on the public sample:
each KPI family's pooled network, regional and city-tier figures against a hand computation
straight from the sample's CSV files (records of the dealers with a scorecard in the month)."""

from __future__ import annotations

import csv
import io
import statistics
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.core.management import call_command

from assessments.kpis.groups import group_figures
from assessments.models import Scorecard
from assessments.periods import Month
from assessments.services.recompute import period_recompute
from dealers.models import Dealer, Region

pytestmark = pytest.mark.django_db

OCT = Month(2026, 10)
START, END = "2026-10-01 00:00:00", "2026-11-01 00:00:00"
FILES = ("dealers", "repair_orders", "complaints", "survey_responses", "parts_orders", "submissions")
ROUNDED = 5e-5  # figures are rounded to 4 decimals


def _rows(sample_dir: Path, kind: str) -> list[dict[str, str]]:
    with (sample_dir / f"{kind}.csv").open(encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def _t(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S")


def _in_october(text: str) -> bool:
    return bool(text) and START <= text < END


@pytest.fixture
def sample(sample_dir):
    """The public sample imported and October scored; the CSV rows of its scored dealers."""
    for kind in FILES:
        call_command("import_data", kind, str(sample_dir / f"{kind}.csv"), stdout=io.StringIO())
    period_recompute("2026-09")
    period_recompute("2026-10")
    scored = set(Scorecard.objects.filter(period__code="2026-10").values_list("dealer__code", flat=True))
    assert scored, "the sample's October has scorecards"
    data = {kind: _rows(sample_dir, kind) for kind in FILES}
    data["all_repair_orders"] = data["repair_orders"]
    for kind in FILES[1:]:
        data[kind] = [r for r in data[kind] if r["dealer_code"] in scored]
    data["region_of"] = {d.code: d.region.name for d in Dealer.objects.select_related("region")}
    data["tier_of"] = {d.code: d.city_tier for d in Dealer.objects.all()}
    return data


def _network() -> dict:
    return group_figures(OCT, "network")[0]


def _close(figure, value) -> None:
    assert figure.value is not None and value is not None
    assert abs(figure.value - value) <= ROUNDED, (figure, value)


def test_the_repair_order_family_pools_the_networks_records(sample):
    ros = sample["repair_orders"]
    closed = [r for r in ros if _in_october(r["closed_at"])]
    repairs = [r for r in closed if r["repair_type"] in ("repair", "warranty")]
    warranty = [r for r in closed if r["repair_type"] == "warranty"]
    promised = [r for r in closed if r["promised_at"]]
    booked = [r for r in ros if _in_october(r["opened_at"]) and r["booked_at"]]
    # A comeback: another repair RO of the vehicle and fault, at any dealer, opened within 30 days
    later = defaultdict(list)
    for r in sample["all_repair_orders"]:
        if r["repair_type"] in ("repair", "warranty"):
            later[(r["vin"], r["fault_code"])].append(r)
    window = timedelta(seconds=2_592_000)

    def came_back(x: dict) -> bool:
        done = _t(x["closed_at"])
        return any(
            y["ro_number"] != x["ro_number"] and done < _t(y["opened_at"]) <= done + window
            for y in later[(x["vin"], x["fault_code"])]
        )

    hours = [(_t(r["closed_at"]) - _t(r["opened_at"])).total_seconds() / 3600 for r in repairs]
    figures = _network()
    assert figures["repair_count"].value == len(closed) and figures["repair_count"].n == len(closed)
    _close(
        figures["repair_output_value"],
        sum(float(r["labor_amount"]) + float(r["parts_amount"]) for r in closed),
    )
    _close(
        figures["on_time_delivery_rate"],
        100 * sum(r["closed_at"] <= r["promised_at"] for r in promised) / len(promised),
    )
    _close(
        figures["warranty_cost_per_claim"], sum(float(r["warranty_cost"]) for r in warranty) / len(warranty)
    )
    _close(figures["first_time_fix_rate"], 100 * sum(not came_back(r) for r in repairs) / len(repairs))
    assert figures["first_time_fix_rate"].n == len(repairs)
    _close(figures["repair_cycle_hours"], statistics.median(hours))
    _close(
        figures["appointment_lead_days"],
        sum((_t(r["opened_at"]) - _t(r["booked_at"])).total_seconds() / 86400 for r in booked) / len(booked),
    )


def test_the_complaint_family_pools_each_regions_records(sample):
    complaints = [c for c in sample["complaints"] if _in_october(c["received_at"])]
    delivered = [r for r in sample["repair_orders"] if _in_october(r["closed_at"])]
    by_region = group_figures(OCT, "region")
    names = dict(Region.objects.values_list("pk", "name"))
    checked = 0
    for region_id, figures in by_region.items():
        name = names[region_id]
        mine = [c for c in complaints if sample["region_of"][c["dealer_code"]] == name]
        deliveries = sum(1 for r in delivered if sample["region_of"][r["dealer_code"]] == name)
        assert figures["complaint_rate"].n == deliveries
        _close(figures["complaint_rate"], 1000 * len(mine) / deliveries)
        if mine:
            in_24h = sum(
                bool(c["closed_at"]) and (_t(c["closed_at"]) - _t(c["received_at"])).total_seconds() <= 86400
                for c in mine
            )
            _close(figures["complaint_closure_24h_rate"], 100 * in_24h / len(mine))
            checked += 1
    assert checked, "at least one region had complaints in October"
    network = _network()
    _close(network["complaint_rate"], 1000 * len(complaints) / len(delivered))


def test_the_survey_family_pools_each_city_tiers_responses(sample):
    responses = [s for s in sample["survey_responses"] if _in_october(s["responded_at"])]
    for tier, figures in group_figures(OCT, "city_tier").items():
        mine = [s for s in responses if sample["tier_of"][s["dealer_code"]] == tier]
        if not mine:
            continue
        _close(figures["csat"], sum(25 * (int(s["overall"]) - 1) for s in mine) / len(mine))
        rated = [int(s["nps"]) for s in mine if s["nps"]]
        if rated:
            _close(
                figures["nps"], 100 * (sum(v >= 9 for v in rated) - sum(v <= 6 for v in rated)) / len(rated)
            )
        answered = [int(s["reception"]) for s in mine if s["reception"]]
        assert figures["survey_reception"].n == len(answered)
        if answered:
            _close(figures["survey_reception"], sum(25 * (v - 1) for v in answered) / len(answered))


def test_the_parts_family_pools_the_networks_orders(sample):
    orders = [p for p in sample["parts_orders"] if _in_october(p["fulfilled_at"])]
    hours = [(_t(p["fulfilled_at"]) - _t(p["ordered_at"])).total_seconds() / 3600 for p in orders]
    figure = _network()["parts_supply_hours"]
    assert figure.n == len(orders)
    _close(figure, sum(hours) / len(hours))


def test_the_capacity_family_pools_the_approved_reports_not_the_dealers_rates(sample):
    reports = [s for s in sample["submissions"] if s["period"] == "2026-10"]
    technicians = sum(int(s["technicians"]) for s in reports)
    figures = _network()
    assert figures["certified_staff_rate"].n == technicians
    _close(
        figures["certified_staff_rate"],
        100 * sum(int(s["certified_technicians"]) for s in reports) / technicians,
    )
    _close(
        figures["training_hours_per_technician"],
        sum(float(s["training_hours"]) for s in reports) / technicians,
    )
    equipment = sum(int(s["equipment_total"]) for s in reports)
    _close(
        figures["equipment_availability_rate"], 100 * sum(int(s["equipment_ok"]) for s in reports) / equipment
    )
    # pooled, not a mean of the dealers' rates (they differ on the sample)
    mean_of_rates = sum(100 * int(s["certified_technicians"]) / int(s["technicians"]) for s in reports) / len(
        reports
    )
    assert abs(mean_of_rates - figures["certified_staff_rate"].value) > ROUNDED


def test_a_group_pools_only_the_dealers_with_a_scorecard_in_the_month(dealer, other_dealer):
    from dealers.choices import DealerStatus
    from tests.factories import ComplaintFactory, RepairOrderFactory, local

    # Given two dealers' October deliveries and complaints; the second is terminated before
    # October is scored, so it has no scorecard that month
    for d, complaints in ((dealer, 1), (other_dealer, 3)):
        for day in (5, 6):
            RepairOrderFactory(dealer=d, closed_at=local(f"2026-10-0{day} 10:00"))
        for _ in range(complaints):
            ComplaintFactory(dealer=d)
    other_dealer.status = DealerStatus.TERMINATED
    other_dealer.save()
    period_recompute("2026-10")
    assert not Scorecard.objects.filter(period__code="2026-10", dealer=other_dealer).exists()
    # When the network's figures are read
    figures = _network()
    # Then only the scored dealer's records count: 1 complaint over its 2 deliveries
    assert figures["repair_count"].value == 2
    assert figures["complaint_rate"].value == 500.0


# --- stored figures (written with the scorecards, read by the pages and the API) ---------------


def _stored(grouping: str, key: str = "") -> dict:
    from assessments.models import GroupFigure

    return {
        f.kpi_code: f
        for f in GroupFigure.objects.filter(period__code="2026-10", grouping=grouping, group_key=key)
    }


@pytest.mark.parametrize("grouping", ["network", "region", "city_tier"])
def test_the_stored_figures_equal_the_pooled_records_of_every_kpi_and_group(sample, grouping):
    # Given October recomputed (the fixture); when the stored figures are read; then each equals
    # the grouped query over the pooled records (checked against the hand computation above)
    for key, figures in group_figures(OCT, grouping).items():
        stored = _stored(grouping, "" if grouping == "network" else str(key))
        for code, figure in figures.items():
            assert stored[code].n == figure.n, code
            if figure.value is None:
                assert stored[code].value is None, code
            else:
                assert abs(stored[code].value - figure.value) <= ROUNDED, (code, stored[code].value, figure)


def test_the_stored_network_figures_equal_the_hand_computation_per_family(sample):
    stored = _stored("network")
    closed = [r for r in sample["repair_orders"] if _in_october(r["closed_at"])]
    repairs = [r for r in closed if r["repair_type"] in ("repair", "warranty")]
    hours = [(_t(r["closed_at"]) - _t(r["opened_at"])).total_seconds() / 3600 for r in repairs]
    complaints = [c for c in sample["complaints"] if _in_october(c["received_at"])]
    responses = [s for s in sample["survey_responses"] if _in_october(s["responded_at"])]
    orders = [p for p in sample["parts_orders"] if _in_october(p["fulfilled_at"])]
    reports = [s for s in sample["submissions"] if s["period"] == "2026-10"]
    assert stored["repair_count"].value == len(closed)  # repair orders (a sum)
    _close(stored["repair_cycle_hours"], statistics.median(hours))  # repair orders (the median)
    _close(stored["complaint_rate"], 1000 * len(complaints) / len(closed))  # complaints
    _close(stored["csat"], sum(25 * (int(s["overall"]) - 1) for s in responses) / len(responses))  # surveys
    _close(  # parts
        stored["parts_supply_hours"],
        sum((_t(p["fulfilled_at"]) - _t(p["ordered_at"])).total_seconds() / 3600 for p in orders)
        / len(orders),
    )
    _close(  # the approved monthly reports
        stored["certified_staff_rate"],
        100
        * sum(int(s["certified_technicians"]) for s in reports)
        / sum(int(s["technicians"]) for s in reports),
    )
    cards = Scorecard.objects.filter(period__code="2026-10", status="scored")
    totals = [float(c.total_score) for c in cards]
    _close(stored["average_total"], sum(totals) / len(totals))
    assert stored["average_total"].n == len(totals)


def test_a_peer_groups_stored_figures_pool_its_dealers_records(sample):
    from assessments.kpis.peers import peer_key

    # Given each scored dealer's peer group from its October repair count (city tier × band)
    closed = [r for r in sample["repair_orders"] if _in_october(r["closed_at"])]
    count = defaultdict(int)
    for r in closed:
        count[r["dealer_code"]] += 1
    scored = set(Scorecard.objects.filter(period__code="2026-10").values_list("dealer__code", flat=True))
    peer_of = {
        code: peer_key(sample["tier_of"][code], count.get(code, 0)) for code in scored if count.get(code)
    }
    key = max(set(peer_of.values()), key=lambda k: sum(1 for v in peer_of.values() if v == k))
    mine = {code for code, k in peer_of.items() if k == key}
    # When its stored figures are read; then they pool its dealers' records
    stored = _stored("peer", key)
    ros = [r for r in closed if r["dealer_code"] in mine]
    assert stored["repair_count"].value == len(ros)
    assert stored["repair_count"].dealers == len(mine)
    promised = [r for r in ros if r["promised_at"]]
    _close(
        stored["on_time_delivery_rate"],
        100 * sum(r["closed_at"] <= r["promised_at"] for r in promised) / len(promised),
    )
    repairs = [r for r in ros if r["repair_type"] in ("repair", "warranty")]
    hours = [(_t(r["closed_at"]) - _t(r["opened_at"])).total_seconds() / 3600 for r in repairs]
    _close(stored["repair_cycle_hours"], statistics.median(hours))
    complaints = [
        c for c in sample["complaints"] if _in_october(c["received_at"]) and c["dealer_code"] in mine
    ]
    _close(stored["complaint_rate"], 1000 * len(complaints) / len(ros))
