from __future__ import annotations

import pytest

from api.cursor import InvalidCursor, decode_cursor, encode_cursor

SECRET = b"s" * 32


@pytest.mark.parametrize("last_id", [1, 42, 2**63 - 1])
def test_round_trip(last_id):
    assert decode_cursor(encode_cursor(last_id, SECRET), SECRET) == last_id


@pytest.mark.parametrize(
    "cursor",
    ["", "abc", "!!!!", encode_cursor(5, b"other-secret"), encode_cursor(5, SECRET)[:-1],
     encode_cursor(5, SECRET) + "A", "NQ"],
)
def test_cursors_not_issued_by_us_are_rejected(cursor):
    with pytest.raises(InvalidCursor):
        decode_cursor(cursor, SECRET)


def test_a_tampered_id_is_rejected():
    import base64

    raw = base64.urlsafe_b64decode(encode_cursor(5, SECRET) + "==")
    forged = base64.urlsafe_b64encode(b"6" + raw[1:]).rstrip(b"=").decode()
    with pytest.raises(InvalidCursor):
        decode_cursor(forged, SECRET)
