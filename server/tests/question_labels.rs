//! What a script reads back of a question over the REST API, through the real router and a real
//! SQLite file: the questions, every study's soft and final label with its source (as label sets
//! take them), filtered and paged, and the queue's progress and agreement.

mod common;

use axum::http::StatusCode;
use axum::Router;
use serde_json::Value;
use sieve_core::auth::{self, ProjectRole};
use sieve_core::questions::Question;

/// 120 reports; a question whose rule labels many of them "present", its queue built (one answer a
/// study, no gold items); the affiliate alex has answered two studies, the fellow fiona has
/// adjudicated a third and made a fourth a gold item. Tokens for fiona and the scientist sam.
struct Install {
    base: common::Install,
    app: Router,
    project: i64,
    question: Question,
    fellow: String,
    scientist: String,
    /// (study, label) alex answered, in order.
    answered: Vec<(i64, &'static str)>,
    adjudicated: i64,
    gold: i64,
}

impl std::ops::Deref for Install {
    type Target = common::Install;

    fn deref(&self) -> &common::Install {
        &self.base
    }
}

impl Install {
    async fn new() -> Install {
        let base = common::Install::new().await;
        let project = base.project().await;
        for (name, role) in [
            ("fiona", ProjectRole::Fellow),
            ("sam", ProjectRole::Scientist),
            ("alex", ProjectRole::Affiliate),
        ] {
            base.member(name, role).await;
        }
        base.reports(project, 4, 120).await;
        let config = base.config("");
        let state = base.state(&config).await;
        let question = base.question(project).await;
        let pool = base.pool.clone();
        let settings = sieve_core::queue::Settings {
            overlap_share: 0.0,
            gold_rate: 0.0,
            ..Default::default()
        };
        sieve_core::queue::build(&state.labeling(), &question, &settings, None)
            .await
            .unwrap();

        // Alex answers two studies through the queue, and holds a third.
        let alex = auth::find_user_by_name(&pool, "alex").await.unwrap();
        let writer = &state.queue;
        let mut served = writer
            .next(&question, alex.id, "alex")
            .await
            .unwrap()
            .unwrap();
        let mut answered = Vec::new();
        for label in ["absent", "present"] {
            answered.push((served.report_id, label));
            let verdict = writer
                .answer(
                    &question,
                    alex.id,
                    "alex",
                    served.report_id,
                    served.claim,
                    label,
                )
                .await
                .unwrap();
            served = verdict.served().unwrap();
        }
        // The fellow decides two studies nobody answered: one adjudicated, one a gold item.
        let answered_ids: Vec<i64> = answered.iter().map(|(id, _)| *id).collect();
        let untouched: Vec<i64> = sqlx::query_scalar(
            "SELECT report_id FROM tasks WHERE question_id = ? ORDER BY report_id",
        )
        .bind(question.id)
        .fetch_all(&pool)
        .await
        .unwrap()
        .into_iter()
        .filter(|id| !answered_ids.contains(id) && *id != served.report_id)
        .collect();
        let (adjudicated, gold) = (untouched[0], untouched[1]);
        sieve_core::queue::adjudicate(&pool, &question, adjudicated, "absent", Some("fiona"))
            .await
            .unwrap();
        sieve_core::queue::set_gold(
            &state.labeling(),
            &question,
            gold,
            Some("absent"),
            Some("fiona"),
        )
        .await
        .unwrap();

        let token = |name: &'static str| {
            let pool = pool.clone();
            async move {
                let user = auth::find_user_by_name(&pool, name).await.unwrap();
                sieve_core::tokens::create(&pool, &user, "script", None, 30, sieve_core::now())
                    .await
                    .unwrap()
                    .secret
            }
        };
        let fellow = token("fiona").await;
        let scientist = token("sam").await;
        let sessions = sieve_server::router::sessions(&pool, &config)
            .await
            .unwrap();
        Install {
            base,
            app: sieve_server::router::app(state, sessions),
            project,
            question,
            fellow,
            scientist,
            answered,
            adjudicated,
            gold,
        }
    }

