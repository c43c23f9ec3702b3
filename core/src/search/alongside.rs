//! Indexing an import's reports while it stores them: each batch the import writes in its
//! transaction goes to the index and the word statuses on another thread, uncommitted, and both
//! commit once the transaction has (or roll back when it does not). A million reports are then
//! stored and indexed in about the time of the slower of the two, not of both one after the other.

use std::sync::Arc;

use sqlx::SqlitePool;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::registry::{join_error, Held, Row};
use super::statuses::StatusStore;
use super::{Indexes, ProjectIndex, MERGE_AFTER};
use crate::reports::NewReport;
use crate::{Error, Result};

/// Batches on their way to the indexing thread: two, so that storing waits for indexing rather
/// than piling batches up in memory.
const QUEUED_BATCHES: usize = 2;

/// A project's index, held for one import: no other catch-up runs until it commits or aborts.
pub struct Alongside {
    index: Arc<ProjectIndex>,
    store: Arc<StatusStore>,
    /// The report revision the index and the statuses covered when the import began.
    revision: i64,
    sender: Option<mpsc::Sender<Vec<Row>>>,
    /// The indexing thread: how many reports it indexed.
    worker: Option<JoinHandle<Result<u64>>>,
    /// The index's catching-up lock (also held by the indexing thread until it is done).
    held: Held,
}

impl Indexes {
    /// Holds a project's index for an import: brings it up to date with the reports already
    /// stored, then indexes what [`Alongside::add`] is given as it comes.
    pub async fn alongside(&self, pool: &SqlitePool, project_id: i64) -> Result<Alongside> {
        let index = self.get(project_id)?;
        let held = Arc::new(index.catching_up.clone().lock_owned().await);
        self.catch_up_held(&index, &held, pool, project_id, |_, _| {})
            .await?;
        let store = index
            .statuses()
            .ok_or_else(|| Error::Internal("word statuses missing after a catch-up".into()))?;
        let revision = index.revision()?;
        // Reports above the highest id already indexed are new: no earlier version to delete.
        let highest_indexed = index.highest_report_id()?;
        let (sender, mut batches) = mpsc::channel::<Vec<Row>>(QUEUED_BATCHES);
        let worker = {
            let (index, store, held) = (index.clone(), store.clone(), held.clone());
            tokio::task::spawn_blocking(move || -> Result<u64> {
                let _held = held;
                index
                    .uncommitted
                    .store(true, std::sync::atomic::Ordering::SeqCst);
                // A report stored twice by one import (an HL7 file that amends it) is indexed
                // once, as it was stored last.
                let mut added = std::collections::HashSet::new();
                while let Some(rows) = batches.blocking_recv() {
                    let texts: Vec<(i64, &str)> =
                        rows.iter().map(|row| (row.id, row.text.as_str())).collect();
                    store.add(&texts)?;
                    drop(texts);
                    index.add(rows, |id| {
                        let repeated = !added.insert(id);
                        repeated || highest_indexed.is_some_and(|highest| id <= highest)
                    })?;
                }
                Ok(added.len() as u64)
            })
        };
        Ok(Alongside {
            index,
            store,
            revision,
            sender: Some(sender),
            worker: Some(worker),
            held,
        })
    }
}

impl Alongside {
    /// Whether the import's transaction, writing under `revision`, follows directly on what the
    /// index covers (otherwise other reports were stored in between, and are not in the index).
    pub fn follows(&self, revision: i64) -> bool {
        revision == self.revision + 1 && self.store.revision() == self.revision
    }

    /// Indexes reports as they were stored (each with its id), uncommitted.
    pub async fn add(&mut self, reports: Vec<(i64, NewReport)>) -> Result<()> {
        let rows = reports
            .into_iter()
            .map(|(id, report)| Row {
                id,
                text: report.report_text,
                exam_code: report.exam_code,
                modality: report.modality,
                body_part: report.body_part,
                study_date: report.study_date,
            })
            .collect();
        let sent = match &self.sender {
            Some(sender) => sender.send(rows).await.is_ok(),
            None => false,
        };
        match sent {
            true => Ok(()),
            // The indexing thread stopped: its error says why.
            false => Err(self
                .finish_worker()
                .await
                .err()
                .unwrap_or_else(|| Error::Internal("the indexing thread stopped".into()))),
        }
    }

    /// Lets the indexing thread finish what it was given; how many reports it indexed.
    async fn finish_worker(&mut self) -> Result<u64> {
        self.sender = None;
        match self.worker.take() {
            Some(worker) => worker.await.map_err(join_error)?,
            None => Err(Error::Internal("the indexing thread stopped".into())),
        }
    }

    /// Commits the index and the word statuses as covering `revision`, once the import's
    /// transaction has committed; returns how many reports were indexed. When this fails, both
    /// are rolled back, and the next catch-up indexes the import's reports.
    pub async fn commit(mut self, revision: i64) -> Result<u64> {
        let (index, store, held) = (self.index.clone(), self.store.clone(), self.held.clone());
        let committed = async {
            let indexed = self.finish_worker().await?;
            tokio::task::spawn_blocking(move || {
                let _held = held;
                store.commit(revision, None)?;
                index.commit(revision)?;
                match indexed >= MERGE_AFTER {
                    true => index.merge_segments(),
                    false => Ok(()),
                }
            })
            .await
            .map_err(join_error)??;
            Ok(indexed)
        }
        .await;
        if committed.is_err() {
            self.roll_back().await;
        }
        committed
    }

    /// Drops what was indexed for an import that did not commit.
    pub async fn abort(mut self) {
        if let Err(error) = self.finish_worker().await {
            tracing::warn!(%error, "indexing an import that did not commit");
        }
        self.roll_back().await;
    }

    async fn roll_back(&self) {
        let (index, held) = (self.index.clone(), self.held.clone());
        let rolled_back = tokio::task::spawn_blocking(move || {
            let _held = held;
            index.rollback()
        })
        .await
        .map_err(join_error)
        .and_then(|result| result);
        if let Err(error) = rolled_back {
            tracing::error!(%error, "could not roll the index back after a failed import");
        }
    }
}
