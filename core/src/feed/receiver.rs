//! The feed's one writer. Every connection parses its own messages, then hands them to one task,
//! which stores whatever is waiting in one transaction and commits once (a group commit, as the
//! queue's writer does), then acknowledges each: senders share a commit and its sync to disk
//! instead of waiting in turn for SQLite's one write lock. Messages are read and routed before
//! anything is written, so one refused for what it is never stops the others; each project's
//! messages of a batch are written in the order they came (a final after its preliminary).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use sqlx::{ConnectOptions, Connection, QueryBuilder, Sqlite, SqliteConnection, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use super::{filters, Ack, Code, Filter, Outcome};
use crate::import::hl7::{self, Hl7Error};
use crate::pseudonym::Pseudonymizer;
use crate::reports::{NewReport, Writer};
use crate::{Error, Result};

/// The result statuses (OBR-25, HL7 table 0123) of a report Sieve stores; none given reads as final.
const RESULT_STATUSES: [&str; 5] = ["", "P", "F", "C", "A"];

/// At most this many messages share a transaction, so that none waits long behind a batch.
const MAX_BATCH: usize = 256;

/// Hands received messages to the feed's writer; cheap to clone. The writer stops when the last
/// clone is dropped.
#[derive(Clone)]
pub struct Receiver {
    sender: mpsc::UnboundedSender<Job>,
}

struct Job {
    message: hl7::Message,
    reply: oneshot::Sender<Outcome>,
}

impl Receiver {
    /// Starts the writer on a thread of its own, storing into `pool`'s database with the
    /// install's `pseudonymizer`.
    pub fn start(pool: SqlitePool, pseudonymizer: Pseudonymizer) -> Result<Receiver> {
        let (sender, receiver) = mpsc::unbounded_channel();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        std::thread::Builder::new()
            .name("feed-writer".into())
            .spawn(move || runtime.block_on(serve(pool, pseudonymizer, receiver)))?;
        Ok(Receiver { sender })
    }

    /// Receives one message (the bytes inside one MLLP frame): stores it where it belongs and
    /// returns the acknowledgement to send back, which is only ever AA once the report is
    /// committed.
    pub async fn receive(&self, bytes: &[u8]) -> Ack {
        let message = hl7::message(bytes);
        let header = message.header.clone();
        let refusal = refusal_code(&message.report);
        let (reply, outcome) = oneshot::channel();
        let stopped = || Outcome::Failed("Sieve is stopping; send the message again".into());
        let outcome = match self.sender.send(Job { message, reply }) {
            Ok(()) => outcome.await.unwrap_or_else(|_| stopped()),
            Err(_) => stopped(),
        };
        Ack::of(&header, &outcome, refusal)
    }
}

/// The writer task: takes whatever messages are waiting and stores them together, on a
/// connection of its own.
async fn serve(
    pool: SqlitePool,
    pseudonymizer: Pseudonymizer,
    mut receiver: mpsc::UnboundedReceiver<Job>,
) {
    let mut connection = None;
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        let outcomes = match store(&pool, &mut connection, &pseudonymizer, &jobs).await {
            Ok(outcomes) => outcomes,
            Err(error) if jobs.len() == 1 => vec![failed(&pool, &jobs[0], &error).await],
            // Nothing of the batch was committed. Alone, each message succeeds or fails on its
            // own, so one that the database cannot take does not fail the others.
            Err(_) => {
                let mut outcomes = Vec::with_capacity(jobs.len());
                for job in &jobs {
                    let alone = store(
                        &pool,
                        &mut connection,
                        &pseudonymizer,
                        std::slice::from_ref(job),
                    )
                    .await;
                    outcomes.push(match alone {
                        Ok(mut outcome) => outcome.pop().expect("one outcome per message"),
                        Err(error) => failed(&pool, job, &error).await,
                    });
                }
                outcomes
            }
        };
        for (job, outcome) in jobs.drain(..).zip(outcomes) {
            // A sender that went away no longer waits; its message is stored all the same.
            let _ = job.reply.send(outcome);
        }
    }
}

/// A message the database could not take: logged and counted (outside any transaction), and the
/// sender asked to send it again.
async fn failed(pool: &SqlitePool, job: &Job, error: &Error) -> Outcome {
    tracing::error!(%error, control_id = %job.message.header.control_id, "feed message not stored");
    let outcome =
        Outcome::Failed("Sieve could not store the report; send the message again".into());
    let counted = match pool.acquire().await {
        Ok(mut connection) => count(&mut connection, &[&outcome]).await,
        Err(error) => Err(error.into()),
    };
    if let Err(error) = counted {
        tracing::error!(%error, "feed outcome not counted");
    }
    outcome
}

/// Stores messages in one transaction, counting their outcomes in it; a database failure rolls
/// the whole batch back (and the connection is opened afresh for the next).
async fn store(
    pool: &SqlitePool,
    connection: &mut Option<SqliteConnection>,
    pseudonymizer: &Pseudonymizer,
    jobs: &[Job],
) -> Result<Vec<Outcome>> {
    let open = match connection {
        Some(open) => open,
        None => connection.insert(pool.connect_options().connect().await?),
    };
    let result = store_on(open, pseudonymizer, jobs).await;
    if result.is_err() {
        *connection = None;
    }
    result
}

