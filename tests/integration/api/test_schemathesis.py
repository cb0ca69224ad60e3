"""schemathesis against a real gunicorn serving /openapi.json, with every check (positive data
accepted, negative data rejected, no 500, responses, headers and statuses as documented) in
positive and negative modes, derandomized so CI sees the same cases each run.

Positive cases carry a valid key and ids its user owns, so writes reach the validation behind
authentication. Requests go only to the test server on loopback: the API fetches no image
URL itself, and the test checks that no relay took a job out of the outbox meanwhile, so no
worker could have fetched a generated URL either.

The CLI run of the same (see tests/support/schemathesis_hooks.py for its hooks)::

    SCHEMATHESIS_HOOKS=tests.support.schemathesis_hooks .venv/bin/schemathesis run \\
        http://127.0.0.1:PORT/openapi.json --checks all --mode all --max-examples 100 \\
        --generation-deterministic -H "Authorization: Bearer <key>"
"""

from __future__ import annotations

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.core.parameters import ParameterLocation

from tests.support.environment import settings_env
from tests.support.processes import ApiServer
from tests.support.schemathesis_hooks import reachable_webhook, satisfiable_query

MAX_EXAMPLES = 100


#: The operator endpoints are fuzzed too: with no token configured they would only say 404.
OPERATOR_TOKEN = "fuzzed-operator-token-0123456789"


@pytest.fixture(scope="module")
def fuzzed_server(base_settings, bound_database, tmp_path_factory):
    bound_database.execute_sql(
        "TRUNCATE users, products, outbox, dead_letters RESTART IDENTITY CASCADE")
    server = ApiServer(settings_env(base_settings.replace(operator_token=OPERATOR_TOKEN)),
                       log_path=tmp_path_factory.mktemp("fuzzed-api") / "api.log")
    yield server
    server.stop()
    # Outbox ids count up from 1 and only a relay deletes rows: all still there means no job
    # was published, so nothing fetched the URLs the fuzzer made up.
    count, last = bound_database.execute_sql(
        "SELECT count(*), coalesce(max(id), 0) FROM outbox").fetchone()
    assert count == last, f"a relay took {last - count} jobs out of the outbox during the test"


@pytest.fixture
def api_schema(fuzzed_server):
    loaded = schemathesis.openapi.from_url(fuzzed_server.url + "/openapi.json")
    loaded.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
    return loaded


@pytest.fixture(scope="module")
def owner(fuzzed_server):
    user = requests.post(fuzzed_server.url + "/users", timeout=10,
                         json={"name": "Fuzz", "email": "fuzz@example.com"}).json()

    def owned_product_id() -> int:
        result = requests.post(
            fuzzed_server.url + "/products", timeout=10,
            json={"product_name": "Target", "product_price": "1.00"},
            headers={"Authorization": f"Bearer {user['api_key']}"},
        )
        return result.json()["id"]

    return user, owned_product_id


schema = schemathesis.pytest.from_fixture("api_schema")


def negative_at(case, location: ParameterLocation) -> bool:
    return case.meta is not None and case.meta.is_negative_at(location)


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_the_api_does_what_its_document_says(case, owner, fuzzed_server):
    user, owned_product_id = owner
    assert case.operation.base_url.startswith(fuzzed_server.url)
    # Negative cases keep what they broke (a bad id); the rest is made to pass what the
    # document cannot say: the key's user owns the ids, and the query's cross-field rules.
    if case.path_parameters and "id" in case.path_parameters and not negative_at(
        case, ParameterLocation.PATH
    ):
        owned = user["id"] if case.path.startswith("/users") else owned_product_id()
        case.path_parameters["id"] = owned
    if case.query and not negative_at(case, ParameterLocation.QUERY):
        satisfiable_query(case.query)
    if case.path.startswith("/webhooks") and not negative_at(case, ParameterLocation.BODY):
        reachable_webhook(case.body)
    token = OPERATOR_TOKEN if case.path.startswith("/admin") else user["api_key"]
    response = case.call_and_validate(headers={"Authorization": f"Bearer {token}"})
    assert response.request.url.startswith(fuzzed_server.url + "/")
    if case.path.endswith("/api-key") and response.status_code == 201:
        # The rotation killed the key the other operations send: carry on with the new one.
        user["api_key"] = response.json()["api_key"]
