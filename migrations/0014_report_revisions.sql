-- Amended reports (issue 15). Feeds send a preliminary report, then the final, then corrections and
-- addenda (OBR-25 result status P, F, C, A), each a later message for the same accession; re-imports
-- of files may change a report's text too. A report keeps its latest text, and every text it
-- replaces is kept here with its status and when it was replaced: nothing signed is lost.
ALTER TABLE reports ADD COLUMN result_status TEXT NOT NULL DEFAULT '';
-- When the report's text last changed after it was first stored: a confirmation given before it
-- was given on other text, and needs review.
ALTER TABLE reports ADD COLUMN text_changed_at INTEGER;

CREATE TABLE report_revisions (
    id            INTEGER PRIMARY KEY,
    report_id     INTEGER NOT NULL REFERENCES reports (id),
    report_text   TEXT    NOT NULL,
    result_status TEXT    NOT NULL,
    replaced_at   INTEGER NOT NULL
);
CREATE INDEX report_revisions_by_report ON report_revisions (report_id);

CREATE TRIGGER reports_keep_replaced_text AFTER UPDATE OF report_text ON reports
WHEN old.report_text <> new.report_text
BEGIN
    INSERT INTO report_revisions (report_id, report_text, result_status, replaced_at)
    VALUES (old.id, old.report_text, old.result_status, unixepoch());
    UPDATE reports SET text_changed_at = unixepoch() WHERE id = new.id;
END;
