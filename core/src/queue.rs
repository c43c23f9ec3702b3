//! The confirmation queue: affiliates confirm or correct soft labels one study at a time; the
//! fellow keeps a gold set, reads agreement and settles disagreements.
//!
//! A queue is built from a question's current soft labels: one task per labeled study, needing one
//! answer, or `k` for the overlap share. Tasks keep `open`, the answers still to hand out
//! (needed − answers − active claims), so serving a study is one indexed look-up. Every write of
//! the queue goes through the queue's one [`Writer`], which serializes them, so two affiliates never
//! both take the last open slot of a study. Claims expire: their slot reopens. An answer names the
//! claim it answers (a token issued with the study) and is recorded only while the user holds the
//! study under that claim, so a second tab or a page restored by Back never replaces an answer.
//! Every answer is committed before the next study is served.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use sqlx::{SqliteExecutor, SqlitePool};

use crate::agreement::{Agreement, Ratings};
use crate::audit::{self, Action, NewEvent};
use crate::questions::Question;
use crate::soft_labels::Context;
use crate::{Error, Result};

mod writer;
pub use writer::Writer;

/// How a question's queue is filled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Share of the queued studies answered by `overlap_raters` different affiliates.
    pub overlap_share: f64,
    pub overlap_raters: i64,
    /// Share of served studies that are gold items.
    pub gold_rate: f64,
    /// Seconds before an unanswered study goes back to the queue.
    pub claim_seconds: i64,
    /// Soft labels whose studies are queued; empty: every labeled study.
    pub labels: Vec<String>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            overlap_share: 0.2,
            overlap_raters: 2,
            gold_rate: 0.1,
            claim_seconds: 600,
            labels: Vec::new(),
        }
    }
}

impl Settings {
    fn check(&self, question: &Question) -> Result<()> {
        let fail = |message: String| Err(Error::Invalid(message));
        if !(0.0..=1.0).contains(&self.overlap_share) {
            return fail("overlap: give a share between 0 and 1 (e.g. 0.2)".into());
        }
        if !(2..=9).contains(&self.overlap_raters) {
            return fail("overlap raters: between 2 and 9".into());
        }
        if !(0.0..=0.5).contains(&self.gold_rate) {
            return fail("gold rate: a share between 0 and 0.5".into());
        }
        if self.claim_seconds < 10 {
            return fail("claim timeout: at least 10 seconds".into());
        }
        if let Some(unknown) = self.labels.iter().find(|l| !question.labels.contains(l)) {
            return fail(format!(
                "labels: {unknown:?} is not a label of the question ({})",
                question.labels.join(", ")
            ));
        }
        Ok(())
    }
}

/// Returns a question's queue settings (the defaults until a fellow saves some).
pub async fn settings(executor: impl SqliteExecutor<'_>, question_id: i64) -> Result<Settings> {
    let row = sqlx::query!(
        "SELECT overlap_share, overlap_raters, gold_rate, claim_seconds, labels FROM queue_settings WHERE question_id = ?",
        question_id
    )
    .fetch_optional(executor)
    .await?;
    Ok(match row {
        None => Settings::default(),
        Some(row) => Settings {
            overlap_share: row.overlap_share,
            overlap_raters: row.overlap_raters,
            gold_rate: row.gold_rate,
            claim_seconds: row.claim_seconds,
            labels: serde_json::from_str(&row.labels).unwrap_or_default(),
        },
    })
}

/// What building a queue did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Built {
    pub queued: u64,
    pub overlapped: u64,
}

/// The studies answered by several affiliates: the `share` of `studies` (rounded to the nearest
/// study) whose fixed hash ranks lowest, so the overlap is the share asked for and rebuilding keeps
/// the choice (a study leaves it only when the queue grows or the share falls).
fn overlapped(question_id: i64, studies: &[i64], share: f64) -> std::collections::HashSet<i64> {
    let mut ranked: Vec<i64> = studies.to_vec();
    ranked.sort_by_key(|&report| (mix(question_id as u64, report as u64), report));
    ranked.dedup();
    let wanted = (share * ranked.len() as f64).round() as usize;
    ranked.into_iter().take(wanted).collect()
}

