"""The Redis draw path: one Lua script decides a shake; the database records behind it.

On the SQL path every shake is a transaction, and a compound-wide burst queues on the round's
row locks. Here the shake_id's stored answer, the per-shopper limits, the stock and the pacing
are decided atomically in one script (redis_shakes.lua), in one round trip:
- a lose is answered at once and logged to a Redis stream that ShakeLogWriter copies into the
  database in batches (app/services/shake_log.py);
- a win is recorded in the database before it is answered (the coupon or pickup order made,
  the stock and the shopper's win limit checked again there), so the database never holds
  more winners than the stock even if Redis lost its state.
What a shake needs to know of its round (window, limits, prize lines) is read from the
database and kept in this process briefly. Whether a shopper lives in the round's compound is
what their socket read on connect (a socket shake), or else known in Redis (a set of the
compounds they count as in) from when the database last said so until their residence
changes (a new address, another store entered: `residence_changed`), for at most an hour.
"""
from __future__ import annotations

import json
import logging
import random
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import redis
from cachetools import TTLCache, cachedmethod
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, selectinload

from app.database import quick_writes
from app.models import CampaignPrize, RoundPrize, ShakeRound, utcnow
from app.services import decided_wins, idempotency, shakes
from app.services.errors import NotFound, NotInCompound, ServiceError, ShakeLimitReached, Unavailable
from app.services.places.residence import shopper_compound_ids
from app.services.redis_pipeline import Pipeline
from app.services.shake_answers import coupon_win_body, shake_body

log = logging.getLogger(__name__)
SCRIPT = (Path(__file__).with_suffix(".lua")).read_text(encoding="utf-8")
ROUND_KEYS_OUTLIVE = timedelta(days=1)  # the round's counters stay this long after it closes
ANSWER_TTL_SECONDS = 7 * 24 * 3600  # a shake_id's answer is replayed this long
ABANDONED_AFTER = timedelta(seconds=60)  # a win claimed this long ago with no prize: its worker stopped


@dataclass(frozen=True)
class CouponTerms:
    """What a coupon prize's answer shows of its template (shake_answers.coupon_body)."""

    template_id: int
    title: str
    discount_fen: int
    threshold_fen: int
    valid_until: datetime


@dataclass(frozen=True)
class PrizeLine:
    round_prize_id: int
    stock: int
    win_probability: float
    awarded: int  # in the database when read: where Redis starts counting if it has no count
    coupon: CouponTerms | None  # None for an item prize

    @classmethod
    def of(cls, round_prize: RoundPrize) -> PrizeLine:
        prize, template = round_prize.prize, round_prize.prize.coupon_template
        coupon = CouponTerms(template.id, template.title, template.discount_fen, template.threshold_fen,
                             template.valid_until) if prize.kind == "coupon" else None
        return cls(round_prize.id, round_prize.stock, prize.win_probability, round_prize.awarded, coupon)


@dataclass(frozen=True)
class RoundView:
    """What a shake needs of its round, read once and shared by the shakes of the next second."""

    id: int
    compound_id: int
    opens_at: datetime
    closes_at: datetime
    closed_at: datetime | None
    campaign_status: str
    shakes_per_shopper: int
    wins_per_shopper: int
    prizes: tuple[PrizeLine, ...]

    @classmethod
    def of(cls, shake_round: ShakeRound) -> RoundView:
        campaign = shake_round.campaign
        return cls(shake_round.id, shake_round.compound_id, shake_round.opens_at, shake_round.closes_at,
                   shake_round.closed_at, campaign.status, campaign.shakes_per_shopper, campaign.wins_per_shopper,
                   tuple(PrizeLine.of(p) for p in shake_round.prizes))

    def line(self, round_prize_id: int) -> PrizeLine | None:
        return next((line for line in self.prizes if line.round_prize_id == round_prize_id), None)


