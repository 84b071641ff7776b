"""Group deals for the tests: a compound with its courier and a product, deals opened and joined through the API."""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.models import GroupDeal, Order, utcnow
from tests.factories import now

CONSOLE_DEALS = "/api/v1/console/group-deals"
_keys = itertools.count(1)


def deal_path(deal_id: int) -> str:
    return f"/api/v1/group-deals/{deal_id}"


@dataclass
class Neighbourhood:
    """A compound, the courier serving it, a product of 3000 fen, a marketing account; neighbours on request."""

    client: object
    make: object
    home: object
    courier: object
    product: object
    marketing: dict

    def open_deal(self, **kw) -> dict:
        body = {"product_id": self.product.id, "compound_id": self.home.id, "group_price_fen": 2000,
                "min_households": 2, "deadline": (now() + timedelta(hours=2)).isoformat(), **kw}
        answer = self.client.post(CONSOLE_DEALS, json=body, headers=self.marketing)
        assert answer.status_code == 201, answer.get_json()
        return answer.get_json()["group_deal"]

    def neighbour(self) -> tuple[int, dict]:
        """A shopper at home in the compound: (shopper id, headers)."""
        return self.make.shopper(home=self.home)

    def join(self, deal_id: int, headers: dict, quantity: int = 1, key: str | None = None, **body):
        return self.client.post(f"{deal_path(deal_id)}/joins", json={"quantity": quantity, **body},
                                headers={**headers, "Idempotency-Key": key or f"join-{next(_keys)}"})


@pytest.fixture
def hood(client, make) -> Neighbourhood:
    home = make.compound()
    return Neighbourhood(client, make, home, make.courier(compounds_=[home]), make.product(price_fen=3000),
                         make.staff_headers("marketing"))


def past_its_deadline(deal_id: int) -> None:
    db.session.execute(update(GroupDeal).where(GroupDeal.id == deal_id).values(deadline=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def deal_row(deal_id: int) -> GroupDeal:
    db.session.expire_all()
    return db.session.get(GroupDeal, deal_id)


def order_row(order_id: int) -> Order:
    db.session.expire_all()
    return db.session.scalar(select(Order).where(Order.id == order_id))
