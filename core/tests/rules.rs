//! Questions, phrase rules and soft labels through a real SQLite database and a real Tantivy index:
//! the server's labels must equal the offline engine's, rule for rule and study for study.

mod common;

use std::sync::Arc;

use sieve_core::labeling::priority;
use sieve_core::labeling::{Labeler, Negation, Rule, TextSettings};
use sieve_core::pseudonym::Pseudonymizer;
use sieve_core::questions::{self, Change};
use sieve_core::reports::{self, NewReport};
use sieve_core::search::statuses::StatusStore;
use sieve_core::search::Indexes;
use sieve_core::soft_labels::{Context, Labels, MatchCache};
use sieve_core::{Error, ErrorKind};
use tempfile::TempDir;

struct Fixture {
    _dir: TempDir,
    pool: sqlx::SqlitePool,
    indexes: Indexes,
    cache: MatchCache,
    project: i64,
}

async fn fixture(count: u64) -> Fixture {
    let install = common::Install::new().await;
    let project = install.project("P").await;
    install
        .reports(project, &Pseudonymizer::with_key([1; 32]), 5, count)
        .await;
    let indexes = install.indexes();
    indexes
        .catch_up(&install.pool, project, |_, _| {})
        .await
        .unwrap();
    Fixture {
        _dir: install.dir,
        pool: install.pool,
        indexes,
        cache: MatchCache::default(),
        project,
    }
}

impl Fixture {
    fn root(&self) -> std::path::PathBuf {
        self._dir.path().join("index")
    }

    /// Checks that `labels` give every report the label the offline engine gives it under
    /// `settings`; returns how many are labeled.
    async fn assert_offline_agrees(
        &self,
        question: &questions::Question,
        labels: &Labels,
        settings: &TextSettings,
    ) -> usize {
        let ids: Vec<i64> = sqlx::query_scalar!(
            r#"SELECT id AS "id!" FROM reports WHERE project_id = ?"#,
            self.project
        )
        .fetch_all(&self.pool)
        .await
        .unwrap();
        self.assert_offline_agrees_for(question, labels, settings, &ids)
            .await
    }

    async fn assert_offline_agrees_for(
        &self,
        question: &questions::Question,
        labels: &Labels,
        settings: &TextSettings,
        ids: &[i64],
    ) -> usize {
        assert!(!ids.is_empty());
        let labeler = Labeler::new(vec![labels.rules.rule_book(question)], settings).unwrap();
        let stored = reports::find_many(&self.pool, self.project, ids)
            .await
            .unwrap();
        assert_eq!(stored.len(), ids.len());
        let mut labeled = 0;
        for report in &stored {
            let offline = labeler.label(&report.report_text)[0]
                .as_ref()
                .map(|o| o.label);
            let server = labels
                .resolution
                .labels
                .iter()
                .find(|(_, studies)| studies.contains(report.id as u32))
                .map(|(label, _)| label.as_str());
            assert_eq!(
                server, offline,
                "report {}:\n{}",
                report.id, report.report_text
            );
            labeled += offline.is_some() as usize;
        }
        labeled
    }

    fn context(&self) -> Context<'_> {
        Context {
            pool: &self.pool,
            indexes: &self.indexes,
            cache: &self.cache,
        }
    }

    async fn question(&self) -> questions::Question {
        let labels = questions::parse_labels("present, absent, uncertain").unwrap();
        questions::create(
            &self.pool,
            self.project,
            "Pneumothorax",
            &labels,
            None,
            Some("fellow"),
        )
        .await
        .unwrap()
    }
}

fn rule(phrase: &str, label: &str, negation: Negation) -> Rule {
    Rule {
        negation,
        ..common::rule(phrase, label)
    }
}

fn route() -> Negation {
    Negation::Route {
        negated: Some("absent".into()),
        uncertain: Some("uncertain".into()),
    }
}

