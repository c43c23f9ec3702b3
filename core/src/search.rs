//! Full-text search over a project's reports: one Tantivy index per project, derived from the
//! database and rebuilt from it whenever in doubt.
//!
//! The index records, in its commit payload, the project's report revision it has caught up to;
//! `catch_up` indexes the reports written since, so an import whose index commit never happened (a
//! crash between the two commits) is repaired at the next start. An index that cannot be opened is
//! deleted and rebuilt. Only the text is indexed (with positions, for phrases); snippets are cut
//! from the texts in the database, which keeps the index small.

use std::collections::HashMap;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use roaring::RoaringBitmap;
use serde::Serialize;
use sqlx::SqlitePool;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::query::{PhrasePrefixQuery, PhraseQuery};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, INDEXED, STRING,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

pub mod highlight;
pub mod query;

pub use highlight::{Fragment, Highlighter};

use crate::labeling::phrase::Phrase;
use crate::labeling::text::{SieveTokenizer, TOKENIZER};
use crate::projects::index_dir;
use crate::{Error, Result};
use query::SearchText;

/// Memory the index writer may use before it flushes a segment (split over its threads).
const WRITER_MEMORY: usize = 128 * 1024 * 1024;
/// Threads a search may use (one per segment), and so the segments a bulk indexing is merged into.
fn search_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |cores| cores.get())
        .min(4)
}

/// After indexing this many reports at once, the segments are merged (see `merge_segments`).
const MERGE_AFTER: u64 = 50_000;
/// Reports read from the database per indexing step.
const CATCH_UP_BATCH: i64 = 5_000;

struct Fields {
    report_id: Field,
    text: Field,
    exam_code: Field,
    modality: Field,
    body_part: Field,
    /// The study date as the number YYYYMMDD, for range filters.
    study_day: Field,
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let fields = Fields {
        report_id: builder.add_u64_field("report_id", INDEXED | FAST),
        text: builder.add_text_field(
            "text",
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(TOKENIZER)
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            ),
        ),
        exam_code: builder.add_text_field("exam_code", STRING),
        modality: builder.add_text_field("modality", STRING),
        body_part: builder.add_text_field("body_part", STRING),
        study_day: builder.add_u64_field("study_day", INDEXED | FAST),
    };
    (builder.build(), fields)
}

/// A filter over a project's studies: the saved part of a cohort, and what the search page sends.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Filter {
    /// The search box as typed: words (all must match), "quoted phrases", `*` endings, OR,
    /// -excluded; read by [`SearchText::parse`] as rules read phrases.
    pub text: String,
    /// First and last study day, `YYYY-MM-DD`, inclusive.
    pub date_from: Option<String>,
    pub date_to: Option<String>,
    pub exam_codes: Vec<String>,
    pub modalities: Vec<String>,
    pub body_parts: Vec<String>,
}

impl Filter {
    /// The first and last study days as numbers YYYYMMDD (`None`: open), checked: each a real date
    /// and the first not after the last. Errors name the field as the search page labels it.
    pub fn study_days(&self) -> Result<(Option<u64>, Option<u64>)> {
        let read = |date: &Option<String>, name: &str| -> Result<Option<u64>> {
            match date.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
                None => Ok(None),
                Some(date) => study_day(date).map(Some).ok_or_else(|| {
                    Error::Invalid(format!(
                        "“{date}” in “{name}” is not a date: write it as 2024-03-31."
                    ))
                }),
            }
        };
        let first = read(&self.date_from, "Studies from")?;
        let last = read(&self.date_to, "to")?;
        if let (Some(first), Some(last)) = (first, last) {
            if first > last {
                return Err(Error::Invalid(format!(
                    "The dates are reversed: studies from {} to {} is an empty range. Swap the two dates.",
                    self.date_from.as_deref().unwrap_or_default().trim(),
                    self.date_to.as_deref().unwrap_or_default().trim()
                )));
            }
        }
        Ok((first, last))
    }
}

/// A filter as a person types it: lists comma-separated, an empty field meaning "any".
#[derive(Debug, Clone, Copy, Default)]
pub struct TypedFilter<'a> {
    pub text: &'a str,
    pub date_from: &'a str,
    pub date_to: &'a str,
    pub exam_codes: &'a str,
    pub modalities: &'a str,
    pub body_parts: &'a str,
}

