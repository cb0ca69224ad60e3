"""Locust scenarios for the product-catalog API.

Seed data first (``python -m loadtests.seed --users 1 --products 100000`` prints the user id
and a fresh API key) and find the seeded id range, e.g.::

    psql "$DATABASE_URL" -Atc "SELECT min(id) || '-' || max(id) FROM products WHERE user_id = 1"

Settings, as environment variables (or the command-line options in brackets; both show as
"custom parameters" in the web UI):

    LOCUST_PRODUCT_IDS    [--product-ids]    ids to read: "first-last" or "1,2,3"
    LOCUST_HOT_IDS        [--hot-ids]        the first N of them are the hot set (default 20)
    LOCUST_USER_ID        [--user-id]        the seeded user (ListUser, MixedUser)
    LOCUST_API_KEY        [--api-key]        its API key (CreateUser, MixedUser)
    LOCUST_UNCACHED_HOST  [--uncached-host]  UncachedReadUser's host (default: --host)
    LOCUST_IMAGE_BASE     [--image-base]     image URL prefix (default http://127.0.0.1:9/img)

A scenario that lacks a setting it needs stops the run with a message naming it.

The API under test must have its write limit off (``RATE_LIMIT_WRITES_PER_MINUTE=0``, and
``RATE_LIMIT_SIGNUPS_PER_MINUTE=0`` for many sign-ups): one key writing as fast as Locust
sends is what the limit refuses. A 429 fails the request with a message that says so.

Scenarios, one at a time, headless (name the class; ``-u`` users each send their next
request as soon as the last one answers, so ``-u`` is the concurrency)::

    export LOCUST_PRODUCT_IDS=1-100000 LOCUST_USER_ID=1 LOCUST_API_KEY=...
    L="locust -f loadtests/locustfile.py --headless -u 20 -r 20 -t 60s --host http://127.0.0.1:8080"
    $L HealthUser          # GET /healthz: the floor (gunicorn + Falcon, no database)
    $L CachedReadUser      # GET /products/{id} over the hot ids: Redis hits
    $L ListUser            # GET /products?user_id=.. with random filters, sometimes page 2
    $L CreateUser          # POST /products, without images and with 10
    $L MixedUser           # 80 % reads (mostly hot), 10 % list, 10 % create
    # Against a second API started with CACHE_ENABLED=false (e.g. PORT=8081):
    LOCUST_UNCACHED_HOST=http://127.0.0.1:8081 $L UncachedReadUser  # PostgreSQL reads

Add ``--csv out/name`` for CSV stats (Locust rewrites them once a second, so they can miss the
last second; the printed summary and the exit code do not). Locust exits 1 when any request
failed.

Web UI: ``locust -f loadtests/locustfile.py --class-picker --host http://127.0.0.1:8080``,
open http://localhost:8089, pick the scenario(s), check the custom parameters, start. Without
``--class-picker`` (or class names) every scenario runs at once, mixed by ``weight``.

A request fails when its status is not the expected one (200, or 201 for a create), and a
product read also when it has no ``X-Cache: HIT|MISS`` header. Request names group ids
(``/products/[id] hot``) so that the stats have a row per kind of request, not per id.
"""

from __future__ import annotations

import logging
import random

from locust import FastHttpUser, constant, events, task
from locust.exception import StopTest

from loadtests import scenarios
from loadtests.scenarios import (
    CREATE_IMAGES,
    CREATE_PLAIN,
    HOT_READ,
    LIST_FILTERS,
    NEXT_PAGE,
    PAGE_SIZE,
    RANDOM_READ,
    UNCACHED_READ,
    SettingsError,
    expect,
)

logger = logging.getLogger(__name__)

#: How often ListUser follows a page's next_cursor (when it has one).
NEXT_PAGE_SHARE = 0.25


@events.init_command_line_parser.add_listener
def _add_options(parser) -> None:
    # Plain strings (parsed in scenarios.py): the web UI converts edited values to the
    # default's type, and a bad int there would be an error page instead of a message.
    for dest, env_var, option, help_text in scenarios.OPTIONS:
        parser.add_argument(option, dest=dest, env_var=env_var, default="", help=help_text,
                            is_secret=dest == "api_key")