#[tokio::test]
async fn server_labels_equal_the_offline_engine_for_every_study() {
    let f = fixture(600).await;
    let question = f.question().await;
    let mut scoped = rule("effusion*", "present", Negation::AffirmedOnly);
    scoped.sections = vec!["IMPRESSION".into()];
    for rule in [
        rule("no pneumothorax", "absent", Negation::Any),
        rule("no pleural eff*", "absent", Negation::Any),
        rule("pneumothorax", "present", route()),
        rule("pleural line", "uncertain", Negation::Any),
        rule("small pleural eff*", "uncertain", route()),
        scoped,
    ] {
        let change = Change::Add { rule, at: None };
        questions::change(&f.pool, &question, &change, Some("fellow"))
            .await
            .unwrap();
    }
    let labels = f.context().current(&question).await.unwrap();
    for (stored, matches) in labels.rules.rules.iter().zip(&labels.matches) {
        let found: u64 = matches.by_label.iter().map(|(_, ids)| ids.len()).sum();
        assert!(found > 0, "“{}” matches no study", stored.rule.phrase);
    }
    let labeled = f
        .assert_offline_agrees(&question, &labels, &TextSettings::default())
        .await;
    // The corpus speaks of pneumothorax often enough for every label to appear.
    assert!(labeled > 100, "{labeled}");
    for label in ["present", "absent", "uncertain"] {
        assert!(!labels.resolution.labels[label].is_empty(), "{label}");
    }
}

/// Rules that read negation and sections, for the tests of cue-list changes.
async fn negation_rules(f: &Fixture, question: &questions::Question) {
    let mut scoped = rule("effusion*", "present", Negation::AffirmedOnly);
    scoped.sections = vec!["IMPRESSION".into()];
    for rule in [rule("pneumothorax", "present", route()), scoped] {
        let change = Change::Add { rule, at: None };
        questions::change(&f.pool, question, &change, Some("fellow"))
            .await
            .unwrap();
    }
}

/// The default settings without the pre-negation cue "no": "No pneumothorax." reads as affirmed.
fn without_no() -> TextSettings {
    let mut settings = TextSettings::default();
    settings.cues.pre_negation.retain(|cue| cue != "no");
    assert_ne!(settings, TextSettings::default());
    settings
}

#[tokio::test]
async fn after_a_cue_list_change_the_old_labels_stay_marked_stale_until_every_report_is_read_again()
{
    let f = fixture(400).await;
    let question = f.question().await;
    negation_rules(&f, &question).await;
    let before = f.context().current(&question).await.unwrap();
    assert!(before.stale.is_none());
    let settings = without_no();
    questions::save_text_settings(&f.pool, f.project, &settings, None, Some("fellow"))
        .await
        .unwrap();
    let stale = f.context().current(&question).await.unwrap();
    let described = stale.stale.expect("marked stale").describe();
    assert!(described.contains("earlier lists"), "{described}");
    assert_eq!(stale.resolution.labels, before.resolution.labels);
    let read = f
        .indexes
        .refresh_statuses(&f.pool, f.project)
        .await
        .unwrap();
    assert_eq!(read, Some(400));
    assert!(f.indexes.stale(&f.pool, f.project).await.unwrap().is_none());
    let after = f.context().current(&question).await.unwrap();
    assert!(after.stale.is_none());
    assert!(
        after.resolution.labels["absent"].len() < before.resolution.labels["absent"].len(),
        "“no” no longer negates"
    );
    f.assert_offline_agrees(&question, &after, &settings).await;
    // Reports imported after the change are read with the new lists too.
    let pseudonymizer = Pseudonymizer::with_key([1; 32]);
    let more: Vec<NewReport> = sieve_core::corpus::generate(9, 50)
        .map(|mut report| {
            report.accession = format!("LATE-{}", report.accession);
            report
        })
        .collect();
    reports::store_batch(&f.pool, f.project, &pseudonymizer, &more)
        .await
        .unwrap();
    f.indexes
        .catch_up(&f.pool, f.project, |_, _| {})
        .await
        .unwrap();
    let later = f.context().current(&question).await.unwrap();
    f.assert_offline_agrees(&question, &later, &settings).await;
}

#[tokio::test]
async fn a_rereading_stopped_by_a_crash_resumes_after_its_last_commit() {
    let f = fixture(300).await;
    let question = f.question().await;
    negation_rules(&f, &question).await;
    let settings = without_no();
    questions::save_text_settings(&f.pool, f.project, &settings, None, Some("fellow"))
        .await
        .unwrap();
    // What a rereading had committed when the process died: the reports up to id 120, and one
    // more not committed.
    let revision = sqlx::query_scalar!(
        "SELECT report_revision FROM projects WHERE id = ?",
        f.project
    )
    .fetch_one(&f.pool)
    .await
    .unwrap();
    let path = sieve_core::projects::index_dir(&f.root(), f.project).join("statuses.partial");
    let partial = StatusStore::create(&path, &settings).unwrap();
    let stored = reports::find_many(&f.pool, f.project, &(1..=121).collect::<Vec<_>>())
        .await
        .unwrap();
    let texts: Vec<(i64, String)> = stored.into_iter().map(|r| (r.id, r.report_text)).collect();
    partial.add(&texts[..120]).unwrap();
    partial.commit(revision, Some(120)).unwrap();
    partial.add(&texts[120..]).unwrap();
    drop(partial);
    // The old statuses still serve, marked stale.
    let stale = f.context().current(&question).await.unwrap();
    assert!(stale.stale.is_some());
    // The rereading resumes after report 120: 180 reports are left to read.
    let read = f
        .indexes
        .refresh_statuses(&f.pool, f.project)
        .await
        .unwrap();
    assert_eq!(read, Some(180));
    let after = f.context().current(&question).await.unwrap();
    assert!(after.stale.is_none());
    f.assert_offline_agrees(&question, &after, &settings).await;
}

