"""Stream tokens: good for their user until they expire, refused when altered, and never
accepted under another server secret."""

from __future__ import annotations

import time

import pytest

from core import stream_tokens

SECRET = "a-server-secret"


def test_a_token_names_its_user_until_it_expires():
    minted = stream_tokens.mint(42, api_key_secret=SECRET, ttl_seconds=600)
    assert minted.expires_in == 600
    assert stream_tokens.verify(minted.token, api_key_secret=SECRET, ttl_seconds=600) == 42


def test_an_expired_token_is_refused():
    minted = stream_tokens.mint(42, api_key_secret=SECRET, ttl_seconds=1)
    time.sleep(2.1)  # itsdangerous timestamps are whole seconds
    with pytest.raises(stream_tokens.ExpiredToken):
        stream_tokens.verify(minted.token, api_key_secret=SECRET, ttl_seconds=1)


@pytest.mark.parametrize("alter", [lambda t: t[:-2] + ("AA" if t[-2:] != "AA" else "BB"),
                                   lambda t: "x" + t, lambda t: ""])
def test_an_altered_token_is_refused(alter):
    minted = stream_tokens.mint(42, api_key_secret=SECRET, ttl_seconds=600)
    with pytest.raises(stream_tokens.InvalidToken):
        stream_tokens.verify(alter(minted.token), api_key_secret=SECRET, ttl_seconds=600)


def test_another_secret_refuses_the_token():
    minted = stream_tokens.mint(42, api_key_secret=SECRET, ttl_seconds=600)
    with pytest.raises(stream_tokens.InvalidToken):
        stream_tokens.verify(minted.token, api_key_secret="another", ttl_seconds=600)
