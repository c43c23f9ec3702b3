//! Importing files into a real SQLite database: every format round-trips, bad files change nothing,
//! say where they are wrong, re-imports are idempotent, and patients are pseudonymised per project.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};

use sieve_core::import::{import_file, Destination, Format, Options};
use sieve_core::pseudonym::Pseudonymizer;
use sieve_core::reports::{self, NewReport};
use sieve_core::{corpus, projects, Error};
use tempfile::TempDir;

struct Fixture {
    dir: TempDir,
    pool: sqlx::SqlitePool,
    project: i64,
    pseudonymizer: Pseudonymizer,
    indexes: sieve_core::search::Indexes,
}

async fn fixture() -> Fixture {
    let install = common::Install::new().await;
    let project = install.project("P").await;
    Fixture {
        indexes: sieve_core::search::Indexes::new(install.dir.path().join("index")),
        dir: install.dir,
        pool: install.pool,
        project,
        pseudonymizer: Pseudonymizer::with_key([3; 32]),
    }
}

impl Fixture {
    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    async fn import(
        &self,
        path: &Path,
        options: &Options,
    ) -> sieve_core::Result<sieve_core::import::Outcome> {
        let destination = Destination {
            pool: &self.pool,
            project_id: self.project,
            indexes: Some(&self.indexes),
        };
        import_file(
            destination,
            path,
            &self.pseudonymizer,
            options,
            Some("fiona"),
            |_| {},
        )
        .await
    }

    /// The pseudonymizer of the fixture's project (keyed for it).
    async fn project_pseudonymizer(&self) -> Pseudonymizer {
        self.pseudonymizer
            .of_project(&self.pool, self.project)
            .await
            .unwrap()
    }

    async fn stored(&self) -> Vec<reports::Report> {
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM reports WHERE project_id = ? ORDER BY accession")
                .bind(self.project)
                .fetch_all(&self.pool)
                .await
                .unwrap();
        reports::find_many(&self.pool, self.project, &ids)
            .await
            .unwrap()
    }
}

fn corpus(count: u64) -> Vec<NewReport> {
    let mut reports: Vec<_> = corpus::generate(11, count).collect();
    reports.sort_by(|a, b| a.accession.cmp(&b.accession));
    reports
}

fn as_jsonl(reports: &[NewReport]) -> String {
    reports
        .iter()
        .map(|r| serde_json::to_string(r).unwrap() + "\n")
        .collect()
}

fn as_csv(reports: &[NewReport]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(sieve_core::import::FIELDS).unwrap();
    for r in reports {
        let uri = r.image_uri.clone().unwrap_or_default();
        writer
            .write_record([
                &r.accession,
                &r.patient_id,
                &r.study_date,
                &r.exam_code,
                &r.modality,
                &r.body_part,
                &r.report_text,
                &uri,
            ])
            .unwrap();
    }
    String::from_utf8(writer.into_inner().unwrap()).unwrap()
}

fn as_hl7(reports: &[NewReport]) -> String {
    let escape = |text: &str| {
        text.replace('\\', "\\E\\")
            .replace('|', "\\F\\")
            .replace('^', "\\S\\")
            .replace('&', "\\T\\")
            .replace('~', "\\R\\")
    };
    reports
        .iter()
        .map(|r| {
            let lines: Vec<String> = r.report_text.split('\n').map(escape).collect();
            format!(
                "MSH|^~\\&|RIS|H|SIEVE|H|20240101||ORU^R01|{a}|P|2.5\rPID|1||{p}^^^H^MR\rOBR|1||{a}|{e}^Exam|||{d}||||||||{b}|||||||||{m}\rOBX|1|TX|REPORT||{t}||||||F\r\n",
                a = r.accession,
                p = r.patient_id,
                e = r.exam_code,
                d = r.study_date.replace('-', ""),
                b = r.body_part,
                m = r.modality,
                t = lines.join("\\.br\\"),
            )
        })
        .collect()
}

