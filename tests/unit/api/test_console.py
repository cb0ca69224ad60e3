"""/console serves its files with the right types and a strict Content-Security-Policy
naming the object store and the stream; the operator view exists only with a token."""

from __future__ import annotations

import pytest
from falcon import testing

from api.app import create_app
from api.console import STATIC
from core.settings import Settings

SETTINGS = Settings(s3_public_url="https://cdn.example:8443/product-images",
                    events_public_url="https://events.example/")
POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; "
          "img-src https://cdn.example:8443 data:; "
          "connect-src 'self' https://events.example; base-uri 'none'; form-action 'self'; "
          "frame-ancestors 'none'")
PAGES = {"/console": "catalog.html", "/console/product": "product.html",
         "/console/operator": "operator.html"}


@pytest.fixture
def console() -> testing.TestClient:
    return testing.TestClient(create_app(SETTINGS.replace(operator_token="o" * 20)))


@pytest.fixture
def without_operator() -> testing.TestClient:
    return testing.TestClient(create_app(SETTINGS))


@pytest.mark.parametrize("path, name", PAGES.items())
def test_each_page_is_its_file_as_html_under_the_policy(console, path, name):
    answer = console.simulate_get(path)

    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
    assert answer.content == (STATIC / name).read_bytes()
    assert answer.headers["Content-Security-Policy"] == POLICY
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("name, content_type", [
    ("catalog.js", "text/javascript; charset=utf-8"),
    ("blurhash.js", "text/javascript; charset=utf-8"),
    ("console.css", "text/css; charset=utf-8"), ("catalog.html", "text/html; charset=utf-8")])
def test_static_files_have_their_content_type(console, name, content_type):
    answer = console.simulate_get(f"/console/static/{name}")

    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == content_type
    assert answer.headers["Content-Security-Policy"] == POLICY


@pytest.mark.parametrize("name", ["nothing.js", "..%2Fapp.py", "__init__.py", "%2e%2e"])
def test_only_the_consoles_own_files_are_served(console, name):
    assert console.simulate_get(f"/console/static/{name}").status_code == 404


def test_the_config_names_the_stream_and_the_operator_view(console):
    answer = console.simulate_get("/console/config.json")

    assert answer.json == {"stream_url": "https://events.example", "operator": True}
    assert answer.headers["Content-Security-Policy"] == POLICY


def test_the_stream_defaults_to_this_machines_stream_port():
    client = testing.TestClient(create_app(Settings(events_port=9123)))

    assert client.simulate_get("/console/config.json").json == {
        "stream_url": "http://127.0.0.1:9123"}
    assert "connect-src 'self' http://127.0.0.1:9123;" in client.simulate_get(
        "/console").headers["Content-Security-Policy"]


def test_without_an_operator_token_the_operator_view_and_its_flag_do_not_exist(
        without_operator):
    assert without_operator.simulate_get("/console/config.json").json == {
        "stream_url": "https://events.example"}
    for path in ("/console/operator", "/console/static/operator.html",
                 "/console/static/operator.js"):
        assert without_operator.simulate_get(path).status_code == 404, path
    assert without_operator.simulate_get("/console").status_code == 200
