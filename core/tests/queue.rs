//! The confirmation queue against a real SQLite file and a real index: assignment under
//! concurrency, claim expiry, answers accepted only under the claim they name, undo, gold
//! interleaving and the dashboard's counts.

mod common;

use std::sync::Arc;

use common::Project;
use sieve_core::auth;
use sieve_core::questions::Question;
use sieve_core::queue::{self, Served, Settings, Verdict};

/// The shared project (question "Pneumothorax" with two rules), `users` affiliates, and its queue
/// built with `settings`.
struct Fixture {
    project: Project,
    pool: sqlx::SqlitePool,
    queue: queue::Writer,
    question: Question,
    users: Vec<i64>,
    /// How many synthetic reports the project holds (corpus seed 9).
    reports_count: u64,
}

async fn fixture(reports_count: u64, users: usize, settings: Settings) -> Fixture {
    let project = Project::new(reports_count).await;
    let mut ids = Vec::new();
    for n in 0..users {
        let name = format!("aff{n}");
        let user = auth::create_user(&project.pool, &name, "a long test password", false, None)
            .await
            .unwrap();
        ids.push(user.id);
    }
    queue::build(
        &project.context(),
        &project.question,
        &settings,
        Some("fellow"),
    )
    .await
    .unwrap();
    Fixture {
        pool: project.pool.clone(),
        queue: project.queue.clone(),
        question: project.question.clone(),
        project,
        users: ids,
        reports_count,
    }
}

