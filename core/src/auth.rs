//! People and what they may do: user accounts, argon2id passwords, sign-in with lockout,
//! and the per-project roles that every authorisation decision rests on.

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;

use crate::audit::{self, Action, NewEvent};
use crate::error::is_unique_violation;
use crate::throttle::AddressThrottle;
use crate::{Error, Result};

/// Failed sign-ins allowed for one name from one client before each further failure locks the name
/// for that client for a while.
pub const FREE_ATTEMPTS: i64 = 5;
/// The first lockout, doubled at each further failure.
pub const FIRST_LOCKOUT_SECONDS: i64 = 15;
/// The longest lockout.
pub const MAX_LOCKOUT_SECONDS: i64 = 15 * 60;
/// The shortest password accepted (NIST SP 800-63B asks for at least 8).
pub const MIN_PASSWORD_CHARS: usize = 10;

/// A person who can sign in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub is_admin: bool,
    pub disabled: bool,
    /// Moves on at every change of credentials; a session opened at an older epoch is refused.
    pub session_epoch: i64,
}

/// What a member may do inside one project. Site administration is separate (`User::is_admin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProjectRole {
    Fellow,
    Affiliate,
    Scientist,
}

impl ProjectRole {
    pub const ALL: [ProjectRole; 3] = [
        ProjectRole::Fellow,
        ProjectRole::Affiliate,
        ProjectRole::Scientist,
    ];

    /// Returns the name stored in the database and typed on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            ProjectRole::Fellow => "fellow",
            ProjectRole::Affiliate => "affiliate",
            ProjectRole::Scientist => "scientist",
        }
    }
}

impl fmt::Display for ProjectRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ProjectRole {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        ProjectRole::ALL
            .into_iter()
            .find(|role| role.as_str() == text)
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "unknown role {text:?}: use fellow, affiliate or scientist"
                ))
            })
    }
}

/// The outcome of a sign-in attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignIn {
    Accepted(User),
    /// Wrong name or password, or a disabled account: the caller shows one generic message for all.
    Rejected,
    /// Too many recent failures from this client (for this name, or for any names); try again after
    /// this many seconds.
    LockedOut {
        retry_after_seconds: i64,
    },
}

