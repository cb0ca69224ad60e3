-- depends: 0008.events
-- Webhooks (docs/api.md): endpoints of a user, the deliveries of events to them (the
-- retry schedule lives in these rows, not in RabbitMQ delays), and where the fan-out from the
-- events table stands.
CREATE TABLE webhooks (
    id                   bigserial PRIMARY KEY,
    user_id              bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    url                  text NOT NULL,
    -- Event types, or {'*'} for every type.
    events               text[] NOT NULL,
    description          text,
    -- The HMAC key ("whsec_" + base64): deliveries are signed with it, so it is stored as
    -- it is (a hash could not sign); never returned after creation or rotation.
    secret               text NOT NULL,
    -- After a rotation, the old key also signs until previous_secret_expires_at.
    previous_secret      text,
    previous_secret_expires_at timestamptz,
    enabled              boolean NOT NULL DEFAULT true,
    disabled_reason      text,
    -- Deliveries that ended failed in a row; WEBHOOK_DISABLE_AFTER of them disable the endpoint.
    consecutive_failures integer NOT NULL DEFAULT 0,
    created_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhooks_user ON webhooks (user_id, id);

CREATE TABLE webhook_deliveries (
    id              bigserial PRIMARY KEY,
    webhook_id      bigint NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    -- The public event id (evt_...): the webhook-id header of every attempt.
    event_id        text NOT NULL,
    event_type      text NOT NULL,
    -- The event's JSON as rendered at fan-out: every attempt sends the same bytes, and the
    -- delivery outlives the event's retention.
    body            bytea NOT NULL,
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    last_status     integer,
    last_error      text,
    -- The receiver's answer, truncated; stored for the delivery log, never parsed.
    last_response   text,
    last_attempt_at timestamptz,
    -- When a pending delivery is due; while an attempt is handed out, the end of its lease
    -- (a killed worker's delivery comes back then). Null once it ended.
    next_attempt_at timestamptz DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (webhook_id, id);

-- One row: the position (xid, id) in the events table up to which deliveries were made.
CREATE TABLE webhook_fanout (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    after_xid  bigint,
    after_id   bigint
);
INSERT INTO webhook_fanout DEFAULT VALUES;
