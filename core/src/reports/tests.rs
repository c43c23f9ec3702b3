use super::*;

fn report() -> NewReport {
    NewReport {
        accession: " A1 ".into(),
        patient_id: "MRN1".into(),
        study_date: "20240131".into(),
        exam_code: "CXR".into(),
        modality: "CR".into(),
        body_part: "CHEST".into(),
        report_text: "No pneumothorax.".into(),
        image_uri: Some(" ".into()),
    }
}

#[test]
fn fields_are_trimmed_and_dates_written_the_iso_way() {
    let normalized = report().normalized().unwrap();
    assert_eq!(normalized.accession, "A1");
    assert_eq!(normalized.study_date, "2024-01-31");
    assert_eq!(normalized.image_uri, None);
}

#[test]
fn the_first_wrong_field_is_named() {
    let bad_date = NewReport {
        study_date: "31/01/2024".into(),
        ..report()
    };
    assert_eq!(
        bad_date.normalized().unwrap_err().to_string(),
        "study_date: \"31/01/2024\" is not a date (use YYYY-MM-DD)"
    );
    let impossible = NewReport {
        study_date: "2024-02-30".into(),
        ..report()
    };
    assert!(impossible
        .normalized()
        .unwrap_err()
        .to_string()
        .starts_with("study_date"));
    let no_text = NewReport {
        report_text: "  ".into(),
        ..report()
    };
    assert_eq!(
        no_text.normalized().unwrap_err().to_string(),
        "report_text: missing"
    );
    let huge = NewReport {
        report_text: "x".repeat(MAX_REPORT_BYTES + 1),
        ..report()
    };
    assert!(huge
        .normalized()
        .unwrap_err()
        .to_string()
        .contains("longer than"));
}
