//! The HTTP application end to end, through the real router, sessions and a real SQLite file:
//! sign-in, cookies, the sign-in guard and per-role pages.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use sieve_core::auth::ProjectRole;
use sieve_core::{auth, db, projects};
use sieve_server::config::Config;
use sieve_server::router;
use tempfile::TempDir;
use tower::ServiceExt;

const PASSWORD: &str = "a long test password";

/// A fresh install: an admin, a fellow of "Pneumothorax", and an outsider who belongs to no project.
struct Install {
    dir: TempDir,
    pool: sqlx::SqlitePool,
    project_id: i64,
}

impl Install {
    async fn new() -> Install {
        let dir = tempfile::tempdir().unwrap();
        let pool = db::open(&dir.path().join("sieve.db")).await.unwrap();
        auth::create_user(&pool, "ada", PASSWORD, true, None)
            .await
            .unwrap();
        auth::create_user(&pool, "fiona", PASSWORD, false, None)
            .await
            .unwrap();
        auth::create_user(&pool, "otto", PASSWORD, false, None)
            .await
            .unwrap();
        let project = projects::create(&pool, "Pneumothorax", "IRB-2026-17", None)
            .await
            .unwrap();
        projects::add_member(&pool, "Pneumothorax", "fiona", ProjectRole::Fellow, None)
            .await
            .unwrap();
        Install {
            dir,
            pool,
            project_id: project.id,
        }
    }

    fn config(&self) -> Config {
        Config {
            addr: "127.0.0.1:0".parse().unwrap(),
            data_dir: self.dir.path().to_path_buf(),
            site_root: self.dir.path().join("site"),
            demo: false,
            secure_cookies: false,
            session_idle_minutes: 60,
            session_absolute_hours: 12,
            max_upload_mb: sieve_server::config::DEFAULT_MAX_UPLOAD_MB,
        }
    }

    /// Builds the application as `sieve serve` does (a second call is a restart on the same database).
    async fn app(&self) -> Router {
        let config = self.config();
        std::fs::create_dir_all(config.index_dir()).unwrap();
        let sessions = router::sessions(&self.pool, &config).await.unwrap();
        router::app(router::state(self.pool.clone(), &config).unwrap(), sessions)
    }
}

