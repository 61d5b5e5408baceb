-- An import of an event export records its progress before each batch (rows whose events
-- are stored, and the end of the batch being sent), so a second run after a stop resumes
-- it instead of sending again what had landed. Rows from before were whole imports.
ALTER TABLE imported_exports ADD COLUMN rows_done BIGINT NOT NULL DEFAULT 0;
ALTER TABLE imported_exports ADD COLUMN rows_sending BIGINT NOT NULL DEFAULT 0;
ALTER TABLE imported_exports ADD COLUMN finished BOOLEAN NOT NULL DEFAULT TRUE;
-- The salt of an unfinished import's visitor ids, erased when it finishes.
ALTER TABLE imported_exports ADD COLUMN visitor_salt TEXT;
