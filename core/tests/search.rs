//! Searching a project's reports through a real Tantivy index built from a real SQLite database.

mod common;

use sieve_core::pseudonym::Pseudonymizer;
use sieve_core::reports::{self, NewReport};
use sieve_core::search::{Filter, Indexes};
use sieve_core::{corpus, projects, Error};
use tempfile::TempDir;

struct Fixture {
    dir: TempDir,
    pool: sqlx::SqlitePool,
    project: i64,
    reports: Vec<NewReport>,
}

async fn fixture(count: u64) -> Fixture {
    let install = common::Install::new().await;
    let project = install.project("P").await;
    let reports = install
        .reports(project, &Pseudonymizer::with_key([1; 32]), 21, count)
        .await;
    Fixture {
        dir: install.dir,
        pool: install.pool,
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
    // An exam code the project does not have is named, with the ones it has.
    let typo = Filter {
        exam_codes: vec!["XRCHEST".into()],
        ..Filter::default()
    };
    let error = index.check_choices(&typo).unwrap_err().to_string();
    assert!(
        error.contains("“XRCHEST”") && error.contains("CTHEADWO"),
        "{error}"
    );
    assert!(index
        .choices()
        .unwrap()
        .modalities
        .contains(&"CT".to_string()));
    let reversed = Filter {
        date_from: Some("2020-02-01".into()),
        date_to: Some("2020-01-01".into()),
        ..Filter::default()
    };
    let error = index.count(&reversed).unwrap_err().to_string();
    assert!(error.contains("reversed"), "{error}");
    let not_a_day = Filter {
        date_to: Some("2020-02-30".into()),
        ..Filter::default()
    };
    assert!(matches!(index.count(&not_a_day), Err(Error::Invalid(_))));
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
    assert!(plain.iter().all(|f| !f.highlighted), "{plain:?}");
    assert!(report.report_text.starts_with(&plain[0].text) && plain[0].text.len() <= 40);
    // Where the snippet cuts the text, it says so.
    assert_eq!(plain.last().unwrap().text, "…");
}

/// Phrases as a fellow writes them: words, `*` endings, case, punctuation.
const PHRASES: &[&str] = &[
    "pneumo*",
    "effus*",
    "Pleural Effusion",
    "pleural eff*",
    "no pneumothorax",
    "cardiomegaly",
    "Cannot be excluded.",
    "left-sided",
];

#[tokio::test]
async fn search_and_rules_read_a_phrase_the_same_way() {
    use sieve_core::labeling::phrase::Phrase;
    use sieve_core::labeling::{Labeler, Negation, Rule, RuleBook, TextSettings};
    let f = fixture(300).await;
    let indexes = f.indexes();
    indexes
        .catch_up(&f.pool, f.project, |_, _| {})
        .await
        .unwrap();
    let index = indexes.get(f.project).unwrap();
    let mut texts = Vec::new();
    for id in 1..=300 {
        texts.push((
            id,
            reports::find(&f.pool, f.project, id)
                .await
                .unwrap()
                .report_text,
        ));
    }
    for written in PHRASES {
        // As a rule on the server (the index), and as the offline labeler reads it.
        let by_rule = index
            .phrase_matches(&Phrase::parse(written).unwrap())
            .unwrap();
        let question = RuleBook {
            name: "q".into(),
            labels: vec!["present".into(), "absent".into()],
            rules: vec![Rule {
                phrase: written.to_string(),
                label: "present".into(),
                negation: Negation::Any,
                sections: vec![],
                enabled: true,
            }],
        };
        let labeler = Labeler::new(vec![question], &TextSettings::default()).unwrap();
        let by_labeler: roaring::RoaringBitmap = texts
            .iter()
            .filter(|(_, text)| labeler.label(text)[0].is_some())
            .map(|(id, _)| *id as u32)
            .collect();
        // As typed into the search box: quoted, and (one word) bare.
        let quoted = match written.strip_suffix('*') {
            Some(body) => format!("\"{body}\"*"),
            None => format!("\"{written}\""),
        };
        let by_search = index.matching(&text(&quoted)).unwrap();
        assert!(
            !by_rule.is_empty(),
            "{written} matches nothing in the corpus"
        );
        assert_eq!(by_rule, by_labeler, "{written}: index and offline labeler");
        assert_eq!(by_rule, by_search, "{written}: rule and search {quoted}");
        if !written.contains(' ') {
            assert_eq!(
                index.matching(&text(written)).unwrap(),
                by_rule,
                "{written} bare"
            );
        }
    }
}

#[tokio::test]
async fn whatever_is_typed_is_searched_or_answered_in_one_sentence() {
    let f = fixture(50).await;
    let indexes = f.indexes();
    indexes
        .catch_up(&f.pool, f.project, |_, _| {})
        .await
        .unwrap();
    let index = indexes.get(f.project).unwrap();
    let count = |typed: &str| index.count(&text(typed));
    // Pasted report text is words: a header's colon, a URL, a dash.
    assert_eq!(count("impression:").unwrap(), count("impression").unwrap());
    assert!(count("impression:").unwrap() > 0);
    assert_eq!(count("https://pacs.example.org/view").unwrap(), 0);
    assert_eq!(count("\"unclosed phrase").unwrap(), 0);
    assert_eq!(
        count("- pneumothorax").unwrap(),
        count("pneumothorax").unwrap()
    );
    // Only exclusions: every report without the word.
    assert_eq!(
        count("-pneumothorax").unwrap() + count("pneumothorax").unwrap(),
        50
    );
    let either =
        index.matching(&text("pneumothorax")).unwrap() | index.matching(&text("effusion")).unwrap();
    assert_eq!(
        count("pneumothorax OR effusion").unwrap(),
        either.len() as usize
    );
    for impossible in ["-", "* ...", "pneu*mo"] {
        let error = count(impossible).unwrap_err();
        assert!(matches!(error, Error::Invalid(_)), "{impossible}: {error}");
        let message = error.to_string();
        assert!(
            message.ends_with('.') && !message.contains("query"),
            "{message}"
        );
    }
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
        text: "pneu*mo".into(),
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

    cohorts::delete(&f.pool, &indexes, f.project, listed[0].cohort.id, "fiona")
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
