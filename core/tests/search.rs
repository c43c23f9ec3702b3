//! Searching a project's reports through a real Tantivy index built from a real SQLite database.

use sieve_core::pseudonym::Pseudonymizer;
use sieve_core::reports::{self, NewReport};
use sieve_core::search::{Filter, Indexes};
use sieve_core::{corpus, db, projects, Error};
use tempfile::TempDir;

struct Fixture {
    dir: TempDir,
    pool: sqlx::SqlitePool,
    project: i64,
    reports: Vec<NewReport>,
}

async fn fixture(count: u64) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let pool = db::open(&dir.path().join("sieve.db")).await.unwrap();
    let project = projects::create(&pool, "P", "IRB-1", None)
        .await
        .unwrap()
        .id;
    let reports: Vec<_> = corpus::generate(21, count).collect();
    reports::store_batch(&pool, project, &Pseudonymizer::with_key([1; 32]), &reports)
        .await
        .unwrap();
    Fixture {
        dir,
        pool,
        project,
        reports,
    }
}

impl Fixture {
    fn indexes(&self) -> Indexes {
        Indexes::new(self.dir.path().join("index"))
    }
}

fn text(query: &str) -> Filter {
    Filter {
        text: query.into(),
        ..Filter::default()
    }
}

/// Whether a text contains the words of `phrase` in a row, ignoring case and punctuation.
fn contains_phrase(text: &str, phrase: &str) -> bool {
    let words = |s: &str| {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect::<Vec<_>>()
    };
    let (text, phrase) = (words(text), words(phrase));
    text.windows(phrase.len())
        .any(|window| window == phrase.as_slice())
}

#[tokio::test]
async fn a_phrase_finds_exactly_the_reports_that_contain_it() {
    let f = fixture(300).await;
    let indexes = f.indexes();
    assert_eq!(
        indexes
            .catch_up(&f.pool, f.project, |_, _| {})
            .await
            .unwrap(),
        300
    );
    let index = indexes.get(f.project).unwrap();
    for phrase in [
        "\"no pneumothorax\"",
        "\"pleural effusion\"",
        "\"cannot be excluded\"",
    ] {
        let expected = f
            .reports
            .iter()
            .filter(|r| contains_phrase(&r.report_text, phrase))
            .count();
        assert!(expected > 0, "the corpus has no {phrase}");
        assert_eq!(index.count(&text(phrase)).unwrap(), expected, "{phrase}");
    }
    let all = index.search(&Filter::default(), 0, 1000).unwrap();
    assert_eq!(all.total, 300);
}

#[tokio::test]
async fn two_catch_ups_at_once_index_each_report_once() {
    // The background indexer and an import's own catch-up can run together.
    let f = fixture(300).await;
    let indexes = f.indexes();
    let (first, second) = tokio::join!(
        indexes.catch_up(&f.pool, f.project, |_, _| {}),
        indexes.catch_up(&f.pool, f.project, |_, _| {})
    );
    assert_eq!(
        first.unwrap() + second.unwrap(),
        300,
        "one of them did it all"
    );
    let all = indexes
        .get(f.project)
        .unwrap()
        .search(&Filter::default(), 0, 1000)
        .unwrap();
    assert_eq!(all.total, 300, "no report is found twice");
}

#[tokio::test]
async fn filters_narrow_by_exam_and_date() {
    let f = fixture(300).await;
    let indexes = f.indexes();
    indexes
        .catch_up(&f.pool, f.project, |_, _| {})
        .await
        .unwrap();
    let index = indexes.get(f.project).unwrap();
    let head = Filter {
        exam_codes: vec!["cthead wo".into(), "CTHEADWO".into()],
        ..Filter::default()
    };
    let expected = f
        .reports
        .iter()
        .filter(|r| r.exam_code == "CTHEADWO")
        .count();
    assert_eq!(index.count(&head).unwrap(), expected);
    let recent = Filter {
        date_from: Some("2020-01-01".into()),
        date_to: Some("2021-12-31".into()),
        ..Filter::default()
    };
    let expected = f
        .reports
        .iter()
        .filter(|r| r.study_date.as_str() >= "2020-01-01" && r.study_date.as_str() <= "2021-12-31")
        .count();
    assert_eq!(index.count(&recent).unwrap(), expected);
    let heads = Filter {
        body_parts: vec!["head".into()],
        ..Filter::default()
    };
    let expected = f.reports.iter().filter(|r| r.body_part == "HEAD").count();
    assert_eq!(index.count(&heads).unwrap(), expected);
    let bad = Filter {
        date_from: Some("yesterday".into()),
        ..Filter::default()
    };
    assert!(matches!(index.count(&bad), Err(Error::Invalid(_))));
}

