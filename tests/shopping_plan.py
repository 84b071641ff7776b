"""The shopping plan for the tests: a marketing account keeping the calendar, a shopper at home with wishes."""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from app.actions.shopping_plan import replan_wishes
from app.services.shopping_plan.wishes import local_today
from tests.factories import now

PROMOTIONS = "/api/v1/console/promotions"
WISHES = "/api/v1/me/wishes"
_keys = itertools.count(1)


def today() -> date:
    return local_today(now())


def day(offset: int) -> str:
    return (today() + timedelta(days=offset)).isoformat()


@dataclass
class Planning:
    """A compound, its courier, a shopper at home there with a store session, marketing; a product of 30000 fen (母婴)."""

    client: object
    make: object
    shop: object
    product: object
    marketing: dict

    def event(self, starts_in: int, lasts: int = 3, pct: dict | None = None, name: str = "618") -> dict:
        body = {"name": name, "starts_on": day(starts_in), "ends_on": day(starts_in + lasts - 1),
                "expected_discount_pct": pct if pct is not None else {"母婴": 20}}
        answer = self.client.post(PROMOTIONS, json=body, headers=self.marketing)
        assert answer.status_code == 201, answer.get_json()
        return answer.get_json()["event"]

    def wish(self, need_in: int = 30, headers: dict | None = None, **body) -> dict:
        body = {"product_id": self.product.id, "need_by": day(need_in), **body}
        answer = self.client.post(WISHES, json=body, headers=headers or self.shop.headers)
        assert answer.status_code == 201, answer.get_json()
        return answer.get_json()["wish"]

    def wishes(self) -> list[dict]:
        answer = self.client.get(WISHES, headers=self.shop.headers)
        assert answer.status_code == 200, answer.get_json()
        return answer.get_json()["wishes"]


@pytest.fixture
def planning(client, make) -> Planning:
    return Planning(client, make, make.shop(), make.product(price_fen=30000, category="母婴"),
                    make.staff_headers("marketing"))


def replan():
    """One planner round over every open wish, whatever the age of its plan."""
    return replan_wishes(every=timedelta(0))
