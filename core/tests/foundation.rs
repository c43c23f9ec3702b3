//! The foundation's rules, against a real SQLite file: accounts, lockout, memberships, the demo and the audit log.

mod common;

use sieve_core::auth::{self, ProjectRole, SignIn};
use sieve_core::{audit, db, demo, projects, reports, Error};
use tempfile::TempDir;

async fn fresh_database() -> (TempDir, sqlx::SqlitePool) {
    let install = common::Install::new().await;
    (install.dir, install.pool)
}

#[tokio::test]
async fn a_user_signs_in_with_the_right_password_only() {
    let (_dir, pool) = fresh_database().await;
    auth::create_user(&pool, "maria", "correct horse battery", false, None)
        .await
        .unwrap();

    let accepted = auth::sign_in(&pool, "maria", "correct horse battery", None, 1_000)
        .await
        .unwrap();
    assert!(matches!(accepted, SignIn::Accepted(user) if user.name == "maria"));
    let rejected = auth::sign_in(&pool, "maria", "wrong password!", None, 1_000)
        .await
        .unwrap();
    assert_eq!(rejected, SignIn::Rejected);
    let unknown = auth::sign_in(&pool, "nobody", "correct horse battery", None, 1_000)
        .await
        .unwrap();
    assert_eq!(unknown, SignIn::Rejected);
}

#[tokio::test]
async fn passwords_are_stored_as_argon2id_hashes() {
    let (_dir, pool) = fresh_database().await;
    auth::create_user(&pool, "maria", "correct horse battery", false, None)
        .await
        .unwrap();
    let stored: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE name = 'maria'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(
        stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{stored}"
    );
    assert!(!stored.contains("correct horse"));
}

#[tokio::test]
async fn repeated_failures_lock_the_name_with_growing_delays() {
    let (_dir, pool) = fresh_database().await;
    auth::create_user(&pool, "maria", "correct horse battery", false, None)
        .await
        .unwrap();
    let now = 10_000;
    for _ in 0..auth::FREE_ATTEMPTS {
        assert_eq!(
            auth::sign_in(&pool, "maria", "guess guess", None, now)
                .await
                .unwrap(),
            SignIn::Rejected
        );
    }
    // Locked now, even with the right password.
    let locked = auth::sign_in(&pool, "maria", "correct horse battery", None, now + 1)
        .await
        .unwrap();
    assert!(matches!(locked, SignIn::LockedOut { retry_after_seconds } if retry_after_seconds > 0));
    // After the lockout, the right password works and clears the count.
    let later = now + auth::MAX_LOCKOUT_SECONDS + 1;
    let accepted = auth::sign_in(&pool, "maria", "correct horse battery", None, later)
        .await
        .unwrap();
    assert!(matches!(accepted, SignIn::Accepted(_)));
    assert_eq!(
        auth::lockout_seconds(auth::FREE_ATTEMPTS),
        auth::FIRST_LOCKOUT_SECONDS
    );
    assert_eq!(
        auth::lockout_seconds(auth::FREE_ATTEMPTS + 1),
        2 * auth::FIRST_LOCKOUT_SECONDS
    );
    assert_eq!(auth::lockout_seconds(1_000), auth::MAX_LOCKOUT_SECONDS);
}

#[tokio::test]
async fn unknown_names_are_locked_like_real_ones() {
    let (_dir, pool) = fresh_database().await;
    for _ in 0..auth::FREE_ATTEMPTS {
        auth::sign_in(&pool, "ghost", "guess guess", None, 50)
            .await
            .unwrap();
    }
    let locked = auth::sign_in(&pool, "ghost", "guess guess", None, 51)
        .await
        .unwrap();
    assert!(matches!(locked, SignIn::LockedOut { .. }));
}