fn mix(a: u64, b: u64) -> u64 {
    let mut z = a.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ b.wrapping_add(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Saves the settings and (re)builds the queue from the question's current soft labels. Answers
/// are kept; studies no longer labeled leave the queue.
pub async fn build(
    labeling: &Context<'_>,
    question: &Question,
    settings: &Settings,
    actor: Option<&str>,
) -> Result<Built> {
    settings.check(question)?;
    let labels = labeling.current(question).await?;
    let mut tasks = Vec::new();
    for (rank, (stored, effective)) in labels
        .rules
        .rules
        .iter()
        .zip(&labels.resolution.effective)
        .enumerate()
    {
        for (label, studies) in &labels.matches[rank].by_label {
            if !settings.labels.is_empty() && !settings.labels.contains(label) {
                continue;
            }
            for report in (studies & effective).iter() {
                tasks.push((i64::from(report), 1, rank, &stored.rule.phrase, label));
            }
        }
    }
    let studies: Vec<i64> = tasks.iter().map(|task| task.0).collect();
    let overlap = overlapped(question.id, &studies, settings.overlap_share);
    for task in &mut tasks {
        if overlap.contains(&task.0) {
            task.1 = settings.overlap_raters;
        }
    }
    let built = Built {
        queued: tasks.len() as u64,
        overlapped: overlap.len() as u64,
    };
    let tasks = serde_json::to_string(&tasks).expect("tasks serialise");
    let chosen = serde_json::to_string(&settings.labels).expect("labels serialise");
    let now = crate::now();
    let mut transaction = labeling.pool.begin().await?;
    sqlx::query!(
        "INSERT INTO queue_settings (question_id, overlap_share, overlap_raters, gold_rate, claim_seconds, labels, updated_by, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (question_id) DO UPDATE SET overlap_share = excluded.overlap_share, overlap_raters = excluded.overlap_raters,
           gold_rate = excluded.gold_rate, claim_seconds = excluded.claim_seconds, labels = excluded.labels,
           updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        question.id,
        settings.overlap_share,
        settings.overlap_raters,
        settings.gold_rate,
        settings.claim_seconds,
        chosen,
        actor,
        now
    )
    .execute(&mut *transaction)
    .await?;
    sqlx::query!("DELETE FROM tasks WHERE question_id = ?", question.id)
        .execute(&mut *transaction)
        .await?;
    // Open slots start as needed − answers given − claims held.
    sqlx::query!(
        r#"INSERT INTO tasks (question_id, report_id, needed, rule_rank, rule_phrase, soft_label, open)
           SELECT ?1, t.value ->> 0, t.value ->> 1, t.value ->> 2, t.value ->> 3, t.value ->> 4,
                  MAX(0, (t.value ->> 1)
                    - (SELECT COUNT(*) FROM answers a WHERE a.question_id = ?1 AND a.report_id = t.value ->> 0)
                    - (SELECT COUNT(*) FROM claims c WHERE c.question_id = ?1 AND c.report_id = t.value ->> 0))
           FROM json_each(?2) AS t"#,
        question.id,
        tasks
    )
    .execute(&mut *transaction)
    .await?;
    sqlx::query!(
        "UPDATE queue_settings SET open_total = (SELECT COALESCE(SUM(open), 0) FROM tasks WHERE question_id = ?1) WHERE question_id = ?1",
        question.id
    )
    .execute(&mut *transaction)
    .await?;
    let event = NewEvent {
        actor,
        project_id: Some(question.project_id),
        object: Some(format!("question:{}", question.name)),
        detail: Some(format!(
            "queue built: {} studies, {} overlapped",
            built.queued, built.overlapped
        )),
    };
    audit::record(&mut *transaction, Action::QueueBuilt, event).await?;
    transaction.commit().await?;
    Ok(built)
}

/// A study served to an affiliate: the report, the claim it is held under, and the soft label to
/// pre-select.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Served {
    pub report_id: i64,
    /// The claim's token, issued when the study was served: an answer or a skip names it, and is
    /// refused unless the user still holds the study under it.
    pub claim: i64,
    pub soft_label: Option<String>,
    pub rule_phrase: Option<String>,
}

/// What became of an answer or a skip, with the study to show next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    /// Recorded; the next study (`None`: nothing is left for the user).
    Recorded(Option<Served>),
    /// Refused, and nothing written: the user does not hold the study under the claim named (it
    /// was answered or skipped in another tab, taken back by undo, given back when its claim
    /// expired, or never served to them). The study they hold now, else the next.
    NotHeld(Option<Served>),
}

