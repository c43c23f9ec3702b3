-- A claim on a study its user answered before the report's text changed (an amended or corrected
-- report, a file imported again): the queue serves it to them again, first, so they read the new
-- text and confirm or correct their answer (issue 15). It holds no slot of the queue: when it is
-- given back, no slot is reopened.
ALTER TABLE claims ADD COLUMN review INTEGER NOT NULL DEFAULT 0;

-- The few reports whose text changed, to find their answers without reading every answer.
CREATE INDEX reports_text_changed ON reports (id) WHERE text_changed_at IS NOT NULL;
