"""Console pages: forms checked by the JSON API's schemas, messages next to fields, the same services."""
from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.models import Campaign, Compound, CouponTemplate, Courier, Deal, Product, Staff
from tests.console_web import console_fixture, text  # noqa: F401  (the fixture `console`)


def field_error(page: str, name: str) -> str:
    """The message shown under the input named `name`."""
    match = re.search(rf'id="f-{re.escape(name)}-error">([^<]+)<', page)
    assert match, f"no message next to {name}"
    return match.group(1)


def test_a_compound_is_added_and_drawn_on_the_map(console):
    ops = console("ops")
    answer = ops.post("/console/compounds", {"name": "地图花园", "city": "上海", "district": "浦东新区",
                                             "lat": "31.2304", "lng": "121.5470", "radius_m": "350",
                                             "aliases": "地图小区, Map Garden"})
    assert answer.status_code == 302
    compound = db.session.scalar(db.select(Compound).where(Compound.name == "地图花园"))
    assert (compound.lat, compound.radius_m, compound.aliases) == (31.2304, 350, ["地图小区", "Map Garden"])
    page = text(ops.get("/console/compounds"))
    assert f'data-compound-id="{compound.id}"' in page and "31.23040, 121.54700" in page and "350 m" in page


def test_compound_mistakes_are_shown_next_to_each_field(console):
    answer = console("ops").post("/console/compounds", {"name": "", "city": "上海", "lat": "north",
                                                        "lng": "200", "radius_m": "5"})
    page = text(answer)
    assert answer.status_code == 422
    assert field_error(page, "name") == "必填 · Required"
    assert field_error(page, "lat") == "请输入数字 · Enter a number"
    assert "180" in field_error(page, "lng")
    assert field_error(page, "radius_m").startswith("须≥ 10")
    assert 'value="north"' in page  # what was typed stays in the form


def test_a_courier_is_registered_with_a_badge_to_preview_download_and_rotate(console, make):
    home = make.compound()
    ops = console("ops")
    answer = ops.post("/console/couriers", {"employee_no": "W2001", "name": "网页小哥",
                                            "password": "handheld-1",
                                            "compound_ids": str(home.id)})
    assert answer.status_code == 302
    courier = db.session.scalar(db.select(Courier).where(Courier.employee_no == "W2001"))
    page = text(ops.get(answer.headers["Location"]))
    assert home.name in page and courier.courier_code in page
    preview = ops.get(f"/console/couriers/{courier.id}/badge.png")
    assert preview.mimetype == "image/png" and preview.data.startswith(b"\x89PNG")
    download = ops.get(f"/console/couriers/{courier.id}/badge.png?download=1")
    assert download.headers["Content-Disposition"] == "attachment; filename=badge-W2001.png"
    old_code = courier.courier_code
    assert ops.post(f"/console/couriers/{courier.id}/rotate-code").status_code == 302
    db.session.refresh(courier)
    assert courier.courier_code != old_code


def test_a_taken_employee_number_is_shown_on_its_field(console, make):
    courier = make.courier()
    page = text(console("ops").post("/console/couriers", {
        "employee_no": courier.employee_no, "name": "重复", "password": "handheld-1",
        "compound_ids": str(courier.compounds[0].id)}))
    assert "is taken" in field_error(page, "employee_no")
    assert 'value="handheld-1"' not in page


def test_a_product_takes_its_price_in_yuan(console):
    ops = console("ops")
    added = ops.post("/console/products", {"name": "网页鸡蛋", "category": "生鲜", "price_fen": "29.90"})
    assert added.status_code == 302
    assert db.session.scalar(db.select(Product.price_fen).where(Product.name == "网页鸡蛋")) == 2990
    page = text(ops.post("/console/products", {"name": "贵", "category": "x", "price_fen": "abc"}))
    assert field_error(page, "price_fen") == "请输入金额，如 29.90 · Enter an amount in yuan, like 29.90"
    page = text(ops.post("/console/products", {"name": "贵", "category": "x", "price_fen": "2000000"}))
    assert "¥1000000.00" in field_error(page, "price_fen")


def test_a_deal_is_offered_and_the_services_rule_is_shown(console, make):
    home, product = make.compound(), make.product(price_fen=3000)
    marketer = console("marketing")
    body = {"product_id": str(product.id), "kind": "staff", "deal_price_fen": "19.90",
            "compound_ids": str(home.id)}
    assert marketer.post("/console/deals", body).status_code == 302
    assert db.session.scalar(db.select(Deal.deal_price_fen)) == 1990
    page = text(marketer.post("/console/deals", {**body, "deal_price_fen": "99"}))
    assert field_error(page, "deal_price_fen") == (
        "特价不能高于原价 · A deal cannot cost more than the list price")


