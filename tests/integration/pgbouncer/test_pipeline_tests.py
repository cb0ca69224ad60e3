"""Tests of the image pipeline that depend on transactions and locks, run again with the
worker and this process going through PgBouncer: the retired-object cleanup keeps off a
product being uploaded to (a session lock would stay on whichever server session took it),
and a worker killed mid-upload leaves no missing object and no orphan."""

from __future__ import annotations

import pytest

from tests.integration.pipeline import test_interrupted_uploads, test_retired_cleanup

pytestmark = pytest.mark.cluster

product, store = test_retired_cleanup.product, test_retired_cleanup.store
test_the_cleanup_keeps_off_a_product_being_uploaded_to = (
    test_retired_cleanup.test_the_cleanup_keeps_off_a_product_being_uploaded_to)
test_an_object_the_product_uses_again_only_loses_its_row = (
    test_retired_cleanup.test_an_object_the_product_uses_again_only_loses_its_row)
test_a_worker_killed_between_uploads_leaves_no_missing_object_and_no_orphan = (
    test_interrupted_uploads
    .test_a_worker_killed_between_uploads_leaves_no_missing_object_and_no_orphan)