#[tokio::test]
async fn a_disabled_user_cannot_sign_in() {
    let (_dir, pool) = fresh_database().await;
    auth::create_user(&pool, "maria", "correct horse battery", false, None)
        .await
        .unwrap();
    // An admin cannot lock themselves out; another can disable them.
    let own = auth::disable_user(&pool, "maria", Some("maria"))
        .await
        .unwrap_err();
    assert!(
        own.to_string().contains("cannot disable their own account"),
        "{own}"
    );
    let outcome = auth::sign_in(&pool, "maria", "correct horse battery", None, 1)
        .await
        .unwrap();
    assert!(matches!(outcome, SignIn::Accepted(_)), "{outcome:?}");
    auth::disable_user(&pool, "maria", Some("admin"))
        .await
        .unwrap();
    let outcome = auth::sign_in(&pool, "maria", "correct horse battery", None, 1)
        .await
        .unwrap();
    assert_eq!(outcome, SignIn::Rejected);
}

#[tokio::test]
async fn weak_or_empty_passwords_and_odd_names_are_refused() {
    let (_dir, pool) = fresh_database().await;
    let empty = auth::create_user(&pool, "maria", "   ", false, None)
        .await
        .unwrap_err();
    assert_eq!(empty.to_string(), "the password is empty");
    assert!(matches!(
        auth::create_user(&pool, "maria", "short", false, None).await,
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        auth::create_user(&pool, "ma ria", "long enough password", false, None).await,
        Err(Error::Invalid(_))
    ));
    auth::create_user(&pool, "maria", "long enough password", false, None)
        .await
        .unwrap();
    let taken = auth::create_user(&pool, "MARIA", "long enough password", false, None)
        .await
        .unwrap_err();
    assert_eq!(taken.to_string(), "user \"MARIA\" already exists");
    assert_eq!(auth::list_users(&pool).await.unwrap().len(), 1);
}

#[tokio::test]
async fn members_see_their_projects_with_role_and_report_count() {
    let (_dir, pool) = fresh_database().await;
    let maria = auth::create_user(&pool, "maria", "long enough password", false, None)
        .await
        .unwrap();
    let other = auth::create_user(&pool, "other", "long enough password", false, None)
        .await
        .unwrap();
    let project = projects::create(&pool, "Pneumothorax", "IRB-1", None)
        .await
        .unwrap();
    projects::create(&pool, "Stroke", "IRB-2", None)
        .await
        .unwrap();
    projects::add_member(&pool, "Pneumothorax", "maria", ProjectRole::Fellow, None)
        .await
        .unwrap();
    let corpus: Vec<_> = sieve_core::corpus::generate(1, 25).collect();
    reports::store_batch(
        &pool,
        project.id,
        &sieve_core::pseudonym::Pseudonymizer::with_key([7; 32]),
        &corpus,
    )
    .await
    .unwrap();
    reports::store_batch(
        &pool,
        project.id,
        &sieve_core::pseudonym::Pseudonymizer::with_key([7; 32]),
        &corpus,
    )
    .await
    .unwrap();

    let memberships = projects::memberships_of(&pool, maria.id).await.unwrap();
    assert_eq!(memberships.len(), 1);
    assert_eq!(memberships[0].membership.role, ProjectRole::Fellow);
    assert_eq!(
        memberships[0].report_count, 25,
        "storing a batch twice must not duplicate it"
    );
    assert!(projects::memberships_of(&pool, other.id)
        .await
        .unwrap()
        .is_empty());
    let hidden = projects::membership(&pool, project.id, other.id)
        .await
        .unwrap_err();
    assert!(matches!(hidden, Error::NotFound(_)));
}

#[tokio::test]
async fn a_batch_with_one_bad_report_stores_nothing() {
    let (_dir, pool) = fresh_database().await;
    let project = projects::create(&pool, "P", "IRB-1", None).await.unwrap();
    let mut corpus: Vec<_> = sieve_core::corpus::generate(1, 10).collect();
    corpus[7].study_date = "31/12/2020".into();
    let error = reports::store_batch(
        &pool,
        project.id,
        &sieve_core::pseudonym::Pseudonymizer::with_key([7; 32]),
        &corpus,
    )
    .await
    .unwrap_err();
    assert!(error.to_string().contains("study_date"), "{error}");
    assert_eq!(reports::count(&pool, project.id).await.unwrap(), 0);
}

