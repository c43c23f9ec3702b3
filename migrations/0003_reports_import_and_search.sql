-- Importing reports and searching them: change detection, index catch-up and saved cohorts.

-- Every import into a project bumps its revision; a report keeps the revision that last wrote it,
-- and each project's search index records the revision it has caught up to (in its commit payload),
-- so an index that missed an import (a crash between the two commits) is caught up at start.
ALTER TABLE projects ADD COLUMN report_revision INTEGER NOT NULL DEFAULT 0;
ALTER TABLE reports ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
-- SHA-256 of the stored fields: re-importing an unchanged report changes nothing.
ALTER TABLE reports ADD COLUMN content_hash TEXT NOT NULL DEFAULT '';
CREATE INDEX reports_by_revision ON reports (project_id, revision);

-- A saved, named filter over a project's studies. Lists are comma-separated; empty means any.
CREATE TABLE cohorts (
    id         INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects (id),
    name       TEXT    NOT NULL,
    query      TEXT    NOT NULL DEFAULT '',
    date_from  TEXT,
    date_to    TEXT,
    exam_codes TEXT    NOT NULL DEFAULT '',
    modalities TEXT    NOT NULL DEFAULT '',
    body_parts TEXT    NOT NULL DEFAULT '',
    created_by TEXT,
    created_at INTEGER NOT NULL DEFAULT (unixepoch()),
    UNIQUE (project_id, name)
);
