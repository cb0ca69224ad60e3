"""The jobs' payload types: what the outbox stores is what the actors accept."""

from __future__ import annotations

import pytest

from models.jobs import (
    DELETE_PRODUCT_IMAGES,
    PROCESS_IMAGE,
    ImageJob,
    ProductImagesJob,
    job_kwargs,
    payload_of,
)


@pytest.mark.parametrize("payload", [
    ImageJob(7, "https://example.com/a.png", "request-1"),
    ImageJob(7, "https://example.com/a.png"),
    ProductImagesJob(7),
])
def test_a_payload_survives_the_round_trip_through_message_kwargs(payload):
    actor_name = PROCESS_IMAGE if isinstance(payload, ImageJob) else DELETE_PRODUCT_IMAGES
    assert payload_of(actor_name, job_kwargs(payload)) == payload


def test_an_image_job_carries_exactly_its_fields():
    assert job_kwargs(ImageJob(1, "u", None)) == {"product_id": 1, "url": "u", "request_id": None}


@pytest.mark.parametrize(("actor_name", "kwargs"), [
    ("some_other_actor", {"product_id": 1}),
    (PROCESS_IMAGE, {"product_id": 1}),
    (PROCESS_IMAGE, {"product_id": 1, "url": "u", "unknown": True}),
])
def test_kwargs_that_fit_no_payload_are_none(actor_name, kwargs):
    assert payload_of(actor_name, kwargs) is None