async fn store_on(
    connection: &mut SqliteConnection,
    pseudonymizer: &Pseudonymizer,
    jobs: &[Job],
) -> Result<Vec<Outcome>> {
    let mut transaction = connection.begin_with("BEGIN IMMEDIATE").await?;
    let filters = filters(&mut *transaction).await?;
    let read: Vec<_> = jobs
        .iter()
        .map(|job| read(&filters, &job.message))
        .collect();
    let projects: BTreeSet<i64> = read
        .iter()
        .flat_map(|read| {
            read.as_ref()
                .map(|routed| routed.projects.clone())
                .unwrap_or_default()
        })
        .collect();
    // What became of each message in each project that takes it.
    let (mut stored, mut kept) = (vec![0; jobs.len()], vec![0; jobs.len()]);
    for project in projects {
        let members: Vec<(usize, &Routed)> = read
            .iter()
            .enumerate()
            .filter_map(|(n, read)| read.as_ref().ok().map(|routed| (n, routed)))
            .filter(|(_, routed)| routed.projects.contains(&project))
            .collect();
        let mut writer = Writer::within(&mut transaction, project, pseudonymizer.clone()).await?;
        let mut first_time = first_time(writer.connection(), project, &members).await?;
        for (n, routed) in members {
            // A message seen before (or twice in this batch) is not stored again.
            if !first_time.remove(&(routed.control_id.clone(), routed.content_hash.clone())) {
                continue;
            }
            writer.result_status(&routed.result_status);
            let unchanged = writer.counts.unchanged;
            writer.write(std::slice::from_ref(&routed.report)).await?;
            stored[n] += 1;
            if writer.counts.unchanged > unchanged {
                kept[n] += 1;
            }
        }
        writer.commit().await?;
    }
    let outcomes: Vec<Outcome> = read
        .into_iter()
        .enumerate()
        .map(|(n, read)| match read {
            Err(outcome) => outcome,
            Ok(routed) if routed.projects.is_empty() => Outcome::Unrouted,
            Ok(_) if stored[n] == 0 => Outcome::Resent,
            Ok(_) => Outcome::Stored {
                projects: stored[n],
                kept: kept[n],
            },
        })
        .collect();
    count(&mut transaction, &outcomes.iter().collect::<Vec<_>>()).await?;
    transaction.commit().await?;
    Ok(outcomes)
}

/// A message that is a report, and the projects whose filters take it.
struct Routed {
    report: NewReport,
    control_id: String,
    /// What tells this message from another under the same control id: its report and status.
    content_hash: String,
    result_status: String,
    projects: Vec<i64>,
}

/// Reads a message as a report and routes it, before anything is written; a message that
/// cannot be stored is its refusal.
fn read(filters: &[(i64, Filter)], message: &hl7::Message) -> std::result::Result<Routed, Outcome> {
    let report = match &message.report {
        Ok(report) => report
            .clone()
            .normalized()
            .map_err(|error| Outcome::Refused(Error::from(error).to_string()))?,
        Err(error) => return Err(Outcome::Refused(error.to_string())),
    };
    let control_id = message.header.control_id.clone();
    if control_id.is_empty() {
        return Err(Outcome::Refused(
            "MSH-10: the message has no control id, so a resent copy could not be told apart"
                .into(),
        ));
    }
    let status = message.result_status.as_str();
    if !RESULT_STATUSES.contains(&status) {
        return Err(Outcome::Refused(format!(
            "OBR-25: result status {status:?} is not a report Sieve stores (it stores P preliminary, \
             F final, C corrected and A amended reports, or none given)"
        )));
    }
    let content_hash = crate::reports::content_hash(&report, &report.patient_id, status);
    let facility = message.header.sending_facility.as_str();
    let projects = filters
        .iter()
        .filter(|(_, filter)| filter.accepts(facility, &report.exam_code, &report.modality))
        .map(|(project, _)| *project)
        .collect();
    Ok(Routed {
        report,
        control_id,
        content_hash,
        result_status: message.result_status.clone(),
        projects,
    })
}

/// Records the messages as received in a project; returns those it had not received before, by
/// control id (MSH-10) and report: a message sent again keeps both, while a control id an
/// interface engine used again for another report is another message.
async fn first_time(
    connection: &mut SqliteConnection,
    project: i64,
    members: &[(usize, &Routed)],
) -> Result<HashSet<(String, String)>> {
    let mut insert = QueryBuilder::<Sqlite>::new(
        "INSERT INTO feed_messages (control_id, project_id, accession, content_hash) ",
    );
    insert.push_values(members, |mut row, (_, routed)| {
        row.push_bind(routed.control_id.clone())
            .push_bind(project)
            .push_bind(routed.report.accession.clone())
            .push_bind(routed.content_hash.clone());
    });
    insert.push(
        " ON CONFLICT (control_id, project_id, content_hash) DO NOTHING \
         RETURNING control_id, content_hash",
    );
    Ok(insert
        .build_query_as::<(String, String)>()
        .fetch_all(connection)
        .await?
        .into_iter()
        .collect())
}

/// Adds outcomes to the feed's counts (`feed_counts`).
async fn count(connection: &mut SqliteConnection, outcomes: &[&Outcome]) -> Result<()> {
    let mut by_name: BTreeMap<&str, i64> = BTreeMap::new();
    for outcome in outcomes {
        *by_name.entry(outcome.name()).or_default() += 1;
    }
    for (name, messages) in by_name {
        sqlx::query!(
            "INSERT INTO feed_counts (outcome, messages) VALUES (?, ?)
             ON CONFLICT (outcome) DO UPDATE SET messages = messages + excluded.messages",
            name,
            messages
        )
        .execute(&mut *connection)
        .await?;
    }
    Ok(())
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
