"""Tests for core.urls: the one image-URL parser of the API and the fetcher."""

from __future__ import annotations

import ipaddress

import pytest

from core.urls import parse_image_url


@pytest.mark.parametrize(
    ("text", "url", "host"),
    [
        ("https://a.example/x.jpg", "https://a.example/x.jpg", "a.example"),
        ("http://a.example", "http://a.example/", "a.example"),
        ("HTTPS://Img.Example.COM:443/A.jpg?w=1#top", "https://img.example.com/A.jpg?w=1",
         "img.example.com"),
        ("http://a.example:8080?x", "http://a.example:8080/?x", "a.example"),
        ("http://a.example/%41%7e/caf\u00e9?q={1}", "http://a.example/A~/caf%C3%A9?q=%7B1%7D",
         "a.example"),
        ("http://a.example/p@th", "http://a.example/p@th", "a.example"),  # @ outside the host
        ("http://2130706433/", "http://127.0.0.1/", "127.0.0.1"),
        ("http://0x7f.1/", "http://127.0.0.1/", "127.0.0.1"),
        ("http://0251.0376.0251.0376/", "http://169.254.169.254/", "169.254.169.254"),
        ("http://[::FFFF:169.254.169.254]/", "http://[::ffff:a9fe:a9fe]/", "::ffff:a9fe:a9fe"),
        ("http://[fe80::1%25lo]/", "http://[fe80::1%25lo]/", "fe80::1%lo"),
    ],
)
def test_parses_and_normalizes(text: str, url: str, host: str) -> None:
    parsed = parse_image_url(text)

    assert (parsed.url, parsed.host) == (url, host)
    assert parse_image_url(parsed.url) == parsed  # normalizing twice changes nothing


def test_address_literals_carry_their_address() -> None:
    assert parse_image_url("http://[fe80::1%25lo]/").ip == ipaddress.ip_address("fe80::1%lo")
    assert parse_image_url("http://127.1:81/").ip == ipaddress.ip_address("127.0.0.1")
    assert parse_image_url("http://127.1:81/").effective_port == 81
    assert parse_image_url("https://a.example/").ip is None
    assert parse_image_url("https://a.example/").effective_port == 443


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("http://127.0.0.1:18080\\@169.254.169.254/", "backslash"),
        ("http://a.example\\x.jpg", "backslash"),
        ("http://alice:secret@a.example/", "user name"),
        ("http://@a.example/", "user name"),
        ("http://a.example/a b.jpg", "whitespace"),
        ("http://a.example/\tx", "whitespace"),
        ("http://a.example/\x00", "control"),
        (" http://a.example/", "whitespace"),
        ("ftp://a.example/x.jpg", "http or https"),
        ("javascript:alert(1)", "http or https"),
        ("//a.example/x.jpg", "http or https"),
        ("http:a.example/x.jpg", "http or https"),
        ("http:///a.example/x.jpg", "host"),
        ("https://", "host"),
        ("http://:80/", "host"),
        ("http://a.example:0/", "port"),
        ("http://a.example:65536/", "port"),
        ("http://a.example:8o/", "port"),
        ("http://a.example:80:80/", "port"),
        ("http://[::1/", "IPv6"),
        ("http://[v1.x]/", "IPv6"),
        ("http://[fe80::1%lo]/", "IPv6"),  # a zone id must be written %25
        ("http://[::1]x/", "IPv6"),
        ("http://%31%32%37.0.0.1/", "host name"),
        ("http://a..example/", "host name"),
        ("http://b\u00fccher.example/", "ASCII"),
        ("http://1.2.3.256/", "IPv4"),
        ("http://1.2.3.4.5/", "IPv4"),
        ("http://a.example/%zz", "percent"),
    ],
)
def test_refuses_ambiguous_and_unsupported_urls(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_image_url(text)