    /// GETs an API path with a token; returns the status and the JSON answer.
    async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        common::get_json(&self.app, path, token).await
    }

    /// A page of the question's labels, as the scientist reads it.
    async fn labels(&self, query: &str) -> Value {
        let path = format!(
            "/api/v1/projects/{}/questions/{}/labels?{query}",
            self.project, self.question.id
        );
        let (status, page) = self.get(&path, &self.scientist).await;
        assert_eq!(status, StatusCode::OK, "{query}: {page}");
        page
    }
}

/// The study ids of a page, in order.
fn ids(page: &Value) -> Vec<i64> {
    page["studies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|study| study["study_id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn a_scientist_lists_the_questions_with_their_labels_and_rule_version() {
    let install = Install::new().await;
    let path = format!("/api/v1/projects/{}/questions", install.project);
    let (status, questions) = install.get(&path, &install.scientist).await;
    assert_eq!(status, StatusCode::OK, "{questions}");
    let rules = sieve_core::questions::rules(&install.pool, install.question.id, None)
        .await
        .unwrap();
    assert_eq!(
        questions,
        serde_json::json!([{
            "id": install.question.id,
            "name": "Pneumothorax",
            "labels": ["present", "absent"],
            "cohort_id": null,
            "cohort": null,
            "rule_version": rules.version,
        }])
    );
}

#[tokio::test]
async fn answers_and_decisions_show_as_final_labels_with_their_source() {
    let install = Install::new().await;

    let confirmed = install.labels("source=confirmed").await;
    assert_eq!(confirmed["total"], 2, "{confirmed}");
    let mut expected: Vec<i64> = install.answered.iter().map(|(id, _)| *id).collect();
    expected.sort();
    assert_eq!(ids(&confirmed), expected);
    for study in confirmed["studies"].as_array().unwrap() {
        let id = study["study_id"].as_i64().unwrap();
        let (_, label) = install.answered.iter().find(|(a, _)| *a == id).unwrap();
        assert_eq!(study["label"], *label, "{study}");
        assert_eq!(study["source"], "confirmed");
        assert_eq!(
            study["soft_label"], "present",
            "the rule's label stays visible"
        );
        assert_eq!(study["answers"], 1);
        assert_eq!(
            study["agreement"],
            Value::Null,
            "one answer agrees with no one"
        );
        let report = sieve_core::reports::find(&install.pool, install.project, id)
            .await
            .unwrap();
        assert_eq!(study["accession"], report.accession);
    }

    // "absent" is what alex answered once, the adjudication and the gold item.
    let absent = install.labels("label=absent").await;
    let sources: Vec<(i64, &str)> = absent["studies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["study_id"].as_i64().unwrap(),
                s["source"].as_str().unwrap(),
            )
        })
        .collect();
    let mut expected = vec![
        (install.answered[0].0, "confirmed"),
        (install.adjudicated, "adjudicated"),
        (install.gold, "gold"),
    ];
    expected.sort();
    assert_eq!(sources, expected);
    assert_eq!(absent["total"], 3);
    let both = install.labels("label=absent&source=gold").await;
    assert_eq!(ids(&both), [install.gold]);

    // Every other labeled study keeps its soft label; the sources add up to the whole.
    let soft = install.labels("source=soft&per_page=1000").await;
    assert!(soft["studies"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["label"] == "present" && s["answers"] == 0));
    let all = install.labels("per_page=1000").await;
    let total = all["total"].as_u64().unwrap();
    assert_eq!(total, soft["total"].as_u64().unwrap() + 4);
    let rules = sieve_core::questions::rules(&install.pool, install.question.id, None)
        .await
        .unwrap();
    assert_eq!(all["rule_version"], rules.version);
    assert_eq!(all["question_id"], install.question.id);
}