#[tokio::test]
async fn the_demo_is_created_once_and_its_passwords_work() {
    let (dir, pool) = fresh_database().await;
    let first = demo::ensure(&pool, dir.path()).await.unwrap();
    assert!(first.created);
    let second = demo::ensure(&pool, dir.path()).await.unwrap();
    assert!(!second.created);
    assert_eq!(first.credentials, second.credentials);

    let fellow = &first.credentials[1];
    let outcome = auth::sign_in(&pool, &fellow.user, &fellow.password, None, 1)
        .await
        .unwrap();
    let SignIn::Accepted(user) = outcome else {
        panic!("demo fellow cannot sign in")
    };
    // The fellow is in both demo projects: the labeling one and the deployed model's.
    let memberships = projects::memberships_of(&pool, user.id).await.unwrap();
    let count_of = |name: &str| {
        memberships
            .iter()
            .find(|m| m.membership.project.name == name)
            .map(|m| m.report_count)
    };
    assert_eq!(memberships.len(), 2);
    assert_eq!(
        count_of(demo::PROJECT_NAME),
        Some(demo::REPORT_COUNT as i64)
    );
    assert_eq!(count_of(demo::deployment::PROJECT_NAME), Some(14_600));
    assert_eq!(projects::overview(&pool).await.unwrap().len(), 2);
    // The deployed model was seeded with its predictions.
    let project = projects::find_by_name(&pool, demo::deployment::PROJECT_NAME)
        .await
        .unwrap();
    let models = sieve_core::models::list(&pool, project.id).await.unwrap();
    assert_eq!(models.len(), 1);
    assert_eq!(models[0].predictions, 14_600);
}

#[tokio::test]
async fn sign_in_attempts_are_audited_and_the_log_cannot_be_rewritten() {
    let (_dir, pool) = fresh_database().await;
    auth::create_user(&pool, "maria", "long enough password", false, None)
        .await
        .unwrap();
    auth::sign_in(&pool, "maria", "long enough password", Some("127.0.0.1"), 1)
        .await
        .unwrap();
    auth::sign_in(&pool, "maria", "wrong password!!", Some("127.0.0.1"), 1)
        .await
        .unwrap();
    let actions: Vec<_> = audit::recent(&pool, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, ["sign_in_failed", "sign_in", "user_created"]);

    let update = sqlx::query("UPDATE audit_events SET actor = 'someone else'")
        .execute(&pool)
        .await;
    assert!(update.unwrap_err().to_string().contains("append-only"));
    let delete = sqlx::query("DELETE FROM audit_events").execute(&pool).await;
    assert!(delete.is_err());
}

#[tokio::test]
async fn a_corrupt_database_file_gets_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sieve.db");
    std::fs::write(&path, vec![0x42u8; 8192]).unwrap();
    let error = db::open(&path).await.unwrap_err();
    assert!(error.to_string().contains("is not a database"), "{error}");
}

#[tokio::test]
async fn an_address_trying_many_names_is_slowed_down_and_others_are_not() {
    use sieve_core::throttle::{AddressThrottle, MAX_FAILURES};
    let (_dir, pool) = fresh_database().await;
    auth::create_user(&pool, "maria", "correct horse battery", false, None)
        .await
        .unwrap();
    let throttle = AddressThrottle::new();
    // A different name each time: the per-name lockout never triggers, the address one does.
    for attempt in 0..MAX_FAILURES {
        let name = format!("guess{attempt}");
        let outcome = auth::sign_in_from(&pool, &throttle, &name, "password!!", "10.9.9.9", 100)
            .await
            .unwrap();
        assert_eq!(outcome, SignIn::Rejected);
    }
    let blocked = auth::sign_in_from(
        &pool,
        &throttle,
        "maria",
        "correct horse battery",
        "10.9.9.9",
        101,
    )
    .await
    .unwrap();
    assert!(matches!(blocked, SignIn::LockedOut { .. }), "{blocked:?}");
    let elsewhere = auth::sign_in_from(
        &pool,
        &throttle,
        "maria",
        "correct horse battery",
        "10.1.1.1",
        101,
    )
    .await
    .unwrap();
    assert!(matches!(elsewhere, SignIn::Accepted(_)));
    let actions: Vec<_> = audit::recent(&pool, 3)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions[..2], ["sign_in", "sign_in_locked"]);
}