#[tokio::test]
async fn snippets_highlight_the_matched_words() {
    let f = fixture(100).await;
    let indexes = f.indexes();
    indexes
        .catch_up(&f.pool, f.project, |_, _| {})
        .await
        .unwrap();
    let index = indexes.get(f.project).unwrap();
    let filter = text("pneumothorax");
    let hits = index.search(&filter, 0, 5).unwrap();
    let report = reports::find(&f.pool, f.project, hits.report_ids[0])
        .await
        .unwrap();
    let fragments = index
        .highlighter(&filter, Some(200))
        .unwrap()
        .fragments(&report.report_text);
    let highlighted: Vec<_> = fragments
        .iter()
        .filter(|f| f.highlighted)
        .map(|f| f.text.to_lowercase())
        .collect();
    assert!(
        !highlighted.is_empty() && highlighted.iter().all(|word| word == "pneumothorax"),
        "{fragments:?}"
    );
    let whole = index
        .highlighter(&filter, None)
        .unwrap()
        .fragments(&report.report_text);
    assert_eq!(
        whole.iter().map(|f| f.text.as_str()).collect::<String>(),
        report.report_text
    );
    // A search without words (filters only) shows the text's beginning, unmarked.
    let plain = index
        .highlighter(&Filter::default(), Some(40))
        .unwrap()
        .fragments(&report.report_text);
    assert_eq!(plain.len(), 1);
    assert!(
        !plain[0].highlighted
            && report.report_text.starts_with(&plain[0].text)
            && plain[0].text.len() <= 40
    );
}

#[tokio::test]
async fn a_malformed_query_is_the_users_to_fix() {
    let f = fixture(10).await;
    let indexes = f.indexes();
    let index = indexes.get(f.project).unwrap();
    let error = index.count(&text("\"unclosed phrase")).unwrap_err();
    assert!(error.to_string().starts_with("query:"), "{error}");
}

#[tokio::test]
async fn an_index_that_missed_an_import_catches_up_at_the_next_start() {
    let f = fixture(50).await;
    {
        let indexes = f.indexes();
        indexes
            .catch_up(&f.pool, f.project, |_, _| {})
            .await
            .unwrap();
    }
    // An import commits to the database, then the process dies before the index commit.
    let more: Vec<_> = corpus::generate(99, 20).collect();
    reports::store_batch(&f.pool, f.project, &Pseudonymizer::with_key([1; 32]), &more)
        .await
        .unwrap();
    let restarted = f.indexes();
    assert_eq!(
        restarted
            .get(f.project)
            .unwrap()
            .count(&Filter::default())
            .unwrap(),
        50
    );
    assert_eq!(
        restarted
            .catch_up(&f.pool, f.project, |_, _| {})
            .await
            .unwrap(),
        20
    );
    assert_eq!(
        restarted
            .get(f.project)
            .unwrap()
            .count(&Filter::default())
            .unwrap(),
        70
    );
    assert_eq!(
        restarted
            .catch_up(&f.pool, f.project, |_, _| {})
            .await
            .unwrap(),
        0,
        "nothing left to do"
    );
}

#[tokio::test]
async fn a_changed_report_is_replaced_not_duplicated() {
    let f = fixture(30).await;
    let indexes = f.indexes();
    indexes
        .catch_up(&f.pool, f.project, |_, _| {})
        .await
        .unwrap();
    let mut changed = f.reports[3].clone();
    changed.report_text = "Addendum: xylophone artifact.".into();
    reports::store_batch(
        &f.pool,
        f.project,
        &Pseudonymizer::with_key([1; 32]),
        &[changed],
    )
    .await
    .unwrap();
    indexes
        .catch_up(&f.pool, f.project, |_, _| {})
        .await
        .unwrap();
    let index = indexes.get(f.project).unwrap();
    assert_eq!(index.count(&Filter::default()).unwrap(), 30);
    assert_eq!(index.count(&text("xylophone")).unwrap(), 1);
}

#[tokio::test]
async fn a_corrupt_index_is_rebuilt_from_the_database() {
    let f = fixture(40).await;
    {
        let indexes = f.indexes();
        indexes
            .catch_up(&f.pool, f.project, |_, _| {})
            .await
            .unwrap();
    }
    let dir = projects::index_dir(&f.dir.path().join("index"), f.project);
    std::fs::write(dir.join("meta.json"), b"{ not json").unwrap();
    let indexes = f.indexes();
    assert_eq!(indexes.get(f.project).unwrap().revision().unwrap(), 0);
    assert_eq!(
        indexes
            .catch_up(&f.pool, f.project, |_, _| {})
            .await
            .unwrap(),
        40
    );
    let rebuilt = indexes
        .rebuild(&f.pool, f.project, |_, _| {})
        .await
        .unwrap();
    assert_eq!(rebuilt, 40);
    assert_eq!(
        indexes
            .get(f.project)
            .unwrap()
            .count(&Filter::default())
            .unwrap(),
        40
    );
}

