-- depends: 0002.outbox-and-dead-letters
-- Measured on 1.12M products of two users (docs/benchmarks.md): at the default
-- random_page_cost of 4 the list query of a user whose products are older than another's
-- walks the primary key through everyone else's rows (p95 ~380 ms); at 1.1, which suits
-- SSDs, it uses products_user_newest (p95 ~7 ms). Applies to new connections.
DO $$ BEGIN
    EXECUTE format('ALTER DATABASE %I SET random_page_cost = 1.1', current_database());
END $$;

-- The default sample underestimated 4-9 of 300 common name words by 10x or more, and a low
-- estimate makes the planner fetch and sort every match of a common word.
ALTER TABLE products ALTER COLUMN product_name SET STATISTICS 300;
ANALYZE products;
