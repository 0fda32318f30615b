"""The survey family: CSAT, NPS and the five service-quality factors of the seed scheme
(reception, diagnosis, repair completion, attitude, timeliness), over survey responses
answered in the period. Responses HQ excluded for integrity count in none of them.

One grouped query gives every KPI of the family for every dealer; the survey pages read the
same counted responses (`counted`) and the same arithmetic (surveys.rules.points_mean).
"""

from __future__ import annotations

from typing import Any

from django.db.models import BooleanField, Count, ExpressionWrapper, F, FloatField, Max, Q, QuerySet, Sum
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext_lazy as _

from dealers.models import Dealer
from surveys.models import SurveyResponse
from surveys.rules import nps_value, points_mean

from ..periods import Month
from ..scoring.catalogue import KpiDefinition
from .base import GROUP, Column, Dealers, DrillDown, Family, KpiEntry, MeasurementTable, grouped, scoped

# The factor KPIs and the survey answer each one averages (scoring.md → the catalogue).
FACTORS: dict[str, str] = {
    "survey_reception": "reception",
    "survey_diagnosis": "diagnosis",
    "survey_repair_quality": "repair_quality",
    "survey_attitude": "attitude",
    "survey_timeliness": "timeliness",
}


def counted(qs: QuerySet, month: Month) -> QuerySet:
    """The responses of `qs` that count in the month's KPIs: answered in it, not excluded."""
    return qs.filter(responded_at__gte=month.start, responded_at__lt=month.end, excluded=False)


def measure(month: Month, dealer_ids: Dealers, out: MeasurementTable, by: str | None) -> None:
    factor_sums: dict[str, Any] = {}
    for code, answer in FACTORS.items():
        factor_sums[f"{code}__n"] = Count(answer)
        factor_sums[f"{code}__sum"] = Sum(answer)
    for row in (
        grouped(scoped(counted(SurveyResponse.objects.all(), month), dealer_ids), by)
        .annotate(
            n=Count("id"),
            overall_sum=Sum("overall"),
            nps_n=Count("id", filter=Q(nps__isnull=False)),
            promoters=Count("id", filter=Q(nps__gte=9)),
            detractors=Count("id", filter=Q(nps__lte=6)),
            seen=Max("imported_at"),
            **factor_sums,
        )
        .order_by()
    ):
        m = out[row[GROUP]]
        m.seen(row["seen"])
        n = row["n"]
        m.set("csat", points_mean(n, row["overall_sum"]), n)
        nps_n = row["nps_n"]
        m.set("nps", nps_value(nps_n, row["promoters"], row["detractors"]) if nps_n else None, nps_n)
        for code in FACTORS:
            answered = row[f"{code}__n"]
            m.set(code, points_mean(answered, row[f"{code}__sum"]) if answered else None, answered)


# --- records -------------------------------------------------------------------------------


def _survey_records(
    user: Any, dealer: Dealer, month: Month, flag: Q, flag_label: Any, answer: str | None = None
) -> DrillDown:
    responses = counted(SurveyResponse.objects.for_user(user).filter(dealer_id=dealer.pk), month)
    extra: tuple[Column, ...] = ()
    fields: tuple[str, ...] = ()
    if answer is not None:  # a factor KPI: the responses that answered it, with its points
        responses = responses.filter(**{f"{answer}__isnull": False}).annotate(
            factor_points=ExpressionWrapper((F(answer) - 1) * 25.0, output_field=FloatField())
        )
        label = capfirst(getattr(SurveyResponse._meta.get_field(answer), "verbose_name", answer))
        extra = (
            Column(answer, format_lazy("{} (1–5)", label), "number"),
            Column("factor_points", _("Points"), "number"),
        )
        fields = (answer, "factor_points")
    rows = (
        responses.annotate(
            csat_points=ExpressionWrapper((F("overall") - 1) * 25.0, output_field=FloatField())
        )
        .annotate(flagged=ExpressionWrapper(flag, output_field=BooleanField()))
        .order_by(F("flagged").desc(nulls_last=True), "responded_at", "response_id")
        .values(
            "response_id",
            "responded_at",
            *fields,
            "overall",
            "csat_points",
            "nps",
            "flagged",
            "repair_order__ro_number",
            "comment",
        )
    )
    return DrillDown(
        title=_("Survey responses received in the month (excluded responses are not counted)"),
        rows=rows,
        columns=(
            Column("response_id", _("Response")),
            Column("responded_at", _("Answered"), "datetime"),
            *extra,
            Column("overall", _("Overall (1–5)"), "number"),
            Column("csat_points", _("CSAT points"), "number"),
            Column("nps", _("Likelihood to recommend (0–10)"), "number"),
            Column("flagged", flag_label, "flag"),
            Column("repair_order__ro_number", _("RO number")),
            Column("comment", _("Comment")),
        ),
        flag_key="flagged",
        flag_label=flag_label,
        flag_filter=flag,
    )


