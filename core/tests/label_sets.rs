//! Label sets against a real SQLite file and a real index: the files match their manifest, the
//! split keeps each patient in one split and is the same for the same seed, the policy decides
//! which labels enter, a changed file is caught, and two versions can be compared.

mod common;

use std::collections::{BTreeMap, HashMap};

use common::Project;
use sieve_core::label_sets::{self, sha256_file, Policy};
use sieve_core::queue::{self, Settings};
use sieve_core::{auth, Error};

fn rows(project: &Project, set: &label_sets::LabelSet) -> Vec<serde_json::Value> {
    let dir = label_sets::set_dir(project.data_dir(), project.project_id, set.version);
    std::fs::read_to_string(dir.join("labels.jsonl"))
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// An affiliate answers `count` studies of the queue, with `label` when given, else the soft label.
async fn answer(project: &Project, user: &str, count: usize, label: Option<&str>) -> Vec<i64> {
    let user_id = match auth::find_user_by_name(&project.pool, user).await {
        Ok(user) => user.id,
        Err(_) => {
            auth::create_user(&project.pool, user, "a long test password", false, None)
                .await
                .unwrap()
                .id
        }
    };
    let q = &project.question;
    let mut served = project.queue.next(q, user_id, user).await.unwrap();
    let mut answered = Vec::new();
    while let Some(study) = served {
        if answered.len() == count {
            break;
        }
        let given = label.map_or_else(|| study.soft_label.clone().unwrap(), String::from);
        answered.push(study.report_id);
        served = project
            .queue
            .answer(q, user_id, user, study.report_id, study.claim, &given)
            .await
            .unwrap()
            .served();
    }
    answered
}

async fn with_queue(reports: u64) -> Project {
    let project = Project::new(reports).await;
    let settings = Settings {
        overlap_share: 0.0,
        gold_rate: 0.0,
        ..Settings::default()
    };
    queue::build(
        &project.context(),
        &project.question,
        &settings,
        Some("fellow"),
    )
    .await
    .unwrap();
    project
}

#[tokio::test]
async fn a_label_set_names_no_image_location_and_links_each_study_to_its_images() {
    // The synthetic corpus keeps its images at /archive/dicom/<patient id>/<accession>/, as many
    // hospitals' archives do: the clear identifiers are in the location.
    let project = Project::new(120).await;
    let set = project.export(&project.spec(true, 1)).await;
    let dir = label_sets::set_dir(project.data_dir(), project.project_id, set.version);
    let corpus: Vec<_> = sieve_core::corpus::generate(9, 120).collect();
    let mut contents = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            contents.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    let names = |bytes: &[u8], needle: &str| {
        bytes
            .windows(needle.len())
            .any(|window| window == needle.as_bytes())
    };
    for report in &corpus {
        let location = report.image_uri.as_deref().unwrap();
        for (path, bytes) in &contents {
            for clear in [
                location,
                report.accession.as_str(),
                report.patient_id.as_str(),
            ] {
                assert!(!names(bytes, clear), "{} names {clear}", path.display());
            }
        }
    }
    let rows = rows(&project, &set);
    assert!(!rows.is_empty());
    for row in &rows {
        let study_id = row["study_id"].as_str().unwrap();
        let image = row["image_uri"].as_str().unwrap();
        assert_eq!(image, format!("images/{study_id}"));
        let target = std::fs::read_link(dir.join(image)).unwrap();
        assert!(
            corpus
                .iter()
                .any(|r| r.image_uri.as_deref() == target.to_str()),
            "{image} links to a study's images: {}",
            target.display()
        );
    }
    // The links are locations, not content: the label set still verifies.
    label_sets::verify(project.data_dir(), &set).await.unwrap();
}

#[tokio::test]
async fn files_match_the_manifest_and_no_patient_is_in_two_splits() {
    let project = Project::new(800).await;
    let set = project.export(&project.spec(true, 7)).await;
    let dir = label_sets::set_dir(project.data_dir(), project.project_id, set.version);
    assert_eq!(set.version, 1);
    assert!(set.studies > 100, "{} studies", set.studies);
    let names: Vec<&str> = set.manifest.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "labels.csv",
            "labels.jsonl",
            "labels.parquet",
            "texts.jsonl"
        ]
    );
    for file in &set.manifest.files {
        assert_eq!(
            sha256_file(&dir.join(&file.name)).unwrap(),
            file.sha256,
            "{}",
            file.name
        );
    }
    label_sets::verify(project.data_dir(), &set).await.unwrap();

    let rows = rows(&project, &set);
    assert_eq!(rows.len() as i64, set.studies);
    let mut split_of: HashMap<String, String> = HashMap::new();
    for row in &rows {
        let patient = row["patient_id"].as_str().unwrap().to_string();
        let split = row["split"].as_str().unwrap().to_string();
        let first = split_of.entry(patient.clone()).or_insert(split.clone());
        assert_eq!(*first, split, "patient {patient} is in two splits");
        let study = row["study_id"].as_str().unwrap();
        assert!(
            study.starts_with('S') && study.len() == 25,
            "pseudonymous study id {study}"
        );
        assert_eq!(row["labels"]["Pneumothorax"]["source"], "soft");
    }
    let per_split: u64 = set.manifest.counts.studies.values().sum();
    assert_eq!(per_split as usize, rows.len());
    let train = set.manifest.counts.studies[&sieve_core::split::Split::Train] as f64;
    assert!((train / rows.len() as f64 - 0.8).abs() < 0.1, "train share");

    // The CSV and the Parquet file hold the same studies.
    let csv_rows = csv::Reader::from_path(dir.join("labels.csv"))
        .unwrap()
        .records()
        .count();
    assert_eq!(csv_rows, rows.len());
    let parquet = std::fs::File::open(dir.join("labels.parquet")).unwrap();
    let reader = parquet::file::serialized_reader::SerializedFileReader::new(parquet).unwrap();
    use parquet::file::reader::FileReader;
    assert_eq!(
        reader.metadata().file_metadata().num_rows() as usize,
        rows.len()
    );
    let columns: Vec<String> = reader
        .metadata()
        .file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    assert_eq!(
        columns[..5],
        ["study_id", "patient_id", "study_date", "image_uri", "split"]
    );
    assert_eq!(
        columns[5..],
        [
            "Pneumothorax",
            "Pneumothorax_source",
            "Pneumothorax_agreement"
        ]
    );
}

