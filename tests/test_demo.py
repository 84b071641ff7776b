"""The demo data `make demo` loads: idempotent, and the core loop works on it."""
from __future__ import annotations

from sqlalchemy import select

from app.demo import DEMO_PASSWORD, seed_demo
from app.extensions import db
from app.models import Compound, Courier
from tests.factories import bearer, now


def test_seeding_twice_changes_nothing_and_an_arrival_opens_the_demo_round(app, client):
    first = seed_demo(db.session)
    db.session.commit()
    again = seed_demo(db.session)

    assert "live shake campaign" in first[0]
    assert again == ["demo data present already"]
    courier = db.session.scalar(select(Courier).where(Courier.employee_no == "E1001"))
    home = db.session.scalar(select(Compound).where(Compound.name == "阳光花园"))
    signed_in = client.post("/api/v1/courier/auth", json={"employee_no": "E1001", "password": DEMO_PASSWORD})
    answer = client.post("/api/v1/courier/arrivals", headers=bearer(signed_in.get_json()["token"]),
                         json={"event_id": "demo-1", "compound_id": home.id, "occurred_at": now().isoformat()})
    assert answer.status_code == 201
    assert len(answer.get_json()["rounds"]) == 1
    assert courier.serves(home.id)