class RedisShakePath:
    def __init__(self, redis_url: str, key_prefix: str, round_cache_seconds: float = 1.0,
                 residence_cache_seconds: float = 3600.0):
        self.redis = redis.Redis.from_url(redis_url)
        self.redis_url = redis_url
        # Draws go to Redis on their own connection, spoken to directly (a client around it
        # would add its lock and retry layers, ~7% of a shake's CPU), and draws that come while
        # one is on the wire go together (redis_pipeline.py).
        pool = self.redis.connection_pool
        self.draws = Pipeline(lambda: pool.connection_class(**pool.connection_kwargs))
        self.prefix = key_prefix
        self.log_key = f"{key_prefix}shake:log"
        self._script_sha = self.redis.register_script(SCRIPT).sha
        # A paused campaign or a closed round is seen by every worker within round_cache_seconds.
        self._rounds: TTLCache = TTLCache(maxsize=4096, ttl=round_cache_seconds)
        self._round_read = threading.Condition()  # also the lock: cachetools caches are not thread-safe
        self.residence_seconds = int(residence_cache_seconds)

    def shake(self, session: Session, shopper_id: int, round_id: int, shake_id: str,
              known_home: int | None = None) -> idempotency.Answer:
        now = utcnow()
        view = self.round_view(session, round_id)
        refusal = self.round_refusal(view, now)
        at_home = view is not None and known_home == view.compound_id  # as the shopper's socket knows
        kind, rest = self.draw(view, round_id, shopper_id, shake_id, now, refusal, check_residence=not at_home)
        if kind == b"residence":  # not known in Redis as living there: the database decides, once
            if lives_in(session, shopper_id, view.compound_id):
                self.know_resident(shopper_id, view.compound_id)
                kind, rest = self.draw(view, round_id, shopper_id, shake_id, now, None, check_residence=False)
            else:  # a "no" is never remembered: it is read afresh each time
                kind, rest = self.draw(view, round_id, shopper_id, shake_id, now, NotInCompound(),
                                       check_residence=False)
        answer_key = self.answer_key(shopper_id, shake_id)
        if kind == b"win":
            return self.record_win(session, view, round_id, shopper_id, shake_id, int(rest[0]), int(rest[1]),
                                   answer_key)
        answer = json.loads(rest[0])
        if "pending" in answer:  # a retry of a win still (or never) being recorded: finish it once
            return self.record_win(session, view, round_id, shopper_id, shake_id, answer["pending"],
                                   answer["used"], answer_key)
        return idempotency.Answer(answer["status"], answer["body"], replayed=kind == b"replay")

    def draw(self, view: RoundView | None, round_id: int, shopper_id: int, shake_id: str, now: datetime,
             refusal: ServiceError | None, check_residence: bool) -> tuple[bytes, list]:
        """One run of the script (redis_shakes.lua): what it decided, and its values."""
        keys = [self.answer_key(shopper_id, shake_id), *self.round_keys(round_id), self.log_key,
                self.resident_key(shopper_id)]
        args = [shopper_id, shake_id, round_id, stored(refusal) if refusal else "", LIMIT_REFUSAL,
                view.shakes_per_shopper if view else 0, view.wins_per_shopper if view else 0,
                self.keys_ttl(view, now) if view else 60, ANSWER_TTL_SECONDS,
                view.compound_id if view and check_residence else ""]
        for line in (view.prizes if view and not refusal else ()):
            hit = random.random() < line.win_probability
            args += [line.round_prize_id, line.stock, shakes.released(line.stock, view, now), line.awarded, int(hit)]
        try:
            kind, *rest = self._draw(keys, args)
        except redis.RedisError as error:
            log.warning("shake refused as unavailable: Redis error %r", error)
            raise Unavailable() from error
        return kind, rest

    def _draw(self, keys: list, args: list) -> list:
        """EVALSHA the script, loading it first if Redis does not have it."""
        try:
            return self.draws.call("EVALSHA", self._script_sha, len(keys), *keys, *args)
        except redis.exceptions.NoScriptError:
            self.draws.call("SCRIPT", "LOAD", SCRIPT)
            return self.draws.call("EVALSHA", self._script_sha, len(keys), *keys, *args)

    def know_resident(self, shopper_id: int, compound_id: int) -> None:
        """The database just said the shopper lives in the compound: every worker knows it until
        their residence changes, or residence_seconds at most (a change whose `residence_changed`
        was lost, Redis away then, or that came between this read and this write, lets them
        shake there that long; never the reverse: a "no" is always read afresh)."""
        if self.residence_seconds > 0:
            key = self.resident_key(shopper_id)
            self.redis.pipeline(transaction=False).sadd(key, compound_id).expire(key, self.residence_seconds) \
                .execute()

    def residence_changed(self, shopper_id: int) -> None:
        """The shopper's home or latest store changed: forget where they were known to live."""
        self.redis.delete(self.resident_key(shopper_id))

    def record_win(self, session: Session, view: RoundView | None, round_id: int, shopper_id: int, shake_id: str,
                   round_prize_id: int, used: int, answer_key: str) -> idempotency.Answer:
        """Make the prize in the database (once per shake_id), then let Redis replay the answer.

        The common case, a coupon won just now, is two statements from what the round's view
        knows (claim_coupon, then the answer: database.quick_writes); anything else (an item,
        a retry, a refusal) goes the general way."""
        line = view.line(round_prize_id) if view else None
        answer = None
        with quick_writes(session) as connection:
            if line is not None and line.coupon is not None:
                answer = self.give_coupon(connection, view, line, shopper_id, shake_id, used)
            else:
                decided_wins.claim_prize(connection, round_id, round_prize_id, shopper_id, shake_id, utcnow())
        if answer is None:
            def produce():
                outcome = decided_wins.record_decided_win(session, round_id, shopper_id, shake_id, used, utcnow())
                return 200, shake_body(outcome.shake, outcome.shakes_left)

            answer = idempotency.answer_once(session, "shake", shopper_id, shake_id, produce)
        try:
            self.redis.set(answer_key, json.dumps({"status": answer.status, "body": answer.body}),
                           ex=ANSWER_TTL_SECONDS)
        except redis.RedisError:
            pass  # the database holds the answer; a retry finds it there
        return answer

    @staticmethod
    def give_coupon(connection: Connection, view: RoundView, line: PrizeLine, shopper_id: int, shake_id: str,
                    used: int) -> idempotency.Answer | None:
        """Claim a coupon prize, make it and store the answer; None when that did not happen here
        (no stock, a retry, the database's win count refused, another answer first)."""
        won = decided_wins.claim_coupon(connection, view.id, line.round_prize_id, shopper_id, shake_id,
                                        line.coupon.template_id, used, view.wins_per_shopper, utcnow())
        if won is None or won[1] is None:
            return None
        body = coupon_win_body(shake_id, line.coupon, won[1], max(view.shakes_per_shopper - used, 0))
        return idempotency.store_first_answer(connection, "shake", shopper_id, shake_id, 200, body)

    def finish_unmade_prizes(self, session: Session, now: datetime) -> int:
        """Finish the wins a worker claimed but never made the prize of (it stopped between the
        two), as the shopper's retry would: the prize reaches the wallet whether or not they
        retry, and a retry later replays it. How many were finished."""
        finished = 0
        for win in decided_wins.prizes_unmade(session, now - ABANDONED_AFTER):
            try:
                try:
                    used = self.shakes_used(win.round_id, win.shopper_id)
                except redis.RedisError:
                    used = 0  # the count is only raised to it, never lowered: 0 changes nothing
                self.record_win(session, None, win.round_id, win.shopper_id, win.shake_id, win.round_prize_id,
                                used, self.answer_key(win.shopper_id, win.shake_id))
                finished += 1
            except Exception:  # one that cannot be finished must not hold up the others
                session.rollback()
                log.exception("round %s: could not finish shopper %s's win %s", win.round_id, win.shopper_id,
                              win.shake_id)
        return finished

    def shakes_used(self, round_id: int, shopper_id: int) -> int:
        """The shopper's shakes in the round, as Redis counted them (RedisError if it cannot say)."""
        return int(self.redis.hget(self.round_keys(round_id)[0], str(shopper_id)) or 0)

    def close(self) -> None:
        self.redis.close()
        self.draws.close()

    def shakes_left(self, session: Session, shake_round: ShakeRound, shopper_id: int) -> int:
        try:
            used = self.shakes_used(shake_round.id, shopper_id)
        except redis.RedisError as error:
            raise Unavailable() from error
        return max(shake_round.campaign.shakes_per_shopper - used, 0)

    def round_keys(self, round_id: int) -> tuple[str, str, str]:
        """Shakes per shopper, wins per shopper, prizes awarded per round prize."""
        base = f"{self.prefix}shake:round:{round_id}"
        return f"{base}:shakes", f"{base}:wins", f"{base}:awarded"

    @staticmethod
    def keys_ttl(view: RoundView, now: datetime) -> int:
        return max(int((view.closes_at + ROUND_KEYS_OUTLIVE - now).total_seconds()), 60)

    # Kept round_cache_seconds; when it runs out under a burst, one caller reads it again and
    # the others wait for that read (the condition) instead of all querying at once.
    @cachedmethod(lambda self: self._rounds, key=lambda self, session, round_id: round_id,
                  condition=lambda self: self._round_read)
    def round_view(self, session: Session, round_id: int) -> RoundView | None:
        shake_round = session.get(ShakeRound, round_id, options=[  # with the coupon templates, in the same queries
            selectinload(ShakeRound.prizes).joinedload(RoundPrize.prize).joinedload(CampaignPrize.coupon_template)])
        return RoundView.of(shake_round) if shake_round is not None else None

    def round_refusal(self, view: RoundView | None, now: datetime) -> ServiceError | None:
        """Why no shake in this round is taken now (the SQL path's first checks), or None."""
        if view is None:
            return NotFound("No such shake round.")
        try:
            shakes.check_round_open(view, now)
        except ServiceError as refusal:
            return refusal
        return None

    def answer_key(self, shopper_id: int, shake_id: str) -> str:
        return f"{self.prefix}shake:answer:{shopper_id}:{shake_id}"

    def resident_key(self, shopper_id: int) -> str:
        """The compounds the shopper is known to count as in (a set)."""
        return f"{self.prefix}shake:resident:{shopper_id}"


def lives_in(session: Session, shopper_id: int, compound_id: int) -> bool:
    """Whether the database counts the shopper as in the compound (API.md: home or latest store)."""
    return compound_id in shopper_compound_ids(session, shopper_id)


def stored(refusal: ServiceError) -> str:
    """A refusal as the script stores it: replayed for the same shake_id, like any answer."""
    return json.dumps({"status": refusal.status, "body": idempotency.error_body(refusal)})


LIMIT_REFUSAL = stored(ShakeLimitReached())
