"""Room names, in one place."""


def compound_room(compound_id: int) -> str:
    return f"compound:{compound_id}"


def courier_room(courier_id: int) -> str:
    return f"courier:{courier_id}"


def campaign_room(campaign_id: int) -> str:
    return f"campaign:{campaign_id}"
