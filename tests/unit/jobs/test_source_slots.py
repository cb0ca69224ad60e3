"""Download slots per source: the limit, per-source independence, release on failure."""

from __future__ import annotations

import pytest

from jobs.source_slots import SourceBusy, SourceSlots, source_of


@pytest.mark.parametrize(("url", "source"), [
    ("http://Example.com/a.jpg", ("http", "example.com", 80)),
    ("https://example.com/a.jpg", ("https", "example.com", 443)),
    ("http://example.com:8080/a.jpg", ("http", "example.com", 8080)),
    ("http://[::1]:9000/a.jpg", ("http", "::1", 9000)),
])
def test_a_source_is_scheme_host_and_port(url, source):
    assert source_of(url) == source


def test_a_source_over_its_limit_is_busy_and_others_are_not():
    # given two downloads running from one source, with a limit of two
    slots = SourceSlots(per_source=2)
    with slots.slot("http://slow.example/1.jpg"), slots.slot("http://slow.example/2.jpg"):
        # when / then
        with pytest.raises(SourceBusy):
            with slots.slot("http://slow.example/3.jpg"):
                pass
        with slots.slot("http://fast.example/1.jpg"):
            assert slots.running("http://fast.example/") == 1
        assert slots.running("http://slow.example/") == 2
    assert slots.running("http://slow.example/") == 0


def test_a_failed_download_gives_its_slot_back():
    slots = SourceSlots(per_source=1)
    with pytest.raises(RuntimeError):
        with slots.slot("http://a.example/1.jpg"):
            raise RuntimeError("connection reset")
    with slots.slot("http://a.example/2.jpg"):
        assert slots.running("http://a.example/") == 1