impl Verdict {
    /// Returns the study to show next, whether or not the request was refused.
    pub fn served(self) -> Option<Served> {
        match self {
            Verdict::Recorded(served) | Verdict::NotHeld(served) => served,
        }
    }
}

/// Whether the `n`-th study (from 0) served to a user is a gold item: one per window of
/// 1/rate studies, at a place in the window that depends on the user and the window.
fn gold_due(user_id: i64, question_id: i64, n: i64, rate: f64) -> bool {
    if rate <= 0.0 {
        return false;
    }
    let period = (1.0 / rate).round().max(1.0) as i64;
    let window = n / period;
    let place =
        (mix(mix(user_id as u64, question_id as u64), window as u64) % period as u64) as i64;
    n % period == place
}

/// A user's progress in a question's queue. The labeling page and the project's list of queues
/// show these numbers, each with its meaning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// Whether a fellow has built the queue (until then nothing is served).
    pub built: bool,
    /// The user's answers since midnight (UTC).
    pub done_today: i64,
    /// The user's answers in this queue, ever.
    pub done: i64,
    /// Answers the whole queue still needs, from any affiliate (a study in the overlap needs
    /// `overlap_raters` different ones): what keeps the queue from being finished.
    pub left: i64,
    /// Studies other affiliates are labeling right now.
    pub held_by_others: i64,
    /// How many different affiliates answer a study in the overlap.
    pub overlap_raters: i64,
    /// Mean seconds per study today.
    pub seconds_per_study: Option<f64>,
}

pub async fn progress(pool: &SqlitePool, question_id: i64, user_id: i64) -> Result<Progress> {
    let day_start = crate::now() - crate::now().rem_euclid(86_400);
    let mine = sqlx::query!(
        r#"SELECT COUNT(*) AS "done!: i64",
                  SUM(answered_at >= ?3) AS "today: i64",
                  AVG(CASE WHEN answered_at >= ?3 THEN seconds END) AS "seconds: f64",
                  (SELECT open_total FROM queue_settings WHERE question_id = ?1) AS "left: i64",
                  (SELECT overlap_raters FROM queue_settings WHERE question_id = ?1) AS "raters: i64",
                  (SELECT COUNT(*) FROM claims c WHERE c.question_id = ?1 AND c.user_id != ?2) AS "held!: i64"
           FROM answers WHERE question_id = ?1 AND user_id = ?2"#,
        question_id,
        user_id,
        day_start
    )
    .fetch_one(pool)
    .await?;
    Ok(Progress {
        built: mine.left.is_some(),
        done_today: mine.today.unwrap_or(0),
        done: mine.done,
        left: mine.left.unwrap_or(0),
        held_by_others: mine.held,
        overlap_raters: mine.raters.unwrap_or(Settings::default().overlap_raters),
        seconds_per_study: mine.seconds,
    })
}