async fn count(pool: &sqlx::SqlitePool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

/// A user's answers as (study, label), in the order of studies.
async fn answers_of(pool: &sqlx::SqlitePool, user: i64) -> Vec<(i64, String)> {
    sqlx::query_as("SELECT report_id, label FROM answers WHERE user_id = ? ORDER BY report_id")
        .bind(user)
        .fetch_all(pool)
        .await
        .unwrap()
}

impl Fixture {
    /// Answers `study` as served to `user` (under its claim).
    async fn answer(&self, user: usize, study: &Served, label: &str) -> Verdict {
        let name = format!("aff{user}");
        self.queue
            .answer(
                &self.question,
                self.users[user],
                &name,
                study.report_id,
                study.claim,
                label,
            )
            .await
            .unwrap()
    }

    /// Stores `study`'s report again with `addition` after its text (a feed's correction, a
    /// file imported again): its text changes.
    async fn correct(&self, study: i64, addition: &str) {
        let report = sieve_core::reports::find(&self.pool, self.project.project_id, study)
            .await
            .unwrap();
        let mut corrected = sieve_core::corpus::generate(9, self.reports_count)
            .find(|r| r.accession == report.accession)
            .unwrap();
        corrected.report_text.push_str(addition);
        sieve_core::reports::store_batch(
            &self.pool,
            self.project.project_id,
            &self.project.pseudonymizer,
            &[corrected],
        )
        .await
        .unwrap();
    }

    async fn next(&self, user: usize) -> Option<Served> {
        let name = format!("aff{user}");
        self.queue
            .next(&self.question, self.users[user], &name)
            .await
            .unwrap()
    }
}

/// The study a verdict serves, after checking it was refused.
#[track_caller]
fn refused(verdict: Verdict) -> Option<Served> {
    match verdict {
        Verdict::NotHeld(served) => served,
        Verdict::Recorded(_) => panic!("the request was recorded, not refused"),
    }
}

/// The study a verdict serves, after checking it was recorded.
#[track_caller]
fn recorded(verdict: Verdict) -> Option<Served> {
    match verdict {
        Verdict::Recorded(served) => served,
        Verdict::NotHeld(_) => panic!("the request was refused"),
    }
}

#[tokio::test]
async fn the_overlap_is_the_share_asked_for_within_one_study_and_a_rebuild_keeps_it() {
    for share in [0.1, 0.3, 0.5] {
        let settings = Settings {
            overlap_share: share,
            overlap_raters: 2,
            gold_rate: 0.0,
            ..Settings::default()
        };
        let f = fixture(150, 1, settings.clone()).await;
        let queued = count(&f.pool, "SELECT COUNT(*) FROM tasks").await;
        let overlapped = count(&f.pool, "SELECT COUNT(*) FROM tasks WHERE needed = 2").await;
        let asked = share * queued as f64;
        assert!(
            (overlapped as f64 - asked).abs() <= 0.5,
            "{share}: {overlapped} of {queued} studies overlapped, asked {asked:.1}"
        );
        let chosen = "SELECT group_concat(report_id) FROM (SELECT report_id FROM tasks WHERE needed = 2 ORDER BY report_id)";
        let before: String = sqlx::query_scalar(chosen).fetch_one(&f.pool).await.unwrap();
        queue::build(&f.project.context(), &f.question, &settings, None)
            .await
            .unwrap();
        let after: String = sqlx::query_scalar(chosen).fetch_one(&f.pool).await.unwrap();
        assert_eq!(before, after, "a rebuild overlaps the same studies");
    }
}

#[tokio::test]
async fn concurrent_affiliates_fill_every_study_exactly_as_often_as_it_needs() {
    let settings = Settings {
        overlap_share: 0.3,
        overlap_raters: 3,
        gold_rate: 0.0,
        ..Settings::default()
    };
    let f = Arc::new(fixture(400, 6, settings).await);
    let tasks = count(&f.pool, "SELECT COUNT(*) FROM tasks").await;
    let needed = count(&f.pool, "SELECT SUM(needed) FROM tasks").await;
    assert!(tasks > 50, "{tasks} studies queued");
    let mut workers = Vec::new();
    for (n, &user) in f.users.iter().enumerate() {
        for _ in 0..3 {
            // Three browser tabs per affiliate, all answering at once.
            let f = f.clone();
            workers.push(tokio::spawn(async move {
                let name = format!("aff{n}");
                let mut served = f.queue.next(&f.question, user, &name).await.unwrap();
                while let Some(study) = served {
                    let label = study.soft_label.clone().unwrap();
                    served = f
                        .queue
                        .answer(
                            &f.question,
                            user,
                            &name,
                            study.report_id,
                            study.claim,
                            &label,
                        )
                        .await
                        // Tabs of one affiliate share the study they hold: the first answer is
                        // recorded, the others are refused and move on to what the user holds.
                        .unwrap()
                        .served();
                }
            }));
        }
    }
    for worker in workers {
        worker.await.unwrap();
    }
    assert_eq!(count(&f.pool, "SELECT COUNT(*) FROM answers").await, needed);
    let overfilled = count(
        &f.pool,
        "SELECT COUNT(*) FROM tasks t WHERE (SELECT COUNT(*) FROM answers a WHERE a.report_id = t.report_id) != t.needed",
    )
    .await;
    assert_eq!(
        overfilled, 0,
        "every study has exactly the answers it needs"
    );
    assert_eq!(count(&f.pool, "SELECT COUNT(*) FROM claims").await, 0);
    assert_eq!(count(&f.pool, "SELECT SUM(open) FROM tasks").await, 0);
    assert_eq!(
        count(&f.pool, "SELECT open_total FROM queue_settings").await,
        0
    );
}

#[tokio::test]
async fn a_refused_answer_among_requests_written_together_is_refused_alone() {
    let settings = Settings {
        overlap_share: 0.0,
        gold_rate: 0.0,
        ..Settings::default()
    };
    let f = Arc::new(fixture(200, 5, settings).await);
    let mut held = Vec::new();
    for (n, &user) in f.users.iter().enumerate() {
        let study = f.queue.next(&f.question, user, &format!("aff{n}")).await;
        held.push(study.unwrap().unwrap());
    }
    // All five answer at once (the writer takes them as one batch); the third names a study that
    // is in no queue.
    let mut answers = Vec::new();
    for (n, (&user, study)) in f.users.iter().zip(&held).enumerate() {
        let f = f.clone();
        let report = if n == 2 { 999_999 } else { study.report_id };
        let claim = study.claim;
        answers.push(tokio::spawn(async move {
            let name = format!("aff{n}");
            f.queue
                .answer(&f.question, user, &name, report, claim, "present")
                .await
                .unwrap()
        }));
    }
    let mut results = Vec::new();
    for answer in answers {
        results.push(answer.await.unwrap());
    }
    let still = refused(results.remove(2)).unwrap();
    assert_eq!(
        still.report_id, held[2].report_id,
        "aff2 is shown the study they hold"
    );
    for (n, result) in results.into_iter().enumerate() {
        let n = if n >= 2 { n + 1 } else { n };
        let next = recorded(result).unwrap();
        assert_ne!(
            next.report_id, held[n].report_id,
            "aff{n} is served a new study"
        );
    }
    assert_eq!(count(&f.pool, "SELECT COUNT(*) FROM answers").await, 4);
    let labeled = count(
        &f.pool,
        "SELECT COUNT(*) FROM audit_events WHERE action = 'study_labeled'",
    )
    .await;
    assert_eq!(labeled, 4, "one audit event per committed answer");
}

#[tokio::test]
async fn an_expired_claim_goes_to_the_next_affiliate() {
    let settings = Settings {
        overlap_share: 0.0,
        gold_rate: 0.0,
        claim_seconds: 60,
        ..Settings::default()
    };
    let f = fixture(60, 2, settings).await;
    let (a, b) = (f.users[0], f.users[1]);
    let first = f.queue.next(&f.question, a, "aff0").await.unwrap().unwrap();
    // Before expiry, the other affiliate gets a different study.
    let other = f.queue.next(&f.question, b, "aff1").await.unwrap().unwrap();
    assert_ne!(other.report_id, first.report_id);
    // The same affiliate asking again gets the study they hold.
    let again = f.queue.next(&f.question, a, "aff0").await.unwrap().unwrap();
    assert_eq!(again.report_id, first.report_id);
    sqlx::query("UPDATE claims SET expires_at = 0 WHERE user_id = ?")
        .bind(a)
        .execute(&f.pool)
        .await
        .unwrap();
    let label = other.soft_label.clone().unwrap();
    let next = recorded(f.answer(1, &other, &label).await).unwrap();
    assert_eq!(
        next.report_id, first.report_id,
        "the expired study is served again"
    );
    // aff0's page still shows it, but the claim expired and the study went to aff1: refused.
    let shown = refused(f.answer(0, &first, "absent").await).unwrap();
    assert_ne!(shown.report_id, first.report_id);
    assert!(
        answers_of(&f.pool, a).await.is_empty(),
        "nothing recorded for aff0"
    );
    assert_eq!(
        count(&f.pool, "SELECT open_total FROM queue_settings").await,
        count(&f.pool, "SELECT SUM(open) FROM tasks").await,
        "what the affiliates see as left follows every slot taken and given back"
    );
}

#[tokio::test]
async fn undo_takes_back_the_last_answer_and_serves_its_study_again() {
    let settings = Settings {
        gold_rate: 0.0,
        ..Settings::default()
    };
    let f = fixture(60, 1, settings).await;
    let user = f.users[0];
    let first = f
        .queue
        .next(&f.question, user, "aff0")
        .await
        .unwrap()
        .unwrap();
    let second = recorded(f.answer(0, &first, "absent").await).unwrap();
    assert_ne!(second.report_id, first.report_id);
    let back = f
        .queue
        .undo(&f.question, user, "aff0")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(back.report_id, first.report_id);
    assert_eq!(
        back.taken_back.as_deref(),
        Some("absent"),
        "the answer taken back is named"
    );
    assert_eq!(count(&f.pool, "SELECT COUNT(*) FROM answers").await, 0);
    // The study served after the answer went back to the queue.
    let open = count(
        &f.pool,
        &format!(
            "SELECT open FROM tasks WHERE report_id = {}",
            second.report_id
        ),
    )
    .await;
    assert!(open > 0);
    let bad = f
        .queue
        .answer(
            &f.question,
            user,
            "aff0",
            back.report_id,
            back.claim,
            "maybe",
        )
        .await;
    assert!(bad
        .unwrap_err()
        .to_string()
        .contains("\"maybe\" is not a label"));
}

#[tokio::test]
async fn gold_items_are_interleaved_at_the_set_rate_and_score_the_affiliate() {
    let settings = Settings {
        overlap_share: 0.0,
        gold_rate: 0.1,
        ..Settings::default()
    };
    let f = fixture(400, 1, settings).await;
    let gold: Vec<i64> =
        sqlx::query_scalar("SELECT report_id FROM tasks ORDER BY report_id LIMIT 15")
            .fetch_all(&f.pool)
            .await
            .unwrap();
    for &report in &gold {
        queue::set_gold(
            &f.project.context(),
            &f.question,
            report,
            Some("present"),
            Some("fellow"),
        )
        .await
        .unwrap();
    }
    let user = f.users[0];
    let mut served = f.queue.next(&f.question, user, "aff0").await.unwrap();
    for _ in 0..100 {
        served = recorded(f.answer(0, &served.unwrap(), "absent").await);
    }
    let gold_answers = count(&f.pool, "SELECT COUNT(*) FROM answers WHERE is_gold = 1").await;
    assert_eq!(gold_answers, 10, "one gold item in every ten studies");
    let review = queue::review(&f.pool, &f.question).await.unwrap();
    assert_eq!(review.answers, 100);
    assert_eq!(review.gold_items, 15);
    let rater = &review.raters[0];
    assert_eq!(rater.gold.answered, 10);
    assert_eq!(
        rater.gold.accuracy,
        Some(0.0),
        "every gold item is present, answered absent"
    );
    assert_eq!(rater.gold.confusion[0][1], 10);
}

#[tokio::test]
async fn invalid_queue_settings_are_refused_and_change_nothing() {
    let f = fixture(60, 1, Settings::default()).await;
    let before = count(&f.pool, "SELECT COUNT(*) FROM tasks").await;
    let context = f.project.context();
    for (settings, expected) in [
        (
            Settings {
                overlap_share: 1.5,
                ..Settings::default()
            },
            "overlap",
        ),
        (
            Settings {
                labels: vec!["maybe".into()],
                ..Settings::default()
            },
            "\"maybe\" is not a label",
        ),
    ] {
        let error = queue::build(&context, &f.question, &settings, None)
            .await
            .unwrap_err();
        assert!(error.to_string().contains(expected), "{error}");
    }
    assert_eq!(count(&f.pool, "SELECT COUNT(*) FROM tasks").await, before);
    let share: f64 = sqlx::query_scalar("SELECT overlap_share FROM queue_settings")
        .fetch_one(&f.pool)
        .await
        .unwrap();
    assert_eq!(
        share,
        Settings::default().overlap_share,
        "the saved settings are kept"
    );
}

/// Settings under which every study needs one answer and no gold item is served.
fn single_answers() -> Settings {
    Settings {
        overlap_share: 0.0,
        gold_rate: 0.0,
        ..Settings::default()
    }
}

#[tokio::test]
async fn an_answer_for_a_study_another_affiliate_holds_is_refused_and_changes_nothing() {
    let f = fixture(60, 2, single_answers()).await;
    let mine = f.next(0).await.unwrap();
    let theirs = f.next(1).await.unwrap();
    // aff0 answers aff1's study, with the claim token aff1 was given.
    let stolen = Served {
        claim: theirs.claim,
        ..theirs.clone()
    };
    let shown = refused(f.answer(0, &stolen, "absent").await).unwrap();
    assert_eq!(shown, mine, "aff0 is shown the study they hold");
    assert_eq!(count(&f.pool, "SELECT COUNT(*) FROM answers").await, 0);
    // aff1 still holds theirs and answers it.
    let next = recorded(f.answer(1, &theirs, "present").await).unwrap();
    assert_ne!(next.report_id, theirs.report_id);
    assert_eq!(
        answers_of(&f.pool, f.users[1]).await,
        [(theirs.report_id, "present".to_string())]
    );
}

#[tokio::test]
async fn an_answer_for_a_study_never_served_is_refused() {
    let f = fixture(60, 1, single_answers()).await;
    let held = f.next(0).await.unwrap();
    let other: i64 = sqlx::query_scalar("SELECT report_id FROM tasks WHERE report_id != ? LIMIT 1")
        .bind(held.report_id)
        .fetch_one(&f.pool)
        .await
        .unwrap();
    let open_before = count(&f.pool, "SELECT SUM(open) FROM tasks").await;
    for (report, claim) in [(other, held.claim), (other, 0), (999_999, held.claim)] {
        let never = Served {
            report_id: report,
            claim,
            ..held.clone()
        };
        let shown = refused(f.answer(0, &never, "present").await).unwrap();
        assert_eq!(shown, held, "the page moves to the study held");
    }
    assert_eq!(count(&f.pool, "SELECT COUNT(*) FROM answers").await, 0);
    assert_eq!(
        count(&f.pool, "SELECT SUM(open) FROM tasks").await,
        open_before,
        "no slot was taken"
    );
    let labeled = count(
        &f.pool,
        "SELECT COUNT(*) FROM audit_events WHERE action = 'study_labeled'",
    )
    .await;
    assert_eq!(labeled, 0, "a refused answer is not audited as a label");
}

#[tokio::test]
async fn a_second_tab_answering_a_study_already_answered_is_refused_and_the_first_answer_stands() {
    let f = fixture(60, 1, single_answers()).await;
    // Two tabs of one affiliate are served the same study under the same claim.
    let tab_one = f.next(0).await.unwrap();
    let tab_two = f.next(0).await.unwrap();
    assert_eq!(tab_one, tab_two);
    let next = recorded(f.answer(0, &tab_one, "absent").await).unwrap();
    let shown = refused(f.answer(0, &tab_two, "present").await).unwrap();
    assert_eq!(shown, next, "the second tab moves to the study now held");
    assert_eq!(
        answers_of(&f.pool, f.users[0]).await,
        [(tab_one.report_id, "absent".to_string())],
        "the first answer is unchanged"
    );
    // A page restored by Back, answering again the study it first showed, is refused as well.
    refused(f.answer(0, &tab_one, "uncertain").await);
    assert_eq!(
        answers_of(&f.pool, f.users[0]).await,
        [(tab_one.report_id, "absent".to_string())]
    );
    // Skipping it is refused too, and skips nothing.
    let skip = f
        .queue
        .skip(
            &f.question,
            f.users[0],
            "aff0",
            tab_one.report_id,
            tab_one.claim,
        )
        .await
        .unwrap();
    assert_eq!(refused(skip).unwrap(), next);
    assert_eq!(count(&f.pool, "SELECT COUNT(*) FROM skips").await, 0);
    let labeled = count(
        &f.pool,
        "SELECT COUNT(*) FROM audit_events WHERE action = 'study_labeled'",
    )
    .await;
    assert_eq!(labeled, 1);
}

#[tokio::test]
async fn an_answer_under_a_superseded_claim_is_refused() {
    let settings = Settings {
        claim_seconds: 60,
        ..single_answers()
    };
    let f = fixture(60, 1, settings).await;
    // Answered, then taken back by undo: the study is held again, under a new claim.
    let first = f.next(0).await.unwrap();
    recorded(f.answer(0, &first, "absent").await);
    let back = f
        .queue
        .undo(&f.question, f.users[0], "aff0")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(back.report_id, first.report_id);
    assert_ne!(back.claim, first.claim);
    let shown = refused(f.answer(0, &first, "present").await).unwrap();
    assert_eq!(back.taken_back.as_deref(), Some("absent"));
    let held = Served {
        taken_back: None,
        ..back.clone()
    };
    assert_eq!(shown, held, "the study held, served again");
    assert_eq!(count(&f.pool, "SELECT COUNT(*) FROM answers").await, 0);

    // Expired and given back, then served again: the old claim no longer answers it.
    sqlx::query("UPDATE claims SET expires_at = 0")
        .execute(&f.pool)
        .await
        .unwrap();
    let again = f.next(0).await.unwrap();
    assert_eq!(again.report_id, first.report_id, "served again");
    assert_ne!(again.claim, back.claim);
    assert_eq!(refused(f.answer(0, &back, "present").await).unwrap(), again);
    assert_eq!(count(&f.pool, "SELECT COUNT(*) FROM answers").await, 0);
    recorded(f.answer(0, &again, "present").await);
    assert_eq!(
        answers_of(&f.pool, f.users[0]).await,
        [(first.report_id, "present".to_string())]
    );
    assert_eq!(
        count(&f.pool, "SELECT open_total FROM queue_settings").await,
        count(&f.pool, "SELECT SUM(open) FROM tasks").await,
        "refusals take and give back no slot"
    );
}

#[tokio::test]
async fn a_gold_item_outside_the_questions_cohort_is_refused() {
    use sieve_core::search::Filter;
    use sieve_core::{cohorts, questions, reports};
    let f = fixture(200, 1, Settings::default()).await;
    let chests = Filter {
        body_parts: vec!["CHEST".into()],
        ..Filter::default()
    };
    let project_id = f.question.project_id;
    let cohort = cohorts::save(
        &f.pool,
        &f.project.indexes,
        project_id,
        "Chests",
        &chests,
        "fellow",
    )
    .await
    .unwrap();
    let labels = questions::parse_labels("present, absent").unwrap();
    let chest_only = questions::create(
        &f.pool,
        project_id,
        "Effusion",
        &labels,
        Some(cohort.id),
        None,
    )
    .await
    .unwrap();
    let head: i64 = sqlx::query_scalar("SELECT id FROM reports WHERE body_part = 'HEAD' LIMIT 1")
        .fetch_one(&f.pool)
        .await
        .unwrap();
    let error = queue::set_gold(
        &f.project.context(),
        &chest_only,
        head,
        Some("absent"),
        None,
    )
    .await
    .unwrap_err();
    let accession = reports::find(&f.pool, project_id, head)
        .await
        .unwrap()
        .accession;
    assert!(
        error.to_string().contains(&accession) && error.to_string().contains("cohort"),
        "{error}"
    );
    assert!(queue::gold_items(&f.pool, &chest_only)
        .await
        .unwrap()
        .is_empty());
    // A chest study is taken, listed with its accession, and removed again.
    let chest: i64 = sqlx::query_scalar("SELECT id FROM reports WHERE body_part = 'CHEST' LIMIT 1")
        .fetch_one(&f.pool)
        .await
        .unwrap();
    assert_eq!(
        reports::id_of(
            &f.pool,
            project_id,
            &reports::find(&f.pool, project_id, chest)
                .await
                .unwrap()
                .accession
        )
        .await
        .unwrap(),
        chest
    );
    queue::set_gold(
        &f.project.context(),
        &chest_only,
        chest,
        Some("absent"),
        Some("fellow"),
    )
    .await
    .unwrap();
    let items = queue::gold_items(&f.pool, &chest_only).await.unwrap();
    assert_eq!(
        (items.len(), items[0].report_id, items[0].label.as_str()),
        (1, chest, "absent")
    );
    // The audit log names the study by its accession, and finds it by it.
    let about = sieve_core::audit::Filter {
        text: Some(items[0].accession.to_lowercase()),
        ..Default::default()
    };
    let logged = sieve_core::audit::search(&f.pool, &about, 0, 10)
        .await
        .unwrap();
    assert_eq!(logged.total, 1);
    let named = format!("study {}", items[0].accession);
    assert_eq!(logged.events[0].object.as_deref(), Some(named.as_str()));
    queue::set_gold(
        &f.project.context(),
        &chest_only,
        chest,
        None,
        Some("fellow"),
    )
    .await
    .unwrap();
    assert!(queue::gold_items(&f.pool, &chest_only)
        .await
        .unwrap()
        .is_empty());
    // Removed twice: the second says it is no gold item, and records nothing.
    let events = sieve_core::audit::search(&f.pool, &about, 0, 10)
        .await
        .unwrap()
        .total;
    let again = queue::set_gold(&f.project.context(), &chest_only, chest, None, None)
        .await
        .unwrap_err();
    assert!(again.to_string().contains("is not a gold item"), "{again}");
    let after = sieve_core::audit::search(&f.pool, &about, 0, 10)
        .await
        .unwrap()
        .total;
    assert_eq!(after, events);
    // An accession typed in small letters finds the study.
    assert_eq!(
        reports::id_of(&f.pool, project_id, &items[0].accession.to_lowercase())
            .await
            .unwrap(),
        chest
    );
    // In any case, as a site may write accessions in mixed case; one that fits two asks for it
    // exactly.
    let rename = |id: i64, accession: &'static str| {
        sqlx::query("UPDATE reports SET accession = ? WHERE id = ?")
            .bind(accession)
            .bind(id)
            .execute(&f.pool)
    };
    rename(chest, "Acc7b").await.unwrap();
    assert_eq!(
        reports::id_of(&f.pool, project_id, " ACC7B ")
            .await
            .unwrap(),
        chest
    );
    rename(chest + 1, "ACC7b").await.unwrap();
    let ambiguous = reports::id_of(&f.pool, project_id, "acc7b")
        .await
        .unwrap_err();
    assert!(
        ambiguous.to_string().contains("ACC7b, Acc7b"),
        "{ambiguous}"
    );
    assert_eq!(
        reports::id_of(&f.pool, project_id, "ACC7b").await.unwrap(),
        chest + 1
    );
}

