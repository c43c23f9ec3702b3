-- A study's soft label and rule were worked out from its report's text when the queue was built
-- (issue 15, walkthrough): once the text changes they may say the opposite of what it says now, so
-- from then on the queue suggests nothing for the study (`stale`) until the queue is built again.
-- Tasks queued before this column existed read as queued at 0: any later change makes them stale.
ALTER TABLE tasks ADD COLUMN queued_at INTEGER NOT NULL DEFAULT 0;

CREATE VIEW task_suggestions AS
SELECT t.question_id, t.report_id,
       CASE WHEN r.text_changed_at >= t.queued_at THEN NULL ELSE t.soft_label END AS soft_label,
       CASE WHEN r.text_changed_at >= t.queued_at THEN NULL ELSE t.rule_phrase END AS rule_phrase,
       COALESCE(r.text_changed_at >= t.queued_at, 0) AS stale
FROM tasks t JOIN reports r ON r.id = t.report_id;
