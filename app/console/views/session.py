"""Sign-in, sign-out and the console's front page."""
from __future__ import annotations

from flask import g, redirect, render_template, request, url_for

from app.console import auth
from app.console.blueprint import bp
from app.console.forms import Field, Form, load
from app.extensions import db
from app.rate_limits import limit_sign_in
from app.schemas.console import StaffSignIn
from app.services.accounts import staff
from app.services.errors import BadCredentials

SIGN_IN_FIELDS = (
    Field("username", "用户名", "Username", attrs={"autocomplete": "username", "autofocus": True}),
    Field("password", "密码", "Password", kind="password", attrs={"autocomplete": "current-password"}),
)


@bp.route("/login", methods=["GET", "POST"])
@limit_sign_in("username", accounts="staff", body="form")  # counted with the JSON sign-in
def login():
    """The sign-in form; a good username and password start an 8-hour session."""
    form = Form(SIGN_IN_FIELDS)
    if request.method == "POST":
        body = load(form, StaffSignIn, request.form)
        if body is not None:
            try:
                member = staff.authenticate_staff(db.session, body["username"], body["password"])
            except BadCredentials:
                form.errors["password"] = "用户名或密码错误 · Wrong username or password"
            else:
                auth.sign_in(member)
                return redirect(auth.safe_next(request.args.get("next")))
        form.raw.pop("password", None)  # never echo a password back
        return render_template("console/login.html", form=form), 422
    if g.staff is not None:
        return redirect(url_for("console_web.home"))
    expired = request.args.get("expired") == "1"
    return render_template("console/login.html", form=form, expired=expired)


@bp.post("/logout")
def logout():
    """Sign out (a form with its CSRF token, so no other site can sign anyone out): everywhere."""
    auth.sign_out(g.staff)
    return redirect(url_for("console_web.login"))


@bp.get("/")
@auth.requires()
def home():
    """The sections this role may open, with a word on each."""
    return render_template("console/home.html", member=g.staff)