/// A gold item as the fellow's list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoldItem {
    pub report_id: i64,
    pub accession: String,
    pub label: String,
    pub set_by: Option<String>,
    /// Unix seconds.
    pub set_at: i64,
}

/// A question's gold items, the latest set first.
pub async fn gold_items(pool: &SqlitePool, question: &Question) -> Result<Vec<GoldItem>> {
    Ok(sqlx::query_as!(
        GoldItem,
        r#"SELECT g.report_id, r.accession, g.label, g.set_by, g.set_at
           FROM gold g JOIN reports r ON r.id = g.report_id
           WHERE g.question_id = ? ORDER BY g.set_at DESC, r.accession"#,
        question.id
    )
    .fetch_all(pool)
    .await?)
}

/// Marks a study's true label for the gold set (`None` removes it). A study outside the
/// question's cohort is refused: the queue would never serve it, and its label says nothing of
/// the question's studies. (The page names studies by accession: see `reports::id_of`.)
pub async fn set_gold(
    context: &Context<'_>,
    question: &Question,
    report_id: i64,
    label: Option<&str>,
    actor: Option<&str>,
) -> Result<()> {
    let pool = context.pool;
    if let Some(label) = label {
        question.check_label(label)?;
    }
    let report = crate::reports::find(pool, question.project_id, report_id).await?;
    if label.is_some() {
        let cohort = context
            .studies_in(question.project_id, question.cohort_id)
            .await?;
        if !u32::try_from(report_id).is_ok_and(|id| cohort.contains(id)) {
            return Err(Error::Invalid(format!(
                "the study {} is not in this question's cohort: a gold item must be a study the queue can serve",
                report.accession
            )));
        }
    }
    let now = crate::now();
    let mut transaction = pool.begin().await?;
    match label {
        Some(label) => sqlx::query!(
            "INSERT INTO gold (question_id, report_id, label, set_by, set_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (question_id, report_id) DO UPDATE SET label = excluded.label, set_by = excluded.set_by, set_at = excluded.set_at",
            question.id, report_id, label, actor, now
        )
        .execute(&mut *transaction)
        .await?,
        None => sqlx::query!(
            "DELETE FROM gold WHERE question_id = ? AND report_id = ?",
            question.id,
            report_id
        )
        .execute(&mut *transaction)
        .await?,
    };
    let event = NewEvent {
        actor,
        project_id: Some(question.project_id),
        object: Some(format!("report:{report_id}")),
        detail: Some(format!(
            "{} gold: {}",
            question.name,
            label.unwrap_or("removed")
        )),
    };
    audit::record(&mut *transaction, Action::GoldSet, event).await?;
    transaction.commit().await?;
    Ok(())
}

/// Settles a study's label (a fellow's decision on a disagreement).
pub async fn adjudicate(
    pool: &SqlitePool,
    question: &Question,
    report_id: i64,
    label: &str,
    actor: Option<&str>,
) -> Result<()> {
    question.check_label(label)?;
    crate::reports::find(pool, question.project_id, report_id).await?;
    let now = crate::now();
    let mut transaction = pool.begin().await?;
    sqlx::query!(
        "INSERT INTO adjudications (question_id, report_id, label, decided_by, decided_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (question_id, report_id) DO UPDATE SET label = excluded.label, decided_by = excluded.decided_by, decided_at = excluded.decided_at",
        question.id, report_id, label, actor, now
    )
    .execute(&mut *transaction)
    .await?;
    let event = NewEvent {
        actor,
        project_id: Some(question.project_id),
        object: Some(format!("report:{report_id}")),
        detail: Some(format!("{} adjudicated: {label}", question.name)),
    };
    audit::record(&mut *transaction, Action::Adjudicated, event).await?;
    transaction.commit().await?;
    Ok(())
}

/// One study as the fellow adjudicates it: what the queue showed and every answer given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudyAnswers {
    pub soft_label: Option<String>,
    pub rule_phrase: Option<String>,
    /// (affiliate, label), gold items included.
    pub answers: Vec<(String, String)>,
    pub adjudicated: Option<String>,
}

