"""Shoppers: WeChat login, profile from encrypted user info, phone number by code."""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import Shopper
from app.services.errors import NotFound
from wechat.crypto import decrypt_user_data
from wechat.gateway import WeChatGateway

MAX_AVATAR_URL = 500  # Shopper.avatar_url's column


def login_with_wechat(session: Session, gateway: WeChatGateway, code: str, now: datetime) -> Shopper:
    """Exchange a wx.login code for the shopper; the new session_key replaces the old one."""
    wx = gateway.code_to_session(code)
    for _ in range(2):
        shopper = session.scalar(select(Shopper).where(Shopper.openid == wx["openid"]))
        if shopper is None:
            shopper = Shopper(openid=wx["openid"], session_key=wx["session_key"])
            try:
                with session.begin_nested():
                    session.add(shopper)
            except IntegrityError:
                continue  # the same person's first login raced another: load theirs
        shopper.session_key = wx["session_key"]
        shopper.unionid = wx.get("unionid") or shopper.unionid
        shopper.last_login_at = now
        session.flush()
        return shopper
    raise RuntimeError("could not create or load the shopper")


def get_shopper(session: Session, shopper_id: int) -> Shopper:
    shopper = session.get(Shopper, shopper_id)
    if shopper is None:
        raise NotFound("No such shopper.")
    return shopper


def update_profile(shopper: Shopper, appid: str, encrypted_data: str, iv: str) -> Shopper:
    """Nickname and avatar from wx.getUserInfo's encrypted data, checked against our appid."""
    info = decrypt_user_data(shopper.session_key, encrypted_data, iv, appid)
    # Only text replaces the nickname, only an https URL the avatar (shown as an image by the
    # console and the H5 store): anything else leaves the shopper's previous one.
    nickname = info.get("nickName")
    if isinstance(nickname, str) and nickname.strip():
        shopper.nickname = nickname[:64]
    shopper.avatar_url = https_url(info.get("avatarUrl")) or shopper.avatar_url
    return shopper


def https_url(value) -> str | None:
    """The value when it is an https URL with a host that a column of 500 can hold, else None."""
    if not isinstance(value, str) or len(value) > MAX_AVATAR_URL or not value.isprintable():
        return None
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. an unclosed [ of an IPv6 host
        return None
    return value if parts.scheme == "https" and parts.hostname and " " not in value else None


def bind_phone(shopper: Shopper, gateway: WeChatGateway, code: str) -> str:
    shopper.phone = gateway.phone_number(code)
    return shopper.phone


def mask_phone(phone: str | None) -> str | None:
    """138****8000: enough for the shopper to recognise, too little to misuse."""
    if not phone:
        return None
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"
