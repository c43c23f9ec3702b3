use super::*;

#[test]
fn the_same_seed_gives_the_same_corpus() {
    let first: Vec<_> = generate(7, 50).collect();
    let second: Vec<_> = generate(7, 50).collect();
    assert_eq!(first, second);
    let other: Vec<_> = generate(8, 50).collect();
    assert_ne!(first[0].report_text, other[0].report_text);
}

#[test]
fn reports_are_valid_and_about_a_kilobyte() {
    let reports: Vec<_> = generate(1, 500).collect();
    for report in &reports {
        report.validate().unwrap();
        assert!(
            !report.report_text.contains('{'),
            "unfilled placeholder in {}",
            report.report_text
        );
    }
    let mean = reports.iter().map(|r| r.report_text.len()).sum::<usize>() / reports.len();
    assert!(
        (400..=1600).contains(&mean),
        "mean report length {mean} bytes"
    );
}

#[test]
fn corpus_has_both_exams_negations_and_uncertainty() {
    let texts: Vec<_> = generate(3, 400)
        .map(|r| (r.body_part, r.report_text))
        .collect();
    assert!(texts.iter().any(|(part, _)| part == "CHEST"));
    assert!(texts.iter().any(|(part, _)| part == "HEAD"));
    let all = texts
        .iter()
        .map(|(_, text)| text.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    for phrase in [
        "No pneumothorax.",
        "cannot be excluded",
        "IMPRESSION:",
        "No intracranial hemorrhage.",
    ] {
        assert!(all.contains(phrase), "no report contains {phrase:?}");
    }
}

#[test]
fn accessions_are_unique_and_patients_have_several_studies() {
    let reports: Vec<_> = generate(2, 300).collect();
    let accessions: std::collections::HashSet<_> = reports.iter().map(|r| &r.accession).collect();
    assert_eq!(accessions.len(), 300);
    let patients: std::collections::HashSet<_> = reports.iter().map(|r| &r.patient_id).collect();
    assert!(
        patients.len() < 200,
        "{} patients for 300 studies",
        patients.len()
    );
}