#[tokio::test]
async fn reordering_flips_studies_and_versions_compare() {
    let f = fixture(300).await;
    let question = f.question().await;
    for rule in [
        rule("no pneumothorax", "absent", Negation::Any),
        rule("pneumothorax", "present", Negation::Any),
    ] {
        let change = Change::Add { rule, at: None };
        questions::change(&f.pool, &question, &change, Some("fellow"))
            .await
            .unwrap();
    }
    let before = f.context().current(&question).await.unwrap();
    let absent = before.resolution.labels["absent"].len();
    assert!(absent > 0);
    let general = before.rules.rules[1].id;
    let moved = questions::change(
        &f.pool,
        &question,
        &Change::Move { id: general, to: 0 },
        Some("fellow"),
    )
    .await
    .unwrap();
    assert_eq!(moved.version, 3);
    let after = f.context().current(&question).await.unwrap();
    assert!(after.resolution.labels["absent"].is_empty());
    let flips = priority::flips(&before.resolution, &after.resolution, 3);
    assert_eq!(flips.len(), 1);
    assert_eq!(flips[0].from.as_deref(), Some("absent"));
    assert_eq!(flips[0].to.as_deref(), Some("present"));
    assert_eq!(flips[0].count, absent);
    let versions = questions::versions(&f.pool, question.id).await.unwrap();
    assert_eq!(versions.len(), 4);
    assert!(versions[0]
        .change
        .starts_with("moved “pneumothorax” → present from priority 2 to 1"));
    // An old version still reads back as it was.
    let old = questions::rules(&f.pool, question.id, Some(2))
        .await
        .unwrap();
    assert_eq!(old.rules[0].rule.phrase, "no pneumothorax");
}

