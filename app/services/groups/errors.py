"""What a group deal refuses."""
from __future__ import annotations

from app.services.errors import ServiceError


class GroupFull(ServiceError):
    status, code, message = 409, "group_full", "This group is full."


class GroupClosed(ServiceError):
    status, code, message = 409, "group_closed", "This group is no longer taking joins."


class AlreadyJoined(ServiceError):
    status, code, message = 409, "already_joined", "You have joined this group already."
