//! The labeling queue's server functions through the real router, sessions and a real SQLite file:
//! an answer is recorded only for the study the caller holds under the claim it names; anything
//! else is refused with a plain message and the study the caller holds now.

mod common;

use axum::http::StatusCode;
use axum::Router;
use serde_json::Value;
use sieve_core::auth::ProjectRole;

/// An install with 120 reports, a question whose rule labels many of them, its queue built (one
/// answer a study, no gold items), and two affiliates, "alex" and "bea".
struct Install {
    base: common::Install,
    app: Router,
    project: i64,
    question: i64,
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
        for name in ["alex", "bea"] {
            base.member(name, ProjectRole::Affiliate).await;
        }
        base.reports(project, 4, 120).await;
        let config = base.config("");
        let state = base.state(&config).await;
        let question = base.question(project).await;
        let settings = sieve_core::queue::Settings {
            overlap_share: 0.0,
            gold_rate: 0.0,
            ..Default::default()
        };
        sieve_core::queue::build(&state.labeling(), &question, &settings, None)
            .await
            .unwrap();
        let sessions = sieve_server::router::sessions(&base.pool, &config)
            .await
            .unwrap();
        Install {
            app: sieve_server::router::app(state, sessions),
            base,
            project,
            question: question.id,
        }
    }

    /// Calls a server function with a session cookie; returns the status and the JSON answer.
    async fn call(&self, path: &str, form: &str, cookie: &str) -> (StatusCode, Value) {
        common::call(&self.app, path, form, cookie).await
    }

    /// Signs in and returns the `name=value` pair of the session cookie.
    async fn signed_in(&self, name: &str) -> String {
        common::signed_in(&self.app, name).await
    }

    /// The study the caller is served, as the labeling page asks for it.
    async fn study(&self, cookie: &str) -> Value {
        let form = format!("project={}&question={}", self.project, self.question);
        let (status, view) = self.call("/api/queue_study", &form, cookie).await;
        assert_eq!(status, StatusCode::OK, "{view}");
        view
    }

    /// Answers the study `view` showed, naming its claim.
    async fn answer(&self, view: &Value, label: &str, cookie: &str) -> Value {
        let study = &view["study"];
        let form = format!(
            "project={}&question={}&report={}&claim={}&label={label}",
            self.project, self.question, study["report_id"], study["claim"]
        );
        let (status, next) = self.call("/api/answer_study", &form, cookie).await;
        assert_eq!(status, StatusCode::OK, "{next}");
        next
    }

    /// Every answer recorded, as (user, study, label).
    async fn answers(&self) -> Vec<(String, i64, String)> {
        sqlx::query_as(
            "SELECT u.name, a.report_id, a.label FROM answers a JOIN users u ON u.id = a.user_id
             ORDER BY a.id",
        )
        .fetch_all(&self.pool)
        .await
        .unwrap()
    }
}

#[tokio::test]
async fn the_later_of_two_tabs_answering_one_study_is_refused_and_moves_to_the_study_held() {
    let install = Install::new().await;
    let alex = install.signed_in("alex").await;
    // Two tabs of one affiliate are served the same study.
    let tab_one = install.study(&alex).await;
    let tab_two = install.study(&alex).await;
    assert_eq!(tab_one["study"], tab_two["study"]);
    let answered = tab_one["study"]["report_id"].as_i64().unwrap();

    let next = install.answer(&tab_one, "absent", &alex).await;
    assert_eq!(next["refused"], Value::Null, "{next}");
    assert_ne!(next["study"]["report_id"], tab_one["study"]["report_id"]);

    let refused = install.answer(&tab_two, "present", &alex).await;
    assert_eq!(
        refused["refused"],
        "This study is no longer yours to answer — it was answered in another tab, decided by the fellow, or its claim expired; here is your current study."
    );
    assert_eq!(
        refused["study"], next["study"],
        "the second tab moves to the study held"
    );
    assert_eq!(
        install.answers().await,
        [("alex".to_string(), answered, "absent".to_string())],
        "the first answer is unchanged"
    );

    // Back, then the page as it was first served: answering it again is refused too.
    let again = install.answer(&tab_one, "present", &alex).await;
    assert!(again["refused"].is_string(), "{again}");
    assert_eq!(install.answers().await.len(), 1);
}

#[tokio::test]
async fn an_answer_to_a_study_another_affiliate_holds_or_was_never_served_is_refused() {
    let install = Install::new().await;
    let (alex, bea) = (
        install.signed_in("alex").await,
        install.signed_in("bea").await,
    );
    let mine = install.study(&alex).await;
    let hers = install.study(&bea).await;
    assert_ne!(mine["study"]["report_id"], hers["study"]["report_id"]);

    // Alex sends Bea's study with Bea's claim.
    let refused = install.answer(&hers, "absent", &alex).await;
    assert!(refused["refused"].is_string(), "{refused}");
    assert_eq!(refused["study"], mine["study"]);
    // And a study nobody was served, with his own claim.
    let mut never = mine.clone();
    never["study"]["report_id"] = Value::from(999_999);
    let refused = install.answer(&never, "absent", &alex).await;
    assert!(refused["refused"].is_string(), "{refused}");
    assert!(install.answers().await.is_empty(), "nothing recorded");

    // Skipping what one does not hold is refused the same way.
    let form = format!(
        "project={}&question={}&report={}&claim={}",
        install.project, install.question, hers["study"]["report_id"], hers["study"]["claim"]
    );
    let (status, skipped) = install.call("/api/skip_study", &form, &alex).await;
    assert_eq!(status, StatusCode::OK, "{skipped}");
    assert!(skipped["refused"].is_string(), "{skipped}");

    // Bea's claim is untouched: her answer is recorded.
    let next = install.answer(&hers, "present", &bea).await;
    assert_eq!(next["refused"], Value::Null, "{next}");
    let answered = hers["study"]["report_id"].as_i64().unwrap();
    assert_eq!(
        install.answers().await,
        [("bea".to_string(), answered, "present".to_string())]
    );
}
