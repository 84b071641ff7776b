"""RedisDrawEngine: the draw script run once a shake, and what it decided acted on.

Whether a shopper lives in the round's compound is what their socket read on connect (a
socket shake), or else known in Redis (a set of the compounds they count as in) from when
the database last said so until their residence changes (a new address, another store
entered: `residence_changed`), for at most an hour.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from pathlib import Path

import redis
from cachetools import TTLCache, cachedmethod
from flask import Flask
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, selectinload

from app import metrics
from app.database import quick_writes
from app.models import CampaignPrize, Order, RoundPrize, ShakeRound, utcnow
from app.services import idempotency
from app.services.errors import NotFound, NotInCompound, ServiceError, Unavailable
from app.services.places.residence import shopper_compound_ids
from app.services.shaking import rules
from app.services.shaking.answers import ShakeAnswer, ShakeResult
from app.services.shaking.redis import decided_wins
from app.services.shaking.redis.decision import (
    ELSEWHERE_REFUSAL,
    LIMIT_REFUSAL,
    Decision,
    read_reply,
    stored_answer,
    stored_refusal,
)
from app.services.shaking.redis.log_writer import ShakeLogWriter
from app.services.shaking.redis.pipeline import Pipeline
from app.services.shaking.redis.round_view import PrizeLine, RoundView

log = logging.getLogger(__name__)
SCRIPT = (Path(__file__).parent / "draw.lua").read_text(encoding="utf-8")
ROUND_KEYS_OUTLIVE = timedelta(days=1)  # the round's counters stay this long after it closes
ANSWER_TTL_SECONDS = 7 * 24 * 3600  # a shake_id's answer is replayed this long (a refusal: less)
ABANDONED_AFTER = timedelta(seconds=60)  # a win claimed this long ago with no prize: its worker stopped


class RedisDrawEngine:
    def __init__(self, redis_url: str, key_prefix: str, round_cache_seconds: float = 1.0,
                 residence_cache_seconds: float = 3600.0, log_writer: bool = True,
                 refusal_keep_seconds: int = 600):
        self.redis = redis.Redis.from_url(redis_url)
        self.redis_url = redis_url
        # Draws go to Redis on their own connection, spoken to directly (a client around it
        # would add its lock and retry layers, ~7% of a shake's CPU), and draws that come while
        # one is on the wire go together (pipeline.py).
        pool = self.redis.connection_pool
        self.draws = Pipeline(lambda: pool.connection_class(**pool.connection_kwargs))
        self.prefix = key_prefix
        self.log_key = f"{key_prefix}shake:log"
        self.log_writer = log_writer
        self._script_sha = self.redis.register_script(SCRIPT).sha
        # A paused campaign or a closed round is seen by every worker within round_cache_seconds.
        self._rounds: TTLCache = TTLCache(maxsize=4096, ttl=round_cache_seconds)
        self._round_read = threading.Condition()  # also the lock: cachetools caches are not thread-safe
        self.residence_seconds = int(residence_cache_seconds)
        # A refused shake_id's answer (over the limit, not in the compound) is replayed this long;
        # a refusal of the round itself (rules.ROUND_REFUSALS) is not kept at all.
        self.refusal_keep_seconds = int(refusal_keep_seconds)

    def shake(self, session: Session, shopper_id: int, round_id: int, shake_id: str,
              known_home: int | None = None) -> ShakeResult:
        now = utcnow()
        view = self.round_view(session, round_id)
        refusal = self.round_refusal(view, now)
        at_home = view is not None and known_home == view.compound_id  # as the shopper's socket knows
        decision = self.draw(view, round_id, shopper_id, shake_id, now, refusal, check_residence=not at_home)
        if decision.ask_residence:  # not known in Redis as living there: the database decides, once
            if lives_in(session, shopper_id, view.compound_id):
                self.know_resident(shopper_id, view.compound_id)
                decision = self.draw(view, round_id, shopper_id, shake_id, now, None, check_residence=False)
            else:  # a "no" is never remembered: it is read afresh each time
                decision = self.draw(view, round_id, shopper_id, shake_id, now, NotInCompound(),
                                     check_residence=False)
        if decision.win is not None:
            return self.record_win(session, view, round_id, shopper_id, shake_id, decision.win.round_prize_id,
                                   decision.win.used)
        return ShakeResult(decision.answer)

    def draw(self, view: RoundView | None, round_id: int, shopper_id: int, shake_id: str, now: datetime,
             refusal: ServiceError | None, check_residence: bool) -> Decision:
        """One run of the script (draw.lua): what it decided."""
        keys = [self.answer_key(shopper_id, shake_id), *self.round_keys(round_id), self.log_key,
                self.resident_key(shopper_id), self.compound_day_key(view, shopper_id)]
        keep_refusal = 0 if isinstance(refusal, rules.ROUND_REFUSALS) else self.refusal_keep_seconds
        args = [shopper_id, shake_id, round_id, stored_refusal(refusal) if refusal else "", LIMIT_REFUSAL,
                view.shakes_per_shopper if view else 0, view.wins_per_shopper if view else 0,
                self.keys_ttl(view, now) if view else 60, ANSWER_TTL_SECONDS,
                view.compound_id if view and check_residence else "", keep_refusal, self.refusal_keep_seconds,
                view.compound_id if view else "", rules.COMPOUND_DAY_SECONDS, ELSEWHERE_REFUSAL]
        drawn = view.drawn_line(shake_id) if view and not refusal else None
        if drawn is not None:  # the line the shake's number fell in (app/services/draws); none: a lose
            line = view.prizes[drawn]
            args += [line.round_prize_id, line.stock, rules.released(line.stock, view, now), line.awarded]
        try:
            reply = self._draw(keys, args)
        except redis.RedisError as error:
            log.warning("shake refused as unavailable: Redis error %r", error)
            metrics.redis_error("shake")
            raise Unavailable() from error
        return read_reply(reply, shake_id)

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
                   round_prize_id: int, used: int) -> ShakeResult:
        """Make the prize in the database (once per shake_id), then let Redis replay the answer.

        The common case, a coupon won just now, is two statements from what the round's view
        knows (claim_coupon, then the answer: database.quick_writes); anything else (an item,
        a retry, a refusal) goes the general way."""
        line = view.line(round_prize_id) if view else None
        answer, won = None, []
        with quick_writes(session) as connection:
            if line is not None and line.coupon is not None:
                answer = self.give_coupon(connection, view, line, shopper_id, shake_id, used)
            else:
                decided_wins.claim_prize(connection, round_id, round_prize_id, shopper_id, shake_id, utcnow())
        if answer is None:
            def produce():
                outcome = decided_wins.record_decided_win(session, round_id, shopper_id, shake_id, used, utcnow())
                if outcome.shake.order_id is not None:  # an item won: its pickup order, to announce
                    won.append(outcome.shake.order)
                return 200, ShakeAnswer.of_record(outcome.shake, outcome.shakes_left).body()

            answer = idempotency.answer_once(session, "shake", shopper_id, shake_id, produce)
        try:
            self.redis.set(self.answer_key(shopper_id, shake_id), stored_answer(answer), ex=ANSWER_TTL_SECONDS)
        except redis.RedisError:
            pass  # the database holds the answer; a retry finds it there
        won_order: Order | None = won[0] if won and not answer.replayed else None
        return ShakeResult(answer, won_order)

    @staticmethod
    def give_coupon(connection: Connection, view: RoundView, line: PrizeLine, shopper_id: int, shake_id: str,
                    used: int) -> idempotency.Answer | None:
        """Claim a coupon prize, make it and store the answer; None when that did not happen here
        (no stock, a retry, the database's win count refused, another answer first)."""
        won = decided_wins.claim_coupon(connection, view.id, line.round_prize_id, shopper_id, shake_id,
                                        line.coupon.template_id, used, view.wins_per_shopper, utcnow())
        if won is None or won.coupon_id is None:
            return None
        body = ShakeAnswer.coupon_won(shake_id, line.coupon, won.coupon_id, view.shakes_left(used)).body()
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
                self.record_win(session, None, win.round_id, win.shopper_id, win.shake_id, win.round_prize_id, used)
                finished += 1
            except Exception:  # one that cannot be finished must not hold up the others
                session.rollback()
                log.exception("round %s: could not finish shopper %s's win %s", win.round_id, win.shopper_id,
                              win.shake_id)
        return finished

    def shakes_used(self, round_id: int, shopper_id: int) -> int:
        """The shopper's shakes in the round, as Redis counted them (RedisError if it cannot say)."""
        return int(self.redis.hget(self.round_keys(round_id)[0], str(shopper_id)) or 0)

    def shakes_left(self, session: Session, shake_round: ShakeRound, shopper_id: int) -> int:
        try:
            used = self.shakes_used(shake_round.id, shopper_id)
        except redis.RedisError as error:
            metrics.redis_error("shakes_left")
            raise Unavailable() from error
        return max(shake_round.campaign.shakes_per_shopper - used, 0)

    def background_tasks(self, app: Flask) -> list:
        """The log writer (loses into the database, unmade prizes finished), unless turned off."""
        return [ShakeLogWriter(app, self)] if self.log_writer else []

    def close(self) -> None:
        self.redis.close()
        self.draws.close()

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

    @staticmethod
    def round_refusal(view: RoundView | None, now: datetime) -> ServiceError | None:
        """Why no shake in this round is taken now (the SQL engine's first checks), or None."""
        if view is None:
            return NotFound("No such shake round.")
        try:
            rules.check_round_open(view, now)
        except ServiceError as refusal:
            return refusal
        return None

    def answer_key(self, shopper_id: int, shake_id: str) -> str:
        return f"{self.prefix}shake:answer:{shopper_id}:{shake_id}"

    def compound_day_key(self, view: RoundView | None, shopper_id: int) -> str:
        """The compound the shopper shakes in for the round's campaign on its day (rules.py)."""
        if view is None:  # the script refuses before it reads this key
            return f"{self.prefix}shake:compound-day:none"
        return f"{self.prefix}shake:compound-day:{view.campaign_id}:{view.day.isoformat()}:{shopper_id}"

    def resident_key(self, shopper_id: int) -> str:
        """The compounds the shopper is known to count as in (a set)."""
        return f"{self.prefix}shake:resident:{shopper_id}"


def lives_in(session: Session, shopper_id: int, compound_id: int) -> bool:
    """Whether the database counts the shopper as in the compound (API.md: home or latest store)."""
    return compound_id in shopper_compound_ids(session, shopper_id)
