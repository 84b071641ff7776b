"""The app's service objects: built once from its config in create_app(), found here by everyone else."""
from __future__ import annotations

from flask import Flask, current_app

from app.extensions import db
from app.services.accounts import passwords
from app.services.accounts.standing import REVOCABLE_AUDIENCES, STANDING_CACHE_SECONDS, AccountStandings
from app.services.accounts.tokens import Principal, TokenService
from app.services.clearance import targeting
from app.services.draws.reveal import DrawsLedger
from app.services.popularity import PopularityCounters, build_counters
from app.services.portrait.targeting import price_sensitive_compound_ids
from app.services.shaking import DrawEngine, build_engine
from wechat.gateway import WeChatGateway


def wire_services(app: Flask) -> None:
    cfg = app.config
    app.extensions["xiaoge.tokens"] = TokenService(
        cfg["SECRET_KEY"],
        {
            "shopper": cfg["SHOPPER_TOKEN_TTL"],
            "courier": cfg["COURIER_TOKEN_TTL"],
            "staff": cfg["STAFF_TOKEN_TTL"],
        },
    )
    app.extensions["xiaoge.standings"] = AccountStandings(standing_cache_seconds(cfg))
    app.extensions["xiaoge.wechat"] = WeChatGateway(
        appid=cfg["WECHAT_APPID"],
        secret=cfg["WECHAT_SECRET"],
        api_base=cfg["WECHAT_API_BASE"],
        timeout=cfg["WECHAT_TIMEOUT_SECONDS"],
        token_storage=wechat_token_storage(cfg.get("REDIS_URL")),
    )
    app.extensions["xiaoge.draw_engine"] = build_engine(cfg)
    app.extensions["xiaoge.draws"] = DrawsLedger(cfg["SECRET_KEY"], cfg.get("SHAKE_DRAWS_CACHE_SECONDS", 60.0))
    app.extensions["xiaoge.popularity"] = build_counters(cfg)
    # Which compounds a clearance `"target": "price_sensitive"` reaches: the portrait's judgement.
    app.extensions["xiaoge.price_sensitive"] = price_sensitive_compound_ids
    passwords.configure_threads(cfg["PASSWORD_HASH_THREADS"], cfg["PASSWORD_HASH_MAX_WAITING"])
    if cfg.get("PASSWORD_HASH_COST") == "fast":
        # ~0.05 ms a hash instead of ~2 ms: the suite hashes and checks a few per test, and
        # rebuilds the dummy hash at each test's start (tests/conftest.py SharedApp.begin)
        passwords.configure(time_cost=1, memory_cost=64, parallelism=1)


def standing_cache_seconds(cfg) -> float:
    """ACCOUNT_STANDING_CACHE_SECONDS, which must keep API.md's "within 5 s" (with a request's time)."""
    seconds = cfg.get("ACCOUNT_STANDING_CACHE_SECONDS", STANDING_CACHE_SECONDS)
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 <= seconds <= 4:
        raise ValueError(f"ACCOUNT_STANDING_CACHE_SECONDS must be 0 to 4 seconds, not {seconds!r}")
    return seconds


def wechat_token_storage(redis_url: str | None):
    """Share WeChat's access token across workers through Redis, else keep it in memory.

    Each fetch of a new token invalidates the previous one, so workers that each fetched
    their own would keep knocking each other's tokens out.
    """
    if not redis_url:
        return None
    import redis
    from wechatpy.session.redisstorage import RedisStorage

    return RedisStorage(redis.Redis.from_url(redis_url), prefix="xiaoge:wechat")


def tokens() -> TokenService:
    return current_app.extensions["xiaoge.tokens"]


def standings() -> AccountStandings:
    return current_app.extensions["xiaoge.standings"]


def signed_in(token: str, audience: str) -> Principal:
    """The principal behind a bearer token, held against its account (courier, staff), else
    Unauthorized: the one check of every REST call and socket connect."""
    principal = tokens().verify(token, audience)
    if audience not in REVOCABLE_AUDIENCES:
        return principal  # the shopper's (shake) path reads no account and stays as fast as it was
    return standings().admit(db.session, principal)


def price_sensitive_finder() -> targeting.CompoundFinder:
    """The function naming the compounds whose portrait is price-sensitive (clearance targeting)."""
    return current_app.extensions["xiaoge.price_sensitive"]


def wechat() -> WeChatGateway:
    return current_app.extensions["xiaoge.wechat"]


def draw_engine() -> DrawEngine:
    return current_app.extensions["xiaoge.draw_engine"]


def draws_ledger() -> DrawsLedger:
    return current_app.extensions["xiaoge.draws"]


def popularity() -> PopularityCounters:
    return current_app.extensions["xiaoge.popularity"]