#[tokio::test]
async fn the_evidence_is_read_by_the_rule_that_gave_the_soft_label() {
    use sieve_core::labeling::{Negation, Rule, Status};
    use sieve_core::questions::{self, Change};
    let f = fixture(20, 1, Settings::default()).await;
    // The same phrase twice: a disabled rule that counts affirmed mentions only, and the enabled
    // one that routes a negated mention to "absent".
    let rule = |negation: Negation, enabled: bool| Rule {
        phrase: "pneumothorax".into(),
        label: "present".into(),
        negation,
        sections: vec![],
        enabled,
    };
    // The disabled one ends up first, above the one in use.
    for (negation, enabled) in [
        (
            Negation::Route {
                negated: Some("absent".into()),
                uncertain: None,
            },
            true,
        ),
        (Negation::AffirmedOnly, false),
    ] {
        let change = Change::Add {
            rule: rule(negation, enabled),
            at: Some(0),
        };
        questions::change(&f.pool, &f.question, &change, None)
            .await
            .unwrap();
    }
    let text = "FINDINGS: Negative for pneumothorax.";
    let mentions = sieve_core::soft_labels::mentions_of(
        &f.project.context(),
        &f.question,
        "pneumothorax",
        Some("absent"),
        text,
    )
    .await
    .unwrap();
    assert_eq!(mentions.len(), 1);
    assert_eq!(mentions[0].status, Status::Negated);
    assert!(
        mentions[0].counts,
        "the negated mention gave the label: it is evidence, not ignored"
    );
}