/// Returns a study's answers in a question's queue (for the fellow).
pub async fn study_answers(
    pool: &SqlitePool,
    question: &Question,
    report_id: i64,
) -> Result<StudyAnswers> {
    let task = sqlx::query!(
        "SELECT soft_label, rule_phrase FROM tasks WHERE question_id = ? AND report_id = ?",
        question.id,
        report_id
    )
    .fetch_optional(pool)
    .await?;
    let answers = sqlx::query!(
        r#"SELECT u.name AS "name!", a.label FROM answers a JOIN users u ON u.id = a.user_id
           WHERE a.question_id = ? AND a.report_id = ? ORDER BY u.name"#,
        question.id,
        report_id
    )
    .fetch_all(pool)
    .await?;
    let adjudicated = sqlx::query_scalar!(
        "SELECT label FROM adjudications WHERE question_id = ? AND report_id = ?",
        question.id,
        report_id
    )
    .fetch_optional(pool)
    .await?;
    Ok(StudyAnswers {
        soft_label: task.as_ref().map(|t| t.soft_label.clone()),
        rule_phrase: task.map(|t| t.rule_phrase),
        answers: answers.into_iter().map(|a| (a.name, a.label)).collect(),
        adjudicated,
    })
}

/// Where a study's final label comes from, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Adjudicated,
    /// The fellow's true label for a gold item.
    Gold,
    Agreed,
    Confirmed,
    /// Affiliates disagree and no fellow has decided: the soft label stands, marked so.
    Disputed,
    Soft,
}

impl Source {
    /// What the source means, in the words the dashboard shows beside its count.
    pub fn meaning(self) -> &'static str {
        match self {
            Source::Adjudicated => "a fellow settled it",
            Source::Gold => "the fellow's label of a gold item",
            Source::Agreed => "two or more affiliates gave the same label",
            Source::Confirmed => "one affiliate's answer so far",
            Source::Disputed => {
                "affiliates disagree and no fellow has settled it: the soft label stands"
            }
            Source::Soft => "no answer yet: the rules' soft label",
        }
    }
}

/// A study's final label for a question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Final {
    pub label: String,
    pub source: Source,
    /// Share of the answers that agree with the final label, from two answers on (`None` with
    /// fewer: one rater agrees with no one).
    pub agreement: Option<f64>,
}

/// The fellow's decisions on a question's studies: adjudications and gold items, by report id.
/// The one reading of them for the dashboard, the label sets and the REST API.
#[derive(Debug, Clone, Default)]
pub struct Decisions {
    pub adjudicated: HashMap<i64, String>,
    pub gold: HashMap<i64, String>,
}

impl Decisions {
    /// Reads a question's adjudications and gold items.
    pub async fn read(pool: &SqlitePool, question_id: i64) -> Result<Decisions> {
        let adjudicated = sqlx::query!(
            "SELECT report_id, label FROM adjudications WHERE question_id = ?",
            question_id
        )
        .fetch_all(pool)
        .await?;
        let gold = sqlx::query!(
            "SELECT report_id, label FROM gold WHERE question_id = ?",
            question_id
        )
        .fetch_all(pool)
        .await?;
        Ok(Decisions {
            adjudicated: adjudicated
                .into_iter()
                .map(|r| (r.report_id, r.label))
                .collect(),
            gold: gold.into_iter().map(|r| (r.report_id, r.label)).collect(),
        })
    }

    /// A study's final label from its soft label and its answers (gold items' answers aside).
    pub fn final_label(
        &self,
        report_id: i64,
        soft: Option<&str>,
        answers: &[&str],
    ) -> Option<Final> {
        let adjudicated = self.adjudicated.get(&report_id).map(String::as_str);
        let gold = self.gold.get(&report_id).map(String::as_str);
        final_label(soft, answers, adjudicated, gold)
    }