impl From<TypedFilter<'_>> for Filter {
    fn from(typed: TypedFilter<'_>) -> Filter {
        let list = |text: &str| {
            text.split(',')
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let day = |text: &str| Some(text.trim().to_string()).filter(|day| !day.is_empty());
        Filter {
            text: typed.text.to_string(),
            date_from: day(typed.date_from),
            date_to: day(typed.date_to),
            exam_codes: list(typed.exam_codes),
            modalities: list(typed.modalities),
            body_parts: list(typed.body_parts),
        }
    }
}

/// One page of matching reports, best first, and how many match in all.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hits {
    pub total: usize,
    pub report_ids: Vec<i64>,
}

/// A result's place among the others: how many there are, and the reports before and after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Neighbours {
    pub total: usize,
    pub previous: Option<i64>,
    pub next: Option<i64>,
}

/// The index of one project.
pub struct ProjectIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    /// Held for a whole catch-up: two at once (the background indexer and an import's own) would
    /// both read the same indexed revision and add the same new reports twice.
    catching_up: tokio::sync::Mutex<()>,
}

impl ProjectIndex {
    /// Opens the index in `dir`, or creates an empty one; an index that cannot be opened is removed
    /// and created anew (the database still has every report).
    fn open(dir: &Path) -> Result<ProjectIndex> {
        std::fs::create_dir_all(dir)?;
        let (schema, fields) = schema();
        let mut index = match dir.join("meta.json").exists() {
            false => Index::create_in_dir(dir, schema).map_err(index_error)?,
            true => Self::open_or_replace(dir, schema)?,
        };
        let writer = index.writer(WRITER_MEMORY).map_err(|error| match error {
            tantivy::TantivyError::LockFailure(..) => Error::Invalid(format!(
                "the search index {} is in use by another Sieve process (is the server running?)",
                dir.display()
            )),
            other => index_error(other),
        })?;
        index.tokenizers().register(TOKENIZER, SieveTokenizer);
        index
            .set_multithread_executor(search_threads())
            .map_err(index_error)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(index_error)?;
        Ok(ProjectIndex {
            index,
            reader,
            writer: Mutex::new(writer),
            fields,
            catching_up: tokio::sync::Mutex::new(()),
        })
    }

    fn open_or_replace(dir: &Path, schema: Schema) -> Result<Index> {
        let index = match Index::open_in_dir(dir) {
            Ok(index) if index.schema() == schema => index,
            Ok(_)
            | Err(tantivy::TantivyError::OpenDirectoryError(_))
            | Err(tantivy::TantivyError::OpenReadError(_))
            | Err(tantivy::TantivyError::DataCorruption(_))
            | Err(tantivy::TantivyError::IncompatibleIndex(_)) => {
                tracing::warn!(dir = %dir.display(), "search index unreadable or outdated: rebuilding it from the database");
                std::fs::remove_dir_all(dir)?;
                std::fs::create_dir_all(dir)?;
                Index::create_in_dir(dir, schema).map_err(index_error)?
            }
            Err(error) => return Err(index_error(error)),
        };
        Ok(index)
    }

    /// Returns the highest report id in the index, if it holds any report.
    fn highest_report_id(&self) -> Result<Option<i64>> {
        let searcher = self.reader.searcher();
        let mut highest = None;
        for segment in searcher.segment_readers() {
            if segment.num_docs() == 0 {
                continue;
            }
            let ids = segment
                .fast_fields()
                .u64("report_id")
                .map_err(index_error)?;
            highest = highest.max(Some(ids.max_value() as i64));
        }
        Ok(highest)
    }

    /// Returns the report revision the index has caught up to.
    pub fn revision(&self) -> Result<i64> {
        let metas = self.index.load_metas().map_err(index_error)?;
        Ok(metas
            .payload
            .and_then(|payload| payload.parse().ok())
            .unwrap_or(0))
    }

