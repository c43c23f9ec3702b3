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

use serde::{Deserialize, Serialize};
use sqlx::{SqliteExecutor, SqlitePool};

use crate::audit::{self, Action, NewEvent};
use crate::questions::Question;
use crate::soft_labels::Context;
use crate::{Error, Result};

mod decisions;
mod gold;
mod review;
mod writer;

pub use decisions::{final_label, Decisions, Final, Source};
pub use gold::{
    adjudicate, gold_items, open_dispute, set_gold, study_answers, GoldChange, GoldItem,
    RaterAnswer, StudyAnswers,
};
pub use review::{
    review, AnswerToReview, Disagreement, GoldScore, RaterRow, Review, RulePrecision,
};
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
            labels: crate::db::stored_json("queue's labels", &row.labels)?,
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
/// study) whose fixed hash ranks lowest, so the overlap is the share asked for and rebuilding with
/// the same studies keeps the choice (it moves only as the queued studies or the share change).
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
    // Gold items keep a task (they are served with their soft label, like any study) but are no
    // part of the queue's count or its overlap: they hold no slot (see `refill`).
    let gold: std::collections::HashSet<i64> = sqlx::query_scalar!(
        "SELECT report_id FROM gold WHERE question_id = ?",
        question.id
    )
    .fetch_all(labeling.pool)
    .await?
    .into_iter()
    .collect();
    let studies: Vec<i64> = tasks
        .iter()
        .map(|task| task.0)
        .filter(|report| !gold.contains(report))
        .collect();
    let overlap = overlapped(question.id, &studies, settings.overlap_share);
    for task in &mut tasks {
        if overlap.contains(&task.0) {
            task.1 = settings.overlap_raters;
        }
    }
    let built = Built {
        queued: studies.len() as u64,
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
    sqlx::query!(
        r#"INSERT INTO tasks (question_id, report_id, needed, rule_rank, rule_phrase, soft_label, open, queued_at)
           SELECT ?1, t.value ->> 0, t.value ->> 1, t.value ->> 2, t.value ->> 3, t.value ->> 4, 0, ?3
           FROM json_each(?2) AS t"#,
        question.id,
        tasks,
        now
    )
    .execute(&mut *transaction)
    .await?;
    refill(&mut transaction, question.id, None).await?;
    recount_open(&mut transaction, question.id).await?;
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

/// Sets `queue_settings.open_total` from the tasks themselves (after tasks were removed or added
/// wholesale; the trigger of migration 0007 follows single changes of a task's open slots).
pub(crate) async fn recount_open(
    transaction: &mut sqlx::SqliteConnection,
    question_id: i64,
) -> Result<()> {
    sqlx::query!(
        "UPDATE queue_settings SET open_total = (SELECT COALESCE(SUM(open), 0) FROM tasks WHERE question_id = ?1) WHERE question_id = ?1",
        question_id
    )
    .execute(&mut *transaction)
    .await?;
    Ok(())
}

/// Sets the open slots of a question's tasks (of one study's, given `report_id`) by the one rule
/// of a slot: what the study needs, less the answers it has and the claims held on it; none for a
/// gold item, which is served at the gold rate, never from the queue's slots.
pub(crate) async fn refill(
    transaction: &mut sqlx::SqliteConnection,
    question_id: i64,
    report_id: Option<i64>,
) -> Result<()> {
    sqlx::query!(
        "UPDATE tasks SET open = CASE
             WHEN EXISTS (SELECT 1 FROM gold g WHERE g.question_id = ?1 AND g.report_id = tasks.report_id) THEN 0
             ELSE MAX(0, needed
                 - (SELECT COUNT(*) FROM answers a WHERE a.question_id = ?1 AND a.report_id = tasks.report_id)
                 - (SELECT COUNT(*) FROM claims c WHERE c.question_id = ?1 AND c.report_id = tasks.report_id))
           END
         WHERE question_id = ?1 AND (?2 IS NULL OR report_id = ?2)",
        question_id,
        report_id
    )
    .execute(&mut *transaction)
    .await?;
    Ok(())
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
    /// The label the user had given this study, when undo took that answer back and served the
    /// study again (the page pre-selects it and says so).
    pub taken_back: Option<String>,
    /// The label the user had given this study before its report's text changed (an amended or
    /// corrected report): served again so they read the new text; answering replaces that label.
    pub answered_before_change: Option<String>,
    /// The report's text changed after the study was queued: its soft label and rule are not
    /// suggested (they were worked out from the earlier text).
    pub report_changed: bool,
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
    /// Studies other affiliates are labeling right now (gold items included).
    pub held_by_others: i64,
    /// How many different affiliates answer a study in the overlap.
    pub overlap_raters: i64,
    /// Mean seconds per study today.
    pub seconds_per_study: Option<f64>,
}

/// Returns a user's progress in a question's queue, with what the whole queue still needs.
pub async fn progress(pool: &SqlitePool, question_id: i64, user_id: i64) -> Result<Progress> {
    let now = crate::now();
    let day_start = now - now.rem_euclid(86_400);
    let mine = sqlx::query!(
        r#"SELECT COUNT(*) AS "done!: i64",
                  SUM(answered_at >= ?3) AS "today: i64",
                  AVG(CASE WHEN answered_at >= ?3 THEN seconds END) AS "seconds: f64",
                  (SELECT overlap_raters FROM queue_settings WHERE question_id = ?1) AS "raters: i64",
                  (SELECT COUNT(DISTINCT report_id) FROM claims c
                     WHERE c.question_id = ?1 AND c.user_id != ?2 AND c.expires_at > ?4) AS "held!: i64"
           FROM answers WHERE question_id = ?1 AND user_id = ?2"#,
        question_id,
        user_id,
        day_start,
        now
    )
    .fetch_one(pool)
    .await?;
    let left = still_needed(pool, question_id).await?;
    Ok(Progress {
        built: left.is_some(),
        done_today: mine.today.unwrap_or(0),
        done: mine.done,
        left: left.unwrap_or(0),
        held_by_others: mine.held,
        overlap_raters: mine.raters.unwrap_or(Settings::default().overlap_raters),
        seconds_per_study: mine.seconds,
    })
}

/// The answers a question's queue still needs, from any affiliate: its open slots and the claims
/// being answered now (opening a study changes nothing; a study served again for review holds no
/// slot: its answer was counted when first given). `None` until a fellow builds the queue.
async fn still_needed(pool: &SqlitePool, question_id: i64) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar!(
        r#"SELECT open_total + (SELECT COUNT(*) FROM claims c WHERE c.question_id = ?1 AND c.is_gold = 0 AND c.review = 0) AS "n!: i64"
           FROM queue_settings WHERE question_id = ?1"#,
        question_id
    )
    .fetch_optional(pool)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
