//! The soft labels of a project's questions, computed from the search index.
//!
//! Each rule's matches (a bitmap of report ids per label) are computed once and kept in a
//! [`MatchCache`] keyed by what decides them — the phrase, negation mode, sections and labels, the
//! project's text settings when the rule reads them, and the index revision — so a reorder, an
//! enable/disable or a deletion only redoes the bitmap algebra of [`crate::labeling::priority`].
//! A rule that reads negation or sections takes its candidates from the index and reads only their
//! texts, with the same engine as the offline labeler.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use roaring::RoaringBitmap;
use sqlx::SqlitePool;

use crate::labeling::phrase::Phrase;
use crate::labeling::priority::{self, Resolution, RuleMatches};
use crate::labeling::{Labeler, Rule, RuleBook, TextSettings};
use crate::questions::{self, Question, RuleSet};
use crate::search::{Filter, Indexes, ProjectIndex};
use crate::{Error, Result};

mod preview;

pub use preview::{Preview, RuleReports};

/// Entries the cache holds before it starts afresh (each is a few bitmaps).
const CACHE_ENTRIES: usize = 20_000;
/// Texts read from the database per step when checking candidates.
const TEXT_BATCH: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    project_id: i64,
    revision: i64,
    /// The rule without its enabled flag, as JSON, plus the settings when it reads them.
    rule: String,
}

/// Rule matches and cohorts computed so far, shared by every request; and the labelers that
/// highlight a rule's mentions in a served study.
#[derive(Default)]
pub struct MatchCache {
    rules: Mutex<HashMap<Key, Arc<RuleMatches>>>,
    cohorts: Mutex<HashMap<Key, Arc<RoaringBitmap>>>,
    highlighters: Mutex<HashMap<HighlightKey, Arc<Labeler>>>,
}

/// A highlighter is built for one rule (by phrase) of one version of a question's rules, under
/// the project's text settings (as stored, JSON).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct HighlightKey {
    question_id: i64,
    version: i64,
    settings: Option<String>,
    phrase: String,
    soft_label: Option<String>,
}

/// Highlighters kept at most; past it they are all dropped (old rule versions pile up otherwise).
const MAX_HIGHLIGHTERS: usize = 1_000;

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The key of a rule's matches; `settings` is the project's text settings as JSON, which only the
/// rules that read the text depend on.
fn rule_key(project_id: i64, revision: i64, rule: &Rule, settings: &str) -> Key {
    let mut rule = rule.clone();
    rule.enabled = true;
    let mut text = serde_json::to_string(&rule).expect("rules serialise");
    if rule.needs_text() {
        text.push_str(settings);
    }
    Key {
        project_id,
        revision,
        rule: text,
    }
}

/// The soft labels of one version of a question's rules, with the figures behind them.
pub struct Labels {
    pub question: Question,
    pub rules: RuleSet,
    pub cohort: Arc<RoaringBitmap>,
    pub matches: Vec<Arc<RuleMatches>>,
    pub resolution: Resolution,
}

/// Everything a computation needs.
pub struct Context<'a> {
    pub pool: &'a SqlitePool,
    pub indexes: &'a Indexes,
    pub cache: &'a MatchCache,
}