#[tokio::test]
async fn the_same_seed_gives_the_same_files_and_another_seed_another_split() {
    let project = Project::new(600).await;
    let first = project.export(&project.spec(true, 11)).await;
    let again = project.export(&project.spec(true, 11)).await;
    let other = project.export(&project.spec(true, 12)).await;
    assert_eq!((first.version, again.version, other.version), (1, 2, 3));
    let hash = |set: &label_sets::LabelSet| set.manifest.files[1].sha256.clone();
    assert_eq!(hash(&first), hash(&again), "same seed, same labels.jsonl");
    assert_ne!(
        hash(&first),
        hash(&other),
        "another seed deals patients differently"
    );
}

#[tokio::test]
async fn final_labels_only_takes_confirmed_and_adjudicated_labels() {
    let project = with_queue(600).await;
    let confirmed = answer(&project, "aff1", 6, None).await;
    let corrected = answer(&project, "aff2", 3, Some("uncertain")).await;
    queue::adjudicate(
        &project.pool,
        &project.question,
        confirmed[0],
        "uncertain",
        Some("fellow"),
    )
    .await
    .unwrap();
    // A gold item on a study nobody answered: the fellow's label, under its own source.
    let answered: Vec<i64> = confirmed.iter().chain(&corrected).copied().collect();
    let gold_study = (1..600).find(|id| !answered.contains(id)).unwrap();
    queue::set_gold(
        &project.context(),
        &project.question,
        gold_study,
        Some("present"),
        Some("fellow"),
    )
    .await
    .unwrap();

    let set = project.export(&project.spec(false, 1)).await;
    let rows = rows(&project, &set);
    assert_eq!(rows.len(), 10, "the 9 answered studies and the gold item");
    let sources: BTreeMap<String, usize> = rows.iter().fold(BTreeMap::new(), |mut all, row| {
        let source = row["labels"]["Pneumothorax"]["source"]
            .as_str()
            .unwrap()
            .to_string();
        *all.entry(source).or_default() += 1;
        all
    });
    assert_eq!(
        sources,
        BTreeMap::from([
            ("adjudicated".into(), 1),
            ("confirmed".into(), 8),
            ("gold".into(), 1)
        ])
    );
    // One rater agrees with no one: no agreement figure for a single confirmation.
    assert!(rows
        .iter()
        .filter(|row| row["labels"]["Pneumothorax"]["source"] == "confirmed")
        .all(|row| row["labels"]["Pneumothorax"]["agreement"].is_null()));
    let uncertain = rows
        .iter()
        .filter(|row| row["labels"]["Pneumothorax"]["label"] == "uncertain")
        .count();
    assert_eq!(
        uncertain,
        corrected.len() + 1,
        "the affiliates' corrections and the adjudication win"
    );

    let mut spec = project.spec(false, 1);
    spec.policy = Policy {
        soft_where_unconfirmed: false,
        drop_uncertain: true,
    };
    let dropped = project.export(&spec).await;
    assert_eq!(dropped.studies, 6, "uncertain labels left out");
}

