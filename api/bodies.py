"""Reading request bodies: content type, size, JSON syntax, then the field rules; and
draining what a response left unread."""

from __future__ import annotations

import time
from typing import IO, TypeVar

import falcon
import msgspec

#: A body over 1 MiB is a 413 (docs/api.md).
MAX_BODY_BYTES = 1024 * 1024
#: How much of a body the API answered without reading is read and dropped before the
#: response goes out: a few times the limit, so an over-limit body still gets its 413.
DRAIN_MAX_BYTES = 4 * MAX_BODY_BYTES
#: The whole drain's deadline, which also bounds each read of it on gunicorn's socket.
DRAIN_TIMEOUT_SECONDS = 5.0
_DRAIN_CHUNK = 64 * 1024
#: What decoding hostile bytes raises: bad syntax, invalid UTF-8 inside a string, and nesting
#: deeper than the interpreter's recursion limit (msgspec stops there, so it is bounded).
_UNDECODABLE = (msgspec.DecodeError, UnicodeDecodeError, RecursionError)

T = TypeVar("T")


def read_body(req: falcon.Request, schema: type[T]) -> T:
    """Decode and validate the JSON body as ``schema``; raises the matching 4xx."""
    _require_json_media_type(req)
    if req.content_length is not None and req.content_length > MAX_BODY_BYTES:
        raise _too_large()
    stream = _body_stream(req)
    # One byte over the limit tells an over-limit chunked body, which announces no length.
    raw = stream.read(MAX_BODY_BYTES + 1) if stream is not None else b""
    if len(raw) > MAX_BODY_BYTES:
        raise _too_large()
    try:
        return msgspec.json.decode(raw, type=schema)
    except msgspec.ValidationError as error:
        # Typed decoding stops at the first rule broken, possibly before a syntax error
        # further on: a body that is not JSON at all must still be a 400.
        _require_json_syntax(raw)
        raise falcon.HTTPUnprocessableEntity(
            title="Invalid field", description=str(error)
        ) from None
    except _UNDECODABLE as error:
        raise _malformed(error) from None


def _require_json_media_type(req: falcon.Request) -> None:
    """JSON in UTF-8 (RFC 8259): another ``charset`` would be read as something it is not."""
    media_type, _, parameters = (req.content_type or "").partition(";")
    charset = None
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    if media_type.strip().lower() != "application/json" or charset not in (None, "utf-8"):
        raise falcon.HTTPUnsupportedMediaType(
            title="Unsupported Media Type",
            description="The body must be JSON in UTF-8, sent as"
                        " `Content-Type: application/json`.",
        )


def _body_stream(req: falcon.Request) -> IO[bytes] | None:
    """Where the body can be read without reading past it; None when there is no body.

    Falcon's ``bounded_stream`` holds a chunked body (no Content-Length) to zero bytes; a
    server that sets ``wsgi.input_terminated`` (gunicorn does) ends ``wsgi.input`` at the last
    chunk, so that is read instead.
    """
    if req.content_length is not None:
        return req.bounded_stream
    if "chunked" in (req.get_header("Transfer-Encoding") or "").lower() \
            and req.env.get("wsgi.input_terminated"):
        return req.stream
    return None


def _require_json_syntax(raw: bytes) -> None:
    try:
        msgspec.json.decode(raw)
    except _UNDECODABLE as error:
        raise _malformed(error) from None


def _malformed(error: Exception) -> falcon.HTTPBadRequest:
    # msgspec's messages for these two name Python internals, not the client's mistake.
    if isinstance(error, RecursionError):
        reason = "it is nested too deeply"
    elif isinstance(error, UnicodeDecodeError):
        reason = f"it is not valid UTF-8 at byte {error.start}"
    else:
        reason = str(error)
    return falcon.HTTPBadRequest(
        title="Malformed JSON", description=f"The body is not valid JSON: {reason}"
    )


def _too_large() -> falcon.HTTPContentTooLarge:
    return falcon.HTTPContentTooLarge(
        title="Body too large", description=f"The body must be at most {MAX_BODY_BYTES} bytes."
    )


def drain_unread_body(req: falcon.Request) -> bool:
    """Read and drop what is left of the request body, up to ``DRAIN_MAX_BYTES`` within
    ``DRAIN_TIMEOUT_SECONDS``; True when the body was read to its end.

    A server that closes a connection with request bytes still unread makes the kernel reset
    it, and the reset can destroy the response before the client reads it: a 413, 415 or
    401 answered without reading the body would reach the client as a dropped connection.
    What lies beyond the bound is left for the server, which closes the connection.
    """
    stream = _body_stream(req)
    if stream is None:
        return True
    if req.content_length is not None:
        if req.bounded_stream.eof:
            return True
        if req.content_length > DRAIN_MAX_BYTES:
            return False
    # gunicorn's sockets block without a timeout while a request is served; a client that
    # stops sending must not hold the thread for longer than the drain's deadline.
    sock = req.env.get("gunicorn.socket")
    prior_timeout = sock.gettimeout() if sock is not None else None
    deadline = time.monotonic() + DRAIN_TIMEOUT_SECONDS
    drained = 0
    try:
        while drained <= DRAIN_MAX_BYTES:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            if sock is not None:
                sock.settimeout(remaining)
            chunk = stream.read(_DRAIN_CHUNK)
            if not chunk:
                return True
            drained += len(chunk)
        return False
    except OSError:  # a timeout, or the client went away
        return False
    finally:
        if sock is not None:
            try:
                sock.settimeout(prior_timeout)
            except OSError:
                pass