impl Context<'_> {
    /// Resolves the soft labels of `rules` (a version of the question's rules, or a draft).
    pub async fn labels(&self, question: &Question, rules: RuleSet) -> Result<Labels> {
        let settings = questions::text_settings(self.pool, question.project_id).await?;
        let index = self.indexes.get(question.project_id)?;
        let revision = index.revision()?;
        let cohort = self
            .cohort(question.project_id, question.cohort_id, &index, revision)
            .await?;
        let list: Vec<Rule> = rules.rules.iter().map(|r| r.rule.clone()).collect();
        let matches = self
            .rule_matches(question.project_id, &index, revision, &list, &settings)
            .await?;
        let enabled: Vec<(bool, &RuleMatches)> = list
            .iter()
            .zip(&matches)
            .map(|(rule, matches)| (rule.enabled, &**matches))
            .collect();
        let phrases: Vec<_> = list.iter().map(|r| Phrase::parse(&r.phrase).ok()).collect();
        let resolution = priority::resolve(&cohort, &enabled, &priority::nesting(&phrases));
        Ok(Labels {
            question: question.clone(),
            rules,
            cohort,
            matches,
            resolution,
        })
    }

    /// The latest soft labels of a question.
    pub async fn current(&self, question: &Question) -> Result<Labels> {
        let rules = questions::rules(self.pool, question.id, None).await?;
        self.labels(question, rules).await
    }

    /// The studies of a project's cohort (`None`: every study), as the index has them now.
    pub async fn studies_in(
        &self,
        project_id: i64,
        cohort_id: Option<i64>,
    ) -> Result<Arc<RoaringBitmap>> {
        let index = self.indexes.get(project_id)?;
        let revision = index.revision()?;
        self.cohort(project_id, cohort_id, &index, revision).await
    }

    async fn cohort(
        &self,
        project_id: i64,
        cohort_id: Option<i64>,
        index: &Arc<ProjectIndex>,
        revision: i64,
    ) -> Result<Arc<RoaringBitmap>> {
        let filter = match cohort_id {
            None => Filter::default(),
            Some(id) => crate::cohorts::filter(self.pool, project_id, id).await?,
        };
        let key = Key {
            project_id,
            revision,
            rule: serde_json::to_string(&filter).expect("filters serialise"),
        };
        if let Some(found) = lock(&self.cache.cohorts).get(&key) {
            return Ok(found.clone());
        }
        let index = index.clone();
        let studies = tokio::task::spawn_blocking(move || index.matching(&filter))
            .await
            .map_err(join_error)??;
        let studies = Arc::new(studies);
        let mut cohorts = lock(&self.cache.cohorts);
        if cohorts.len() > CACHE_ENTRIES {
            cohorts.clear();
        }
        cohorts.insert(key, studies.clone());
        Ok(studies)
    }

    async fn rule_matches(
        &self,
        project_id: i64,
        index: &Arc<ProjectIndex>,
        revision: i64,
        rules: &[Rule],
        settings: &TextSettings,
    ) -> Result<Vec<Arc<RuleMatches>>> {
        // Serialised once for every rule of the question.
        let settings_json = serde_json::to_string(settings).expect("settings serialise");
        let keys: Vec<Key> = rules
            .iter()
            .map(|rule| rule_key(project_id, revision, rule, &settings_json))
            .collect();
        let mut found: Vec<Option<Arc<RuleMatches>>> = {
            let cache = lock(&self.cache.rules);
            keys.iter().map(|key| cache.get(key).cloned()).collect()
        };
        let missing: Vec<usize> = (0..rules.len()).filter(|&i| found[i].is_none()).collect();
        if !missing.is_empty() {
            let to_compute: Vec<Rule> = missing.iter().map(|&i| rules[i].clone()).collect();
            let computed = self
                .compute(project_id, index, &to_compute, settings)
                .await?;
            let mut cache = lock(&self.cache.rules);
            if cache.len() + computed.len() > CACHE_ENTRIES {
                cache.clear();
            }
            for (&i, matches) in missing.iter().zip(computed) {
                let matches = Arc::new(matches);
                cache.insert(keys[i].clone(), matches.clone());
                found[i] = Some(matches);
            }
        }
        Ok(found
            .into_iter()
            .map(|m| m.expect("every rule computed"))
            .collect())
    }

    /// Computes rules' matches: candidates from the index; texts read only for the rules whose
    /// negation mode or sections need them.
    async fn compute(
        &self,
        project_id: i64,
        index: &Arc<ProjectIndex>,
        rules: &[Rule],
        settings: &TextSettings,
    ) -> Result<Vec<RuleMatches>> {
        let candidates = {
            let (index, rules) = (index.clone(), rules.to_vec());
            tokio::task::spawn_blocking(move || -> Result<Vec<RoaringBitmap>> {
                let parts = on_all_cores(&rules, |part| -> Result<Vec<RoaringBitmap>> {
                    part.iter()
                        .map(|rule| {
                            let phrase = Phrase::parse(&rule.phrase)?;
                            index.phrase_matches(&phrase)
                        })
                        .collect()
                });
                let mut all = Vec::with_capacity(rules.len());
                for part in parts {
                    all.extend(part?);
                }
                Ok(all)
            })
            .await
            .map_err(join_error)??
        };
        let mut out: Vec<RuleMatches> = rules
            .iter()
            .zip(&candidates)
            .map(|(rule, candidates)| RuleMatches {
                by_label: vec![(rule.label.clone(), candidates.clone())],
            })
            .collect();
        let reading: Vec<usize> = (0..rules.len())
            .filter(|&i| rules[i].needs_text())
            .collect();
        if reading.is_empty() {
            return Ok(out);
        }
        // One single-rule question per rule to check, so each gets its own outcome.
        let rule_books: Vec<RuleBook> = reading
            .iter()
            .map(|&i| {
                let mut rule = rules[i].clone();
                rule.enabled = true;
                RuleBook {
                    name: i.to_string(),
                    labels: rule.labels().into_iter().map(str::to_string).collect(),
                    rules: vec![rule],
                }
            })
            .collect();
        let labeler = Arc::new(Labeler::new(rule_books, settings)?);
        let checked: Arc<Vec<RoaringBitmap>> =
            Arc::new(reading.iter().map(|&i| candidates[i].clone()).collect());
        let union = checked.iter().fold(RoaringBitmap::new(), |all, c| all | c);
        let mut by_label: Vec<HashMap<String, RoaringBitmap>> = vec![HashMap::new(); reading.len()];
        let ids: Vec<u32> = union.iter().collect();
        for batch in ids.chunks(TEXT_BATCH) {
            let texts = crate::reports::texts(self.pool, project_id, batch).await?;
            let (labeler, checked) = (labeler.clone(), checked.clone());
            let outcomes = tokio::task::spawn_blocking(move || {
                on_all_cores(&texts, |part| {
                    let mut outcomes = Vec::new();
                    for (id, text) in part {
                        for (slot, outcome) in labeler.label(text).into_iter().enumerate() {
                            if let Some(outcome) = outcome.filter(|_| checked[slot].contains(*id)) {
                                outcomes.push((slot, outcome.label.to_string(), *id));
                            }
                        }
                    }
                    outcomes
                })
                .concat()
            })
            .await
            .map_err(join_error)?;
            for (slot, label, id) in outcomes {
                by_label[slot].entry(label).or_default().insert(id);
            }
        }
        for (slot, &i) in reading.iter().enumerate() {
            let mut labels: Vec<(String, RoaringBitmap)> =
                std::mem::take(&mut by_label[slot]).into_iter().collect();
            labels.sort_by(|a, b| a.0.cmp(&b.0));
            out[i] = RuleMatches { by_label: labels };
        }
        Ok(out)
    }
}

