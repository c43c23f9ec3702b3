-- A message is the same message sent again only when its control id (MSH-10) AND its report are
-- the same (issue 15, walkthrough): interface engines reuse control ids after a restart or a
-- rollover, and a different report under a used control id must be stored, not dropped as a resend.
-- Messages recorded before carry no content hash ('').
CREATE TABLE feed_messages_by_content (
    control_id   TEXT    NOT NULL,
    project_id   INTEGER NOT NULL REFERENCES projects (id),
    accession    TEXT    NOT NULL,
    content_hash TEXT    NOT NULL DEFAULT '',
    received_at  INTEGER NOT NULL DEFAULT (unixepoch()),
    PRIMARY KEY (control_id, project_id, content_hash)
);
INSERT INTO feed_messages_by_content (control_id, project_id, accession, received_at)
SELECT control_id, project_id, accession, received_at FROM feed_messages;
DROP TABLE feed_messages;
ALTER TABLE feed_messages_by_content RENAME TO feed_messages;