    /// The studies the fellow decided, adjudicated or gold.
    pub fn studies(&self) -> impl Iterator<Item = i64> + '_ {
        self.adjudicated
            .keys()
            .chain(
                self.gold
                    .keys()
                    .filter(|id| !self.adjudicated.contains_key(id)),
            )
            .copied()
    }
}

/// Resolves a final label: adjudicated > gold > agreed confirmations > single confirmation > soft
/// label (disputed where confirmations disagree).
pub fn final_label(
    soft: Option<&str>,
    answers: &[&str],
    adjudicated: Option<&str>,
    gold: Option<&str>,
) -> Option<Final> {
    let share = |label: &str| {
        (answers.len() >= 2)
            .then(|| answers.iter().filter(|a| **a == label).count() as f64 / answers.len() as f64)
    };
    let make = |label: &str, source| Final {
        label: label.to_string(),
        source,
        agreement: share(label),
    };
    if let Some(label) = adjudicated {
        return Some(make(label, Source::Adjudicated));
    }
    if let Some(label) = gold {
        return Some(make(label, Source::Gold));
    }
    match answers {
        [] => soft.map(|label| make(label, Source::Soft)),
        [one] => Some(make(one, Source::Confirmed)),
        [first, rest @ ..] if rest.iter().all(|a| a == first) => Some(make(first, Source::Agreed)),
        _ => soft.map(|label| make(label, Source::Disputed)),
    }
}

/// How one affiliate did on the gold set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GoldScore {
    pub answered: u64,
    pub correct: u64,
    pub accuracy: Option<f64>,
    /// Per true label: the share of its gold items answered with it.
    pub recall: Vec<(String, Option<f64>)>,
    /// `confusion[true][answered]`, in the question's label order.
    pub confusion: Vec<Vec<u64>>,
}

/// One affiliate on the dashboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RaterRow {
    pub name: String,
    pub answers: u64,
    pub mean_seconds: Option<f64>,
    pub gold: GoldScore,
}

/// How often confirmations agree with the soft label a rule gave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RulePrecision {
    pub phrase: String,
    pub answers: u64,
    pub agreeing: u64,
    pub precision: Option<f64>,
}

/// A study the affiliates disagree on, with their answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Disagreement {
    pub report_id: i64,
    pub soft_label: Option<String>,
    pub answers: Vec<(String, String)>,
}

/// The fellow's dashboard of one question.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Review {
    pub settings: Settings,
    /// Studies in the queue.
    pub tasks: i64,
    /// Studies of the queue that need several affiliates' answers (the overlap).
    pub overlapped: i64,
    /// Studies with every answer they need.
    pub completed: i64,
    /// Answers given, by every affiliate, gold items' included.
    pub answers: i64,
    pub gold_items: i64,
    pub agreement: Agreement,
    pub raters: Vec<RaterRow>,
    pub rules: Vec<RulePrecision>,
    pub disagreements: Vec<Disagreement>,
    /// Final labels of the answered studies by source.
    pub finals: Vec<(Source, u64)>,
}

/// (rater or true label, answered label) pairs.
type LabelPairs = Vec<(String, String)>;

/// One affiliate's answers, as the dashboard adds them up.
#[derive(Default)]
struct RaterTally {
    answers: u64,
    seconds: f64,
    /// (true label, answer) of the gold items they answered.
    gold: LabelPairs,
}

/// One study's answers (gold items aside).
#[derive(Default)]
struct StudyTally {
    soft: Option<String>,
    /// (affiliate, answer).
    answers: LabelPairs,
}

