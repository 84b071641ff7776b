"""Verifiable draws: each round commits to a secret seed when it opens, every shake's number
comes from that seed and the shake_id, and once the round closes the seed and every shake are
published (API.md, "Verifiable draws") for anyone to check (handheld/verify.py).

numbers.py  the seed, its commitment, a shake's number and the prize interval it falls in
            (pure: both draw engines decide with it)
reveal.py   a closed round's draws: the seed and every shake in the order decided
"""
