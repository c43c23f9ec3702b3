//! The queue's one writer. Serving, answering, undoing and skipping all change the queue, and
//! SQLite lets one transaction write at a time; so rather than every request waiting its turn for
//! a transaction of its own, requests hand their work to one task, which runs whatever is waiting
//! in one transaction and commits once (a group commit), then answers each request. An answer is
//! still committed before the next study is shown, but fifty affiliates share one commit (and its
//! sync to disk) instead of queueing for fifty.
//!
//! Every claim carries a random token, sent with the study it serves. An answer (or a skip) deletes
//! the claim it names by key and token in the statement that read it anyway, so checking that the
//! user still holds the study costs nothing more; a claim that is gone (answered in another tab,
//! taken back, expired and given back) or never was refuses the request before it writes anything,
//! and the reply is the study the user holds now.

use std::collections::{HashMap, HashSet};

use sqlx::{ConnectOptions, Connection, Sqlite, SqliteConnection, SqlitePool, Transaction};
use tokio::sync::{mpsc, oneshot};

use super::{settings, Served, Settings, Verdict};
use crate::audit::{self, Action, NewEvent};
use crate::questions::Question;
use crate::{Error, Result};

mod work;

use work::reopen;

/// At most this many requests share a transaction, so that none waits long behind a batch.
const MAX_BATCH: usize = 64;

/// Hands queue writes to the writer task; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    sender: mpsc::UnboundedSender<Job>,
}

/// A request waiting for the writer.
struct Job {
    question: Question,
    user_id: i64,
    actor: String,
    work: Work,
    reply: oneshot::Sender<Result<Verdict>>,
}

enum Work {
    Next,
    Answer {
        report_id: i64,
        claim: i64,
        label: String,
    },
    Undo,
    Skip {
        report_id: i64,
        claim: i64,
    },
}

impl Writer {
    /// Starts the writer of a database on a thread of its own: between two statements of a batch
    /// it waits only for SQLite, never behind the requests queued on the server's threads. It
    /// stops when the last clone of the writer is dropped.
    pub fn start(pool: SqlitePool) -> Result<Writer> {
        let (sender, receiver) = mpsc::unbounded_channel();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        std::thread::Builder::new()
            .name("queue-writer".into())
            .spawn(move || runtime.block_on(serve(pool, receiver)))?;
        Ok(Writer { sender })
    }

    /// Returns the study a user should label next (the one they hold, if any), claiming it;
    /// `None` when the queue has nothing left for them.
    pub async fn next(
        &self,
        question: &Question,
        user_id: i64,
        actor: &str,
    ) -> Result<Option<Served>> {
        let verdict = self.submit(question, user_id, actor, Work::Next).await?;
        Ok(verdict.served())
    }

    /// Records a user's answer for the study they hold under `claim` (the token served with it),
    /// then serves the next study; the answer is committed before the next study is returned, and
    /// the time spent is measured from when the study was served. Refused, writing nothing, when
    /// they do not hold the study under that claim.
    pub async fn answer(
        &self,
        question: &Question,
        user_id: i64,
        actor: &str,
        report_id: i64,
        claim: i64,
        label: &str,
    ) -> Result<Verdict> {
        question.check_label(label)?;
        let work = Work::Answer {
            report_id,
            claim,
            label: label.to_string(),
        };
        self.submit(question, user_id, actor, work).await
    }

    /// Takes back a user's last answer and serves that study again (releasing the study they
    /// hold); `None` when they have no answer to take back.
    pub async fn undo(
        &self,
        question: &Question,
        user_id: i64,
        actor: &str,
    ) -> Result<Option<Served>> {
        let verdict = self.submit(question, user_id, actor, Work::Undo).await?;
        Ok(verdict.served())
    }

    /// Skips the study a user holds under `claim` (it is not served to them again) and serves the
    /// next; refused like an answer when they do not hold it under that claim.
    pub async fn skip(
        &self,
        question: &Question,
        user_id: i64,
        actor: &str,
        report_id: i64,
        claim: i64,
    ) -> Result<Verdict> {
        self.submit(question, user_id, actor, Work::Skip { report_id, claim })
            .await
    }

