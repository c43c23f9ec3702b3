//! The authorisation matrix: every page, server function and REST endpoint, for every kind of
//! caller, answers exactly what the table says. The routes are enumerated from the application
//! itself, so a route added without a row in the table fails `every_route_has_a_row`.

mod common;

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use common::{sign_in_request, signed_in};
use sieve_core::auth::ProjectRole;
use sieve_core::projects;
use sieve_server::api;
use tower::ServiceExt;

/// The kinds of caller, in the order of the table's columns.
const CALLERS: [Caller; 6] = [
    Caller::Anonymous,
    Caller::Affiliate,
    Caller::Scientist,
    Caller::Fellow,
    Caller::Admin,
    Caller::Outsider,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    Anonymous,
    Affiliate,
    Scientist,
    Fellow,
    /// Site admin, not a member of the project.
    Admin,
    /// A fellow of another project.
    Outsider,
}

impl Caller {
    fn user(self) -> Option<&'static str> {
        match self {
            Caller::Anonymous => None,
            Caller::Affiliate => Some("affiliate"),
            Caller::Scientist => Some("scientist"),
            Caller::Fellow => Some("fellow"),
            Caller::Admin => Some("admin"),
            Caller::Outsider => Some("outsider"),
        }
    }
}

/// A file of one report, for the import routes (an empty file is refused).
const ONE_REPORT: &str = r#"{"accession":"AUTH-1","patient_id":"P1","study_date":"2024-01-02","report_text":"No effusion."}"#;

/// One route: how to call it, and the status each caller gets (columns in `CALLERS` order).
struct Row {
    method: Method,
    /// The route as the application declares it.
    route: &'static str,
    /// The path requested; `{project}` stands for the project's id.
    path: &'static str,
    /// Form body of a server function; `{project}` and `{caller}` are filled in.
    body: &'static str,
    expect: [u16; 6],
}

const fn page(route: &'static str, path: &'static str, expect: [u16; 6]) -> Row {
    Row {
        method: Method::GET,
        route,
        path,
        body: "",
        expect,
    }
}

const fn server_fn(route: &'static str, body: &'static str, expect: [u16; 6]) -> Row {
    Row {
        method: Method::POST,
        route,
        path: route,
        body,
        expect,
    }
}

const fn rest(route: &'static str, path: &'static str, expect: [u16; 6]) -> Row {
    Row {
        method: Method::GET,
        route,
        path,
        body: "",
        expect,
    }
}

//                                   anonymous affiliate scientist fellow admin outsider
const EVERYONE: [u16; 6] = [200, 200, 200, 200, 200, 200];
const SIGNED_IN_PAGE: [u16; 6] = [303, 200, 200, 200, 200, 200];
const MEMBER_PAGE: [u16; 6] = [303, 200, 200, 200, 404, 404];
const ADMIN_PAGE: [u16; 6] = [303, 403, 403, 403, 200, 403];
const SIGNED_IN_CALL: [u16; 6] = [401, 200, 200, 200, 200, 200];
const MEMBER_CALL: [u16; 6] = [401, 200, 200, 200, 404, 404];
const ADMIN_CALL: [u16; 6] = [401, 403, 403, 403, 200, 403];
const FELLOW_PAGE: [u16; 6] = [303, 403, 403, 200, 404, 404];
const ANNOTATOR_PAGE: [u16; 6] = [303, 200, 403, 200, 404, 404];
const ANNOTATOR_CALL: [u16; 6] = [401, 200, 403, 200, 404, 404];
const FELLOW_CALL: [u16; 6] = [401, 403, 403, 200, 404, 404];
const EXPORT_PAGE: [u16; 6] = [303, 403, 200, 200, 404, 404];
const EXPORT_CALL: [u16; 6] = [401, 403, 200, 200, 404, 404];
/// Exporters get through to a thing that does not exist.
const EXPORT_MISSING: [u16; 6] = [401, 403, 404, 404, 404, 404];
/// Exporters get through to a body that is not JSON.
const EXPORT_NOT_JSON: [u16; 6] = [401, 403, 400, 400, 404, 404];
const EXPORT_FORM: &str = "form[questions][0]={question}&form[soft_where_unconfirmed]=true&form[drop_uncertain]=false&form[seed]=1&form[train]=80&form[validation]=10&form[test]=10";
/// Fellows pass authorisation and are told the rule does not exist.
const FELLOW_MISSING: [u16; 6] = [401, 403, 403, 404, 404, 404];
const MODEL_MISSING_PAGE: [u16; 6] = [303, 403, 404, 404, 404, 404];
const EXPORT_INVALID: [u16; 6] = [401, 403, 422, 422, 404, 404];
/// Fellows pass authorisation and are told their input names nothing (a rule no longer in the
/// list, a mistyped accession): refused as the user's to fix, 422.
const FELLOW_STALE: [u16; 6] = [401, 403, 403, 422, 404, 404];
/// The rule form, filled in; `{caller}` keeps each caller's phrase apart.
const RULE: &str = "rule[phrase]=matrix+{caller}&rule[label]=present&rule[negation]=any&rule[negated]=&rule[uncertain]=&rule[sections]=&rule[enabled]=true";

