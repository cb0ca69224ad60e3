-- depends: 0005.image-media
-- Objects of a rendition set that a re-render replaced (jobs/rerender.py): kept until
-- remove_after, since clients may hold their immutable URLs, then removed by
-- `python -m jobs.rerender`. Reads never look here; a product's images stay one row.
CREATE TABLE retired_objects (
    key text PRIMARY KEY,
    product_id bigint NOT NULL,
    remove_after timestamptz NOT NULL
);
CREATE INDEX retired_objects_due ON retired_objects (remove_after);
