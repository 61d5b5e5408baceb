-- The app node that queued a bot recompute runs it (its scheduler took the request), so
-- only that node may call the job interrupted when it starts again; other nodes' jobs
-- are still running. Rows from before this migration have no owner and are failed by the
-- first node that starts, as before.
ALTER TABLE bot_recompute_runs ADD COLUMN owner_node TEXT;
