"""``GET /metrics`` under gunicorn with two worker processes: every process is counted."""

from __future__ import annotations

import requests

from tests.support.accounts import sign_up_and_create


def sample(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{key}="{value}"' in line for key, value in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_metrics_count_routes_and_cache_results_across_processes(servers):
    # given: two gunicorn processes, one thread each, so both serve some of the requests
    server = servers(workers=2, threads=1)
    product, _ = sign_up_and_create(server.url)
    path = f"{server.url}/products/{product['id']}"
    before = requests.get(server.url + "/metrics", timeout=5).text
    # when: 1 miss then 9 hits, 5 health checks, 2 unknown products
    statuses = [requests.get(path, timeout=5).headers["X-Cache"] for _ in range(10)]
    for _ in range(5):
        requests.get(server.url + "/healthz", timeout=5)
    for _ in range(2):
        requests.get(server.url + "/products/999999", timeout=5)
    text = requests.get(server.url + "/metrics", timeout=5).text
    # then
    route = "/products/{product_id}"
    assert sample(text, "api_requests_total", route=route, method="GET", status="200") == 10
    assert sample(text, "api_requests_total", route=route, method="GET", status="404") == 2
    healthz = {"route": "/healthz", "status": "200"}
    assert (sample(text, "api_requests_total", **healthz)
            - sample(before, "api_requests_total", **healthz)) == 5
    assert sample(text, "api_requests_total", route="/products", method="POST") == 1
    assert sample(text, "api_product_cache_reads_total", result="hit") == statuses.count("HIT")
    assert sample(text, "api_product_cache_reads_total", result="miss") == (
        statuses.count("MISS") + 2)
    assert (sample(text, "api_request_duration_seconds_count", route="/healthz")
            - sample(before, "api_request_duration_seconds_count", route="/healthz")) == 5
    assert "outbox_depth" in text
