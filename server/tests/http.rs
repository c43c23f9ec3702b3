//! The HTTP application end to end, through the real router, sessions and a real SQLite file:
//! sign-in, cookies, the sign-in guard and per-role pages.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use common::{get, send, sign_in_request, signed_in, PASSWORD};
use sieve_core::auth::ProjectRole;
use sieve_core::{auth, projects};
use sieve_server::config::Config;

/// The tests of this file run one at a time, each holding this while its install lives. Each test
/// renders pages on a tokio runtime of its own; two at once in one process were seen to leave a
/// server-rendered project page waiting for ever (3 runs in 40, on this commit and before it; none
/// in 25 runs one at a time). `sieve serve` has one runtime, and the walkthroughs and browser tests
/// never saw it; the cause inside the rendering is not found yet.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A fresh install: an admin, a fellow of "Pneumothorax", and an outsider who belongs to no project.
struct Install {
    _one_at_a_time: tokio::sync::MutexGuard<'static, ()>,
    base: common::Install,
    project_id: i64,
}

impl std::ops::Deref for Install {
    type Target = common::Install;

    fn deref(&self) -> &common::Install {
        &self.base
    }
}

impl Install {
    async fn new() -> Install {
        let one_at_a_time = ONE_AT_A_TIME.lock().await;
        let base = common::Install::new().await;
        base.user("ada", true).await;
        let project_id = base.project().await;
        base.member("fiona", ProjectRole::Fellow).await;
        base.user("otto", false).await;
        Install {
            _one_at_a_time: one_at_a_time,
            base,
            project_id,
        }
    }

    fn config(&self) -> Config {
        self.base.config("")
    }

    /// Builds the application with a configuration of the test's own.
    async fn app_with(&self, config: Config) -> Router {
        self.base.app_with(&config).await
    }
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
        body.contains("line 3: label: unknown label \\\"maybe\\\""),
        "{body}"
    );
    assert!(body.contains("line 4: phrase:"), "{body}");
    let current = sieve_core::questions::rules(&install.pool, question.id, None)
        .await
        .unwrap();
    assert_eq!(current.version, 1, "the invalid file wrote no version");

    // A file with no valid rule is refused with the reason, never saved as an empty rule set.
    for (garbage, reason) in [
        ("", "empty"),
        ("phrase,label\n", "no rules"),
        ("hello world\nnot a rules file\n", "hello world"),
    ] {
        let (status, _, body) = send(
            &app,
            put_rules(
                install.project_id,
                question.id,
                "garbage.csv",
                &cookie,
                garbage,
            ),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{garbage:?}: {body}"
        );
        assert!(body.contains(reason), "{garbage:?}: {body}");
    }
    // A preview says what the import would do and saves nothing.
    let three = "phrase,label\nno pneumothorax,absent\npneumothorax,present\ncollapse,present\n";
    let (status, _, body) = send(
        &app,
        put_rules(
            install.project_id,
            question.id,
            "p.csv&preview=true",
            &cookie,
            three,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body.contains("Replaces 2 rules with 3: 1 added, 0 removed, 1 changed, 1 unchanged."),
        "{body}"
    );
    let current = sieve_core::questions::rules(&install.pool, question.id, None)
        .await
        .unwrap();
    assert_eq!(current.version, 1, "garbage and a preview wrote no version");

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
    install.reports(install.project_id, 4, 200).await;
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
    let on_disk = sieve_core::label_sets::set_dir(install.dir.path(), install.project_id, 1);
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

    // A launch cannot point its job at another project's label set, or its output elsewhere.
    let backend = sieve_core::training::Backend::Local(sieve_core::training::local::Settings {
        command: "python3 /run/sieve/train/baseline.py".into(),
        confinement: Default::default(),
    });
    let profile = sieve_core::training::save_profile(&install.pool, "here", &backend, "admin")
        .await
        .unwrap();
    let other = install.dir.path().join("labelsets/2/v1/manifest.json");
    let jobs = format!("/api/v1/projects/{}/jobs", install.project_id);
    for attack in [
        format!(
            r#"[["--alpha","0.5"],["--manifest","{}"]]"#,
            other.display()
        ),
        r#"[["--output","/tmp/anywhere"]]"#.to_string(),
    ] {
        let request = format!(
            r#"{{"label_set":1,"profile":{},"runs":{attack}}}"#,
            profile.id
        );
        let (status, _, body) = send(&app, bearer_json("POST", &jobs, &token, &request)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body.contains("which Sieve sets itself"), "{body}");
    }
    let listed = sieve_core::training::jobs(&install.pool, install.project_id)
        .await
        .unwrap();
    assert!(listed.is_empty(), "nothing was launched");
}

/// Marks a request as coming from `address`, as `axum::serve` does for a real connection.
fn from_address(mut request: Request<Body>, address: &str) -> Request<Body> {
    let peer: std::net::SocketAddr = format!("{address}:50000").parse().unwrap();
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(peer));
    request
}

