"""Courier codes: the opaque token in a courier's badge link `<PUBLIC_URL>/s/<code>`.

Why random and not, say, the employee number or a hash of it:
- The code is printed on a badge and shown to every shopper who scans it, so it is public
  once issued, but it must not be *derivable*: anyone could otherwise walk
  `/s/1`, `/s/2`, ... and harvest every courier's name, photo and route, or print a
  badge that impersonates a courier they have never met.
- 12 random bytes from the OS CSPRNG (`secrets`) give 96 bits: enumerating even a
  vanishing fraction of that space is hopeless, and collisions are negligible
  (birthday bound ~2**48 codes); the unique column still backstops that.
- `token_urlsafe` yields 16 characters of `[A-Za-z0-9_-]`: safe in a URL path without
  escaping, short enough to keep the QR code at a low version (large, easy-to-scan
  modules), and well under the 40-character column.
- It carries no meaning, so rotating it (a lost badge) voids the old link and nothing
  else changes.
"""
from __future__ import annotations

import secrets

CODE_BYTES = 12  # 96 bits of entropy -> 16 URL-safe characters
MAX_CODE_LENGTH = 40  # the column width: Courier.courier_code is String(40)


def new_courier_code() -> str:
    """A fresh, unguessable, URL-safe courier code (16 characters, 96 random bits)."""
    return secrets.token_urlsafe(CODE_BYTES)

