"""A statement as a table (the console's CSV): one row per order line handed over, then one per
category, then the month's total; money in fen, times in Beijing time."""
from __future__ import annotations

from app.services.earnings.statements import SHANGHAI, Statement

STATEMENT_COLUMNS = (
    ("row", "行", "Row"), ("order_id", "订单", "Order"), ("handed_over_at", "交付时间", "Handed over (Beijing)"),
    ("product", "商品", "Product"), ("category", "品类", "Category"), ("units", "售出件数", "Units sold"),
    ("free_units", "摇中件数", "Units won (free)"), ("list_fen", "原价(分)", "List price (fen)"),
    ("discount_fen", "优惠分摊(分)", "Discount share (fen)"), ("refund_fen", "退款分摊(分)", "Refund share (fen)"),
    ("sales_fen", "销售额(分)", "Sales (fen)"), ("rate_bp", "佣金率(基点)", "Rate (bp)"),
    ("commission_fen", "佣金(分)", "Commission (fen)"),
)
EMPTY = dict.fromkeys(key for key, _, _ in STATEMENT_COLUMNS)


def statement_rows(statement: Statement) -> list[dict]:
    """Every line, the category totals and the total, each a dict of STATEMENT_COLUMNS' keys."""
    rows = [{**EMPTY, "row": "明细 line", "order_id": line.order_id,
             "handed_over_at": line.handed_over_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
             "product": line.product_name, "category": line.category,
             "units": 0 if line.won else line.quantity, "free_units": line.quantity if line.won else 0,
             "list_fen": line.list_fen, "discount_fen": line.discount_fen, "refund_fen": line.refund_fen,
             "sales_fen": line.sales_fen, "rate_bp": line.rate_bp, "commission_fen": line.commission_fen}
            for line in statement.lines]
    rows += [{**EMPTY, "row": "品类合计 category", "category": total.category, "units": total.units,
              "free_units": total.free_units, "sales_fen": total.sales_fen, "rate_bp": total.rate_bp,
              "commission_fen": total.commission_fen} for total in statement.by_category]
    rows.append({**EMPTY, "row": "合计 total", "order_id": statement.orders,
                 "units": sum(total.units for total in statement.by_category), "free_units": statement.free_items,
                 "list_fen": sum(line.list_fen for line in statement.lines),
                 "discount_fen": sum(line.discount_fen for line in statement.lines),
                 "refund_fen": sum(line.refund_fen for line in statement.lines),
                 "sales_fen": statement.sales_fen, "commission_fen": statement.commission_fen})
    return rows
