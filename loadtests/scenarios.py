"""Helpers of the Locust scenarios (``loadtests/locustfile.py``): settings, request names,
checks, random input.

Apart from the locustfile, and free of Locust imports, so that tests can import them:
importing ``locust`` monkey-patches the whole process for gevent.
"""

from __future__ import annotations

import os
import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from loadtests.vocabulary import WORDS

#: ``(option dest, environment variable, command-line option, help)`` of every setting. The
#: locustfile registers them as Locust options, so they can be given either way and show as
#: editable "custom parameters" in the web UI.
OPTIONS: tuple[tuple[str, str, str, str], ...] = (
    ("user_id", "LOCUST_USER_ID", "--user-id",
     "seeded user whose products ListUser lists"),
    ("api_key", "LOCUST_API_KEY", "--api-key",
     "that user's API key (CreateUser, MixedUser)"),
    ("product_ids", "LOCUST_PRODUCT_IDS", "--product-ids",
     "existing product ids: 'first-last' or '1,2,3'"),
    ("hot_ids", "LOCUST_HOT_IDS", "--hot-ids",
     "how many of those ids the cached reads use (default 20)"),
    ("uncached_host", "LOCUST_UNCACHED_HOST", "--uncached-host",
     "UncachedReadUser's host, an API with CACHE_ENABLED=false (default: --host)"),
    ("image_base", "LOCUST_IMAGE_BASE", "--image-base",
     "prefix of the image URLs CreateUser sends (default http://127.0.0.1:9/img)"),
)
ENV_VARS = {dest: env_var for dest, env_var, _, _ in OPTIONS}
DEFAULT_HOT_IDS = 20
# Port 9 is "discard": nothing listens there, so image workers, if running, fail fast.
DEFAULT_IMAGE_BASE = "http://127.0.0.1:9/img"
PAGE_SIZE = 20

