"""Where shoppers live, told to the draw engine, which may keep it as a hint.

A hint only: a failure to tell it (Redis away) is logged, and the request that changed or
read the residence goes on.
"""
from __future__ import annotations

import logging

from app.wiring import draw_engine

log = logging.getLogger(__name__)


def remember_resident(shopper_id: int, compound_id: int) -> None:
    """The database just said the shopper lives in the compound (their socket connected at home)."""
    try:
        draw_engine().know_resident(shopper_id, compound_id)
    except Exception:
        log.warning("could not remember shopper %s lives in compound %s", shopper_id, compound_id, exc_info=True)


def residence_changed(shopper_id: int) -> None:
    """After the commit that gave the shopper another home or latest store."""
    try:
        draw_engine().residence_changed(shopper_id)
    except Exception:
        log.warning("could not forget where shopper %s was known to live", shopper_id, exc_info=True)
