"""jobs.storage: an object store that is down is StorageUnavailable, with its code, and the
library's own error stays out of the message."""

from __future__ import annotations

import pytest
import urllib3
from minio import Minio

from jobs.errors import StorageUnavailable
from jobs.storage import ImageStore
from models.failures import FailureCode
from tests.support.processes import free_port


def test_a_store_nothing_answers_for_is_storage_unavailable():
    # given: a store on a loopback port nothing listens on, without client-side retries
    http = urllib3.PoolManager(timeout=urllib3.Timeout(connect=1, read=1), retries=False)
    client = Minio(f"127.0.0.1:{free_port()}", access_key="k", secret_key="s",
                   secure=False, http_client=http)
    store = ImageStore(client, bucket="product-images", public_url="http://127.0.0.1/product-images")

    # when / then
    with pytest.raises(StorageUnavailable) as caught:
        store.put(1, b"bytes", extension="jpg", content_type="image/jpeg")
    assert caught.value.code == FailureCode.STORAGE_UNAVAILABLE
    assert str(caught.value) == "object store unavailable"