#[tokio::test]
async fn the_same_decision_twice_is_recorded_once() {
    let f = fixture(20, 1, Settings::default()).await;
    let report: i64 = sqlx::query_scalar("SELECT report_id FROM tasks LIMIT 1")
        .fetch_one(&f.pool)
        .await
        .unwrap();
    for _ in 0..2 {
        // A double click, or the same decision from a second tab.
        queue::adjudicate(&f.pool, &f.question, report, "absent", Some("fellow"))
            .await
            .unwrap();
        queue::set_gold(
            &f.project.context(),
            &f.question,
            report,
            Some("absent"),
            Some("fellow"),
        )
        .await
        .unwrap();
    }
    let events = |action: &'static str| {
        count(
            &f.pool,
            match action {
                "adjudicated" => "SELECT COUNT(*) FROM audit_events WHERE action = 'adjudicated'",
                _ => "SELECT COUNT(*) FROM audit_events WHERE action = 'gold_set'",
            },
        )
    };
    assert_eq!(events("adjudicated").await, 1);
    assert_eq!(events("gold_set").await, 1);
    // Another decision is a change, and recorded.
    queue::adjudicate(&f.pool, &f.question, report, "present", Some("fellow"))
        .await
        .unwrap();
    assert_eq!(events("adjudicated").await, 2);
}