#[tokio::test]
async fn a_page_far_past_the_end_is_empty() {
    let f = fixture(10).await;
    let indexes = f.indexes();
    indexes
        .catch_up(&f.pool, f.project, |_, _| {})
        .await
        .unwrap();
    let hits = indexes
        .get(f.project)
        .unwrap()
        .search(&Filter::default(), usize::MAX / 2, 50)
        .unwrap();
    assert_eq!((hits.total, hits.report_ids.len()), (10, 0));
}

#[tokio::test]
async fn a_cohort_keeps_its_filter_and_shows_a_live_count() {
    use sieve_core::cohorts;
    let f = fixture(200).await;
    let indexes = f.indexes();
    indexes
        .catch_up(&f.pool, f.project, |_, _| {})
        .await
        .unwrap();
    let filter = Filter {
        text: "\"pleural effusion\"".into(),
        modalities: vec!["CR".into(), "DX".into()],
        ..Filter::default()
    };
    cohorts::save(
        &f.pool,
        &indexes,
        f.project,
        "Chest effusions",
        &filter,
        "fiona",
    )
    .await
    .unwrap();
    let again = cohorts::save(
        &f.pool,
        &indexes,
        f.project,
        "Chest effusions",
        &filter,
        "fiona",
    )
    .await
    .unwrap_err();
    assert!(matches!(again, Error::AlreadyExists(_)));
    let unparsable = Filter {
        text: "\"open".into(),
        ..Filter::default()
    };
    assert!(matches!(
        cohorts::save(&f.pool, &indexes, f.project, "Bad", &unparsable, "fiona").await,
        Err(Error::Invalid(_))
    ));

    let listed = cohorts::list(&f.pool, &indexes, f.project).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].cohort.filter, filter);
    let before = listed[0].count;
    assert_eq!(
        before,
        indexes.get(f.project).unwrap().count(&filter).unwrap()
    );

    let more: Vec<_> = corpus::generate(77, 100).collect();
    reports::store_batch(&f.pool, f.project, &Pseudonymizer::with_key([1; 32]), &more)
        .await
        .unwrap();
    indexes
        .catch_up(&f.pool, f.project, |_, _| {})
        .await
        .unwrap();
    assert!(
        cohorts::list(&f.pool, &indexes, f.project).await.unwrap()[0].count > before,
        "the count is live"
    );

    cohorts::delete(&f.pool, f.project, listed[0].cohort.id, "fiona")
        .await
        .unwrap();
    assert!(cohorts::list(&f.pool, &indexes, f.project)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn a_result_knows_its_neighbours() {
    let f = fixture(30).await;
    let indexes = f.indexes();
    indexes
        .catch_up(&f.pool, f.project, |_, _| {})
        .await
        .unwrap();
    let index = indexes.get(f.project).unwrap();
    let filter = text("pneumothorax");
    let all = index.search(&filter, 0, 100).unwrap().report_ids;
    let first = index.neighbours(&filter, 0).unwrap();
    assert_eq!(
        (first.total, first.previous, first.next),
        (all.len(), None, Some(all[1]))
    );
    let second = index.neighbours(&filter, 1).unwrap();
    assert_eq!((second.previous, second.next), (Some(all[0]), Some(all[2])));
    let last = index.neighbours(&filter, all.len() - 1).unwrap();
    assert_eq!((last.previous, last.next), (Some(all[all.len() - 2]), None));
}

#[test]
fn a_typed_filter_reads_lists_and_treats_empty_fields_as_any() {
    let typed = sieve_core::search::TypedFilter {
        text: "effusion",
        date_from: " ",
        date_to: "2024-12-31",
        exam_codes: " XRCHEST2V, ,CTHEADWO ",
        ..Default::default()
    };
    let filter = Filter::from(typed);
    assert_eq!(filter.date_from, None);
    assert_eq!(filter.date_to.as_deref(), Some("2024-12-31"));
    assert_eq!(filter.exam_codes, ["XRCHEST2V", "CTHEADWO"]);
    assert!(filter.modalities.is_empty() && filter.body_parts.is_empty());
}
