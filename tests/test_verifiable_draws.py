"""Verifiable draws (API.md): a round commits to a secret seed, each shake's number is
HMAC(seed, shake_id) and picks the prize whose share of [0, 1) holds it, on both draw engines;
once the round closes its draws are published and `python -m handheld.verify` checks them."""
from __future__ import annotations

import hashlib
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.extensions import db, socketio
from app.models import RoundPrize, Shake, ShakeRound
from app.services.draws import numbers
from app.services.draws.reveal import DrawsLedger, hashed_shopper
from handheld import verify
from tests.console_web import console_fixture, text  # noqa: F401  (the fixture `console`)
from tests.draws import shake_id_in_share
from tests.factories import now
from tests.real_server import ROOT
from tests.test_prize_budget import close_now
from tests.test_shakes import release_all_stock

# HMAC-SHA256(key=bytes(range(32)), msg=b"shake-42"), by `openssl dgst -sha256 -mac HMAC`:
# 4588960ec839503effe55a9a0334b5621ca487fdff2bf512b5973a9b5fbd022d; its first 8 bytes, over 2**64.
SEED = bytes(range(32))
NUMBER_OF_SHAKE_42 = 0x4588960EC839503E / 2 ** 64


@pytest.fixture(params=["sql", "redis"])
def shake_draws(request):
    """Every test here that shakes runs on both draw engines."""
    return request.param


def test_a_shakes_number_is_the_first_8_bytes_of_the_hmac_over_2_to_the_64():
    assert numbers.shake_number(SEED, "shake-42") == NUMBER_OF_SHAKE_42 == pytest.approx(0.2716154, abs=1e-7)
    assert verify.shake_number(SEED, "shake-42") == NUMBER_OF_SHAKE_42  # the verifier, on its own
    assert numbers.commitment(SEED) == hashlib.sha256(SEED).hexdigest()


def test_the_prizes_split_zero_to_one_in_their_order():
    shares = [0.25, 0.5]
    picks = [numbers.prize_index(n, shares) for n in (0.0, 0.2499, 0.25, 0.7499, 0.75, 0.9999)]
    assert picks == [0, 0, 1, 1, None, None]
    assert [verify.share_of(n, shares) for n in (0.0, 0.2499, 0.25, 0.7499, 0.75, 0.9999)] == picks
    assert numbers.prize_index(0.99, [0.7, 0.7]) == 1  # shares past 1 are cut short


def two_coupon_round(make, shakes_per_shopper=12, wins_per_shopper=12):
    """A round whose two coupon prizes take 0.3 of [0, 1) each, stock for every shake, all released."""
    home = make.compound()
    courier = make.courier([home])
    first = make.coupon_template([home], title="一等券", total=500, per_shopper_limit=100)
    second = make.coupon_template([home], title="二等券", total=500, per_shopper_limit=100)
    make.campaign([home], shakes_per_shopper=shakes_per_shopper, wins_per_shopper=wins_per_shopper, prizes=[
        {"kind": "coupon", "coupon_template_id": first.id, "per_round": 100, "win_probability": 0.3},
        {"kind": "coupon", "coupon_template_id": second.id, "per_round": 100, "win_probability": 0.3}])
    round_id = make.arrival(courier, home).get_json()["rounds"][0]["id"]
    release_all_stock(round_id)
    return home, round_id


def seed_of(round_id: int) -> bytes:
    db.session.expire_all()
    return db.session.get(ShakeRound, round_id).seed


def shake_a_round(make, home, round_id, shoppers=3, each=12) -> list[tuple[str, dict]]:
    """Every shopper shakes `each` times; (shake_id, answer body) of each shake."""
    answers = []
    for s in range(shoppers):
        _, headers = make.shopper(home=home)
        for n in range(each):
            shake_id = f"r{round_id}-s{s}-n{n}"
            answer = make.shake(round_id, headers, shake_id=shake_id)
            assert answer.status_code == 200, answer.get_json()
            answers.append((shake_id, answer.get_json()))
    make.settle()
    return answers


def test_each_shake_wins_the_prize_its_number_falls_in_while_stock_lasts(make):
    home, round_id = two_coupon_round(make)
    seed = seed_of(round_id)

    answers = shake_a_round(make, home, round_id)

    titles = {0: "一等券", 1: "二等券", None: None}
    expected = [titles[numbers.prize_index(numbers.shake_number(seed, shake_id), [0.3, 0.3])]
                for shake_id, _ in answers]
    got = [body["prize"]["title"] if body["result"] == "win" else None for _, body in answers]
    assert got == expected
    assert {None, "一等券", "二等券"} <= set(got)  # 36 shakes: all three outcomes happen (seeded at random)


def test_a_number_in_a_prize_out_of_stock_loses_rather_than_falling_to_the_next(make):
    home, round_id = two_coupon_round(make)
    seed = seed_of(round_id)
    first_prize = db.session.get(ShakeRound, round_id).prizes[0]
    db.session.execute(update(RoundPrize).where(RoundPrize.id == first_prize.id).values(stock=0))
    db.session.commit()

    answers = shake_a_round(make, home, round_id, shoppers=2)

    for shake_id, body in answers:
        drawn = numbers.prize_index(numbers.shake_number(seed, shake_id), [0.3, 0.3])
        assert body["result"] == ("win" if drawn == 1 else "lose"), (shake_id, drawn)


