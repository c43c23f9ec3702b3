//! The indexes of an install (one per project, opened on first use, one writer each), and how an
//! index catches up with the reports stored in SQLite: in batches, from the highest id indexed.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use sqlx::SqlitePool;
use tantivy::{TantivyDocument, Term};

use super::statuses::{Stale, StatusStore};
use super::{
    index_dir, index_error, search_threads, study_day, ProjectIndex, CATCH_UP_BATCH, MERGE_AFTER,
};
use crate::{Error, Result};

/// The index's catching-up lock, held by a catch-up or an import and by every blocking task they
/// start: a request dropped part way (a closed tab) releases it only once those tasks are done.
pub(super) type Held = Arc<tokio::sync::OwnedMutexGuard<()>>;

/// The word statuses' file in a project's index directory, and the one a rebuild writes.
pub(super) const STATUSES: &str = "statuses.bin";
const STATUSES_REBUILT: &str = "statuses.partial";

/// The indexes of an install, opened on first use and kept open (one writer each).
pub struct Indexes {
    root: PathBuf,
    open: Mutex<HashMap<i64, Arc<ProjectIndex>>>,
}

impl Indexes {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Indexes {
            root: root.into(),
            open: Mutex::new(HashMap::new()),
        }
    }

    /// Returns a project's index, opening (or creating) it.
    pub fn get(&self, project_id: i64) -> Result<Arc<ProjectIndex>> {
        let mut open = self
            .open
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(index) = open.get(&project_id) {
            return Ok(index.clone());
        }
        let index = Arc::new(ProjectIndex::open(&index_dir(&self.root, project_id))?);
        open.insert(project_id, index.clone());
        Ok(index)
    }

    /// Forgets a project's index (after it was purged), releasing its writer.
    pub fn forget(&self, project_id: i64) {
        self.open
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(&project_id);
    }

    /// Indexes the reports written since the index's revision, with their word statuses (under
    /// the settings of the project's status store, created with its current settings when it has
    /// none), and commits both; returns how many reports were indexed.
    /// `progress` gets (indexed so far, to index in all).
    pub async fn catch_up(
        &self,
        pool: &SqlitePool,
        project_id: i64,
        progress: impl Fn(u64, u64),
    ) -> Result<u64> {
        let index = self.get(project_id)?;
        let held = Arc::new(index.catching_up.clone().lock_owned().await);
        self.catch_up_held(&index, &held, pool, project_id, progress)
            .await
    }

    /// [`Indexes::catch_up`], with the index's catching-up lock held by the caller.
    pub(super) async fn catch_up_held(
        &self,
        index: &Arc<ProjectIndex>,
        held: &Held,
        pool: &SqlitePool,
        project_id: i64,
        progress: impl Fn(u64, u64),
    ) -> Result<u64> {
        if index.uncommitted.load(Ordering::SeqCst) {
            let (left, held) = (index.clone(), held.clone());
            tokio::task::spawn_blocking(move || {
                let _held = held;
                left.rollback()
            })
            .await
            .map_err(join_error)??;
        }
        let store = match index.statuses() {
            Some(store) => store,
            None => {
                let settings = crate::questions::text_settings(pool, project_id).await?;
                let path = index.dir.join(STATUSES);
                index.set_statuses(StatusStore::create(&path, &settings)?)
            }
        };
        let indexed_revision = index.revision()?;
        let marked_revision = store.revision();
        let from = indexed_revision.min(marked_revision);
        let target = sqlx::query_scalar!(
            "SELECT report_revision FROM projects WHERE id = ?",
            project_id
        )
        .fetch_optional(pool)
        .await?
        .ok_or_else(|| Error::NotFound(format!("project {project_id}")))?;
        if target <= from {
            return Ok(0);
        }
        let to_index = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "count!: i64" FROM reports WHERE project_id = ? AND revision > ?"#,
            project_id,
            indexed_revision
        )
        .fetch_one(pool)
        .await? as u64;
        // The ids come from the revision index in one pass, and each batch is looked up by id: a
        // batch query ordered by id over a revision range would walk the whole range every time.
        let mut ids: Vec<i64> = sqlx::query_scalar!(
            r#"SELECT id AS "id!" FROM reports WHERE project_id = ? AND revision > ? AND revision <= ?"#,
            project_id,
            from,
            target
        )
        .fetch_all(pool)
        .await?;
        ids.sort_unstable();
        // Reports above the highest id already indexed are new: no earlier version to delete.
        let highest_indexed = index.highest_report_id()?;
        let mut done = 0u64;
        let mut batches = ids.chunks(CATCH_UP_BATCH);
        let mut next = match batches.next() {
            Some(batch) => Some(catch_up_batch(pool, batch, from, target).await?),
            None => None,
        };
        while let Some(rows) = next.take() {
            let mut to_mark = Vec::new();
            let mut documents = Vec::new();
            for r in rows {
                if r.revision > marked_revision {
                    to_mark.push((r.row.id, r.row.text.clone()));
                }
                if r.revision > indexed_revision {
                    documents.push(r.row);
                }
            }
            done += documents.len() as u64;
            let (index, store) = (index.clone(), store.clone());
            // The next batch is read while this one is indexed and marked.
            let held = held.clone();
            let adding = tokio::task::spawn_blocking(move || {
                let _held = held;
                index.add(documents, |id| {
                    highest_indexed.is_some_and(|highest| id <= highest)
                })?;
                store.add(&to_mark)
            });
            if let Some(batch) = batches.next() {
                next = Some(catch_up_batch(pool, batch, from, target).await?);
            }
            adding.await.map_err(join_error)??;
            progress(done, to_index);
        }
        let index_for_commit = index.clone();
        let bulk = done >= MERGE_AFTER;
        let held = held.clone();
        tokio::task::spawn_blocking(move || {
            let _held = held;
            store.commit(target, None)?;
            index_for_commit.commit(target)?;
            match bulk {
                true => index_for_commit.merge_segments(),
                false => Ok(()),
            }
        })
        .await
        .map_err(join_error)??;
        Ok(done)
    }

    /// Throws a project's index and word statuses away and indexes every report again.
    pub async fn rebuild(
        &self,
        pool: &SqlitePool,
        project_id: i64,
        progress: impl Fn(u64, u64),
    ) -> Result<u64> {
        let index = self.get(project_id)?;
        let settings = crate::questions::text_settings(pool, project_id).await?;
        index.set_statuses(StatusStore::create(&index.dir.join(STATUSES), &settings)?);
        let cleared = index.clone();
        tokio::task::spawn_blocking(move || cleared.clear())
            .await
            .map_err(join_error)??;
        self.catch_up(pool, project_id, progress).await
    }

    /// The fingerprint of the project's word statuses now ([`StatusStore::fingerprint`]); `None`
    /// before its first catch-up.
    pub fn statuses_fingerprint(&self, project_id: i64) -> Result<Option<String>> {
        Ok(self
            .get(project_id)?
            .statuses()
            .map(|store| store.fingerprint.clone()))
    }

    /// Set when the project's word statuses were read with other text settings than its current
    /// ones (its cue lists or section headers changed since), until
    /// [`Indexes::refresh_statuses`] has read them again; with its progress.
    pub async fn stale(&self, pool: &SqlitePool, project_id: i64) -> Result<Option<Stale>> {
        let index = self.get(project_id)?;
        let settings = crate::questions::text_settings(pool, project_id).await?;
        let outdated = index
            .statuses()
            .is_some_and(|store| store.settings != settings);
        Ok(outdated.then(|| Stale {
            rebuild: index.status_rebuild(),
        }))
    }

    /// Makes the project's word statuses those of its current text settings. When they were read
    /// with others, every report is read again into a new store beside the old one (resuming one
    /// that a crash interrupted, from its last commit); the new store takes the old one's place
    /// once it has caught up with the reports written meanwhile, and until then the old one serves
    /// (so the soft labels shown are those of the earlier settings, marked stale). Progress is in
    /// [`ProjectIndex::status_rebuild`]. Returns how many reports it read; `None` when the
    /// statuses were current, or another rereading of the project is under way.
    pub async fn refresh_statuses(
        &self,
        pool: &SqlitePool,
        project_id: i64,
    ) -> Result<Option<u64>> {
        let index = self.get(project_id)?;
        let Ok(_one_at_a_time) = index.rebuilding.try_lock() else {
            return Ok(None);
        };
        if index.statuses().is_none() {
            self.catch_up(pool, project_id, |_, _| {}).await?;
        }
        let settings = crate::questions::text_settings(pool, project_id).await?;
        if index
            .statuses()
            .is_some_and(|store| store.settings == settings)
        {
            return Ok(None);
        }
        let path = index.dir.join(STATUSES_REBUILT);
        let resumed = StatusStore::open(&path)?
            .filter(|store| store.settings == settings && store.revision() > 0);
        let store = match resumed {
            Some(store) => Arc::new(store),
            None => {
                let store = StatusStore::create(&path, &settings)?;
                let now = sqlx::query_scalar!(
                    "SELECT report_revision FROM projects WHERE id = ?",
                    project_id
                )
                .fetch_one(pool)
                .await?;
                store.commit(now.max(1), Some(0))?;
                Arc::new(store)
            }
        };
        let start_revision = store.revision();
        let mut after_id = store.done_to();
        let counts = sqlx::query!(
            r#"SELECT COUNT(*) AS "total!: i64", COALESCE(SUM(id <= ?), 0) AS "done!: i64"
               FROM reports WHERE project_id = ?"#,
            after_id,
            project_id
        )
        .fetch_one(pool)
        .await?;
        let (mut done, total) = (counts.done as u64, counts.total as u64);
        let resumed_at = done;
        index.set_rebuild(Some((done, total)));
        let outcome = {
            let index = index.clone();
            async move {
                loop {
                    let rows = sqlx::query!(
                        r#"SELECT id AS "id!", report_text FROM reports
                       WHERE project_id = ? AND id > ? AND revision <= ? ORDER BY id LIMIT ?"#,
                        project_id,
                        after_id,
                        start_revision,
                        CATCH_UP_BATCH as i64
                    )
                    .fetch_all(pool)
                    .await?;
                    let Some(last) = rows.last() else { break };
                    after_id = last.id;
                    done += rows.len() as u64;
                    let texts: Vec<(i64, String)> =
                        rows.into_iter().map(|r| (r.id, r.report_text)).collect();
                    let store = store.clone();
                    tokio::task::spawn_blocking(move || {
                        store.add(&texts)?;
                        store.commit(start_revision, Some(after_id))
                    })
                    .await
                    .map_err(join_error)??;
                    index.set_rebuild(Some((done.min(total), total)));
                }
                // What arrived meanwhile, with the index held so that nothing is added in between.
                let held = index.catching_up.clone().lock_owned().await;
                let target = sqlx::query_scalar!(
                    "SELECT report_revision FROM projects WHERE id = ?",
                    project_id
                )
                .fetch_one(pool)
                .await?;
                let rows = sqlx::query!(
                    r#"SELECT id AS "id!", report_text FROM reports
                   WHERE project_id = ? AND revision > ? ORDER BY id"#,
                    project_id,
                    start_revision
                )
                .fetch_all(pool)
                .await?;
                let texts: Vec<(i64, String)> =
                    rows.into_iter().map(|r| (r.id, r.report_text)).collect();
                done += texts.len() as u64;
                let index_now = index.clone();
                tokio::task::spawn_blocking(move || -> Result<()> {
                    let _held = held;
                    store.add(&texts)?;
                    store.commit(target.max(start_revision), None)?;
                    let mut store = Arc::into_inner(store)
                        .ok_or_else(|| Error::Internal("word statuses still in use".into()))?;
                    store.rename(&index_now.dir.join(STATUSES))?;
                    index_now.set_statuses(store);
                    Ok(())
                })
                .await
                .map_err(join_error)??;
                Ok(done - resumed_at)
            }
        };
        let result = outcome.await;
        index.set_rebuild(None);
        result.map(Some)
    }
}

