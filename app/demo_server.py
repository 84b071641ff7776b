"""`make demo`: the embedded default with demo data, the WeChat sandbox, and the URLs to open.

Runs the real production path on one machine: Alembic migrations, the WeChat sandbox as its
own process reached through WECHAT_API_BASE (and as WeChat Pay through WECHATPAY_API_BASE,
with made-up merchant and platform keys kept under instance/demo-pay/), and gunicorn with a
gevent worker.
"""
from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import select

from app import create_app
from app.config import INSTANCE_DIR
from app.demo import DEMO_PASSWORD, seed_demo
from app.extensions import db
from app.models import Courier
from wechat.pay_keys import PayKeyFiles, load_pay_keys, make_pay_keys

ROOT = Path(__file__).resolve().parents[1]
HOST = os.environ.get("DEMO_HOST", "127.0.0.1")
PORT = int(os.environ.get("DEMO_PORT", "5000"))
SANDBOX_PORT = int(os.environ.get("DEMO_SANDBOX_PORT", "8701"))
PAY_KEYS_DIR = INSTANCE_DIR / "demo-pay"


def demo_pay_keys() -> PayKeyFiles:
    """The demo's WeChat Pay keys: made on the first run, the same ever after."""
    try:
        return load_pay_keys(PAY_KEYS_DIR)
    except (OSError, ValueError, KeyError):
        return make_pay_keys(PAY_KEYS_DIR)


def demo_environment() -> dict[str, str]:
    public_url = os.environ.get("PUBLIC_URL", f"http://{HOST}:{PORT}")
    sandbox_url = f"http://127.0.0.1:{SANDBOX_PORT}"
    return {
        **os.environ,
        **demo_pay_keys().app_config(sandbox_url),
        "XIAOGE_DEMO": "1",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(32),
        "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'demo.sqlite3'}"),
        "WECHAT_API_BASE": sandbox_url,
        "PUBLIC_URL": public_url,
    }


def wait_until_up(url: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not come up within {seconds:.0f} s")


def prepare_database() -> list[str]:
    """Migrate and seed; return the store URLs of the demo couriers."""
    app = create_app()
    with app.app_context():
        upgrade()
        for line in seed_demo(db.session):
            print(line)
        db.session.commit()
        public_url = app.config["PUBLIC_URL"]
        return [f"{c.name} ({c.employee_no}): {public_url}/s/{c.courier_code}"
                for c in db.session.scalars(select(Courier).order_by(Courier.id))]


def stop_like_ctrl_c(signum, frame) -> None:
    """SIGTERM (a process manager, `timeout`) stops the demo as Ctrl-C does: children first."""
    raise KeyboardInterrupt


def main() -> None:
    signal.signal(signal.SIGTERM, stop_like_ctrl_c)
    env = demo_environment()
    os.environ.update(env)
    sandbox = subprocess.Popen([sys.executable, "-m", "wechat.sandbox", "--port", str(SANDBOX_PORT),
                                "--pay-keys", str(PAY_KEYS_DIR)], env=env)
    server = None
    try:
        wait_until_up(f"http://127.0.0.1:{SANDBOX_PORT}/sandbox/messages")
        stores = prepare_database()
        # -c: the server policy whatever directory `python -m app.demo_server` was started in
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
                                   "-k", "gevent", "-w", "1", "-b", f"{HOST}:{PORT}", "wsgi:app"], env=env)
        wait_until_up(f"http://{HOST}:{PORT}/api/v1/openapi.json")
        print_urls(env["PUBLIC_URL"], stores)
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop_children([process for process in (server, sandbox) if process])


def stop_children(children: list[subprocess.Popen]) -> None:
    """SIGTERM each (gunicorn stops its workers), then SIGKILL whatever lingers past 10 s."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut this short
    for process in children:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in children:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def print_urls(public_url: str, stores: list[str]) -> None:
    print(f"""
Xiaoge demo is running (Ctrl-C stops it).

  Store pages (what a courier's QR badge opens; "Try as a demo shopper" signs you in):
    {(chr(10) + '    ').join(stores)}
  Courier handheld:        {public_url}/handheld/    E1001 or E1002, password {DEMO_PASSWORD}
  Staff console:           {public_url}/console/     admin, marketing or ops, password {DEMO_PASSWORD}
  API contract (OpenAPI):  {public_url}/api/v1/openapi.json
  WeChat sandbox:          http://127.0.0.1:{SANDBOX_PORT}

  Try the core loop: open a store page (阳光花园) in one window, the handheld in another;
  the demo campaign "到车摇一摇" is live, so tapping "arrived" at 阳光花园 opens a shake round
  on the store page; it closes by itself after its window. Watch it at /console/.
""", flush=True)


if __name__ == "__main__":
    main()
