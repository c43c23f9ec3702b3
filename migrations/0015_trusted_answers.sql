-- Answers the labels trust (issue 15): an answer given before its report's text changed (an
-- amended or corrected report, a file imported again) was given on other text. It waits for
-- review — the question's dashboard lists it — instead of counting as a confirmation in the
-- dashboard's final labels, agreement or label sets.
CREATE VIEW trusted_answers AS
SELECT a.*
FROM answers a JOIN reports r ON r.id = a.report_id
WHERE r.text_changed_at IS NULL OR a.answered_at > r.text_changed_at;
