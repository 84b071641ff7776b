"""Build the app's service objects from its config, once, in create_app()."""
from __future__ import annotations

from flask import Flask, current_app

from app.services.accounts import passwords
from app.services.accounts.tokens import TokenService
from app.services.admission import Admission
from app.services.shake_paths import build_shake_path
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
    app.extensions["xiaoge.wechat"] = WeChatGateway(
        appid=cfg["WECHAT_APPID"],
        secret=cfg["WECHAT_SECRET"],
        api_base=cfg["WECHAT_API_BASE"],
        timeout=cfg["WECHAT_TIMEOUT_SECONDS"],
        token_storage=wechat_token_storage(cfg.get("REDIS_URL")),
    )
    app.extensions["xiaoge.shake_path"] = build_shake_path(app)
    app.extensions["xiaoge.shake_admission"] = Admission(cfg.get("SHAKE_MAX_IN_FLIGHT", 64))
    if cfg.get("PASSWORD_HASH_COST") == "fast":
        passwords.configure(time_cost=1, memory_cost=1024)


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


def wechat() -> WeChatGateway:
    return current_app.extensions["xiaoge.wechat"]
