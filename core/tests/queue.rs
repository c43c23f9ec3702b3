//! The confirmation queue against a real SQLite file and a real index: assignment under
//! concurrency, claim expiry, undo, gold interleaving and the dashboard's counts.

mod common;

use std::sync::Arc;

use common::Project;
use sieve_core::auth;
use sieve_core::questions::Question;
use sieve_core::queue::{self, Settings};

/// The shared project (question "Pneumothorax" with two rules), `users` affiliates, and its queue
/// built with `settings`.
struct Fixture {
    project: Project,
    pool: sqlx::SqlitePool,
    queue: queue::Writer,
    question: Question,
    users: Vec<i64>,
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
    }
}

async fn count(pool: &sqlx::SqlitePool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
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
                        .answer(&f.question, user, &name, study.report_id, &label, 2.0)
                        .await
                        // Tabs of one affiliate share the study they hold: a second answer replaces
                        // the first and takes no other slot.
                        .unwrap();
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
async fn a_refused_answer_among_requests_written_together_fails_alone() {
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
        answers.push(tokio::spawn(async move {
            let name = format!("aff{n}");
            f.queue
                .answer(&f.question, user, &name, report, "present", 1.0)
                .await
        }));
    }
    let mut results = Vec::new();
    for answer in answers {
        results.push(answer.await.unwrap());
    }
    let refused = results[2].as_ref().unwrap_err().to_string();
    assert!(refused.contains("study 999999"), "{refused}");
    for (n, result) in results.iter().enumerate().filter(|(n, _)| *n != 2) {
        let next = result.as_ref().unwrap().as_ref().unwrap();
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
    let next = f
        .queue
        .answer(&f.question, b, "aff1", other.report_id, &label, 1.0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        next.report_id, first.report_id,
        "the expired study is served again"
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
    let second = f
        .queue
        .answer(&f.question, user, "aff0", first.report_id, "absent", 3.0)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(second.report_id, first.report_id);
    let back = f
        .queue
        .undo(&f.question, user, "aff0")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(back.report_id, first.report_id);
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
        .answer(&f.question, user, "aff0", back.report_id, "maybe", 1.0)
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
            &f.pool,
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
        let study = served.unwrap();
        served = f
            .queue
            .answer(&f.question, user, "aff0", study.report_id, "absent", 1.0)
            .await
            .unwrap();
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
