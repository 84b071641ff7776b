"""A malformed shake body: the error shape, never a 500 and never a shake counted.

The shake endpoint loads its body itself (app/api/bodies.py, without webargs): these pin that
its errors are the ones every other endpoint gives.
"""
from __future__ import annotations

import json

import pytest

from tests.assertions import assert_error as assert_error_shape
from tests.assertions import assert_invalid
from tests.test_shakes import open_round

# Refused before the database answers: SQLite is enough, except for NUL and a lone surrogate.
pytestmark = pytest.mark.one_database


@pytest.fixture
def shake_url(make):
    home = make.compound()
    _, round_id = open_round(make, home)
    _, headers = make.shopper(home=home)
    return f"/api/v1/shake-rounds/{round_id}/shakes", headers


def post_raw(client, shake_url, raw, content_type="application/json"):
    path, headers = shake_url
    return client.post(path, headers=headers, data=raw, content_type=content_type)


@pytest.mark.parametrize("raw", ['{"shake_id": "s1",', "{'shake_id': 's1'}", "shake", b'{"shake_id": "\xff"}'])
def test_a_body_that_is_not_json_is_400_invalid_json(client, shake_url, raw):
    assert_error_shape(post_raw(client, shake_url, raw), 400, "invalid_json")


def test_a_deeply_nested_body_is_refused_with_the_error_shape(client, shake_url):
    answer = post_raw(client, shake_url, "[" * 100_000)
    assert_error_shape(answer, 400, "invalid_json")


@pytest.mark.parametrize("raw", ["[]", '["s1"]', "42", '"s1"', "null", "true", ""])
def test_a_body_that_is_not_an_object_is_invalid_request(client, shake_url, raw):
    assert_invalid(post_raw(client, shake_url, raw))


@pytest.mark.parametrize("body", [{}, {"shake_id": None}, {"shake_id": ""}, {"shake_id": 7}, {"shake_id": ["s1"]},
                                  {"shake_id": "x" * 101}, {"shake_id": "s\u0000"}, {"shake_id": "\ud800"}])
@pytest.mark.both_databases
def test_a_bad_shake_id_is_invalid_request_naming_it(client, shake_url, body):
    assert_invalid(post_raw(client, shake_url, json.dumps(body)), "shake_id")


def test_a_refused_body_counts_no_shake(client, shake_url):
    post_raw(client, shake_url, '{"shake_id": ')
    path, headers = shake_url
    answer = client.post(path, headers=headers, json={"shake_id": "s1"})
    assert answer.status_code == 200 and answer.get_json()["shakes_left"] == 2


def test_a_form_encoded_body_is_invalid_request(client, shake_url):
    assert_invalid(post_raw(client, shake_url, "shake_id=s1", "application/x-www-form-urlencoded"), "shake_id")
