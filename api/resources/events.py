"""``/users/{id}/events``: the user's events feed (docs/api.md), oldest first, resumable
from any event id it handed out."""

from __future__ import annotations

import falcon

from api.auth import Authenticator
from api.params import bad_parameter, path_id, query_int, refuse_unknown_parameters
from core.events import InvalidEventId, event_document, event_id, parse_event_id
from core.representation import dumps
from models import events
from models.events import EventType, Position

DEFAULT_PAGE_SIZE = 50
PAGE_SIZE_MAX = 100
PARAMETERS = frozenset({"after", "types", "limit"})
#: Longest ``types`` worth reading: every type once, comma-separated.
TYPES_MAX_LENGTH = sum(len(each) + 1 for each in EventType)


class Events:
    """Parameters:
      retention_days: EVENTS_RETENTION_DAYS, named in the answer to an expired ``after``.
    """

    def __init__(self, *, authenticator: Authenticator, retention_days: int) -> None:
        self._authenticator = authenticator
        self._retention_days = retention_days

    def on_get(self, req: falcon.Request, resp: falcon.Response, user_id: str) -> None:
        target = path_id(user_id, "user")
        caller = self._authenticator.user_id(req)
        if caller is None:
            raise self._authenticator.unauthorized()
        if caller != target:
            raise falcon.HTTPForbidden(title="Forbidden",
                                       description="Only the user's own key reads its events.")
        refuse_unknown_parameters(req, PARAMETERS, "the feed")
        limit = query_int(req, "limit", low=1, high=PAGE_SIZE_MAX, default=DEFAULT_PAGE_SIZE)
        types = _types(req.get_param("types"))
        raw_after = req.get_param("after")
        after = None if raw_after is None else self._after(target, raw_after)
        rows = events.read(target, after=after, types=types, limit=limit)
        next_after = event_id(rows[-1].position) if rows else raw_after
        resp.data = dumps({"items": [event_document(row) for row in rows],
                           "next_after": next_after})

    def _after(self, user_id: int, raw: str) -> Position:
        """The position of an event id this feed handed out and still keeps."""
        try:
            position = parse_event_id(raw)
        except InvalidEventId:
            raise bad_parameter("after", "an event id (`evt_...`) from this feed") from None
        if events.exists(user_id, position):
            return position
        oldest = events.oldest()
        if oldest is None or position < oldest:
            raise falcon.HTTPBadRequest(
                title="Invalid query parameter",
                description=f"`after` has expired: events are kept {self._retention_days}"
                            " days; start again without `after`.")
        raise bad_parameter("after", "an event id (`evt_...`) this feed returned")


def _types(raw: str | None) -> list[EventType] | None:
    if raw is None:
        return None
    names = raw.split(",")
    if len(raw) > TYPES_MAX_LENGTH or not all(name in EventType._value2member_map_
                                              for name in names):
        raise bad_parameter("types", "a comma-separated list of "
                            + ", ".join(f"`{each}`" for each in EventType))
    return [EventType(name) for name in dict.fromkeys(names)]
