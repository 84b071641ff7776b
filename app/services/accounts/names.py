"""The account name of a password sign-in (employee number, staff username), made comparable once."""
from __future__ import annotations

import unicodedata


def normalise_account_name(typed: str) -> str:
    """The name as looked up and as rate limited: NFKC (a Chinese keyboard's full-width "Ｅ１００１"
    is "E1001") without surrounding blanks. Case is kept: lookups are exact, and so are names."""
    return unicodedata.normalize("NFKC", typed).strip()