    /// Returns one page of the reports that match `filter`, best first.
    pub fn search(&self, filter: &Filter, offset: usize, limit: usize) -> Result<Hits> {
        let query = self.query(filter)?;
        let searcher = self.reader.searcher();
        // An offset past the last document can only give an empty page: clamped, it cannot size
        // the top-k heap beyond the index (a huge page number once aborted the process).
        let offset = offset.min(searcher.num_docs() as usize);
        let collector = (Count, TopDocs::with_limit(limit.max(1)).and_offset(offset));
        let (total, top) = searcher.search(&query, &collector).map_err(index_error)?;
        // Ids come from the fast field (a column read), not from the stored documents.
        let mut columns = HashMap::new();
        let mut report_ids = Vec::with_capacity(top.len());
        for (_, address) in top {
            let column = match columns.entry(address.segment_ord) {
                std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
                std::collections::hash_map::Entry::Vacant(entry) => {
                    let segment = searcher.segment_reader(address.segment_ord);
                    entry.insert(
                        segment
                            .fast_fields()
                            .u64("report_id")
                            .map_err(index_error)?,
                    )
                }
            };
            if let Some(id) = column.first(address.doc_id) {
                report_ids.push(id as i64);
            }
        }
        Ok(Hits { total, report_ids })
    }

    /// Returns how many reports match `filter` and the reports just before and after `position`
    /// in its results, with one search.
    pub fn neighbours(&self, filter: &Filter, position: usize) -> Result<Neighbours> {
        let hits = self.search(filter, position.saturating_sub(1), 3)?;
        let (previous, next_at) = match position {
            0 => (None, 1),
            _ => (hits.report_ids.first().copied(), 2),
        };
        Ok(Neighbours {
            total: hits.total,
            previous,
            next: hits.report_ids.get(next_at).copied(),
        })
    }

    /// The exam codes, modalities and body parts of the project's studies (each sorted, at most
    /// [`MAX_CHOICES`]), read from the index's term lists (no scan of the reports).
    pub fn choices(&self) -> Result<Choices> {
        let searcher = self.reader.searcher();
        let values = |field: Field| -> Result<Vec<String>> {
            let mut found = std::collections::BTreeSet::new();
            for segment in searcher.segment_readers() {
                let terms = segment.inverted_index(field).map_err(index_error)?;
                let mut stream = terms.terms().stream()?;
                while stream.advance() && found.len() < MAX_CHOICES {
                    found.insert(String::from_utf8_lossy(stream.key()).into_owned());
                }
            }
            Ok(found.into_iter().collect())
        };
        Ok(Choices {
            exam_codes: values(self.fields.exam_code)?,
            modalities: values(self.fields.modality)?,
            body_parts: values(self.fields.body_part)?,
        })
    }

    /// Checks that every exam code, modality and body part `filter` names is one the project has;
    /// the error lists those it has, so a typo is not a silent empty result.
    pub fn check_choices(&self, filter: &Filter) -> Result<()> {
        // Most searches name no exam code, modality or body part: no term lists to read.
        if filter.exam_codes.is_empty()
            && filter.modalities.is_empty()
            && filter.body_parts.is_empty()
        {
            return Ok(());
        }
        let choices = self.choices()?;
        for (name, typed, known) in [
            ("exam code", &filter.exam_codes, &choices.exam_codes),
            ("modality", &filter.modalities, &choices.modalities),
            ("body part", &filter.body_parts, &choices.body_parts),
        ] {
            let unknown = typed.iter().map(|v| v.trim()).find(|value| {
                !value.is_empty() && !known.iter().any(|k| k.eq_ignore_ascii_case(value))
            });
            if let Some(value) = unknown {
                return Err(Error::Invalid(format!(
                    "No study of this project has the {name} “{value}”. Its studies have: {}.",
                    known.join(", ")
                )));
            }
        }
        Ok(())
    }

    /// Returns how many reports match `filter`.
    pub fn count(&self, filter: &Filter) -> Result<usize> {
        let query = self.query(filter)?;
        self.reader
            .searcher()
            .search(&query, &Count)
            .map_err(index_error)
    }

    /// Returns the reports that match `filter`, as a set of report ids.
    pub fn matching(&self, filter: &Filter) -> Result<RoaringBitmap> {
        let query = self.query(filter)?;
        self.collect_ids(&*query)
    }

    /// Returns the reports in which `phrase` occurs (its words in a row, within a sentence).
    pub fn phrase_matches(&self, phrase: &Phrase) -> Result<RoaringBitmap> {
        self.collect_ids(&*self.phrase_query(phrase))
    }

