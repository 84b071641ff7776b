"""How the console shows things: money in yuan, times in Shanghai, odds as percentages,
labels in Chinese and English."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

STATUS_LABELS = {
    "scheduled": ("未开始", "Scheduled"), "live": ("进行中", "Live"),
    "paused": ("已暂停", "Paused"), "ended": ("已结束", "Ended"),
    "running": ("进行中", "Running"), "sold_out": ("已售罄", "Sold out"),
}
ROLE_LABELS = {"admin": ("管理员", "Admin"), "marketing": ("市场", "Marketing"), "ops": ("运营", "Ops")}
DEAL_KIND_LABELS = {"compound": ("小区价", "Compound price"), "staff": ("内购价", "Staff price"),
                    "clearance": ("清仓", "Clearance")}
PRIZE_KIND_LABELS = {"coupon": ("优惠券", "Coupon"), "item": ("实物", "Item")}


def yuan(fen: int | None) -> str:
    """1990 -> "¥19.90"."""
    if fen is None:
        return "—"
    sign = "-" if fen < 0 else ""
    return f"{sign}¥{abs(fen) // 100:,}.{abs(fen) % 100:02d}"


def yuan_input(fen: int | None) -> str:
    """1990 -> "19.90", as a form shows it."""
    return "" if fen is None else f"{fen // 100}.{fen % 100:02d}"


def local_time(moment: datetime | None, seconds: bool = False) -> str:
    """A UTC time as Shanghai wall-clock time."""
    if moment is None:
        return "—"
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def local_input(moment: datetime | None) -> str:
    """A UTC time as an <input type="datetime-local"> value in Shanghai time."""
    return "" if moment is None else moment.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")


def percent(probability: float | None) -> str:
    """0.05 -> "5%", 0.125 -> "12.5%"."""
    if probability is None:
        return "—"
    return f"{probability * 100:.4g}%"


def percent_input(probability: float | None) -> str:
    return "" if probability is None else f"{probability * 100:.6g}"


def one_in(probability: float) -> str:
    """The odds as "1 in N" shakes."""
    return f"{1 / probability:.3g}" if probability > 0 else "∞"


def label(table: dict, key: str) -> str:
    zh, en = table.get(key, (key, key))
    return f"{zh} {en}"


HELPERS = {
    "yuan": yuan, "local_time": local_time, "percent": percent, "one_in": one_in,
    "status_label": lambda key: label(STATUS_LABELS, key),
    "role_label": lambda key: label(ROLE_LABELS, key),
    "deal_kind_label": lambda key: label(DEAL_KIND_LABELS, key),
    "prize_kind_label": lambda key: label(PRIZE_KIND_LABELS, key),
}
