"""The figures a library is judged by, each defined once.

A figure has a stable code (the key in every answer, XLSX and chart), a Chinese and an English
name, the definition a manager can read out at an evaluation (after GB/T 13191 and ISO 2789,
the standards the county plans cite), the unit it is counted in, and how this system counts
it. Pages, the API, the annual report and the evaluation all take their figures from here, so
a figure means the same thing wherever it appears.

``attributions`` says which units a figure can be credited to (see ``Attribution``): a loan
happened at one desk, of a copy owned by a unit, to a reader whose card was issued at a unit,
and the three need not be the same (通借通还). Figures about the stock alone belong to the
copy's owner; figures about cards to the unit that issued them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Attribution = Literal["happened", "owner", "home"]
ATTRIBUTIONS: tuple[Attribution, ...] = ("happened", "owner", "home")
ATTRIBUTION_NAMES: dict[Attribution, tuple[str, str]] = {
    "happened": ("发生馆", "where it happened"),
    "owner": ("藏书所属馆", "the copy's owning unit"),
    "home": ("读者办证馆", "the reader's home unit"),
}

Kind = Literal["count", "ratio", "hours", "money", "days"]

CIRCULATION: tuple[Attribution, ...] = ("happened", "owner", "home")


@dataclass(frozen=True)
class Figure:
    code: str
    name_zh: str
    name_en: str
    unit_zh: str
    unit_en: str
    definition_zh: str
    definition_en: str
    how: str  # how this system counts it, in English (shown under the definition)
    kind: Kind = "count"
    attributions: tuple[Attribution, ...] = ("happened",)
    # A ratio is numerator / denominator of two other figures (or of the population served).
    numerator: str | None = None
    denominator: str | None = None  # a figure code, or "population"
    # Figures whose sum over units is the figure of the roll-up (a ratio or a distinct count is not).
    additive: bool = True
    # Entered figures: a unit with no entry has no figure (null), not 0.
    entered: bool = False


def _f(*args: object, **kwargs: object) -> Figure:
    return Figure(*args, **kwargs)  # type: ignore[arg-type]


FIGURES: dict[str, Figure] = {f.code: f for f in (
    # ---- circulation
    _f("loans", "外借册次", "Initial loans", "册次", "loans",
       "读者借出文献的次数，每借出一册计一次；续借不计入（另见续借册次）。年报的外借册次取此数。",
       "Times a document was lent to a reader, one per copy lent. Renewals are not included "
       "(ISO 2789 counts them apart); the annual report's loans are this figure.",
       "check-outs in the period (events loan.checkout), whatever the desk or machine",
       attributions=CIRCULATION),
    _f("renewals", "续借册次", "Renewals", "册次", "renewals",
       "已借文献延长借期的次数，每册每次续借计一次。",
       "Times a loan was extended, one per copy per renewal.",
       "renewals in the period (events loan.renew), at a desk, in the OPAC or at a machine",
       attributions=CIRCULATION),
    _f("loans_with_renewals", "外借册次（含续借）", "Loans including renewals", "册次", "loans",
       "外借册次与续借册次之和。", "Initial loans plus renewals.",
       "loans + renewals", attributions=CIRCULATION),
    _f("returns", "归还册次", "Returns", "册次", "returns",
       "读者归还文献的册次。", "Copies returned by readers.",
       "check-ins of a loan in the period (events loan.checkin)", attributions=CIRCULATION),
    _f("returns_away", "通还册次", "Returns at another unit", "册次", "returns",
       "在借出馆以外的馆归还的册次（通借通还中的通还）。",
       "Copies returned at a unit other than the one that lent them (return anywhere).",
       "check-ins in the period at a unit other than the loan's lending unit", attributions=CIRCULATION),
    _f("borrowing_readers", "外借人次", "Borrowing visits", "人次", "reader-visits",
       "读者借出文献的人次：一位读者一天在一馆借书计一人次，无论借了几册。",
       "Visits on which a reader borrowed: one reader borrowing at one unit on one day counts "
       "once, however many copies.",
       "distinct (reader, day, unit) among the period's check-outs; adds up over days and units",
       attributions=CIRCULATION),
    _f("active_readers", "借阅读者数", "Active borrowers", "人", "readers",
       "统计期内至少借阅过一次的持证读者人数。",
       "Card holders who borrowed at least once in the period.",
       "distinct readers among the period's check-outs (a reader counts once in a roll-up "
       "even if they borrowed at several of its units)",
       attributions=CIRCULATION, additive=False),
    _f("holds_placed", "预约次数", "Holds placed", "次", "holds",
       "读者提出预约的次数。", "Holds placed by or for readers.",
       "holds placed in the period (events hold.placed), credited to the pickup unit",
       attributions=("happened", "home")),
    _f("holds_filled", "预约满足次数", "Holds filled", "次", "holds",
       "预约的文献被读者取走的次数。", "Holds whose copy the reader collected.",
       "holds fulfilled by a check-out in the period (events hold.fulfilled), at the pickup unit",
       attributions=("happened", "home")),
    _f("transits_sent", "转运册次", "Copies sent in transit", "册次", "copies",
       "从本馆发往其他馆的文献册次（通还送回、预约调拨、配送）。",
       "Copies sent from this unit to another (going home, to a hold, distribution).",
       "transits created in the period, credited to the unit sending them", attributions=("happened",)),
    _f("transit_days", "平均在途天数", "Average days in transit", "天", "days",
       "统计期内到达的转运从发出到签收的平均天数。",
       "Average days from sending to receiving, over transits received in the period.",
       "mean of (received_at - created_at) over transits received in the period, credited to the "
       "receiving unit", kind="days", attributions=("happened",), additive=False),
    # ---- readers
    _f("cards_issued", "新办证数", "Cards issued", "张", "cards",
       "统计期内新办理的借书证数。", "Reader cards issued in the period.",
       "readers registered in the period, credited to the unit that issued the card",
       attributions=("home",)),
    _f("valid_cards", "有效借书证数", "Valid cards", "张", "cards",
       "期末仍在有效期内、未注销的借书证数。",
       "Cards within their validity and not withdrawn at the end of the period.",
       "readers registered by the period's end whose card expires after it and is not withdrawn "
       "(a card's block does not make it invalid)", attributions=("home",)),
    # ---- stock
    _f("holdings", "总藏量", "Holdings", "册", "copies",
       "期末馆藏文献的总册数（已注销的不计）。",
       "Copies held at the end of the period (withdrawn copies not counted).",
       "copies added by the period's end and not withdrawn by then, at their owning unit",
       attributions=("owner",)),
    _f("holdings_added", "新增藏量", "Copies added", "册", "copies",
       "统计期内新入藏的文献册数。", "Copies added to the holdings in the period.",
       "copies created in the period, at their owning unit", attributions=("owner",)),
    _f("holdings_withdrawn", "注销册数", "Copies withdrawn", "册", "copies",
       "统计期内剔旧、丢失赔偿等注销的文献册数。",
       "Copies withdrawn in the period (weeded, or written off after a loss).",
       "copies whose status became withdrawn in the period, at their owning unit",
       attributions=("owner",)),
    _f("holdings_value", "馆藏价值", "Holdings value", "元", "yuan (the API gives fen)",
       "期末馆藏文献定价之和。", "Sum of the list prices of the copies held at the period's end.",
       "sum of the copies' prices (from CNMARC 010$d or MARC21 020$c / 365 at import, or as "
       "entered); copies without a price are counted in holdings_unpriced",
       kind="money", attributions=("owner",)),
    _f("holdings_unpriced", "无定价册数", "Copies without a price", "册", "copies",
       "期末馆藏中没有定价记录的册数（馆藏价值未含）。",
       "Copies held at the period's end with no price (not in the holdings value).",
       "holdings with no price", attributions=("owner",)),
    # ---- service
    _f("opening_hours", "每周开放时间", "Opening hours per week", "小时", "hours",
       "按本馆公布的开放时间计算的每周开放小时数。",
       "Hours a week the unit is open by its published opening hours.",
       "the unit's weekly opening hours as set on the unit (closed days not subtracted); "
       "a roll-up shows the unit's own", kind="hours", attributions=("happened",), additive=False),
    # ---- entered (reports.entries, activities)
    _f("visits", "到馆人次", "Visits", "人次", "visits",
       "统计期内进入图书馆的人次，来自门禁计数器导入或服务点每日手工登记。",
       "People entering the library in the period, from gate-counter imports or a service point's "
       "daily entry.",
       "the entered visit counts (a two-way counter's in-count; see the visits import); a unit with "
       "no count has no figure", attributions=("happened",), entered=True),
    _f("activities", "读者活动次数", "Reader activities", "次", "activities",
       "统计期内举办的讲座、展览、培训、阅读推广等读者活动次数，按举办地计。",
       "Lectures, exhibitions, training, reading promotion and other activities held in the period, "
       "at the unit where they were held.",
       "activities entered with their day in the period, at the unit where they were held",
       attributions=("happened",)),
    _f("activity_attendance", "读者活动参加人次", "Activity attendance", "人次", "attendances",
       "统计期内参加读者活动的人次。", "Attendances at the period's reader activities.",
       "the attendance entered for each activity", attributions=("happened",)),
    _f("outreach_activities", "下基层活动场次", "Activities taken to branches and points", "场次", "activities",
       "总馆组织、在分馆和服务点举办的活动场次。",
       "Activities a 总馆 organised that were held at its branches and service points.",
       "activities organised by a 总馆 and held at another unit of its system, credited to the 总馆",
       attributions=("happened",)),
    # ---- per capita and rates (over the population served, from the units' data)
    _f("holdings_per_capita", "人均藏书", "Holdings per capita", "册/人", "copies per person",
       "期末总藏量除以服务人口。", "Holdings at the period's end divided by the population served.",
       "holdings / population served", kind="ratio", attributions=("owner",),
       numerator="holdings", denominator="population", additive=False),
    _f("added_per_capita", "人均新增藏量", "Copies added per capita", "册/人", "copies per person",
       "统计期内新增藏量除以服务人口。", "Copies added in the period divided by the population served.",
       "holdings_added / population served", kind="ratio", attributions=("owner",),
       numerator="holdings_added", denominator="population", additive=False),
    _f("loans_per_capita", "人均外借", "Loans per capita", "册次/人", "loans per person",
       "外借册次除以服务人口。", "Initial loans divided by the population served.",
       "loans / population served", kind="ratio", attributions=CIRCULATION,
       numerator="loans", denominator="population", additive=False),
    _f("visits_per_capita", "人均到馆", "Visits per capita", "人次/人", "visits per person",
       "到馆人次除以服务人口。", "Visits divided by the population served.",
       "visits / population served", kind="ratio", attributions=("happened",),
       numerator="visits", denominator="population", additive=False),
    _f("circulation_rate", "流通率", "Circulation rate", "次/册", "loans per copy",
       "外借册次除以期末总藏量。", "Initial loans divided by the holdings at the period's end.",
       "loans / holdings (both credited to the owning unit when counted by owner)",
       kind="ratio", attributions=CIRCULATION, numerator="loans", denominator="holdings", additive=False),
)}

POPULATION = ("population", "服务人口", "Population served")


def figure(code: str) -> Figure:
    try:
        return FIGURES[code]
    except KeyError:
        raise ValueError(f"unknown figure {code!r}; define it in reports/figures.py") from None
