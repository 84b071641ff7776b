"""The console's earnings pages: ops pick a courier and a month, read the statement, download it as
CSV (one row per order line, then per category, then the total), and set commission rates (audited)."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry
from tests.console_web import console_fixture, text  # noqa: F401  (the fixture `console`)
from tests.earnings import make_month
from tests.test_console_reports import read_csv


def test_ops_read_a_couriers_month_on_the_page(console, make):
    month = make_month(make)
    ops = console("ops")

    page = text(ops.get(f"/console/earnings?courier_id={month.courier.id}&month=2026-03"))

    assert f'<td class="num" id="s-orders">3</td>' in page
    assert "¥64.99" in page and "¥4.74" in page  # sales 6,499 fen, commission 474
    assert "零食" in page and "3.00%" in page and "摇中 won" in page
    assert f"/console/earnings.csv?courier_id={month.courier.id}&amp;month=2026-03" in page
    assert 'href="/console/earnings"' in text(ops.get("/console/"))


def test_the_statement_downloads_as_csv_line_by_line_then_by_category_then_the_total(console, make):
    month = make_month(make)

    answer = console("admin").get(f"/console/earnings.csv?courier_id={month.courier.id}&month=2026-03")

    assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert answer.headers["Content-Disposition"] == \
        f"attachment; filename=xiaoge-earnings-{month.courier.employee_no}-202603.csv"
    table = read_csv(answer)
    assert table[0][:3] == ["行 Row", "订单 Order", "交付时间 Handed over (Beijing)"]
    ids = month.order_ids
    lines = [(row[1], row[2], row[3], *map(int, row[5:])) for row in table[1:] if row[0] == "明细 line"]
    assert lines == [
        # order, handed over, product, units, free, list, discount, refund, sales, rate, commission
        (str(ids["a"]), "2026-03-01 00:30:00", "苹果", 2, 0, 2000, 250, 0, 1750, 500, 88),
        (str(ids["a"]), "2026-03-01 00:30:00", "香皂", 1, 0, 2000, 250, 0, 1750, 1000, 175),
        (str(ids["g"]), "2026-03-15 12:00:00", "薯片", 1, 0, 333, 0, 48, 285, 300, 9),
        (str(ids["g"]), "2026-03-15 12:00:00", "香皂", 1, 0, 2000, 0, 285, 1715, 1000, 172),
        (str(ids["won"]), "2026-03-20 18:00:00", "苹果", 0, 1, 1000, 1000, 0, 0, 500, 0),
        (str(ids["b"]), "2026-03-31 23:59:00", "薯片", 3, 0, 999, 0, 0, 999, 300, 30),
    ]
    categories = [(row[4], row[5], row[6], row[10], row[11], row[12]) for row in table if row[0] == "品类合计 category"]
    assert categories == [("日用", "2", "0", "3465", "1000", "347"), ("生鲜", "2", "1", "1750", "500", "88"),
                          ("零食", "4", "0", "1284", "300", "39")]
    assert table[-1] == ["合计 total", "3", "", "", "", "8", "1", "8332", "1500", "333", "6499", "", "474"]


def test_ops_set_rates_on_the_page_and_each_change_is_audited(console, make):
    make.product(category="生鲜")
    ops = console("ops")

    assert ops.post("/console/commission-rules", {"rate_pct": "3"}).status_code == 302
    assert ops.post("/console/commission-rules", {"category": "生鲜", "rate_pct": "5.5"}).status_code == 302
    page = text(ops.get("/console/commission-rules"))
    refused = ops.post("/console/commission-rules", {"category": "生鲜", "rate_pct": "101"})
    blank_default = ops.post("/console/commission-rules", {"rate_pct": ""})

    assert 'value="3.00"' in page and 'value="5.50"' in page
    assert refused.status_code == 422 and blank_default.status_code == 422 and "0 to 100" in text(refused)
    details = [e.details for e in db.session.scalars(select(AuditEntry).where(AuditEntry.action == "commission_rule.set")
                                                     .order_by(AuditEntry.id))]
    assert [(d["category"], d["rate_bp"]) for d in details] == [(None, [None, 300]), ("生鲜", [None, 550])]


def test_only_ops_and_admin_open_the_earnings_pages(console, make):
    courier = make.courier()
    marketing = console("marketing")
    for path in ("/console/earnings", f"/console/earnings.csv?courier_id={courier.id}", "/console/commission-rules"):
        assert marketing.get(path).status_code == 403, path
    assert marketing.post("/console/commission-rules", {"rate_pct": "3"}).status_code == 403
    ops = console("ops")
    assert ops.get("/console/earnings?courier_id=999999").status_code == 404
    assert ops.get("/console/earnings?month=2026-13").status_code == 422
    assert "/console/earnings" not in text(marketing.get("/console/"))
