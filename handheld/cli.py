"""`python -m handheld`: the courier's command line (API.md, "Handheld command line").

Exit status, for scripts:
  0  done (a tap delivered, or `arrive` safely queued while the server is unreachable)
  1  the server refused something (a tap, the sign-in, a wrong pickup code); it was reported
  2  taps remain queued (`sync`; `handover` not yet confirmed by the server)
  3  server unreachable for a call that cannot be queued (`login`, `pickups`, `loading-list`)
  4  not signed in, or the sign-in expired: run `login`
 64  bad command line
"""
from __future__ import annotations

import argparse
import getpass
import sys
import time

from handheld import messages
from handheld.client import CourierClient, Refused, Unreachable
from handheld.outbox import Delivery, Outbox
from handheld.state import DEFAULT_STATE_DIR, SignedIn, load, save, state_dir

OK, REFUSED, QUEUED, UNREACHABLE, SIGN_IN, USAGE = 0, 1, 2, 3, 4, 64


class Parser(argparse.ArgumentParser):
    """argparse with a usage error of its own (64): 2 means "taps remain queued" here."""

    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> Parser:
    # --state-dir works before or after the subcommand: the subcommand's copy only
    # overrides when given (SUPPRESS), so the top-level value otherwise stands.
    after = argparse.ArgumentParser(add_help=False)
    after.add_argument("--state-dir", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    parser = Parser(prog="python -m handheld", description="Xiaoge courier handheld.")
    parser.add_argument("--state-dir", default=None, metavar="DIR",
                        help=f"where sign-in and queued taps are kept (default {DEFAULT_STATE_DIR})")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    login = commands.add_parser("login", parents=[after], help="sign in on this device")
    login.add_argument("--server", required=True, metavar="URL")
    login.add_argument("--employee-no", required=True, metavar="N")
    login.add_argument("--password", metavar="P", help="asked for when left out")

    arrive = commands.add_parser("arrive", parents=[after], help="the van is here: opens the shake")
    arrive.add_argument("--compound-id", type=int, required=True, metavar="ID")
    arrive.add_argument("--lat", type=float)
    arrive.add_argument("--lng", type=float)

    sync = commands.add_parser("sync", parents=[after], help="send every queued tap now")
    sync.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                      help="keep retrying (with backoff) up to this long")

    commands.add_parser("status", parents=[after], help="queued, delivered and refused taps")

    pickups = commands.add_parser("pickups", parents=[after], help="orders to hand over at the van")
    pickups.add_argument("--compound-id", type=int, metavar="ID")

    listing = commands.add_parser("loading-list", parents=[after], help="the day's loading list (装车单)")
    listing.add_argument("--date", metavar="YYYY-MM-DD", help="the day (default today)")
    listing.add_argument("--confirm", action="store_true", help="make the list that day's van load")

    handover = commands.add_parser("handover", parents=[after], help="hand an order over: checks the code")
    handover.add_argument("order_id", type=int, metavar="ORDER_ID")
    handover.add_argument("--code", required=True, metavar="CODE", help="the shopper's pickup code")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the exit status."""
    args = build_parser().parse_args(argv)
    directory = state_dir(args.state_dir)
    command = COMMANDS[args.command]
    try:
        return command(args, directory)
    except KeyboardInterrupt:
        err("stopped. Queued taps are safe; run `sync` later.")
        return QUEUED


def say(line: str) -> None:
    print(line, flush=True)


def err(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def signed_in_or_explain(directory) -> SignedIn | None:
    signed = load(directory)
    if signed is None:
        err("not signed in. Run: python -m handheld login --server URL --employee-no N --password P")
    return signed


def login(args, directory) -> int:
    if not args.server.startswith(("http://", "https://")):
        err("--server must start with http:// or https://")
        return USAGE
    password = args.password if args.password is not None else getpass.getpass("password: ")
    with CourierClient(args.server) as client:
        try:
            body = client.sign_in(args.employee_no, password)
        except Unreachable as failure:
            err(f"sign-in failed: {failure} ({args.server}). Check mobile data, then retry.")
            return UNREACHABLE
        except Refused as refusal:
            if refusal.code == "bad_credentials":
                err("sign-in refused: wrong employee number or password.")
            else:
                err(f"sign-in refused: {refusal.message} ({refusal.code}).")
            return REFUSED
    signed = SignedIn(server=client.server, token=body["token"], courier=body["courier"])
    save(directory, signed)
    courier = signed.courier
    say(f"signed in: {courier.get('name')} ({courier.get('employee_no', args.employee_no)})")
    route = ", ".join(f"{c['name']} [{c['id']}]" for c in courier.get("compounds", []))
    say(f"route: {route or 'no compounds yet'}")
    with Outbox(directory) as outbox:
        waiting = outbox.counts()["queued"]
    if waiting:
        say(f"{waiting} tap(s) queued: run `sync`.")
    return OK


def deliver(outbox: Outbox, signed: SignedIn, force: bool = True) -> list[Delivery]:
    """Send this courier's queued taps (all of them, or those past their backoff) and report each."""
    with CourierClient(signed.server, signed.token) as client:
        deliveries = outbox.deliver(client.send_tap, force=force, courier_id=signed.courier_id)
    for delivery in deliveries:
        if delivery.outcome == "delivered":
            say(messages.delivered(delivery, signed))
        elif delivery.outcome == "refused":
            err(messages.refused(delivery, signed))
        else:
            say(messages.waiting(delivery.error))
    return deliveries


