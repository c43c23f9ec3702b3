-- Models and continuous validation (issue 17): a model version answers one question; its
-- predictions are checked against the study's label as Sieve knows it, day by day, with alarms.

-- One version of a model. Its output is a label of the question, or a score that is positive from
-- `threshold` on; `positive_label` is the question's label the model's positive stands for.
-- A model created from a training job keeps the job, its label set and the job's metrics.
CREATE TABLE models (
    id             INTEGER PRIMARY KEY,
    project_id     INTEGER NOT NULL REFERENCES projects (id),
    name           TEXT    NOT NULL,
    version        TEXT    NOT NULL,
    question_id    INTEGER NOT NULL REFERENCES questions (id),
    positive_label TEXT    NOT NULL,
    threshold      REAL,
    job_id         INTEGER REFERENCES jobs (id),
    label_set_id   INTEGER REFERENCES label_sets (id),
    output_dir     TEXT,
    -- The job's metrics as JSON ([{"name": …, "value": …}]), empty for a registered model.
    metrics        TEXT    NOT NULL DEFAULT '[]',
    -- Alarm settings: the baseline period (YYYY-MM-DD, inclusive; NULL: the first 90 days with
    -- predictions), the run-length rule's days, the CUSUM's in-control average run length (days)
    -- and the rise of daily discordance it is tuned to detect (a proportion, 0.05 = 5 points).
    baseline_from  TEXT,
    baseline_to    TEXT,
    run_length     INTEGER NOT NULL DEFAULT 7 CHECK (run_length >= 2),
    cusum_arl      REAL    NOT NULL DEFAULT 1000 CHECK (cusum_arl >= 10),
    cusum_shift    REAL    NOT NULL DEFAULT 0.05 CHECK (cusum_shift > 0),
    -- A local address that is sent a JSON POST when an alarm is raised (empty: none).
    webhook_url    TEXT    NOT NULL DEFAULT '',
    -- Bumped by every save of the alarm settings: a save from a page opened before is refused.
    watching_version INTEGER NOT NULL DEFAULT 0,
    -- Bumped by every import of predictions, so that views cached in memory know they are stale.
    revision       INTEGER NOT NULL DEFAULT 0,
    created_by     TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    UNIQUE (project_id, name, version)
);

-- A model's output for one study: idempotent per (model version, study).
CREATE TABLE predictions (
    model_id     INTEGER NOT NULL REFERENCES models (id),
    report_id    INTEGER NOT NULL REFERENCES reports (id),
    label        TEXT,
    score        REAL,
    predicted_at INTEGER,
    PRIMARY KEY (model_id, report_id)
) WITHOUT ROWID;

-- The studies of the test split of the label set a model was trained on (a model from a job).
CREATE TABLE model_test_studies (
    model_id  INTEGER NOT NULL REFERENCES models (id),
    report_id INTEGER NOT NULL REFERENCES reports (id),
    PRIMARY KEY (model_id, report_id)
) WITHOUT ROWID;

-- Alarms raised, one per (model, rule, subject, day on which the rule fired): `rule` names what
-- fired, `subject` what it watched (empty for the model's discordance; for the labeler's alarms,
-- the phrase rule whose share of the week's studies moved, or the unlabeled share).
CREATE TABLE model_alarms (
    id        INTEGER PRIMARY KEY,
    model_id  INTEGER NOT NULL REFERENCES models (id),
    rule      TEXT    NOT NULL CHECK (rule IN ('run_length', 'cusum', 'labeler')),
    subject   TEXT    NOT NULL DEFAULT '',
    day       TEXT    NOT NULL,
    detail    TEXT    NOT NULL,
    raised_at INTEGER NOT NULL,
    UNIQUE (model_id, rule, subject, day)
);

-- Whether Sieve has looked for `predictions.csv` in a succeeded job's output (and made its model).
ALTER TABLE jobs ADD COLUMN predictions_read INTEGER NOT NULL DEFAULT 0;
