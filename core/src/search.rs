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
use std::sync::{Arc, Mutex, RwLock};

use roaring::RoaringBitmap;
use serde::Serialize;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::query::{PhrasePrefixQuery, PhraseQuery};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, INDEXED, STRING,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Term};

mod alongside;
mod collect;
mod filter;
pub mod highlight;
mod mentions;
pub mod query;
mod registry;
mod services;
pub mod statuses;

pub use alongside::Alongside;
use collect::ReportIds;
use filter::study_day;
pub use filter::{Filter, TypedFilter};
pub use highlight::{Fragment, Highlighter};
use registry::join_error;
pub use registry::Indexes;
pub use services::{search_reports, view_report, ResultPage, SNIPPET_CHARS};

use crate::labeling::phrase::Phrase;
use crate::labeling::text::{SieveTokenizer, TOKENIZER};
use crate::projects::index_dir;
use crate::{Error, Result};
use query::SearchText;
use statuses::StatusStore;

/// Memory the index writer may use before it flushes a segment (split over its threads): an
/// import of a million reports stays under 512 MiB resident with it.
const WRITER_MEMORY: usize = 64 * 1024 * 1024;
/// Threads a search may use (one per segment), and so the segments a bulk indexing is merged into.
fn search_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |cores| cores.get())
        .min(4)
}

/// After indexing this many reports at once, the segments are merged (see `merge_segments`).
const MERGE_AFTER: u64 = 50_000;
/// Reports read from the database per indexing step.
const CATCH_UP_BATCH: usize = 5_000;

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
    catching_up: Arc<tokio::sync::Mutex<()>>,
    dir: PathBuf,
    /// The word statuses of the indexed reports (none before the first catch-up).
    statuses: RwLock<Option<Arc<StatusStore>>>,
    /// Held while the word statuses are read again under new text settings.
    rebuilding: tokio::sync::Mutex<()>,
    /// That rebuild's progress: (reports read, reports in all).
    rebuild: Mutex<Option<(u64, u64)>>,
    /// Set while reports were added to the index or the word statuses and not yet committed: a
    /// catch-up or an import that stopped part way (a closed browser tab drops its request) leaves
    /// them so, and the next one to hold the index rolls them back before it adds anything.
    uncommitted: std::sync::atomic::AtomicBool,
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
            catching_up: Arc::new(tokio::sync::Mutex::new(())),
            dir: dir.to_path_buf(),
            statuses: RwLock::new(StatusStore::open(&dir.join(registry::STATUSES))?.map(Arc::new)),
            rebuilding: tokio::sync::Mutex::new(()),
            rebuild: Mutex::new(None),
            uncommitted: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// The word statuses of the indexed reports, as last caught up.
    pub fn statuses(&self) -> Option<Arc<StatusStore>> {
        self.statuses
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    fn set_statuses(&self, store: StatusStore) -> Arc<StatusStore> {
        let store = Arc::new(store);
        *self
            .statuses
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(store.clone());
        store
    }

    /// While the word statuses are read again under new text settings: (reports read so far,
    /// reports in all).
    pub fn status_rebuild(&self) -> Option<(u64, u64)> {
        *self
            .rebuild
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn set_rebuild(&self, progress: Option<(u64, u64)>) {
        *self
            .rebuild
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = progress;
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

    /// How many reports the index holds.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
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
        // Tantivy's phrase-prefix scorer reads the positions of every report having the words
        // before the prefix ("no" of `no effusion*`: nearly every report) before it looks at the
        // prefix; the leapfrog of `phrase_mentions` reads positions only where every word occurs.
        if phrase.prefix && phrase.words.len() > 1 {
            let mut found = RoaringBitmap::new();
            self.phrase_mentions(phrase, |id, _| {
                found.insert(id);
            })?;
            return Ok(found);
        }
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

fn index_error(error: tantivy::TantivyError) -> Error {
    Error::Internal(format!("search index: {error}"))
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
