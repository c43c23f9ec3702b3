//! Watching the labeler itself: the reference a model is checked against is the question's rules,
//! and a change of report template can silently break a rule. Week by week over the model's
//! predicted studies, each rule's share of the studies (the studies it labels, after priority) and
//! the unlabeled share are compared with their baseline share; a share outside the baseline's 99 %
//! limits at the week's volume, `p₀ ± 2.576·√(p₀(1−p₀)/n)` (two-sided: a broken rule falls, the rule
//! below it rises), two weeks running raises a labeler alarm on the second week.

use serde::{Deserialize, Serialize};

use super::alarms::Day;
use super::reference::{baseline_of, Cache};
use super::Model;
use crate::soft_labels::Context;
use crate::{questions, Result};

/// The standard normal's 99.5th percentile: two-sided 99 %.
const Z_99: f64 = 2.575_829_303_548_901;
/// Weeks outside the limits in a row that raise an alarm.
const WEEKS_RUNNING: usize = 2;
/// The name of the studies no rule labels.
pub const UNLABELED: &str = "(no rule: unlabeled)";

/// One rule's (or the unlabeled) share week by week.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Share {
    /// `phrase → label`, or [`UNLABELED`].
    pub name: String,
    /// Its share of the baseline's studies.
    pub baseline: f64,
    /// Studies it labels each week (in the order of [`Labeler::weeks`]).
    pub counts: Vec<u64>,
    /// Whether each week's share lies outside the baseline's 99 % limits.
    pub outside: Vec<bool>,
}

/// A labeler alarm: a rule's share left its limits two weeks running.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Moved {
    /// The Monday of the second week.
    pub week: i32,
    pub name: String,
    pub detail: String,
}

/// The labeler over the model's weeks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Labeler {
    /// Mondays (days since 1970-01-01) and the predicted studies of each week.
    pub weeks: Vec<i32>,
    pub studies: Vec<u64>,
    pub shares: Vec<Share>,
    pub alarms: Vec<Moved>,
}

/// Each rule's weekly share of the model's predicted studies under the question's current rules,
/// against the model's baseline.
pub async fn labeler(context: &Context<'_>, cache: &Cache, model: &Model) -> Result<Labeler> {
    let predictions = cache.predictions(context.pool, model).await?;
    let question = questions::get(context.pool, model.project_id, model.question_id).await?;
    let labels = context.current(&question).await?;
    let monday = |day: i32| day - (day + 3).rem_euclid(7);
    let mut weeks: Vec<i32> = Vec::new();
    let mut studies: Vec<u64> = Vec::new();
    let rules = labels.rules.rules.len();
    // counts[rule][week], the unlabeled last.
    let mut counts: Vec<Vec<u64>> = vec![Vec::new(); rules + 1];
    for study in predictions.studies() {
        let week = monday(study.day);
        if weeks.last() != Some(&week) {
            weeks.push(week);
            studies.push(0);
            counts.iter_mut().for_each(|c| c.push(0));
        }
        *studies.last_mut().expect("pushed") += 1;
        let rank = labels
            .resolution
            .effective
            .iter()
            .position(|labeled| labeled.contains(study.report_id))
            .unwrap_or(rules);
        *counts[rank].last_mut().expect("pushed") += 1;
    }
    let days: Vec<Day> = weeks
        .iter()
        .map(|&day| Day {
            day,
            ..Day::default()
        })
        .collect();
    let Some((from, to)) = baseline_of(model, &days) else {
        return Ok(Labeler {
            weeks,
            studies,
            shares: Vec::new(),
            alarms: Vec::new(),
        });
    };
    let in_baseline = |week: i32| week >= monday(from) && week <= to;
    let baseline_total: u64 = weeks
        .iter()
        .zip(&studies)
        .filter(|(w, _)| in_baseline(**w))
        .map(|(_, n)| n)
        .sum();
    let mut shares = Vec::new();
    let mut alarms = Vec::new();
    for (rank, counted) in counts.into_iter().enumerate() {
        let name = match labels.rules.rules.get(rank) {
            Some(stored) if !stored.rule.enabled => continue,
            Some(stored) => format!("{} → {}", stored.rule.phrase, stored.rule.label),
            None => UNLABELED.to_string(),
        };
        let in_base: u64 = weeks
            .iter()
            .zip(&counted)
            .filter(|(w, _)| in_baseline(**w))
            .map(|(_, c)| c)
            .sum();
        if baseline_total == 0 {
            continue;
        }
        let total = baseline_total as f64;
        let p0 = (in_base as f64).clamp(0.5, total - 0.5).max(0.25) / total;
        let mut outside = Vec::with_capacity(weeks.len());
        let mut running = 0;
        for ((&week, &n), &c) in weeks.iter().zip(&studies).zip(&counted) {
            let half = Z_99 * (p0 * (1.0 - p0) / n as f64).sqrt();
            let share = c as f64 / n as f64;
            let out = !in_baseline(week) && (share - p0).abs() > half;
            running = if out { running + 1 } else { 0 };
            if running == WEEKS_RUNNING {
                let what = match rank < rules {
                    true => format!("the rule {name} labeled"),
                    false => "no rule labeled".to_string(),
                };
                alarms.push(Moved {
                    week,
                    name: name.clone(),
                    detail: format!(
                        "{what} {:.1} % of the week's {n} studies (baseline {:.1} %, expected {:.1}–{:.1} %), {WEEKS_RUNNING} weeks running: a change of report template may have broken a rule",
                        100.0 * share,
                        100.0 * p0,
                        100.0 * (p0 - half).max(0.0),
                        100.0 * (p0 + half).min(1.0)
                    ),
                });
            }
            outside.push(out);
        }
        shares.push(Share {
            name,
            baseline: in_base as f64 / total,
            counts: counted,
            outside,
        });
    }
    Ok(Labeler {
        weeks,
        studies,
        shares,
        alarms,
    })
}
