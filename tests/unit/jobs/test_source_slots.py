"""Download slots per source: the limit, per-source independence, release on failure."""

from __future__ import annotations

import threading

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


def test_threads_share_the_limit_of_a_source():
    # given eight threads that each try to hold a slot of one source at the same moment
    slots = SourceSlots(per_source=2)
    ready = threading.Barrier(8)
    release = threading.Event()
    outcomes = []

    def download():
        ready.wait()
        try:
            with slots.slot("http://slow.example/a.jpg"):
                outcomes.append("held")
                release.wait(timeout=10)
        except SourceBusy:
            outcomes.append("busy")

    threads = [threading.Thread(target=download) for _ in range(8)]
    for thread in threads:
        thread.start()
    # when every thread has an outcome
    while len(outcomes) < 8 and any(thread.is_alive() for thread in threads):
        release.wait(timeout=0.01)
    release.set()
    for thread in threads:
        thread.join(timeout=10)
    # then two held a slot and six were told the source is busy
    assert sorted(outcomes) == ["busy"] * 6 + ["held"] * 2
    assert slots.running("http://slow.example/") == 0


def test_a_url_the_parser_refuses_holds_no_slot():
    # the fetcher refuses it with its own reason, so the slot does not get in its way
    slots = SourceSlots(per_source=1)
    with slots.slot("ftp://a.example/1.jpg"), slots.slot("ftp://a.example/2.jpg"):
        pass