/// Computes the dashboard of a question.
pub async fn review(pool: &SqlitePool, question: &Question) -> Result<Review> {
    let settings = settings(pool, question.id).await?;
    let counts = sqlx::query!(
        r#"SELECT COUNT(*) AS "tasks!: i64",
                  SUM(t.needed > 1) AS "overlapped: i64",
                  SUM((SELECT COUNT(*) FROM answers a WHERE a.question_id = t.question_id AND a.report_id = t.report_id) >= t.needed) AS "completed: i64"
           FROM tasks t WHERE t.question_id = ?"#,
        question.id
    )
    .fetch_one(pool)
    .await?;
    let answers = sqlx::query!(
        r#"SELECT a.report_id, u.name AS "name!", a.label, a.soft_label, a.rule_phrase, a.is_gold, a.seconds, g.label AS "gold?: String"
           FROM answers a JOIN users u ON u.id = a.user_id
           LEFT JOIN gold g ON g.question_id = a.question_id AND g.report_id = a.report_id
           WHERE a.question_id = ? ORDER BY a.report_id, u.name"#,
        question.id
    )
    .fetch_all(pool)
    .await?;
    let decisions = Decisions::read(pool, question.id).await?;
    let gold_items = sqlx::query_scalar!(
        r#"SELECT COUNT(*) AS "n!: i64" FROM gold WHERE question_id = ?"#,
        question.id
    )
    .fetch_one(pool)
    .await?;

    let mut ratings = Ratings::default();
    let mut raters: std::collections::BTreeMap<String, RaterTally> = Default::default();
    let mut rules: std::collections::BTreeMap<String, (u64, u64)> = Default::default();
    let mut studies: std::collections::BTreeMap<i64, StudyTally> = Default::default();
    for row in &answers {
        let rater = raters.entry(row.name.clone()).or_default();
        rater.answers += 1;
        rater.seconds += row.seconds;
        if let Some(gold) = &row.gold {
            rater.gold.push((gold.clone(), row.label.clone()));
            continue;
        }
        ratings
            .add(&row.report_id.to_string(), &row.name, &row.label)
            .map_err(Error::Internal)?;
        if let (Some(phrase), Some(soft)) = (&row.rule_phrase, &row.soft_label) {
            let rule = rules.entry(phrase.clone()).or_default();
            rule.0 += 1;
            rule.1 += u64::from(soft == &row.label);
        }
        let study = studies.entry(row.report_id).or_default();
        study.soft = row.soft_label.clone();
        study.answers.push((row.name.clone(), row.label.clone()));
    }
    // Every decided study has a final label, answered or not (a gold item nobody was served yet).
    for report_id in decisions.studies() {
        studies.entry(report_id).or_default();
    }
    let mut finals: std::collections::BTreeMap<Source, u64> = Default::default();
    let mut disagreements = Vec::new();
    for (
        &report_id,
        StudyTally {
            soft,
            answers: given,
        },
    ) in &studies
    {
        let labels: Vec<&str> = given.iter().map(|(_, l)| l.as_str()).collect();
        if let Some(final_label) = decisions.final_label(report_id, soft.as_deref(), &labels) {
            *finals.entry(final_label.source).or_default() += 1;
        }
        let decided = decisions.adjudicated.contains_key(&report_id);
        if !decided && labels.iter().any(|l| *l != labels[0]) {
            disagreements.push(Disagreement {
                report_id,
                soft_label: soft.clone(),
                answers: given.clone(),
            });
        }
    }
    Ok(Review {
        settings,
        tasks: counts.tasks,
        overlapped: counts.overlapped.unwrap_or(0),
        completed: counts.completed.unwrap_or(0),
        answers: answers.len() as i64,
        gold_items,
        agreement: ratings.agreement(),
        raters: raters
            .into_iter()
            .map(|(name, tally)| RaterRow {
                name,
                answers: tally.answers,
                mean_seconds: (tally.answers > 0).then(|| tally.seconds / tally.answers as f64),
                gold: gold_score(&question.labels, &tally.gold),
            })
            .collect(),
        rules: rules
            .into_iter()
            .map(|(phrase, (count, agreeing))| RulePrecision {
                phrase,
                answers: count,
                agreeing,
                precision: (count > 0).then(|| agreeing as f64 / count as f64),
            })
            .collect(),
        disagreements,
        finals: finals.into_iter().collect(),
    })
}

