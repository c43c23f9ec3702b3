//! The soft labels of a project's questions, computed from the search index.
//!
//! Each rule's matches (a bitmap of report ids per label) are computed once and kept in a
//! [`MatchCache`] keyed by what decides them — the phrase, negation mode, sections and labels, the
//! project's text settings when the rule reads them, and the index revision — so a reorder, an
//! enable/disable or a deletion only redoes the bitmap algebra of [`crate::labeling::priority`].
//! A rule that reads negation or sections takes its mentions' positions from the index and their
//! status and section from the project's word statuses ([`crate::labeling::statuses`]), read by the
//! same engine as the offline labeler's; no report text is read.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use roaring::RoaringBitmap;
use sqlx::SqlitePool;

use crate::labeling::engine::{in_sections, section_numbers};
use crate::labeling::phrase::Phrase;
use crate::labeling::priority::{self, Resolution, RuleMatches};
use crate::labeling::statuses::WordStatuses;
use crate::labeling::{Labeler, Rule, RuleBook, TextSettings};
use crate::questions::{self, Question, RuleSet};
use crate::search::statuses::{Stale, StatusStore};
use crate::search::{Filter, Indexes, ProjectIndex};
use crate::{Error, Result};

mod preview;

pub use preview::{Preview, RuleReports};

