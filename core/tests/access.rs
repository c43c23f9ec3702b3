//! Access control against a real SQLite file: authorisation per project, protocol expiry,
//! closing a project, API tokens and the audit log's search and export.

mod common;

use sieve_core::access::{authorize, Caller, Capability};
use sieve_core::auth::{self, ProjectRole, User};
use sieve_core::{audit, corpus, projects, reports, tokens, Error};
use tempfile::TempDir;

const TODAY: &str = "2026-06-01";

struct Fixture {
    dir: TempDir,
    pool: sqlx::SqlitePool,
    fellow: User,
    outsider: User,
    project: i64,
    other_project: i64,
}

async fn fixture() -> Fixture {
    let install = common::Install::new().await;
    let fellow = install.user("fiona", false).await;
    let outsider = install.user("otto", false).await;
    let project = install.project("Pneumothorax").await;
    let other_project = projects::create(&install.pool, "Stroke", "IRB-2", None)
        .await
        .unwrap()
        .id;
    let common::Install { dir, pool } = install;
    projects::add_member(&pool, "Pneumothorax", "fiona", ProjectRole::Fellow, None)
        .await
        .unwrap();
    projects::add_member(&pool, "Stroke", "fiona", ProjectRole::Affiliate, None)
        .await
        .unwrap();
    let corpus: Vec<_> = corpus::generate(5, 20).collect();
    reports::store_batch(
        &pool,
        project,
        &sieve_core::pseudonym::Pseudonymizer::with_key([7; 32]),
        &corpus,
    )
    .await
    .unwrap();
    Fixture {
        dir,
        pool,
        fellow,
        outsider,
        project,
        other_project,
    }
}

fn as_user(user: &User) -> Caller {
    Caller {
        user_id: user.id,
        token_project: None,
    }
}

#[tokio::test]
async fn non_members_cannot_tell_a_project_exists() {
    let f = fixture().await;
    let error = authorize(
        &f.pool,
        as_user(&f.outsider),
        f.project,
        Capability::ViewAggregates,
        TODAY,
    )
    .await
    .unwrap_err();
    assert!(matches!(error, Error::NotFound(_)));
    let missing = authorize(
        &f.pool,
        as_user(&f.outsider),
        9999,
        Capability::ViewAggregates,
        TODAY,
    )
    .await
    .unwrap_err();
    assert_eq!(
        error.to_string().replace(&f.project.to_string(), "N"),
        missing.to_string().replace("9999", "N")
    );
}

#[tokio::test]
async fn roles_are_per_project() {
    let f = fixture().await;
    assert!(authorize(
        &f.pool,
        as_user(&f.fellow),
        f.project,
        Capability::ManageRules,
        TODAY
    )
    .await
    .is_ok());
    let error = authorize(
        &f.pool,
        as_user(&f.fellow),
        f.other_project,
        Capability::ManageRules,
        TODAY,
    )
    .await
    .unwrap_err();
    assert!(matches!(error, Error::Forbidden(_)), "{error}");
    assert!(authorize(
        &f.pool,
        as_user(&f.fellow),
        f.other_project,
        Capability::Annotate,
        TODAY
    )
    .await
    .is_ok());
}

#[tokio::test]
async fn after_the_protocol_expires_only_aggregates_remain() {
    let f = fixture().await;
    projects::set_irb_expiry(&f.pool, f.project, Some("2026-05-31"), Some("admin"))
        .await
        .unwrap();
    let caller = as_user(&f.fellow);
    assert!(authorize(
        &f.pool,
        caller,
        f.project,
        Capability::ViewAggregates,
        TODAY
    )
    .await
    .is_ok());
    let error = authorize(&f.pool, caller, f.project, Capability::ReadReports, TODAY)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("expired"), "{error}");
    assert!(authorize(
        &f.pool,
        caller,
        f.project,
        Capability::ReadReports,
        "2026-05-31"
    )
    .await
    .is_ok());
    let bad = projects::set_irb_expiry(&f.pool, f.project, Some("31/05/2026"), None)
        .await
        .unwrap_err();
    assert!(bad.to_string().contains("YYYY-MM-DD"));
}

#[tokio::test]
async fn closing_needs_the_name_and_purges_reports_but_keeps_the_audit_log() {
    let f = fixture().await;
    let index_root = f.dir.path().join("index");
    let index = projects::index_dir(&index_root, f.project);
    std::fs::create_dir_all(&index).unwrap();
    std::fs::write(index.join("segment"), "x").unwrap();
    let events_before = audit::search(&f.pool, &audit::Filter::default(), 0, 1000)
        .await
        .unwrap()
        .total;

    let refused = projects::close(
        &f.pool,
        &index_root,
        f.project,
        "pneumothorax?",
        Some("admin"),
    )
    .await
    .unwrap_err();
    assert!(
        refused.to_string().contains("type the project's name"),
        "{refused}"
    );
    assert_eq!(reports::count(&f.pool, f.project).await.unwrap(), 20);

    let purged = projects::close(
        &f.pool,
        &index_root,
        f.project,
        "Pneumothorax",
        Some("admin"),
    )
    .await
    .unwrap();
    assert_eq!(purged, 20);
    assert_eq!(reports::count(&f.pool, f.project).await.unwrap(), 0);
    assert!(!index.exists());
    let events_after = audit::search(&f.pool, &audit::Filter::default(), 0, 1000)
        .await
        .unwrap()
        .total;
    assert_eq!(events_after, events_before + 1);
    let error = authorize(
        &f.pool,
        as_user(&f.fellow),
        f.project,
        Capability::ReadReports,
        TODAY,
    )
    .await
    .unwrap_err();
    assert!(error.to_string().contains("closed"));
}

