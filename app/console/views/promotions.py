"""The promotion calendar (大促日历, marketing): events with their expected discounts, added, edited
and removed here (audited as through the API); and the wishes of each compound for area marketing."""
from __future__ import annotations

import re

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from app.actions import shopping_plan as plan_actions
from app.console.auth import requires
from app.console.blueprint import bp
from app.console.forms import Field, Form, load_data, run
from app.extensions import db
from app.models import Compound, utcnow
from app.schemas.shopping_plan import PromotionIn
from app.services.portrait.wishes import open_wishes_by_category, waiting_by_event
from app.services.shopping_plan import calendar
from app.services.shopping_plan.wishes import local_today

DAY_ATTRS = {"placeholder": "2027-06-18", "inputmode": "numeric"}
PROMOTION_FIELDS = (
    Field("name", "名称", "Name", help="如 618、双11 · e.g. 618"),
    Field("starts_on", "开始日", "First day", attrs=DAY_ATTRS, help="北京时间 · Beijing date, YYYY-MM-DD"),
    Field("ends_on", "结束日", "Last day", attrs=DAY_ATTRS),
    Field("expected_discount_pct", "预计折扣", "Expected discount", kind="textarea",
          help="每行一个品类和折扣百分比，如 “母婴 20”；“* 10” 为其他品类 · One category and percent off a line"),
)


def discounts_of(text: str):
    """{"母婴": 20, ...} from lines "母婴 20" (or "母婴: 20%"); the text itself when a line does not read."""
    found = {}
    for line in filter(None, (part.strip() for part in re.split(r"[\n,，、;；]", text))):
        match = re.fullmatch(r"(.+?)[\s:：=]+(\d{1,3})\s*%?", line)
        if match is None:
            return text
        found[match.group(1).strip()] = int(match.group(2))
    return found


def discounts_text(pct: dict) -> str:
    return "\n".join(f"{category} {percent}" for category, percent in pct.items())


def read_promotion(form: Form) -> dict | None:
    data = form.read(request.form)
    if "expected_discount_pct" in data:
        data["expected_discount_pct"] = discounts_of(data["expected_discount_pct"])
    return load_data(form, PromotionIn, data)


@bp.get("/promotions")
@requires("promotions")
def promotions():
    """The calendar, the form to add an event (or edit one: ?edit=<id>), wishes per compound."""
    editing = request.args.get("edit", type=int)
    form = Form(PROMOTION_FIELDS)
    if editing:
        event = calendar.get_event(db.session, editing)
        form.raw.update(name=event.name, starts_on=event.starts_on.isoformat(), ends_on=event.ends_on.isoformat(),
                        expected_discount_pct=discounts_text(event.expected_discount_pct))
    return promotions_page(form, editing)


@bp.post("/promotions")
@requires("promotions")
def create_promotion():
    return save_promotion(None, plan_actions.create_event, "已添加 Added")


@bp.post("/promotions/<int:event_id>")
@requires("promotions")
def update_promotion(event_id: int):
    return save_promotion(event_id, lambda staff_id, body: plan_actions.update_event(staff_id, event_id, body),
                          "已保存 Saved")


def save_promotion(editing: int | None, action, done: str):
    """Read the form, run the change (shown on the form when refused), back to the calendar."""
    form = Form(PROMOTION_FIELDS)
    body = read_promotion(form)
    saved = None if body is None else run(form, lambda: action(g.staff.id, body))
    if not saved:
        return promotions_page(form, editing, 422)
    flash(f"{done}: {saved.name}")
    return redirect(url_for("console_web.promotions"))


@bp.post("/promotions/<int:event_id>/delete")
@requires("promotions")
def delete_promotion(event_id: int):
    plan_actions.delete_event(g.staff.id, event_id)
    flash("已删除 Removed")
    return redirect(url_for("console_web.promotions"))


def promotions_page(form: Form, editing: int | None, status: int = 200):
    today = local_today(utcnow())
    compounds = list(db.session.scalars(select(Compound).order_by(Compound.id)))
    ids = [c.id for c in compounds]
    by_category, waiting = open_wishes_by_category(db.session, ids, today), waiting_by_event(db.session, ids, today)
    events = calendar.events(db.session)
    wished = [(c, by_category.get(c.id, {}), waiting.get(c.id, {})) for c in compounds if c.id in by_category]
    return render_template("console/promotions.html", active="promotions", events=events, form=form,
                           editing=editing, wished=wished, names={e.id: e.name for e in events},
                           today=today), status