def tap_command(kind: str, body: dict, directory) -> tuple[int, str | None]:
    """Queue a tap durably, then try to deliver; (exit status, the tap's state or None)."""
    signed = signed_in_or_explain(directory)
    if signed is None:
        return SIGN_IN, None
    with Outbox(directory) as outbox:
        tap = outbox.add(kind, body, courier_id=signed.courier_id)
        deliveries = deliver(outbox, signed)
        outcome = outbox.get(tap.event_id).status
    return (REFUSED if any(d.outcome == "refused" for d in deliveries) else OK), outcome


def arrive(args, directory) -> int:
    body = {"compound_id": args.compound_id}
    if args.lat is not None and args.lng is not None:
        body.update(lat=args.lat, lng=args.lng)
    status, _ = tap_command("arrived", body, directory)
    return status


def handover(args, directory) -> int:
    body = {"order_id": args.order_id, "pickup_code": args.code}
    status, outcome = tap_command("handover", body, directory)
    if status == OK and outcome == "queued":
        say("code NOT checked yet: do not hand over until `sync` confirms.")
        return QUEUED
    return status


def sync(args, directory) -> int:
    signed = signed_in_or_explain(directory)
    if signed is None:
        return SIGN_IN
    deadline = time.monotonic() + max(args.wait, 0.0)
    with Outbox(directory) as outbox:
        if not outbox.counts()["queued"]:
            say("nothing to send.")
            return OK
        deliveries = deliver(outbox, signed)
        while outbox.due(force=True, courier_id=signed.courier_id) and time.monotonic() < deadline:
            # The automatic retry: wait out the backoff (jittered, growing), never past the deadline.
            due_in = outbox.next_due_in(signed.courier_id) or 0.0
            time.sleep(min(due_in, max(deadline - time.monotonic(), 0.0)))
            deliveries += deliver(outbox, signed, force=False)
        left = outbox.counts()["queued"]
        others = left - len(outbox.due(force=True, courier_id=signed.courier_id))
    if others:
        say(f"{others} tap(s) of another courier wait for their sign-in on this device.")
    if any(d.outcome == "refused" for d in deliveries):
        return REFUSED
    if left:
        say(f"still queued: {left}. Run `sync` again when you have signal.")
        return QUEUED
    say("all taps delivered.")
    return OK


def status(args, directory) -> int:
    signed = load(directory)
    with Outbox(directory) as outbox:
        counts = outbox.counts()
        for name in ("queued", "delivered", "refused"):
            say(f"{name}: {counts[name]}")
        now = outbox.clock()
        for tap in outbox.taps("queued"):
            say(messages.queued_line(tap, signed, now))
        for tap in outbox.taps("refused")[-5:]:
            say(messages.refused_line(tap, signed))
    if signed is None:
        say("not signed in.")
    else:
        say(f"signed in: {signed.courier.get('name')} at {signed.server}")
    return OK


def online(signed: SignedIn, what: str, call) -> tuple[int, object]:
    """(OK, call(client)) for a call that cannot be queued, or the exit status after saying why not."""
    try:
        with CourierClient(signed.server, signed.token) as client:
            return OK, call(client)
    except Unreachable as failure:
        err(f"{failure}: {what} not loaded. Check mobile data and retry.")
        return UNREACHABLE, None
    except Refused as refusal:
        if refusal.status == 401:
            err("sign-in expired. Run `login` again.")
            return SIGN_IN, None
        err(f"{what} refused: {refusal.message} ({refusal.code}).")
        return REFUSED, None


def pickups(args, directory) -> int:
    signed = signed_in_or_explain(directory)
    if signed is None:
        return SIGN_IN
    code, orders = online(signed, "pick list", lambda client: client.pickups(args.compound_id))
    if code == OK:
        for line in messages.pick_list(orders, signed, args.compound_id):
            say(line)
    return code


def loading_list(args, directory) -> int:
    """Print the day's loading list (装车单); with --confirm, make it that day's van load."""
    signed = signed_in_or_explain(directory)
    if signed is None:
        return SIGN_IN
    code, plan = online(signed, "loading list", lambda client: client.loading_list(args.date))
    if code != OK:
        return code
    for line in messages.loading_list(plan, signed):
        say(line)
    if args.confirm:
        code, load = online(signed, "van load", lambda client: client.confirm_loading_list(plan["date"]))
        if code == OK:
            say(f"van loaded for {load['date']}: {sum(i['quantity'] for i in load['items'])} units, "
                f"{len(load['items'])} products")
    return code


COMMANDS = {"login": login, "arrive": arrive, "sync": sync, "status": status,
            "pickups": pickups, "handover": handover, "loading-list": loading_list}
