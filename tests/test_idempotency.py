"""answer_once (app/services/idempotency.py): one answer per key, stored with its effects."""
from sqlalchemy import func, select

from app.extensions import db
from app.models import Compound
from app.services.idempotency import answer_once
from app.services.places import compounds


def compound_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Compound))


def make_compound(name: str):
    def produce():
        compound = compounds.create_compound(db.session, name=name, city="上海", lat=31.2, lng=121.5, radius_m=300)
        return 201, {"id": compound.id}
    return produce


def test_the_first_answer_is_stored_and_replayed_without_running_again(app):
    first = answer_once(db.session, "test", 1, "k", make_compound("阳光花园"))
    again = answer_once(db.session, "test", 1, "k", make_compound("阳光花园"))

    assert (first.status, first.replayed) == (201, False)
    assert (again.status, again.body, again.replayed) == (200, first.body, True)
    assert compound_count() == 1
