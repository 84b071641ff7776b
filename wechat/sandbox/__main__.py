"""Run the WeChat sandbox standalone: python -m wechat.sandbox --port 8701 [--pay-keys DIR]."""

import argparse

from werkzeug.serving import make_server

from wechat.pay_keys import load_pay_keys
from wechat.sandbox import SANDBOX_APPID, SANDBOX_SECRET
from wechat.sandbox.server import create_sandbox_app


def parse_args(argv=None):
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m wechat.sandbox",
                                     description="A local stand-in of the WeChat API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8701)
    parser.add_argument("--appid", default=SANDBOX_APPID)
    parser.add_argument("--secret", default=SANDBOX_SECRET)
    parser.add_argument("--pay-keys", metavar="DIR",
                        help="also stand in for WeChat Pay, with the keys wechat.pay_keys.make_pay_keys wrote there")
    return parser.parse_args(argv)


def main(argv=None):
    """Serve until interrupted."""
    args = parse_args(argv)
    pay = load_pay_keys(args.pay_keys) if args.pay_keys else None
    server = make_server(args.host, args.port, create_sandbox_app(args.appid, args.secret, pay=pay),
                         threaded=True)
    host, port = server.server_address[:2]
    # Flushed at once so a supervising script can wait for this line.
    print(f"WeChat sandbox for {args.appid} on http://{host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
