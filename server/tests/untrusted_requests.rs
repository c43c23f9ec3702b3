//! Requests a hospital's security team would send, through the real router and a real SQLite file:
//! responses that carry PHI are never stored by a browser or proxy, requests that cannot be read
//! are refused 400 (or 401 before anything is read) with a plain message and never 500, and an
//! upload is refused on its type, its caller or its size before its body is read.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{header, Request, StatusCode};
use axum::Router;
use common::{form, request, send, signed_in};
use futures_util::StreamExt;
use sieve_app::error::AppError;
use sieve_core::auth::ProjectRole;

/// The upload limit of these installs, in MiB.
const MAX_UPLOAD_MB: u64 = 1;
const MIB: u64 = 1024 * 1024;

/// An install with reports, a question with a rule, a fellow (fiona), an affiliate (alex), an
/// outsider (otto) and the static bundle on disk.
struct Install {
    base: common::Install,
    app: Router,
    project_id: i64,
    report_id: i64,
    question_id: i64,
}

impl std::ops::Deref for Install {
    type Target = common::Install;

    fn deref(&self) -> &common::Install {
        &self.base
    }
}

async fn install() -> Install {
    let base = common::Install::new().await;
    base.user("otto", false).await;
    let project_id = base.project().await;
    base.member("fiona", ProjectRole::Fellow).await;
    base.member("alex", ProjectRole::Affiliate).await;
    base.reports(project_id, 4, 60).await;
    let report_id: i64 = sqlx::query_scalar("SELECT MIN(id) FROM reports")
        .fetch_one(&base.pool)
        .await
        .unwrap();
    let question = base.question(project_id).await;
    let config = base.config(&format!("max_upload_mb = {MAX_UPLOAD_MB}"));
    std::fs::create_dir_all(config.site_root.join("pkg")).unwrap();
    std::fs::write(config.site_root.join("pkg/sieve.js"), "export default 1;\n").unwrap();
    Install {
        app: base.app_with(&config).await,
        base,
        project_id,
        report_id,
        question_id: question.id,
    }
}

impl Install {
    fn uploads(&self) -> Vec<std::path::PathBuf> {
        match std::fs::read_dir(self.dir.path().join("uploads")) {
            Ok(entries) => entries.map(|entry| entry.unwrap().path()).collect(),
            Err(_) => Vec::new(),
        }
    }
}

#[track_caller]
fn assert_no_store(headers: &axum::http::HeaderMap, what: &str) {
    assert_eq!(
        headers
            .get(header::CACHE_CONTROL)
            .map(|v| v.to_str().unwrap()),
        Some("no-store"),
        "{what} may be cached"
    );
    assert!(
        headers.get(header::LAST_MODIFIED).is_none() && headers.get(header::ETAG).is_none(),
        "{what} carries a validator: {headers:?}"
    );
}

// ---- PHI is never cached ----

