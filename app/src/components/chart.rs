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

fn x_of(index: usize, count: usize) -> f64 {
    let span = (count.max(2) - 1) as f64;
    LEFT + (WIDTH - LEFT - RIGHT) * index as f64 / span
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

/// The SVG path of a series: moves over gaps.
fn path(values: &[Option<f64>], top: f64) -> String {
    let mut out = String::new();
    let mut pen_down = false;
    for (index, value) in values.iter().enumerate() {
        match value {
            Some(v) => {
                let command = if pen_down { 'L' } else { 'M' };
                out.push_str(&format!(
                    "{command}{:.1},{:.1}",
                    x_of(index, values.len()),
                    y_of(*v, top)
                ));
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    out
}

#[component]
pub fn LineChart(chart: Chart) -> impl IntoView {
    let count = chart.dates.len();
    let max = chart
        .series
        .iter()
        .flat_map(|s| s.values.iter().flatten())
        .fold(0.0f64, |a, b| a.max(*b));
    let top = nice_top(max * 1.05);
    let index_of = |date: &str| chart.dates.iter().position(|d| d.as_str() >= date);
    let shaded = chart.shaded.as_ref().and_then(|(from, to)| {
        let first = index_of(from)?;
        let last = chart
            .dates
            .iter()
            .rposition(|d| d.as_str() <= to.as_str())?;
        (last >= first).then(|| (x_of(first, count), x_of(last, count)))
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
    let ticks: Vec<_> = months.into_iter().step_by(step).collect();
    // Labels of marks close together are stepped down, so that they do not print over each other.
    let mut marks: Vec<(f64, f64, String)> = Vec::new();
    for (date, text) in &chart.marks {
        let Some(index) = index_of(date) else {
            continue;
        };
        let x = x_of(index, count);
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
                {ticks.into_iter().map(|(index, month)| {
                    let x = x_of(index, count);
                    view! {
                        <line class="chart-tick" x1=format!("{x:.1}") x2=format!("{x:.1}") y1=(HEIGHT - BOTTOM).to_string() y2=(HEIGHT - BOTTOM + 4.0).to_string() />
                        <text class="chart-axis" x=format!("{x:.1}") y=(HEIGHT - 8.0).to_string() text-anchor="middle">{month}</text>
                    }
                }).collect_view()}
                {chart.series.iter().map(|s| view! {
                    <path class=format!("chart-line {}", s.class) d=path(&s.values, top) />
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
        let drawn = path(&[Some(0.1), None, Some(0.2), Some(0.3)], 1.0);
        assert_eq!(drawn.matches('M').count(), 2);
        assert_eq!(drawn.matches('L').count(), 1);
    }
}