#[tokio::test]
async fn a_stranger_failing_from_another_computer_does_not_lock_the_user_out() {
    let install = Install::new().await;
    let app = install.app().await;
    let (colleague, stranger) = ("10.1.1.1", "10.6.6.6");
    for _ in 0..=auth::FREE_ATTEMPTS {
        let guess = from_address(sign_in_request("fiona", "not the password"), stranger);
        send(&app, guess).await;
    }
    let (status, _, body) = send(
        &app,
        from_address(sign_in_request("fiona", PASSWORD), stranger),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(body.contains("TooManyAttempts"), "{body}");
    let shown = sieve_app::error::AppError::TooManyAttempts("15 seconds".into()).to_string();
    assert_eq!(
        shown,
        "Too many failed sign-ins from this computer; try again in 15 seconds."
    );

    let (status, _, body) = send(
        &app,
        from_address(sign_in_request("fiona", PASSWORD), colleague),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the user at her own computer: {body}"
    );
}

#[tokio::test]
async fn one_computer_failing_across_many_names_is_slowed_and_others_are_not() {
    let install = Install::new().await;
    let app = install.app().await;
    let (sprayer, colleague) = ("10.6.6.6", "10.1.1.1");
    for attempt in 0..sieve_core::throttle::MAX_FAILURES {
        let guess = sign_in_request(&format!("guess{attempt}"), "not the password");
        assert_eq!(
            send(&app, from_address(guess, sprayer)).await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    let (status, _, body) = send(
        &app,
        from_address(sign_in_request("fiona", PASSWORD), sprayer),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    let (status, _, _) = send(
        &app,
        from_address(sign_in_request("fiona", PASSWORD), colleague),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_client_is_throttled_not_the_proxy() {
    let install = Install::new().await;
    let proxy = "10.0.0.2";
    let app = install
        .app_with(Config {
            trusted_proxies: vec![proxy.parse().unwrap()],
            ..install.config()
        })
        .await;
    let through_proxy = |password: &str, client: &str| {
        let mut request = from_address(sign_in_request("fiona", password), proxy);
        let forwarded = format!("203.0.113.9, {client}");
        request
            .headers_mut()
            .insert("x-forwarded-for", forwarded.parse().unwrap());
        request
    };
    for _ in 0..=auth::FREE_ATTEMPTS {
        send(&app, through_proxy("not the password", "10.6.6.6")).await;
    }
    assert_eq!(
        send(&app, through_proxy(PASSWORD, "10.6.6.6")).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        send(&app, through_proxy(PASSWORD, "10.1.1.1")).await.0,
        StatusCode::OK,
        "the proxy's other clients are not locked out"
    );
    // A client that is not the proxy cannot pick its address by sending the header itself.
    let mut spoofed = from_address(sign_in_request("fiona", PASSWORD), "10.6.6.6");
    spoofed
        .headers_mut()
        .insert("x-forwarded-for", "10.1.1.1".parse().unwrap());
    assert_eq!(send(&app, spoofed).await.0, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn sieve_user_passwd_lifts_a_lockout_and_ends_sessions_and_tokens() {
    let install = Install::new().await;
    let app = install.app().await;
    let session = signed_in(&app, "fiona").await;
    let fiona = auth::find_user_by_name(&install.pool, "fiona")
        .await
        .unwrap();
    let token =
        sieve_core::tokens::create(&install.pool, &fiona, "script", None, 30, sieve_core::now())
            .await
            .unwrap()
            .secret;
    for _ in 0..auth::FREE_ATTEMPTS {
        send(&app, sign_in_request("fiona", "not the password")).await;
    }
    assert_eq!(
        send(&app, sign_in_request("fiona", PASSWORD)).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );

    let new_password = "a brand new password";
    let mut passwd = std::process::Command::new(env!("CARGO_BIN_EXE_sieve"))
        .args(["user", "passwd", "fiona", "--password-stdin"])
        .env("SIEVE_DATA_DIR", install.dir.path())
        .env_remove("SIEVE_CONFIG")
        .current_dir(install.dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    writeln!(passwd.stdin.take().unwrap(), "{new_password}").unwrap();
    let output = passwd.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    assert_eq!(
        send(&app, get("/", Some(&session))).await.0,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        send(&app, bearer("/api/v1/me", &token)).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, _, body) = send(&app, sign_in_request("fiona", new_password)).await;
    assert_eq!(status, StatusCode::OK, "the lockout was lifted: {body}");
    let tokens = sieve_core::tokens::list(&install.pool, fiona.id)
        .await
        .unwrap();
    assert!(
        tokens.iter().all(|token| token.revoked_at.is_some()),
        "{tokens:?}"
    );
}

/// Sends a server function's form with a session cookie.
fn server_fn(path: &str, body: &str, cookie: &str) -> Request<Body> {
    let mut request = sign_in_request("", "");
    *request.uri_mut() = path.parse().unwrap();
    *request.body_mut() = Body::from(body.to_string());
    request
        .headers_mut()
        .insert(header::COOKIE, cookie.parse().unwrap());
    request
}

#[tokio::test]
async fn an_admin_resetting_their_own_password_keeps_this_session_and_ends_the_others() {
    let install = Install::new().await;
    let app = install.app().await;
    let here = signed_in(&app, "ada").await;
    let elsewhere = signed_in(&app, "ada").await;
    let (status, _, body) = send(&app, server_fn("/api/reset_password", "name=ada", &here)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        send(&app, get("/admin", Some(&here))).await.0,
        StatusCode::OK
    );
    assert_eq!(
        send(&app, get("/admin", Some(&elsewhere))).await.0,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn a_request_for_a_host_sieve_does_not_serve_is_refused() {
    let install = Install::new().await;
    let app = install.app().await;
    let for_host = |path: &str, host: &str| {
        let mut request = get(path, None);
        request
            .headers_mut()
            .insert(header::HOST, host.parse().unwrap());
        request
    };
    // A DNS-rebinding page at evil.example reaching Sieve on 127.0.0.1:3000.
    let (status, headers, body) = send(&app, for_host("/login", "evil.example:3000")).await;
    assert_eq!(status, StatusCode::MISDIRECTED_REQUEST, "{body}");
    assert!(headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let mut sign_in = sign_in_request("fiona", PASSWORD);
    sign_in
        .headers_mut()
        .insert(header::HOST, "evil.example".parse().unwrap());
    sign_in
        .headers_mut()
        .insert(header::ORIGIN, "http://evil.example".parse().unwrap());
    let (status, headers, _) = send(&app, sign_in).await;
    assert_eq!(status, StatusCode::MISDIRECTED_REQUEST);
    assert!(headers.get(header::SET_COOKIE).is_none());

    for host in ["127.0.0.1:3000", "localhost:3000", "[::1]:3000"] {
        assert_eq!(
            send(&app, for_host("/login", host)).await.0,
            StatusCode::OK,
            "{host}"
        );
    }
    // A proxy's health check may use whatever name it knows the server by.
    assert_eq!(
        send(&app, for_host("/healthz", "backend.internal:3000"))
            .await
            .0,
        StatusCode::OK
    );
    assert!(send(&app, get("/login", None))
        .await
        .1
        .get(header::STRICT_TRANSPORT_SECURITY)
        .is_none());
}

#[tokio::test]
async fn behind_tls_only_the_public_urls_origin_and_host_are_accepted() {
    let install = Install::new().await;
    let app = install
        .app_with(Config {
            public_url: Some("https://sieve.hospital.org".parse().unwrap()),
            ..install.config()
        })
        .await;
    let sign_in = |origin: &str, host: &str| {
        let mut request = sign_in_request("fiona", PASSWORD);
        request
            .headers_mut()
            .insert(header::HOST, host.parse().unwrap());
        request
            .headers_mut()
            .insert(header::ORIGIN, origin.parse().unwrap());
        request
    };
    let (status, _, body) = send(
        &app,
        sign_in("http://sieve.hospital.org", "sieve.hospital.org"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the scheme counts: {body}");
    let (status, _, _) = send(
        &app,
        sign_in("https://sieve.hospital.org:8443", "sieve.hospital.org"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the port counts");
    let (status, _, _) = send(&app, sign_in("https://evil.example", "evil.example")).await;
    assert_eq!(status, StatusCode::MISDIRECTED_REQUEST);

    let (status, headers, body) = send(
        &app,
        sign_in("https://sieve.hospital.org", "sieve.hospital.org"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let cookie = headers[header::SET_COOKIE].to_str().unwrap();
    assert!(
        cookie.contains("Secure"),
        "an https public URL implies Secure: {cookie}"
    );
    assert_eq!(
        headers[header::STRICT_TRANSPORT_SECURITY],
        "max-age=31536000"
    );
}

#[tokio::test]
async fn data_in_a_page_title_cannot_add_markup_to_the_page() {
    let install = Install::new().await;
    let app = install.app().await;
    let labels = vec!["present".to_string(), "absent".to_string()];
    let name =
        "Q</title><meta http-equiv=\"refresh\" content=\"0;url=http://evil.example/\"><title>";
    let question =
        sieve_core::questions::create(&install.pool, install.project_id, name, &labels, None, None)
            .await
            .unwrap();
    let cookie = signed_in(&app, "fiona").await;
    let path = format!("/projects/{}/questions/{}", install.project_id, question.id);
    let (status, _, body) = send(&app, get(&path, Some(&cookie))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        !body.contains("<meta http-equiv"),
        "markup from a name reached the page: {body}"
    );
    assert!(
        body.contains("<title>Q&lt;/title>"),
        "the name is shown, escaped: {body}"
    );
}
