-- depends: 0001.users-and-products
-- Jobs written in the same transaction as the change that needs them, and relayed to
-- RabbitMQ afterwards: a committed product always gets its jobs, a rolled-back one never.
CREATE TABLE outbox (
    id          bigserial PRIMARY KEY,
    message_id  uuid NOT NULL UNIQUE,
    queue_name  text NOT NULL,
    actor_name  text NOT NULL,
    kwargs      jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Every message that failed for good, kept until an operator replays or purges it
-- (RabbitMQ's own dead-letter queue expires its copies).
CREATE TABLE dead_letters (
    message_id  uuid PRIMARY KEY,
    queue_name  text NOT NULL,
    actor_name  text NOT NULL,
    kwargs      jsonb NOT NULL,
    product_id  bigint,
    image_url   text,
    reason      text NOT NULL,
    attempts    integer NOT NULL,
    failed_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dead_letters_failed_at ON dead_letters (failed_at);
