//! Questions as a fellow manages them (issue 13): two or more distinct labels, archiving that
//! keeps everything, restoring a rule version as a new one, and cohorts that questions use.

mod common;

use common::rule;
use sieve_core::cohorts;
use sieve_core::pseudonym::Pseudonymizer;
use sieve_core::questions::{self, Change, Question};
use sieve_core::search::{Filter, Indexes};
use sieve_core::Error;
use sqlx::SqlitePool;
use tempfile::TempDir;

struct Fixture {
    dir: TempDir,
    pool: SqlitePool,
    project: i64,
}

async fn fixture() -> Fixture {
    let install = common::Install::new().await;
    let project = install.project("P").await;
    install
        .reports(project, &Pseudonymizer::with_key([1; 32]), 13, 60)
        .await;
    Fixture {
        dir: install.dir,
        pool: install.pool,
        project,
    }
}

async fn question(f: &Fixture, name: &str, cohort: Option<i64>) -> Question {
    let labels = questions::parse_labels("present, absent").unwrap();
    questions::create(&f.pool, f.project, name, &labels, cohort, Some("fiona"))
        .await
        .unwrap()
}

#[tokio::test]
async fn a_question_needs_two_distinct_labels_whoever_creates_it() {
    let f = fixture().await;
    for labels in [vec!["present"], vec!["present", "Present"], vec![]] {
        let labels: Vec<String> = labels.into_iter().map(String::from).collect();
        let refused = questions::create(&f.pool, f.project, "Q", &labels, None, None).await;
        assert!(
            matches!(refused, Err(Error::Invalid(_))),
            "{labels:?}: {refused:?}"
        );
    }
    let one = questions::parse_labels("present").unwrap_err().to_string();
    assert!(one.contains("at least two labels"), "{one}");
    assert!(questions::list(&f.pool, f.project)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn an_archived_question_leaves_the_list_and_keeps_its_rules() {
    let f = fixture().await;
    let kept = question(&f, "Pneumothorax", None).await;
    let add = Change::Add {
        rule: rule("pneumothorax", "present"),
        at: None,
    };
    questions::change(&f.pool, &kept, &add, Some("fiona"))
        .await
        .unwrap();
    questions::archive(&f.pool, f.project, kept.id, "fiona")
        .await
        .unwrap();
    assert!(questions::list(&f.pool, f.project)
        .await
        .unwrap()
        .is_empty());
    let archived = questions::archived(&f.pool, f.project).await.unwrap();
    assert_eq!(archived.len(), 1);
    let stored = questions::get(&f.pool, f.project, kept.id).await.unwrap();
    assert!(matches!(stored.check_active(), Err(Error::Forbidden(_))));
    let rules = questions::rules(&f.pool, kept.id, None).await.unwrap();
    assert_eq!(rules.rules.len(), 1, "its rules are kept");
    assert!(matches!(
        questions::archive(&f.pool, f.project, kept.id, "fiona").await,
        Err(Error::Invalid(_))
    ));

    questions::restore(&f.pool, f.project, kept.id, "fiona")
        .await
        .unwrap();
    assert_eq!(questions::list(&f.pool, f.project).await.unwrap().len(), 1);
    assert!(questions::archived(&f.pool, f.project)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn restoring_a_version_writes_a_new_one_equal_to_it() {
    let f = fixture().await;
    let q = question(&f, "Pneumothorax", None).await;
    for phrase in ["pneumothorax", "no pneumothorax"] {
        let add = Change::Add {
            rule: rule(phrase, "present"),
            at: None,
        };
        questions::change(&f.pool, &q, &add, Some("fiona"))
            .await
            .unwrap();
    }
    let restored = questions::restore_version(&f.pool, &q, 1, Some("fiona"))
        .await
        .unwrap();
    assert_eq!(restored.version, 3);
    let first = questions::rules(&f.pool, q.id, Some(1)).await.unwrap();
    assert_eq!(restored.rules, first.rules);
    let versions = questions::versions(&f.pool, q.id).await.unwrap();
    assert_eq!(versions.len(), 4, "no version is rewritten");
    assert_eq!(versions[0].change, "restored version 1 (1 rules)");
    let again = questions::restore_version(&f.pool, &q, 3, Some("fiona")).await;
    assert!(matches!(again, Err(Error::Invalid(_))), "{again:?}");
}

#[tokio::test]
async fn a_cohort_that_a_question_uses_is_not_deleted_and_the_refusal_says_what_would_widen() {
    let f = fixture().await;
    let indexes = Indexes::new(f.dir.path().join("index"));
    indexes
        .catch_up(&f.pool, f.project, |_, _| {})
        .await
        .unwrap();
    let filter = Filter {
        text: "pneumothorax".into(),
        ..Filter::default()
    };
    let cohort = cohorts::save(&f.pool, &indexes, f.project, "PTX", &filter, "fiona")
        .await
        .unwrap();
    let narrow = indexes.get(f.project).unwrap().count(&filter).unwrap();
    let all = indexes
        .get(f.project)
        .unwrap()
        .count(&Filter::default())
        .unwrap();
    let q = question(&f, "Pneumothorax", Some(cohort.id)).await;

    let refused = cohorts::delete(&f.pool, &indexes, f.project, cohort.id, "fiona").await;
    let Err(Error::InUse(message)) = refused else {
        panic!("{refused:?}");
    };
    assert!(
        message.contains("the question Pneumothorax uses it"),
        "{message}"
    );
    assert!(
        message.contains(&format!("covering {narrow} studies")),
        "{message}"
    );
    assert!(message.contains(&format!("all {all} studies")), "{message}");

    questions::archive(&f.pool, f.project, q.id, "fiona")
        .await
        .unwrap();
    let refused = cohorts::delete(&f.pool, &indexes, f.project, cohort.id, "fiona").await;
    assert!(
        matches!(&refused, Err(Error::InUse(message)) if message.contains("Pneumothorax (archived)")),
        "{refused:?}"
    );
    let stored = questions::get(&f.pool, f.project, q.id).await.unwrap();
    assert_eq!(
        stored.cohort_id,
        Some(cohort.id),
        "the question keeps its cohort"
    );
}

#[tokio::test]
async fn a_change_of_cue_lists_is_audited_with_what_it_added_and_removed() {
    let f = fixture().await;
    let mut settings = questions::text_settings(&f.pool, f.project).await.unwrap();
    settings.cues.pre_negation.retain(|cue| cue != "without");
    settings.cues.pre_negation.push("devoid of".into());
    questions::save_text_settings(&f.pool, f.project, &settings, None, Some("fiona"))
        .await
        .unwrap();
    let page = sieve_core::audit::search(
        &f.pool,
        &sieve_core::audit::Filter {
            action: Some("text settings".into()),
            ..Default::default()
        },
        0,
        10,
    )
    .await
    .unwrap();
    assert_eq!(
        page.events[0].detail.as_deref(),
        Some("pre-negation cues: added “devoid of”; pre-negation cues: removed “without”")
    );
}

#[tokio::test]
async fn a_save_over_a_later_save_is_refused_and_changes_nothing() {
    let f = fixture().await;
    let loaded = questions::text_settings(&f.pool, f.project).await.unwrap();
    let fingerprint = questions::fingerprint(&loaded);
    // Tab B saves first, from the same page state.
    let mut b = loaded.clone();
    b.cues
        .pre_uncertainty
        .push("cannot be distinguished from".into());
    questions::save_text_settings(&f.pool, f.project, &b, Some(&fingerprint), Some("fiona"))
        .await
        .unwrap();
    // Tab A, loaded before B saved, is refused: B's cue is not lost.
    let mut a = loaded.clone();
    a.cues.termination.push("whereas".into());
    let error =
        questions::save_text_settings(&f.pool, f.project, &a, Some(&fingerprint), Some("fiona"))
            .await
            .unwrap_err();
    assert!(
        error.to_string().contains("saved by someone else"),
        "{error}"
    );
    assert_eq!(
        questions::text_settings(&f.pool, f.project).await.unwrap(),
        b
    );
}