#[tokio::test]
async fn pages_split_the_studies_without_overlap_in_id_order() {
    let install = Install::new().await;
    let all = install.labels("per_page=1000").await;
    let every = ids(&all);
    assert!(every.windows(2).all(|pair| pair[0] < pair[1]), "id order");
    let total = all["total"].as_u64().unwrap() as usize;
    assert!(total > 14, "enough studies to page: {total}");
    let mut paged = Vec::new();
    for page in 0..total.div_ceil(7) {
        let one = install.labels(&format!("per_page=7&page={page}")).await;
        assert_eq!(one["total"].as_u64().unwrap() as usize, total);
        assert_eq!(
            (one["page"].as_u64(), one["per_page"].as_u64()),
            (Some(page as u64), Some(7))
        );
        paged.extend(ids(&one));
    }
    assert_eq!(paged, every);
    let past = install.labels(&format!("per_page=7&page={}", total)).await;
    assert_eq!(ids(&past), Vec::<i64>::new());
    let default = install.labels("").await;
    assert_eq!(default["per_page"], 100);
}

#[tokio::test]
async fn bad_parameters_are_refused_with_a_plain_message() {
    let install = Install::new().await;
    let base = format!(
        "/api/v1/projects/{}/questions/{}/labels",
        install.project, install.question.id
    );
    for (query, says) in [
        ("per_page=0", "per_page"),
        ("per_page=1001", "per_page"),
        ("page=-1", "page"),
        ("page=first", "page"),
        ("source=rumour", "source"),
        ("label=maybe", "not a label of Pneumothorax"),
    ] {
        let (status, body) = install
            .get(&format!("{base}?{query}"), &install.scientist)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        let error = body["error"].as_str().unwrap();
        assert!(error.contains(says), "{query}: {error}");
        assert!(
            !error.contains("expected"),
            "no deserializer types: {error}"
        );
    }
    let missing = format!(
        "/api/v1/projects/{}/questions/999999/labels",
        install.project
    );
    let (status, _) = install.get(&missing, &install.scientist).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_fellow_reads_the_queue_progress_and_agreement_as_the_dashboard_counts_them() {
    let install = Install::new().await;
    let path = format!(
        "/api/v1/projects/{}/questions/{}/progress",
        install.project, install.question.id
    );
    let (status, progress) = install.get(&path, &install.fellow).await;
    assert_eq!(status, StatusCode::OK, "{progress}");
    let review = sieve_core::queue::review(&install.pool, &install.question)
        .await
        .unwrap();
    assert_eq!(progress["tasks"], review.tasks);
    assert!(review.tasks > 4);
    assert_eq!(progress["answers"], 2);
    assert_eq!(progress["completed"], 2);
    // Every queued study needs one answer (no overlap here); two were given, and the study alex
    // holds a claim on is still needed.
    assert_eq!(progress["still_needed"], review.tasks - 2);
    let finals: Vec<(String, u64)> = progress["finals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["source"].as_str().unwrap().to_string(),
                f["studies"].as_u64().unwrap(),
            )
        })
        .collect();
    for (source, studies) in [("adjudicated", 1), ("gold", 1), ("confirmed", 2)] {
        assert!(
            finals.contains(&(source.to_string(), studies)),
            "{finals:?}"
        );
    }
    let agreement = &progress["agreement"];
    assert_eq!(
        (agreement["items"].as_u64(), agreement["raters"].as_u64()),
        (Some(2), Some(1))
    );
    for measure in [
        "percent_agreement",
        "fleiss_kappa",
        "krippendorff_alpha",
        "gwet_ac1",
    ] {
        assert_eq!(
            agreement[measure],
            serde_json::json!({"value": null, "items": 0}),
            "one rater: {measure} is undefined, not made up"
        );
    }

    // The dashboard is the fellow's: a scientist is refused, as on the page.
    let (status, body) = install.get(&path, &install.scientist).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
}
