-- Scientists export label sets and launch training jobs on them.

-- An immutable snapshot of final labels. Its files live under the data directory
-- (labelsets/<project>/<version>/); the manifest kept here lists each file's SHA-256, so a file
-- changed on disk is caught before anyone trains on it.
CREATE TABLE label_sets (
    id              INTEGER PRIMARY KEY,
    project_id      INTEGER NOT NULL REFERENCES projects (id),
    version         INTEGER NOT NULL CHECK (version >= 1),
    -- The request (questions, cohort, policy, seed, shares) as JSON.
    spec            TEXT    NOT NULL,
    studies         INTEGER NOT NULL,
    -- manifest.json as written, and its SHA-256.
    manifest        TEXT    NOT NULL,
    manifest_sha256 TEXT    NOT NULL,
    created_by      TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    UNIQUE (project_id, version)
);

-- How to run a training job (site-wide, kept by the admin).
CREATE TABLE launch_profiles (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    backend     TEXT    NOT NULL CHECK (backend IN ('local', 'slurm', 'kubernetes')),
    -- The backend's settings as JSON.
    settings    TEXT    NOT NULL,
    created_by  TEXT,
    updated_at  INTEGER NOT NULL,
    archived_at INTEGER
);

-- One launch of one label set with one profile. Jobs launched together (a hyperparameter search)
-- share a group: the id of the first of them.
CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY,
    project_id   INTEGER NOT NULL REFERENCES projects (id),
    label_set_id INTEGER NOT NULL REFERENCES label_sets (id),
    profile_id   INTEGER NOT NULL REFERENCES launch_profiles (id),
    group_id     INTEGER NOT NULL,
    -- Extra arguments as a JSON array of strings.
    args         TEXT    NOT NULL,
    state        TEXT    NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'lost')),
    -- What the scheduler calls it: a process id, a Slurm job id, a Kubernetes Job name.
    scheduler_id TEXT    NOT NULL,
    -- The job's directory on the Sieve host: its script and log.
    dir          TEXT    NOT NULL,
    exit_code    INTEGER,
    message      TEXT,
    created_by   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    started_at   INTEGER,
    finished_at  INTEGER,
    cancel_requested INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX jobs_by_project ON jobs (project_id, group_id, id);
CREATE INDEX jobs_unfinished ON jobs (state) WHERE state IN ('queued', 'running');
