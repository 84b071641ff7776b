"""The campaign form: settings plus a variable number of prize rows, read into CampaignIn's shape.

A prize row is one <select> ("coupon:12" or "item:7"), a count per round and a percentage.
Blank rows are dropped and the rest renumbered before checking, so a message about
`prizes.1.per_round` lands on the second row the staff member sees.
"""
from __future__ import annotations

import re

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.console.choices import compound_choices
from app.console.display import local_input, percent_input, yuan
from app.console.forms import Field, Form
from app.extensions import db
from app.models import Campaign, CouponTemplate, Product

CAMPAIGN_FIELDS = (
    Field("title", "活动名称", "Title", attrs={"maxlength": 120}),
    Field("compound_ids", "小区", "Compounds", kind="ids"),
    Field("starts_at", "开始", "Starts", kind="when", help="北京时间 Beijing time"),
    Field("ends_at", "结束", "Ends", kind="when"),
    Field("window_seconds", "每轮时长（秒）", "Round length (s)", kind="int",
          help="小哥到达后可摇的时间，10–3600 秒 · How long shoppers may shake after the van arrives"),
    Field("shakes_per_shopper", "每人每轮可摇", "Shakes per shopper per round", kind="int"),
    Field("wins_per_shopper", "每人每轮最多中奖", "Wins per shopper per round", kind="int"),
    Field("rounds_per_compound_per_day", "每小区每天最多轮次", "Rounds per compound a day", kind="int",
          help="小哥再到也不再开轮 · Further arrivals that day open no round"),
)
PRIZE_ROW = re.compile(r"^prizes\.(\d+)\.(prize|per_round|win_probability|total)$")
PRIZE_TARGET = re.compile(r"^prizes\.(\d+)\.(kind|coupon_template_id|product_id)$")
DEFAULT_ROWS = 2
# What a new campaign starts with: a two-minute round, three shakes and one win each.
NEW_CAMPAIGN = {"window_seconds": "120", "shakes_per_shopper": "3", "wins_per_shopper": "1",
                "rounds_per_compound_per_day": "2"}


def prize_fields(n: int) -> tuple[Field, ...]:
    return (
        Field(f"prizes.{n}.prize", "奖品", "Prize", kind="choice"),
        Field(f"prizes.{n}.per_round", "每轮数量", "Stock per round", kind="int", attrs={"min": 1}),
        Field(f"prizes.{n}.win_probability", "每次摇中概率", "Chance per shake", kind="percent",
              attrs={"placeholder": "5"}),
        Field(f"prizes.{n}.total", "活动总量", "Total over the campaign", kind="int", required=False,
              attrs={"min": 1, "placeholder": "不限 no cap"}),
    )


def prize_alias(key: str) -> str:
    """Messages about a row's kind or target belong to its prize <select>."""
    match = PRIZE_TARGET.match(key)
    return f"prizes.{match.group(1)}.prize" if match else key


def prize_choices() -> list[tuple[str, str]]:
    coupons = db.session.scalars(select(CouponTemplate).order_by(CouponTemplate.id.desc()).limit(500))
    products = db.session.scalars(select(Product).order_by(Product.name, Product.id).limit(2000))
    return ([(f"coupon:{t.id}", f"优惠券 Coupon · {t.title}") for t in coupons]
            + [(f"item:{p.id}", f"实物 Item · {p.name} ({yuan(p.price_fen)})") for p in products])


def campaign_form(rows: int = DEFAULT_ROWS, raw: dict | None = None) -> Form:
    """The form with `rows` prize rows; blank but for NEW_CAMPAIGN's defaults unless `raw` is given."""
    fields = list(CAMPAIGN_FIELDS)
    for n in range(max(rows, 1)):
        fields.extend(prize_fields(n))
    prizes = prize_choices()
    choices = {"compound_ids": compound_choices(),
               **{f"prizes.{n}.prize": prizes for n in range(max(rows, 1))}}
    form = Form(fields, raw=dict(NEW_CAMPAIGN) if raw is None else raw, choices=choices, alias=prize_alias,
                groups={"prizes": "pool"})
    form.prize_rows = max(rows, 1)
    return form


def read_campaign_form(formdata) -> tuple[Form, dict]:
    """The form as typed (blank prize rows dropped) and its data in CampaignIn's shape."""
    rows: dict[int, dict[str, str]] = {}
    compact = MultiDict()
    for key in formdata:
        match = PRIZE_ROW.match(key)
        if match:
            rows.setdefault(int(match.group(1)), {})[match.group(2)] = formdata.get(key, "")
        else:
            for value in formdata.getlist(key):
                compact.add(key, value)
    kept = [row for _, row in sorted(rows.items()) if any(value.strip() for value in row.values())]
    for n, row in enumerate(kept):
        for part, value in row.items():
            compact[f"prizes.{n}.{part}"] = value
    form = campaign_form(len(kept))
    data = form.read(compact)
    data["prizes"] = [prize_line(data, n) for n in range(len(kept))]
    return form, data


def prize_line(data: dict, n: int) -> dict:
    """Row n as CampaignIn's prize: {"kind", "coupon_template_id" or "product_id", ...}."""
    choice = data.pop(f"prizes.{n}.prize", None)
    line = {key: data.pop(f"prizes.{n}.{key}") for key in ("per_round", "win_probability", "total")
            if f"prizes.{n}.{key}" in data}
    if choice is None:
        return line
    kind, _, target = str(choice).partition(":")
    line["kind"] = {"coupon": "coupon", "item": "item"}.get(kind, choice)
    target_id = int(target) if target.isdigit() else None
    line["coupon_template_id" if kind == "coupon" else "product_id"] = target_id
    return line


def form_for(campaign: Campaign) -> Form:
    """The edit form, filled in from the campaign."""
    raw = {
        "title": campaign.title, "compound_ids": [str(c.id) for c in campaign.compounds],
        "starts_at": local_input(campaign.starts_at), "ends_at": local_input(campaign.ends_at),
        "window_seconds": str(campaign.window_seconds),
        "shakes_per_shopper": str(campaign.shakes_per_shopper),
        "wins_per_shopper": str(campaign.wins_per_shopper),
        "rounds_per_compound_per_day": str(campaign.rounds_per_compound_per_day),
    }
    for n, prize in enumerate(campaign.prizes):
        target = (f"coupon:{prize.coupon_template_id}" if prize.kind == "coupon"
                  else f"item:{prize.product_id}")
        raw.update({f"prizes.{n}.prize": target, f"prizes.{n}.per_round": str(prize.per_round),
                    f"prizes.{n}.win_probability": percent_input(prize.win_probability),
                    f"prizes.{n}.total": "" if prize.total is None else str(prize.total)})
    return campaign_form(len(campaign.prizes), raw)
