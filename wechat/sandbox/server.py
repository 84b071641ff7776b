"""A local stand-in of the WeChat API: same paths and answers, state in memory."""

import base64
import io
import secrets
import struct
import threading
import time
import zlib

from flask import Flask, jsonify, request

from wechat.sandbox.hooks import register_hooks
from wechat.sandbox.pay import register_pay
from wechat.sandbox.replies import json_body

CODE_TTL_SECONDS = 300  # WeChat's login codes live five minutes
TOKEN_TTL_SECONDS = 7200
ERRMSGS = {
    -1: "system error", 40002: "invalid grant_type", 40003: "invalid openid",
    40001: "invalid credential, access_token is invalid or not latest",
    40013: "invalid appid", 40029: "invalid code", 40037: "invalid template_id",
    40125: "invalid appsecret", 40163: "code been used", 40169: "invalid length for scene",
    40226: "high risk user", 41030: "invalid page", 47001: "data format error",
    45011: "api minute-quota reach limit  mustslower  retry next minute",
}


def _rand(nbytes=16):
    """A URL-safe random string."""
    return secrets.token_urlsafe(nbytes)


def wechat_error(errcode):
    """A WeChat-style error body (always HTTP 200, like WeChat)."""
    msg = ERRMSGS.get(errcode, "sandbox forced error")
    return jsonify(errcode=errcode, errmsg=f"{msg} rid: {secrets.token_hex(6)}")


class SandboxState:
    """Users, codes, tokens and sent messages; every access holds the lock."""

    def __init__(self, appid, secret):
        self.appid = appid
        self.secret = secret
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        """Forget everything (tokens included)."""
        with self.lock:
            self.users = {}         # openid -> {"session_key", "unionid"}
            self.login_codes = {}   # code -> {"openid", "force_errcode", "delay", "used", "at"}
            self.phone_codes = {}   # code -> {"openid", "phone", "used"}
            self.tokens = {}        # access_token -> expiry (epoch seconds)
            self.messages = []
            self.subscribe_errors = []  # errcodes the next subscribe sends answer, in order
            self.token_fetches = 0
            self.session_calls = 0

    def user(self, openid=None):
        """The user with `openid`, created on first sight (lock held by caller)."""
        openid = openid or "o" + _rand(20)
        return openid, self.users.setdefault(openid, {"session_key": None,
                                                      "unionid": "u" + _rand(20)})

    def issue_token(self):
        """A new access token; older ones stay valid until they expire, as on WeChat."""
        with self.lock:
            token = _rand(48)
            self.tokens[token] = time.time() + TOKEN_TTL_SECONDS
            self.token_fetches += 1
            return token

    def token_valid(self, token):
        """Whether `token` is a live access token."""
        with self.lock:
            return bool(token) and self.tokens.get(token, 0) > time.time()

    def expire_tokens(self):
        """Invalidate every access token; returns how many there were."""
        with self.lock:
            count, self.tokens = len(self.tokens), {}
            return count

    def mint_login_code(self, openid=None, force_errcode=None, delay=0.0):
        """A wx.login code for a new or existing user."""
        with self.lock:
            openid, _ = self.user(openid)
            code = _rand(24)
            self.login_codes[code] = {"openid": openid, "force_errcode": force_errcode,
                                      "delay": delay, "used": False, "at": time.time()}
            return code, openid

    def login_delay(self, code):
        """How long jscode2session should stall for this code (a test hook)."""
        with self.lock:
            return self.login_codes.get(code, {}).get("delay") or 0

    def redeem_login_code(self, code):
        """Use a login code once: (errcode, session dict)."""
        with self.lock:
            self.session_calls += 1
            entry = self.login_codes.get(code)
            if entry is None or time.time() - entry["at"] > CODE_TTL_SECONDS:
                return 40029, None
            if entry["force_errcode"]:
                return entry["force_errcode"], None
            if entry["used"]:
                return 40163, None
            entry["used"] = True
            openid, user = self.user(entry["openid"])
            # A new session_key on every login, as WeChat does.
            user["session_key"] = base64.b64encode(secrets.token_bytes(16)).decode("ascii")
            return 0, {"openid": openid, "session_key": user["session_key"],
                       "unionid": user["unionid"]}

    def session_key(self, openid):
        """The user's current session_key, or None."""
        with self.lock:
            user = self.users.get(openid)
            return user and user["session_key"]

    def mint_phone_code(self, openid, phone):
        """A getPhoneNumber code for `phone`."""
        with self.lock:
            self.user(openid)
            code = _rand(24)
            self.phone_codes[code] = {"openid": openid, "phone": phone, "used": False}
            return code

    def redeem_phone_code(self, code):
        """Use a phone code once: (errcode, phone)."""
        with self.lock:
            entry = self.phone_codes.get(code)
            if entry is None:
                return 40029, None
            if entry["used"]:
                return 40163, None
            entry["used"] = True
            return 0, entry["phone"]

    def record_message(self, message):
        """Remember a sent subscribe message; unknown users are refused."""
        with self.lock:
            if self.subscribe_errors:
                return self.subscribe_errors.pop(0)
            if message.get("touser") not in self.users:
                return 40003
            self.messages.append(dict(message, sent_at=time.time()))
            return 0

    def sent_messages(self):
        """A copy of the sent subscribe messages."""
        with self.lock:
            return list(self.messages)

    def stats(self):
        """Counters for tests."""
        with self.lock:
            return {"token_fetches": self.token_fetches, "session_calls": self.session_calls,
                    "users": len(self.users), "messages": len(self.messages)}