#[tokio::test]
async fn a_queue_with_gold_items_can_be_finished_and_a_removed_gold_item_is_queued_again() {
    let settings = Settings {
        overlap_share: 0.0,
        gold_rate: 0.2,
        ..Settings::default()
    };
    let f = fixture(60, 1, settings).await;
    let queued_before = queue::review(&f.pool, &f.question).await.unwrap().tasks;
    let gold: Vec<i64> =
        sqlx::query_scalar("SELECT report_id FROM tasks ORDER BY report_id LIMIT 3")
            .fetch_all(&f.pool)
            .await
            .unwrap();
    for &report in &gold {
        queue::set_gold(
            &f.project.context(),
            &f.question,
            report,
            Some("present"),
            None,
        )
        .await
        .unwrap();
    }
    let review = queue::review(&f.pool, &f.question).await.unwrap();
    assert_eq!(review.tasks, queued_before - 3, "gold items are not queued");
    assert_eq!(
        review.still_needed, review.tasks,
        "nor needed from the queue"
    );

    let mut served = f.next(0).await;
    let mut answered = 0;
    while let Some(study) = served {
        served = recorded(f.answer(0, &study, "absent").await);
        answered += 1;
        assert!(answered <= 100, "the queue never ends");
    }
    let progress = queue::progress(&f.pool, f.question.id, f.users[0])
        .await
        .unwrap();
    assert_eq!(progress.left, 0, "the queue is finished: {progress:?}");
    let review = queue::review(&f.pool, &f.question).await.unwrap();
    assert_eq!((review.still_needed, review.completed), (0, review.tasks));

    queue::set_gold(&f.project.context(), &f.question, gold[0], None, None)
        .await
        .unwrap();
    let review = queue::review(&f.pool, &f.question).await.unwrap();
    let gold_answered = count(
        &f.pool,
        &format!("SELECT COUNT(*) FROM answers WHERE report_id = {}", gold[0]),
    )
    .await;
    assert_eq!(review.tasks, queued_before - 2);
    assert_eq!(review.still_needed, 1 - gold_answered);
    if gold_answered == 0 {
        let again = f
            .next(0)
            .await
            .expect("the study left the gold set and is served");
        assert_eq!(again.report_id, gold[0]);
    }
}

