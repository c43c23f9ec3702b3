-- Affiliates confirm or correct soft labels study by study; fellows keep a gold set and settle
-- disagreements.

-- How a question's queue is filled (one row per question; absent: not started).
CREATE TABLE queue_settings (
    question_id     INTEGER PRIMARY KEY REFERENCES questions (id),
    -- Share of the queued studies that k different affiliates label (the rest: one).
    overlap_share   REAL    NOT NULL DEFAULT 0.2 CHECK (overlap_share BETWEEN 0 AND 1),
    overlap_raters  INTEGER NOT NULL DEFAULT 2 CHECK (overlap_raters BETWEEN 2 AND 9),
    -- Share of served studies that are gold items.
    gold_rate       REAL    NOT NULL DEFAULT 0.1 CHECK (gold_rate BETWEEN 0 AND 0.5),
    -- A claimed study goes back to the queue after this long without an answer.
    claim_seconds   INTEGER NOT NULL DEFAULT 600 CHECK (claim_seconds > 0),
    -- JSON array of the soft labels whose studies are queued; empty: every labeled study.
    labels          TEXT    NOT NULL DEFAULT '[]',
    -- SUM(tasks.open), kept with it: what the affiliates' progress shows as left in the queue.
    open_total      INTEGER NOT NULL DEFAULT 0,
    updated_by      TEXT,
    updated_at      INTEGER NOT NULL
);

-- The studies to confirm, with how many answers each needs and the rule that labeled it.
CREATE TABLE tasks (
    question_id INTEGER NOT NULL REFERENCES questions (id),
    report_id   INTEGER NOT NULL REFERENCES reports (id),
    needed      INTEGER NOT NULL CHECK (needed >= 1),
    -- Rank of the labeling rule when the queue was built (studies come grouped by it).
    rule_rank   INTEGER NOT NULL,
    rule_phrase TEXT    NOT NULL,
    soft_label  TEXT    NOT NULL,
    -- Answers still to hand out: needed − answers − active claims (kept by the queue's writes).
    open        INTEGER NOT NULL,
    PRIMARY KEY (question_id, report_id)
);
CREATE INDEX tasks_open ON tasks (question_id, rule_rank, report_id) WHERE open > 0;

-- Studies an affiliate skipped: not served to them again.
CREATE TABLE skips (
    question_id INTEGER NOT NULL,
    report_id   INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    PRIMARY KEY (question_id, report_id, user_id)
);

-- A study served to an affiliate and not answered yet.
CREATE TABLE claims (
    question_id INTEGER NOT NULL,
    report_id   INTEGER NOT NULL,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    is_gold     INTEGER NOT NULL,
    claimed_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    PRIMARY KEY (question_id, report_id, user_id)
);
CREATE INDEX claims_by_user ON claims (user_id, question_id);

-- One affiliate's answer for one study; undone answers are deleted (the audit log keeps them).
CREATE TABLE answers (
    id          INTEGER PRIMARY KEY,
    question_id INTEGER NOT NULL REFERENCES questions (id),
    report_id   INTEGER NOT NULL REFERENCES reports (id),
    user_id     INTEGER NOT NULL REFERENCES users (id),
    label       TEXT    NOT NULL,
    -- The soft label and rule shown, for per-rule precision.
    soft_label  TEXT,
    rule_phrase TEXT,
    is_gold     INTEGER NOT NULL,
    seconds     REAL    NOT NULL,
    answered_at INTEGER NOT NULL,
    UNIQUE (question_id, report_id, user_id)
);
CREATE INDEX answers_by_study ON answers (question_id, report_id);
CREATE INDEX answers_by_user ON answers (user_id, question_id, answered_at);

-- The fellow's true labels.
CREATE TABLE gold (
    question_id INTEGER NOT NULL REFERENCES questions (id),
    report_id   INTEGER NOT NULL REFERENCES reports (id),
    label       TEXT    NOT NULL,
    set_by      TEXT,
    set_at      INTEGER NOT NULL,
    PRIMARY KEY (question_id, report_id)
);

-- A fellow's decision on a study the affiliates disagreed on.
CREATE TABLE adjudications (
    question_id INTEGER NOT NULL REFERENCES questions (id),
    report_id   INTEGER NOT NULL REFERENCES reports (id),
    label       TEXT    NOT NULL,
    decided_by  TEXT,
    decided_at  INTEGER NOT NULL,
    PRIMARY KEY (question_id, report_id)
);
