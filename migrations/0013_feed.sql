-- The live HL7 feed (issue 15). A project takes the feed only when an admin gives it a filter;
-- each list is a JSON array of strings, and an empty list accepts any value. Changes are audited.
CREATE TABLE feed_filters (
    project_id INTEGER PRIMARY KEY REFERENCES projects (id),
    facilities TEXT    NOT NULL DEFAULT '[]',
    exam_codes TEXT    NOT NULL DEFAULT '[]',
    modalities TEXT    NOT NULL DEFAULT '[]',
    updated_by TEXT,
    updated_at INTEGER NOT NULL DEFAULT (unixepoch())
);

-- Every message a project stored, by the sender's control id (MSH-10), written in the same
-- transaction as the report: a message sent again (a sender retrying after a lost
-- acknowledgement or a restart) is acknowledged again and stored once.
CREATE TABLE feed_messages (
    control_id  TEXT    NOT NULL,
    project_id  INTEGER NOT NULL REFERENCES projects (id),
    accession   TEXT    NOT NULL,
    received_at INTEGER NOT NULL DEFAULT (unixepoch()),
    PRIMARY KEY (control_id, project_id)
);

-- How many messages the feed handled, by outcome (stored, resent, unrouted, refused, failed):
-- a message that routes to no project is acknowledged and counted here, not stored.
CREATE TABLE feed_counts (
    outcome  TEXT    NOT NULL PRIMARY KEY,
    messages INTEGER NOT NULL DEFAULT 0
);
