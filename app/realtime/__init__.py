"""Socket.IO: one namespace per actor (/shopper, /courier, /console), one room per compound."""
from __future__ import annotations

from flask import Flask

from app.extensions import socketio
from app.realtime import lean_websocket
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


def init_socketio(app: Flask) -> None:
    """Bind Socket.IO: WebSocket only, Redis message queue when REDIS_URL is set."""
    # Flask-SocketIO keeps the last app's client manager in its options and would reuse a Redis
    # queue for an app without REDIS_URL; one process may build several apps (the tests do).
    socketio.server_options.pop("client_manager", None)
    socketio.init_app(
        app,
        message_queue=message_queue(app),
        channel=app.config.get("SOCKETIO_CHANNEL", "xiaoge-socketio"),
        async_mode=app.config.get("SOCKETIO_ASYNC_MODE"),
        transports=["websocket"],
        cors_allowed_origins="*",
        ping_interval=_seconds(app, "SOCKETIO_PING_INTERVAL", PING_INTERVAL_SECONDS),
        ping_timeout=_seconds(app, "SOCKETIO_PING_TIMEOUT", PING_TIMEOUT_SECONDS),
        cookie=None,
    )
    lean_websocket.install(socketio.server.eio)  # under gevent: one greenlet per idle WebSocket


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
    """Start closing rounds (and the draw engine's own loops) once the app serves: never in
    `flask db upgrade` and the like. Under gunicorn each worker starts them as it boots
    (start_worker_background_tasks); the first request or socket starts them elsewhere."""
    tasks = []
    if app.config.get("ROUND_SWEEPER"):
        tasks.append(app.extensions.setdefault("xiaoge.round_sweeper", RoundSweeper(app)))
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
