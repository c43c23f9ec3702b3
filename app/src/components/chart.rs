//! A line chart drawn as SVG on the server and in the browser alike: dates along the bottom, values
//! up the side (shares as percentages), lines for each series, a shaded period (a baseline), and
//! marked days (alarms) as red lines with their label.

use leptos::prelude::*;

const WIDTH: f64 = 960.0;
const HEIGHT: f64 = 260.0;
const LEFT: f64 = 52.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 28.0;

/// One line of a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    /// A CSS class giving its colour and dash: `series-model`, `series-reference`, `series-limit` …
    pub class: &'static str,
    /// One value per point of the chart (`None`: a gap).
    pub values: Vec<Option<f64>>,
}

/// What a chart draws.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// Read by screen readers and shown as the chart's caption.
    pub title: String,
    /// The dates of the points, `YYYY-MM-DD`.
    pub dates: Vec<String>,
    pub series: Vec<Series>,
    /// Values are shares, shown as percentages.
    pub percent: bool,
    /// The first and last date of a shaded period.
    pub shaded: Option<(String, String)>,
    /// Dates to mark, with a short label.
    pub marks: Vec<(String, String)>,
}

/// Where a day (days since 1970-01-01) lies between the first and the last: time runs evenly
/// along the axis, days without a point leave a gap.
fn x_of(day: i64, first: i64, last: i64) -> f64 {
    let span = (last - first).max(1) as f64;
    LEFT + (WIDTH - LEFT - RIGHT) * (day - first) as f64 / span
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date (the civil calendar, as
/// `days_from_civil` of H. Hinnant's date algorithms); 0 when it is not one.
fn day_of(date: &str) -> i64 {
    let mut parts = date
        .get(..10)
        .unwrap_or("")
        .split('-')
        .map(|p| p.parse::<i64>());
    let (Some(Ok(y)), Some(Ok(m)), Some(Ok(d))) = (parts.next(), parts.next(), parts.next()) else {
        return 0;
    };
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn y_of(value: f64, top: f64) -> f64 {
    HEIGHT - BOTTOM - (HEIGHT - TOP - BOTTOM) * (value / top).clamp(0.0, 1.0)
}

/// A round top for the axis: 1, 2 or 5 times a power of ten, at or above `max`.
fn nice_top(max: f64) -> f64 {
    if max <= 0.0 || !max.is_finite() {
        return 1.0;
    }
    let power = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|top| *top >= max)
        .unwrap_or(10.0 * power)
}

fn label(value: f64, percent: bool) -> String {
    let plain = |v: f64| {
        let text = format!("{v:.1}");
        text.strip_suffix(".0").map(str::to_string).unwrap_or(text)
    };
    match percent {
        true => format!("{} %", plain(value * 100.0)),
        false if value >= 1000.0 => format!("{}k", plain(value / 1000.0)),
        false => plain(value),
    }
}

/// The SVG path of a series at the points' x positions: moves over gaps.
fn path(values: &[Option<f64>], xs: &[f64], top: f64) -> String {
    let mut out = String::new();
    let mut pen_down = false;
    for (value, x) in values.iter().zip(xs) {
        match value {
            Some(v) => {
                let command = if pen_down { 'L' } else { 'M' };
                out.push_str(&format!("{command}{x:.1},{:.1}", y_of(*v, top)));
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    out
}

#[component]
pub fn LineChart(chart: Chart) -> impl IntoView {
    let days: Vec<i64> = chart.dates.iter().map(|d| day_of(d)).collect();
    let (first, last) = (
        days.first().copied().unwrap_or(0),
        days.last().copied().unwrap_or(0),
    );
    let xs: Vec<f64> = days.iter().map(|&d| x_of(d, first, last)).collect();
    let max = chart
        .series
        .iter()
        .flat_map(|s| s.values.iter().flatten())
        .fold(0.0f64, |a, b| a.max(*b));
    // A share never passes 100 %: a control limit above it (a day of few studies) is drawn at it.
    let top = match chart.percent {
        true => nice_top(max * 1.05).min(1.0),
        false => nice_top(max * 1.05),
    };
    let x_at = |date: &str| x_of(day_of(date).clamp(first, last), first, last);
    let shaded = chart.shaded.as_ref().and_then(|(from, to)| {
        let (a, b) = (day_of(from).max(first), day_of(to).min(last));
        (b >= a).then(|| (x_of(a, first, last), x_of(b, first, last)))
    });
    // Date ticks: the first point of every month (every third month past two years).
    let months: Vec<(usize, String)> = chart
        .dates
        .iter()
        .enumerate()
        .filter(|(i, d)| *i == 0 || d.get(..7) != chart.dates[i - 1].get(..7))
        .map(|(i, d)| (i, d.get(..7).unwrap_or(d).to_string()))
        .collect();
    let step = match months.len() {
        0..=14 => 1,
        15..=30 => 3,
        _ => 6,
    };
    let ticks: Vec<(f64, String)> = months
        .into_iter()
        .step_by(step)
        .map(|(index, month)| (xs[index], month))
        .collect();
    // Labels of marks close together are stepped down, so that they do not print over each other.
    let mut marks: Vec<(f64, f64, String)> = Vec::new();
    for (date, text) in &chart.marks {
        let x = x_at(date);
        let y = match marks.last() {
            Some((last_x, last_y, _)) if x - last_x < 80.0 => last_y + 12.0,
            _ => TOP + 10.0,
        };
        marks.push((x, y, text.clone()));
    }
    let legend = chart
        .series
        .iter()
        .map(|s| view! { <span class=format!("legend {}", s.class)>{s.name.clone()}</span> })
        .collect_view();
    let percent = chart.percent;
    view! {
        <figure class="chart">
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=chart.title.clone()>
                <title>{chart.title.clone()}</title>
                {shaded.map(|(a, b)| view! {
                    <rect class="chart-shaded" x=format!("{a:.1}") y=TOP.to_string() width=format!("{:.1}", (b - a).max(1.0)) height=(HEIGHT - TOP - BOTTOM).to_string() />
                })}
                {(0..=4).map(|step| {
                    let value = top * step as f64 / 4.0;
                    let y = y_of(value, top);
                    view! {
                        <line class="chart-grid" x1=LEFT.to_string() x2=(WIDTH - RIGHT).to_string() y1=format!("{y:.1}") y2=format!("{y:.1}") />
                        <text class="chart-axis" x=(LEFT - 6.0).to_string() y=format!("{:.1}", y + 4.0) text-anchor="end">{label(value, percent)}</text>
                    }
                }).collect_view()}
                {ticks.into_iter().map(|(x, month)| {
                    // A label near an edge is kept inside the chart.
                    let anchor = match x {
                        x if x > WIDTH - RIGHT - 30.0 => "end",
                        x if x < LEFT + 30.0 => "start",
                        _ => "middle",
                    };
                    view! {
                        <line class="chart-tick" x1=format!("{x:.1}") x2=format!("{x:.1}") y1=(HEIGHT - BOTTOM).to_string() y2=(HEIGHT - BOTTOM + 4.0).to_string() />
                        <text class="chart-axis" x=format!("{x:.1}") y=(HEIGHT - 8.0).to_string() text-anchor=anchor>{month}</text>
                    }
                }).collect_view()}
                {chart.series.iter().map(|s| view! {
                    <path class=format!("chart-line {}", s.class) d=path(&s.values, &xs, top) />
                }).collect_view()}
                {marks.into_iter().map(|(x, y, text)| view! {
                    <line class="chart-mark" x1=format!("{x:.1}") x2=format!("{x:.1}") y1=TOP.to_string() y2=(HEIGHT - BOTTOM).to_string() />
                    <text class="chart-mark-label" x=format!("{:.1}", x - 4.0) y=format!("{y:.1}") text-anchor="end">{text}</text>
                }).collect_view()}
            </svg>
            <figcaption>{chart.title.clone()}" " {legend}</figcaption>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_end_on_round_numbers_and_gaps_lift_the_pen() {
        assert_eq!(nice_top(0.17), 0.2);
        assert_eq!(nice_top(0.06), 0.1);
        assert_eq!(nice_top(430.0), 500.0);
        let drawn = path(
            &[Some(0.1), None, Some(0.2), Some(0.3)],
            &[0.0, 1.0, 2.0, 3.0],
            1.0,
        );
        assert_eq!(drawn.matches('M').count(), 2);
        assert_eq!(drawn.matches('L').count(), 1);
        // Time runs evenly: 2024-02-29 is day 19,782, and a gap of days is a gap on the axis.
        assert_eq!(day_of("1970-01-01"), 0);
        assert_eq!(day_of("2024-02-29"), 19_782);
        let middle = x_of(
            day_of("2024-01-16"),
            day_of("2024-01-01"),
            day_of("2024-01-31"),
        );
        assert!((middle - (LEFT + (WIDTH - LEFT - RIGHT) / 2.0)).abs() < 1e-9);
    }
}
