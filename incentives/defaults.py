"""The default incentive ladder, shipped by a data migration (plain data: safe to import there)."""

from typing import Any

DEFAULT_LADDER: list[dict[str, Any]] = [
    {
        "name": "全国前10%奖励 Top 10 % nationally → bonus",
        "condition": "top_percent",
        "params": {"percent": 10, "scope": "national"},
        "action_type": "bonus",
        "bonus_base": 20000,
        "bonus_per_point": 1000,
        "bonus_threshold": 90,
    },
    {
        "name": "区域第一荣誉 First in region → honour",
        "condition": "rank_at_most",
        "params": {"rank": 1, "scope": "region"},
        "action_type": "honour",
    },
    {
        "name": "D级约谈 Grade D → interview",
        "condition": "grade",
        "params": {"grades": ["D"], "months": 1},
        "action_type": "interview",
    },
    {
        "name": "连续两月D级整改 Grade D two months running → rectification",
        "condition": "grade",
        "params": {"grades": ["D"], "months": 2},
        "action_type": "rectification",
        "rectification_days": 30,
    },
    {
        "name": "客诉率连续三月超限整改 Complaint rate above 8‰ three months running → rectification",
        "condition": "kpi_value",
        "params": {"kpi": "complaint_rate", "op": ">", "value": 8, "months": 3},
        "action_type": "rectification",
        "rectification_days": 30,
    },
    {
        "name": "连续三月D级暂停授权 Grade D three months running → suspension",
        "condition": "grade",
        "params": {"grades": ["D"], "months": 3},
        "action_type": "suspension",
    },
    {
        "name": "一票否决暂停授权 Veto → suspension",
        "condition": "veto",
        "params": {},
        "action_type": "suspension",
    },
]
