-- depends: 0004.dead-letter-codes
-- One record per source URL whose renditions are stored (models/media.py): written in the
-- same statement as compressed_product_images, so a reader sees one complete set. Rows from
-- before it hold '{}' and read as legacy copies; nothing needs migrating.
ALTER TABLE products ADD COLUMN image_media jsonb NOT NULL DEFAULT '{}'
    CHECK (jsonb_typeof(image_media) = 'object');
