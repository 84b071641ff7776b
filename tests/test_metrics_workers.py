"""Prometheus multiprocess mode under real gunicorn: two workers' counters add up on /metrics."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.parser import text_string_to_metric_families

from tests.real_server import Server, free_port, server_env

pytestmark = pytest.mark.real_server

REQUESTS = 200
TOKEN = "scrape-token"


def refusals_not_found(text: str) -> float:
    return sum(sample.value for family in text_string_to_metric_families(text) for sample in family.samples
               if sample.name == "xiaoge_refusals_total" and sample.labels == {"code": "not_found"})


def not_found_per_worker(directory) -> dict[str, float]:
    """What each worker wrote of xiaoge_refusals_total{code="not_found"} in its own file."""
    counts = {}
    for path in directory.glob("counter_*.db"):
        for key, value, *_ in MmapedDict.read_all_values_from_file(str(path)):
            if '"xiaoge_refusals_total"' in key and '"not_found"' in key and value:
                counts[path.stem] = counts.get(path.stem, 0) + value
    return counts


def test_two_workers_counters_add_up_on_metrics(tmp_path):
    directory = tmp_path / "prometheus"
    (directory).mkdir()
    (directory / "counter_99999.db").write_bytes(b"stale")  # a previous run's: on_starting clears it
    env = {**server_env(f"sqlite:///{tmp_path / 'unused.sqlite3'}", "http://127.0.0.1:9"),
           "PROMETHEUS_MULTIPROC_DIR": str(directory), "METRICS_TOKEN": TOKEN,
           "ROUND_SWEEPER": "0", "MESSAGE_SENDER": "0"}  # no tables here: no loop may look for work
    server = Server(env, free_port(), tmp_path / "server.log", workers=2)
    server.start()
    try:
        def miss(_):
            with requests.Session() as fresh:  # a new connection each: the workers take turns accepting
                return fresh.get(f"{server.url}/api/v1/no-such-path", timeout=10).status_code
        with ThreadPoolExecutor(16) as pool:
            assert set(pool.map(miss, range(REQUESTS))) == {404}
        scraped = [requests.get(f"{server.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"},
                                timeout=10) for _ in range(6)]
        per_worker = not_found_per_worker(directory)
    finally:
        server.stop()
    assert all(answer.status_code == 200 for answer in scraped), server.log_tail()
    # The sum, whichever worker answered the scrape:
    assert [refusals_not_found(answer.text) for answer in scraped] == [REQUESTS] * 6
    assert len(per_worker) == 2, per_worker  # both served some of them
    assert sum(per_worker.values()) == REQUESTS
