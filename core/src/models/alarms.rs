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
//!   asked for. Daily counts are small and skewed, so the run lengths are not taken from a normal
//!   approximation: they are computed with the Markov chain of Brook & Evans (*Biometrika* 59,
//!   1972) over the CUSUM's values, its steps drawn from the binomial count of discordant studies
//!   on a day of the baseline's mean volume. The same chain at the shifted rate gives the expected
//!   detection delay shown beside the rule; the run-length rule's delay and false-alarm interval
//!   come from the same binomial.
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
    /// Pooled discordance of the baseline's studies, as the limits use it (with half a study
    /// counted when none or all are discordant).
    pub discordance: f64,
    /// Discordant studies of the baseline, as counted.
    pub discordant: u64,
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
            discordant,
            // A baseline without a discordant study (or with nothing else) would give limits of
            // zero width: count half a study, the usual continuity correction.
            discordance: (discordant as f64)
                .clamp(0.5, studies as f64 - 0.5)
                .max(0.25)
                / studies as f64,
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
    /// Expected days from the shift to the alarm.
    pub expected_delay: f64,
}

/// States of the Markov chain over the CUSUM's values in [0, h].
const STATES: usize = 80;

impl Cusum {
    /// Sets `k` = shift/2 (in standard deviations) and `h` so that the in-control run length is
    /// `arl` days, for days of the baseline's mean volume.
    pub fn design(baseline: &Baseline, shift: f64, arl: f64) -> Cusum {
        let n = baseline.volume.round().max(1.0) as u64;
        let sd = baseline.sd(n);
        let shift_sd = shift / sd;
        let k = shift_sd / 2.0;
        let steps = |rate: f64| steps(n, rate, baseline.discordance, sd, k);
        let in_control = steps(baseline.discordance);
        // The run length grows with h: bisect.
        let (mut low, mut high) = (0.0, 1.0);
        while run_length(&in_control, high) < arl && high < 200.0 {
            high *= 2.0;
        }
        for _ in 0..40 {
            let middle = (low + high) / 2.0;
            match run_length(&in_control, middle) < arl {
                true => low = middle,
                false => high = middle,
            }
        }
        // The smallest limit found that reaches the run length asked for (with whole counts the
        // run length grows in steps, so it may pass the target a little).
        let h = high;
        let shifted = steps((baseline.discordance + shift).min(1.0));
        Cusum {
            k,
            h,
            shift_sd,
            expected_delay: run_length(&shifted, h),
        }
    }
}

/// The CUSUM's possible steps on a day of `n` studies whose discordance rate is `rate`: (the
/// standardized count less `k`, its probability), from the binomial distribution.
fn steps(n: u64, rate: f64, p0: f64, sd: f64, k: f64) -> Vec<(f64, f64)> {
    (0..=n)
        .filter_map(|count| {
            let probability = binomial(n, count, rate);
            (probability > 1e-15).then(|| ((count as f64 / n as f64 - p0) / sd - k, probability))
        })
        .collect()
}

/// P(X = x) for X ~ Binomial(n, p).
pub fn binomial(n: u64, x: u64, p: f64) -> f64 {
    if p <= 0.0 {
        return f64::from(u8::from(x == 0));
    }
    if p >= 1.0 {
        return f64::from(u8::from(x == n));
    }
    let (n, x) = (n as f64, x as f64);
    let log = libm::lgamma(n + 1.0) - libm::lgamma(x + 1.0) - libm::lgamma(n - x + 1.0)
        + x * p.ln()
        + (n - x) * (1.0 - p).ln();
    log.exp()
}

/// The average run length from S = 0 of a CUSUM with these steps and decision limit `h`, by the
/// Markov chain of Brook & Evans: state 0 is S = 0, state j the interval of width w around j·w,
/// w = 2h/(2·STATES − 1); a step past h ends the run. Solves (I − R)·L = 1.
fn run_length(steps: &[(f64, f64)], h: f64) -> f64 {
    let m = STATES;
    let width = 2.0 * h / (2.0 * m as f64 - 1.0);
    // The augmented system [I − R | 1], row by row.
    let mut a = vec![vec![0.0f64; m + 1]; m];
    for (i, row) in a.iter_mut().enumerate() {
        row[i] += 1.0;
        row[m] = 1.0;
        let from = i as f64 * width;
        for &(step, probability) in steps {
            let to = from + step;
            if to > h {
                continue;
            }
            let j = match to < width / 2.0 {
                true => 0,
                false => ((to / width).round() as usize).min(m - 1),
            };
            row[j] -= probability;
        }
    }
    // Gaussian elimination with partial pivoting.
    for col in 0..m {
        let pivot = (col..m)
            .max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))
            .expect("rows");
        a.swap(col, pivot);
        let head = a[col][col];
        if head.abs() < 1e-300 {
            return f64::INFINITY;
        }
        for row in col + 1..m {
            let factor = a[row][col] / head;
            if factor != 0.0 {
                let (above, below) = a.split_at_mut(row);
                for (target, source) in below[0][col..].iter_mut().zip(&above[col][col..]) {
                    *target -= factor * source;
                }
            }
        }
    }
    let mut solution = vec![0.0; m];
    for row in (0..m).rev() {
        let known: f64 = (row + 1..m).map(|c| a[row][c] * solution[c]).sum();
        solution[row] = (a[row][m] - known) / a[row][row];
    }
    solution[0]
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