    /// The query for a phrase, the one definition for rules and the search box: its words in a
    /// row (the index leaves a gap between sentences), the last one any word it begins when
    /// `prefix`.
    fn phrase_query(&self, phrase: &Phrase) -> Box<dyn Query> {
        let term = |word: &String| Term::from_field_text(self.fields.text, word);
        let terms: Vec<Term> = phrase.words.iter().map(term).collect();
        match (phrase.prefix, terms.len()) {
            (false, 1) => Box::new(TermQuery::new(terms[0].clone(), IndexRecordOption::Basic)),
            (false, _) => Box::new(PhraseQuery::new(terms)),
            (true, _) => {
                let mut query = PhrasePrefixQuery::new(terms);
                // Every word the prefix stands for, as the offline labeler would match it.
                query.set_max_expansions(MAX_PREFIX_EXPANSIONS);
                Box::new(query)
            }
        }
    }

    fn collect_ids(&self, query: &dyn Query) -> Result<RoaringBitmap> {
        self.reader
            .searcher()
            .search(query, &ReportIds)
            .map_err(index_error)
    }

    /// Returns what cuts texts into fragments with the phrases of `filter.text` highlighted.
    /// `max_chars` bounds a snippet's length; `None` keeps the whole text.
    pub fn highlighter(&self, filter: &Filter, max_chars: Option<usize>) -> Result<Highlighter> {
        let search = SearchText::parse(&filter.text)?;
        Ok(Highlighter::new(search.wanted().cloned(), max_chars))
    }

    /// The query for the search box's text; `None` when nothing was typed.
    fn text_query(&self, text: &str) -> Result<Option<Box<dyn Query>>> {
        let search = SearchText::parse(text)?;
        if search.clauses.is_empty() {
            return Ok(None);
        }
        let all_of = |mut queries: Vec<Box<dyn Query>>, occur: Occur| -> Box<dyn Query> {
            match queries.len() {
                1 => queries.remove(0),
                _ => Box::new(BooleanQuery::new(
                    queries.into_iter().map(|q| (occur, q)).collect(),
                )),
            }
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = search
            .clauses
            .iter()
            .map(|clause| {
                let alternatives = clause
                    .alternatives
                    .iter()
                    .map(|alternative| {
                        let phrases = alternative.phrases.iter();
                        all_of(phrases.map(|p| self.phrase_query(p)).collect(), Occur::Must)
                    })
                    .collect();
                let occur = match clause.excluded {
                    true => Occur::MustNot,
                    false => Occur::Must,
                };
                (occur, all_of(alternatives, Occur::Should))
            })
            .collect();
        // Only exclusions: every report but those.
        if clauses.iter().all(|(occur, _)| *occur == Occur::MustNot) {
            clauses.push((Occur::Must, Box::new(AllQuery)));
        }
        Ok(Some(Box::new(BooleanQuery::new(clauses))))
    }

    fn query(&self, filter: &Filter) -> Result<Box<dyn Query>> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if let Some(text) = self.text_query(&filter.text)? {
            clauses.push((Occur::Must, text));
        }
        for (field, values) in [
            (self.fields.exam_code, &filter.exam_codes),
            (self.fields.modality, &filter.modalities),
            (self.fields.body_part, &filter.body_parts),
        ] {
            if let Some(any_of) = any_of(field, values) {
                clauses.push((Occur::Must, any_of));
            }
        }
        let (first, last) = filter.study_days()?;
        let day = |day: Option<u64>| match day {
            None => Bound::Unbounded,
            Some(day) => Bound::Included(Term::from_field_u64(self.fields.study_day, day)),
        };
        let (from, to) = (day(first), day(last));
        if !matches!((&from, &to), (Bound::Unbounded, Bound::Unbounded)) {
            clauses.push((Occur::Must, Box::new(RangeQuery::new(from, to))));
        }
        Ok(match clauses.is_empty() {
            true => Box::new(AllQuery),
            false => Box::new(BooleanQuery::new(clauses)),
        })
    }
}

fn any_of(field: Field, values: &[String]) -> Option<Box<dyn Query>> {
    let terms: Vec<(Occur, Box<dyn Query>)> = values
        .iter()
        .map(|value| value.trim().to_uppercase())
        .filter(|value| !value.is_empty())
        .map(|value| {
            let term = TermQuery::new(
                Term::from_field_text(field, &value),
                IndexRecordOption::Basic,
            );
            (Occur::Should, Box::new(term) as Box<dyn Query>)
        })
        .collect();
    (!terms.is_empty()).then(|| Box::new(BooleanQuery::new(terms)) as Box<dyn Query>)
}

/// How many indexed words a trailing wildcard may stand for.
const MAX_PREFIX_EXPANSIONS: u32 = 1_000_000;