#[track_caller]
fn assert_round_trip(
    original: &[NewReport],
    stored: &[reports::Report],
    pseudonymizer: &Pseudonymizer,
    with_uri: bool,
) {
    assert_eq!(original.len(), stored.len());
    for (o, s) in original.iter().zip(stored) {
        assert_eq!(s.accession, o.accession);
        assert_eq!(
            s.patient_ref,
            pseudonymizer.pseudonym(&o.patient_id),
            "the patient id is stored pseudonymised"
        );
        assert_eq!(s.study_date, o.study_date);
        assert_eq!(
            (
                s.exam_code.as_str(),
                s.modality.as_str(),
                s.body_part.as_str()
            ),
            (
                o.exam_code.as_str(),
                o.modality.as_str(),
                o.body_part.as_str()
            )
        );
        assert_eq!(s.report_text.trim_end(), o.report_text.trim_end());
        if with_uri {
            assert_eq!(s.image_uri, o.image_uri);
        }
    }
}

#[tokio::test]
async fn json_lines_round_trip_and_reimports_change_nothing() {
    let f = fixture().await;
    let original = corpus(120);
    let path = f.write("export.jsonl", &as_jsonl(&original));
    let first = f.import(&path, &Options::default()).await.unwrap();
    assert_eq!(
        (
            first.counts.new,
            first.counts.updated,
            first.counts.unchanged
        ),
        (120, 0, 0)
    );
    assert_round_trip(
        &original,
        &f.stored().await,
        &f.project_pseudonymizer().await,
        true,
    );

    let again = f.import(&path, &Options::default()).await.unwrap();
    assert_eq!(
        (
            again.counts.new,
            again.counts.updated,
            again.counts.unchanged
        ),
        (0, 0, 120)
    );

    let mut changed = original.clone();
    changed[5].report_text.push_str(" Addendum: no change.");
    let path = f.write("export-2.jsonl", &as_jsonl(&changed));
    let third = f.import(&path, &Options::default()).await.unwrap();
    assert_eq!(
        (
            third.counts.new,
            third.counts.updated,
            third.counts.unchanged
        ),
        (0, 1, 119)
    );
    assert_eq!(reports::count(&f.pool, f.project).await.unwrap(), 120);
}

#[tokio::test]
async fn csv_round_trips_including_gzip() {
    let f = fixture().await;
    let original = corpus(80);
    let path = f.write("export.csv", &as_csv(&original));
    assert_eq!(
        f.import(&path, &Options::default())
            .await
            .unwrap()
            .counts
            .new,
        80
    );
    assert_round_trip(
        &original,
        &f.stored().await,
        &f.project_pseudonymizer().await,
        true,
    );

    let gz_path = f.dir.path().join("export2.csv.gz");
    let mut encoder = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz_path).unwrap(),
        flate2::Compression::fast(),
    );
    encoder.write_all(as_csv(&original).as_bytes()).unwrap();
    encoder.finish().unwrap();
    let outcome = f.import(&gz_path, &Options::default()).await.unwrap();
    assert_eq!(outcome.counts.unchanged, 80);
}

#[tokio::test]
async fn a_small_gzip_file_that_inflates_to_one_huge_record_is_refused_before_it_fills_memory() {
    let f = fixture().await;
    let path = f.dir.path().join("bomb.csv.gz");
    let mut encoder = flate2::write::GzEncoder::new(
        std::fs::File::create(&path).unwrap(),
        flate2::Compression::best(),
    );
    let header = "accession,patient_id,study_date,exam_code,modality,body_part,report_text\n";
    encoder.write_all(header.as_bytes()).unwrap();
    encoder
        .write_all(b"A1,P1,2024-01-02,XRCHEST,CR,CHEST,\"FINDINGS: ")
        .unwrap();
    let block = vec![b'a'; 1 << 20];
    for _ in 0..64 {
        encoder.write_all(&block).unwrap();
    }
    encoder.write_all(b"\"\n").unwrap();
    encoder.finish().unwrap();
    assert!(
        std::fs::metadata(&path).unwrap().len() < 1 << 20,
        "a small file"
    );
    let error = f.import(&path, &Options::default()).await.unwrap_err();
    assert!(error.to_string().contains("runs past 8 MiB"), "{error}");
    assert!(f.stored().await.is_empty(), "nothing was imported");
}

#[tokio::test]
async fn hl7_round_trips() {
    let f = fixture().await;
    let original: Vec<_> = corpus(40)
        .into_iter()
        .map(|r| NewReport {
            image_uri: None,
            ..r
        })
        .collect();
    let path = f.write("results.hl7", &as_hl7(&original));
    let outcome = f.import(&path, &Options::default()).await.unwrap();
    assert_eq!(outcome.counts.new, 40);
    assert_round_trip(
        &original,
        &f.stored().await,
        &f.project_pseudonymizer().await,
        false,
    );
}

