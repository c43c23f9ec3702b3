//! Alarms on a model's daily discordance with the reference labels: a baseline period, and two
//! rules that watch every day after it.
//!
//! - **Run length**: the day's discordance lies above the baseline's 95 % upper control limit at
//!   that day's volume, `p₀ + 1.96·√(p₀(1−p₀)/nₜ)` (a p-chart's limit, Montgomery, *Introduction to
//!   Statistical Quality Control*, 7th ed., §7.2), on N consecutive days (default 7; as in the Mayo
//!   Clinic monitor of pulmonary-embolism AI, 2025).
//! - **One-sided CUSUM** on the standardized daily discordance `zₜ = (pₜ − p₀)/√(p₀(1−p₀)/nₜ)`:
//!   `Sₜ = max(0, Sₜ₋₁ + zₜ − k)`, alarm when `Sₜ > h` (Page, *Biometrika* 41, 1954). `k` is half
//!   the shift to detect (in standard deviations of a day at the baseline's mean volume) and `h`
//!   is set so that the in-control average run length (ARL₀, days between false alarms) is the one
//!   asked for, by Siegmund's approximation `ARL(Δ) = (e^{−2Δb} + 2Δb − 1)/(2Δ²)`, `b = h + 1.166`,
//!   `Δ = μ − k` (Siegmund, *Sequential Analysis*, 1985; Montgomery §9.1.8). The same formula at the
//!   shift gives the expected detection delay shown beside the rule.
//!
//! An alarm is raised on the day a rule fires and not again until the rule has come back to rest
//! (the run is broken; the CUSUM has returned to 0). Days without studies are skipped.

use serde::{Deserialize, Serialize};

use super::statistics::Z_95;

/// One day (or week) of a model's predictions with a reference label.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Day {
    /// Days since 1970-01-01 (of the studies' date); for a week, its Monday.
    pub day: i32,
    pub studies: u64,
    pub discordant: u64,
    pub model_positive: u64,
    pub reference_positive: u64,
}

impl Day {
    /// Share of the day's studies where the model and the reference differ.
    pub fn discordance(&self) -> Option<f64> {
        (self.studies > 0).then(|| self.discordant as f64 / self.studies as f64)
    }
}

/// How a model is watched.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// First and last day of the baseline (days since 1970-01-01, inclusive).
    pub baseline: (i32, i32),
    /// Consecutive days above the limit that raise the run-length alarm.
    pub run_length: u32,
    /// In-control average run length of the CUSUM, in days.
    pub cusum_arl: f64,
    /// The rise of daily discordance the CUSUM is tuned to, as a proportion (0.05: 5 points).
    pub cusum_shift: f64,
}

/// What the baseline period says.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// Pooled discordance of the baseline's studies.
    pub discordance: f64,
    pub days: u64,
    pub studies: u64,
    /// Mean studies per day with studies.
    pub volume: f64,
}

impl Baseline {
    /// The baseline of `days` from `from` to `to` (inclusive); `None` without studies.
    pub fn of(days: &[Day], (from, to): (i32, i32)) -> Option<Baseline> {
        let inside = days
            .iter()
            .filter(|d| d.day >= from && d.day <= to && d.studies > 0);
        let (mut count, mut studies, mut discordant) = (0u64, 0u64, 0u64);
        for day in inside {
            count += 1;
            studies += day.studies;
            discordant += day.discordant;
        }
        (studies > 0).then(|| Baseline {
            // A baseline without a discordant study would give limits of zero width: count half a
            // study, the usual continuity correction.
            discordance: (discordant as f64).max(0.5) / studies as f64,
            days: count,
            studies,
            volume: studies as f64 / count as f64,
        })
    }

    /// The standard deviation of a day's discordance with `studies` studies, in control.
    pub fn sd(&self, studies: u64) -> f64 {
        let p = self.discordance;
        (p * (1.0 - p) / studies as f64).sqrt()
    }

    /// The 95 % upper control limit of a day's discordance with `studies` studies.
    pub fn upper_limit(&self, studies: u64) -> f64 {
        self.discordance + Z_95 * self.sd(studies)
    }
}

/// The CUSUM's design: reference value and decision limit, in standard deviations.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Cusum {
    pub k: f64,
    pub h: f64,
    /// The shift it is tuned to, in standard deviations of a day at the baseline's volume.
    pub shift_sd: f64,
    /// Expected days from the shift to the alarm (Siegmund's approximation).
    pub expected_delay: f64,
}

impl Cusum {
    /// Sets `k` = shift/2 and `h` so that the in-control run length is `arl` days.
    pub fn design(baseline: &Baseline, shift: f64, arl: f64) -> Cusum {
        let shift_sd = shift / baseline.sd(baseline.volume.round().max(1.0) as u64);
        let k = shift_sd / 2.0;
        // The ARL grows with h: bisect.
        let (mut low, mut high) = (0.0, 1.0);
        while siegmund_arl(-k, high) < arl && high < 1e3 {
            high *= 2.0;
        }
        for _ in 0..100 {
            let middle = (low + high) / 2.0;
            match siegmund_arl(-k, middle) < arl {
                true => low = middle,
                false => high = middle,
            }
        }
        let h = (low + high) / 2.0;
        Cusum {
            k,
            h,
            shift_sd,
            expected_delay: siegmund_arl(shift_sd - k, h),
        }
    }
}