/// P(a day of `n` studies at discordance `rate` lies above the baseline's upper limit).
fn above_limit(baseline: &Baseline, n: u64, rate: f64) -> f64 {
    let limit = baseline.upper_limit(n);
    (0..=n)
        .filter(|&count| count as f64 / n as f64 > limit)
        .map(|count| binomial(n, count, rate))
        .sum()
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
    /// Expected days between the run-length rule's false alarms, in control.
    pub run_length_arl: f64,
    pub watched: Vec<Watched>,
    pub alarms: Vec<Alarm>,
}

/// Runs both rules over `days` (in order); `None` when the baseline has no studies.
pub fn evaluate(days: &[Day], settings: &Settings) -> Option<Evaluation> {
    let baseline = Baseline::of(days, settings.baseline)?;
    let cusum = Cusum::design(&baseline, settings.cusum_shift, settings.cusum_arl);
    let volume = baseline.volume.round().max(1.0) as u64;
    let shifted = (baseline.discordance + settings.cusum_shift).min(1.0);
    let run_length_delay =
        expected_run_delay(above_limit(&baseline, volume, shifted), settings.run_length);
    let run_length_arl = expected_run_delay(
        above_limit(&baseline, volume, baseline.discordance),
        settings.run_length,
    );
    let mut watched = Vec::with_capacity(days.len());
    let mut alarms = Vec::new();
    let (mut run, mut statistic, mut cusum_raised) = (0u32, 0.0f64, false);
    // The last day the CUSUM stood at zero before it rose: the usual estimate of when a change
    // began (Page's change point), and the first day of the current run.
    let (mut rest, mut run_from) = (None::<i32>, 0i32);
    for day in days.iter().filter(|d| d.studies > 0) {
        let rate = day.discordant as f64 / day.studies as f64;
        let limit = baseline.upper_limit(day.studies);
        run = if rate > limit { run + 1 } else { 0 };
        if run == 1 {
            run_from = day.day;
        }
        if run == settings.run_length {
            alarms.push(Alarm {
                rule: Rule::RunLength,
                day: day.day,
                detail: format!(
                    "discordance above the baseline's 95 % upper limit on {} consecutive days, since {} (that day {:.1} % > {:.1} %)",
                    run,
                    super::day_text(run_from),
                    100.0 * rate,
                    100.0 * limit
                ),
            });
        }
        let z = (rate - baseline.discordance) / baseline.sd(day.studies);
        if statistic == 0.0 {
            rest = Some(day.day);
        }
        statistic = (statistic + z - cusum.k).max(0.0);
        if statistic > cusum.h && !cusum_raised {
            cusum_raised = true;
            let began = rest.map_or_else(String::new, |d| {
                format!("; the rise began about {}", super::day_text(d))
            });
            alarms.push(Alarm {
                rule: Rule::Cusum,
                day: day.day,
                detail: format!(
                    "CUSUM {:.2} passed its decision limit h = {:.2} (k = {:.2}; that day {:.1} % discordant, baseline {:.1} %){began}",
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
        run_length_arl,
        watched,
        alarms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cusum_limit_gives_the_asked_run_length() {
        // Normal steps (a large daily volume): the chain agrees with Montgomery's table 9.3
        // (k = 0.5, h = 4: ARL₀ = 336, at a 1-σ shift 8.38).
        let normal = |mean: f64| -> Vec<(f64, f64)> {
            (-800..=800)
                .map(|i| {
                    let z = f64::from(i) / 100.0;
                    let density = (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
                    (z + mean - 0.5, density / 100.0)
                })
                .collect()
        };
        let in_control = run_length(&normal(0.0), 4.0);
        assert!((in_control - 336.0).abs() < 10.0, "{in_control}");
        let shifted = run_length(&normal(1.0), 4.0);
        assert!((shifted - 8.38).abs() < 0.3, "{shifted}");
        let baseline = Baseline {
            discordance: 0.1,
            discordant: 1_000,
            days: 100,
            studies: 10_000,
            volume: 100.0,
        };
        let cusum = Cusum::design(&baseline, 0.03, 500.0);
        let in_control = steps(100, 0.1, 0.1, baseline.sd(100), cusum.k);
        let arl = run_length(&in_control, cusum.h);
        assert!((500.0..560.0).contains(&arl), "{arl}");
        assert!((cusum.shift_sd - 1.0).abs() < 1e-9);
        assert!(cusum.expected_delay > 1.0 && cusum.expected_delay < 20.0);
    }

    #[test]
    fn a_run_of_days_needs_every_day() {
        assert!((expected_run_delay(1.0, 7) - 7.0).abs() < 1e-9);
        assert!((expected_run_delay(0.5, 2) - 6.0).abs() < 1e-9);
        let total: f64 = (0..=20).map(|x| binomial(20, x, 0.3)).sum();
        assert!((total - 1.0).abs() < 1e-12);
        assert!((binomial(10, 3, 0.5) - 120.0 / 1024.0).abs() < 1e-12);
    }
}