#[tokio::test]
async fn csv_columns_can_be_mapped() {
    let f = fixture().await;
    let path = f.write(
        "ris.csv",
        "ACC,MRN,DATE,REPORT\nA1,M1,2024-03-04,No acute findings.\n",
    );
    let refused = f.import(&path, &Options::default()).await.unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("the column “ACC” is not one Sieve reads")
            && !refused.to_string().contains("--map"),
        "{refused}"
    );
    let mapping = [
        ("accession", "ACC"),
        ("patient_id", "MRN"),
        ("study_date", "DATE"),
        ("report_text", "REPORT"),
    ]
    .into_iter()
    .map(|(field, column)| (field.to_string(), column.to_string()))
    .collect();
    let outcome = f
        .import(
            &path,
            &Options {
                mapping,
                ..Options::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(outcome.counts.new, 1);
}

#[tokio::test]
async fn an_invalid_file_changes_nothing_and_names_every_bad_line() {
    let f = fixture().await;
    let mut reports = corpus(10);
    reports[2].study_date = "12/31/2020".into();
    reports[6].report_text = " ".into();
    let mut text = as_jsonl(&reports);
    text.push_str("{\"accession\": \"X\", \"colour\": \"red\"}\n");
    let path = f.write("bad.jsonl", &text);
    let error = f.import(&path, &Options::default()).await.unwrap_err();
    let Error::Rejected { errors, total, .. } = &error else {
        panic!("{error}")
    };
    assert_eq!(*total, 3);
    let shown = path.display().to_string();
    assert_eq!(
        errors[0],
        format!("{shown}:3: study_date: \"12/31/2020\" is not a date (use YYYY-MM-DD)")
    );
    assert_eq!(errors[1], format!("{shown}:7: report_text: missing"));
    assert_eq!(errors[2], format!("{shown}:11: colour: unknown field"));
    assert_eq!(
        reports::count(&f.pool, f.project).await.unwrap(),
        0,
        "nothing may be written"
    );
}

#[tokio::test]
async fn skipping_invalid_records_imports_the_rest_and_sets_them_aside() {
    let f = fixture().await;
    let mut reports = corpus(10);
    reports[4].accession = String::new();
    let path = f.write("partly.jsonl", &as_jsonl(&reports));
    let outcome = f
        .import(
            &path,
            &Options {
                skip_invalid: true,
                ..Options::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((outcome.counts.new, outcome.rejected), (9, 1));
    let aside = std::fs::read_to_string(outcome.rejected_file.unwrap()).unwrap();
    assert!(aside.starts_with("5\taccession: missing\t{"), "{aside}");
}

#[tokio::test]
async fn an_accession_on_two_rows_of_a_csv_is_named_with_both_lines_and_counted_once() {
    let f = fixture().await;
    let mut reports = corpus(4);
    reports[3].accession = reports[1].accession.clone();
    for report in &mut reports {
        report.report_text = report.report_text.replace('\n', " ");
    }
    let path = f.write("twice.csv", &as_csv(&reports));
    let error = f.import(&path, &Options::default()).await.unwrap_err();
    let Error::Rejected { errors, total, .. } = &error else {
        panic!("{error}")
    };
    assert_eq!(*total, 1);
    // Header on line 1: the rows are lines 2 to 5.
    let accession = &reports[1].accession;
    assert!(
        errors[0].ends_with(&format!(
            ":5: accession: {accession} is already on line 3; a file holds one record per study (when invalid records are set aside, the one on line 3 is imported)"
        )),
        "{}",
        errors[0]
    );
    assert_eq!(reports::count(&f.pool, f.project).await.unwrap(), 0);
    // Set aside: three new, one aside, and three stored.
    let skip = Options {
        skip_invalid: true,
        ..Options::default()
    };
    let outcome = f.import(&path, &skip).await.unwrap();
    assert_eq!((outcome.counts.new, outcome.rejected), (3, 1));
    assert_eq!(reports::count(&f.pool, f.project).await.unwrap(), 3);
}

#[tokio::test]
async fn a_file_of_unknown_format_is_named() {
    let f = fixture().await;
    let path = f.write("reports.xlsx", "x");
    let error = f.import(&path, &Options::default()).await.unwrap_err();
    assert!(
        error.to_string().contains("cannot tell the format"),
        "{error}"
    );
    let forced = f
        .import(
            &path,
            &Options {
                format: Some(Format::JsonLines),
                ..Options::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(forced, Error::Rejected { .. }));
}

#[tokio::test]
async fn imports_are_audited() {
    let f = fixture().await;
    let path = f.write("export.jsonl", &as_jsonl(&corpus(3)));
    f.import(&path, &Options::default()).await.unwrap();
    let events = sieve_core::audit::recent(&f.pool, 5).await.unwrap();
    assert_eq!(events[0].action, "reports_imported");
    assert_eq!(events[0].actor.as_deref(), Some("fiona"));
    assert!(events[0].detail.as_deref().unwrap().contains("3 new"));
}

/// Each stored report's (accession, patient pseudonym) of a project.
async fn patients_of(pool: &sqlx::SqlitePool, project: i64) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT accession, patient_ref FROM reports WHERE project_id = ? ORDER BY accession",
    )
    .bind(project)
    .fetch_all(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn the_same_patient_gets_one_pseudonym_within_a_project_and_unrelated_ones_across_projects() {
    let f = fixture().await;
    let other = projects::create(&f.pool, "Q", "IRB-2", None)
        .await
        .unwrap()
        .id;
    // Two studies of one patient, and a second patient, imported into both projects.
    let mut reports = corpus(3);
    for (report, patient) in reports
        .iter_mut()
        .zip(["PT0000001", "PT0000001", "PT0000002"])
    {
        report.patient_id = patient.to_string();
    }
    let path = f.write("export.jsonl", &as_jsonl(&reports));
    f.import(&path, &Options::default()).await.unwrap();
    let destination = Destination {
        pool: &f.pool,
        project_id: other,
        indexes: None,
    };
    import_file(
        destination,
        &path,
        &f.pseudonymizer,
        &Options::default(),
        None,
        |_| {},
    )
    .await
    .unwrap();

    let here = patients_of(&f.pool, f.project).await;
    let there = patients_of(&f.pool, other).await;
    assert_eq!(
        here[0].1, here[1].1,
        "one patient, one pseudonym within a project"
    );
    assert_ne!(here[0].1, here[2].1);
    for ((accession, mine), (_, theirs)) in here.iter().zip(&there) {
        assert_ne!(
            mine, theirs,
            "{accession}: the same patient, unrelated pseudonyms"
        );
    }
    let install_wide = f.pseudonymizer.pseudonym(&reports[0].patient_id);
    assert!(here.iter().chain(&there).all(|(_, p)| *p != install_wide));

    // Importing again keeps every pseudonym: the project's key does not change.
    let again = f.import(&path, &Options::default()).await.unwrap();
    assert_eq!(again.counts.unchanged, 3);
    assert_eq!(patients_of(&f.pool, f.project).await, here);
}

#[tokio::test]
async fn a_project_that_held_reports_before_keys_were_per_project_keeps_the_install_key() {
    let f = fixture().await;
    let reports = corpus(4);
    // As the project stood before migration 0010: a report stored under the install's key and no
    // salt of its own.
    let old = &reports[0];
    sqlx::query(
        "INSERT INTO reports (project_id, accession, patient_ref, study_date, exam_code, modality, body_part,
           report_text, revision, content_hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, 'before')",
    )
    .bind(f.project)
    .bind(&old.accession)
    .bind(f.pseudonymizer.pseudonym(&old.patient_id))
    .bind(&old.study_date)
    .bind(&old.exam_code)
    .bind(&old.modality)
    .bind(&old.body_part)
    .bind(&old.report_text)
    .execute(&f.pool)
    .await
    .unwrap();

    let path = f.write("export.jsonl", &as_jsonl(&reports));
    f.import(&path, &Options::default()).await.unwrap();
    let stored = patients_of(&f.pool, f.project).await;
    for (report, (accession, pseudonym)) in reports.iter().zip(&stored) {
        assert_eq!(
            *pseudonym,
            f.pseudonymizer.pseudonym(&report.patient_id),
            "{accession} keeps the install-wide scheme of its project"
        );
    }
    let salt: Option<String> =
        sqlx::query_scalar("SELECT pseudonym_salt FROM projects WHERE id = ?")
            .bind(f.project)
            .fetch_one(&f.pool)
            .await
            .unwrap();
    assert_eq!(salt, None);
}

/// A CSV of one report whose text holds `é`, `ü` and a curly quote, as UTF-8 text.
const ACCENTED: &str = "accession,patient_id,study_date,exam_code,modality,body_part,report_text\n\
     A1,P1,2024-01-02,CXR,CR,CHEST,\"Épanchement pleural minime; Lungenbefund ünauffällig ’\"\n";

#[tokio::test]
async fn a_windows_1252_csv_is_refused_naming_the_field_and_read_whole_with_its_encoding() {
    let f = fixture().await;
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(ACCENTED);
    let path = f.dir.path().join("excel.csv");
    std::fs::write(&path, &bytes).unwrap();
    let error = f.import(&path, &Options::default()).await.unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("excel.csv:2: the text is not UTF-8 (field 7)"),
        "{message}"
    );
    assert!(message.contains("windows-1252"), "{message}");
    assert!(f.stored().await.is_empty());

    let windows = Options {
        encoding: Some(sieve_core::import::encoding("windows-1252").unwrap()),
        ..Options::default()
    };
    f.import(&path, &windows).await.unwrap();
    assert_eq!(
        f.stored().await[0].report_text,
        "Épanchement pleural minime; Lungenbefund ünauffällig ’"
    );
    assert!(sieve_core::import::encoding("klingon")
        .unwrap_err()
        .to_string()
        .contains("windows-1252"));
}

#[tokio::test]
async fn a_csv_with_a_byte_order_mark_is_read_in_its_encoding_utf_16_included() {
    for (name, bytes) in [
        (
            "utf8-bom.csv",
            [&[0xEF, 0xBB, 0xBF][..], ACCENTED.as_bytes()].concat(),
        ),
        (
            "utf16le.csv",
            [0xFF, 0xFE]
                .into_iter()
                .chain(ACCENTED.encode_utf16().flat_map(u16::to_le_bytes))
                .collect(),
        ),
        (
            "utf16be.csv",
            [0xFE, 0xFF]
                .into_iter()
                .chain(ACCENTED.encode_utf16().flat_map(u16::to_be_bytes))
                .collect(),
        ),
    ] {
        let f = fixture().await;
        let path = f.dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        // A byte-order mark says what the file is in, whatever was asked for.
        let asked = Options {
            encoding: Some(encoding_rs::WINDOWS_1252),
            ..Options::default()
        };
        f.import(&path, &asked).await.unwrap();
        let stored = f.stored().await;
        assert_eq!(stored.len(), 1, "{name}");
        assert_eq!(stored[0].accession, "A1", "{name}");
        assert_eq!(
            stored[0].report_text, "Épanchement pleural minime; Lungenbefund ünauffällig ’",
            "{name}"
        );
    }
}

#[tokio::test]
async fn bytes_that_cannot_be_read_in_the_files_character_set_are_refused_never_stored_as_u_fffd() {
    let f = fixture().await;
    let path = f.dir.path().join("broken-utf16.csv");
    // UTF-16LE with a lone high surrogate (0xD800) in the report's text: the decoder can only
    // put U+FFFD in its place.
    let mut units: Vec<u16> = ACCENTED.encode_utf16().collect();
    let at = units.len() - 3;
    units.insert(at, 0xD800);
    let bytes: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(units.into_iter().flat_map(u16::to_le_bytes))
        .collect();
    std::fs::write(&path, bytes).unwrap();
    let error = f
        .import(&path, &Options::default())
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("broken-utf16.csv:2:"), "{error}");
    assert!(
        error.contains("report_text: holds the replacement character U+FFFD"),
        "{error}"
    );
    assert!(f.stored().await.is_empty(), "nothing is stored");
}

#[tokio::test]
async fn an_import_is_searchable_when_it_returns_and_a_rejected_file_leaves_the_index_as_it_was() {
    use sieve_core::labeling::phrase::Phrase;
    let f = fixture().await;
    let mut reports = corpus(2_100);
    let (kept, later) = reports.split_at_mut(50);
    let path = f.write("first.jsonl", &as_jsonl(kept));
    let outcome = f.import(&path, &Options::default()).await.unwrap();
    assert_eq!(outcome.indexed, Some(50), "indexed while stored");
    let index = f.indexes.get(f.project).unwrap();
    assert_eq!(index.num_docs(), 50);

    // A changed report replaces its earlier version in the index.
    kept[0].report_text = "Zebra striped artefact over the left apex.".into();
    let path = f.write("second.jsonl", &as_jsonl(kept));
    let outcome = f.import(&path, &Options::default()).await.unwrap();
    assert_eq!((outcome.counts.updated, outcome.indexed), (1, Some(1)));
    assert_eq!(index.num_docs(), 50);
    let zebra = Phrase::parse("zebra striped").unwrap();
    assert_eq!(index.phrase_matches(&zebra).unwrap().len(), 1);

    // 2,050 reports with an invalid one at the end: the first batch was indexed before the
    // rejection, and must not reach the index at its next commit.
    later.last_mut().unwrap().study_date = "yesterday".into();
    let path = f.write("third.jsonl", &as_jsonl(later));
    let error = f.import(&path, &Options::default()).await.unwrap_err();
    assert!(matches!(error, Error::Rejected { total: 1, .. }), "{error}");
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM reports")
        .fetch_one(&f.pool)
        .await
        .unwrap();
    assert_eq!(count, 50, "nothing written");
    kept[1].report_text = "Zebra striped artefact again.".into();
    let path = f.write("fourth.jsonl", &as_jsonl(kept));
    f.import(&path, &Options::default()).await.unwrap();
    assert_eq!(index.num_docs(), 50, "the rejected file's reports stay out");
    assert_eq!(index.phrase_matches(&zebra).unwrap().len(), 2);
}

#[tokio::test]
async fn an_import_stopped_part_way_leaves_nothing_in_the_index() {
    use sieve_core::labeling::phrase::Phrase;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;
    let f = fixture().await;
    let mut reports = corpus(20_050);
    let (kept, dropped) = reports.split_at_mut(50);
    for report in dropped.iter_mut() {
        report.report_text = format!("{} Quetzal marker.", report.report_text);
    }
    let path = f.write("dropped.jsonl", &as_jsonl(dropped));
    // The request of a browser tab that closes is dropped once some batches are stored.
    let stored = Arc::new(AtomicU64::new(0));
    let seen = stored.clone();
    let destination = Destination {
        pool: &f.pool,
        project_id: f.project,
        indexes: Some(&f.indexes),
    };
    let options = Options::default();
    let import = import_file(
        destination,
        &path,
        &f.pseudonymizer,
        &options,
        None,
        move |p| seen.store(p.rows, Ordering::SeqCst),
    );
    tokio::select! {
        outcome = import => panic!("the import finished before it was stopped: {outcome:?}"),
        _ = async {
            while stored.load(Ordering::SeqCst) < 4_000 {
                tokio::time::sleep(std::time::Duration::from_millis(1)).await;
            }
        } => {}
    }
    // The next import reuses the ids the stopped one had: none of its reports may be found.
    let path = f.write("kept.jsonl", &as_jsonl(kept));
    let outcome = f.import(&path, &Options::default()).await.unwrap();
    assert_eq!(outcome.counts.new, 50);
    let index = f.indexes.get(f.project).unwrap();
    assert_eq!(index.num_docs(), 50);
    let quetzal = Phrase::parse("quetzal").unwrap();
    assert!(index.phrase_matches(&quetzal).unwrap().is_empty());
}

#[tokio::test]
async fn csv_errors_name_the_line_an_editor_shows_whatever_the_line_endings() {
    let f = fixture().await;
    for ending in ["\n", "\r\n"] {
        // Line 3 and line 6 are wrong; line 4 holds a report of two lines, and line 7 is blank.
        let text = [
            "accession,patient_id,study_date,report_text",
            "A1,P1,2020-01-01,No effusion.",
            "A2,P2,yesterday,No effusion.",
            "A3,P3,2020-01-01,\"FINDINGS: clear.",
            "IMPRESSION: normal.\"",
            "A4,P4,2020-13-01,No effusion.",
            "",
            "A5,P5,2020-01-02,",
        ]
        .join(ending);
        let path = f.write("lines.csv", &text);
        let Err(Error::Rejected { errors, .. }) = f.import(&path, &Options::default()).await else {
            panic!("the file is refused");
        };
        let lines: Vec<&str> = errors
            .iter()
            .map(|error| {
                error
                    .split(": ")
                    .next()
                    .unwrap()
                    .rsplit(':')
                    .next()
                    .unwrap()
            })
            .collect();
        assert_eq!(lines, ["3", "6", "8"], "{ending:?}: {errors:?}");
    }
}