/// Collects the report ids of matching documents (from the fast field), without scoring.
struct ReportIds;

struct SegmentReportIds {
    ids: tantivy::columnar::Column<u64>,
    found: RoaringBitmap,
}

impl Collector for ReportIds {
    type Fruit = RoaringBitmap;
    type Child = SegmentReportIds;

    fn for_segment(
        &self,
        _segment: tantivy::SegmentOrdinal,
        reader: &tantivy::SegmentReader,
    ) -> tantivy::Result<SegmentReportIds> {
        Ok(SegmentReportIds {
            ids: reader.fast_fields().u64("report_id")?,
            found: RoaringBitmap::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<RoaringBitmap>) -> tantivy::Result<RoaringBitmap> {
        Ok(fruits
            .into_iter()
            .fold(RoaringBitmap::new(), |all, f| all | f))
    }
}

impl SegmentCollector for SegmentReportIds {
    type Fruit = RoaringBitmap;

    fn collect(&mut self, doc: tantivy::DocId, _score: tantivy::Score) {
        if let Some(id) = self.ids.first(doc) {
            self.found.insert(id as u32);
        }
    }

    fn harvest(self) -> RoaringBitmap {
        self.found
    }
}

/// Reads `YYYY-MM-DD` as the number YYYYMMDD (a real calendar day).
fn study_day(date: &str) -> Option<u64> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let day = time::Date::parse(date.trim(), format).ok()?;
    let year = u64::try_from(day.year()).ok()?;
    Some(year * 10_000 + u64::from(u8::from(day.month())) * 100 + u64::from(day.day()))
}

fn index_error(error: tantivy::TantivyError) -> Error {
    Error::Internal(format!("search index: {error}"))
}

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