/// Runs `work` on parts of `items`, one part per core, and returns their results in order.
fn on_all_cores<T: Sync, R: Send>(items: &[T], work: impl Fn(&[T]) -> R + Sync) -> Vec<R> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let size = items.len().div_ceil(cores).max(1);
    std::thread::scope(|scope| {
        let work = &work;
        let running: Vec<_> = items
            .chunks(size)
            .map(|part| scope.spawn(move || work(part)))
            .collect();
        running
            .into_iter()
            .map(|thread| thread.join().expect("a labeling thread panicked"))
            .collect()
    })
}

/// The mentions of the rule that gave a study its soft label (`phrase`, `soft_label`) in a
/// report's text, read as that rule reads them (its negation mode), to highlight the evidence;
/// none when the rule is gone. Several rules may share a phrase (one disabled, one routing by
/// status): the rule is the enabled one that can give `soft_label`, as the labels were computed.
/// The rule's labeler is kept for the version of the rules and the text settings it was built
/// for: a served study costs one look-up of both, not reading and compiling the rules.
pub async fn mentions_of(
    context: &Context<'_>,
    question: &Question,
    phrase: &str,
    soft_label: Option<&str>,
    text: &str,
) -> Result<Vec<crate::labeling::engine::Mention>> {
    let current = sqlx::query!(
        r#"SELECT (SELECT MAX(version) FROM rule_versions WHERE question_id = ?1) AS "version: i64",
                  (SELECT settings FROM text_settings WHERE project_id = ?2) AS "settings: String""#,
        question.id,
        question.project_id
    )
    .fetch_one(context.pool)
    .await?;
    let Some(version) = current.version else {
        return Ok(Vec::new());
    };
    let key = HighlightKey {
        question_id: question.id,
        version,
        settings: current.settings,
        phrase: phrase.to_string(),
        soft_label: soft_label.map(str::to_string),
    };
    let cached = lock(&context.cache.highlighters).get(&key).cloned();
    let labeler = match cached {
        Some(labeler) => labeler,
        None => {
            let rules = questions::rules(context.pool, question.id, Some(version)).await?;
            let same: Vec<&Rule> = rules
                .rules
                .iter()
                .map(|r| &r.rule)
                .filter(|r| r.phrase == phrase)
                .collect();
            let gives = |r: &&Rule| soft_label.is_some_and(|l| r.labels().contains(&l));
            let chosen = (same.iter().find(|r| r.enabled && gives(r)))
                .or_else(|| same.iter().find(|r| r.enabled))
                .or_else(|| same.first());
            let Some(rule) = chosen else {
                return Ok(Vec::new());
            };
            let settings = questions::read_text_settings(key.settings.as_deref())?;
            let labeler = Arc::new(one_rule_labeler(question, rule, &settings)?);
            let mut highlighters = lock(&context.cache.highlighters);
            if highlighters.len() >= MAX_HIGHLIGHTERS {
                highlighters.clear();
            }
            highlighters.insert(key, labeler.clone());
            labeler
        }
    };
    Ok(labeler.mentions(text))
}

/// A labeler of one rule (enabled, whatever its state in the list), to show where it matches.
fn one_rule_labeler(question: &Question, rule: &Rule, settings: &TextSettings) -> Result<Labeler> {
    let spec = RuleBook {
        name: question.name.clone(),
        labels: question.labels.clone(),
        rules: vec![Rule {
            enabled: true,
            ..rule.clone()
        }],
    };
    Ok(Labeler::new(vec![spec], settings)?)
}

fn join_error(error: tokio::task::JoinError) -> Error {
    Error::Internal(format!("a labeling task failed: {error}"))
}
