-- depends: 0006.retired-objects
-- Events (docs/api.md): one row per thing that happened to a product, written in the
-- transaction of the change (models/events.py), with the product's version at that commit.
-- Rows from before have version 1: a version only has to grow from here on.
ALTER TABLE products ADD COLUMN version bigint NOT NULL DEFAULT 1 CHECK (version >= 1);

CREATE TABLE events (
    id            bigserial PRIMARY KEY,
    -- The writing transaction: readers order by (xid, id) and show only events of
    -- transactions older than every one still in flight, so none can appear behind them.
    xid           xid8 NOT NULL DEFAULT pg_current_xact_id(),
    type          text NOT NULL,
    user_id       bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    product_id    bigint NOT NULL,
    version       bigint NOT NULL,
    image_indexes integer[],
    source_url    text,
    -- The product's row at the commit (to_jsonb, the price as text), rendered on reading.
    product       jsonb NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_position ON events (xid, id);
CREATE INDEX events_user_position ON events (user_id, xid, id);
CREATE INDEX events_created_at ON events (created_at);
