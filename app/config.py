"""Settings from environment variables, one per line (API.md, "Running it")."""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"


def env(name: str, default=None, cast=str):
    """Read one setting, converting it when present."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if cast is bool:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    return cast(raw)


def sqlalchemy_url(url: str) -> str:
    """Point plain PostgreSQL URLs at psycopg 3, the driver we ship."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def from_environment() -> dict:
    """The application config as read from the process environment."""
    default_db = f"sqlite:///{INSTANCE_DIR / 'xiaoge.sqlite3'}"
    public_url = env("PUBLIC_URL", "http://127.0.0.1:5000").rstrip("/")
    return {
        "SECRET_KEY": env("SECRET_KEY"),
        "SQLALCHEMY_DATABASE_URI": sqlalchemy_url(env("DATABASE_URL", default_db)),
        # Database connections each worker keeps open (PostgreSQL), and may open beyond them for a
        # moment; workers x (both) must stay under the server's max_connections.
        "DB_POOL_SIZE": env("DB_POOL_SIZE", 20, int),
        "DB_MAX_OVERFLOW": env("DB_MAX_OVERFLOW", 10, int),
        "REDIS_URL": env("REDIS_URL"),
        "WECHAT_APPID": env("WECHAT_APPID", "wx_sandbox_appid"),
        "WECHAT_SECRET": env("WECHAT_SECRET", "sandbox_secret"),
        "WECHAT_API_BASE": env("WECHAT_API_BASE", "https://api.weixin.qq.com").rstrip("/"),
        "WECHAT_TIMEOUT_SECONDS": env("WECHAT_TIMEOUT_SECONDS", 5.0, float),
        # Subscribe message templates (API.md "Notifications"): the van has come; an order's status.
        "WECHAT_TEMPLATE_VAN_ARRIVED": env("WECHAT_TEMPLATE_VAN_ARRIVED", "sandbox_tpl_van_arrived"),
        "WECHAT_TEMPLATE_ORDER_STATUS": env("WECHAT_TEMPLATE_ORDER_STATUS", "sandbox_tpl_order_status"),
        # "Time to buy" for a wish whose plan comes due (an event it waited for starts, a price drops).
        "WECHAT_TEMPLATE_SHOPPING_PLAN": env("WECHAT_TEMPLATE_SHOPPING_PLAN", "sandbox_tpl_shopping_plan"),
        # Send them from a background task; a send WeChat could not take is tried this many times,
        # and a 45xxx (quota, frequency) pauses a worker's sending this many seconds.
        "MESSAGE_SENDER": env("MESSAGE_SENDER", True, bool),
        "MESSAGE_MAX_ATTEMPTS": env("MESSAGE_MAX_ATTEMPTS", 5, int),
        "MESSAGE_QUOTA_PAUSE_SECONDS": env("MESSAGE_QUOTA_PAUSE_SECONDS", 60.0, float),
        # Messages one worker sends a second (0: as fast as it can), and how long an arrival's job
        # waits before it is expanded (the socket fan-out first).
        "MESSAGE_SENDS_PER_SECOND": env("MESSAGE_SENDS_PER_SECOND", 25.0, float),
        "MESSAGE_JOB_DELAY_SECONDS": env("MESSAGE_JOB_DELAY_SECONDS", 3.0, float),
        "PUBLIC_URL": public_url,
        # WeChat Pay (API v3, public-key mode): unset WECHATPAY_MCHID means no WeChat Pay.
        "WECHATPAY_MCHID": env("WECHATPAY_MCHID"),
        "WECHATPAY_APIV3_KEY": env("WECHATPAY_APIV3_KEY"),
        "WECHATPAY_PRIVATE_KEY_PATH": env("WECHATPAY_PRIVATE_KEY_PATH"),
        "WECHATPAY_CERT_SERIAL": env("WECHATPAY_CERT_SERIAL"),
        "WECHATPAY_PUBLIC_KEY_PATH": env("WECHATPAY_PUBLIC_KEY_PATH"),
        "WECHATPAY_PUBLIC_KEY_ID": env("WECHATPAY_PUBLIC_KEY_ID"),
        "WECHATPAY_API_BASE": env("WECHATPAY_API_BASE", "https://api.mch.weixin.qq.com").rstrip("/"),
        "WECHATPAY_NOTIFY_URL": env("WECHATPAY_NOTIFY_URL", public_url + "/api/v1/payments/wechat/notify"),
        # An unpaid WeChat Pay order is closed (after asking WeChat Pay) this many minutes on.
        "ORDER_PAY_MINUTES": env("ORDER_PAY_MINUTES", 15, int),
        # Settle WeChat Pay from a background task every this many seconds (with WeChat Pay set up):
        # overdue unpaid orders, refunds to resend, refunds WeChat Pay has been quiet about.
        "PAYMENT_SETTLER": env("PAYMENT_SETTLER", True, bool),
        "PAYMENT_SETTLE_SECONDS": env("PAYMENT_SETTLE_SECONDS", 30.0, float),
        # Refresh compound portraits older than today after 03:00 Asia/Shanghai, checking this often;
        # a portrait covers the last PORTRAIT_DAYS days (today included).
        "PORTRAIT_REFRESHER": env("PORTRAIT_REFRESHER", True, bool),
        "PORTRAIT_CHECK_SECONDS": env("PORTRAIT_CHECK_SECONDS", 300.0, float),
        "PORTRAIT_DAYS": env("PORTRAIT_DAYS", 90, int),
        # Settle group deals from a background task every this many seconds: deals past their
        # deadline failed and their orders cancelled or refunded, seats of cancelled joins given back.
        "GROUP_DEAL_SETTLER": env("GROUP_DEAL_SETTLER", True, bool),
        "GROUP_DEAL_SETTLE_SECONDS": env("GROUP_DEAL_SETTLE_SECONDS", 30.0, float),
        # Plan shoppers' wishes again from a background task, checking this often; a shopper's plans
        # are made again once they are this many minutes old (and "time to buy" told when one comes due).
        "SHOPPING_PLANNER": env("SHOPPING_PLANNER", True, bool),
        "SHOPPING_PLAN_SECONDS": env("SHOPPING_PLAN_SECONDS", 300.0, float),
        "SHOPPING_PLAN_REPLAN_MINUTES": env("SHOPPING_PLAN_REPLAN_MINUTES", 60, int),
        "SHOPPER_TOKEN_TTL": env("SHOPPER_TOKEN_TTL", 7 * 24 * 3600, int),
        "COURIER_TOKEN_TTL": env("COURIER_TOKEN_TTL", 24 * 3600, int),
        "STAFF_TOKEN_TTL": env("STAFF_TOKEN_TTL", 12 * 3600, int),
        "XIAOGE_DEMO": env("XIAOGE_DEMO", False, bool),
        # Request bodies are small JSON; anything bigger is refused before it is read.
        "MAX_CONTENT_LENGTH": env("MAX_CONTENT_LENGTH", 1024 * 1024, int),
        "RATELIMIT_STORAGE_URI": env("RATELIMIT_STORAGE_URI") or env("REDIS_URL") or "memory://",
        # Sign-in limits (`limits` notation, docs/operations.md): every password sign-in from one
        # client address, whatever the account; each account, from every address; WeChat logins
        # from one address (each spends the app's WeChat quota).
        "SIGN_IN_LIMIT_PER_ADDRESS": env("SIGN_IN_LIMIT_PER_ADDRESS", "60 per minute;600 per hour"),
        "SIGN_IN_LIMIT_PER_ACCOUNT": env("SIGN_IN_LIMIT_PER_ACCOUNT", "10 per minute;50 per hour"),
        "WECHAT_LOGIN_LIMIT_PER_ADDRESS": env("WECHAT_LOGIN_LIMIT_PER_ADDRESS", "60 per minute;1000 per hour"),
        # Password hashes (~150 ms, 64 MiB each) run in this many OS threads per worker; past them
        # and this many waiting, a sign-in is refused with a quick 503 to retry.
        "PASSWORD_HASH_THREADS": env("PASSWORD_HASH_THREADS", 2, int),
        "PASSWORD_HASH_MAX_WAITING": env("PASSWORD_HASH_MAX_WAITING", 8, int),
        # Proxies in front (nginx: 1) whose X-Forwarded-For / -Proto headers are trusted.
        "PROXY_HOPS": env("PROXY_HOPS", 0, int),
        # None lets Flask-SocketIO pick (gevent under gunicorn -k gevent); tests use threading.
        "SOCKETIO_ASYNC_MODE": env("SOCKETIO_ASYNC_MODE"),
        # Where workers share broadcasts; unset: REDIS_URL. (Tests run one process: empty, none.)
        "SOCKETIO_MESSAGE_QUEUE": env("SOCKETIO_MESSAGE_QUEUE"),
        # The Redis pub/sub channel broadcasts travel on; deployments sharing a Redis differ here.
        "SOCKETIO_CHANNEL": env("SOCKETIO_CHANNEL", "xiaoge-socketio"),
        # Engine.IO heartbeat in seconds; unset: app/realtime's defaults (25 s and 20 s), which
        # keep an idle mini-program socket inside WeChat's ~60 s idle cut.
        "SOCKETIO_PING_INTERVAL": env("SOCKETIO_PING_INTERVAL", None, float),
        "SOCKETIO_PING_TIMEOUT": env("SOCKETIO_PING_TIMEOUT", None, float),
        # Where shakes are decided: "sql" (a transaction each) or "redis" (a Lua script, the
        # database written behind); unset: redis when REDIS_URL is set, else sql.
        "SHAKE_DRAWS": env("SHAKE_DRAWS"),
        # Shakes one worker works on at once; more are refused with a quick 503 to retry.
        "SHAKE_MAX_IN_FLIGHT": env("SHAKE_MAX_IN_FLIGHT", 64, int),
        # Each shopper's shakes on one worker: at most this many in flight, and a cadence of
        # SHAKE_RATE_PER_SHOPPER a second with bursts of SHAKE_BURST_PER_SHOPPER (0: no limit);
        # past either, a 429 rate_limited to retry (app/actions/admission.py).
        "SHAKE_MAX_IN_FLIGHT_PER_SHOPPER": env("SHAKE_MAX_IN_FLIGHT_PER_SHOPPER", 8, int),
        "SHAKE_RATE_PER_SHOPPER": env("SHAKE_RATE_PER_SHOPPER", 5.0, float),
        "SHAKE_BURST_PER_SHOPPER": env("SHAKE_BURST_PER_SHOPPER", 20, int),
        # How long a refused shake_id's answer (shake_limit_reached, not_in_compound) is replayed;
        # refusals of a round that is unknown, not open or closed are not kept at all.
        "SHAKE_REFUSAL_KEEP_SECONDS": env("SHAKE_REFUSAL_KEEP_SECONDS", 600, int),
        # Copy the Redis engine's logged shakes into the database from a background task.
        "SHAKE_LOG_WRITER": env("SHAKE_LOG_WRITER", True, bool),
        # How long a worker reuses a closed round's published draws (0: built on every call).
        "SHAKE_DRAWS_CACHE_SECONDS": env("SHAKE_DRAWS_CACHE_SECONDS", 60.0, float),
        # Prefix of the keys the app keeps in Redis; deployments sharing a Redis differ here.
        "REDIS_KEY_PREFIX": env("REDIS_KEY_PREFIX", "xiaoge:"),
        # Drop open courier and console sockets of disabled or signed-out accounts (every 2 s).
        "SOCKET_ACCOUNT_WATCH": env("SOCKET_ACCOUNT_WATCH", True, bool),
        # Close shake rounds on time from a background task started by the first request.
        "ROUND_SWEEPER": env("ROUND_SWEEPER", True, bool),
        # A courier's arrival in a compound where their arrival opened a round less than this
        # many minutes ago opens no round (a double tap, a re-tap once it closed): recorded, 201.
        "ARRIVAL_REPEAT_MINUTES": env("ARRIVAL_REPEAT_MINUTES", 0.0, float),
        # A courier's taps a minute past this are refused unrecorded: 429 rate_limited.
        "ARRIVALS_PER_MINUTE": env("ARRIVALS_PER_MINUTE", 10, int),
        # The staff console's cookie session: ends 8 hours after sign-in; HttpOnly, SameSite=Lax,
        # Secure when served over HTTPS (SESSION_COOKIE_SECURE=1, or PUBLIC_URL https://).
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=env("CONSOLE_SESSION_HOURS", 8.0, float)),
        "SESSION_COOKIE_NAME": "xiaoge_console",
        "SESSION_COOKIE_PATH": "/console",  # only the console reads it: the API and sockets use tokens
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env("SESSION_COOKIE_SECURE", False, bool),
        # Life of the staff token a dashboard page holds for its socket (renewed while the session lives).
        "CONSOLE_TOKEN_SECONDS": env("CONSOLE_TOKEN_SECONDS", 600, int),
        # How long a worker trusts what it read of a courier or staff account (disabled, signed
        # out, role): API.md promises a change reaches every token within 5 s.
        "ACCOUNT_STANDING_CACHE_SECONDS": env("ACCOUNT_STANDING_CACHE_SECONDS", 2.0, float),
        # A form's CSRF token lives as long as the session holding its secret, not one hour.
        "WTF_CSRF_TIME_LIMIT": None,
        # Socket events one connection may send a second, and in a burst; past them an event is
        # acked `rate_limited`; a socket whose refused events pile past the last is disconnected.
        "SOCKET_EVENTS_PER_SECOND": env("SOCKET_EVENTS_PER_SECOND", 20.0, float),
        "SOCKET_EVENT_BURST": env("SOCKET_EVENT_BURST", 40, int),
        "SOCKET_DISCONNECT_AFTER_REFUSED": env("SOCKET_DISCONNECT_AFTER_REFUSED", 200, int),
        # Sockets one account keeps a namespace per worker; one more drops the account's oldest.
        "SOCKETS_PER_ACCOUNT": env("SOCKETS_PER_ACCOUNT", 5, int),
        # Seconds a WebSocket may stay open without connecting a Socket.IO namespace (a token).
        "SOCKET_CONNECT_TIMEOUT": env("SOCKET_CONNECT_TIMEOUT", None, float),
        # Seconds a broadcast that Redis refused is kept and retried before it is dropped.
        "SOCKETIO_PUBLISH_RETRY_SECONDS": env("SOCKETIO_PUBLISH_RETRY_SECONDS", None, float),
        # Seconds between a compound's `live` pushes (and how old an enter_store ack's counts may be).
        "LIVE_PUSH_SECONDS": env("LIVE_PUSH_SECONDS", 1.0, float),
        "POPULARITY_COUNTERS": env("POPULARITY_COUNTERS"),
        "POPULARITY_WATCH_SECONDS": env("POPULARITY_WATCH_SECONDS", 120.0, float),
        # A shopper's store orders waiting for pickup (won items do not count), and saved addresses.
        "SHOPPER_OPEN_ORDERS_MAX": env("SHOPPER_OPEN_ORDERS_MAX", 5, int),
        "SHOPPER_ADDRESSES_MAX": env("SHOPPER_ADDRESSES_MAX", 20, int),
        # The bearer token Prometheus scrapes /metrics with; unset: /metrics answers 404.
        "METRICS_TOKEN": env("METRICS_TOKEN"),
        # text (default, for people) or json (one object a line with its request_id, for shippers).
        "LOG_FORMAT": env("LOG_FORMAT", "text"),
        "LOG_LEVEL": env("LOG_LEVEL", "INFO"),
        # How long /api/v1/readyz waits for the database and for Redis, each.
        "READINESS_TIMEOUT_SECONDS": env("READINESS_TIMEOUT_SECONDS", 2.0, float),
    }