#[tokio::test]
async fn a_study_answered_before_its_report_changed_is_served_again_first_and_answered_anew() {
    let settings = Settings {
        gold_rate: 0.0,
        ..Settings::default()
    };
    let f = fixture(60, 1, settings).await;
    let open = "SELECT SUM(open) FROM tasks";
    let first = f.next(0).await.unwrap();
    let second = recorded(f.answer(0, &first, "absent").await).unwrap();
    // The first study's report comes again, corrected (a feed's C message, a file imported again).
    f.correct(first.report_id, " CORRECTION: small right pneumothorax.")
        .await;
    let open_before = count(&f.pool, open).await;
    // The study held is answered first; then the changed one comes back, the earlier answer named.
    let again = recorded(f.answer(0, &second, "absent").await).unwrap();
    assert_eq!(again.report_id, first.report_id);
    assert_eq!(again.answered_before_change.as_deref(), Some("absent"));
    // Its soft label was worked out from the earlier text: not suggested.
    assert!(again.report_changed);
    assert_eq!(
        (again.soft_label.as_deref(), again.rule_phrase.as_deref()),
        (None, None)
    );
    // Served again, it takes no slot of the queue: skipping it gives none back.
    let third = recorded(
        f.queue
            .skip(
                &f.question,
                f.users[0],
                "aff0",
                again.report_id,
                again.claim,
            )
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(third.answered_before_change, None);
    assert_eq!(
        count(&f.pool, open).await,
        open_before - 1,
        "only the next study's slot was taken"
    );
    let review = queue::review(&f.pool, &f.question).await.unwrap();
    assert_eq!(
        review.before_amendment.len(),
        1,
        "skipped, it still waits for review"
    );

    // Answered anew (a second later: times are whole seconds), it replaces the earlier answer and
    // is trusted again.
    let f = fixture(
        60,
        1,
        Settings {
            gold_rate: 0.0,
            ..Settings::default()
        },
    )
    .await;
    let first = f.next(0).await.unwrap();
    let second = recorded(f.answer(0, &first, "absent").await).unwrap();
    f.correct(first.report_id, " CORRECTION: small right pneumothorax.")
        .await;
    // Opening the queue again (a page load) serves it at once, before the study held, which goes
    // back to the queue.
    let again = f.next(0).await.unwrap();
    assert_eq!(again.report_id, first.report_id);
    assert_ne!(second.report_id, first.report_id);
    assert!(
        count(
            &f.pool,
            &format!(
                "SELECT COUNT(*) FROM claims WHERE report_id = {}",
                second.report_id
            )
        )
        .await
            == 0
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let next = recorded(f.answer(0, &again, "present").await).unwrap();
    assert_eq!(next.answered_before_change, None);
    assert_eq!(
        answers_of(&f.pool, f.users[0])
            .await
            .iter()
            .find(|(study, _)| *study == first.report_id),
        Some(&(first.report_id, "present".to_string()))
    );
    // Answered anew in place of the earlier answer: still one answer for the study.
    assert_eq!(count(&f.pool, "SELECT COUNT(*) FROM answers").await, 1);
    let review = queue::review(&f.pool, &f.question).await.unwrap();
    assert!(
        review.before_amendment.is_empty(),
        "answered on the new text, it is trusted"
    );
}

#[tokio::test]
async fn a_changed_study_the_fellow_has_decided_since_is_not_served_again_and_counts_stay_true() {
    let f = fixture(
        60,
        1,
        Settings {
            gold_rate: 0.0,
            ..Settings::default()
        },
    )
    .await;
    let first = f.next(0).await.unwrap();
    recorded(f.answer(0, &first, "absent").await).unwrap();
    f.correct(first.report_id, " CORRECTION: large pneumothorax.")
        .await;
    let needed = queue::review(&f.pool, &f.question)
        .await
        .unwrap()
        .still_needed;
    // Served again for review, it holds no slot: what the queue still needs does not change.
    let again = f.next(0).await.unwrap();
    assert_eq!(again.report_id, first.report_id);
    assert_eq!(
        queue::review(&f.pool, &f.question)
            .await
            .unwrap()
            .still_needed,
        needed,
        "the study held before went back to the queue, and the review holds no slot"
    );
    // The fellow decides it (a second later: times are whole seconds): it is not served again.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    queue::adjudicate(
        &f.pool,
        &f.question,
        first.report_id,
        "present",
        Some("fellow"),
    )
    .await
    .unwrap();
    // An answer to it now is refused: the fellow's decision stands, the earlier answer unchanged.
    assert!(refused(f.answer(0, &again, "absent").await).is_some());
    assert_eq!(
        answers_of(&f.pool, f.users[0])
            .await
            .iter()
            .find(|(study, _)| *study == first.report_id)
            .map(|(_, label)| label.as_str()),
        Some("absent")
    );
    // Opening the queue again: the study held for review is given up, and not served again.
    let reopened = f.next(0).await.unwrap();
    assert_ne!(
        reopened.report_id, first.report_id,
        "decided, it leaves the affiliate's queue"
    );
    assert_eq!(reopened.answered_before_change, None);
}