const TABLE: &[Row] = &[
    // Pages.
    page("/login", "/login", EVERYONE),
    page("/", "/", SIGNED_IN_PAGE),
    page("/projects/{id}", "/projects/{project}", MEMBER_PAGE),
    page("/projects/{id}/search", "/projects/{project}/search?q=pneumothorax", MEMBER_PAGE),
    page("/projects/{id}/import", "/projects/{project}/import", MEMBER_PAGE),
    page("/projects/{id}/reports/{report}", "/projects/{project}/reports/{report}", MEMBER_PAGE),
    page("/projects/{id}/questions", "/projects/{project}/questions", FELLOW_PAGE),
    page("/projects/{id}/questions/{question}", "/projects/{project}/questions/{question}", FELLOW_PAGE),
    page("/projects/{id}/questions/{question}/review", "/projects/{project}/questions/{question}/review", FELLOW_PAGE),
    page("/projects/{id}/label/{question}", "/projects/{project}/label/{question}", ANNOTATOR_PAGE),
    page("/projects/{id}/questions/{question}/adjudicate", "/projects/{project}/questions/{question}/adjudicate", FELLOW_PAGE),
    page("/tokens", "/tokens", SIGNED_IN_PAGE),
    page("/admin", "/admin", ADMIN_PAGE),
    page("/admin/audit", "/admin/audit", ADMIN_PAGE),
    page("/admin/profiles", "/admin/profiles", ADMIN_PAGE),
    page("/projects/{id}/labelsets", "/projects/{project}/labelsets", EXPORT_PAGE),
    page("/projects/{id}/jobs", "/projects/{project}/jobs", EXPORT_PAGE),
    page("/projects/{id}/models", "/projects/{project}/models", EXPORT_PAGE),
    page("/projects/{id}/models/{model}", "/projects/{project}/models/999999", MODEL_MISSING_PAGE),
    page(
        "/admin/projects/{id}",
        "/admin/projects/{project}",
        ADMIN_PAGE,
    ),
    // Server functions.
    server_fn(
        "/api/sign_in",
        "name=nobody-{caller}&password=wrong+password",
        [401; 6],
    ),
    server_fn("/api/sign_out", "", EVERYONE),
    server_fn("/api/me", "", SIGNED_IN_CALL),
    server_fn("/api/my_projects", "", SIGNED_IN_CALL),
    server_fn("/api/project", "id={project}", MEMBER_CALL),
    server_fn("/api/search_reports", "project={project}&form[q]=pneumothorax&form[from]=&form[to]=&form[exam]=&form[modality]=&page=0", MEMBER_CALL),
    server_fn("/api/open_report", "project={project}&report={report}&form[q]=&form[from]=&form[to]=&form[exam]=&form[modality]=", MEMBER_CALL),
    server_fn("/api/filter_choices", "project={project}", MEMBER_CALL),
    server_fn("/api/cohorts", "project={project}", MEMBER_CALL),
    server_fn("/api/save_cohort", "project={project}&name=C+{caller}&form[q]=pneumothorax&form[from]=&form[to]=&form[exam]=&form[modality]=", [401, 403, 403, 200, 404, 404]),
    server_fn("/api/delete_cohort", "project={project}&id=999999", [401, 403, 403, 404, 404, 404]),
    server_fn("/api/questions", "project={project}", FELLOW_CALL),
    server_fn("/api/phrase_targets", "project={project}", MEMBER_CALL),
    server_fn("/api/create_question", "project={project}&name=Q+{caller}&labels=present,absent", FELLOW_CALL),
    server_fn("/api/save_text_settings", "project={project}&form[pre_negation]=no&form[post_negation]=&form[pre_uncertainty]=possible&form[post_uncertainty]=&form[pseudo]=&form[termination]=but&form[normal]=normal&form[section_headers]=IMPRESSION&form[loaded]=", FELLOW_CALL),
    server_fn("/api/cue_preset", "project={project}&preset=NegEx", FELLOW_CALL),
    server_fn("/api/reading_again", "project={project}", FELLOW_CALL),
    server_fn("/api/question_evaluation", "project={project}&question={question}&positive=", FELLOW_CALL),
    server_fn("/api/rule_board", "project={project}&question={question}", FELLOW_CALL),
    server_fn("/api/add_rule", "project={project}&question={question}&{rule}", FELLOW_CALL),
    server_fn("/api/edit_rule", "project={project}&question={question}&id=999999&{rule}&{was}", FELLOW_STALE),
    server_fn("/api/move_rule", "project={project}&question={question}&id=999999&to=0", FELLOW_STALE),
    server_fn("/api/delete_rule", "project={project}&question={question}&id=999999", FELLOW_STALE),
    server_fn("/api/restore_rule_version", "project={project}&question={question}&version=999999", FELLOW_MISSING),
    server_fn("/api/archive_question", "project={project}&id=999999", FELLOW_MISSING),
    server_fn("/api/restore_question", "project={project}&id=999999", FELLOW_MISSING),
    // Another phrase than add_rule's: a preview of a rule already in the list is refused as its add is.
    server_fn(
        "/api/preview_rule",
        "project={project}&question={question}&rule[phrase]=preview+{caller}&rule[label]=present&rule[negation]=any&rule[negated]=&rule[uncertain]=&rule[sections]=&rule[enabled]=true",
        FELLOW_CALL,
    ),
    server_fn("/api/rule_reports", "project={project}&question={question}&id=1&all=true&page=0", FELLOW_CALL),
    server_fn("/api/rule_versions", "project={project}&question={question}", FELLOW_CALL),
    server_fn("/api/compare_versions", "project={project}&question={question}&from=0&to=1", FELLOW_CALL),
    server_fn("/api/build_queue", "project={project}&question={question}&form[overlap_percent]=20&form[overlap_raters]=2&form[gold_percent]=10&form[claim_minutes]=10&form[labels]=", FELLOW_CALL),
    server_fn("/api/my_queues", "project={project}", MEMBER_CALL),
    server_fn("/api/queue_study", "project={project}&question={question}", ANNOTATOR_CALL),
    // Annotators answering or skipping a study they do not hold are told so, with the study they hold.
    server_fn("/api/answer_study", "project={project}&question={question}&report=999999&claim=1&label=present", ANNOTATOR_CALL),
    server_fn("/api/undo_answer", "project={project}&question={question}", ANNOTATOR_CALL),
    server_fn("/api/skip_study", "project={project}&question={question}&report=999999&claim=1", ANNOTATOR_CALL),
    server_fn("/api/queue_review", "project={project}&question={question}", FELLOW_CALL),
    server_fn("/api/set_gold", "project={project}&question={question}&accession=NO-SUCH-STUDY&label=present", FELLOW_STALE),
    server_fn("/api/dispute", "project={project}&question={question}&report={report}", FELLOW_CALL),
    server_fn("/api/adjudicate", "project={project}&question={question}&report=999999&label=present", FELLOW_MISSING),
    server_fn("/api/label_sets", "project={project}", EXPORT_CALL),
    server_fn("/api/preview_label_set", "project={project}&{export}", EXPORT_CALL),
    server_fn("/api/create_label_set", "project={project}&{export}", EXPORT_CALL),
    server_fn("/api/diff_label_sets", "project={project}&from=999999&to=1", EXPORT_MISSING),
    server_fn("/api/launch_choices", "project={project}", EXPORT_CALL),
    server_fn("/api/project_jobs", "project={project}", EXPORT_CALL),
    server_fn("/api/launch_jobs", "project={project}&label_set=999999&profile=1&args=", EXPORT_MISSING),
    server_fn("/api/job_log", "project={project}&job=999999", EXPORT_MISSING),
    server_fn("/api/cancel_job", "project={project}&job=999999", EXPORT_MISSING),
    server_fn("/api/project_models", "project={project}", EXPORT_CALL),
    server_fn("/api/project_alarms", "project={project}", MEMBER_CALL),
    server_fn("/api/register_model", "project={project}&name=matrix-{caller}&version=1&question=no-such-question&positive_label=&threshold=", EXPORT_INVALID),
    server_fn("/api/model_from_job", "project={project}&job=999999", EXPORT_MISSING),
    server_fn("/api/model_page", "project={project}&model=999999", EXPORT_MISSING),
    server_fn("/api/model_validation", "project={project}&model=999999&set=all&from=&sources=all", EXPORT_MISSING),
    server_fn("/api/model_over_time", "project={project}&model=999999&sources=all", EXPORT_MISSING),
    server_fn("/api/save_model_watching", "project={project}&model=999999&baseline_from=&baseline_to=&run_length=7&cusum_arl=1000&cusum_shift=5&webhook_url=&version=0", EXPORT_MISSING),
    server_fn("/api/queue_model_discordant", "project={project}&model=999999&set=all&from=&sources=all", EXPORT_MISSING),
    server_fn("/api/model_labeler", "project={project}&model=999999", EXPORT_MISSING),
    server_fn("/api/launch_profiles", "", ADMIN_CALL),
    server_fn("/api/save_launch_profile", "name=matrix-{caller}&backend=local&settings=command:+echo", ADMIN_CALL),
    server_fn("/api/archive_launch_profile", "id=999999", [401, 403, 403, 403, 404, 403]),
    server_fn("/api/tokens", "", SIGNED_IN_CALL),
    server_fn(
        "/api/create_token",
        "name=matrix&project=&days=30",
        SIGNED_IN_CALL,
    ),
    server_fn(
        "/api/revoke_token",
        "id=999999",
        [401, 404, 404, 404, 404, 404],
    ),
    server_fn("/api/admin_overview", "", ADMIN_CALL),
    server_fn(
        "/api/audit_events",
        "query[actor]=&query[action]=&query[project]=&page=0",
        ADMIN_CALL,
    ),
    server_fn("/api/audit_projects", "", ADMIN_CALL),
    server_fn("/api/admin_project", "id={project}", ADMIN_CALL),
    server_fn("/api/set_irb_expiry", "id={project}&last_day=", ADMIN_CALL),
    server_fn("/api/feed_settings", "project={project}", ADMIN_CALL),
    server_fn("/api/save_feed_filter", "project={project}&form[facilities]=", ADMIN_CALL),
    // A wrong confirmation: the admin passes authorisation and is told what to type; nothing closes.
    server_fn(
        "/api/close_project",
        "id={project}&confirmation=wrong",
        [401, 403, 403, 403, 422, 403],
    ),
    // Users and memberships: unknown names, so the admin passes authorisation and changes nothing.
    server_fn("/api/create_user", "name=matrix-{caller}", ADMIN_CALL),
    server_fn(
        "/api/reset_password",
        "name=ghost",
        [401, 403, 403, 403, 404, 403],
    ),
    server_fn(
        "/api/disable_user",
        "name=ghost",
        [401, 403, 403, 403, 404, 403],
    ),
    server_fn(
        "/api/create_project",
        "name=Matrix+{caller}&irb_protocol=M-1",
        ADMIN_CALL,
    ),
    server_fn(
        "/api/add_member",
        "id={project}&user=ghost&role=fellow&shown=",
        [401, 403, 403, 403, 404, 403],
    ),
    server_fn(
        "/api/remove_member",
        "id={project}&user=ghost",
        [401, 403, 403, 403, 404, 403],
    ),
    // REST API.
    rest("/api/v1/me", "/api/v1/me", SIGNED_IN_CALL),
    rest("/api/v1/projects", "/api/v1/projects", SIGNED_IN_CALL),
    rest(
        "/api/v1/projects/{id}",
        "/api/v1/projects/{project}",
        MEMBER_CALL,
    ),
    rest("/api/v1/projects/{id}/studies", "/api/v1/projects/{project}/studies?q=pneumothorax", MEMBER_CALL),
    rest("/api/v1/projects/{id}/studies/{study}", "/api/v1/projects/{project}/studies/{report}", MEMBER_CALL),
    // An empty upload: fellows import nothing successfully; no one else gets that far.
    Row {
        method: Method::POST,
        route: "/api/v1/projects/{id}/imports",
        path: "/api/v1/projects/{project}/imports?filename=one.jsonl",
        body: ONE_REPORT,
        expect: [401, 403, 403, 200, 404, 404],
    },
    // Questions and their labels study by study are the exporters', as on the label sets page;
    // the queue's progress and agreement are the fellow's, as on the dashboard.
    rest("/api/v1/projects/{id}/questions", "/api/v1/projects/{project}/questions", EXPORT_CALL),
    rest("/api/v1/projects/{id}/questions/{question}/labels", "/api/v1/projects/{project}/questions/{question}/labels?source=soft&per_page=5", EXPORT_CALL),
    rest("/api/v1/projects/{id}/questions/{question}/progress", "/api/v1/projects/{project}/questions/{question}/progress", FELLOW_CALL),
    // The rules are the fellow's, as on the rules page (and not after the protocol has ended).
    rest("/api/v1/projects/{id}/questions/{question}/rules", "/api/v1/projects/{project}/questions/{question}/rules?format=yaml", FELLOW_CALL),
    // A name without .csv or .yaml: fellows pass authorisation and are told what to send; no change.
    Row {
        method: Method::PUT,
        route: "/api/v1/projects/{id}/questions/{question}/rules",
        path: "/api/v1/projects/{project}/questions/{question}/rules?filename=rules.txt",
        body: "",
        expect: [401, 403, 403, 400, 404, 404],
    },
    rest("/api/v1/projects/{id}/labelsets", "/api/v1/projects/{project}/labelsets", EXPORT_CALL),
    Row {
        method: Method::POST,
        route: "/api/v1/projects/{id}/labelsets",
        path: "/api/v1/projects/{project}/labelsets",
        body: "questions=1",
        expect: EXPORT_NOT_JSON,
    },
    rest("/api/v1/projects/{id}/labelsets/{version}/files/{name}", "/api/v1/projects/{project}/labelsets/999999/files/labels.csv", EXPORT_MISSING),
    rest("/api/v1/projects/{id}/jobs", "/api/v1/projects/{project}/jobs", EXPORT_CALL),
    Row {
        method: Method::POST,
        route: "/api/v1/projects/{id}/jobs",
        path: "/api/v1/projects/{project}/jobs",
        body: "label_set=1",
        expect: EXPORT_NOT_JSON,
    },
    rest("/api/v1/projects/{id}/jobs/{job}", "/api/v1/projects/{project}/jobs/999999", EXPORT_MISSING),
    Row {
        method: Method::POST,
        route: "/api/v1/projects/{id}/jobs/{job}/cancel",
        path: "/api/v1/projects/{project}/jobs/999999/cancel",
        body: "",
        expect: EXPORT_MISSING,
    },
    rest("/api/v1/projects/{id}/models", "/api/v1/projects/{project}/models", EXPORT_CALL),
    Row {
        method: Method::POST,
        route: "/api/v1/projects/{id}/models",
        path: "/api/v1/projects/{project}/models",
        body: "name=matrix",
        expect: EXPORT_NOT_JSON,
    },
    rest("/api/v1/projects/{id}/models/{model}", "/api/v1/projects/{project}/models/999999", EXPORT_MISSING),
    Row {
        method: Method::POST,
        route: "/api/v1/projects/{id}/models/{model}/predictions",
        path: "/api/v1/projects/{project}/models/999999/predictions?filename=p.csv",
        body: "accession,label",
        expect: EXPORT_MISSING,
    },
    rest("/api/v1/projects/{id}/models/{model}/validation", "/api/v1/projects/{project}/models/999999/validation", EXPORT_MISSING),
    rest("/api/v1/openapi.json", "/api/v1/openapi.json", EVERYONE),
    rest("/healthz", "/healthz", EVERYONE),
];

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
    for caller in CALLERS {
        if let Some(name) = caller.user() {
            base.user(name, caller == Caller::Admin).await;
        }
    }
    let project_id = base.project().await;
    projects::create(&base.pool, "Stroke", "IRB-2", None)
        .await
        .unwrap();
    for (name, role) in [
        ("affiliate", ProjectRole::Affiliate),
        ("scientist", ProjectRole::Scientist),
        ("fellow", ProjectRole::Fellow),
    ] {
        projects::add_member(&base.pool, common::PROJECT, name, role, None)
            .await
            .unwrap();
    }
    projects::add_member(&base.pool, "Stroke", "outsider", ProjectRole::Fellow, None)
        .await
        .unwrap();
    base.reports(project_id, 3, 30).await;
    let report_id: i64 = sqlx::query_scalar("SELECT MIN(id) FROM reports")
        .fetch_one(&base.pool)
        .await
        .unwrap();
    let question = base.question(project_id).await;
    Install {
        app: base.app().await,
        base,
        project_id,
        report_id,
        question_id: question.id,
    }
}

