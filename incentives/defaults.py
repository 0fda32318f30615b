"""The default incentive ladder, shipped by a data migration (plain data: safe to import there).

Each rule has a Chinese name and an English one (`name`, `name_en`); the ladder first
shipped with one bilingual name ("全国前10%奖励 Top 10 % nationally → bonus"), which
incentives migration 0008 splits in databases that have it (`BILINGUAL_NAMES`)."""

from typing import Any

DEFAULT_LADDER: list[dict[str, Any]] = [
    {
        "name": "全国前10%奖励",
        "name_en": "Top 10 % nationally → bonus",
        "condition": "top_percent",
        "params": {"percent": 10, "scope": "national"},
        "action_type": "bonus",
        "bonus_base": 20000,
        "bonus_per_point": 1000,
        "bonus_threshold": 90,
    },
    {
        "name": "区域第一荣誉",
        "name_en": "First in region → honour",
        "condition": "rank_at_most",
        "params": {"rank": 1, "scope": "region"},
        "action_type": "honour",
    },
    {
        "name": "D级约谈",
        "name_en": "Grade D → interview",
        "condition": "grade",
        "params": {"grades": ["D"], "months": 1},
        "action_type": "interview",
    },
    {
        "name": "连续两月D级整改",
        "name_en": "Grade D two months running → rectification",
        "condition": "grade",
        "params": {"grades": ["D"], "months": 2},
        "action_type": "rectification",
        "rectification_days": 30,
    },
    {
        "name": "客诉率连续三月超限整改",
        "name_en": "Complaint rate above 8‰ three months running → rectification",
        "condition": "kpi_value",
        "params": {"kpi": "complaint_rate", "op": ">", "value": 8, "months": 3},
        "action_type": "rectification",
        "rectification_days": 30,
    },
    {
        "name": "连续三月D级暂停授权",
        "name_en": "Grade D three months running → suspension",
        "condition": "grade",
        "params": {"grades": ["D"], "months": 3},
        "action_type": "suspension",
    },
    {
        "name": "一票否决暂停授权",
        "name_en": "Veto → suspension",
        "condition": "veto",
        "params": {},
        "action_type": "suspension",
    },
]


#: The first ladder's bilingual names, and the Chinese and English names they split into.
BILINGUAL_NAMES: dict[str, tuple[str, str]] = {
    f"{rule['name']} {rule['name_en']}": (rule["name"], rule["name_en"]) for rule in DEFAULT_LADDER
}
