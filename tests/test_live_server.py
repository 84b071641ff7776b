"""The test server's own rules (tests/live_server.py)."""
import pytest
from simple_websocket import ConnectionClosed
from wsproto.utilities import LocalProtocolError

from tests.live_server import start_tolerating_close_races


def run_now(target, *args, **kwargs):
    """A start_background_task that runs the task in the caller's thread."""
    return target(*args, **kwargs)


def named_writer(error: BaseException):
    def writer():
        raise error
    return writer


@pytest.mark.parametrize("race", [ConnectionClosed(), LocalProtocolError("closed"), ConnectionResetError()])
def test_a_writer_losing_the_close_race_ends_quietly(race):
    start_tolerating_close_races(run_now, named_writer(race))


def test_a_writer_failing_otherwise_still_fails():
    with pytest.raises(ValueError):
        start_tolerating_close_races(run_now, named_writer(ValueError("a bug")))


def test_other_tasks_are_started_untouched():
    def pinger():
        raise ConnectionClosed()
    with pytest.raises(ConnectionClosed):
        start_tolerating_close_races(run_now, pinger)
