"""The signed-in courier, kept in the state dir: server URL, token and the courier's route.

The file holds a bearer token, so it is private to the user (mode 0600, directory 0700)
and replaced atomically, never left half-written.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

DEFAULT_STATE_DIR = "~/.xiaoge-handheld"
STATE_FILE = "session.json"


@dataclass
class SignedIn:
    server: str
    token: str
    courier: dict = field(default_factory=dict)

    @property
    def courier_id(self) -> int | None:
        return self.courier.get("id")

    def compound_name(self, compound_id: int) -> str:
        """The compound's name on this courier's route, else its id."""
        for compound in self.courier.get("compounds", []):
            if compound.get("id") == compound_id:
                return compound.get("name") or f"compound {compound_id}"
        return f"compound {compound_id}"


def state_dir(path: str | None) -> Path:
    return Path(os.path.expanduser(path or DEFAULT_STATE_DIR))


def load(directory: Path) -> SignedIn | None:
    """The saved sign-in, or None when nobody signed in on this device (or the file is unreadable)."""
    try:
        data = json.loads((directory / STATE_FILE).read_text(encoding="utf-8"))
        return SignedIn(server=data["server"], token=data["token"], courier=data.get("courier") or {})
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save(directory: Path, signed_in: SignedIn) -> Path:
    """Write the sign-in with mode 0600, atomically."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = directory / STATE_FILE
    temporary = directory / f".{STATE_FILE}.{os.getpid()}"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        json.dump(asdict(signed_in), out, ensure_ascii=False, indent=1)
        out.flush()
        os.fsync(out.fileno())
    os.chmod(temporary, 0o600)  # even if a stale temporary file existed with looser bits
    os.replace(temporary, target)
    return target