    /// Indexes the reports written since the index's revision and commits; returns how many.
    /// `progress` gets (indexed so far, to index in all).
    pub async fn catch_up(
        &self,
        pool: &SqlitePool,
        project_id: i64,
        progress: impl Fn(u64, u64),
    ) -> Result<u64> {
        let index = self.get(project_id)?;
        let _one_at_a_time = index.catching_up.lock().await;
        let indexed_revision = index.revision()?;
        let target = sqlx::query_scalar!(
            "SELECT report_revision FROM projects WHERE id = ?",
            project_id
        )
        .fetch_optional(pool)
        .await?
        .ok_or_else(|| Error::NotFound(format!("project {project_id}")))?;
        if target <= indexed_revision {
            return Ok(0);
        }
        let to_index = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "count!: i64" FROM reports WHERE project_id = ? AND revision > ?"#,
            project_id,
            indexed_revision
        )
        .fetch_one(pool)
        .await? as u64;
        // Reports above the highest id already indexed are new: no earlier version to delete.
        let highest_indexed = index.highest_report_id()?;
        let mut done = 0u64;
        let mut after_id = 0i64;
        loop {
            let rows = sqlx::query!(
                r#"SELECT id AS "id!", report_text, exam_code, modality, body_part, study_date FROM reports
                   WHERE project_id = ? AND revision > ? AND revision <= ? AND id > ? ORDER BY id LIMIT ?"#,
                project_id,
                indexed_revision,
                target,
                after_id,
                CATCH_UP_BATCH
            )
            .fetch_all(pool)
            .await?;
            let Some(last) = rows.last() else { break };
            after_id = last.id;
            let documents: Vec<Row> = rows
                .into_iter()
                .map(|r| Row {
                    id: r.id,
                    text: r.report_text,
                    exam_code: r.exam_code,
                    modality: r.modality,
                    body_part: r.body_part,
                    study_date: r.study_date,
                })
                .collect();
            done += documents.len() as u64;
            let index = index.clone();
            tokio::task::spawn_blocking(move || index.add(documents, highest_indexed))
                .await
                .map_err(join_error)??;
            progress(done, to_index);
        }
        let index_for_commit = index.clone();
        let bulk = done >= MERGE_AFTER;
        tokio::task::spawn_blocking(move || {
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

    /// Throws a project's index away and indexes every report again.
    pub async fn rebuild(
        &self,
        pool: &SqlitePool,
        project_id: i64,
        progress: impl Fn(u64, u64),
    ) -> Result<u64> {
        let index = self.get(project_id)?;
        let cleared = index.clone();
        tokio::task::spawn_blocking(move || cleared.clear())
            .await
            .map_err(join_error)??;
        self.catch_up(pool, project_id, progress).await
    }
}

fn join_error(error: tokio::task::JoinError) -> Error {
    Error::Internal(format!("indexing task failed: {error}"))
}

/// A report as indexed.
struct Row {
    id: i64,
    text: String,
    exam_code: String,
    modality: String,
    body_part: String,
    study_date: String,
}

impl ProjectIndex {
    /// Adds (or replaces) reports; they become searchable at the next commit.
    /// Reports up to `highest_indexed` may have an earlier version in the index, which is deleted
    /// first; for the others a delete would only queue up memory until the commit.
    fn add(&self, rows: Vec<Row>, highest_indexed: Option<i64>) -> Result<()> {
        let writer = self
            .writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let f = &self.fields;
        for row in rows {
            if highest_indexed.is_some_and(|highest| row.id <= highest) {
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
    fn commit(&self, revision: i64) -> Result<()> {
        let mut writer = self
            .writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut prepared = writer.prepare_commit().map_err(index_error)?;
        prepared.set_payload(&revision.to_string());
        prepared.commit().map_err(index_error)?;
        drop(writer);
        self.reader.reload().map_err(index_error)
    }

    /// Merges the segments a bulk indexing leaves into one per core, of about equal size: searches
    /// then run one thread per segment, and a phrase over a million reports takes half the time.
    fn merge_segments(&self) -> Result<()> {
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

/// The values a filter may name, as the project's studies have them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Choices {
    pub exam_codes: Vec<String>,
    pub modalities: Vec<String>,
    pub body_parts: Vec<String>,
}

/// Values listed per filter at most (a project with more exam codes lists the first, sorted).
pub const MAX_CHOICES: usize = 500;

/// A page of search results: each report with its highlighted snippet.
#[derive(Debug, Clone, Serialize)]
pub struct ResultPage {
    pub total: usize,
    pub results: Vec<(crate::reports::Report, Vec<Fragment>)>,
}

/// How long a result's snippet may be, in characters.
pub const SNIPPET_CHARS: usize = 240;

/// Searches a project's reports and returns one page of them with snippets, recording the search
/// in the audit log (what was asked, and how many reports it showed).
pub async fn search_reports(
    pool: &SqlitePool,
    indexes: &Indexes,
    project_id: i64,
    filter: &Filter,
    offset: usize,
    limit: usize,
    actor: &str,
) -> Result<ResultPage> {
    let index = indexes.get(project_id)?;
    let hits = {
        let (index, filter) = (index.clone(), filter.clone());
        tokio::task::spawn_blocking(move || {
            index.check_choices(&filter)?;
            index.search(&filter, offset, limit)
        })
        .await
        .map_err(join_error)??
    };
    let reports = crate::reports::find_many(pool, project_id, &hits.report_ids).await?;
    let highlighter = index.highlighter(filter, Some(SNIPPET_CHARS))?;
    let results: Vec<_> = reports
        .into_iter()
        .map(|report| {
            let fragments = highlighter.fragments(&report.report_text);
            (report, fragments)
        })
        .collect();
    let event = crate::audit::NewEvent {
        actor: Some(actor),
        project_id: Some(project_id),
        object: None,
        detail: Some(format!(
            "{:?} → {} of {} reports",
            filter.text,
            results.len(),
            hits.total
        )),
    };
    crate::audit::record(pool, crate::audit::Action::ReportsSearched, event).await?;
    Ok(ResultPage {
        total: hits.total,
        results,
    })
}

/// Returns one report with the words of `filter` highlighted over its whole text, recording the view.
pub async fn view_report(
    pool: &SqlitePool,
    indexes: &Indexes,
    project_id: i64,
    report_id: i64,
    filter: &Filter,
    actor: &str,
) -> Result<(crate::reports::Report, Vec<Fragment>)> {
    let report = crate::reports::find(pool, project_id, report_id).await?;
    let fragments = indexes
        .get(project_id)?
        .highlighter(filter, None)?
        .fragments(&report.report_text);
    let event = crate::audit::NewEvent {
        actor: Some(actor),
        project_id: Some(project_id),
        object: Some(format!("report:{report_id}")),
        detail: None,
    };
    crate::audit::record(pool, crate::audit::Action::ReportViewed, event).await?;
    Ok((report, fragments))
}
