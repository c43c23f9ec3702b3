//! The one setup of the server's tests: a fresh install on a real SQLite file in a temporary data
//! directory, the application built as `sieve serve` builds it (no socket: `oneshot`), and requests
//! as a page of the site or a script sends them. Each test file adds what its tests need.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::Value;
use sieve_app::ssr::AppState;
use sieve_core::auth::{self, ProjectRole, User};
use sieve_core::labeling::Rule;
use sieve_core::pseudonym::Pseudonymizer;
use sieve_core::questions::{self, Change, Question};
use sieve_core::{corpus, db, projects, reports};
use sieve_server::cli::GlobalArgs;
use sieve_server::config::Config;
use sieve_server::router;
use sqlx::SqlitePool;
use tempfile::TempDir;
use tower::ServiceExt;

/// Every test user's password.
pub const PASSWORD: &str = "a long test password";
/// The name of the project [`Install::project`] creates.
pub const PROJECT: &str = "Pneumothorax";

/// A fresh install: an empty, migrated database in a temporary data directory.
pub struct Install {
    pub dir: TempDir,
    pub pool: SqlitePool,
}

impl Install {
    pub async fn new() -> Install {
        let dir = tempfile::tempdir().unwrap();
        let pool = db::open(&dir.path().join("sieve.db")).await.unwrap();
        Install { dir, pool }
    }

    /// Creates a user with [`PASSWORD`].
    pub async fn user(&self, name: &str, admin: bool) -> User {
        auth::create_user(&self.pool, name, PASSWORD, admin, None)
            .await
            .unwrap()
    }

    /// Creates the project [`PROJECT`] (IRB protocol IRB-2026-17) and returns its id.
    pub async fn project(&self) -> i64 {
        projects::create(&self.pool, PROJECT, "IRB-2026-17", None)
            .await
            .unwrap()
            .id
    }

    /// Creates user `name` and makes them a member of [`PROJECT`] with `role`.
    pub async fn member(&self, name: &str, role: ProjectRole) -> User {
        let user = self.user(name, false).await;
        projects::add_member(&self.pool, PROJECT, name, role, None)
            .await
            .unwrap();
        user
    }

    /// Stores `count` synthetic reports (corpus seed `seed`) in `project`, pseudonymised with the
    /// install's own key, as `sieve serve` would.
    pub async fn reports(&self, project: i64, seed: u64, count: u64) {
        let corpus: Vec<_> = corpus::generate(seed, count).collect();
        let pseudonymizer = Pseudonymizer::load_or_create(self.dir.path()).unwrap();
        reports::store_batch(&self.pool, project, &pseudonymizer, &corpus)
            .await
            .unwrap();
    }

    /// Creates the question [`PROJECT`] (present, absent) with one rule, `pneumothorax` → present.
    pub async fn question(&self, project: i64) -> Question {
        let labels = vec!["present".to_string(), "absent".to_string()];
        let question = questions::create(&self.pool, project, PROJECT, &labels, None, None)
            .await
            .unwrap();
        let rule = Rule {
            phrase: "pneumothorax".into(),
            label: "present".into(),
            negation: Default::default(),
            sections: vec![],
            enabled: true,
        };
        let add = Change::Add { rule, at: None };
        questions::change(&self.pool, &question, &add, None)
            .await
            .unwrap();
        question
    }

    /// The configuration `sieve serve` resolves from a `sieve.toml` of these `lines` (TOML) in the
    /// data directory, with the site root inside it.
    pub fn config(&self, lines: &str) -> Config {
        let file = self.dir.path().join("sieve.toml");
        let site = self.dir.path().join("site");
        std::fs::write(&file, format!("site_root = {site:?}\n{lines}\n")).unwrap();
        let global = GlobalArgs {
            config: Some(file),
            data_dir: Some(self.dir.path().to_path_buf()),
        };
        Config::load(&global, None).unwrap()
    }

    /// The application's state for `config`, every project's index caught up.
    pub async fn state(&self, config: &Config) -> AppState {
        std::fs::create_dir_all(config.index_dir()).unwrap();
        let state = router::state(self.pool.clone(), config).unwrap();
        sieve_server::indexer::catch_up_all(&state).await;
        state
    }

    /// Builds the application as `sieve serve` does, with the default configuration (a second
    /// call is a restart on the same database).
    pub async fn app(&self) -> Router {
        self.app_with(&self.config("")).await
    }

    /// Builds the application with a configuration of the test's own.
    pub async fn app_with(&self, config: &Config) -> Router {
        let state = self.state(config).await;
        let sessions = router::sessions(&self.pool, config).await.unwrap();
        router::app(state, sessions)
    }
}

/// Sends a request; returns the status, the headers and the body as text.
pub async fn send(app: &Router, request: Request<Body>) -> (StatusCode, HeaderMap, String) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

/// A page asked for by a browser, with the session cookie when there is one.
pub fn get(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut request = Request::get(path).header(header::ACCEPT, "text/html");
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    request.body(Body::empty()).unwrap()
}

/// A request as a page of this site sends it, with the session cookie when there is one.
pub fn request(method: &str, path: &str, cookie: Option<&str>) -> axum::http::request::Builder {
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, "localhost")
        .header(header::ORIGIN, "http://localhost")
        .header(header::ACCEPT, "application/json");
    if let Some(cookie) = cookie {
        builder = builder.header(header::COOKIE, cookie);
    }
    builder
}

/// A form posted by a page of this site (a server function's call).
pub fn form(path: &str, body: impl Into<Body>, cookie: Option<&str>) -> Request<Body> {
    request("POST", path, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body.into())
        .unwrap()
}

/// The sign-in form, sent as the sign-in page sends it.
pub fn sign_in_request(name: &str, password: &str) -> Request<Body> {
    let body = format!(
        "name={name}&password={}&next=%2F",
        password.replace(' ', "+")
    );
    form("/api/sign_in", body, None)
}

/// Signs in with [`PASSWORD`] and returns the `name=value` pair of the session cookie.
pub async fn signed_in(app: &Router, name: &str) -> String {
    let (status, headers, body) = send(app, sign_in_request(name, PASSWORD)).await;
    assert_eq!(status, StatusCode::OK, "sign-in as {name} failed: {body}");
    let set_cookie = headers
        .get(header::SET_COOKIE)
        .expect("a session cookie")
        .to_str()
        .unwrap();
    set_cookie.split(';').next().unwrap().to_string()
}

/// Reads a body as JSON, or as a JSON string when it is not JSON.
pub fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|_| Value::String(body.to_string()))
}

/// Calls a server function with a session cookie; returns the status and the JSON answer.
pub async fn call(app: &Router, path: &str, body: &str, cookie: &str) -> (StatusCode, Value) {
    let (status, _, body) = send(app, form(path, body.to_string(), Some(cookie))).await;
    (status, json(&body))
}

/// A REST request with an API token.
pub fn bearer(path: &str, token: &str) -> Request<Body> {
    Request::get(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap()
}

/// GETs a REST path with an API token; returns the status and the JSON answer.
pub async fn get_json(app: &Router, path: &str, token: &str) -> (StatusCode, Value) {
    let (status, _, body) = send(app, bearer(path, token)).await;
    (status, json(&body))
}