#[tokio::test]
async fn an_invalid_rule_changes_nothing() {
    let f = fixture(10).await;
    let question = f.question().await;
    for (bad, expected) in [
        (
            rule("pneumothorax", "maybe", Negation::Any),
            "the label “maybe” is not one of the question's",
        ),
        (
            rule("eff*usion", "present", Negation::Any),
            "a * can only end the phrase",
        ),
    ] {
        let change = Change::Add {
            rule: bad,
            at: None,
        };
        let error = questions::change(&f.pool, &question, &change, None)
            .await
            .unwrap_err();
        assert!(
            error.kind() == ErrorKind::Invalid && error.to_string().contains(expected),
            "{error}"
        );
    }
    let mut scoped = rule("pneumothorax", "present", Negation::Any);
    scoped.sections = vec!["SUMMARY".into()];
    let change = Change::Add {
        rule: scoped,
        at: None,
    };
    assert!(questions::change(&f.pool, &question, &change, None)
        .await
        .is_err());
    assert_eq!(
        questions::versions(&f.pool, question.id)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn concurrent_edits_by_two_fellows_never_lose_a_rule() {
    let f = Arc::new(fixture(5).await);
    let question = f.question().await;
    let mut tasks = Vec::new();
    for fellow in 0..2 {
        for n in 0..15 {
            let (f, question) = (f.clone(), question.clone());
            tasks.push(tokio::spawn(async move {
                let phrase = format!("finding {fellow} {n}");
                let change = Change::Add {
                    rule: rule(&phrase, "present", Negation::Any),
                    at: Some(0),
                };
                questions::change(
                    &f.pool,
                    &question,
                    &change,
                    Some(&format!("fellow{fellow}")),
                )
                .await
                .unwrap();
            }));
        }
    }
    for task in tasks {
        task.await.unwrap();
    }
    let rules = questions::rules(&f.pool, question.id, None).await.unwrap();
    assert_eq!(rules.rules.len(), 30);
    assert_eq!(rules.version, 30);
    let mut ids: Vec<u32> = rules.rules.iter().map(|r| r.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 30, "rule ids are unique");
}

#[tokio::test]
async fn disabling_a_rule_hands_its_studies_to_the_rules_below() {
    let f = fixture(300).await;
    let question = f.question().await;
    for rule in [
        rule("no pneumothorax", "absent", Negation::Any),
        rule("pneumothorax", "present", Negation::Any),
    ] {
        let change = Change::Add { rule, at: None };
        questions::change(&f.pool, &question, &change, None)
            .await
            .unwrap();
    }
    let before = f.context().current(&question).await.unwrap();
    let mut first = before.rules.rules[0].clone();
    first.rule.enabled = false;
    let change = Change::Edit {
        id: first.id,
        rule: first.rule,
        was: None,
    };
    questions::change(&f.pool, &question, &change, None)
        .await
        .unwrap();
    let after = f.context().current(&question).await.unwrap();
    assert_eq!(after.resolution.stats[0].effective, 0);
    assert_eq!(
        after.resolution.labels["present"].len(),
        before.resolution.labels["present"].len() + before.resolution.labels["absent"].len()
    );
}

#[tokio::test]
async fn the_same_rule_twice_is_refused_naming_the_first() {
    let f = fixture(10).await;
    let question = f.question().await;
    let add = |rule: Rule| Change::Add { rule, at: None };
    questions::change(
        &f.pool,
        &question,
        &add(rule("No Pneumothorax", "absent", Negation::Any)),
        None,
    )
    .await
    .unwrap();
    let error = questions::change(
        &f.pool,
        &question,
        &add(rule("no  pneumothorax", "present", Negation::Any)),
        None,
    )
    .await
    .unwrap_err();
    assert!(error.to_string().contains("is already rule 1"), "{error}");
    // Its preview is refused alike, rather than promising an add that will be refused.
    let labels = f.context().current(&question).await.unwrap();
    let previewed = f
        .context()
        .preview(
            &labels,
            rule("no  pneumothorax", "present", Negation::Any),
            1,
        )
        .await;
    assert!(
        matches!(&previewed, Err(Error::Invalid(message)) if message.contains("is already rule 1")),
        "{:?}",
        previewed.err()
    );
    // The same words read otherwise (another negation mode or section) are another rule.
    let mut scoped = rule("no pneumothorax", "absent", Negation::Any);
    scoped.sections = vec!["IMPRESSION".into()];
    let set = questions::change(&f.pool, &question, &add(scoped), None)
        .await
        .unwrap();
    // A rule may be edited into itself (here: disabled).
    let mut disabled = rule("No Pneumothorax", "absent", Negation::Any);
    disabled.enabled = false;
    let edit = Change::Edit {
        id: set.rules[0].id,
        rule: disabled.clone(),
        was: Some(set.rules[0].rule.clone()),
    };
    questions::change(&f.pool, &question, &edit, None)
        .await
        .unwrap();
    // The same edit again, from a tab that still shows the rule before it (a second tab): refused,
    // and the first edit stands.
    let stale = Change::Edit {
        id: set.rules[0].id,
        rule: rule("no pneumothorax", "uncertain", Negation::Any),
        was: Some(set.rules[0].rule.clone()),
    };
    let error = questions::change(&f.pool, &question, &stale, None)
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("changed since you opened it"),
        "{error}"
    );
    let now = questions::rules(&f.pool, question.id, None).await.unwrap();
    assert_eq!(now.rules[0].rule, disabled);
}

#[tokio::test]
async fn removing_a_section_header_that_a_rule_looks_in_is_refused_naming_the_rule_even_a_disabled_one(
) {
    let f = fixture(20).await;
    let question = f.question().await;
    let mut scoped = rule("pneumothorax", "present", Negation::AffirmedOnly);
    scoped.sections = vec!["IMPRESSION".into()];
    scoped.enabled = false;
    let change = Change::Add {
        rule: scoped,
        at: None,
    };
    questions::change(&f.pool, &question, &change, Some("fellow"))
        .await
        .unwrap();
    let mut settings = TextSettings::default();
    settings
        .section_headers
        .retain(|header| header != "IMPRESSION");
    let error = questions::save_text_settings(&f.pool, f.project, &settings, None, Some("fellow"))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains(
            "question \"Pneumothorax\": rule 1 (“pneumothorax”) looks in the section “IMPRESSION”"
        ),
        "{error}"
    );
    let kept = questions::text_settings(&f.pool, f.project).await.unwrap();
    assert_eq!(kept, TextSettings::default());
}