def make_png(text, width):
    """A PNG of a QR code of `text`, or a plain square when qrcode/pillow are missing."""
    try:
        import qrcode
    except ImportError:
        return _plain_png(width)
    buffer = io.BytesIO()
    # Nearest-neighbour (resample=0) keeps the modules crisp enough to scan.
    image = qrcode.make(text).get_image().convert("RGB").resize((width, width), resample=0)
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _plain_png(size):
    """A minimal valid greyscale PNG, built by hand."""
    def chunk(kind, data):
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + b"\xff" * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def create_sandbox_app(appid, secret, pay=None):
    """The sandbox Flask app; its state is at app.extensions["wechat_sandbox"].

    With `pay` (wechat.pay_keys.PayKeyFiles) it also stands in for WeChat Pay (wechat.sandbox.pay),
    its state at app.extensions["wechat_sandbox_pay"].
    """
    app = Flask("wechat_sandbox")
    app.json.ensure_ascii = False
    state = SandboxState(appid, secret)
    app.extensions["wechat_sandbox"] = state
    _register_wechat_api(app, state)
    register_hooks(app, state)
    if pay is not None:
        register_pay(app, appid, pay)
    return app


def _credentials_errcode(state, args):
    """The errcode for wrong appid/secret in query args, or 0."""
    if args.get("appid") != state.appid:
        return 40013
    if args.get("secret") != state.secret:
        return 40125
    return 0


def _register_wechat_api(app, state):
    """The WeChat API paths."""

    @app.before_request
    def require_token():
        """Calls other than token/jscode2session/hooks need a live access token."""
        if request.url_rule is None or request.path.startswith(
                ("/sandbox/", "/cgi-bin/token", "/sns/", "/v3/")):
            return None  # unknown paths 404; these need no token
        if not state.token_valid(request.args.get("access_token")):
            return wechat_error(40001)
        return None

    @app.get("/cgi-bin/token")
    def token():
        if request.args.get("grant_type") != "client_credential":
            return wechat_error(40002)
        errcode = _credentials_errcode(state, request.args)
        if errcode:
            return wechat_error(errcode)
        return jsonify(access_token=state.issue_token(), expires_in=TOKEN_TTL_SECONDS)

    @app.get("/sns/jscode2session")
    def jscode2session():
        errcode = _credentials_errcode(state, request.args)
        if errcode:
            return wechat_error(errcode)
        code = request.args.get("js_code", "")
        time.sleep(state.login_delay(code))  # outside the lock: only this caller waits
        errcode, session = state.redeem_login_code(code)
        return wechat_error(errcode) if errcode else jsonify(session)

    @app.post("/wxa/business/getuserphonenumber")
    def phone_number():
        errcode, phone = state.redeem_phone_code(str(json_body().get("code", "")))
        if errcode:
            return wechat_error(errcode)
        info = {"phoneNumber": phone, "purePhoneNumber": phone, "countryCode": "86",
                "watermark": {"timestamp": int(time.time()), "appid": state.appid}}
        return jsonify(errcode=0, errmsg="ok", phone_info=info)

    @app.post("/wxa/getwxacodeunlimit")
    def wxa_code():
        body = json_body()
        scene, page = str(body.get("scene", "")), body.get("page")
        if not scene or len(scene) > 32:
            return wechat_error(40169)
        if page is not None and (not isinstance(page, str) or page.startswith("/")):
            return wechat_error(41030)  # WeChat wants "pages/x/y", no leading slash
        try:
            width = min(max(int(body.get("width", 430)), 280), 1280)
        except (TypeError, ValueError):
            return wechat_error(47001)
        png = make_png(f"wxacode:{state.appid}:{page or ''}?scene={scene}", width)
        return app.response_class(png, mimetype="image/png")

    @app.post("/cgi-bin/message/subscribe/send")
    def subscribe_send():
        body = json_body()
        if not body.get("template_id"):
            return wechat_error(40037)
        if not isinstance(body.get("data"), dict):
            return wechat_error(47001)
        errcode = state.record_message(body)
        return wechat_error(errcode) if errcode else jsonify(errcode=0, errmsg="ok")