/// Scores (true label, answer) pairs against the question's labels.
fn gold_score(labels: &[String], pairs: &[(String, String)]) -> GoldScore {
    let index = |label: &str| labels.iter().position(|l| l == label);
    let mut confusion = vec![vec![0u64; labels.len()]; labels.len()];
    for (truth, given) in pairs {
        if let (Some(t), Some(g)) = (index(truth), index(given)) {
            confusion[t][g] += 1;
        }
    }
    let correct: u64 = (0..labels.len()).map(|i| confusion[i][i]).sum();
    let answered = pairs.len() as u64;
    GoldScore {
        answered,
        correct,
        accuracy: (answered > 0).then(|| correct as f64 / answered as f64),
        recall: labels
            .iter()
            .enumerate()
            .map(|(i, label)| {
                let row: u64 = confusion[i].iter().sum();
                (
                    label.clone(),
                    (row > 0).then(|| confusion[i][i] as f64 / row as f64),
                )
            })
            .collect(),
        confusion,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn final_labels_follow_the_order_of_trust() {
        let soft = Some("present");
        assert_eq!(
            final_label(soft, &[], None, None).unwrap().source,
            Source::Soft
        );
        let one = final_label(soft, &["absent"], None, None).unwrap();
        assert_eq!(
            (one.label.as_str(), one.source),
            ("absent", Source::Confirmed)
        );
        let agreed = final_label(soft, &["absent", "absent"], None, None).unwrap();
        assert_eq!(
            (agreed.source, agreed.agreement),
            (Source::Agreed, Some(1.0))
        );
        let disputed = final_label(soft, &["absent", "present"], None, None).unwrap();
        assert_eq!(
            (disputed.label.as_str(), disputed.source),
            ("present", Source::Disputed)
        );
        let decided = final_label(soft, &["absent", "present"], Some("absent"), None).unwrap();
        assert_eq!(
            (decided.source, decided.agreement),
            (Source::Adjudicated, Some(0.5))
        );
        assert_eq!(final_label(None, &[], None, None), None);
        // One rater agrees with no one; gold is its own source, below an adjudication.
        assert_eq!(one.agreement, None);
        let gold = final_label(soft, &["absent"], None, Some("present")).unwrap();
        assert_eq!(
            (gold.label.as_str(), gold.source),
            ("present", Source::Gold)
        );
        let both = final_label(soft, &[], Some("absent"), Some("present")).unwrap();
        assert_eq!(both.source, Source::Adjudicated);
    }

    #[test]
    fn gold_items_come_once_per_window_at_the_set_rate() {
        for user in 1..20 {
            let served: Vec<bool> = (0..1000).map(|n| gold_due(user, 7, n, 0.1)).collect();
            assert_eq!(served.iter().filter(|g| **g).count(), 100);
            for window in served.chunks(10) {
                assert_eq!(window.iter().filter(|g| **g).count(), 1);
            }
        }
        assert!((0..100).all(|n| !gold_due(1, 1, n, 0.0)));
    }

    #[test]
    fn gold_scores_count_accuracy_recall_and_confusion() {
        let labels = vec!["present".to_string(), "absent".to_string()];
        let pairs = [
            ("present", "present"),
            ("present", "absent"),
            ("absent", "absent"),
            ("absent", "absent"),
        ]
        .map(|(t, g)| (t.to_string(), g.to_string()));
        let score = gold_score(&labels, &pairs);
        assert_eq!(score.accuracy, Some(0.75));
        assert_eq!(score.recall[0], ("present".into(), Some(0.5)));
        assert_eq!(score.recall[1], ("absent".into(), Some(1.0)));
        assert_eq!(score.confusion, vec![vec![1, 1], vec![0, 2]]);
    }
}
