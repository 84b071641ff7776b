"""Socket.IO: one namespace per actor (/shopper, /courier, /console), one room per compound."""
from __future__ import annotations

import functools

from flask import Flask

from app.actions.group_deals import GroupDealSettler
from app.actions.shopping_plan import ShoppingPlanner
from app.actions.message_sender import MessageSender
from app.actions.payment_settler import PaymentSettler
from app.actions.portraits import PortraitRefresher
from app.extensions import socketio
from app.realtime import lean_websocket, redis_queue
from app.realtime.account_watch import AccountWatch
from app.realtime.namespaces import (
    ConsoleNamespace,
    CourierNamespace,
    ShopperNamespace,
    start_background_tasks,
)
from app.realtime.round_sweeper import RoundSweeper
from app.wiring import draw_engine

# The mini-program's socket is cut after ~60 s of silence, so ping well inside that.
# Defaults for the SOCKETIO_PING_INTERVAL / SOCKETIO_PING_TIMEOUT settings (tests shorten them).
PING_INTERVAL_SECONDS = 25
PING_TIMEOUT_SECONDS = 20
# Default of SOCKET_CONNECT_TIMEOUT: a WebSocket with no Socket.IO namespace connected this long
# after its upgrade is closed (under gunicorn -k gevent, app/realtime/lean_websocket.py).
CONNECT_TIMEOUT_SECONDS = 5.0


def init_socketio(app: Flask) -> None:
    """Bind Socket.IO: WebSocket only, Redis message queue when REDIS_URL is set."""
    # Flask-SocketIO keeps the last app's client manager in its options and would reuse a Redis
    # queue for an app without REDIS_URL; one process may build several apps (the tests do).
    for option in ("client_manager", "message_queue", "channel"):
        socketio.server_options.pop(option, None)
    socketio.init_app(
        app,
        **queue_options(app),
        async_mode=app.config.get("SOCKETIO_ASYNC_MODE"),
        transports=["websocket"],
        cors_allowed_origins="*",
        ping_interval=_seconds(app, "SOCKETIO_PING_INTERVAL", PING_INTERVAL_SECONDS),
        ping_timeout=_seconds(app, "SOCKETIO_PING_TIMEOUT", PING_TIMEOUT_SECONDS),
        cookie=None,
    )
    server = socketio.server
    # under gevent: one greenlet per idle WebSocket, and none kept long without a namespace
    lean_websocket.install(server.eio,
                           connect_timeout=_seconds(app, "SOCKET_CONNECT_TIMEOUT", CONNECT_TIMEOUT_SECONDS),
                           namespaced=functools.partial(has_namespace, server))


def has_namespace(server, eio_sid: str) -> bool:
    """Whether the WebSocket `eio_sid` has a Socket.IO namespace connected (an accepted token)."""
    manager = server.manager
    return any(manager.sid_from_eio_sid(eio_sid, namespace) for namespace in list(manager.get_namespaces()))


def queue_options(app: Flask) -> dict:
    """Flask-SocketIO's message queue options: a Redis queue that rides out Redis outages
    (redis_queue.py) for a redis:// URL, else what Flask-SocketIO builds for the URL."""
    url, channel = message_queue(app), app.config.get("SOCKETIO_CHANNEL", "xiaoge-socketio")
    if url and url.startswith(("redis://", "rediss://")):
        retry = app.config.get("SOCKETIO_PUBLISH_RETRY_SECONDS") or redis_queue.PUBLISH_RETRY_SECONDS
        return {"client_manager": redis_queue.ResilientRedisManager(url, channel, retry_seconds=retry)}
    return {"message_queue": url, "channel": channel}


def message_queue(app: Flask) -> str | None:
    """SOCKETIO_MESSAGE_QUEUE if set (empty: none, for one process), else REDIS_URL."""
    queue = app.config.get("SOCKETIO_MESSAGE_QUEUE")
    return (app.config.get("REDIS_URL") if queue is None else queue) or None


def _seconds(app: Flask, key: str, default: float) -> float:
    """A positive number of seconds from the config, else the default."""
    value = app.config.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ValueError(f"{key} must be a positive number of seconds, not {value!r}")
    return value


def start_background_tasks_on_first_request(app: Flask) -> None:
    """Start closing rounds, watching signed-in sockets (and the draw engine's own loops) once
    the app serves: never in `flask db upgrade` and the like. Under gunicorn each worker starts
    them as it boots (start_worker_background_tasks); the first request or socket starts them
    elsewhere."""
    tasks = []
    # Sockets register with it on connect whether or not its loop runs (tests run its check by hand).
    watch = app.extensions.setdefault("xiaoge.account_watch", AccountWatch(app))
    if app.config.get("SOCKET_ACCOUNT_WATCH", True):
        tasks.append(watch)
    if app.config.get("ROUND_SWEEPER"):
        tasks.append(app.extensions.setdefault("xiaoge.round_sweeper", RoundSweeper(app)))
    if app.config.get("MESSAGE_SENDER"):
        tasks.append(app.extensions.setdefault("xiaoge.message_sender", MessageSender(app)))
    # Only with WeChat Pay set up (the tests turn it off and call settle_payments themselves).
    if app.config.get("PAYMENT_SETTLER") and app.config.get("WECHATPAY_MCHID"):
        tasks.append(app.extensions.setdefault("xiaoge.payment_settler", PaymentSettler(app)))
    if app.config.get("PORTRAIT_REFRESHER"):
        tasks.append(app.extensions.setdefault("xiaoge.portrait_refresher", PortraitRefresher(app)))
    if app.config.get("GROUP_DEAL_SETTLER"):
        tasks.append(app.extensions.setdefault("xiaoge.group_deal_settler", GroupDealSettler(app)))
    if app.config.get("SHOPPING_PLANNER"):
        tasks.append(app.extensions.setdefault("xiaoge.shopping_planner", ShoppingPlanner(app)))
    with app.app_context():
        tasks += draw_engine().background_tasks(app)  # the Redis engine's log writer
    app.extensions["xiaoge.background_tasks"] = tasks  # also started on a socket's connect
    if tasks:
        app.before_request(start_background_tasks)


def start_worker_background_tasks(app: Flask) -> None:
    """Start this worker's background loops now, before any client comes (gunicorn.conf.py's
    post_worker_init): a restarted server closes the rounds left open on time by itself."""
    for task in app.extensions.get("xiaoge.background_tasks", ()):
        task.start()


def register_namespaces() -> None:
    socketio.on_namespace(ShopperNamespace("/shopper"))
    socketio.on_namespace(CourierNamespace("/courier"))
    socketio.on_namespace(ConsoleNamespace("/console"))
