-- A question can be archived (issue 13): a protocol ends one question while the project goes on.
-- An archived question leaves the questions list, the affiliates' queues and the choices of a new
-- label set, but it is never deleted: its rule versions, answers and the label sets exported from
-- it stay, and a fellow can restore it. NULL: active; else when it was archived (Unix seconds).
ALTER TABLE questions ADD COLUMN archived_at INTEGER;
