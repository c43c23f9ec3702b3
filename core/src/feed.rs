//! The live HL7 v2 feed: reports as the hospital's interface engine (Mirth Connect, Rhapsody,
//! Cloverleaf …) sends them as each is signed, one ORU^R01 per MLLP frame (the listener is the
//! server's). Each message is stored in every project whose [`Filter`] accepts it and acknowledged
//! only once that is committed: AA when stored (or when no project takes it: counted, not
//! stored), AR when the message cannot be a report (the reason in MSA-3 and ERR), AE when Sieve
//! could not store it (the sender should send it again). A message sent again, by its control id
//! (MSH-10), is acknowledged again and stored once.

mod ack;
mod filter;
mod receiver;

pub use ack::{Ack, Code};
pub use filter::{filter, filters, set_filter, Filter};
pub use receiver::Receiver;

use sqlx::SqlitePool;

use crate::Result;

/// What became of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Stored in this many projects (each once: in some it may have been stored before); in
    /// `kept` of them the report stored already stays as it was (a preliminary report sent after
    /// the final, or the same report under a new control id).
    Stored { projects: usize, kept: usize },
    /// Every project that takes it had stored it already (the sender sent it again).
    Resent,
    /// No project's filter accepts it: acknowledged and counted, not stored.
    Unrouted,
    /// Not a report Sieve can store; the reason, in the sender's terms.
    Refused(String),
    /// Sieve could not store it (the database failed); the sender should send it again.
    Failed(String),
}

impl Outcome {
    /// An outcome's counted name in words, for the admin's page.
    pub fn described(name: &str) -> &'static str {
        match name {
            "stored" => "stored",
            "kept" => "received, the report stored before kept (a preliminary after the final, or the same report again)",
            "resent" => "sent again (already stored; not stored twice)",
            "unrouted" => "taken by no project (acknowledged, not stored)",
            "refused" => "refused (not a report Sieve can read; the sender was told why)",
            _ => "failed (Sieve could not store them; the sender was asked to send again)",
        }
    }

    /// The name it is counted under in `feed_counts`.
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Stored { projects, kept } if kept == projects => "kept",
            Outcome::Stored { .. } => "stored",
            Outcome::Resent => "resent",
            Outcome::Unrouted => "unrouted",
            Outcome::Refused(_) => "refused",
            Outcome::Failed(_) => "failed",
        }
    }
}

/// How many messages the feed handled with one outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Count {
    /// See [`Outcome::name`].
    pub outcome: String,
    pub messages: i64,
}

/// How many messages the feed handled, by outcome.
pub async fn counts(pool: &SqlitePool) -> Result<Vec<Count>> {
    Ok(sqlx::query_as!(
        Count,
        "SELECT outcome, messages FROM feed_counts ORDER BY outcome"
    )
    .fetch_all(pool)
    .await?)
}
