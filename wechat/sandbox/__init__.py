"""The WeChat sandbox: a local stand-in of the WeChat API, run in a background thread."""

import threading

from werkzeug.serving import WSGIRequestHandler, make_server

from wechat.sandbox.server import SandboxState, create_sandbox_app

# The app's default credentials, so a fresh checkout talks to the sandbox out of the box.
SANDBOX_APPID = "wx_sandbox_appid"
SANDBOX_SECRET = "sandbox_secret"

__all__ = ["SANDBOX_APPID", "SANDBOX_SECRET", "Sandbox", "SandboxState",
           "create_sandbox_app", "start_sandbox"]


class _QuietHandler(WSGIRequestHandler):
    """A request handler that logs no access lines (tests and embedding stay quiet)."""

    def log_request(self, *args, **kwargs):
        """Skip the access log."""


class Sandbox:
    """A running sandbox server: `.url`, `.state`, `.stop()`; also a context manager."""

    def __init__(self, app, server):
        self.app = app
        self.server = server
        self.state = app.extensions["wechat_sandbox"]
        self.pay = app.extensions.get("wechat_sandbox_pay")  # PaySandboxState, when started with pay keys
        self.pay_keys = None  # the PayKeyFiles it was started with
        host, port = server.server_address[:2]
        self.url = f"http://{host}:{port}"
        # A short poll interval makes stop() quick (tests start one sandbox per test).
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="wechat-sandbox", daemon=True)

    def start(self):
        """Serve in the background thread."""
        self._thread.start()
        return self

    def stop(self):
        """Stop serving and free the port."""
        if self._thread.is_alive():
            self.server.shutdown()
            self._thread.join(timeout=5)
        self.server.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()


def start_sandbox(appid=SANDBOX_APPID, secret=SANDBOX_SECRET, host="127.0.0.1", port=0,
                  log_requests=False, pay=None):
    """Start a sandbox on host:port (0 picks a free port); `pay` (PayKeyFiles) adds WeChat Pay."""
    app = create_sandbox_app(appid, secret, pay=pay)
    handler = WSGIRequestHandler if log_requests else _QuietHandler
    server = make_server(host, port, app, threaded=True, request_handler=handler)
    sandbox = Sandbox(app, server)
    sandbox.pay_keys = pay
    return sandbox.start()
