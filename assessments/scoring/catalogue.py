"""The KPI catalogue of scoring.md: the fixed facts about each KPI."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

TierCode = Literal["base", "process", "result"]
TIERS: tuple[TierCode, ...] = ("base", "process", "result")


@dataclass(frozen=True)
class KpiDefinition:
    code: str
    name_zh: str
    name_en: str
    tier: TierCode
    dimension: str
    unit: str
    direction: Literal["higher", "lower"]
    definition_zh: str
    definition_en: str


CATALOGUE: tuple[KpiDefinition, ...] = (
    KpiDefinition(
        "certified_staff_rate",
        "持证上岗率",
        "Certified staff rate",
        "base",
        "quality",
        "%",
        "higher",
        "已批准月报中 持证技师人数 / 技师人数 × 100",
        "100 × certified technicians / technicians, approved submission",
    ),
    KpiDefinition(
        "equipment_availability_rate",
        "设备完好率",
        "Equipment availability",
        "base",
        "quality",
        "%",
        "higher",
        "已批准月报中 完好设备数 / 设备总数 × 100",
        "100 × equipment in working order / equipment total, approved submission",
    ),
    KpiDefinition(
        "training_hours_per_technician",
        "人均培训学时",
        "Training hours per technician",
        "base",
        "quality",
        "h",
        "higher",
        "已批准月报中 培训学时 / 技师人数",
        "training hours / technicians, approved submission",
    ),
    KpiDefinition(
        "appointment_lead_days",
        "预约提前天数",
        "Appointment lead time",
        "process",
        "efficiency",
        "days",
        "lower",
        "当月开单且有预约时间的工单，(开单时间 − 预约时间) 的平均天数",
        "mean of (opened − booked) in days over ROs opened in the period with a booking",
    ),
    KpiDefinition(
        "repair_cycle_hours",
        "维修周期",
        "Repair cycle time",
        "process",
        "efficiency",
        "h",
        "lower",
        "当月交车的维修/索赔工单，(交车时间 − 开单时间) 的中位数（小时）",
        "median of (closed − opened) in hours over repair and warranty ROs closed in the period",
    ),
    KpiDefinition(
        "on_time_delivery_rate",
        "按时交车率",
        "On-time delivery rate",
        "process",
        "efficiency",
        "%",
        "higher",
        "当月交车且有承诺交车时间的工单中，按时交车的比例",
        "share of ROs closed in the period with a promised time that were closed by it",
    ),
    KpiDefinition(
        "parts_supply_hours",
        "配件供应时长",
        "Parts supply time",
        "process",
        "efficiency",
        "h",
        "lower",
        "当月到货的配件订单，(到货时间 − 订货时间) 的平均小时数",
        "mean of (fulfilled − ordered) in hours over parts orders fulfilled in the period",
    ),
    KpiDefinition(
        "complaint_closure_24h_rate",
        "投诉24小时结案率",
        "Complaints closed within 24 h",
        "process",
        "satisfaction",
        "%",
        "higher",
        "当月受理的投诉中，24小时内结案的比例（问题不过夜）",
        "share of complaints received in the period closed within 24 hours",
    ),
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
    ),
    KpiDefinition(
        "first_time_fix_rate",
        "一次性修复率",
        "First-time fix rate",
        "result",
        "quality",
        "%",
        "higher",
        "当月交车的维修/索赔工单中，30天内无同VIN同故障返修的比例",
        "share of repair ROs closed in the period with no comeback (same VIN and fault within 30 days)",
    ),
    KpiDefinition(
        "complaint_rate",
        "客诉率",
        "Complaint rate",
        "result",
        "satisfaction",
        "‰",
        "lower",
        "每千台次交车的投诉数",
        "complaints received per 1,000 ROs closed in the period",
    ),
    KpiDefinition(
        "warranty_cost_per_claim",
        "单车索赔成本",
        "Warranty cost per claim",
        "result",
        "cost",
        "CNY",
        "lower",
        "当月交车的索赔工单平均索赔金额",
        "mean warranty cost over warranty ROs closed in the period",
    ),
    KpiDefinition(
        "repair_count",
        "维修台次",
        "Repair orders delivered",
        "result",
        "operations",
        "ROs",
        "higher",
        "当月交车的工单数",
        "number of ROs closed in the period",
    ),
    KpiDefinition(
        "repair_output_value",
        "维修产值",
        "Repair output value",
        "result",
        "operations",
        "CNY",
        "higher",
        "当月交车工单的工时费 + 配件费合计",
        "sum of labour and parts amounts over ROs closed in the period",
    ),
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
    ),
)

BY_CODE: dict[str, KpiDefinition] = {k.code: k for k in CATALOGUE}