/// A report to catch up with, and the revision it was written under.
struct Revised {
    row: Row,
    revision: i64,
}

/// Reads the reports with these ids (in their order) that were written after revision `from`,
/// up to `target`.
async fn catch_up_batch(
    pool: &SqlitePool,
    ids: &[i64],
    from: i64,
    target: i64,
) -> Result<Vec<Revised>> {
    let wanted = serde_json::to_string(ids).map_err(|error| Error::Internal(error.to_string()))?;
    // CROSS JOIN keeps SQLite looking the reports up by id, in the order of `ids`.
    let rows = sqlx::query!(
        r#"SELECT r.id AS "id!", r.revision, r.report_text, r.exam_code, r.modality, r.body_part,
                  r.study_date
           FROM json_each(?) AS wanted CROSS JOIN reports r ON r.id = wanted.value
           WHERE r.revision > ? AND r.revision <= ?"#,
        wanted,
        from,
        target
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Revised {
            revision: r.revision,
            row: Row {
                id: r.id,
                text: r.report_text,
                exam_code: r.exam_code,
                modality: r.modality,
                body_part: r.body_part,
                study_date: r.study_date,
            },
        })
        .collect())
}

pub(super) fn join_error(error: tokio::task::JoinError) -> Error {
    Error::Internal(format!("indexing task failed: {error}"))
}