def csat_records(user: Any, dealer: Dealer, month: Month) -> DrillDown:
    """Survey responses; the dissatisfied ones (overall 1 or 2) flagged."""
    return _survey_records(user, dealer, month, Q(overall__lte=2), _("Dissatisfied (1–2)"))


def nps_records(user: Any, dealer: Dealer, month: Month) -> DrillDown:
    """Survey responses; detractors (0–6) flagged."""
    return _survey_records(user, dealer, month, Q(nps__lte=6), _("Detractor (0–6)"))


def factor_records(answer: str) -> Any:
    """The responses that answered this factor; those scoring it 1 or 2 flagged."""

    def records(user: Any, dealer: Dealer, month: Month) -> DrillDown:
        return _survey_records(
            user, dealer, month, Q(**{f"{answer}__lte": 2}), _("Dissatisfied (1–2)"), answer=answer
        )

    return records


def _factor(
    code: str, name_zh: str, name_en: str, dimension: str, what_zh: str, what_en: str, order: int, remedy: Any
) -> KpiEntry:
    return KpiEntry(
        KpiDefinition(
            code,
            name_zh,
            name_en,
            "result",
            dimension,
            "pts",
            "higher",
            f"当月回答了“{what_zh}”的问卷，25 × (该项评分 − 1) 的平均值",
            f"mean of 25 × ({what_en} − 1) over survey responses in the period that answered it",
            order=order,
        ),
        factor_records(FACTORS[code]),
        "survey_response",
        remedy,
    )


FAMILY = Family(
    name="surveys",
    measure=measure,
    kpis=(
        KpiEntry(
            KpiDefinition(
                "csat",
                "客户满意度",
                "Customer satisfaction (CSAT)",
                "result",
                "satisfaction",
                "pts",
                "higher",
                "当月问卷 25 × (总体满意度 − 1) 的平均值",
                "mean of 25 × (overall − 1) over survey responses in the period",
                order=9,
            ),
            csat_records,
            "survey_response",
            remedy=_("Call back dissatisfied customers and fix the reasons they give"),
        ),
        KpiEntry(
            KpiDefinition(
                "nps",
                "净推荐值",
                "Net promoter score",
                "result",
                "satisfaction",
                "pts",
                "higher",
                "100 × (推荐者 − 贬损者) / 填写推荐意愿的问卷数",
                "100 × (promoters − detractors) / responses with NPS",
                order=15,
            ),
            nps_records,
            "survey_response",
            remedy=_("Ask detractors why and act on the most common answer"),
        ),
        _factor(
            "survey_reception",
            "接待满意度",
            "Reception",
            "quality",
            "接待",
            "reception",
            16,
            _("Greet every customer within five minutes and confirm the job with them at the desk"),
        ),
        _factor(
            "survey_diagnosis",
            "故障诊断满意度",
            "Diagnosis",
            "quality",
            "故障诊断",
            "diagnosis",
            17,
            _("Explain each diagnosis to the customer before work starts, with the findings shown"),
        ),
        _factor(
            "survey_repair_quality",
            "维修完工质量",
            "Repair completion",
            "quality",
            "维修质量",
            "repair quality",
            18,
            _("Add a final inspection and a test drive before every delivery"),
        ),
        _factor(
            "survey_attitude",
            "服务态度",
            "Service attitude",
            "quality",
            "服务态度",
            "attitude",
            19,
            _("Coach advisors on courtesy from the customers' own comments, and review it weekly"),
        ),
        _factor(
            "survey_timeliness",
            "服务及时性",
            "Timeliness",
            "efficiency",
            "及时性",
            "timeliness",
            20,
            _("Keep customers told of progress and of any delay before the promised time"),
        ),
    ),
)
