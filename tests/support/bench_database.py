"""What the benchmarks know of their database (benchmarks/conftest.py makes and seeds it)."""

from __future__ import annotations

from dataclasses import dataclass

from tests.support.database import on_configured_server

BENCH_DATABASE_URL = on_configured_server("product_management_bench")
BENCH_USERS = 1
BENCH_PRODUCTS = 100_000
#: Only hashes keys for the seed user; nothing in the benchmarks authenticates.
BENCH_API_KEY_SECRET = "bench-secret"


@dataclass(frozen=True)
class BenchDatabase:
    url: str
    user_id: int
    products: int
    api_key: str