/// Returns a password of 16 letters and digits in groups of four, without look-alike characters.
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY346789";
    use rand::distributions::{Distribution, Uniform};
    let mut rng = rand::rngs::OsRng;
    let letter = Uniform::from(0..ALPHABET.len());
    (0..4)
        .map(|_| {
            (0..4)
                .map(|_| ALPHABET[letter.sample(&mut rng)] as char)
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// Checks that a user name is short and plain enough to type and to show in the audit log.
pub fn validate_user_name(name: &str) -> Result<()> {
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if name.is_empty() || name.len() > 64 || !name.chars().all(plain) {
        return Err(Error::Invalid(format!(
            "user name {name:?} is not valid: use 1 to 64 letters, digits, '.', '_' or '-'"
        )));
    }
    Ok(())
}

/// Checks a new password against the site's policy.
pub fn validate_password(password: &str) -> Result<()> {
    if password.trim().is_empty() {
        return Err(Error::Invalid("the password is empty".into()));
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Error::Invalid(format!(
            "the password is too short: use at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    Ok(())
}

/// Hashes a password with argon2id and the OWASP parameters (19 MiB, 2 passes, 1 lane),
/// which are the argon2 crate's defaults. CPU-heavy: call from a blocking thread.
pub fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| Error::Internal(format!("password hashing failed: {error}")))
}

/// Checks a password against a stored PHC string. CPU-heavy: call from a blocking thread.
pub fn verify_password(stored_hash: &str, password: &str) -> bool {
    PasswordHash::new(stored_hash)
        .map(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash checked when the name is unknown, so that a wrong name takes as long as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password, never valid").unwrap_or_default())
}

async fn hash_off_runtime(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|error| Error::Internal(error.to_string()))?
}

/// Creates a user. Fails with `AlreadyExists` when the name is taken (names ignore case).
pub async fn create_user(
    pool: &SqlitePool,
    name: &str,
    password: &str,
    is_admin: bool,
    actor: Option<&str>,
) -> Result<User> {
    validate_user_name(name)?;
    validate_password(password)?;
    let password_hash = hash_off_runtime(password.to_owned()).await?;
    let mut transaction = pool.begin().await?;
    let id = sqlx::query_scalar!(
        "INSERT INTO users (name, password_hash, is_admin) VALUES (?, ?, ?) RETURNING id",
        name,
        password_hash,
        is_admin
    )
    .fetch_one(&mut *transaction)
    .await
    .map_err(|error| match is_unique_violation(&error) {
        true => Error::AlreadyExists(format!("user {name:?}")),
        false => error.into(),
    })?;
    let detail = is_admin.then(|| "admin".to_string());
    let event = NewEvent {
        actor,
        object: Some(format!("user:{name}")),
        detail,
        ..NewEvent::default()
    };
    audit::record(&mut *transaction, Action::UserCreated, event).await?;
    transaction.commit().await?;
    Ok(User {
        id,
        name: name.to_owned(),
        is_admin,
        disabled: false,
        session_epoch: 0,
    })
}

/// Replaces a user's password, lifts any lockout on the name, and ends what the old password
/// opened: the user's sessions (their epoch moves on, see `User::session_epoch`) and API tokens
/// (revoked). Returns the new epoch, so that the session of a user changing their own password
/// can be kept.
pub async fn set_password(
    pool: &SqlitePool,
    name: &str,
    password: &str,
    actor: Option<&str>,
) -> Result<i64> {
    validate_password(password)?;
    let user = find_user_by_name(pool, name).await?;
    let password_hash = hash_off_runtime(password.to_owned()).await?;
    let mut transaction = pool.begin().await?;
    let epoch = sqlx::query_scalar!(
        "UPDATE users SET password_hash = ?, session_epoch = session_epoch + 1 WHERE id = ?
         RETURNING session_epoch",
        password_hash,
        user.id
    )
    .fetch_one(&mut *transaction)
    .await?;
    let revoked = revoke_tokens(&mut transaction, user.id).await?;
    sqlx::query!("DELETE FROM sign_in_failures WHERE user_name = ?", name)
        .execute(&mut *transaction)
        .await?;
    let event = NewEvent {
        actor,
        object: Some(format!("user:{}", user.name)),
        detail: (revoked > 0).then(|| format!("{revoked} API tokens revoked")),
        ..NewEvent::default()
    };
    audit::record(&mut *transaction, Action::PasswordChanged, event).await?;
    transaction.commit().await?;
    Ok(epoch)
}

/// Revokes every active API token of a user, returning how many there were.
async fn revoke_tokens(
    transaction: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    user_id: i64,
) -> Result<u64> {
    let now = crate::now();
    let revoked = sqlx::query!(
        "UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
        now,
        user_id
    )
    .execute(&mut **transaction)
    .await?
    .rows_affected();
    Ok(revoked)
}

/// Disables a user: they can no longer sign in, and their open sessions and tokens stop working
/// (for good: their epoch moves on too, should the account ever be enabled again). An admin
/// disabling their own account (`actor` is the user) is refused (`Invalid`): they would lock
/// themselves out.
pub async fn disable_user(pool: &SqlitePool, name: &str, actor: Option<&str>) -> Result<()> {
    let user = find_user_by_name(pool, name).await?;
    if actor == Some(user.name.as_str()) {
        return Err(Error::Invalid(format!(
            "{} is you: an admin cannot disable their own account (another admin can, or `sieve user disable` on the server)",
            user.name
        )));
    }
    let mut transaction = pool.begin().await?;
    sqlx::query!(
        "UPDATE users SET disabled = TRUE, session_epoch = session_epoch + 1 WHERE id = ?",
        user.id
    )
    .execute(&mut *transaction)
    .await?;
    let event = NewEvent {
        actor,
        object: Some(format!("user:{}", user.name)),
        ..NewEvent::default()
    };
    audit::record(&mut *transaction, Action::UserDisabled, event).await?;
    transaction.commit().await?;
    Ok(())
}

/// Returns the user with this id, if any.
pub async fn find_user(pool: &SqlitePool, id: i64) -> Result<Option<User>> {
    let user = sqlx::query_as!(
        User,
        "SELECT id AS \"id!\", name, is_admin, disabled, session_epoch FROM users WHERE id = ?",
        id
    )
    .fetch_optional(pool)
    .await?;
    Ok(user)
}

/// Returns the user with this name (ignoring case), or `NotFound`.
pub async fn find_user_by_name(pool: &SqlitePool, name: &str) -> Result<User> {
    sqlx::query_as!(
        User,
        "SELECT id AS \"id!\", name, is_admin, disabled, session_epoch FROM users WHERE name = ?",
        name
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| Error::NotFound(format!("user {name:?}")))
}

/// Returns every user, by name.
pub async fn list_users(pool: &SqlitePool) -> Result<Vec<User>> {
    let users = sqlx::query_as!(
        User,
        "SELECT id AS \"id!\", name, is_admin, disabled, session_epoch FROM users ORDER BY name"
    )
    .fetch_all(pool)
    .await?;
    Ok(users)
}

/// Tries to sign in, recording the attempt in the audit log whatever its outcome.
///
/// Failures are counted per name *and* `client` (the remote address; `None` counts as one unknown
/// client): after `FREE_ATTEMPTS` failures for a name from one client, each further failure locks
/// the name for that client only, twice as long as the last, up to `MAX_LOCKOUT_SECONDS`. The same
/// name from another client is not locked, so a stranger guessing a colleague's password cannot
/// lock the colleague out.
pub async fn sign_in(
    pool: &SqlitePool,
    name: &str,
    password: &str,
    client: Option<&str>,
    now: i64,
) -> Result<SignIn> {
    let name = name.trim();
    let client_key = client.unwrap_or(UNKNOWN_CLIENT);
    let locked_until = sqlx::query_scalar!(
        "SELECT locked_until FROM sign_in_failures WHERE user_name = ? AND client = ?",
        name,
        client_key
    )
    .fetch_optional(pool)
    .await?
    .unwrap_or(0);
    let event = NewEvent {
        actor: Some(name),
        detail: client.map(str::to_owned),
        ..NewEvent::default()
    };
    if locked_until > now {
        audit::record(pool, Action::SignInLocked, event).await?;
        return Ok(SignIn::LockedOut {
            retry_after_seconds: locked_until - now,
        });
    }

    let account = sqlx::query!(
        "SELECT id AS \"id!\", name, password_hash, is_admin, disabled, session_epoch
         FROM users WHERE name = ?",
        name
    )
    .fetch_optional(pool)
    .await?;
    let stored_hash = account
        .as_ref()
        .map_or_else(|| decoy_hash().to_owned(), |a| a.password_hash.clone());
    let password = password.to_owned();
    let password_matches =
        tokio::task::spawn_blocking(move || verify_password(&stored_hash, &password))
            .await
            .map_err(|error| Error::Internal(error.to_string()))?;

    match account {
        Some(account) if password_matches && !account.disabled => {
            sqlx::query!(
                "DELETE FROM sign_in_failures WHERE user_name = ? AND client = ?",
                name,
                client_key
            )
            .execute(pool)
            .await?;
            audit::record(pool, Action::SignIn, event).await?;
            Ok(SignIn::Accepted(User {
                id: account.id,
                name: account.name,
                is_admin: account.is_admin,
                disabled: false,
                session_epoch: account.session_epoch,
            }))
        }
        _ => {
            count_failure(pool, name, client_key, now).await?;
            audit::record(pool, Action::SignInFailed, event).await?;
            Ok(SignIn::Rejected)
        }
    }
}

/// Tries to sign in from a network address, which is also throttled (see `throttle`): many
/// failures from one address, whatever the names, make it wait before the password is even checked.
pub async fn sign_in_from(
    pool: &SqlitePool,
    throttle: &AddressThrottle,
    name: &str,
    password: &str,
    address: &str,
    now: i64,
) -> Result<SignIn> {
    if let Some(retry_after_seconds) = throttle.retry_after(address, now) {
        let event = NewEvent {
            actor: Some(name.trim()),
            detail: Some(format!("{address}: too many failures from this address")),
            ..NewEvent::default()
        };
        audit::record(pool, Action::SignInLocked, event).await?;
        return Ok(SignIn::LockedOut {
            retry_after_seconds,
        });
    }
    let outcome = sign_in(pool, name, password, Some(address), now).await?;
    if outcome == SignIn::Rejected {
        throttle.record_failure(address, now);
    }
    Ok(outcome)
}

/// Returns how long a name is locked for a client after its `failures`-th consecutive failure
/// from that client (0: not locked).
pub fn lockout_seconds(failures: i64) -> i64 {
    if failures < FREE_ATTEMPTS {
        return 0;
    }
    let doublings = (failures - FREE_ATTEMPTS).min(16) as u32;
    (FIRST_LOCKOUT_SECONDS << doublings).min(MAX_LOCKOUT_SECONDS)
}

/// What failures from a client whose address is not known are counted under.
const UNKNOWN_CLIENT: &str = "unknown";
/// Failures older than this, for a name not locked now, are forgotten.
const FORGET_FAILURES_AFTER_SECONDS: i64 = 24 * 3600;

async fn count_failure(pool: &SqlitePool, name: &str, client: &str, now: i64) -> Result<()> {
    let mut transaction = pool.begin().await?;
    // Bounded table: one row per name and client tried, kept only while it may still matter.
    let forget_before = now - FORGET_FAILURES_AFTER_SECONDS;
    sqlx::query!(
        "DELETE FROM sign_in_failures WHERE locked_until < ?",
        forget_before
    )
    .execute(&mut *transaction)
    .await?;
    let failures = sqlx::query_scalar!(
        "SELECT failures FROM sign_in_failures WHERE user_name = ? AND client = ?",
        name,
        client
    )
    .fetch_optional(&mut *transaction)
    .await?
    .unwrap_or(0)
        + 1;
    let locked_until = now + lockout_seconds(failures);
    sqlx::query!(
        "INSERT INTO sign_in_failures (user_name, client, failures, locked_until) VALUES (?, ?, ?, ?)
         ON CONFLICT (user_name, client)
         DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until",
        name,
        client,
        failures,
        locked_until
    )
    .execute(&mut *transaction)
    .await?;
    transaction.commit().await?;
    Ok(())
}
