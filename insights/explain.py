"""Findings in words: the explanation of one finding with its numbers, the method of each kind
for the methods page HQ reads, and the names of the figures.

Explanations are built at display time from the stored `figures`, in the reader's language
(gettext, named placeholders), so a finding stored at night reads in Chinese or English.
Numbers: thousands separators, one decimal for shares ("12.3 %"), p-values as "p = 0.0032"
or "p < 0.0001". KPI names come from the catalogue (`name_zh` / `name_en`).

Figures keys per kind (every one has `value`, the figure a 复盘 re-measures; `VALUE_LABELS`
says what it is for each kind):

- fault_rising: value (orders with the code per 1,000 repair and warranty orders this
  month), baseline_value (the same over the baseline months), observed, expected, ratio,
  dealers_rising, dealers_tested, expected_rising, p, alpha, baseline_months
- peer_outlier: value, n, shrunk, weight, k, peer_median, between_sd, within_sd, sd, z,
  threshold, peers, peer_key
- trend_break: value, n, centre, limit, lower, upper, mr_bar, sigma_hat, sigma, z,
  baseline_months, rule ("limit" or "run")
- warranty_repeat: value (% of claims), claims, repeats, expected, ratio, network_share, p,
  alpha, window_days
- warranty_cost: value (% of claims above the quantile), claims, above, expected, ratio,
  network_share, p, alpha, quantile, mean_cost, expected_cost, cost_index
- warranty_bunching: value (% of claims), claims, late, expected, ratio, network_share, p,
  alpha, days
- round_times: value (% of timestamps), round, timestamps, expected, expected_share,
  chance_share, network_share, step, p, alpha
- flat_cycle: value (coefficient of variation), n, mean_hours, sd_hours, distinct,
  network_cv, z, threshold, dealers_tested
- survey_burst: value (% of responses), flagged, responses, burst_size, window_minutes
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from assessments.kpis import BY_CODE, kpi_name
from assessments.kpis.peers import VOLUME_BANDS
from surveys.services import BURST_SIZE, BURST_WINDOW

from . import conf
from .choices import FindingKind
from .detectors.stats import normal_sf

DASH = "—"
NETWORK_DEALERS = 2000  # the network's size the expected false alarms are stated for

# --- numbers -----------------------------------------------------------------------------------


def number(value: float | int | None, decimals: int = 0) -> str:
    """A number with thousands separators: 1,234.5."""
    if value is None:
        return DASH
    return f"{value:,.{decimals}f}"


def share(value: float | None) -> str:
    """A share given in percent (12.34) as "12.3 %"."""
    return DASH if value is None else f"{number(value, 1)} %"


def fraction_share(value: float | None) -> str:
    """A share given as a fraction (0.1234) as "12.3 %"."""
    return DASH if value is None else share(100 * value)


def p_value(p: float | None) -> str:
    """ "p = 0.0032", or "p < 0.0001" for anything smaller."""
    if p is None:
        return DASH
    if p < 0.0001:
        return "p < 0.0001"
    return f"p = {p:.2g}"


def ratio(value: float | None) -> str:
    return DASH if value is None else number(value, 1)


_UNIT_FORMATS: dict[str, tuple[int, Promise | str]] = {
    "%": (1, "%(value)s %%"),
    "‰": (2, "%(value)s ‰"),
    "h": (1, _("%(value)s h")),
    "days": (1, _("%(value)s days")),
    "CNY": (0, _("%(value)s CNY")),
    "pts": (1, _("%(value)s points")),
    "ROs": (0, _("%(value)s repair orders")),
}


def kpi_value(kpi: str, value: float | None) -> str:
    """A KPI's value with its unit, in the reader's language ("93.4 %", "12.5 小时")."""
    if value is None:
        return DASH
    unit = BY_CODE[kpi].unit if kpi in BY_CODE else ""
    decimals, template = _UNIT_FORMATS.get(unit, (2, "%(value)s"))
    return str(template) % {"value": number(value, decimals)}


def peer_group(key: str) -> str:
    """A peer key ("3-M") in words: city tier and volume band."""
    tier, _sep, band = key.partition("-")
    labels = {code: label for code, _lowest, label in VOLUME_BANDS}
    if not tier.isdigit() or band not in labels:
        return key
    return gettext("%(tier)s, %(band)s") % {
        "tier": gettext("City tier %(tier)s") % {"tier": tier},
        "band": str(labels[band]),
    }


# --- explanations ------------------------------------------------------------------------------


def _fault_rising(subject: str, f: Mapping[str, Any]) -> str:
    return gettext(
        "Fault code %(code)s: %(observed)s repair orders this month where %(expected)s were expected "
        "from the previous %(months)s months (%(ratio)s×), rising at %(rising)s of %(tested)s dealers "
        "tested (%(expected_rising)s expected by chance; %(p)s)."
    ) % {
        "code": subject,
        "observed": number(f.get("observed")),
        "expected": number(f.get("expected"), 1),
        "months": number(f.get("baseline_months")),
        "ratio": ratio(f.get("ratio")),
        "rising": number(f.get("dealers_rising")),
        "tested": number(f.get("dealers_tested")),
        "expected_rising": number(f.get("expected_rising"), 1),
        "p": p_value(f.get("p")),
    }


def _peer_outlier(subject: str, f: Mapping[str, Any]) -> str:
    return gettext(
        "%(kpi)s %(value)s (n = %(n)s) against a median of %(median)s among %(peers)s peers "
        "(%(group)s). Allowing for its sample size it counts as %(shrunk)s, %(z)s standard deviations "
        "from the median (limit %(threshold)s)."
    ) % {
        "kpi": kpi_name(subject),
        "value": kpi_value(subject, f.get("value")),
        "n": number(f.get("n")),
        "median": kpi_value(subject, f.get("peer_median")),
        "peers": number(f.get("peers")),
        "group": peer_group(str(f.get("peer_key", ""))),
        "shrunk": kpi_value(subject, f.get("shrunk")),
        "z": number(f.get("z"), 1),
        "threshold": number(f.get("threshold"), 1),
    }


def _trend_break(subject: str, f: Mapping[str, Any]) -> str:
    values = {
        "kpi": kpi_name(subject),
        "value": kpi_value(subject, f.get("value")),
        "limit": kpi_value(subject, f.get("limit")),
        "centre": kpi_value(subject, f.get("centre")),
        "months": number(f.get("baseline_months")),
        "z": number(f.get("z"), 1),
    }
    if f.get("rule") == "run":
        return (
            gettext(
                "%(kpi)s %(value)s this month, worse than its centre line %(centre)s for several months "
                "in a row (centre line over the previous %(months)s months)."
            )
            % values
        )
    return (
        gettext(
            "%(kpi)s %(value)s this month, beyond its control limit of %(limit)s (centre line %(centre)s "
            "over the previous %(months)s months; %(z)s σ from it)."
        )
        % values
    )


def _claims_values(f: Mapping[str, Any]) -> dict[str, str]:
    return {
        "claims": number(f.get("claims")),
        "share": share(f.get("value")),
        "network": share(f.get("network_share")),
        "expected": number(f.get("expected"), 1),
        "p": p_value(f.get("p")),
    }


def _warranty_repeat(subject: str, f: Mapping[str, Any]) -> str:
    return gettext(
        "%(repeats)s of the dealer's %(claims)s warranty claims this month (%(share)s) repeat a claim "
        "for the same vehicle and fault made within %(days)s days; at the network's share of "
        "%(network)s, %(expected)s were expected (%(p)s)."
    ) % {**_claims_values(f), "repeats": number(f.get("repeats")), "days": number(f.get("window_days"))}


def _warranty_cost(subject: str, f: Mapping[str, Any]) -> str:
    return gettext(
        "%(above)s of the dealer's %(claims)s warranty claims this month (%(share)s) cost more than the "
        "%(percentile)sth percentile of their fault code across the network, where %(expected)s were "
        "expected (%(p)s). Its cost per claim is %(mean)s, %(index)s× the network's for the same fault "
        "codes (%(network_cost)s)."
    ) % {
        **_claims_values(f),
        "above": number(f.get("above")),
        "percentile": number(100 * float(f.get("quantile") or 0)),
        "mean": kpi_value("warranty_cost_per_claim", f.get("mean_cost")),
        "index": ratio(f.get("cost_index")),
        "network_cost": kpi_value("warranty_cost_per_claim", f.get("expected_cost")),
    }


def _warranty_bunching(subject: str, f: Mapping[str, Any]) -> str:
    return gettext(
        "%(late)s of the dealer's %(claims)s warranty claims this month (%(share)s) were closed in the "
        "last %(days)s days of the month; at the network's share of %(network)s, %(expected)s were "
        "expected (%(p)s)."
    ) % {**_claims_values(f), "late": number(f.get("late")), "days": number(f.get("days"))}


def _round_times(subject: str, f: Mapping[str, Any]) -> str:
    return gettext(
        "%(round)s of the %(timestamps)s opening and closing times of the dealer's repair orders this "
        "month (%(share)s) fall on a multiple of %(step)s minutes, where %(expected_share)s is expected "
        "(%(p)s)."
    ) % {
        "round": number(f.get("round")),
        "timestamps": number(f.get("timestamps")),
        "share": share(f.get("value")),
        "step": number(f.get("step")),
        "expected_share": share(f.get("expected_share")),
        "p": p_value(f.get("p")),
    }


def _flat_cycle(subject: str, f: Mapping[str, Any]) -> str:
    return gettext(
        "The dealer's %(n)s repair cycle times this month barely vary: mean %(mean)s, standard "
        "deviation %(sd)s, %(distinct)s different durations. Their coefficient of variation is "
        "%(cv)s against a network median of %(network)s (modified z-score %(z)s)."
    ) % {
        "n": number(f.get("n")),
        "mean": kpi_value("repair_cycle_hours", f.get("mean_hours")),
        "sd": kpi_value("repair_cycle_hours", f.get("sd_hours")),
        "distinct": number(f.get("distinct")),
        "cv": fraction_share(f.get("value")),
        "network": fraction_share(f.get("network_cv")),
        "z": number(f.get("z"), 1),
    }


def _survey_burst(subject: str, f: Mapping[str, Any]) -> str:
    return gettext(
        "%(flagged)s of the dealer's %(responses)s survey responses this month (%(share)s) are top "
        "scores given in bursts: %(size)s or more within %(window)s minutes."
    ) % {
        "flagged": number(f.get("flagged")),
        "responses": number(f.get("responses")),
        "share": share(f.get("value")),
        "size": number(f.get("burst_size")),
        "window": number(f.get("window_minutes")),
    }


_EXPLAIN: dict[str, Callable[[str, Mapping[str, Any]], str]] = {
    FindingKind.FAULT_RISING: _fault_rising,
    FindingKind.PEER_OUTLIER: _peer_outlier,
    FindingKind.TREND_BREAK: _trend_break,
    FindingKind.WARRANTY_REPEAT: _warranty_repeat,
    FindingKind.WARRANTY_COST: _warranty_cost,
    FindingKind.WARRANTY_BUNCHING: _warranty_bunching,
    FindingKind.ROUND_TIMES: _round_times,
    FindingKind.FLAT_CYCLE: _flat_cycle,
    FindingKind.SURVEY_BURST: _survey_burst,
}


def explain(kind: str, subject: str, figures: Mapping[str, Any]) -> str:
    """One or two plain sentences on what was found, with its numbers, in the active language."""
    return _EXPLAIN[kind](subject, figures)


# --- methods -----------------------------------------------------------------------------------


def _kpi_count(settings: Mapping[str, Any]) -> int:
    excluded = set(settings["kpi_excluded"])
    return sum(1 for code in BY_CODE if code not in excluded)


def _bonferroni_values(settings: Mapping[str, Any]) -> dict[str, str]:
    return {"alpha": number(settings["dealer_family_alpha"], 2)}


def _fault_method(s: Mapping[str, Any]) -> str:
    return gettext(
        "Compares, for each fault code and dealer, the repair and warranty orders with the code closed "
        "this month with those of the previous %(months)s months, as a share of all the dealer's repair "
        "and warranty orders (a busy month or the season raises every code alike). Statistic: an exact "
        "conditional binomial test — given the dealer's orders with the code in both spans, this "
        "month's count follows, if nothing changed, a binomial distribution with this month's share of "
        "the dealer's repairs. A dealer is rising at p ≤ %(dealer_alpha)s with at least %(min_count)s "
        "orders and %(min_ratio)s× the expected. A code is reported when at least %(min_dealers)s dealers "
        "rise and their number is improbable for dealers tested at that level (binomial tail below "
        "%(family_alpha)s divided over the fault codes tested, Bonferroni). Expected false alarms: at "
        "most %(family_alpha)s a month across the network."
    ) % {
        "months": number(s["fault_baseline_months"]),
        "dealer_alpha": s["fault_dealer_alpha"],
        "min_count": number(s["fault_min_count"]),
        "min_ratio": ratio(s["fault_min_ratio"]),
        "min_dealers": number(s["fault_min_dealers"]),
        "family_alpha": s["fault_family_alpha"],
    }


def _peer_method(s: Mapping[str, Any]) -> str:
    return gettext(
        "Compares each dealer's KPI value with the other dealers of its peer group (same city tier and "
        "volume band; groups of at least %(min_dealers)s dealers). The group's spread is split into real "
        "differences between dealers and the noise of a value resting on few records, both estimated "
        "robustly from the group. Small samples: the value is shrunk toward the peer median with weight "
        "n / (n + k), n being the records it rests on and k the records the median is worth (noise ÷ "
        "real differences), and judged by its distance from the median in units of its own standard "
        "deviation (a funnel plot), so that a value on few records cannot look extreme. Reported beyond "
        "%(z)s standard deviations on the worse side only. Expected false alarms at the default 4.0, "
        "measured on a simulated stable network of 2,000 dealers in 20 peer groups: about 1 in 6,000 "
        "dealer-KPI pairs, some 6 a month over %(kpis)s KPIs. Not compared: %(excluded)s (the peer groups "
        "are made of volume)."
    ) % {
        "min_dealers": number(s["peer_min_dealers"]),
        "z": number(s["peer_z"], 1),
        "kpis": number(_kpi_count(s)),
        "excluded": ", ".join(kpi_name(code) for code in s["kpi_excluded"]) or DASH,
    }


def _trend_method(s: Mapping[str, Any]) -> str:
    text = gettext(
        "Draws an individuals (XmR) control chart of each dealer's KPI over the last %(months)s months: "
        "centre line = mean of the previous months, limits = centre ± %(sigma)s × mean moving range ÷ "
        "1.128, from at least %(min_baseline)s previous months with %(min_n)s records or more each. "
        "Reported when this month is beyond the limit on the worse side and at least %(change)s away "
        "from the centre line (a move too small to act on is not reported, however unusual)."
    ) % {
        "change": fraction_share(s["trend_min_change"]),
        "months": number(s["trend_months"]),
        "sigma": number(s["trend_sigma"], 1),
        "min_baseline": number(s["trend_min_baseline"]),
        "min_n": number(s["trend_min_n"]),
    }
    if s["trend_run_length"]:
        text += " " + gettext(
            "Also when the last %(run)s months are all on the worse side of the centre line."
        ) % {"run": number(s["trend_run_length"])}
    return (
        text
        + " "
        + gettext(
            "The default limit is 5 σ rather than the textbook 3 σ because limits estimated from 11 months "
            "are themselves uncertain: at 5 σ a stable series crosses on the worse side in about 0.1 %% of "
            "months (simulated), some 25 to 35 false alarms a month over 2,000 dealers and 18 KPIs; at 3 σ it "
            "would be about 1 %% of months."
        )
        % {}
    )


def _repeat_method(s: Mapping[str, Any]) -> str:
    return gettext(
        "Counts, per dealer, the warranty claims closed this month that repeat a claim for the same vehicle "
        "(VIN) and fault code at the same dealer closed at most %(days)s days earlier, and compares the "
        "count with the network's share of repeated claims: exact binomial upper tail, reported at p ≤ "
        "%(alpha)s divided over the dealers tested (Bonferroni) with at least %(min)s repeats and "
        "%(ratio)s× the expected. Expected false alarms: at most %(alpha)s a month across the network."
    ) % {
        **_bonferroni_values(s),
        "days": number(s["warranty_repeat_days"]),
        "min": number(s["warranty_repeat_min"]),
        "ratio": ratio(s["warranty_repeat_min_ratio"]),
    }


def _cost_method(s: Mapping[str, Any]) -> str:
    return gettext(
        "Marks each warranty claim of the month that costs more than the %(percentile)sth percentile of its "
        "fault code's claims across the network (fault codes with at least %(min_code)s claims), and "
        "compares each dealer's count with the count expected from its own mix of fault codes: exact "
        "binomial upper tail, reported at p ≤ %(alpha)s divided over the dealers tested (Bonferroni; "
        "dealers with at least %(min_claims)s claims) with at least %(ratio)s× the expected. Expected "
        "false alarms: at most %(alpha)s a month across the network."
    ) % {
        **_bonferroni_values(s),
        "percentile": number(100 * s["warranty_cost_quantile"]),
        "min_code": number(s["warranty_cost_min_code_claims"]),
        "min_claims": number(s["warranty_min_claims"]),
        "ratio": ratio(s["warranty_cost_min_ratio"]),
    }


def _bunching_method(s: Mapping[str, Any]) -> str:
    return gettext(
        "Counts, per dealer, the warranty claims closed in the last %(days)s days of the month and compares "
        "the count with the network's share in those days (so neither the month's length nor a general "
        "month-end rush is held against anyone): exact binomial upper tail, reported at p ≤ %(alpha)s "
        "divided over the dealers tested (Bonferroni; dealers with at least %(min_claims)s claims) with "
        "at least %(ratio)s× the expected. Expected false alarms: at most %(alpha)s a month across the "
        "network."
    ) % {
        **_bonferroni_values(s),
        "days": number(s["bunching_days"]),
        "min_claims": number(s["warranty_min_claims"]),
        "ratio": ratio(s["bunching_min_ratio"]),
    }


def _round_method(s: Mapping[str, Any]) -> str:
    step = s["round_minute_step"]
    return gettext(
        "Counts, per dealer, the opening and closing times of the month's repair orders whose minute "
        "(Beijing time) is a multiple of %(step)s. A clock hits those minutes in %(chance)s of cases; "
        "the expected share is that or the network's median share, whichever is higher. Exact binomial "
        "upper tail, reported at p ≤ %(alpha)s divided over the dealers tested (Bonferroni; dealers with "
        "at least %(min)s times) with at least %(ratio)s× the expected share. Expected false alarms: at "
        "most %(alpha)s a month across the network."
    ) % {
        **_bonferroni_values(s),
        "step": number(step),
        "chance": fraction_share(-(-60 // step) / 60),
        "min": number(s["round_min_timestamps"]),
        "ratio": ratio(s["round_min_ratio"]),
    }


def _flat_method(s: Mapping[str, Any]) -> str:
    rate = normal_sf(s["flat_cycle_z"])
    return gettext(
        "Computes, per dealer, the coefficient of variation (standard deviation ÷ mean) of the repair "
        "cycle times of the month's repair and warranty orders (dealers with at least %(min)s), and its "
        "modified z-score among all dealers' (Iglewicz–Hoaglin). Reported below −%(z)s and at most "
        "%(ratio)s of the network's median coefficient. Expected false alarms: %(rate)s of dealers for "
        "normally distributed values, about %(count)s a month over %(dealers)s dealers."
    ) % {
        "min": number(s["flat_cycle_min_orders"]),
        "z": number(s["flat_cycle_z"], 1),
        "ratio": fraction_share(s["flat_cycle_max_cv_ratio"]),
        "rate": f"{100 * rate:.3f} %",
        "count": number(rate * NETWORK_DEALERS, 1),
        "dealers": number(NETWORK_DEALERS),
    }


def _survey_method(s: Mapping[str, Any]) -> str:
    return gettext(
        "Joins the survey integrity check, which flags every top score that lies with at least %(others)s "
        "others within %(window)s minutes at one dealer. A dealer is reported with at least %(min)s "
        "flagged responses in the month whose flags HQ has not reviewed and kept. Expected false alarms: "
        "none in a simulated network of 2,000 dealers whose customers answer at random times."
    ) % {
        "others": number(BURST_SIZE - 1),
        "window": number(BURST_WINDOW.total_seconds() / 60),
        "min": number(s["survey_burst_min_flagged"]),
    }


_METHOD: dict[str, Callable[[Mapping[str, Any]], str]] = {
    FindingKind.FAULT_RISING: _fault_method,
    FindingKind.PEER_OUTLIER: _peer_method,
    FindingKind.TREND_BREAK: _trend_method,
    FindingKind.WARRANTY_REPEAT: _repeat_method,
    FindingKind.WARRANTY_COST: _cost_method,
    FindingKind.WARRANTY_BUNCHING: _bunching_method,
    FindingKind.ROUND_TIMES: _round_method,
    FindingKind.FLAT_CYCLE: _flat_method,
    FindingKind.SURVEY_BURST: _survey_method,
}


def method(kind: str) -> str:
    """How this kind of finding is found, in words: what is compared, the statistic, the
    threshold as set now, the expected false alarms."""
    return _METHOD[kind](conf.current())


# --- figure names ------------------------------------------------------------------------------

VALUE_LABELS: dict[str, Promise] = {
    FindingKind.FAULT_RISING: _("Orders with the code per 1,000 repair orders"),
    FindingKind.PEER_OUTLIER: _("KPI value"),
    FindingKind.TREND_BREAK: _("KPI value"),
    FindingKind.WARRANTY_REPEAT: _("Repeated claims (%)"),
    FindingKind.WARRANTY_COST: _("Claims above the network percentile (%)"),
    FindingKind.WARRANTY_BUNCHING: _("Claims in the month's last days (%)"),
    FindingKind.ROUND_TIMES: _("Times on round minutes (%)"),
    FindingKind.FLAT_CYCLE: _("Coefficient of variation of repair cycle times"),
    FindingKind.SURVEY_BURST: _("Responses in bursts (%)"),
}

FIGURE_LABELS: dict[str, Promise] = {
    "value": _("Value"),
    "baseline_value": _("Baseline value"),
    "observed": _("Observed"),
    "expected": _("Expected"),
    "ratio": _("Observed ÷ expected"),
    "dealers_rising": _("Dealers where it rose"),
    "dealers_tested": _("Dealers tested"),
    "expected_rising": _("Dealers expected to rise by chance"),
    "p": _("p-value"),
    "alpha": _("Significance level per test"),
    "baseline_months": _("Baseline months"),
    "n": _("Sample size"),
    "shrunk": _("Value allowing for sample size"),
    "weight": _("Weight of the dealer's own value"),
    "peer_median": _("Peer median"),
    "k": _("Records the median is worth (k)"),
    "between_sd": _("Spread between peers (standard deviation)"),
    "within_sd": _("Noise of one record (standard deviation)"),
    "sd": _("Standard deviation of the dealer's value"),
    "z": _("z-score"),
    "threshold": _("Cut-off"),
    "peers": _("Peers"),
    "peer_key": _("Peer group"),
    "centre": _("Centre line"),
    "limit": _("Control limit (worse side)"),
    "lower": _("Lower control limit"),
    "upper": _("Upper control limit"),
    "mr_bar": _("Mean moving range"),
    "sigma_hat": _("Estimated σ"),
    "sigma": _("Limits in σ"),
    "rule": _("Rule"),
    "claims": _("Warranty claims"),
    "network_share": _("Network share (%)"),
    "repeats": _("Repeated claims"),
    "window_days": _("Window (days)"),
    "above": _("Claims above the percentile"),
    "quantile": _("Quantile"),
    "mean_cost": _("Cost per claim (CNY)"),
    "expected_cost": _("Network cost per claim for the same fault codes (CNY)"),
    "cost_index": _("Cost index"),
    "late": _("Claims in the last days"),
    "days": _("Last days of the month"),
    "round": _("Times on round minutes"),
    "timestamps": _("Times checked"),
    "expected_share": _("Expected share (%)"),
    "chance_share": _("Share by chance (%)"),
    "step": _("Minute step"),
    "mean_hours": _("Mean repair cycle (h)"),
    "sd_hours": _("Standard deviation (h)"),
    "distinct": _("Different durations"),
    "network_cv": _("Network median coefficient of variation"),
    "flagged": _("Responses in bursts"),
    "responses": _("Survey responses"),
    "burst_size": _("Burst size"),
    "window_minutes": _("Burst window (minutes)"),
}
