//! The live HL7 v2 feed: reports as the hospital's interface engine (Mirth Connect, Rhapsody,
//! Cloverleaf …) sends them as each is signed, one ORU^R01 per MLLP frame (the listener is the
//! server's). Each message is stored in every project whose [`Filter`] accepts it and acknowledged
//! only once that is committed: AA when stored (or when no project takes it: counted, not
//! stored), AR when the message cannot be a report (the reason in MSA-3 and ERR), AE when Sieve
//! could not store it (the sender should send it again). A message sent again, by its control id
//! (MSH-10), is acknowledged again and stored once.

mod ack;
mod filter;

pub use ack::{Ack, Code};
pub use filter::{filter, filters, set_filter, Filter};

use sqlx::SqlitePool;

use crate::import::hl7::{self, Hl7Error};
use crate::pseudonym::Pseudonymizer;
use crate::reports::Writer;
use crate::Result;

/// What became of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Stored in this many projects (each once: in some it may have been stored before).
    Stored { projects: usize },
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
            "resent" => "sent again (already stored; not stored twice)",
            "unrouted" => "taken by no project (acknowledged, not stored)",
            "refused" => "refused (not a report Sieve can read; the sender was told why)",
            _ => "failed (Sieve could not store them; the sender was asked to send again)",
        }
    }

    /// The name it is counted under in `feed_counts`.
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Stored { .. } => "stored",
            Outcome::Resent => "resent",
            Outcome::Unrouted => "unrouted",
            Outcome::Refused(_) => "refused",
            Outcome::Failed(_) => "failed",
        }
    }
}

/// Receives one message (the bytes inside one MLLP frame): stores it where it belongs and returns
/// the acknowledgement to send back, which is only ever AA once the report is committed.
pub async fn receive(pool: &SqlitePool, pseudonymizer: &Pseudonymizer, bytes: &[u8]) -> Ack {
    let message = hl7::message(bytes);
    let outcome = match route(pool, pseudonymizer, &message).await {
        Ok(outcome) => outcome,
        Err(error) if error.is_user_error() => Outcome::Refused(error.to_string()),
        Err(error) => {
            tracing::error!(%error, control_id = %message.header.control_id, "feed message not stored");
            Outcome::Failed("Sieve could not store the report; send the message again".to_string())
        }
    };
    if let Err(error) = count(pool, &outcome).await {
        tracing::error!(%error, "feed outcome not counted");
    }
    Ack::of(&message.header, &outcome, refusal_code(&message.report))
}

async fn route(
    pool: &SqlitePool,
    pseudonymizer: &Pseudonymizer,
    message: &hl7::Message,
) -> Result<Outcome> {
    let report = match &message.report {
        Ok(report) => report.clone().normalized()?,
        Err(error) => return Ok(Outcome::Refused(error.to_string())),
    };
    let control_id = message.header.control_id.as_str();
    if control_id.is_empty() {
        return Ok(Outcome::Refused(
            "MSH-10: the message has no control id, so a resent copy could not be told apart"
                .into(),
        ));
    }
    let facility = message.header.sending_facility.as_str();
    let projects: Vec<i64> = filters(pool)
        .await?
        .into_iter()
        .filter(|(_, filter)| filter.accepts(facility, &report.exam_code, &report.modality))
        .map(|(project, _)| project)
        .collect();
    if projects.is_empty() {
        return Ok(Outcome::Unrouted);
    }
    let mut stored = 0;
    for project in projects {
        let mut writer = Writer::begin(pool, project, pseudonymizer.clone()).await?;
        let first_time = sqlx::query!(
            "INSERT INTO feed_messages (control_id, project_id, accession) VALUES (?, ?, ?)
             ON CONFLICT (control_id, project_id) DO NOTHING",
            control_id,
            project,
            report.accession
        )
        .execute(writer.connection())
        .await?
        .rows_affected()
            == 1;
        if !first_time {
            // Dropped: the transaction rolls back, and the report stays as it was.
            continue;
        }
        writer.result_status(&message.result_status);
        writer.write(std::slice::from_ref(&report)).await?;
        writer.commit().await?;
        stored += 1;
    }
    Ok(match stored {
        0 => Outcome::Resent,
        projects => Outcome::Stored { projects },
    })
}

/// The HL7 error code (table 0357) of a refusal: what is wrong with the message.
fn refusal_code(report: &std::result::Result<crate::reports::NewReport, Hl7Error>) -> Code {
    match report {
        Err(Hl7Error::NotOru(_)) => Code::UnsupportedMessageType,
        Err(Hl7Error::NoMsh | Hl7Error::SegmentMissing(_)) => Code::SegmentSequence,
        Err(_) => Code::DataType,
        Ok(_) => Code::RequiredFieldMissing,
    }
}

async fn count(pool: &SqlitePool, outcome: &Outcome) -> Result<()> {
    let name = outcome.name();
    sqlx::query!(
        "INSERT INTO feed_counts (outcome, messages) VALUES (?, 1)
         ON CONFLICT (outcome) DO UPDATE SET messages = messages + 1",
        name
    )
    .execute(pool)
    .await?;
    Ok(())
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