async fn send(app: &Router, request: Request<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

fn get(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut request = Request::get(path).header(header::ACCEPT, "text/html");
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    request.body(Body::empty()).unwrap()
}

fn sign_in_request(name: &str, password: &str) -> Request<Body> {
    let body = format!(
        "name={name}&password={}&next=%2F",
        password.replace(' ', "+")
    );
    Request::post("/api/sign_in")
        .header(header::HOST, "localhost")
        .header(header::ORIGIN, "http://localhost")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .body(Body::from(body))
        .unwrap()
}

/// Signs in and returns the `name=value` pair of the session cookie.
async fn signed_in(app: &Router, name: &str) -> String {
    let (status, headers, body) = send(app, sign_in_request(name, PASSWORD)).await;
    assert_eq!(status, StatusCode::OK, "sign-in as {name} failed: {body}");
    let set_cookie = headers
        .get(header::SET_COOKIE)
        .expect("a session cookie")
        .to_str()
        .unwrap();
    set_cookie.split(';').next().unwrap().to_string()
}

#[tokio::test]
async fn health_check_reports_version_database_and_index() {
    let install = Install::new().await;
    let app = install.app().await;
    let (status, _, body) = send(&app, get("/healthz", None)).await;
    assert_eq!(status, StatusCode::OK);
    let health: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(health["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(health["database"], true);
    assert_eq!(health["index_dir"], true);
}

#[tokio::test]
async fn health_check_fails_when_the_index_directory_is_gone() {
    let install = Install::new().await;
    let app = install.app().await;
    std::fs::remove_dir_all(install.config().index_dir()).unwrap();
    let (status, _, body) = send(&app, get("/healthz", None)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.contains("\"index_dir\":false"), "{body}");
}

#[tokio::test]
async fn pages_redirect_to_sign_in_and_come_back() {
    let install = Install::new().await;
    let app = install.app().await;
    for path in ["/", "/admin", &format!("/projects/{}", install.project_id)] {
        let (status, headers, _) = send(&app, get(path, None)).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{path}");
        let location = headers[header::LOCATION].to_str().unwrap();
        assert_eq!(location, format!("/login?next={path}"));
    }
    let (status, _, body) = send(&app, get("/login", None)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Sign in"));
}

#[tokio::test]
async fn signing_in_sets_a_protected_session_cookie() {
    let install = Install::new().await;
    let app = install.app().await;
    let (status, headers, _) = send(&app, sign_in_request("fiona", PASSWORD)).await;
    assert_eq!(status, StatusCode::OK);
    let cookie = headers[header::SET_COOKIE].to_str().unwrap();
    assert!(cookie.starts_with("sieve_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(
        cookie.contains("Max-Age="),
        "idle timeout missing: {cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "Secure is only for --secure-cookies: {cookie}"
    );
}

#[tokio::test]
async fn a_wrong_password_or_unknown_name_gets_the_same_refusal() {
    let install = Install::new().await;
    let app = install.app().await;
    let (wrong_status, wrong_headers, wrong_body) =
        send(&app, sign_in_request("fiona", "not the password")).await;
    let (unknown_status, _, unknown_body) = send(&app, sign_in_request("nobody", PASSWORD)).await;
    assert_eq!(wrong_status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown_status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong_body, unknown_body);
    assert!(wrong_body.contains("SignInFailed"), "{wrong_body}");
    assert!(
        wrong_headers.get(header::SET_COOKIE).is_none(),
        "a refused sign-in must not start a session"
    );
}

#[tokio::test]
async fn repeated_failures_lock_the_account_with_a_wait() {
    let install = Install::new().await;
    let app = install.app().await;
    for _ in 0..auth::FREE_ATTEMPTS {
        send(&app, sign_in_request("fiona", "not the password")).await;
    }
    let (status, _, body) = send(&app, sign_in_request("fiona", PASSWORD)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(body.contains("TooManyAttempts"), "{body}");
}

#[tokio::test]
async fn a_signed_in_member_sees_their_projects_and_project_page() {
    let install = Install::new().await;
    let app = install.app().await;
    let cookie = signed_in(&app, "fiona").await;
    let (status, _, body) = send(&app, get("/", Some(&cookie))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Pneumothorax"), "{body}");
    let (status, _, body) = send(
        &app,
        get(&format!("/projects/{}", install.project_id), Some(&cookie)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("IRB-2026-17"));
    assert!(body.contains("fellow"));
}

#[tokio::test]
async fn a_non_member_gets_404_for_a_project() {
    let install = Install::new().await;
    let app = install.app().await;
    let cookie = signed_in(&app, "otto").await;
    let (status, _, body) = send(
        &app,
        get(&format!("/projects/{}", install.project_id), Some(&cookie)),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        !body.contains("IRB-2026-17"),
        "the project leaked to a non-member"
    );
    let (_, _, body) = send(&app, get("/", Some(&cookie))).await;
    assert!(body.contains("No projects yet"), "{body}");
}

#[tokio::test]
async fn the_admin_page_is_refused_to_a_non_admin() {
    let install = Install::new().await;
    let app = install.app().await;
    let fellow = signed_in(&app, "fiona").await;
    let (status, _, body) = send(&app, get("/admin", Some(&fellow))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!body.contains("otto"), "the user list leaked");

    let admin = signed_in(&app, "ada").await;
    let (status, _, body) = send(&app, get("/admin", Some(&admin))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("otto") && body.contains("IRB-2026-17"),
        "{body}"
    );
}

#[tokio::test]
async fn sessions_survive_a_restart_and_end_at_sign_out() {
    let install = Install::new().await;
    let cookie = signed_in(&install.app().await, "fiona").await;
    let restarted = install.app().await;
    let (status, _, _) = send(&restarted, get("/", Some(&cookie))).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the session did not survive a restart"
    );

    let sign_out = Request::post("/api/sign_out")
        .header(header::HOST, "localhost")
        .header(header::ORIGIN, "http://localhost")
        .header(header::COOKIE, &cookie)
        .header(header::ACCEPT, "application/json")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::empty())
        .unwrap();
    send(&restarted, sign_out).await;
    let (status, _, _) = send(&restarted, get("/", Some(&cookie))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_disabled_user_loses_their_session() {
    let install = Install::new().await;
    let app = install.app().await;
    let cookie = signed_in(&app, "fiona").await;
    auth::disable_user(&install.pool, "fiona", None)
        .await
        .unwrap();
    let (status, _, _) = send(&app, get("/", Some(&cookie))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn responses_carry_security_headers() {
    let install = Install::new().await;
    let app = install.app().await;
    let (_, headers, _) = send(&app, get("/login", None)).await;
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    let policy = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(
        policy.contains("frame-ancestors 'none'") && policy.contains("'wasm-unsafe-eval'"),
        "{policy}"
    );
}

fn bearer(path: &str, token: &str) -> Request<Body> {
    Request::get(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap()
}

#[tokio::test]
async fn a_post_from_another_site_is_refused() {
    let install = Install::new().await;
    let app = install.app().await;
    let mut forged = sign_in_request("fiona", PASSWORD);
    forged
        .headers_mut()
        .insert(header::ORIGIN, "https://evil.example".parse().unwrap());
    let (status, headers, body) = send(&app, forged).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("cross-site request refused"), "{body}");
    assert!(headers.get(header::SET_COOKIE).is_none());

    let mut no_origin = sign_in_request("fiona", PASSWORD);
    no_origin.headers_mut().remove(header::ORIGIN);
    assert_eq!(send(&app, no_origin).await.0, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn pages_allow_only_their_own_nonced_inline_script() {
    let install = Install::new().await;
    let app = install.app().await;
    let (_, headers, body) = send(&app, get("/login", None)).await;
    let policy = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    let nonce = policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the policy");
    assert!(
        body.contains(&format!("nonce=\"{nonce}\"")),
        "the bootstrap script does not carry the policy's nonce"
    );
    let (_, headers, _) = send(&app, get("/healthz", None)).await;
    assert!(!headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .contains("nonce"));
}

#[tokio::test]
async fn an_api_token_works_until_revoked_and_only_where_it_is_scoped() {
    let install = Install::new().await;
    let app = install.app().await;
    let fiona = auth::find_user_by_name(&install.pool, "fiona")
        .await
        .unwrap();
    let stroke = projects::create(&install.pool, "Stroke", "IRB-9", None)
        .await
        .unwrap();
    projects::add_member(
        &install.pool,
        "Stroke",
        "fiona",
        ProjectRole::Scientist,
        None,
    )
    .await
    .unwrap();
    let now = sieve_core::now();
    let everywhere = sieve_core::tokens::create(&install.pool, &fiona, "all", None, 30, now)
        .await
        .unwrap();
    let scoped = sieve_core::tokens::create(
        &install.pool,
        &fiona,
        "ptx",
        Some(install.project_id),
        30,
        now,
    )
    .await
    .unwrap();

    let (status, _, body) = send(&app, bearer("/api/v1/me", &everywhere.secret)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("\"name\":\"fiona\""));
    let (_, _, body) = send(&app, bearer("/api/v1/projects", &everywhere.secret)).await;
    assert!(
        body.contains("Pneumothorax") && body.contains("Stroke"),
        "{body}"
    );

    let (_, _, body) = send(&app, bearer("/api/v1/projects", &scoped.secret)).await;
    assert!(
        body.contains("Pneumothorax") && !body.contains("Stroke"),
        "{body}"
    );
    let (status, _, _) = send(
        &app,
        bearer(&format!("/api/v1/projects/{}", stroke.id), &scoped.secret),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    sieve_core::tokens::revoke(&install.pool, &fiona, everywhere.token.id, now)
        .await
        .unwrap();
    let (status, _, body) = send(&app, bearer("/api/v1/me", &everywhere.secret)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("Authorization: Bearer"), "{body}");
    assert_eq!(
        send(&app, bearer("/api/v1/me", "sieve_0000")).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let install = Install::new().await;
    let app = install.app().await;
    let fiona = auth::find_user_by_name(&install.pool, "fiona")
        .await
        .unwrap();
    let long_ago = sieve_core::now() - 40 * 86_400;
    let old = sieve_core::tokens::create(&install.pool, &fiona, "old", None, 30, long_ago)
        .await
        .unwrap();
    assert_eq!(
        send(&app, bearer("/api/v1/me", &old.secret)).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn the_openapi_document_describes_the_api() {
    let install = Install::new().await;
    let app = install.app().await;
    let (status, _, body) = send(&app, get("/api/v1/openapi.json", None)).await;
    assert_eq!(status, StatusCode::OK);
    let document: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3."));
    assert!(document["paths"]["/api/v1/projects/{id}"]["get"].is_object());
    assert_eq!(
        document["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}

#[tokio::test]
async fn refusals_and_views_are_audited() {
    let install = Install::new().await;
    let app = install.app().await;
    let otto = signed_in(&app, "otto").await;
    send(
        &app,
        get(&format!("/projects/{}", install.project_id), Some(&otto)),
    )
    .await;
    let fiona = signed_in(&app, "fiona").await;
    send(
        &app,
        get(&format!("/projects/{}", install.project_id), Some(&fiona)),
    )
    .await;
    let events = sieve_core::audit::recent(&install.pool, 20).await.unwrap();
    let has = |actor: &str, action: &str| {
        events
            .iter()
            .any(|e| e.actor.as_deref() == Some(actor) && e.action == action)
    };
    assert!(has("otto", "access_denied"), "{events:?}");
    assert!(has("fiona", "project_viewed"), "{events:?}");
    assert!(has("fiona", "sign_in"), "{events:?}");
}

#[tokio::test]
async fn an_upload_with_the_session_cookie_from_another_site_is_refused() {
    let install = Install::new().await;
    let app = install.app().await;
    let cookie = signed_in(&app, "fiona").await;
    let forged = Request::post(format!(
        "/api/v1/projects/{}/imports?filename=x.jsonl",
        install.project_id
    ))
    .header(header::HOST, "localhost")
    .header(header::ORIGIN, "https://evil.example")
    .header(header::COOKIE, &cookie)
    .body(Body::from("{}"))
    .unwrap();
    let (status, _, _) = send(&app, forged).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let anonymous = Request::post(format!(
        "/api/v1/projects/{}/imports?filename=x.jsonl",
        install.project_id
    ))
    .body(Body::from("{}"))
    .unwrap();
    assert_eq!(send(&app, anonymous).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn after_the_protocol_expires_members_keep_the_project_page_but_not_its_reports() {
    let install = Install::new().await;
    let app = install.app().await;
    projects::set_irb_expiry(&install.pool, install.project_id, Some("2020-12-31"), None)
        .await
        .unwrap();
    let cookie = signed_in(&app, "fiona").await;
    let (status, _, body) = send(
        &app,
        get(&format!("/projects/{}", install.project_id), Some(&cookie)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("expired after 2020-12-31"),
        "the page should say why reports are gone"
    );
    let search = format!("/projects/{}/search?q=pneumothorax", install.project_id);
    assert_eq!(
        send(&app, get(&search, Some(&cookie))).await.0,
        StatusCode::FORBIDDEN
    );
    let api = format!("/api/v1/projects/{}/studies", install.project_id);
    let (status, _, body) = send(&app, get(&api, Some(&cookie))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("expired"), "{body}");
}

fn put_rules(
    project: i64,
    question: i64,
    filename: &str,
    cookie: &str,
    body: &str,
) -> Request<Body> {
    Request::put(format!(
        "/api/v1/projects/{project}/questions/{question}/rules?filename={filename}"
    ))
    .header(header::HOST, "localhost")
    .header(header::ORIGIN, "http://localhost")
    .header(header::COOKIE, cookie)
    .body(Body::from(body.to_string()))
    .unwrap()
}

#[tokio::test]
async fn rule_files_round_trip_and_an_invalid_file_changes_nothing() {
    let install = Install::new().await;
    let app = install.app().await;
    let labels = vec!["present".to_string(), "absent".to_string()];
    let question = sieve_core::questions::create(
        &install.pool,
        install.project_id,
        "Pneumothorax",
        &labels,
        None,
        None,
    )
    .await
    .unwrap();
    let cookie = signed_in(&app, "fiona").await;
    let yaml = "question: Pneumothorax\nrules:\n  - phrase: no pneumothorax\n    label: absent\n  - phrase: pneumothorax\n    label: present\n    negation: affirmed\n";
    let (status, _, body) = send(
        &app,
        put_rules(install.project_id, question.id, "p.yaml", &cookie, yaml),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body.contains("Imported 2 rules from p.yaml as version 1"),
        "{body}"
    );

    let bad = "phrase,label\nno pneumothorax,absent\nedema,maybe\neff*usion,present\n";
    let (status, _, body) = send(
        &app,
        put_rules(install.project_id, question.id, "bad.csv", &cookie, bad),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body.contains("bad.csv:3: label: unknown label \\\"maybe\\\""),
        "{body}"
    );
    assert!(body.contains("bad.csv:4: phrase:"), "{body}");
    let current = sieve_core::questions::rules(&install.pool, question.id, None)
        .await
        .unwrap();
    assert_eq!(current.version, 1, "the invalid file wrote no version");

    let path = format!(
        "/api/v1/projects/{}/questions/{}/rules?format=csv",
        install.project_id, question.id
    );
    let (status, headers, csv) = send(&app, get(&path, Some(&cookie))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .contains("pneumothorax-v1.csv"));
    assert_eq!(
        csv,
        "priority,phrase,label,negation,negated_label,uncertain_label,sections,enabled\n1,no pneumothorax,absent,any,,,,true\n2,pneumothorax,present,affirmed,,,,true\n"
    );
}

fn bearer_json(method: &str, path: &str, secret: &str, body: &str) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {secret}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

#[tokio::test]
async fn label_sets_export_download_and_refuse_a_file_changed_on_disk_over_the_api() {
    let install = Install::new().await;
    let config = install.config();
    let corpus: Vec<_> = sieve_core::corpus::generate(4, 200).collect();
    let pseudonymizer =
        sieve_core::pseudonym::Pseudonymizer::load_or_create(&config.data_dir).unwrap();
    sieve_core::reports::store_batch(&install.pool, install.project_id, &pseudonymizer, &corpus)
        .await
        .unwrap();
    std::fs::create_dir_all(config.index_dir()).unwrap();
    let state = router::state(install.pool.clone(), &config).unwrap();
    sieve_server::indexer::catch_up_all(&state).await;
    let sessions = router::sessions(&install.pool, &config).await.unwrap();
    let app = router::app(state, sessions);
    let labels = vec!["present".to_string(), "absent".to_string()];
    let question = sieve_core::questions::create(
        &install.pool,
        install.project_id,
        "Pneumothorax",
        &labels,
        None,
        None,
    )
    .await
    .unwrap();
    let rule = sieve_core::labeling::Rule {
        phrase: "pneumothorax".into(),
        label: "present".into(),
        negation: Default::default(),
        sections: vec![],
        enabled: true,
    };
    let add = sieve_core::questions::Change::Add { rule, at: None };
    sieve_core::questions::change(&install.pool, &question, &add, None)
        .await
        .unwrap();
    let fiona = auth::find_user_by_name(&install.pool, "fiona")
        .await
        .unwrap();
    let token = sieve_core::tokens::create(&install.pool, &fiona, "t", None, 30, sieve_core::now())
        .await
        .unwrap()
        .secret;
    let sets = format!("/api/v1/projects/{}/labelsets", install.project_id);

    // Bad requests name what is wrong and write nothing.
    let (status, _, body) = send(
        &app,
        bearer_json("POST", &sets, &token, r#"{"questions":[]}"#),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("pick at least one question"), "{body}");
    let (status, _, body) = send(
        &app,
        bearer_json("POST", &sets, &token, r#"{"questions":[1],"colour":"red"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("colour"), "{body}");

    let request = format!(r#"{{"questions":[{}],"seed":3}}"#, question.id);
    let (status, _, body) = send(&app, bearer_json("POST", &sets, &token, &request)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(body.contains("\"version\":1"), "{body}");

    let file = format!("{sets}/1/files/labels.csv");
    let (status, headers, csv) = send(&app, bearer(&file, &token)).await;
    assert_eq!(status, StatusCode::OK, "{csv}");
    assert_eq!(headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    assert!(headers[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .contains("labelset-v1-labels.csv"));
    let on_disk = sieve_core::label_sets::set_dir(&config.data_dir, install.project_id, 1);
    assert_eq!(
        csv,
        std::fs::read_to_string(on_disk.join("labels.csv")).unwrap()
    );
    let (status, _, _) = send(&app, bearer(&format!("{sets}/1/files/sieve.db"), &token)).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "only the label set's own files"
    );

    std::fs::write(
        on_disk.join("labels.csv"),
        csv.replacen("present", "absent", 1),
    )
    .unwrap();
    let (status, _, body) = send(&app, bearer(&file, &token)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body.contains("changed on disk"), "{body}");
}
