-- Users own products; an API key is stored only as its HMAC-SHA256.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE users (
    id          bigserial PRIMARY KEY,
    name        varchar(255) NOT NULL CHECK (char_length(btrim(name)) >= 1),
    email       varchar(254) NOT NULL CHECK (position('@' IN email) > 1),
    api_key_hash bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now()
);
-- E-mail is unique without regard to case.
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));

CREATE TABLE products (
    id                        bigserial PRIMARY KEY,
    user_id                   bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    product_name              varchar(255) NOT NULL CHECK (char_length(btrim(product_name)) >= 1),
    product_description       text CHECK (char_length(product_description) <= 10000),
    product_images            text[] NOT NULL DEFAULT '{}'
        CHECK (cardinality(product_images) <= 10 AND array_position(product_images, NULL) IS NULL),
    -- compressed_product_images[i] is the copy of product_images[i], NULL until it exists.
    compressed_product_images text[] NOT NULL DEFAULT '{}'
        CHECK (cardinality(compressed_product_images) = cardinality(product_images)),
    -- Source URL -> reason, for images that failed for good; keyed by URL so that an edit
    -- that moves an image keeps its error and one that drops it drops the error too.
    image_failures            jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(image_failures) = 'object'),
    product_price             numeric(10, 2) NOT NULL CHECK (product_price >= 0),
    created_at                timestamptz NOT NULL DEFAULT now(),
    updated_at                timestamptz NOT NULL DEFAULT now()
);

-- The list query: one user's products newest first, optionally within a price window or
-- matching a case-insensitive substring of the name.
CREATE INDEX products_user_newest ON products (user_id, id DESC);
CREATE INDEX products_user_price ON products (user_id, product_price, id);
CREATE INDEX products_name_trgm ON products USING gin (product_name gin_trgm_ops);
