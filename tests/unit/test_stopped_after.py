"""tests.support.processes.stopped_after: what a fixture started is stopped, even when the
test fails."""

from __future__ import annotations

import pytest

from tests.support.processes import stopped_after


def test_everything_started_is_stopped_on_leaving_in_order():
    stopped = []
    with stopped_after(lambda name, *, suffix="": name + suffix, stopped.append) as start:
        assert start("a") == "a"
        assert start("b", suffix="!") == "b!"
        assert stopped == []
    assert stopped == ["a", "b!"]


def test_a_failing_body_still_stops_what_it_started():
    stopped = []
    with pytest.raises(RuntimeError), stopped_after(str, stopped.append) as start:
        start(1)
        raise RuntimeError("the test failed")
    assert stopped == ["1"]
