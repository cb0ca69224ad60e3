"""Compressed copies in any S3-compatible store, through the MinIO client.

Keys are ``products/{product_id}/{sha256 of the bytes}.{ext}``: the same bytes always land on
the same key, so a redelivered job overwrites instead of duplicating, and a product's objects
share one prefix that deleting the product removes without touching anyone else's.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from dataclasses import dataclass

import urllib3
from minio import Minio
from minio.deleteobjects import DeleteObject
from minio.error import MinioException, S3Error

from core.settings import Settings
from jobs.errors import StorageUnavailable

logger = logging.getLogger(__name__)

#: Copies never change under their key, so clients and CDNs may keep them for a year.
CACHE_CONTROL = "public, max-age=31536000, immutable"
#: Seconds; the MinIO client's own default waits minutes, which TimeLimit cannot interrupt.
CONNECT_TIMEOUT = 3
READ_TIMEOUT = 20


#: What the MinIO client raises when the store is down or refuses: translated, at this
#: boundary, into StorageUnavailable, which the actor retries.
_STORE_ERRORS = (MinioException, urllib3.exceptions.HTTPError, OSError)


def _unavailable(error: Exception) -> StorageUnavailable:
    # The library's error names and texts stay in the log: clients see the kind only.
    logger.info("object store unavailable: %s", type(error).__name__)
    return StorageUnavailable("object store unavailable")


@dataclass(frozen=True)
class StoredObject:
    key: str
    url: str


def object_key(product_id: int, data: bytes, extension: str) -> str:
    return f"products/{product_id}/{hashlib.sha256(data).hexdigest()}.{extension}"


def product_prefix(product_id: int) -> str:
    return f"products/{product_id}/"


def public_read_policy(bucket: str) -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": ["*"]},
            "Action": ["s3:GetObject"],
            "Resource": [f"arn:aws:s3:::{bucket}/*"],
        }],
    })


class ImageStore:
    """The bucket of compressed copies.

    Parameters:
      client: a MinIO client (see :func:`client_from_settings`).
      bucket: bucket name.
      public_url: base URL under which the bucket's objects are fetchable without credentials.
    """

    def __init__(self, client: Minio, *, bucket: str, public_url: str) -> None:
        self._client = client
        self._bucket = bucket
        self._public_url = public_url.rstrip("/")

    def ensure_bucket(self) -> None:
        """Create the bucket when missing and make its objects publicly readable."""
        try:
            if not self._client.bucket_exists(self._bucket):
                self._client.make_bucket(self._bucket)
            self._client.set_bucket_policy(self._bucket, public_read_policy(self._bucket))
        except _STORE_ERRORS as error:
            raise _unavailable(error) from error

    def url_for(self, key: str) -> str:
        return f"{self._public_url}/{key}"

    def put(self, product_id: int, data: bytes, *, extension: str,
            content_type: str) -> StoredObject:
        key = object_key(product_id, data, extension)
        try:
            try:
                self._put(key, data, content_type)
            except S3Error as error:
                if error.code != "NoSuchBucket":
                    raise
                # The store started empty after us (a restarted emulator, a new deployment).
                self.ensure_bucket()
                self._put(key, data, content_type)
        except _STORE_ERRORS as error:
            raise _unavailable(error) from error
        return StoredObject(key=key, url=self.url_for(key))

    def _put(self, key: str, data: bytes, content_type: str) -> None:
        self._client.put_object(
            self._bucket, key, io.BytesIO(data), len(data), content_type=content_type,
            metadata={"Cache-Control": CACHE_CONTROL},
        )

    def remove(self, keys: list[str]) -> None:
        if not keys:
            return
        try:
            errors = list(self._client.remove_objects(
                self._bucket, [DeleteObject(key) for key in keys]))
        except _STORE_ERRORS as error:
            raise _unavailable(error) from error
        if errors:
            raise StorageUnavailable(f"could not remove {len(errors)} object(s)")

    def keys_under(self, prefix: str) -> list[str]:
        try:
            return [item.object_name for item in self._client.list_objects(
                self._bucket, prefix=prefix, recursive=True)]
        except _STORE_ERRORS as error:
            raise _unavailable(error) from error

    def remove_product(self, product_id: int) -> int:
        """Remove every object of the product; returns how many there were."""
        keys = self.keys_under(product_prefix(product_id))
        self.remove(keys)
        return len(keys)


def client_from_settings(settings: Settings) -> Minio:
    http = urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT),
        # A couple of quick retries for a dropped connection; longer outages are the job
        # retry's business (with backoff), not a blocked worker thread's.
        retries=urllib3.Retry(total=2, backoff_factor=0.2,
                              status_forcelist=(500, 502, 503, 504)),
        maxsize=16,
    )
    return Minio(settings.s3_endpoint, access_key=settings.s3_access_key,
                 secret_key=settings.s3_secret_key, secure=settings.s3_secure, http_client=http)


def store_from_settings(settings: Settings) -> ImageStore:
    return ImageStore(client_from_settings(settings), bucket=settings.s3_bucket,
                      public_url=settings.s3_public_url)