/// A report as indexed.
pub(super) struct Row {
    pub(super) id: i64,
    pub(super) text: String,
    pub(super) exam_code: String,
    pub(super) modality: String,
    pub(super) body_part: String,
    pub(super) study_date: String,
}

impl ProjectIndex {
    /// Adds (or replaces) reports; they become searchable at the next commit.
    /// Reports for which `may_be_indexed` holds may have an earlier version in the index, which is
    /// deleted first; for the others a delete would only queue up memory until the commit.
    pub(super) fn add(
        &self,
        rows: Vec<Row>,
        mut may_be_indexed: impl FnMut(i64) -> bool,
    ) -> Result<()> {
        let writer = self
            .writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        self.uncommitted.store(true, Ordering::SeqCst);
        let f = &self.fields;
        for row in rows {
            if may_be_indexed(row.id) {
                writer.delete_term(Term::from_field_u64(f.report_id, row.id as u64));
            }
            let mut document = TantivyDocument::new();
            document.add_u64(f.report_id, row.id as u64);
            document.add_text(f.text, &row.text);
            document.add_text(f.exam_code, row.exam_code.to_uppercase());
            document.add_text(f.modality, row.modality.to_uppercase());
            document.add_text(f.body_part, row.body_part.to_uppercase());
            document.add_u64(f.study_day, study_day(&row.study_date).unwrap_or(0));
            writer.add_document(document).map_err(index_error)?;
        }
        Ok(())
    }