def test_draws_are_409_round_open_until_it_closes_and_404_for_an_unknown_round(client, make):
    home, round_id = two_coupon_round(make)

    still_open = client.get(f"/api/v1/shake-rounds/{round_id}/draws")
    unknown = client.get(f"/api/v1/shake-rounds/{round_id + 1000}/draws")

    assert still_open.status_code == 409
    assert still_open.get_json()["error"]["code"] == "round_open"
    assert unknown.status_code == 404
    close_now(round_id)
    assert client.get(f"/api/v1/shake-rounds/{round_id}/draws").status_code == 200


def test_the_seed_is_committed_to_and_never_shown_while_the_round_is_open(app, client, make, console):
    home = make.compound()
    courier = make.courier([home])
    campaign = make.campaign([home])
    shopper_id, headers = make.shopper(home=home)
    socket = socketio.test_client(app, namespace="/shopper", auth={"token": headers["Authorization"].split()[1]},
                                  flask_test_client=client)
    arrived = make.arrival(courier, home)
    round_id = arrived.get_json()["rounds"][0]["id"]
    seed = seed_of(round_id)
    commitment = hashlib.sha256(seed).hexdigest()

    heard = [e["args"][0] for e in socket.get_received("/shopper") if e["name"] == "shake_open"]
    current = client.get(f"/api/v1/compounds/{home.id}/shake", headers=headers)
    shaken = make.shake(round_id, headers)
    over_socket = socket.emit("shake", {"round_id": round_id, "shake_id": "sock-1"}, namespace="/shopper",
                              callback=True)
    draws = client.get(f"/api/v1/shake-rounds/{round_id}/draws")
    marketer = console("marketing")
    dashboard = marketer.get(f"/console/campaigns/{campaign.id}/live.json")
    page = marketer.get(f"/console/campaigns/{campaign.id}/live")

    assert heard[0]["seed_sha256"] == commitment
    assert current.get_json()["round"]["seed_sha256"] == commitment
    assert dashboard.get_json()["rounds"][0]["seed_sha256"] == commitment
    everything = [str(heard), current.get_data(as_text=True), shaken.get_data(as_text=True), str(over_socket),
                  draws.get_data(as_text=True), dashboard.get_data(as_text=True), text(page),
                  arrived.get_data(as_text=True)]
    assert not [body for body in everything if seed.hex() in body.lower()]


def test_the_published_draws_list_every_shake_in_order_with_its_number_and_outcome(client, make):
    home, round_id = two_coupon_round(make)
    answers = shake_a_round(make, home, round_id, shoppers=2, each=5)
    close_now(round_id)

    draws = client.get(f"/api/v1/shake-rounds/{round_id}/draws").get_json()

    seed = bytes.fromhex(draws["seed"])
    assert seed == seed_of(round_id)
    assert draws["seed_sha256"] == hashlib.sha256(seed).hexdigest()
    assert draws["prizes"] == [{"index": 0, "kind": "coupon", "win_probability": 0.3},
                               {"index": 1, "kind": "coupon", "win_probability": 0.3}]
    assert sorted(s["shake_id"] for s in draws["shakes"]) == sorted(shake_id for shake_id, _ in answers)
    by_id = {s["shake_id"]: s for s in draws["shakes"]}
    for shake_id, body in answers:
        listed = by_id[shake_id]
        assert listed["result"] == body["result"]
        assert listed["number"] == numbers.shake_number(seed, shake_id)
        assert (listed["prize_index"] is None) == (body["result"] == "lose")
    assert [s["at"] for s in draws["shakes"]] == sorted(s["at"] for s in draws["shakes"])
    shoppers = {s["shopper"] for s in draws["shakes"]}
    assert len(shoppers) == 2 and not shoppers & {str(i) for i in range(10_000)}


def test_a_shopper_hash_is_stable_within_a_round_and_differs_across_rounds():
    ledger = DrawsLedger("a server key", cache_seconds=0)
    assert hashed_shopper(ledger.shopper_key, 1, 7) == hashed_shopper(ledger.shopper_key, 1, 7)
    assert hashed_shopper(ledger.shopper_key, 1, 7) != hashed_shopper(ledger.shopper_key, 2, 7)
    assert hashed_shopper(ledger.shopper_key, 1, 7) != hashed_shopper(DrawsLedger("another").shopper_key, 1, 7)


@pytest.fixture
def closed_round(make):
    """A closed round of the suite, shaken by three shoppers: (round_id, its commitment)."""
    home, round_id = two_coupon_round(make)
    shake_a_round(make, home, round_id, shoppers=3, each=8)
    close_now(round_id)
    commitment = hashlib.sha256(seed_of(round_id)).hexdigest()
    db.session.commit()  # SQLite: the live server's thread reads without waiting on this session
    return round_id, commitment


