-- depends: 0003.planner-settings
-- The failure code (models.failures.FailureCode) of each dead letter, and the source's HTTP
-- status for HTTP_STATUS. NULL for letters archived before codes were recorded: nothing
-- is guessed from their reason. No CHECK on the codes: a new code needs no migration.
ALTER TABLE dead_letters ADD COLUMN code text, ADD COLUMN http_status integer;