fn post(path: &str, body: String, cookie: Option<&str>) -> Request<Body> {
    common::form(path, body, cookie)
}

/// Every route the application serves, as "METHOD path".
fn application_routes() -> BTreeSet<String> {
    let pages = leptos_axum::generate_route_list(sieve_app::App)
        .into_iter()
        .map(|listing| format!("GET {}", listing.path()));
    let server_fns =
        leptos::server_fn::axum::server_fn_paths().map(|(path, method)| format!("{method} {path}"));
    let (_, document) = api::routes();
    let rest = document
        .paths
        .paths
        .iter()
        .flat_map(|(path, item)| {
            let methods = [
                ("GET", item.get.is_some()),
                ("POST", item.post.is_some()),
                ("PUT", item.put.is_some()),
                ("DELETE", item.delete.is_some()),
            ];
            methods
                .into_iter()
                .filter(|(_, present)| *present)
                .map(move |(method, _)| format!("{method} {path}"))
        })
        .collect::<Vec<_>>();
    let infrastructure = [
        "GET /api/v1/openapi.json".to_string(),
        "GET /healthz".to_string(),
    ];
    pages
        .chain(server_fns)
        .chain(rest)
        .chain(infrastructure)
        .collect()
}

#[tokio::test]
async fn every_route_has_a_row() {
    let _install = install().await;
    let routes = application_routes();
    let rows: BTreeSet<String> = TABLE
        .iter()
        .map(|row| format!("{} {}", row.method, row.route))
        .collect();
    let missing: Vec<_> = routes.difference(&rows).collect();
    let stale: Vec<_> = rows.difference(&routes).collect();
    assert!(
        missing.is_empty(),
        "routes without a row in the authorisation table: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "rows for routes that do not exist: {stale:?}"
    );
}

