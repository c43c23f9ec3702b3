-- A cancel records when it was asked for (Unix seconds; 0: never), not only that it was: the poller
-- leaves a job being cancelled to the cancel, but only for a while, so a cancel cut short (the
-- server stopped between stopping the job and recording it) cannot leave the job "running" for ever.
ALTER TABLE jobs RENAME COLUMN cancel_requested TO cancel_requested_at;
