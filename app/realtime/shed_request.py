"""What a WebSocket keeps of the HTTP request that opened it: only what the app reads later.

Engine.IO and Socket.IO keep the request's WSGI environ for the whole session (Flask-SocketIO
rebuilds a request context from it for every event), gunicorn keeps its own environ (the one
Flask-SocketIO copied) and its parsed request on the serving greenlet's frames. With every
header of the upgrade request that was ~32 KiB an idle socket, more with large headers. Once
the upgrade is answered none of the headers is read again: the token comes in Socket.IO's
CONNECT, not in a header.
"""
from __future__ import annotations

import sys

# What a socket event's request context (Flask, Flask-SocketIO) and Engine.IO read after the
# upgrade: the app, the address (already rewritten by ProxyFix), and enough to build a URL.
KEPT = frozenset({
    "flask.app", "REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "SERVER_NAME", "SERVER_PORT",
    "SERVER_PROTOCOL", "HTTP_HOST", "REMOTE_ADDR", "REMOTE_PORT", "wsgi.url_scheme", "wsgi.version",
    "wsgi.errors", "wsgi.multithread", "wsgi.multiprocess", "wsgi.run_once", "gunicorn.socket",
})
CALLER_FRAMES = 16  # how far up the serving greenlet's stack gunicorn's own environ is looked for


def shed_request(environ: dict, start_response) -> None:
    """Drop from the socket's environ, gunicorn's environ and gunicorn's request whatever the
    app will not read again (in place: every holder sees the same dicts and list)."""
    for held in (environ, *gunicorn_environs(environ)):
        # Deleted in place, not rebuilt: a small environ (most) keeps its table and gains none.
        for key in [key for key in held if key not in KEPT]:
            del held[key]
    request = getattr(getattr(start_response, "__self__", None), "req", None)  # gunicorn's Response
    if isinstance(getattr(request, "headers", None), list):
        request.headers.clear()


def gunicorn_environs(environ: dict) -> list[dict]:
    """gunicorn's environ that this one was copied from (same connection), found on the frame
    of gunicorn's handle_request up the serving greenlet's stack; the only frame whose locals
    are read, and the snapshot of them that reading leaves on the frame is emptied."""
    connection, frame = environ.get("gunicorn.socket"), sys._getframe(2)
    for _ in range(CALLER_FRAMES if connection is not None else 0):
        if frame is None:
            break
        code = frame.f_code
        if code.co_name == "handle_request" and "gunicorn" in code.co_filename:
            snapshot = frame.f_locals
            held = snapshot.get("environ")
            snapshot.clear()  # the frame keeps this snapshot for the session: empty it (locals unchanged)
            if isinstance(held, dict) and held is not environ and held.get("gunicorn.socket") is connection:
                return [held]
            return []
        frame = frame.f_back
    return []