#[tokio::test]
async fn every_caller_gets_exactly_what_the_table_allows() {
    let install = install().await;
    let mut mismatches = Vec::new();
    for row in TABLE {
        for (column, caller) in CALLERS.into_iter().enumerate() {
            // A fresh session per call: signing out must not spill into the next row.
            let cookie = match caller.user() {
                Some(name) => Some(signed_in(&install.app, name).await),
                None => None,
            };
            let project = install.project_id.to_string();
            let report = install.report_id.to_string();
            let question = install.question_id.to_string();
            let fill = |text: &str| {
                text.replace("{rule}", RULE)
                    .replace("{was}", &RULE.replace("rule[", "was["))
                    .replace("{export}", EXPORT_FORM)
                    .replace("{project}", &project)
                    .replace("{report}", &report)
                    .replace("{question}", &question)
                    .replace("{caller}", &format!("{caller:?}"))
            };
            let path = fill(row.path);
            let request = match row.method {
                Method::POST => post(&path, fill(row.body), cookie.as_deref()),
                Method::PUT => {
                    let mut request = Request::put(&path)
                        .header(header::HOST, "localhost")
                        .header(header::ORIGIN, "http://localhost");
                    if let Some(cookie) = &cookie {
                        request = request.header(header::COOKIE, cookie);
                    }
                    request.body(Body::from(fill(row.body))).unwrap()
                }
                _ => {
                    let mut request = Request::get(&path).header(header::ACCEPT, "text/html");
                    if let Some(cookie) = &cookie {
                        request = request.header(header::COOKIE, cookie);
                    }
                    request.body(Body::empty()).unwrap()
                }
            };
            // A request that never answers fails the test naming it (a run once stalled here
            // with every thread idle; which request it was is what to look at).
            let sent = install.app.clone().oneshot(request);
            let response = tokio::time::timeout(std::time::Duration::from_secs(120), sent)
                .await
                .unwrap_or_else(|_| {
                    panic!("{} {path} as {caller:?}: no answer in 120 s", row.method)
                })
                .unwrap();
            let status = response.status().as_u16();
            if status != row.expect[column] {
                let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
                    .await
                    .unwrap();
                let body: String = String::from_utf8_lossy(&body).chars().take(200).collect();
                mismatches.push(format!(
                    "{} {} as {caller:?}: {status}, expected {} ({body})",
                    row.method, row.path, row.expect[column]
                ));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

/// A change of someone's credentials or rights, made by the admin while that person is signed in on
/// two computers and holds an API token.
#[derive(Debug, Clone, Copy)]
enum Change {
    PasswordReset,
    Disabled,
    RoleChanged,
    RemovedFromProject,
}

/// What the changed person gets afterwards, from each of their sessions and their token: a fellow's
/// page, a fellow's server function, and a fellow's REST call (an empty import) with the session
/// cookie and with the token.
struct ChangeRow {
    change: Change,
    expect: [u16; 4],
}

/// Columns: page, server function, REST with the session, REST with the token.
const CHANGES: &[ChangeRow] = &[
    ChangeRow {
        change: Change::PasswordReset,
        expect: [303, 401, 401, 401],
    },
    ChangeRow {
        change: Change::Disabled,
        expect: [303, 401, 401, 401],
    },
    ChangeRow {
        change: Change::RoleChanged,
        expect: [403, 403, 403, 403],
    },
    ChangeRow {
        change: Change::RemovedFromProject,
        expect: [404, 404, 404, 404],
    },
];

/// Sends a server function's form as the holder of `cookie`, returning the status and the body.
async fn call(app: &Router, path: &str, body: String, cookie: &str) -> (u16, String) {
    let (status, _, body) = common::send(app, post(path, body, Some(cookie))).await;
    (status.as_u16(), body)
}

/// Signs in with a given password and returns the session cookie.
async fn sign_in_with(app: &Router, name: &str, password: &str) -> String {
    let (status, headers, body) = common::send(app, sign_in_request(name, password)).await;
    assert_eq!(status, StatusCode::OK, "sign-in as {name}: {body}");
    let cookie = headers[header::SET_COOKIE].to_str().unwrap();
    cookie.split(';').next().unwrap().to_string()
}

/// The four probes of `ChangeRow::expect`, for one session and one token.
async fn probe(app: &Router, project: i64, cookie: &str, token: &str) -> [u16; 4] {
    let page = Request::get(format!("/projects/{project}/questions"))
        .header(header::ACCEPT, "text/html")
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap();
    let server_fn = post("/api/questions", format!("project={project}"), Some(cookie));
    let import = format!("/api/v1/projects/{project}/imports?filename=one.jsonl");
    let rest_session = Request::post(&import)
        .header(header::HOST, "localhost")
        .header(header::ORIGIN, "http://localhost")
        .header(header::COOKIE, cookie)
        .body(Body::from(ONE_REPORT))
        .unwrap();
    let rest_token = Request::post(&import)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::from(ONE_REPORT))
        .unwrap();
    let mut statuses = [0; 4];
    for (status, request) in statuses
        .iter_mut()
        .zip([page, server_fn, rest_session, rest_token])
    {
        *status = app
            .clone()
            .oneshot(request)
            .await
            .unwrap()
            .status()
            .as_u16();
    }
    statuses
}

#[tokio::test]
async fn every_change_of_credentials_or_rights_takes_effect_on_the_next_request() {
    let install = install().await;
    let app = &install.app;
    let project = install.project_id;
    let admin = signed_in(app, "admin").await;
    let mut mismatches = Vec::new();
    for (number, row) in CHANGES.iter().enumerate() {
        let name = format!("changed{number}");
        let (status, created) = call(app, "/api/create_user", format!("name={name}"), &admin).await;
        assert_eq!(status, 200, "{created}");
        let created: serde_json::Value = serde_json::from_str(&created).unwrap();
        let password = created["password"].as_str().unwrap().to_string();
        let add = format!("id={project}&user={name}&role=fellow&shown=");
        assert_eq!(call(app, "/api/add_member", add, &admin).await.0, 200);
        let first = sign_in_with(app, &name, &password).await;
        let second = sign_in_with(app, &name, &password).await;
        let token_form = "name=script&project=&days=30".to_string();
        let (status, token) = call(app, "/api/create_token", token_form, &first).await;
        assert_eq!(status, 200, "{token}");
        let token: serde_json::Value = serde_json::from_str(&token).unwrap();
        let token = token["secret"].as_str().unwrap().to_string();
        assert_eq!(
            probe(app, project, &first, &token).await,
            [200; 4],
            "{:?}: before the change",
            row.change
        );

        let (path, form) = match row.change {
            Change::PasswordReset => ("/api/reset_password", format!("name={name}")),
            Change::Disabled => ("/api/disable_user", format!("name={name}")),
            Change::RoleChanged => (
                "/api/add_member",
                format!("id={project}&user={name}&role=affiliate&shown=fellow"),
            ),
            Change::RemovedFromProject => {
                ("/api/remove_member", format!("id={project}&user={name}"))
            }
        };
        let (status, body) = call(app, path, form, &admin).await;
        assert_eq!(status, 200, "{:?}: {body}", row.change);

        for (computer, cookie) in [("first", &first), ("second", &second)] {
            let got = probe(app, project, cookie, &token).await;
            if got != row.expect {
                mismatches.push(format!(
                    "{:?}, {computer} session: {got:?}, expected {:?}",
                    row.change, row.expect
                ));
            }
        }
        if let Change::PasswordReset = row.change {
            let new_password = serde_json::from_str::<serde_json::Value>(&body).unwrap()
                ["password"]
                .as_str()
                .unwrap()
                .to_string();
            let fresh = sign_in_with(app, &name, &new_password).await;
            let (status, _) =
                call(app, "/api/questions", format!("project={project}"), &fresh).await;
            assert_eq!(status, 200, "the new password opens a working session");
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/// Sends a JSON request to the REST API with a browser's session cookie (and its Origin).
fn rest_json(path: &str, body: String, cookie: Option<&str>) -> Request<Body> {
    let mut request = Request::post(path)
        .header(header::HOST, "localhost")
        .header(header::ORIGIN, "http://localhost")
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    request.body(Body::from(body)).unwrap()
}

/// The job-argument rows: launch arguments that would point a job at another project's label set
/// or write its output elsewhere. Each caller gets, through the jobs page's server function and
/// the REST API alike, exactly this status (in `CALLERS` order), and no job is ever started: those
/// who may launch are told the argument is Sieve's own (422), the rest are refused as usual.
const JOB_ARGUMENT_ATTACKS: [&str; 3] = [
    "--manifest /srv/sieve/labelsets/2/v1/manifest.json",
    "--alpha 0.5 --man=/srv/sieve/labelsets/2/v1/manifest.json",
    "--output /var/lib/anywhere",
];
const JOB_ARGUMENT_EXPECT: [u16; 6] = [401, 403, 422, 422, 404, 404];

#[tokio::test]
async fn no_caller_can_point_a_job_at_another_projects_label_set_or_output() {
    let install = install().await;
    let app = &install.app;
    let project = install.project_id;
    let scientist = signed_in(app, "scientist").await;
    let export = rest_json(
        &format!("/api/v1/projects/{project}/labelsets"),
        format!(r#"{{"questions":[{}],"seed":1}}"#, install.question_id),
        Some(&scientist),
    );
    let response = app.clone().oneshot(export).await.unwrap();
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "a label set to launch"
    );
    let backend = sieve_core::training::Backend::Local(sieve_core::training::local::Settings {
        command: "python3 /run/sieve/train/baseline.py".into(),
        confinement: Default::default(),
    });
    let profile = sieve_core::training::save_profile(&install.pool, "here", &backend, "admin")
        .await
        .unwrap();
    let mut mismatches = Vec::new();
    for caller in CALLERS {
        let cookie = match caller.user() {
            Some(name) => Some(signed_in(app, name).await),
            None => None,
        };
        for attack in JOB_ARGUMENT_ATTACKS {
            let form = format!(
                "project={project}&label_set=1&profile={}&args={}",
                profile.id,
                attack
                    .replace(' ', "+")
                    .replace('/', "%2F")
                    .replace('=', "%3D")
            );
            let runs: Vec<&str> = attack.split(' ').collect();
            let json = format!(
                r#"{{"label_set":1,"profile":{},"runs":[{}]}}"#,
                profile.id,
                serde_json::to_string(&runs).unwrap()
            );
            let requests = [
                ("page", post("/api/launch_jobs", form, cookie.as_deref())),
                (
                    "REST",
                    rest_json(
                        &format!("/api/v1/projects/{project}/jobs"),
                        json,
                        cookie.as_deref(),
                    ),
                ),
            ];
            for (through, request) in requests {
                let response = app.clone().oneshot(request).await.unwrap();
                let status = response.status().as_u16();
                let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
                    .await
                    .unwrap();
                let body = String::from_utf8_lossy(&body);
                let expected =
                    JOB_ARGUMENT_EXPECT[CALLERS.iter().position(|c| *c == caller).unwrap()];
                let explained = expected != 422 || body.contains("which Sieve sets itself");
                if status != expected || !explained {
                    mismatches.push(format!(
                        "{caller:?} through the {through} with {attack:?}: {status} (expected {expected}) {body}"
                    ));
                }
            }
        }
    }
    assert!(mismatches.is_empty(), "{mismatches:#?}");
    let jobs = sieve_core::training::jobs(&install.pool, project)
        .await
        .unwrap();
    assert!(jobs.is_empty(), "no job was started");
}