/// Entries the cache holds before it starts afresh (each is a few bitmaps).
const CACHE_ENTRIES: usize = 20_000;

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
    /// Set when the rules that read negation or sections were applied with the project's earlier
    /// cue lists or section headers, while every report is read again with the current ones.
    pub stale: Option<Stale>,
    /// The fingerprint of the word statuses the labels were read from
    /// ([`StatusStore::fingerprint`]).
    pub statuses: String,
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
        let project_id = question.project_id;
        let settings = questions::text_settings(self.pool, project_id).await?;
        let index = self.indexes.get(project_id)?;
        let store = self.statuses(&index, project_id).await?;
        let stale = (store.settings != settings).then(|| Stale {
            rebuild: index.status_rebuild(),
        });
        let revision = index.revision()?;
        let cohort = self
            .cohort(project_id, question.cohort_id, &index, revision)
            .await?;
        let list: Vec<Rule> = rules.rules.iter().map(|r| r.rule.clone()).collect();
        let matches = self
            .rule_matches(project_id, &index, &store, revision, &list)
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
            stale,
            statuses: store.fingerprint.clone(),
        })
    }

    /// Computes the matches of every rule of `questions` (current versions, of one project) in
    /// one batch on every core, so that [`Context::current`] then finds them all cached: a
    /// project's soft labels at once, without one question's slowest rule leaving cores idle.
    pub async fn prepare(&self, questions: &[Question]) -> Result<()> {
        let Some(project_id) = questions.first().map(|q| q.project_id) else {
            return Ok(());
        };
        let index = self.indexes.get(project_id)?;
        let store = self.statuses(&index, project_id).await?;
        let revision = index.revision()?;
        let mut rules = Vec::new();
        for question in questions {
            let current = questions::rules(self.pool, question.id, None).await?;
            rules.extend(current.rules.into_iter().map(|stored| stored.rule));
        }
        self.rule_matches(project_id, &index, &store, revision, &rules)
            .await?;
        Ok(())
    }

    /// The project's word statuses, caught up first when the index has none yet.
    async fn statuses(&self, index: &ProjectIndex, project_id: i64) -> Result<Arc<StatusStore>> {
        if let Some(store) = index.statuses() {
            return Ok(store);
        }
        self.indexes
            .catch_up(self.pool, project_id, |_, _| {})
            .await?;
        index
            .statuses()
            .ok_or_else(|| Error::Internal("the word statuses were not created".into()))
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
        store: &Arc<StatusStore>,
        revision: i64,
        rules: &[Rule],
    ) -> Result<Vec<Arc<RuleMatches>>> {
        let keys: Vec<Key> = rules
            .iter()
            .map(|rule| rule_key(project_id, revision, rule, &store.settings_json))
            .collect();
        let mut found: Vec<Option<Arc<RuleMatches>>> = {
            let cache = lock(&self.cache.rules);
            keys.iter().map(|key| cache.get(key).cloned()).collect()
        };
        let missing: Vec<usize> = (0..rules.len()).filter(|&i| found[i].is_none()).collect();
        if !missing.is_empty() {
            let to_compute: Vec<Rule> = missing.iter().map(|&i| rules[i].clone()).collect();
            let computed = self.compute(index, store, &to_compute).await?;
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

    /// Computes rules' matches from the index, on every core: a rule that reads each mention's
    /// status or section takes them from the project's word statuses.
    async fn compute(
        &self,
        index: &Arc<ProjectIndex>,
        store: &Arc<StatusStore>,
        rules: &[Rule],
    ) -> Result<Vec<RuleMatches>> {
        let (index, store, rules) = (index.clone(), store.clone(), rules.to_vec());
        tokio::task::spawn_blocking(move || -> Result<Vec<RuleMatches>> {
            each_on_all_cores(&rules, |rule| matches_of(&index, &store, rule))
                .into_iter()
                .collect()
        })
        .await
        .map_err(join_error)?
    }
}

/// One rule's matches: the reports where its phrase occurs; for a rule that reads negation or
/// sections, by the label its in-scope mentions give ([`Rule::label_of`]), read from the word
/// statuses at the positions where the index finds the phrase.
fn matches_of(index: &ProjectIndex, store: &StatusStore, rule: &Rule) -> Result<RuleMatches> {
    let phrase = Phrase::parse(&rule.phrase)?;
    if !rule.needs_text() {
        let matches = index.phrase_matches(&phrase)?;
        return Ok(RuleMatches {
            by_label: vec![(rule.label.clone(), matches)],
        });
    }
    // A section the statuses' settings do not have (while they are read again with new
    // headers): no study is in it yet.
    let Ok(sections) = section_numbers(&rule.sections, &store.settings.section_headers) else {
        return Ok(RuleMatches::default());
    };
    let last = phrase.words.len() as u32 - 1;
    let mut by_label: Vec<(String, RoaringBitmap)> = rule
        .labels()
        .into_iter()
        .map(|label| (label.to_string(), RoaringBitmap::new()))
        .collect();
    let statuses = store.read_all();
    index.phrase_mentions(&phrase, |id, starts| {
        let Some(words) = statuses.get(id) else {
            return;
        };
        let read = starts
            .iter()
            .filter_map(|&first| WordStatuses::mention_in(words, first, first + last))
            .filter(|mention| in_sections(&sections, mention.section))
            .map(|mention| mention.status);
        if let Some(label) = rule.label_of(read) {
            if let Some((_, ids)) = by_label.iter_mut().find(|(l, _)| l == label) {
                ids.insert(id);
            }
        }
    })?;
    by_label.retain(|(_, ids)| !ids.is_empty());
    by_label.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(RuleMatches { by_label })
}

/// Runs `work` on parts of `items`, one part per core, and returns their results in order.
pub(crate) fn on_all_cores<T: Sync, R: Send>(
    items: &[T],
    work: impl Fn(&[T]) -> R + Sync,
) -> Vec<R> {
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

/// Runs `work` on each of `items` on every core, each core taking the next item when it is done
/// (rules differ a hundredfold in cost), and returns the results in the items' order.
fn each_on_all_cores<T: Sync, R: Send>(items: &[T], work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut results: Vec<(usize, R)> = std::thread::scope(|scope| {
        let (work, next) = (&work, &next);
        let running: Vec<_> = (0..cores.min(items.len()))
            .map(|_| {
                scope.spawn(move || {
                    let mut done = Vec::new();
                    loop {
                        let at = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(item) = items.get(at) else { break };
                        done.push((at, work(item)));
                    }
                    done
                })
            })
            .collect();
        running
            .into_iter()
            .flat_map(|thread| thread.join().expect("a labeling thread panicked"))
            .collect()
    });
    results.sort_by_key(|(at, _)| *at);
    results.into_iter().map(|(_, result)| result).collect()
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