    async fn submit(
        &self,
        question: &Question,
        user_id: i64,
        actor: &str,
        work: Work,
    ) -> Result<Verdict> {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            question: question.clone(),
            user_id,
            actor: actor.to_string(),
            work,
            reply,
        };
        let stopped = || Error::Internal("the queue's writer has stopped".into());
        self.sender.send(job).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

/// The writer task: takes whatever requests are waiting and writes them together, on a connection
/// of its own (so it never waits for one of the pool's, busy with the requests' reads).
async fn serve(pool: SqlitePool, mut receiver: mpsc::UnboundedReceiver<Job>) {
    let mut connection = None;
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        match write(&pool, &mut connection, &jobs).await {
            Ok(results) => reply(jobs.drain(..), results),
            Err(error) if jobs.len() == 1 => reply(jobs.drain(..), vec![Err(error)]),
            // Nothing of the batch was committed. Alone, each request succeeds or fails on its
            // own, so one at fault does not fail the others.
            Err(_) => {
                for job in jobs.drain(..) {
                    let result = write(&pool, &mut connection, std::slice::from_ref(&job))
                        .await
                        .and_then(|mut results| results.pop().expect("one result per job"));
                    reply(std::iter::once(job), vec![result]);
                }
            }
        }
    }
}

fn reply(jobs: impl Iterator<Item = Job>, results: Vec<Result<Verdict>>) {
    for (job, result) in jobs.zip(results) {
        // A request whose client went away no longer waits; its work is committed all the same.
        let _ = job.reply.send(result);
    }
}

/// Runs requests in one transaction. A request refused for what it asked (a study not held under
/// the claim named) writes nothing before refusing, so the others still commit; a database
/// failure rolls the whole batch back (and the connection is opened afresh for the next).
async fn write(
    pool: &SqlitePool,
    connection: &mut Option<SqliteConnection>,
    jobs: &[Job],
) -> Result<Vec<Result<Verdict>>> {
    let open = match connection {
        Some(open) => open,
        None => connection.insert(pool.connect_options().connect().await?),
    };
    let result = write_on(open, jobs).await;
    if result.is_err() {
        *connection = None;
    }
    result
}

async fn write_on(connection: &mut SqliteConnection, jobs: &[Job]) -> Result<Vec<Result<Verdict>>> {
    // IMMEDIATE: the batch reads before it writes, and must not find its snapshot overtaken by
    // another writer when it does.
    let transaction = connection.begin_with("BEGIN IMMEDIATE").await?;
    let mut batch = Batch {
        transaction,
        now: crate::now(),
        settings: HashMap::new(),
        swept: HashSet::new(),
        events: Vec::new(),
    };
    let mut results = Vec::with_capacity(jobs.len());
    for job in jobs {
        match job.run(&mut batch).await {
            Err(error) if !error.is_user_error() => return Err(error),
            result => results.push(result),
        }
    }
    audit::record_all(&mut *batch.transaction, &batch.events).await?;
    batch.transaction.commit().await?;
    Ok(results)
}

type Tx<'c> = Transaction<'c, Sqlite>;

/// One transaction of the writer, with what its requests share: each question's settings, read
/// once; whether its expired claims were already given back; the audit events, written together.
struct Batch<'c, 'j> {
    transaction: Tx<'c>,
    now: i64,
    settings: HashMap<i64, Settings>,
    swept: HashSet<i64>,
    events: Vec<(Action, NewEvent<'j>)>,
}

impl Batch<'_, '_> {
    async fn settings(&mut self, question_id: i64) -> Result<Settings> {
        if let Some(settings) = self.settings.get(&question_id) {
            return Ok(settings.clone());
        }
        let settings = settings(&mut *self.transaction, question_id).await?;
        self.settings.insert(question_id, settings.clone());
        Ok(settings)
    }

    /// Gives the slots of a question's expired claims back to the queue, once per batch.
    async fn sweep(&mut self, question_id: i64) -> Result<()> {
        if !self.swept.insert(question_id) {
            return Ok(());
        }
        let expired = sqlx::query!(
            "DELETE FROM claims WHERE question_id = ? AND expires_at <= ? RETURNING report_id, is_gold, review",
            question_id,
            self.now
        )
        .fetch_all(&mut *self.transaction)
        .await?;
        // Gold items and studies served again for review hold no slot of the queue.
        for claim in expired
            .iter()
            .filter(|claim| claim.is_gold == 0 && claim.review == 0)
        {
            reopen(&mut self.transaction, question_id, claim.report_id).await?;
        }
        Ok(())
    }
}
