"""Sends the outbox's subscribe messages through WeChat, off every request's path.

Every worker runs one; outbox.claim hands each row to one loop. WeChat's answers decide what
happens next: 43101 (the shopper is not subscribed) ends the message and spends nothing more;
45xxx (quota, frequency) pauses this sender and puts the message back, uncounted; -1 and an
unreachable WeChat retry with a growing backoff, MESSAGE_MAX_ATTEMPTS times, then fail.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from app.background import BackgroundLoop
from app.extensions import db
from app.models import OutboxMessage, utcnow
from app.services.messages import outbox, subscriptions
from app.wiring import wechat
from wechat.errors import WeChatError, WeChatUnavailable

IDLE_SECONDS = 1.0
BUSY_SECONDS = 0.01  # more may be waiting: look again at once, but let other greenlets run
JOBS_PER_TICK = 5
SENDS_PER_TICK = 10
NOT_SUBSCRIBED = 43101
SENT, FAILED, PAUSE = "sent", "failed", "pause"  # a send's outcome
RETRY_BASE_SECONDS = 2.0
PRUNE_EVERY = timedelta(hours=1)
KEEP_FINISHED = timedelta(days=7)  # sent, refused and failed messages stay this long for support


def is_quota(errcode) -> bool:
    """45xxx: WeChat's quotas and frequency limits."""
    return isinstance(errcode, int) and 45000 <= errcode < 46000


class MessageSender(BackgroundLoop):
    retry_seconds = IDLE_SECONDS

    def __init__(self, app):
        super().__init__(app)
        self.paused_until: datetime | None = None
        self.pruned_at: datetime | None = None
        # Paced, so a compound's thousands of messages never starve the shake burst they announce
        # (make bench: sent flat out, they took socket shakes from 0.62 to 0.82 ms of worker CPU).
        self.sends_per_second = float(app.config.get("MESSAGE_SENDS_PER_SECOND", 25.0))
        # A job waits this long: the socket fan-out to open apps goes first, then the messages.
        self.job_delay = timedelta(seconds=float(app.config.get("MESSAGE_JOB_DELAY_SECONDS", 3.0)))

    def tick(self) -> float:
        """Expand due jobs, send a batch; how long to sleep."""
        with self.app.app_context():
            try:
                return self.work(utcnow())
            finally:
                db.session.remove()

    def work(self, now: datetime) -> float:
        if self.paused_until is not None and now < self.paused_until:
            return min(IDLE_SECONDS, (self.paused_until - now).total_seconds())
        expanded, sent = self.expand_jobs(now), self.send_batch(now)
        if self.pruned_at is None or now - self.pruned_at >= PRUNE_EVERY:
            outbox.prune(db.session, now - KEEP_FINISHED)
            db.session.commit()
            self.pruned_at = now
        if sent:
            return max(BUSY_SECONDS, sent / self.sends_per_second) if self.sends_per_second > 0 else BUSY_SECONDS
        return BUSY_SECONDS if expanded else IDLE_SECONDS

    def expand_jobs(self, now: datetime) -> int:
        """Turn due `van_arrived` jobs into one send per subscribed resident; jobs taken."""
        ids = outbox.claim(db.session, "van_arrived", now, JOBS_PER_TICK, due_by=now - self.job_delay)
        db.session.commit()
        jobs = outbox.claimed(db.session, ids)
        config = self.app.config
        templates = (config["WECHAT_TEMPLATE_VAN_ARRIVED"], config["WECHAT_TEMPLATE_ORDER_STATUS"])
        for job in jobs:
            outbox.expand_van_arrived(db.session, job, templates, now)
            db.session.commit()
        return len(jobs)

    def send_batch(self, now: datetime) -> int:
        """Send due messages one by one until done or WeChat asks us to slow down; messages taken.
        Their outcomes are committed together (one commit a batch, and the sent ones marked by one
        UPDATE: a crash between a send and the commit sends it again after the lease, at least
        once either way)."""
        ids = outbox.claim(db.session, "send", now, SENDS_PER_TICK)
        db.session.commit()
        batch = outbox.claimed(db.session, ids)
        openids = outbox.openids(db.session, {m.shopper_id for m in batch})
        sent = []
        for index, message in enumerate(batch):
            outcome = self.send_one(message, openids.get(message.shopper_id), now)
            if outcome == SENT:
                sent.append(message.id)
            elif outcome == PAUSE:
                outbox.release(db.session, [m.id for m in batch[index + 1:]], self.paused_until)
                break
        outbox.finish_sent(db.session, sent, now)
        db.session.commit()
        return len(batch)

    def send_one(self, message: OutboxMessage, openid: str | None, now: datetime) -> str:
        """Send one: SENT, or its failure recorded (FAILED, or PAUSE when the sender must pause: 45xxx)."""
        try:
            if openid is None:
                raise WeChatError("the shopper is gone")
            wechat().send_subscribe_message(openid, message.template_id, message.data or {},
                                            page=message.page)
        except WeChatError as exc:
            return FAILED if self.send_failed(message, exc, now) else PAUSE
        return SENT

    def send_failed(self, message: OutboxMessage, exc: WeChatError, now: datetime) -> bool:
        """Record a refused or failed send; False when the sender must pause."""
        error = f"{exc.errcode}: {exc.message}" if exc.errcode is not None else exc.message
        config = self.app.config
        if exc.errcode == NOT_SUBSCRIBED:
            outbox.finish(db.session, message.id, "refused", error)
            subscriptions.forget_sends(db.session, message.shopper_id, message.template_id)
        elif is_quota(exc.errcode):
            self.paused_until = now + timedelta(seconds=config["MESSAGE_QUOTA_PAUSE_SECONDS"])
            outbox.retry_later(db.session, message, self.paused_until, error, counted=False)
            return False
        elif isinstance(exc, WeChatUnavailable) and message.attempts + 1 < config["MESSAGE_MAX_ATTEMPTS"]:
            backoff = RETRY_BASE_SECONDS * 2 ** message.attempts
            outbox.retry_later(db.session, message, now + timedelta(seconds=backoff), error)
        else:
            outbox.finish(db.session, message.id, "failed", error)
        return True
