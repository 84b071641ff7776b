"""The sandbox's own test hooks under /sandbox/ (they play the phone); not part of WeChat's API."""
from __future__ import annotations

from flask import jsonify

from wechat.crypto import encrypt_user_data
from wechat.sandbox.replies import hook_error, json_body


def register_hooks(app, state):
    """Test hooks under /sandbox/ that play the phone; not part of WeChat's API."""

    @app.post("/sandbox/login-codes")
    def mint_login_code():
        body = json_body()
        try:
            force = int(body["force_errcode"]) if body.get("force_errcode") else None
            delay = min(max(float(body.get("delay_seconds") or 0), 0.0), 60.0)
        except (TypeError, ValueError):
            return hook_error(422, "invalid_request", "force_errcode/delay_seconds must be numbers")
        code, openid = state.mint_login_code(body.get("openid") or None, force, delay)
        return jsonify(code=code, openid=openid)

    @app.post("/sandbox/user-info")
    def user_info():
        body = json_body()
        openid = body.get("openid")
        key = state.session_key(openid) if isinstance(openid, str) else None
        if not key:
            return hook_error(404, "no_session", "that openid has not logged in")
        data = {"openId": openid, "nickName": body.get("nickname", ""), "gender": 0,
                "language": "zh_CN", "city": "", "province": "", "country": "",
                "avatarUrl": body.get("avatar_url", "")}
        encrypted, iv = encrypt_user_data(key, data, state.appid)
        return jsonify(encrypted_data=encrypted, iv=iv)

    @app.post("/sandbox/phone-codes")
    def mint_phone_code():
        body = json_body()
        openid, phone = body.get("openid"), body.get("phone")
        if not isinstance(openid, str) or not isinstance(phone, str) or not phone:
            return hook_error(422, "invalid_request", "openid and phone are required")
        return jsonify(code=state.mint_phone_code(openid, phone))

    @app.post("/sandbox/subscribe-errors")
    def queue_subscribe_errors():
        """The next subscribe sends answer these errcodes, one each, in order (then sends work again)."""
        errcodes = json_body().get("errcodes")
        if not isinstance(errcodes, list) or not all(isinstance(c, int) and c != 0 for c in errcodes):
            return hook_error(422, "invalid_request", "errcodes must be a list of non-zero integers")
        with state.lock:
            state.subscribe_errors.extend(errcodes)
            return jsonify(queued=len(state.subscribe_errors))

    rule = app.add_url_rule
    rule("/sandbox/messages", "messages", lambda: jsonify(messages=state.sent_messages()))
    rule("/sandbox/stats", "stats", lambda: jsonify(state.stats()))
    rule("/sandbox/expire-token", "expire_token",
         lambda: jsonify(expired=state.expire_tokens()), methods=["POST"])
    rule("/sandbox/reset", "reset", lambda: jsonify(reset=_reset_all(app)), methods=["POST"])


def _reset_all(app):
    """Forget everything, WeChat Pay's side included."""
    for name in ("wechat_sandbox", "wechat_sandbox_pay"):
        if name in app.extensions:
            app.extensions[name].reset()
    return True
