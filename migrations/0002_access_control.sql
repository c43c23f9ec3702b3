-- Access control per IRB protocol: a protocol's end date, closing a project, and API tokens.

-- After this date (YYYY-MM-DD) the protocol has expired: members keep aggregate statistics only.
ALTER TABLE projects ADD COLUMN irb_expires_on TEXT;
-- When set, the project was closed: its reports and index were purged; its audit events remain.
ALTER TABLE projects ADD COLUMN closed_at INTEGER;

-- Tokens for scripts (`Authorization: Bearer ...`). Only the SHA-256 of the secret is kept: the
-- secrets are 256 random bits, so a fast hash suffices, and a copy of the database yields no token.
-- A token acts as its user, and only in its project when it has one.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    project_id   INTEGER REFERENCES projects (id),
    name         TEXT    NOT NULL,
    secret_hash  TEXT    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL DEFAULT (unixepoch()),
    expires_at   INTEGER NOT NULL,
    revoked_at   INTEGER,
    last_used_at INTEGER
);
CREATE INDEX api_tokens_by_user ON api_tokens (user_id);

-- The admin's audit page filters by project and actor.
CREATE INDEX audit_events_by_project ON audit_events (project_id, id);
CREATE INDEX audit_events_by_actor ON audit_events (actor, id);