#[tokio::test]
async fn responses_that_carry_reports_labels_or_identifiers_are_never_stored() {
    let install = install().await;
    let app = &install.app;
    let cookie = signed_in(app, "fiona").await;
    let (project, report) = (install.project_id, install.report_id);

    let page = request(
        "GET",
        &format!("/projects/{project}/reports/{report}"),
        Some(&cookie),
    )
    .header(header::ACCEPT, "text/html")
    .body(Body::empty())
    .unwrap();
    let (status, headers, _) = send(app, page).await;
    assert_eq!(status, StatusCode::OK);
    assert_no_store(&headers, "a report page");

    let study = request(
        "GET",
        &format!("/api/v1/projects/{project}/studies/{report}"),
        Some(&cookie),
    )
    .body(Body::empty())
    .unwrap();
    let (status, headers, body) = send(app, study).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_no_store(&headers, "a study over REST");

    let open = format!("project={project}&report={report}&form[q]=&form[from]=&form[to]=&form[exam]=&form[modality]=");
    let (status, headers, body) = send(app, form("/api/open_report", open, Some(&cookie))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_no_store(&headers, "a server function's answer");

    let create = request(
        "POST",
        &format!("/api/v1/projects/{project}/labelsets"),
        Some(&cookie),
    )
    .header(header::CONTENT_TYPE, "application/json")
    .body(Body::from(format!(
        r#"{{"questions":[{}],"seed":3}}"#,
        install.question_id
    )))
    .unwrap();
    let (status, _, body) = send(app, create).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    for name in ["texts.jsonl", "labels.csv", "manifest.json"] {
        // A copy a browser kept would be revalidated with its date: there is none to give.
        let file = request(
            "GET",
            &format!("/api/v1/projects/{project}/labelsets/1/files/{name}"),
            Some(&cookie),
        )
        .header(header::IF_MODIFIED_SINCE, "Fri, 01 Jan 2100 00:00:00 GMT")
        .body(Body::empty())
        .unwrap();
        let (status, headers, body) = send(app, file).await;
        assert_eq!(status, StatusCode::OK, "{name}: {body}");
        assert!(!body.is_empty(), "{name} is served whole");
        assert_no_store(&headers, name);
    }

    let (status, headers, _) = send(
        app,
        request("GET", "/api/v1/projects/999999", Some(&cookie))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_no_store(&headers, "a refusal");
}

#[tokio::test]
async fn the_static_bundle_may_still_be_cached() {
    let install = install().await;
    let (status, headers, _) = send(
        &install.app,
        Request::get("/pkg/sieve.js").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let caching = headers[header::CACHE_CONTROL].to_str().unwrap();
    assert!(!caching.contains("no-store"), "{caching}");
    assert!(
        headers.contains_key(header::LAST_MODIFIED),
        "revalidated by date"
    );
}

// ---- Requests that cannot be read ----

/// Words of a deserializer's account that must not reach a caller.
const INTERNALS: [&str; 8] = [
    "deserializ",
    "expected",
    "invalid type",
    "i64",
    "struct",
    "String",
    "serde",
    "Option<",
];

#[track_caller]
fn assert_plain(body: &str, what: &str) {
    for word in INTERNALS {
        assert!(!body.contains(word), "{what} leaks {word:?}: {body}");
    }
}

/// Whether a server function's error answer says, in words a user reads, that the request could
/// not be read.
fn is_unreadable(body: &str) -> bool {
    serde_json::from_str::<AppError>(body).is_ok_and(|error| {
        matches!(error, AppError::Unreadable(_))
            && error
                .to_string()
                .starts_with("This request could not be read: ")
    })
}

/// Bodies no page sends: bytes that are not text, arguments of the wrong kind, and JSON.
fn garbage() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("application/x-www-form-urlencoded", vec![0xff, 0xfe, 0x00, 0x80]),
        (
            "application/x-www-form-urlencoded",
            b"project=abc&question=%zz&id=[[&report=-1e999&to=x&form[q][x]=1&rule[enabled]=maybe&page=-&name[]=1".to_vec(),
        ),
        ("application/json", br#"{"project": "x", "question": [1]}"#.to_vec()),
    ]
}

#[tokio::test]
async fn every_server_function_refuses_unreadable_arguments_with_400_or_401_and_never_500() {
    let install = install().await;
    let app = &install.app;
    let cookie = signed_in(app, "fiona").await;
    let mut paths: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_string())
        .collect();
    paths.sort();
    assert!(paths.len() > 20, "the server functions are enumerated");
    let mut failures = Vec::new();
    // Signing out ends the session the other calls use: it comes last.
    paths.sort_by_key(|path| path == "/api/sign_out");
    for path in &paths {
        let public = path == "/api/sign_in" || path == "/api/sign_out";
        for (who, cookie) in [("anonymous", None), ("fiona", Some(cookie.as_str()))] {
            for (index, (content_type, body)) in garbage().into_iter().enumerate() {
                let call = request("POST", path, cookie)
                    .header(header::CONTENT_TYPE, content_type)
                    .body(Body::from(body))
                    .unwrap();
                let (status, _, body) = send(app, call).await;
                let expected = match (who, index, public) {
                    // Nothing is read before the caller is known.
                    ("anonymous", _, false) => Some(StatusCode::UNAUTHORIZED),
                    // Bytes that are not text are read by no server function.
                    (_, 0, _) => Some(StatusCode::BAD_REQUEST),
                    _ => None,
                };
                let wrong = match expected {
                    Some(expected) => status != expected,
                    None => status.is_server_error(),
                };
                if wrong {
                    failures.push(format!("{path} as {who}, garbage {index}: {status} {body}"));
                }
                if status == StatusCode::BAD_REQUEST && !is_unreadable(&body) {
                    failures.push(format!(
                        "{path} as {who}, garbage {index}: 400 without a plain message: {body}"
                    ));
                }
                for word in INTERNALS {
                    if body.contains(word) {
                        failures.push(format!(
                            "{path} as {who}, garbage {index} leaks {word:?}: {body}"
                        ));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn a_missing_argument_is_named_in_plain_words() {
    let install = install().await;
    let cookie = signed_in(&install.app, "fiona").await;
    let (status, _, body) = send(
        &install.app,
        form("/api/open_report", "project=1", Some(&cookie)),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let error: AppError = serde_json::from_str(&body).unwrap();
    assert_eq!(
        error.to_string(),
        "This request could not be read: report is missing. Reload the page and try again."
    );
    assert_plain(&body, "a missing argument");
}

#[tokio::test]
async fn rest_requests_that_cannot_be_read_are_400_with_a_plain_message_after_authentication() {
    let install = install().await;
    let app = &install.app;
    let cookie = signed_in(app, "fiona").await;
    let project = install.project_id;
    let sets = format!("/api/v1/projects/{project}/labelsets");
    let jobs = format!("/api/v1/projects/{project}/jobs");
    let json = |path: &str, body: &'static str, cookie: Option<&str>| {
        request("POST", path, cookie)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .unwrap()
    };
    let get = |path: String, cookie: Option<&str>| {
        request("GET", &path, cookie).body(Body::empty()).unwrap()
    };
    let cases = |cookie: Option<&str>| {
        vec![
            json(&sets, r#"{"questions":"all"}"#, cookie),
            json(&sets, r#"{"questions":[1],"seed":"three"}"#, cookie),
            json(&sets, r#"{"seed":3}"#, cookie),
            json(&sets, r#"[1,2,3]"#, cookie),
            json(&sets, r#"{"questions":[1"#, cookie),
            json(&jobs, r#"{"label_set":"x","profile":{}}"#, cookie),
            request("POST", &sets, cookie)
                .body(Body::from("questions=1"))
                .unwrap(),
            get(
                format!("/api/v1/projects/{project}/studies?page=abc&per_page=-1"),
                cookie,
            ),
            get(
                format!("/api/v1/projects/{project}/imports?filename=x.csv"),
                cookie,
            ),
            get("/api/v1/projects/abc/studies".to_string(), cookie),
            get(format!("/api/v1/projects/{project}/studies/x%00y"), cookie),
        ]
    };
    for (index, call) in cases(None).into_iter().enumerate() {
        let (status, _, body) = send(app, call).await;
        assert!(
            status == StatusCode::UNAUTHORIZED || status == StatusCode::METHOD_NOT_ALLOWED,
            "case {index} as anonymous: {status} {body}"
        );
    }
    for (index, call) in cases(Some(&cookie)).into_iter().enumerate() {
        let (status, _, body) = send(app, call).await;
        assert!(!status.is_server_error(), "case {index}: {status} {body}");
        assert_plain(&body, &format!("case {index}"));
        if status == StatusCode::BAD_REQUEST {
            let error: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert!(error["error"].is_string(), "case {index}: {body}");
        }
    }
    let (status, _, body) = send(
        app,
        json(&sets, r#"{"questions":[1],"colour":"red"}"#, Some(&cookie)),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body.contains("This request could not be read: colour is not a field"),
        "{body}"
    );
    let (status, _, body) = send(
        app,
        json(&sets, r#"{"questions":[1],"seed":"three"}"#, Some(&cookie)),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("seed"), "the field is named: {body}");
}

// ---- Uploads ----

/// A body that counts the bytes read from it: `chunks` chunks of `size` bytes of JSON lines.
fn counted_body(chunks: usize, size: usize) -> (Body, Arc<AtomicU64>) {
    let read = Arc::new(AtomicU64::new(0));
    let counter = read.clone();
    let stream = futures_util::stream::iter(0..chunks).map(move |_| {
        counter.fetch_add(size as u64, Ordering::SeqCst);
        Ok::<_, std::io::Error>(Bytes::from(vec![b'\n'; size]))
    });
    (Body::from_stream(stream), read)
}

/// An upload as the import page sends it (the body still to be given).
fn upload(project: i64, query: &str, cookie: Option<&str>) -> axum::http::request::Builder {
    request(
        "POST",
        &format!("/api/v1/projects/{project}/imports?{query}"),
        cookie,
    )
    .header(header::CONTENT_TYPE, "application/octet-stream")
}

#[tokio::test]
async fn an_upload_refused_for_its_type_or_its_caller_is_refused_before_its_body_is_read() {
    let install = install().await;
    let app = &install.app;
    let project = install.project_id;
    let fiona = signed_in(app, "fiona").await;
    let alex = signed_in(app, "alex").await;
    let otto = signed_in(app, "otto").await;
    let cases: [(&str, Option<&str>, &str, StatusCode); 6] = [
        (
            "filename=scan.pdf",
            Some(&fiona),
            "application/octet-stream",
            StatusCode::BAD_REQUEST,
        ),
        (
            "filename=export&format=xlsx",
            Some(&fiona),
            "application/octet-stream",
            StatusCode::BAD_REQUEST,
        ),
        (
            "filename=export.csv",
            Some(&fiona),
            "multipart/form-data; boundary=x",
            StatusCode::BAD_REQUEST,
        ),
        (
            "filename=export.csv",
            None,
            "application/octet-stream",
            StatusCode::UNAUTHORIZED,
        ),
        (
            "filename=export.csv",
            Some(&alex),
            "application/octet-stream",
            StatusCode::FORBIDDEN,
        ),
        (
            "filename=export.csv",
            Some(&otto),
            "application/octet-stream",
            StatusCode::NOT_FOUND,
        ),
    ];
    for (query, cookie, content_type, expected) in cases {
        // 30 MiB that would be counted as it is read.
        let (body, read) = counted_body(480, 64 * 1024);
        let call = request(
            "POST",
            &format!("/api/v1/projects/{project}/imports?{query}"),
            cookie,
        )
        .header(header::CONTENT_TYPE, content_type)
        .body(body)
        .unwrap();
        let (status, _, text) = send(app, call).await;
        assert_eq!(status, expected, "{query} ({content_type}): {text}");
        assert_eq!(
            read.load(Ordering::SeqCst),
            0,
            "{query}: the body was read before refusing it"
        );
        assert_plain(&text, query);
    }
    assert!(install.uploads().is_empty(), "nothing is left in uploads/");
}

#[tokio::test]
async fn an_upload_declaring_more_than_the_limit_is_refused_at_once_with_413() {
    let install = install().await;
    let cookie = signed_in(&install.app, "fiona").await;
    let (body, read) = counted_body(64, 64 * 1024);
    let call = upload(install.project_id, "filename=export.jsonl", Some(&cookie))
        .header(
            header::CONTENT_LENGTH,
            (MAX_UPLOAD_MB * MIB + 1).to_string(),
        )
        .body(body)
        .unwrap();
    let (status, _, text) = send(&install.app, call).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{text}");
    assert!(
        text.contains("1 MiB") && text.contains("max_upload_mb"),
        "the limit is named: {text}"
    );
    assert_eq!(read.load(Ordering::SeqCst), 0, "the body was read");
}

#[tokio::test]
async fn a_streamed_upload_passing_the_limit_is_cut_off_with_413() {
    let install = install().await;
    let cookie = signed_in(&install.app, "fiona").await;
    let chunk = 64 * 1024;
    // 8 MiB, sent without a declared length.
    let (body, read) = counted_body(128, chunk);
    let call = upload(install.project_id, "filename=export.jsonl", Some(&cookie))
        .body(body)
        .unwrap();
    let (status, _, text) = send(&install.app, call).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{text}");
    assert!(text.contains("max_upload_mb"), "{text}");
    let read = read.load(Ordering::SeqCst);
    assert!(
        read <= MAX_UPLOAD_MB * MIB + chunk as u64,
        "read {read} bytes past the limit"
    );
    assert!(
        install.uploads().is_empty(),
        "the partial upload is removed"
    );
}

#[tokio::test]
async fn an_upload_within_the_limit_is_imported() {
    let install = install().await;
    let cookie = signed_in(&install.app, "fiona").await;
    let reports: String = sieve_core::corpus::generate(999, 5)
        .map(|report| serde_json::to_string(&report).unwrap() + "\n")
        .collect();
    let call = upload(install.project_id, "filename=export.jsonl", Some(&cookie))
        .header(header::CONTENT_LENGTH, reports.len().to_string())
        .body(Body::from(reports))
        .unwrap();
    let (status, _, text) = send(&install.app, call).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let summary: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        summary["new"].as_u64().unwrap()
            + summary["unchanged"].as_u64().unwrap()
            + summary["updated"].as_u64().unwrap(),
        5,
        "{text}"
    );
    assert!(
        install.uploads().is_empty(),
        "the upload is removed once imported"
    );
}
