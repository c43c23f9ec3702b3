-- The foundation: people, projects (one per IRB protocol), reports and the audit log.
-- Times are unix seconds (UTC) so that comparisons and arithmetic stay in SQL.

-- People who can sign in. The password is kept only as an argon2id PHC string.
-- Site admins manage users and projects; what they may do inside a project comes from memberships.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT    NOT NULL,
    is_admin      BOOLEAN NOT NULL DEFAULT FALSE,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    INTEGER NOT NULL DEFAULT (unixepoch())
);

-- Failed sign-ins by the name that was typed, whether or not such a user exists:
-- the lockout then behaves the same for every name and does not reveal which accounts exist.
CREATE TABLE sign_in_failures (
    user_name    TEXT    PRIMARY KEY COLLATE NOCASE,
    failures     INTEGER NOT NULL,
    locked_until INTEGER NOT NULL
);

-- A project stands for one approved IRB protocol; only its members see its reports.
CREATE TABLE projects (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    irb_protocol TEXT    NOT NULL,
    created_at   INTEGER NOT NULL DEFAULT (unixepoch())
);

-- Roles are per project: the same person can be a fellow here and an affiliate elsewhere.
CREATE TABLE memberships (
    project_id INTEGER NOT NULL REFERENCES projects (id),
    user_id    INTEGER NOT NULL REFERENCES users (id),
    role       TEXT    NOT NULL CHECK (role IN ('fellow', 'affiliate', 'scientist')),
    PRIMARY KEY (project_id, user_id)
);
CREATE INDEX memberships_by_user ON memberships (user_id);

-- One radiology report. The accession number is unique within a project, which makes imports idempotent.
-- patient_ref is already pseudonymous: the clear identifier never reaches this table.
CREATE TABLE reports (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects (id),
    accession   TEXT    NOT NULL,
    patient_ref TEXT    NOT NULL,
    study_date  TEXT    NOT NULL,
    exam_code   TEXT    NOT NULL,
    modality    TEXT    NOT NULL,
    body_part   TEXT    NOT NULL,
    report_text TEXT    NOT NULL,
    image_uri   TEXT,
    UNIQUE (project_id, accession)
);

-- Who did what to which object, when. Append-only: the triggers refuse every change,
-- so not even a bug in the application can rewrite history.
CREATE TABLE audit_events (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL DEFAULT (unixepoch()),
    actor      TEXT,
    action     TEXT    NOT NULL,
    project_id INTEGER,
    object     TEXT,
    detail     TEXT
);
CREATE INDEX audit_events_by_time ON audit_events (at);

CREATE TRIGGER audit_events_are_never_updated BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;

CREATE TRIGGER audit_events_are_never_deleted BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