# Request names: one per kind of request, never per id, so the stats stay a short table.
HOT_READ = "/products/[id] hot"
RANDOM_READ = "/products/[id] random"
UNCACHED_READ = "/products/[id] uncached"
CREATE_PLAIN = "create (no images)"
CREATE_IMAGES = "create (10 images)"
IMAGES_PER_PRODUCT = 10  # the API's maximum


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names its environment variable."""


@dataclass(frozen=True)
class Settings:
    user_id: int | None
    api_key: str
    #: Every product id the reads may ask for (a ``range`` for "first-last", so 100,000 ids
    #: cost nothing), and the first ``hot_ids`` of them: the hot set, the same for every
    #: simulated user so that it stays in the cache.
    product_ids: Sequence[int]
    hot_ids: Sequence[int]
    uncached_host: str
    image_base: str

    def require(self, scenario: str, *names: str) -> None:
        """Raise :class:`SettingsError` unless every named setting was given."""
        missing = [ENV_VARS[name] for name in names if not getattr(self, name)]
        if missing:
            raise SettingsError(
                f"{scenario} needs {', '.join(missing)} (see loadtests/locustfile.py)")


def settings_from(options: object | None) -> Settings:
    """The settings from Locust's parsed options, else (Locust used as a library) from
    the environment variables."""
    raw = []
    for dest, env_var, _, _ in OPTIONS:
        value = getattr(options, dest, None) if options is not None else None
        raw.append(str(value if value is not None else os.environ.get(env_var, "")).strip())
    return _parse(*raw)


@lru_cache(maxsize=8)  # every simulated user asks; the answer only changes with the options
def _parse(user_id: str, api_key: str, product_ids: str, hot_ids: str, uncached_host: str,
           image_base: str) -> Settings:
    ids = parse_ids(product_ids)
    hot = _positive_int(hot_ids, "LOCUST_HOT_IDS") if hot_ids else DEFAULT_HOT_IDS
    return Settings(
        user_id=_positive_int(user_id, "LOCUST_USER_ID") if user_id else None,
        api_key=api_key,
        product_ids=ids,
        hot_ids=ids[:hot],
        uncached_host=uncached_host.rstrip("/"),
        image_base=(image_base or DEFAULT_IMAGE_BASE).rstrip("/"),
    )


def parse_ids(text: str) -> Sequence[int]:
    """``"first-last"`` (inclusive) or ``"1,2,3"``; ``""`` is no ids."""
    text = text.replace(" ", "")
    if not text:
        return ()
    if "-" in text and "," not in text:
        first, _, last = text.partition("-")
        low = _positive_int(first, "LOCUST_PRODUCT_IDS")
        high = _positive_int(last, "LOCUST_PRODUCT_IDS")
        if low > high:
            raise SettingsError(f"LOCUST_PRODUCT_IDS: {text!r} is an empty range")
        return range(low, high + 1)
    return tuple(_positive_int(part, "LOCUST_PRODUCT_IDS") for part in text.split(",") if part)


def _positive_int(text: str, env_var: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise SettingsError(f"{env_var}: {text!r} is not an integer") from None
    if value < 1:
        raise SettingsError(f"{env_var}: {text!r} is not positive")
    return value


def expect(response, status: int, *, cache_header: bool = False) -> None:
    """Mark ``response`` (a ``catch_response=True`` context) failed unless it is ``status``
    (and, with ``cache_header``, carries ``X-Cache: HIT|MISS``).

    Failure messages name no id, so Locust's failure table groups them as its stats do.
    """
    if response.status_code == 0:
        return  # no response at all: Locust reports the connection error itself
    if response.status_code == 429 and status != 429:
        response.failure("429: the API's rate limit is on; load tests need it off "
                         "(RATE_LIMIT_WRITES_PER_MINUTE=0 on the API under test)")
    elif response.status_code != status:
        response.failure(f"expected {status}, got {response.status_code}")
    elif cache_header and response.headers.get("X-Cache") not in ("HIT", "MISS"):
        response.failure("no X-Cache: HIT|MISS header")
    else:
        response.success()


# Random list filters, the four kinds of benchmarks/test_list_query.py (equally often, so
# the per-kind figures compare with the benchmark's): a price window, a vocabulary word of
# 3+ letters, 1-2 letters of a word (the trigram index cannot help), and a word plus a window.

def _money(value: float) -> str:
    # Seeded prices are 0.50..999.99.
    return str(Decimal(f"{min(max(value, 0.50), 999.99):.2f}"))


def price_window(rng: random.Random) -> dict[str, str]:
    """Both ends or one; widths log-uniform from 1.00 to 1,000.00 (narrow windows suit the
    price index, wide ones the newest-first scan, the middle makes the planner guess)."""
    low = rng.uniform(0.50, 999.99)
    shape = rng.random()
    if shape < 0.15:
        return {"min_price": _money(low)}
    if shape < 0.30:
        return {"max_price": _money(low)}
    return {"min_price": _money(low), "max_price": _money(low + 10 ** rng.uniform(0, 3))}


def word(rng: random.Random) -> str:
    # Any case: the filter is case-insensitive, and clients do not normalise.
    return rng.choice((str.lower, str.upper, str.title))(rng.choice(WORDS))


def short_name(rng: random.Random) -> str:
    """One or two consecutive letters of a vocabulary word, as a client typing would send."""
    chosen = rng.choice(WORDS)
    length = rng.choice((1, 2))
    start = rng.randrange(len(chosen) - length + 1)
    return chosen[start:start + length]


#: Request name (the kind, so the stats show each kind's latency) -> filter maker.
LIST_FILTERS = {
    "/products?price": price_window,
    "/products?name": lambda rng: {"name": word(rng)},
    "/products?short name": lambda rng: {"name": short_name(rng)},
    "/products?name+price": lambda rng: {"name": word(rng), **price_window(rng)},
}
NEXT_PAGE = "/products?cursor"


def product_body(rng: random.Random, *, images: int = 0, image_base: str = "") -> dict:
    """A valid ``POST /products`` body; the image URLs are unique, as real uploads are, so
    each is a new download for the workers rather than a copy they already made."""
    token = f"{rng.getrandbits(64):016x}"
    return {
        "product_name": f"{rng.choice(WORDS)} {rng.choice(WORDS)}",
        "product_description": "locust load test",
        "product_price": _money(rng.uniform(0.50, 999.99)),
        "product_images": [f"{image_base}/{token}-{index}.jpg" for index in range(images)],
    }


def expect_images(response, count: int) -> None:
    """Mark a created product's ``response`` failed unless its ``images`` has one pending
    entry per source URL (docs/api.md), as a client building ``<picture>`` relies on."""
    if response.status_code != 201:
        return  # expect() has judged it already
    try:
        images = response.json()["images"]
    except (ValueError, KeyError, TypeError):
        response.failure("no images in the created product")
        return
    if len(images) != count or any(image.get("status") != "pending" for image in images):
        response.failure("images do not follow product_images")
