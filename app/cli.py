"""Flask CLI commands: first staff account, demo data, the demo server."""
from __future__ import annotations

import click
from flask import Flask

from app.actions.group_deals import settle_group_deals
from app.actions.message_sender import MessageSender
from app.actions.payment_settler import settle_payments
from app.actions.portraits import refresh_stale_portraits
from app.actions.shopping_plan import replan_wishes
from app.demo import seed_demo
from app.extensions import db
from app.services.accounts.staff import create_staff
from app.services.errors import ServiceError


def register_commands(app: Flask) -> None:
    @app.cli.command("create-staff")
    @click.argument("username")
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    @click.option("--role", type=click.Choice(["admin", "marketing", "ops"]), default="admin")
    def create_staff_command(username, password, role):
        """Create a staff account (the first one is usually an admin)."""
        try:
            member = create_staff(db.session, username, password, role)
        except ServiceError as error:
            raise click.ClickException(f"{error.message} {error.extra or ''}".strip()) from None
        db.session.commit()
        click.echo(f"created {member.role} {member.username} (id {member.id})")

    @app.cli.command("settle-payments")
    def settle_payments_command():
        """One round of the payment loop: overdue unpaid orders settled with WeChat Pay, queued refunds sent."""
        try:
            settled = settle_payments()
        except ServiceError as error:
            raise click.ClickException(error.message) from None
        click.echo(f"paid {settled.paid}, cancelled {settled.cancelled}, refunds sent {settled.refunds_sent}, "
                   f"put off {settled.put_off}")

    @app.cli.command("settle-group-deals")
    def settle_group_deals_command():
        """One round of the group deal loop: deals past their deadline failed, their orders cancelled or refunded."""
        settled = settle_group_deals()
        click.echo(f"failed {settled.failed}, orders unwound {settled.unwound}, "
                   f"seats given back {settled.seats_given_back}, put off {settled.put_off}")

    @app.cli.command("replan-wishes")
    def replan_wishes_command():
        """One round of the shopping planner: stale plans made again, "time to buy" queued once per wish and reason."""
        replanned = replan_wishes()
        click.echo(f"planned again for {len(replanned.shoppers)} shoppers; told {replanned.told}; "
                   f"due but not subscribed {replanned.not_subscribed}")

    @app.cli.command("send-messages")
    def send_messages_command():
        """Send queued subscribe messages in this process until stopped: a sender of its own, for a
        deployment whose web workers run with MESSAGE_SENDER=0 (their CPU left to the shakes)."""
        click.echo("sending subscribe messages; Ctrl-C stops")
        MessageSender(app).run_in_foreground()

    @app.cli.command("refresh-portraits")
    def refresh_portraits_command():
        """Refresh every compound portrait older than today (what the nightly loop does after 03:00)."""
        refreshed = refresh_stale_portraits()
        click.echo(f"refreshed the portraits of {len(refreshed)} compounds: {refreshed}")

    @app.cli.command("seed-demo")
    def seed_demo_command():
        """Load the demo compounds, couriers, products, deals and coupons (idempotent)."""
        summary = seed_demo(db.session)
        db.session.commit()
        for line in summary:
            click.echo(line)