def test_a_coupon_template_is_offered_with_beijing_times(console, make):
    home = make.compound()
    marketer = console("marketing")
    answer = marketer.post("/console/coupons", {
        "title": "网页券", "discount_fen": "5", "threshold_fen": "30", "total": "100",
        "per_shopper_limit": "1",
        "compound_ids": str(home.id), "valid_from": "2030-01-01T08:00", "valid_until": "2030-02-01T08:00"})
    assert answer.status_code == 302, text(answer)
    template = db.session.scalar(db.select(CouponTemplate).where(CouponTemplate.title == "网页券"))
    assert template.valid_from.isoformat() == "2030-01-01T00:00:00+00:00"
    backwards = {"title": "x", "discount_fen": "5", "threshold_fen": "3", "total": "1",
                 "per_shopper_limit": "1", "compound_ids": str(home.id),
                 "valid_from": "2030-02-01T08:00", "valid_until": "2030-01-01T08:00"}
    page = text(marketer.post("/console/coupons", backwards))
    assert field_error(page, "valid_until") == "须晚于生效时间 · Must be after the start of validity"
    page = text(marketer.post("/console/coupons", {**backwards, "compound_ids": ""}))
    assert field_error(page, "compound_ids") == "至少选择一项 · Choose at least one"


@pytest.fixture
def prizes(make):
    home = make.compound()
    return {"home": home, "coupon": make.coupon_template([home]), "item": make.product(name="奖品水")}


def campaign_form(prizes, **extra):
    body = {"title": "网页活动", "compound_ids": str(prizes["home"].id), "starts_at": "2030-05-01T10:00",
            "ends_at": "2030-05-02T10:00", "window_seconds": "120", "shakes_per_shopper": "3",
            "wins_per_shopper": "1",
            "prizes.0.prize": f"coupon:{prizes['coupon'].id}", "prizes.0.per_round": "10",
            "prizes.0.win_probability": "20",
            "prizes.3.prize": f"item:{prizes['item'].id}", "prizes.3.per_round": "2",
            "prizes.3.win_probability": "5",
            "prizes.5.prize": "", "prizes.5.per_round": "", "prizes.5.win_probability": ""}
    body.update(extra)
    return body


def test_a_campaign_is_created_with_two_prizes_and_its_odds_made_plain(console, prizes):
    marketer = console("marketing")
    answer = marketer.post("/console/campaigns/new", campaign_form(prizes))
    assert answer.status_code == 302, text(answer)
    campaign = db.session.scalar(db.select(Campaign).where(Campaign.title == "网页活动"))
    assert [(p.kind, p.per_round, p.win_probability) for p in campaign.prizes] == [
        ("coupon", 10, 0.2), ("item", 2, 0.05)]
    page = text(marketer.get(answer.headers["Location"]))
    assert "每轮共 <b>12</b> 份奖品" in page and "25%" in page  # the shares lie end to end: 0.2 + 0.05
    assert "1 at once, then 1 every 12 s" in page and "1 every 60 s" in page
    assert "未开始 Scheduled" in page


def test_prize_row_mistakes_land_on_the_row_staff_see(console, prizes):
    marketer = console("marketing")
    body = campaign_form(prizes, **{"prizes.0.win_probability": "150", "window_seconds": "5"})
    page = text(marketer.post("/console/campaigns/new", body))
    assert re.search(r'name="prizes\.0\.win_probability".*?须&gt; 0%，且≤ 100%', page, re.S)
    assert "须≥ 10，且≤ 3600" in field_error(page, "window_seconds")
    unknown_product = campaign_form(prizes, **{"prizes.3.prize": "item:987654"})
    page = text(marketer.post("/console/campaigns/new", unknown_product))
    # the third row typed (index 3) is the second row shown once the blank ones are dropped
    assert re.search(r'name="prizes\.1\.prize".*?an existing product is required', page, re.S)
    assert db.session.scalar(db.select(db.func.count()).select_from(Campaign)) == 0


def test_a_campaign_needs_at_least_one_prize(console, prizes):
    body = {key: value for key, value in campaign_form(prizes).items() if not key.startswith("prizes.")}
    page = text(console("marketing").post("/console/campaigns/new", body))
    assert "须有 1 到 20 个奖品 · Add at least one prize" in page


def test_campaigns_pause_and_resume_from_the_list(console, make):
    campaign = make.campaign([make.compound()])
    marketer = console("marketing")
    assert "进行中 Live" in text(marketer.get("/console/campaigns"))
    marketer.post(f"/console/campaigns/{campaign.id}/pause", {"back": "list"})
    assert "已暂停 Paused" in text(marketer.get("/console/campaigns"))
    assert marketer.post(f"/console/campaigns/{campaign.id}/pause").status_code == 409
    marketer.post(f"/console/campaigns/{campaign.id}/resume")
    assert db.session.get(Campaign, campaign.id).status == "active"


def test_admins_add_staff_accounts(console):
    admin = console("admin")
    added = admin.post("/console/staff", {"username": "new.ops", "password": "long-enough", "role": "ops"})
    assert added.status_code == 302
    assert db.session.scalar(db.select(Staff.role).where(Staff.username == "new.ops")) == "ops"
    page = text(admin.post("/console/staff", {"username": "new.ops", "password": "short", "role": "boss"}))
    assert "8" in field_error(page, "password") and field_error(page, "role").startswith("请从选项中选择")


def test_a_short_courier_password_is_a_form_error(console, make):
    compound = make.compound()
    answer = console("ops").post("/console/couriers", {
        "employee_no": "W7007", "name": "短密码", "password": "abc123", "compound_ids": str(compound.id)})
    page = text(answer)
    assert answer.status_code == 422
    assert "7" in field_error(page, "password")
    assert db.session.query(Courier).filter_by(employee_no="W7007").count() == 0