def test_the_verifier_passes_on_a_real_round(live_server, closed_round, capsys):
    round_id, commitment = closed_round

    status = verify.main([live_server.url, str(round_id), "--commitment", commitment])

    assert status == verify.OK, capsys.readouterr()
    assert "24 shakes" in capsys.readouterr().out


def test_python_m_handheld_verify_runs_as_a_command(live_server, closed_round):
    round_id, commitment = closed_round
    done = subprocess.run([sys.executable, "-m", "handheld.verify", live_server.url, str(round_id),
                           "--commitment", commitment], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith(f"round {round_id}: 24 shakes")


def test_the_verifier_catches_one_changed_outcome(live_server, closed_round, capsys):
    round_id, commitment = closed_round
    seed = seed_of(round_id)
    loses = db.session.scalars(select(Shake).where(Shake.round_id == round_id, Shake.won.is_(False))
                               .order_by(Shake.id)).all()
    # A lose whose number is not in prize 0's share (a lose inside it would be a fair refusal):
    lost = next(s for s in loses if numbers.prize_index(numbers.shake_number(seed, s.shake_id), [0.3, 0.3]) != 0)
    lost.won, lost.round_prize_id = True, db.session.get(ShakeRound, round_id).prizes[0].id  # now a win of prize 0
    db.session.commit()

    status = verify.main([live_server.url, str(round_id), "--commitment", commitment])

    assert status == verify.PROBLEMS
    assert f"PROBLEM: shake {lost.shake_id}: won" in capsys.readouterr().out


def test_the_verifier_catches_a_wrong_commitment(live_server, closed_round, capsys):
    round_id, _ = closed_round
    assert verify.main([live_server.url, str(round_id), "--commitment", "00" * 32]) == verify.PROBLEMS
    assert "not the commitment given" in capsys.readouterr().out


def test_the_verifier_catches_a_changed_seed(live_server, closed_round, capsys):
    round_id, commitment = closed_round
    db.session.execute(update(ShakeRound).where(ShakeRound.id == round_id).values(seed=bytes(32)))
    db.session.commit()

    assert verify.main([live_server.url, str(round_id)]) == verify.PROBLEMS
    out = capsys.readouterr().out
    assert f"not the round's seed_sha256 {commitment}" in out  # the commitment made at open stands


def test_the_verifier_cannot_verify_an_open_round(live_server, make, capsys):
    _, round_id = two_coupon_round(make)
    assert verify.main([live_server.url, str(round_id)]) == verify.UNREADABLE
    assert "409 round_open" in capsys.readouterr().err


def test_check_draws_is_a_pure_function_of_the_published_body():
    draws = {"seed": SEED.hex(), "seed_sha256": hashlib.sha256(SEED).hexdigest(),
             "prizes": [{"index": 0, "kind": "coupon", "win_probability": 0.5}],
             "shakes": [{"shake_id": "shake-42", "shopper": "x", "at": now().isoformat(),
                         "number": NUMBER_OF_SHAKE_42, "result": "lose", "prize_index": None}]}
    fair = verify.check_draws(draws)
    assert fair.ok and (fair.shakes, fair.wins, fair.refused_in_share) == (1, 0, 1)  # 0.27 < 0.5: stock said no
    draws["prizes"][0]["win_probability"] = 0.25
    draws["shakes"][0].update(result="win", prize_index=0)  # 0.27 is past prize 0's share [0, 0.25)
    assert not verify.check_draws(draws).ok


def test_a_round_closed_a_while_ago_is_served_from_the_cache_a_fresh_one_never(client, make):
    home, settled_round = two_coupon_round(make)
    _, fresh_round = two_coupon_round(make)
    _, headers = make.shopper(home=home)
    assert make.shake(settled_round, headers, shake_id_in_share(settled_round, 0)).get_json()["result"] == "win"
    db.session.get(ShakeRound, settled_round).closes_at = now() - timedelta(minutes=1)  # past SETTLE_SECONDS
    close_now(fresh_round)
    before = [client.get(f"/api/v1/shake-rounds/{r}/draws").get_json() for r in (settled_round, fresh_round)]

    db.session.execute(update(Shake).where(Shake.round_id == settled_round).values(won=False, round_prize_id=None))
    make_up_a_shake(fresh_round)
    after = [client.get(f"/api/v1/shake-rounds/{r}/draws").get_json() for r in (settled_round, fresh_round)]

    assert [s["result"] for s in before[0]["shakes"]] == ["win"]
    assert after[0] == before[0]  # kept as built (SHAKE_DRAWS_CACHE_SECONDS), though the row changed since
    assert len(after[1]["shakes"]) == len(before[1]["shakes"]) + 1  # built again: a lose written behind shows


def make_up_a_shake(round_id: int) -> None:
    """A lose row, as the Redis engine's log writer adds one behind the answer."""
    shopper_id = db.session.scalars(select(Shake.shopper_id).limit(1)).first()
    db.session.add(Shake(round_id=round_id, shopper_id=shopper_id, shake_id=f"late-{round_id}", won=False))
    db.session.commit()