class ApiUser(FastHttpUser):
    """What every scenario shares: settings, checked when a user starts."""

    abstract = True
    # No think time: a closed loop, so the figures are the API's capacity at -u concurrency.
    wait_time = constant(0)
    #: Settings (Settings field names) the scenario cannot run without.
    needs: tuple[str, ...] = ()
    #: Whether LOCUST_UNCACHED_HOST, when set, replaces --host for this scenario.
    uses_uncached_host = False

    def __init__(self, environment) -> None:
        try:
            self.settings = scenarios.settings_from(environment.parsed_options)
            self.settings.require(type(self).__name__, *self.needs)
        except SettingsError as error:
            # StopTest from a constructor stops the whole run, as Locust's own missing --host
            # does (raised later, in on_start or a task, it would only end this one user).
            # Headless, exit 2, a usage error, not 0 as if the run had gone well; the web UI
            # stays up for the settings to be corrected.
            if getattr(environment.parsed_options, "headless", False):
                environment.process_exit_code = 2
            raise StopTest(str(error)) from None
        if self.uses_uncached_host and self.settings.uncached_host:
            # On the instance: Locust copies --host onto every class before spawning.
            self.host = self.settings.uncached_host
        super().__init__(environment)  # makes self.client, for self.host
        self.rng = random.Random()

    def read(self, ids, name: str) -> None:
        product_id = self.rng.choice(ids)
        with self.client.get(f"/products/{product_id}", name=name,
                             catch_response=True) as response:
            expect(response, 200, cache_header=True)

    def list_products(self) -> None:
        name, make_filters = self.rng.choice(tuple(LIST_FILTERS.items()))
        params = {"user_id": self.settings.user_id, "limit": PAGE_SIZE, **make_filters(self.rng)}
        cursor = None
        with self.client.get("/products", params=params, name=name,
                             catch_response=True) as response:
            expect(response, 200)
            if response.status_code == 200:
                try:
                    cursor = response.json()["next_cursor"]
                except (ValueError, KeyError, TypeError):
                    response.failure("not a page ({items, next_cursor})")
        if cursor and self.rng.random() < NEXT_PAGE_SHARE:
            # Same filters plus the cursor, as a client paging through results would send.
            with self.client.get("/products", params={**params, "cursor": cursor},
                                 name=NEXT_PAGE, catch_response=True) as response:
                expect(response, 200)

    def create(self, images: int) -> None:
        body = scenarios.product_body(self.rng, images=images,
                                      image_base=self.settings.image_base)
        with self.client.post("/products", json=body,
                              name=CREATE_IMAGES if images else CREATE_PLAIN,
                              headers={"Authorization": f"Bearer {self.settings.api_key}"},
                              catch_response=True) as response:
            expect(response, 201)
            scenarios.expect_images(response, images)


class HealthUser(ApiUser):
    """GET /healthz."""

    # Light in a run of every scenario: a probe, not traffic. A weight, not fixed_count = 1:
    # that would also hold a run of HealthUser alone to one user whatever -u says.
    weight = 1

    @task
    def health(self) -> None:
        with self.client.get("/healthz", name="/healthz", catch_response=True) as response:
            expect(response, 200)


class CachedReadUser(ApiUser):
    """GET /products/{id} over the hot set (LOCUST_HOT_IDS ids): after the first read of
    each id, Redis hits."""

    weight = 4
    needs = ("product_ids",)

    @task
    def read_hot(self) -> None:
        self.read(self.settings.hot_ids, HOT_READ)


class UncachedReadUser(ApiUser):
    """GET /products/{id} over every id in LOCUST_PRODUCT_IDS, at random.

    Meant for an API started with CACHE_ENABLED=false, given as LOCUST_UNCACHED_HOST (this
    class alone ignores --host when that is set, so a run of every scenario can measure both
    instances). Pointed at a cached API it warns once: random ids over a small range hit.
    """

    weight = 2
    needs = ("product_ids",)
    uses_uncached_host = True
    _warned = False  # per process: one warning is enough

    @task
    def read_uncached(self) -> None:
        product_id = self.rng.choice(self.settings.product_ids)
        with self.client.get(f"/products/{product_id}", name=UNCACHED_READ,
                             catch_response=True) as response:
            expect(response, 200, cache_header=True)
            hit = response.headers is not None and response.headers.get("X-Cache") == "HIT"
        if hit and not UncachedReadUser._warned:
            UncachedReadUser._warned = True
            logger.warning("UncachedReadUser got X-Cache: HIT from %s: that API has its cache "
                           "on (start it with CACHE_ENABLED=false)", self.host)


class ListUser(ApiUser):
    """GET /products?user_id=..&limit=20 with random filters, like the list benchmark."""

    weight = 2
    needs = ("user_id",)

    @task
    def list_page(self) -> None:
        self.list_products()


class CreateUser(ApiUser):
    """POST /products as the seeded user; the API only queues the images."""

    weight = 1
    needs = ("api_key",)

    @task
    def create_plain(self) -> None:
        self.create(images=0)

    @task
    def create_with_images(self) -> None:
        self.create(images=scenarios.IMAGES_PER_PRODUCT)


class MixedUser(ApiUser):
    """80 % reads (nine in ten of the hot ids), 10 % list, 10 % create (half with images)."""

    weight = 4
    needs = ("product_ids", "user_id", "api_key")

    @task(72)
    def read_hot(self) -> None:
        self.read(self.settings.hot_ids, HOT_READ)

    @task(8)
    def read_random(self) -> None:
        self.read(self.settings.product_ids, RANDOM_READ)

    @task(10)
    def list_page(self) -> None:
        self.list_products()

    @task(5)
    def create_plain(self) -> None:
        self.create(images=0)

    @task(5)
    def create_with_images(self) -> None:
        self.create(images=scenarios.IMAGES_PER_PRODUCT)
