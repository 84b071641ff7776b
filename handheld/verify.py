"""`python -m handheld.verify BASE_URL ROUND_ID [--commitment HEX]`: check a closed round's draws.

Anyone can run it (no sign-in): it fetches `GET /api/v1/shake-rounds/<id>/draws` (API.md,
"Verifiable draws") and checks, with nothing of the server's code:
- the revealed seed is the one committed to when the round opened: sha256(seed) == seed_sha256
  (and == --commitment, the value the shopper saw in `shake_open` or the round's endpoint);
- every shake's number is HMAC-SHA256(key=seed, msg=shake_id)[:8] as a big-endian integer / 2**64;
- every outcome follows from its number: the prizes split [0, 1) in their order, each taking
  its win_probability; a win's prize_index is the share its number fell in; a number in no
  share loses. A lose inside a share is allowed (stock, pacing or the shopper's limits said
  no): they are counted, not faulted.

Exit status: 0 all good; 1 problems found (the first ones printed); 2 the draws could not be
read (unreachable, unknown round, still open); 64 bad command line.
`check_draws` is the whole check as a pure function of the published body.
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import sys
from dataclasses import dataclass, field

import requests

OK, PROBLEMS, UNREADABLE, USAGE = 0, 1, 2, 64
TIMEOUT = (5.0, 30.0)
SHOWN_PROBLEMS = 10


def shake_number(seed: bytes, shake_id: str) -> float:
    digest = hmac.digest(seed, shake_id.encode("utf-8"), "sha256")  # one-shot: the C path, ~1 µs
    return int.from_bytes(digest[:8], "big") / 2 ** 64


def share_of(number: float, probabilities: list[float]) -> int | None:
    """The prize whose share of [0, 1) holds the number (shares laid end to end in order), or None."""
    upper = 0.0
    for index, probability in enumerate(probabilities):
        upper += probability
        if number < upper:
            return index
    return None


@dataclass
class Verdict:
    shakes: int = 0
    wins: int = 0
    refused_in_share: int = 0  # loses whose number fell in a prize's share: stock or limits said no
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_draws(draws: dict, commitment: str | None = None) -> Verdict:
    """Every check of the module docstring, on the body of GET .../draws."""
    verdict = Verdict()
    try:
        seed = bytes.fromhex(draws["seed"])
    except (KeyError, TypeError, ValueError):
        verdict.problems.append("the seed is not hex")
        return verdict
    revealed = hashlib.sha256(seed).hexdigest()
    if revealed != draws.get("seed_sha256"):
        verdict.problems.append(f"sha256(seed) is {revealed}, not the round's seed_sha256 {draws.get('seed_sha256')}")
    if commitment is not None and revealed != commitment.lower():
        verdict.problems.append(f"sha256(seed) is {revealed}, not the commitment given {commitment}")
    prizes = draws.get("prizes") or []
    if [p.get("index") for p in prizes] != list(range(len(prizes))):
        verdict.problems.append("the prizes are not listed in order of their index")
    probabilities = [float(p.get("win_probability", 0)) for p in prizes]
    seen: set[str] = set()
    for shake in draws.get("shakes") or []:
        verdict.shakes += 1
        check_shake(shake, seed, probabilities, seen, verdict)
    return verdict


def check_shake(shake: dict, seed: bytes, probabilities: list[float], seen: set[str], verdict: Verdict) -> None:
    shake_id = str(shake.get("shake_id"))
    if shake_id in seen:
        verdict.problems.append(f"shake {shake_id}: listed twice")
    seen.add(shake_id)
    number = shake_number(seed, shake_id)
    if shake.get("number") != number:
        verdict.problems.append(f"shake {shake_id}: number {shake.get('number')} "
                                f"but HMAC(seed, shake_id) gives {number}")
    share = share_of(number, probabilities)
    result, prize_index = shake.get("result"), shake.get("prize_index")
    if result == "win":
        verdict.wins += 1
        if share is None:
            verdict.problems.append(f"shake {shake_id}: won with {number}, which is in no prize's share")
        elif prize_index != share:
            verdict.problems.append(f"shake {shake_id}: won prize {prize_index}, "
                                    f"but {number} is in prize {share}'s share")
    elif result == "lose":
        if prize_index is not None:
            verdict.problems.append(f"shake {shake_id}: lost, yet names prize {prize_index}")
        if share is not None:
            verdict.refused_in_share += 1
    else:
        verdict.problems.append(f"shake {shake_id}: result {result!r} is neither win nor lose")


def fetch_draws(base_url: str, round_id: int, http: requests.Session | None = None) -> dict:
    """The published draws; RuntimeError saying why they cannot be read."""
    url = f"{base_url.rstrip('/')}/api/v1/shake-rounds/{round_id}/draws"
    try:
        answer = (http or requests).get(url, timeout=TIMEOUT)
    except requests.RequestException as error:
        raise RuntimeError(f"{url}: unreachable ({error})") from error
    if answer.status_code != 200:
        try:
            error = answer.json()["error"]
            why = f"{error['code']}: {error['message']}"
        except (ValueError, KeyError, TypeError):
            why = answer.text[:200]
        raise RuntimeError(f"{url}: {answer.status_code} {why}")
    return answer.json()


class Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(USAGE, f"{self.prog}: error: {message}\n")


def main(argv: list[str] | None = None, http: requests.Session | None = None) -> int:
    parser = Parser(prog="python -m handheld.verify", description="Check a closed shake round's draws.")
    parser.add_argument("base_url", help="the server, e.g. https://shop.example.com")
    parser.add_argument("round_id", type=int)
    parser.add_argument("--commitment", metavar="HEX", help="the seed_sha256 seen when the round opened")
    args = parser.parse_args(argv)
    try:
        draws = fetch_draws(args.base_url, args.round_id, http)
    except RuntimeError as error:
        print(f"cannot verify: {error}", file=sys.stderr)
        return UNREADABLE
    verdict = check_draws(draws, args.commitment)
    print(f"round {args.round_id}: {verdict.shakes} shakes, {verdict.wins} wins, {verdict.refused_in_share} "
          f"loses inside a prize's share (stock, pacing or limits said no)")
    if verdict.ok:
        print("OK: the seed matches its commitment and every outcome follows from its number")
        return OK
    for problem in verdict.problems[:SHOWN_PROBLEMS]:
        print(f"PROBLEM: {problem}")
    if len(verdict.problems) > SHOWN_PROBLEMS:
        print(f"... and {len(verdict.problems) - SHOWN_PROBLEMS} more")
    return PROBLEMS


if __name__ == "__main__":
    raise SystemExit(main())