#[tokio::test]
async fn a_file_changed_on_disk_is_caught_and_named() {
    let project = Project::new(300).await;
    let set = project.export(&project.spec(true, 1)).await;
    let dir = label_sets::set_dir(project.data_dir(), project.project_id, set.version);
    let mut text = std::fs::read_to_string(dir.join("labels.csv")).unwrap();
    text = text.replacen("absent", "present", 1);
    std::fs::write(dir.join("labels.csv"), text).unwrap();
    match label_sets::verify(project.data_dir(), &set).await {
        Err(Error::Invalid(message)) => {
            assert!(message.contains("labels.csv"), "{message}");
            assert!(!message.contains("labels.jsonl"), "{message}");
        }
        other => panic!("expected a hash mismatch, got {other:?}"),
    }
}

#[tokio::test]
async fn two_versions_differ_by_the_studies_added_and_relabeled() {
    let project = with_queue(600).await;
    let first = answer(&project, "aff1", 5, None).await;
    let v1 = project.export(&project.spec(false, 1)).await;
    answer(&project, "aff1", 4, None).await;
    queue::adjudicate(
        &project.pool,
        &project.question,
        first[0],
        "uncertain",
        Some("fellow"),
    )
    .await
    .unwrap();
    let v2 = project.export(&project.spec(false, 1)).await;
    let diff = label_sets::diff(project.data_dir(), &v1, &v2)
        .await
        .unwrap();
    assert_eq!(
        (diff.added, diff.removed, diff.relabeled, diff.unchanged),
        (4, 0, 1, 4)
    );
    assert_eq!(diff.examples.len(), 1);
    assert_eq!(diff.examples[0].to, "uncertain");
    assert!(diff.causes.is_empty(), "same choices: {:?}", diff.causes);
    let back = label_sets::diff(project.data_dir(), &v2, &v1)
        .await
        .unwrap();
    assert_eq!((back.added, back.removed, back.relabeled), (0, 4, 1));
    // The studies are named, in order, whichever way round.
    assert_eq!(diff.added_examples.len(), 4);
    assert!(diff.added_examples.is_sorted());
    assert_eq!(back.removed_examples, diff.added_examples);
    assert!(diff.moved <= diff.relabeled + diff.unchanged);
    // Each set records the cue lists and sections its soft labels were read with.
    assert_eq!(
        v2.manifest.text_settings,
        Some(sieve_core::labeling::TextSettings::default())
    );
}

