//! API tokens for scripts: created by their user, shown once, stored as a SHA-256 hash, limited
//! in time and optionally to one project, and revocable.

use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::SqlitePool;

use crate::access::Caller;
use crate::audit::{self, Action, NewEvent};
use crate::auth::User;
use crate::{projects, Error, Result};

/// What every secret starts with, so that leaked tokens are easy to recognise (and to scan for).
pub const PREFIX: &str = "sieve_";
/// The longest a token may live.
pub const MAX_DAYS: i64 = 365;

/// A token as listed to its owner (never with its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Token {
    pub id: i64,
    pub name: String,
    pub project_id: Option<i64>,
    pub project_name: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

impl Token {
    /// Whether the token can still be used at `now`.
    pub fn is_active(&self, now: i64) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }
}

/// A token just created: the only time its secret is known.
#[derive(Debug, Clone)]
pub struct CreatedToken {
    pub token: Token,
    pub secret: String,
}

fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Creates a token for `user`, valid `days` days from `now`, limited to `project_id` when given
/// (the user must be a member of it).
pub async fn create(
    pool: &SqlitePool,
    user: &User,
    name: &str,
    project_id: Option<i64>,
    days: i64,
    now: i64,
) -> Result<CreatedToken> {
    let name = name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(Error::Invalid(
            "name: give the token a name of 1 to 100 characters".into(),
        ));
    }
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(Error::Invalid(format!(
            "validity: choose 1 to {MAX_DAYS} days"
        )));
    }
    if let Some(project_id) = project_id {
        projects::membership(pool, project_id, user.id).await?;
    }
    let mut random = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut random);
    let secret = format!("{PREFIX}{}", hex::encode(random));
    let secret_hash = hash(&secret);
    let expires_at = now + days * 86_400;
    let mut transaction = pool.begin().await?;
    let id = sqlx::query_scalar!(
        "INSERT INTO api_tokens (user_id, project_id, name, secret_hash, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING id AS \"id!\"",
        user.id,
        project_id,
        name,
        secret_hash,
        now,
        expires_at
    )
    .fetch_one(&mut *transaction)
    .await?;
    let event = NewEvent {
        actor: Some(&user.name),
        project_id,
        object: Some(format!("token:{id}")),
        detail: Some(format!("{name}, {days} days")),
    };
    audit::record(&mut *transaction, Action::TokenCreated, event).await?;
    transaction.commit().await?;
    let token = list(pool, user.id)
        .await?
        .into_iter()
        .find(|token| token.id == id);
    let token = token.ok_or_else(|| Error::Internal("a created token vanished".into()))?;
    Ok(CreatedToken { token, secret })
}

/// Returns a user's tokens, newest first.
pub async fn list(pool: &SqlitePool, user_id: i64) -> Result<Vec<Token>> {
    let tokens = sqlx::query_as!(
        Token,
        r#"SELECT t.id AS "id!", t.name, t.project_id, p.name AS "project_name?", t.created_at, t.expires_at,
                  t.revoked_at, t.last_used_at
           FROM api_tokens t LEFT JOIN projects p ON p.id = t.project_id
           WHERE t.user_id = ? ORDER BY t.id DESC"#,
        user_id
    )
    .fetch_all(pool)
    .await?;
    Ok(tokens)
}

/// Revokes one of `user`'s tokens; anyone else's token is `NotFound`.
pub async fn revoke(pool: &SqlitePool, user: &User, token_id: i64, now: i64) -> Result<()> {
    let mut transaction = pool.begin().await?;
    let updated = sqlx::query!(
        "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL",
        now,
        token_id,
        user.id
    )
    .execute(&mut *transaction)
    .await?
    .rows_affected();
    if updated == 0 {
        return Err(Error::NotFound(format!("active token {token_id}")));
    }
    let event = NewEvent {
        actor: Some(&user.name),
        object: Some(format!("token:{token_id}")),
        ..NewEvent::default()
    };
    audit::record(&mut *transaction, Action::TokenRevoked, event).await?;
    transaction.commit().await?;
    Ok(())
}

/// Returns who a secret acts for, or `None` when it is unknown, expired, revoked (also by a change
/// of its user's password) or its user disabled.
pub async fn authenticate(
    pool: &SqlitePool,
    secret: &str,
    now: i64,
) -> Result<Option<(User, Caller)>> {
    if !secret.starts_with(PREFIX) {
        return Ok(None);
    }
    let secret_hash = hash(secret);
    let row = sqlx::query!(
        r#"SELECT t.id AS "id!", t.project_id, u.id AS "user_id!", u.name, u.is_admin, u.disabled,
                  u.session_epoch
           FROM api_tokens t JOIN users u ON u.id = t.user_id
           WHERE t.secret_hash = ? AND t.revoked_at IS NULL AND t.expires_at > ?"#,
        secret_hash,
        now
    )
    .fetch_optional(pool)
    .await?;
    let Some(row) = row.filter(|row| !row.disabled) else {
        return Ok(None);
    };
    sqlx::query!(
        "UPDATE api_tokens SET last_used_at = ? WHERE id = ?",
        now,
        row.id
    )
    .execute(pool)
    .await?;
    let user = User {
        id: row.user_id,
        name: row.name,
        is_admin: row.is_admin,
        disabled: false,
        session_epoch: row.session_epoch,
    };
    let caller = Caller {
        user_id: user.id,
        token_project: row.project_id,
    };
    Ok(Some((user, caller)))
}