#[tokio::test]
async fn a_token_acts_for_its_user_until_it_expires_or_is_revoked() {
    let f = fixture().await;
    let now = 1_000_000;
    let created = tokens::create(&f.pool, &f.fellow, "nightly export", None, 30, now)
        .await
        .unwrap();
    assert!(created.secret.starts_with("sieve_") && created.secret.len() > 60);
    let stored: Vec<String> = sqlx::query_scalar("SELECT secret_hash FROM api_tokens")
        .fetch_all(&f.pool)
        .await
        .unwrap();
    assert!(
        !stored.contains(&created.secret),
        "the secret must not be stored"
    );

    let (user, caller) = tokens::authenticate(&f.pool, &created.secret, now + 10)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.name, "fiona");
    assert_eq!(caller.token_project, None);
    assert!(
        tokens::authenticate(&f.pool, &created.secret, now + 31 * 86_400)
            .await
            .unwrap()
            .is_none(),
        "expired"
    );
    assert!(tokens::authenticate(&f.pool, "sieve_forged", now)
        .await
        .unwrap()
        .is_none());

    let outsider_revoke = tokens::revoke(&f.pool, &f.outsider, created.token.id, now)
        .await
        .unwrap_err();
    assert!(matches!(outsider_revoke, Error::NotFound(_)));
    tokens::revoke(&f.pool, &f.fellow, created.token.id, now + 20)
        .await
        .unwrap();
    assert!(
        tokens::authenticate(&f.pool, &created.secret, now + 30)
            .await
            .unwrap()
            .is_none(),
        "revoked"
    );
    let listed = tokens::list(&f.pool, f.fellow.id).await.unwrap();
    assert_eq!(listed[0].last_used_at, Some(now + 10));
    assert!(!listed[0].is_active(now + 30));
}

#[tokio::test]
async fn a_project_token_reaches_only_its_project() {
    let f = fixture().await;
    let created = tokens::create(&f.pool, &f.fellow, "ptx", Some(f.project), 7, 0)
        .await
        .unwrap();
    let (_, caller) = tokens::authenticate(&f.pool, &created.secret, 1)
        .await
        .unwrap()
        .unwrap();
    assert!(
        authorize(&f.pool, caller, f.project, Capability::ReadReports, TODAY)
            .await
            .is_ok()
    );
    let elsewhere = authorize(
        &f.pool,
        caller,
        f.other_project,
        Capability::Annotate,
        TODAY,
    )
    .await
    .unwrap_err();
    assert!(matches!(elsewhere, Error::NotFound(_)));
    let not_member = tokens::create(&f.pool, &f.outsider, "x", Some(f.project), 7, 0)
        .await
        .unwrap_err();
    assert!(matches!(not_member, Error::NotFound(_)));
    let too_long = tokens::create(&f.pool, &f.fellow, "x", None, 400, 0)
        .await
        .unwrap_err();
    assert!(too_long.to_string().contains("validity"));
}

#[tokio::test]
async fn the_audit_log_filters_pages_and_exports() {
    let f = fixture().await;
    for _ in 0..3 {
        auth::sign_in(&f.pool, "fiona", "wrong password!", Some("10.1.1.1"), 100)
            .await
            .unwrap();
    }
    let filter = audit::Filter {
        actor: Some("fiona".into()),
        action: Some("sign_in_failed".into()),
        ..Default::default()
    };
    let first = audit::search(&f.pool, &filter, 0, 2).await.unwrap();
    assert_eq!((first.total, first.events.len()), (3, 2));
    let second = audit::search(&f.pool, &filter, 1, 2).await.unwrap();
    assert_eq!(second.events.len(), 1);
    assert!(first.events[0].id > second.events[0].id, "newest first");
    // Part of a name, case aside; a day range (today's events only).
    let partly = audit::Filter {
        actor: Some("FIO".into()),
        action: Some("sign_in_failed".into()),
        ..Default::default()
    };
    assert_eq!(
        audit::search(&f.pool, &partly, 0, 50).await.unwrap().total,
        3
    );
    let today = time::OffsetDateTime::now_utc().date().to_string();
    let (since, until) = audit::day_range(&today, &today).unwrap();
    let dated = audit::Filter {
        since,
        until,
        ..partly.clone()
    };
    assert_eq!(
        audit::search(&f.pool, &dated, 0, 50).await.unwrap().total,
        3
    );
    let (since, until) = audit::day_range("2001-01-01", "2001-01-31").unwrap();
    let long_ago = audit::Filter {
        since,
        until,
        ..partly
    };
    assert_eq!(
        audit::search(&f.pool, &long_ago, 0, 50)
            .await
            .unwrap()
            .total,
        0
    );
    assert!(audit::day_range("2001-02-01", "2001-01-01")
        .unwrap_err()
        .to_string()
        .contains("reversed"));
    assert!(audit::day_range("yesterday", "").is_err());
    let by_project = audit::Filter {
        project_id: Some(f.other_project),
        ..Default::default()
    };
    assert!(audit::search(&f.pool, &by_project, 0, 50)
        .await
        .unwrap()
        .events
        .iter()
        .all(|e| e.project_id == Some(f.other_project)));

    let mut csv = Vec::new();
    let rows = audit::export_csv(&f.pool, 0, &mut csv).await.unwrap();
    let text = String::from_utf8(csv).unwrap();
    assert_eq!(text.lines().count() as u64, rows + 1);
    assert!(text.starts_with("id,time_utc,actor,action,project_id,project,object,detail\n"));
    assert!(text.contains("sign_in_failed"));
    let mut none = Vec::new();
    assert_eq!(
        audit::export_csv(&f.pool, i64::MAX, &mut none)
            .await
            .unwrap(),
        0
    );
}
