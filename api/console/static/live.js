// The user's live events: a stream token from the API, then an EventSource on the stream
// process with ?token= (EventSource cannot send the key in a header). On a close (the
// token's lifetime ran out, the process restarted) it fetches a new token and resumes after
// the last event it saw.

import { call } from "./api.js";

export const EVENT_TYPES = ["product.created", "product.updated", "product.deleted",
  "product.image.ready", "product.image.failed", "product.images.finished"];
const RETRY_MS = 2000;

export function openStream({ streamUrl, userId, key, onEvent, onState }) {
  let source = null;
  let lastId = null;
  let stopped = false;

  async function connect() {
    if (stopped) return;
    let token;
    try {
      ({ token } = await call(`/users/${userId}/stream-tokens`, { method: "POST", token: key }));
    } catch (error) {
      onState("offline", error.message);
      window.setTimeout(connect, RETRY_MS);
      return;
    }
    const url = new URL(`${streamUrl}/users/${encodeURIComponent(userId)}/events`);
    url.searchParams.set("token", token);
    if (lastId) url.searchParams.set("after", lastId);
    source = new EventSource(url);
    source.addEventListener("open", () => onState("live"));
    for (const type of EVENT_TYPES) {
      source.addEventListener(type, (message) => {
        lastId = message.lastEventId || lastId;
        onEvent(JSON.parse(message.data));
      });
    }
    source.addEventListener("error", () => {
      if (source.readyState === EventSource.CLOSED) {
        onState("reconnecting");
        window.setTimeout(connect, RETRY_MS);
      } else {
        onState("reconnecting");
      }
    });
  }

  connect();
  return () => {
    stopped = true;
    if (source) source.close();
  };
}