/// Siegmund's approximation of a one-sided CUSUM's average run length when the mean of the
/// standardized statistic less `k` is `delta`, with decision limit `h`.
pub fn siegmund_arl(delta: f64, h: f64) -> f64 {
    let b = h + 1.166;
    if delta.abs() < 1e-9 {
        return b * b;
    }
    ((-2.0 * delta * b).exp() + 2.0 * delta * b - 1.0) / (2.0 * delta * delta)
}

/// The expected days until `n` consecutive days above the limit, when each day is above it with
/// probability `p` independently (the waiting time for a run of `n` successes).
pub fn expected_run_delay(p: f64, n: u32) -> f64 {
    if p <= 0.0 {
        return f64::INFINITY;
    }
    if p >= 1.0 {
        return f64::from(n);
    }
    let pn = p.powi(n as i32);
    (1.0 - pn) / ((1.0 - p) * pn).max(f64::MIN_POSITIVE)
}

/// Which rule raised an alarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    RunLength,
    Cusum,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::RunLength => "run_length",
            Rule::Cusum => "cusum",
        }
    }
}

/// An alarm a rule raised on a day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alarm {
    pub rule: Rule,
    pub day: i32,
    pub detail: String,
}

/// A day as the rules saw it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Watched {
    pub day: i32,
    /// The day's upper control limit.
    pub upper_limit: f64,
    /// The CUSUM statistic at the end of the day.
    pub cusum: f64,
}

/// The rules run over a model's days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub baseline: Baseline,
    pub cusum: Cusum,
    /// Expected days for the run-length rule to fire after the shift the CUSUM is tuned to.
    pub run_length_delay: f64,
    pub watched: Vec<Watched>,
    pub alarms: Vec<Alarm>,
}

/// Runs both rules over `days` (in order); `None` when the baseline has no studies.
pub fn evaluate(days: &[Day], settings: &Settings) -> Option<Evaluation> {
    let baseline = Baseline::of(days, settings.baseline)?;
    let cusum = Cusum::design(&baseline, settings.cusum_shift, settings.cusum_arl);
    let volume = baseline.volume.round().max(1.0) as u64;
    let shifted = (baseline.discordance + settings.cusum_shift).min(1.0);
    let shifted_sd = (shifted * (1.0 - shifted) / volume as f64)
        .sqrt()
        .max(1e-12);
    let above = 1.0 - normal_cdf((baseline.upper_limit(volume) - shifted) / shifted_sd);
    let run_length_delay = expected_run_delay(above, settings.run_length);
    let mut watched = Vec::with_capacity(days.len());
    let mut alarms = Vec::new();
    let (mut run, mut statistic, mut cusum_raised) = (0u32, 0.0f64, false);
    for day in days.iter().filter(|d| d.studies > 0) {
        let rate = day.discordant as f64 / day.studies as f64;
        let limit = baseline.upper_limit(day.studies);
        run = if rate > limit { run + 1 } else { 0 };
        if run == settings.run_length {
            alarms.push(Alarm {
                rule: Rule::RunLength,
                day: day.day,
                detail: format!(
                    "discordance above the baseline's 95 % upper limit on {} consecutive days (today {:.1} % > {:.1} %)",
                    run,
                    100.0 * rate,
                    100.0 * limit
                ),
            });
        }
        let z = (rate - baseline.discordance) / baseline.sd(day.studies);
        statistic = (statistic + z - cusum.k).max(0.0);
        if statistic > cusum.h && !cusum_raised {
            cusum_raised = true;
            alarms.push(Alarm {
                rule: Rule::Cusum,
                day: day.day,
                detail: format!(
                    "CUSUM {:.2} passed its decision limit h = {:.2} (k = {:.2}; today {:.1} % discordant, baseline {:.1} %)",
                    statistic,
                    cusum.h,
                    cusum.k,
                    100.0 * rate,
                    100.0 * baseline.discordance
                ),
            });
        }
        if statistic == 0.0 {
            cusum_raised = false;
        }
        watched.push(Watched {
            day: day.day,
            upper_limit: limit,
            cusum: statistic,
        });
    }
    Some(Evaluation {
        baseline,
        cusum,
        run_length_delay,
        watched,
        alarms,
    })
}

/// The standard normal distribution function.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cusum_limit_gives_the_asked_run_length() {
        // Montgomery table 9.3 (k = 0.5): h = 4 gives ARL₀ ≈ 336 by Siegmund's approximation.
        assert!((siegmund_arl(-0.5, 4.0) - 336.5).abs() < 1.0);
        let baseline = Baseline {
            discordance: 0.1,
            days: 100,
            studies: 10_000,
            volume: 100.0,
        };
        let cusum = Cusum::design(&baseline, 0.03, 500.0);
        assert!((siegmund_arl(-cusum.k, cusum.h) - 500.0).abs() < 1e-6);
        assert!((cusum.shift_sd - 1.0).abs() < 1e-9);
        assert!(cusum.expected_delay > 1.0 && cusum.expected_delay < 20.0);
    }

    #[test]
    fn a_run_of_days_needs_every_day() {
        assert!((expected_run_delay(1.0, 7) - 7.0).abs() < 1e-9);
        assert!((expected_run_delay(0.5, 2) - 6.0).abs() < 1e-9);
        assert!((normal_cdf(1.959_963_984_540_054) - 0.975).abs() < 1e-12);
    }
}