    /// Commits what was added, recording the revision now indexed, and makes it searchable.
    pub(super) fn commit(&self, revision: i64) -> Result<()> {
        let mut writer = self
            .writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut prepared = writer.prepare_commit().map_err(index_error)?;
        prepared.set_payload(&revision.to_string());
        prepared.commit().map_err(index_error)?;
        self.uncommitted.store(false, Ordering::SeqCst);
        drop(writer);
        self.reader.reload().map_err(index_error)
    }

    /// Merges the segments a bulk indexing leaves into one per core, of about equal size: searches
    /// then run one thread per segment, and a phrase over a million reports takes half the time.
    pub(super) fn merge_segments(&self) -> Result<()> {
        let mut metas = self.index.searchable_segment_metas().map_err(index_error)?;
        let parts = search_threads();
        if metas.len() <= parts {
            return Ok(());
        }
        metas.sort_by_key(|meta| std::cmp::Reverse(meta.num_docs()));
        let mut bins: Vec<(u32, Vec<tantivy::index::SegmentId>)> = vec![(0, Vec::new()); parts];
        for meta in metas {
            let lightest = bins
                .iter_mut()
                .min_by_key(|(docs, _)| *docs)
                .expect("at least one part");
            lightest.0 += meta.num_docs();
            lightest.1.push(meta.id());
        }
        let mut writer = self
            .writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let merges: Vec<_> = bins
            .iter()
            .filter(|(_, ids)| ids.len() > 1)
            .map(|(_, ids)| writer.merge(ids))
            .collect();
        drop(writer);
        for merge in merges {
            merge.wait().map_err(index_error)?;
        }
        let writer = self
            .writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        writer.garbage_collect_files().wait().map_err(index_error)?;
        drop(writer);
        self.reader.reload().map_err(index_error)
    }

    /// Drops what was added to the index and the word statuses since their last commits.
    pub(super) fn rollback(&self) -> Result<()> {
        self.writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .rollback()
            .map_err(index_error)?;
        if let Some(store) = self.statuses() {
            store.rollback()?;
        }
        self.uncommitted.store(false, Ordering::SeqCst);
        Ok(())
    }

    /// Deletes every document and resets the revision to 0.
    fn clear(&self) -> Result<()> {
        let writer = self
            .writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        writer.delete_all_documents().map_err(index_error)?;
        drop(writer);
        self.commit(0)
    }
}
