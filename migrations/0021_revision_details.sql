-- A later message for an accession may change more than the text (issue 15, walkthrough): its study
-- date, exam, modality, body part or patient. Every version a report replaces is kept whole, its
-- details with its text, whichever of them changed. Revisions kept before carry no details (NULL).
ALTER TABLE report_revisions ADD COLUMN patient_ref TEXT;
ALTER TABLE report_revisions ADD COLUMN study_date TEXT;
ALTER TABLE report_revisions ADD COLUMN exam_code TEXT;
ALTER TABLE report_revisions ADD COLUMN modality TEXT;
ALTER TABLE report_revisions ADD COLUMN body_part TEXT;

DROP TRIGGER reports_keep_replaced_text;
CREATE TRIGGER reports_keep_replaced_version
AFTER UPDATE OF report_text, patient_ref, study_date, exam_code, modality, body_part ON reports
WHEN old.report_text <> new.report_text OR old.patient_ref <> new.patient_ref
  OR old.study_date <> new.study_date OR old.exam_code <> new.exam_code
  OR old.modality <> new.modality OR old.body_part <> new.body_part
BEGIN
    INSERT INTO report_revisions (report_id, report_text, result_status, replaced_at,
                                  patient_ref, study_date, exam_code, modality, body_part)
    VALUES (old.id, old.report_text, old.result_status, unixepoch(),
            old.patient_ref, old.study_date, old.exam_code, old.modality, old.body_part);
    UPDATE reports SET text_changed_at = unixepoch()
    WHERE id = new.id AND old.report_text <> new.report_text;
END;