#[tokio::test]
async fn failures_lock_a_name_only_for_the_address_they_came_from() {
    let (_dir, pool) = fresh_database().await;
    auth::create_user(&pool, "maria", "correct horse battery", false, None)
        .await
        .unwrap();
    let (stranger, colleague) = (Some("10.6.6.6"), Some("10.1.1.1"));
    for _ in 0..auth::FREE_ATTEMPTS {
        let outcome = auth::sign_in(&pool, "maria", "guess guess", stranger, 100)
            .await
            .unwrap();
        assert_eq!(outcome, SignIn::Rejected);
    }
    let locked = auth::sign_in(&pool, "maria", "correct horse battery", stranger, 101)
        .await
        .unwrap();
    assert!(matches!(locked, SignIn::LockedOut { .. }), "{locked:?}");
    let accepted = auth::sign_in(&pool, "maria", "correct horse battery", colleague, 101)
        .await
        .unwrap();
    assert!(matches!(accepted, SignIn::Accepted(_)), "{accepted:?}");
}

#[tokio::test]
async fn a_new_password_lifts_the_lockout_from_every_address_and_moves_the_epoch() {
    let (_dir, pool) = fresh_database().await;
    let maria = auth::create_user(&pool, "maria", "correct horse battery", false, None)
        .await
        .unwrap();
    assert_eq!(maria.session_epoch, 0);
    for address in ["10.6.6.6", "10.7.7.7"] {
        for _ in 0..auth::FREE_ATTEMPTS {
            auth::sign_in(&pool, "maria", "guess guess", Some(address), 100)
                .await
                .unwrap();
        }
    }
    let epoch = auth::set_password(&pool, "maria", "a brand new password", None)
        .await
        .unwrap();
    assert_eq!(epoch, 1);
    for address in ["10.6.6.6", "10.7.7.7"] {
        let outcome = auth::sign_in(&pool, "maria", "a brand new password", Some(address), 101)
            .await
            .unwrap();
        assert!(
            matches!(outcome, SignIn::Accepted(ref user) if user.session_epoch == 1),
            "{outcome:?}"
        );
    }
}

#[tokio::test]
async fn adding_an_existing_member_is_a_role_change_and_a_stale_page_changes_nothing() {
    let (_dir, pool) = fresh_database().await;
    auth::create_user(&pool, "maria", "long enough password", false, None)
        .await
        .unwrap();
    let project = projects::create(&pool, "Pneumothorax", "IRB-1", None)
        .await
        .unwrap();
    let add = |role, shown| {
        projects::set_member_role(&pool, "Pneumothorax", "maria", role, shown, Some("admin"))
    };
    assert_eq!(
        add(ProjectRole::Affiliate, None).await.unwrap(),
        projects::MemberChange::Added
    );
    // A second page that still shows maria as no member refuses, naming her role now.
    let stale = add(ProjectRole::Fellow, None).await.unwrap_err();
    assert!(matches!(stale, Error::Invalid(_)), "{stale:?}");
    assert!(
        stale
            .to_string()
            .contains("maria has the role affiliate in Pneumothorax"),
        "{stale}"
    );
    let role = |members: Vec<projects::Member>| members[0].role;
    assert_eq!(
        role(projects::members(&pool, project.id).await.unwrap()),
        ProjectRole::Affiliate
    );
    assert_eq!(
        add(ProjectRole::Fellow, Some(ProjectRole::Affiliate))
            .await
            .unwrap(),
        projects::MemberChange::RoleChanged {
            was: ProjectRole::Affiliate
        }
    );
    assert_eq!(
        add(ProjectRole::Fellow, Some(ProjectRole::Fellow))
            .await
            .unwrap(),
        projects::MemberChange::Unchanged
    );
    let events: Vec<_> = audit::recent(&pool, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.action, e.detail.unwrap_or_default()))
        .collect();
    assert_eq!(
        &events[..2],
        [
            (
                "member_role_changed".to_string(),
                "role affiliate → fellow".to_string()
            ),
            ("member_added".to_string(), "role affiliate".to_string()),
        ]
    );
}
