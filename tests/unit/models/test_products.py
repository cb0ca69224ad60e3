from __future__ import annotations

import pytest

from models.products import escape_like, image_state, urls_without_copy


@pytest.mark.parametrize(
    "images, copies, failures, status, error_indexes",
    [
        ([], [], {}, "done", []),
        (["a"], [None], {}, "pending", []),
        (["a"], ["ca"], {}, "done", []),
        (["a", "b"], ["ca", None], {"b": "HTTP 404"}, "failed", [1]),
        (["a", "b", "c"], [None, None, "cc"], {"b": "HTTP 404"}, "pending", [1]),
        (["b", "b"], [None, None], {"b": "too big"}, "failed", [0, 1]),
    ],
)
def test_image_state(images, copies, failures, status, error_indexes):
    got_status, errors = image_state(images, copies, failures)
    assert got_status == status
    assert [error["index"] for error in errors] == error_indexes


def test_urls_without_copy_are_distinct_in_order():
    assert urls_without_copy(["a", "b", "a", "c"], [None, "cb", None, None]) == ["a", "c"]


@pytest.mark.parametrize("text, escaped", [("100%", "100\\%"), ("a_b", "a\\_b"),
                                           ("a\\b", "a\\\\b"), ("plain", "plain")])
def test_escape_like(text, escaped):
    assert escape_like(text) == escaped


def test_the_peewee_model_has_exactly_the_row_fields_in_order():
    from models.products import Product, ProductRow

    assert Product._meta.sorted_field_names == list(ProductRow._fields)
