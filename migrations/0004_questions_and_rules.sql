-- Questions, their phrase rules as immutable versions, and each project's text settings.

CREATE TABLE questions (
    id         INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects (id),
    name       TEXT    NOT NULL,
    -- JSON array of the question's labels, in the order they are offered.
    labels     TEXT    NOT NULL,
    -- The studies the question applies to; NULL: all of the project's studies.
    cohort_id  INTEGER REFERENCES cohorts (id) ON DELETE SET NULL,
    created_by TEXT,
    created_at INTEGER NOT NULL,
    UNIQUE (project_id, name)
);

-- Every change to a question's rules writes the whole rule set as a new version; the current rules
-- are the latest version. Two fellows changing rules at once cannot both write the same version:
-- the loser re-reads and applies its change on top, so no rule is lost.
CREATE TABLE rule_versions (
    question_id INTEGER NOT NULL REFERENCES questions (id),
    version     INTEGER NOT NULL,
    -- JSON array of the rules in priority order, highest first.
    rules       TEXT    NOT NULL,
    -- What changed, in words.
    change      TEXT    NOT NULL,
    actor       TEXT,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (question_id, version)
);

-- A project's cue lists and section headers (JSON); absent: the defaults.
CREATE TABLE text_settings (
    project_id INTEGER PRIMARY KEY REFERENCES projects (id),
    settings   TEXT    NOT NULL,
    updated_by TEXT,
    updated_at INTEGER NOT NULL
);
