"""The console's promotion calendar page: marketing adds, edits and removes events (audited as through
the API) and sees each compound's wishes; other roles may not open it (both databases)."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, PromotionEvent
from tests.console_web import console_fixture, text  # noqa: F401  (the fixture `console`)
from tests.shopping_plan import day, planning  # noqa: F401  (fixture)


def test_marketing_keeps_the_calendar_on_its_page(console, planning):
    marketing = console("marketing")
    added = marketing.post("/console/promotions", {"name": "双11", "starts_on": day(30), "ends_on": day(40),
                                                   "expected_discount_pct": "母婴 30\n* 10"})
    assert added.status_code == 302, text(added)
    event = db.session.scalars(select(PromotionEvent)).one()
    assert (event.name, event.expected_discount_pct) == ("双11", {"母婴": 30, "*": 10})
    page = text(marketing.get("/console/promotions", query_string={"edit": event.id}))
    assert "双11" in page and "母婴 −30%" in page and "母婴 30" in page
    edited = marketing.post(f"/console/promotions/{event.id}", {"name": "双11", "starts_on": day(31),
                                                                "ends_on": day(40), "expected_discount_pct": "母婴 25"})
    assert edited.status_code == 302, text(edited)
    db.session.expire_all()
    assert (event.starts_on.isoformat(), event.expected_discount_pct) == (day(31), {"母婴": 25})
    assert marketing.post(f"/console/promotions/{event.id}/delete").status_code == 302
    assert db.session.scalars(select(PromotionEvent)).all() == []
    assert db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all() == \
        ["promotion.create", "promotion.update", "promotion.delete"]


def test_bad_input_is_shown_on_the_form_and_wishes_are_listed_by_compound(console, planning):
    planning.wish()
    marketing = console("marketing")
    refused = marketing.post("/console/promotions", {"name": "618", "starts_on": day(10), "ends_on": day(5),
                                                     "expected_discount_pct": "母婴 二十"})
    assert refused.status_code == 422
    page = text(marketing.get("/console/promotions"))
    assert planning.shop.home.name in page and "母婴 1" in page
    assert console("ops").get("/console/promotions").status_code == 403