#[tokio::test]
async fn a_request_without_questions_or_with_bad_shares_is_refused() {
    let project = Project::new(50).await;
    let mut spec = project.spec(true, 1);
    spec.questions.clear();
    let error = label_sets::plan(
        &project.context(),
        &project.pseudonymizer,
        project.project_id,
        &spec,
    )
    .await
    .err()
    .unwrap();
    assert!(
        error.to_string().contains("pick at least one question"),
        "{error}"
    );
    let mut spec = project.spec(true, 1);
    spec.shares.test = 0.5;
    let error = label_sets::plan(
        &project.context(),
        &project.pseudonymizer,
        project.project_id,
        &spec,
    )
    .await
    .err()
    .unwrap();
    assert!(error.to_string().contains("add up to"), "{error}");
    assert!(label_sets::list(&project.pool, project.project_id)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn files_left_by_an_export_that_crashed_before_its_record_are_replaced() {
    let project = Project::new(200).await;
    // A crash after the files were renamed into place but before the record was written.
    let stray = label_sets::set_dir(project.data_dir(), project.project_id, 1);
    std::fs::create_dir_all(&stray).unwrap();
    std::fs::write(stray.join("labels.csv"), "half a file").unwrap();
    let set = project.export(&project.spec(true, 1)).await;
    assert_eq!(set.version, 1);
    label_sets::verify(project.data_dir(), &set).await.unwrap();
    assert_eq!(rows(&project, &set).len() as i64, set.studies);
}

#[tokio::test]
async fn an_export_without_any_labeled_study_is_refused() {
    let project = Project::new(100).await;
    let spec = project.spec(false, 1);
    let plan = label_sets::plan(
        &project.context(),
        &project.pseudonymizer,
        project.project_id,
        &spec,
    )
    .await
    .unwrap();
    let export = label_sets::Export {
        data_dir: project.data_dir(),
        project_id: project.project_id,
        project: "P",
        actor: "scientist",
    };
    let error = label_sets::create(&project.pool, &export, plan)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("nothing to export"), "{error}");
    assert!(label_sets::list(&project.pool, project.project_id)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn label_sets_of_two_projects_cannot_be_joined_on_patients_or_studies() {
    let one = Project::new(300).await;
    let two = one.beside("Q", 300).await;
    let first = rows(&one, &one.export(&one.spec(true, 7)).await);
    let second = rows(&two, &two.export(&two.spec(true, 7)).await);
    assert_eq!(first.len(), second.len(), "the same reports, labeled alike");
    let column = |rows: &[serde_json::Value], name: &str| -> std::collections::HashSet<String> {
        rows.iter()
            .map(|row| row[name].as_str().unwrap().to_string())
            .collect()
    };
    for name in ["patient_id", "study_id"] {
        let (here, there) = (column(&first, name), column(&second, name));
        assert_eq!(
            here.len(),
            there.len(),
            "{name}: one pseudonym per patient or study in each"
        );
        assert!(
            here.is_disjoint(&there),
            "{name}: the two label sets share no value"
        );
    }
}

#[tokio::test]
async fn an_answer_given_before_its_report_changed_is_listed_for_review() {
    let project = with_queue(100).await;
    let answered = answer(&project, "aff1", 2, None).await;
    let review = queue::review(&project.pool, &project.question)
        .await
        .unwrap();
    assert!(review.before_amendment.is_empty());
    // The first answered study's report comes again with another text (a file imported again).
    let report = sieve_core::reports::find(&project.pool, project.project_id, answered[0])
        .await
        .unwrap();
    let mut again = sieve_core::corpus::generate(9, 100)
        .find(|r| r.accession == report.accession)
        .unwrap();
    again
        .report_text
        .push_str(" ADDENDUM: no change on comparison.");
    sieve_core::reports::store_batch(
        &project.pool,
        project.project_id,
        &project.pseudonymizer,
        &[again],
    )
    .await
    .unwrap();
    let review = queue::review(&project.pool, &project.question)
        .await
        .unwrap();
    assert_eq!(review.before_amendment.len(), 1);
    assert_eq!(review.before_amendment[0].accession, report.accession);
    assert_eq!(review.before_amendment[0].rater, "aff1");
    // Until reviewed, it is not a confirmation: only the other answered study is exported as one.
    assert_eq!(review.answers, 1);
    let confirmed_only = project.export(&project.spec(false, 1)).await;
    assert_eq!(confirmed_only.studies, 1);
    // The fellow decides it: it leaves the list. (Times are in whole seconds, and a decision in the
    // same second as the change is taken as made before it: the test lets a second pass.)
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    queue::adjudicate(
        &project.pool,
        &project.question,
        answered[0],
        "absent",
        Some("fellow"),
    )
    .await
    .unwrap();
    let review = queue::review(&project.pool, &project.question)
        .await
        .unwrap();
    assert!(review.before_amendment.is_empty());
    // Corrected again: the decision was made on other text, and goes back for review too.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let mut third = sieve_core::corpus::generate(9, 100)
        .find(|r| r.accession == report.accession)
        .unwrap();
    third
        .report_text
        .push_str(" CORRECTION: moderate effusion.");
    sieve_core::reports::store_batch(
        &project.pool,
        project.project_id,
        &project.pseudonymizer,
        &[third],
    )
    .await
    .unwrap();
    let review = queue::review(&project.pool, &project.question)
        .await
        .unwrap();
    let raters: Vec<&str> = review
        .before_amendment
        .iter()
        .map(|answer| answer.rater.as_str())
        .collect();
    assert_eq!(raters, ["aff1", "fellow (decision)"]);
    let kept: String =
        sqlx::query_scalar("SELECT report_text FROM report_revisions WHERE report_id = ?")
            .bind(answered[0])
            .fetch_one(&project.pool)
            .await
            .unwrap();
    assert_eq!(kept, report.report_text);
}
