"""Figures per campaign and per compound, each one SQL aggregate (no rows counted in Python).

A campaign's figures follow the shakes made in its rounds within the period: shakes, the
distinct shoppers who shook, wins, coupons won and how many of those were used, and the
orders it brought (prize items picked up at the van, plus orders paid with its coupons).
A compound's figures are what happened there: arrivals (and those refused as too far), rounds, shakes, shoppers, wins,
coupons used on its orders, and its orders and sales (cancelled orders left out).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.models import Arrival, Campaign, Compound, Coupon, Order, Shake, ShakeRound, utcnow
from app.services.campaigns import display_status


@dataclass(frozen=True)
class Period:
    """[since, until) in UTC; either end may be open."""

    since: datetime | None = None
    until: datetime | None = None

    def bound(self, column):
        """The WHERE conditions that keep `column` inside the period."""
        conditions = []
        if self.since is not None:
            conditions.append(column >= self.since)
        if self.until is not None:
            conditions.append(column < self.until)
        return conditions


CAMPAIGN_COLUMNS = (
    ("campaign_id", "活动编号", "Campaign id"), ("title", "活动", "Campaign"), ("status", "状态", "Status"),
    ("rounds", "轮次", "Rounds"), ("shakes", "摇动次数", "Shakes"),
    ("shoppers", "参与人数", "Unique shoppers"),
    ("wins", "中奖", "Wins"), ("coupons_won", "赢得优惠券", "Coupons won"),
    ("coupons_redeemed", "已核销优惠券", "Coupons redeemed"), ("prize_orders", "奖品订单", "Prize orders"),
    ("coupon_orders", "用券订单", "Orders with its coupons"), ("orders", "订单合计", "Orders"),
    ("sales_fen", "用券订单金额(分)", "Sales with its coupons (fen)"),
)
COMPOUND_COLUMNS = (
    ("compound_id", "小区编号", "Compound id"), ("name", "小区", "Compound"), ("city", "城市", "City"),
    ("arrivals", "到车次数", "Arrivals"), ("arrivals_too_far", "离小区太远被拒", "Arrivals refused as too far"),
    ("rounds", "轮次", "Rounds"), ("shakes", "摇动次数", "Shakes"),
    ("shoppers", "参与人数", "Unique shoppers"), ("wins", "中奖", "Wins"),
    ("coupons_redeemed", "已核销优惠券", "Coupons redeemed"), ("orders", "订单", "Orders"),
    ("completed_orders", "已提货订单", "Orders picked up"), ("sales_fen", "销售额(分)", "Sales (fen)"),
)


def grouped(session: Session, key, *aggregates, source=None, joins=(), where=()) -> dict:
    """{key: (aggregate, ...)} for one GROUP BY query over `source` and its joins."""
    query = select(key, *aggregates)
    if source is not None:
        query = query.select_from(source)
    for join in joins:
        query = query.join(*join)
    rows = session.execute(query.where(*where).group_by(key)).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def campaign_report(session: Session, period: Period = Period(), now: datetime | None = None) -> list[dict]:
    """One row per campaign, newest first."""
    now = now or utcnow()
    by_round = (ShakeRound, ShakeRound.id == Shake.round_id)
    shake_time = period.bound(Shake.created_at)
    rounds = grouped(session, ShakeRound.campaign_id, func.count(ShakeRound.id),
                     where=period.bound(ShakeRound.opens_at))
    shakes = grouped(session, ShakeRound.campaign_id, func.count(Shake.id),
                     func.count(func.distinct(Shake.shopper_id)), func.count(Shake.round_prize_id),
                     func.count(Shake.coupon_id), func.count(Shake.order_id),
                     source=Shake, joins=[by_round], where=shake_time)
    redeemed = grouped(session, ShakeRound.campaign_id, func.count(Coupon.id),
                       source=Shake, joins=[by_round, (Coupon, Coupon.id == Shake.coupon_id)],
                       where=[Coupon.status == "used", *shake_time])
    coupon_orders = grouped(session, ShakeRound.campaign_id, func.count(Order.id), func.sum(Order.total_fen),
                            source=Shake, joins=[by_round, (Order, Order.coupon_id == Shake.coupon_id)],
                            where=[Order.status != "cancelled", *shake_time])
    rows = []
    for campaign in session.scalars(select(Campaign).order_by(Campaign.id.desc())):
        n_shakes, n_shoppers, n_wins, n_coupons, n_prize_orders = shakes.get(campaign.id, (0, 0, 0, 0, 0))
        n_coupon_orders, sales = coupon_orders.get(campaign.id, (0, 0))
        rows.append({
            "campaign_id": campaign.id, "title": campaign.title, "status": display_status(campaign, now),
            "rounds": rounds.get(campaign.id, (0,))[0], "shakes": n_shakes, "shoppers": n_shoppers,
            "wins": n_wins, "coupons_won": n_coupons, "coupons_redeemed": redeemed.get(campaign.id, (0,))[0],
            "prize_orders": n_prize_orders, "coupon_orders": n_coupon_orders,
            "orders": n_prize_orders + n_coupon_orders, "sales_fen": int(sales or 0),
        })
    return rows


def compound_report(session: Session, period: Period = Period()) -> list[dict]:
    """One row per compound, by id."""
    by_round = (ShakeRound, ShakeRound.id == Shake.round_id)
    arrivals = grouped(session, Arrival.compound_id, func.count(Arrival.id),
                       func.count(case((Arrival.too_far, Arrival.id))), where=period.bound(Arrival.received_at))
    rounds = grouped(session, ShakeRound.compound_id, func.count(ShakeRound.id),
                     where=period.bound(ShakeRound.opens_at))
    shakes = grouped(session, ShakeRound.compound_id, func.count(Shake.id),
                     func.count(func.distinct(Shake.shopper_id)), func.count(Shake.round_prize_id),
                     source=Shake, joins=[by_round], where=period.bound(Shake.created_at))
    live_orders = [Order.status != "cancelled", *period.bound(Order.created_at)]
    orders = grouped(session, Order.compound_id, func.count(Order.id), func.count(Order.coupon_id),
                     func.sum(Order.total_fen), where=live_orders)
    completed = grouped(session, Order.compound_id, func.count(Order.id),
                        where=[Order.status == "completed", *period.bound(Order.created_at)])
    rows = []
    for compound in session.scalars(select(Compound).order_by(Compound.id)):
        n_shakes, n_shoppers, n_wins = shakes.get(compound.id, (0, 0, 0))
        n_orders, n_coupons, sales = orders.get(compound.id, (0, 0, 0))
        rows.append({
            "compound_id": compound.id, "name": compound.name, "city": compound.city,
            "arrivals": arrivals.get(compound.id, (0, 0))[0],
            "arrivals_too_far": arrivals.get(compound.id, (0, 0))[1], "rounds": rounds.get(compound.id, (0,))[0],
            "shakes": n_shakes, "shoppers": n_shoppers, "wins": n_wins, "coupons_redeemed": n_coupons,
            "orders": n_orders, "completed_orders": completed.get(compound.id, (0,))[0],
            "sales_fen": int(sales or 0),
        })
    return rows
