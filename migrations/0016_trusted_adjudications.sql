-- A fellow's decision made before its report's text changed was made on other text: like an
-- answer (0015), it waits for review — listed on the question's dashboard — instead of counting.
-- Deciding the study again trusts it again (decided_at moves past the change).
CREATE VIEW trusted_adjudications AS
SELECT d.*
FROM adjudications d JOIN reports r ON r.id = d.report_id
WHERE r.text_changed_at IS NULL OR d.decided_at > r.text_changed_at;
