//! `/projects/:id/models/:model`: one model version — its validation on a chosen set of studies
//! against the reference labels (with 95 % intervals and per subgroup), its days and weeks drawn
//! with the baseline, control limit and alarms, its discordant studies sent to the queue, its
//! predictions uploaded, and how its alarms are set.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::models::{
    model_labeler, model_over_time, model_page, model_validation, AlarmRow, Measures, ModelView,
    OverTimeView, Point, QueueModelDiscordant, Rate, SaveModelWatching, ValidationView,
};
use crate::components::chart::{Chart, LineChart, Series};
use crate::components::confirm::confirmed;
use crate::components::error_box::ErrorBox;
use crate::components::upload::send_file;

/// What the validation and the over-time view take: the set of studies and the reference labels.
#[derive(Clone, Copy)]
struct Choice {
    set: RwSignal<String>,
    from: RwSignal<String>,
    sources: RwSignal<String>,
}

#[component]
pub fn ModelPage() -> impl IntoView {
    let project = crate::pages::route_number("id");
    let model = crate::pages::route_number("model");
    let save = ServerAction::<SaveModelWatching>::new();
    let uploads = RwSignal::new(0u64);
    // Kept here, not in the parts below: an upload or a save redraws those, and what was chosen
    // and said must stay. `default`: the test split for a model from a training job, else all.
    let choice = Choice {
        set: RwSignal::new("default".to_string()),
        from: RwSignal::new(String::new()),
        sources: RwSignal::new("all".to_string()),
    };
    let uploaded = RwSignal::new(None::<Result<String, String>>);
    let page = Resource::new(
        move || {
            (
                project().unwrap_or(0),
                model().unwrap_or(0),
                save.version().get(),
                uploads.get(),
            )
        },
        |(project, model, _, _)| model_page(project, model),
    );
    let content = move || {
        Suspend::new(async move {
            match page.await {
                Ok(view) => {
                    view! { <Model view project=project().unwrap_or(0) save uploads choice uploaded /> }.into_any()
                }
                Err(error) => view! { <ErrorBox error /> }.into_any(),
            }
        })
    };
    view! { <Transition fallback=|| view! { <p class="muted">"Loading the model…"</p> }>{content}</Transition> }
}

#[component]
fn Model(
    view: ModelView,
    project: i64,
    save: ServerAction<SaveModelWatching>,
    uploads: RwSignal<u64>,
    choice: Choice,
    uploaded: RwSignal<Option<Result<String, String>>>,
) -> impl IntoView {
    let model = view.model.clone();
    let id = model.id;
    let title = format!("{} {}", model.name, model.version);
    // A model from a training job opens on its label set's test split.
    if choice.set.get_untracked() == "default" {
        choice.set.set(match model.label_set_version {
            Some(_) => "test".to_string(),
            None => "all".to_string(),
        });
    }
    view! {
        <Title text=format!("{title} — {}", view.project_name) />
        <p class="breadcrumbs"><a href=format!("/projects/{project}")>{view.project_name.clone()}</a> " / "
            <a href=format!("/projects/{project}/models")>"Models"</a> " /"</p>
        <h1>{title.clone()}</h1>
        <dl class="facts">
            <div><dt>"Question"</dt><dd>{model.question.clone()}</dd></div>
            <div><dt>"Positive when"</dt><dd>{model.output.clone()}</dd></div>
            <div><dt>"From"</dt><dd>{match (model.job_id, model.label_set_version) {
                (Some(job), Some(set)) => view! { <span><a href=format!("/projects/{project}/jobs")>{format!("training job {job}")}</a>{format!(", label set v{set}")}</span> }.into_any(),
                _ => view! { <span>"registered"</span> }.into_any(),
            }}</dd></div>
            <div><dt>"Predictions"</dt><dd data-testid="prediction-count">{model.predictions}</dd></div>
        </dl>
        <Alarms alarms=view.alarms.clone() />
        <Validation project model=id choice has_test_split=model.label_set_version.is_some() positive=view.positive_label.clone() />
        <OverTime project model=id choice />
        <LabelerWeeks project model=id />
        <Upload project model=id uploads status=uploaded threshold=view.threshold positive=view.positive_label.clone() />
        <Watching view=view.clone() project save />
        {(!view.metrics.is_empty()).then(|| view! {
            <section class="panel" aria-labelledby="metrics-title">
                <h2 id="metrics-title">"What the training job measured"</h2>
                {view.output_dir.clone().map(|dir| view! { <p class="muted">"Output directory: "<code>{dir}</code></p> })}
                <table><thead><tr><th>"Measure"</th><th class="number">"Value"</th></tr></thead>
                    <tbody>{view.metrics.iter().map(|m| view! {
                        <tr><td><code>{m.name.clone()}</code></td><td class="number">{format!("{:.3}", m.value)}</td></tr>
                    }).collect_view()}</tbody></table>
            </section>
        })}
    }
}

#[component]
fn Alarms(alarms: Vec<AlarmRow>) -> impl IntoView {
    (!alarms.is_empty()).then(|| {
        view! {
            <section class="panel alarm-panel" aria-labelledby="model-alarms-title" data-testid="model-alarms">
                <h2 id="model-alarms-title">{format!("Alarms ({})", alarms.len())}</h2>
                <p class="muted">"Raised when the daily discordance left its baseline (the rules are explained under Over time). Check the studies: queue the discordant ones for confirmation below."</p>
                <ul>{alarms.into_iter().map(|a| view! {
                    <li><strong>{format!("{} alarm on {}", a.rule, a.day)}</strong>": "{a.detail}</li>
                }).collect_view()}</ul>
            </section>
        }
    })
}

fn percent(rate: Option<Rate>) -> String {
    match rate {
        Some(r) => format!(
            "{:.1} % ({:.1}–{:.1})",
            100.0 * r.value,
            100.0 * r.low,
            100.0 * r.high
        ),
        None => "—".into(),
    }
}

fn counts(rate: Option<Rate>) -> String {
    rate.map(|r| format!("{} / {}", r.count, r.total))
        .unwrap_or_default()
}

#[component]
fn Validation(
    project: i64,
    model: i64,
    choice: Choice,
    has_test_split: bool,
    positive: String,
) -> impl IntoView {
    let queue = ServerAction::<QueueModelDiscordant>::new();
    let found = Resource::new(
        move || {
            (
                choice.set.get(),
                choice.from.get(),
                choice.sources.get(),
                queue.version().get(),
            )
        },
        move |(set, from, sources, _)| async move {
            // Studies from a date: nothing to count until the date is picked.
            match set == "from" && from.trim().is_empty() {
                true => Ok(None),
                false => model_validation(project, model, set, from, sources)
                    .await
                    .map(Some),
            }
        },
    );
    let content = move || {
        let positive = positive.clone();
        Suspend::new(async move {
            match found.await {
                Ok(Some(view)) => {
                    view! { <Measured view project model choice queue positive=positive.clone() /> }
                        .into_any()
                }
                Ok(None) => {
                    view! { <p class="muted">"Pick the first day of the studies to count."</p> }
                        .into_any()
                }
                Err(error) => view! { <ErrorBox error /> }.into_any(),
            }
        })
    };
    view! {
        <section class="panel" aria-labelledby="validation-title" data-testid="validation">
            <h2 id="validation-title">"Validation"</h2>
            <div class="form-row">
                <div class="field"><label for="validation-set">"Studies"</label>
                    <select id="validation-set" on:change=move |e| choice.set.set(event_target_value(&e))>
                        <option value="all" selected=move || choice.set.get() == "all">"Every predicted study"</option>
                        <option value="test" disabled=!has_test_split selected=move || choice.set.get() == "test">"The test split of its label set (a model from a training job)"</option>
                        <option value="from" selected=move || choice.set.get() == "from">"Studies from a date on (since deployment, or a pre-deployment test)"</option>
                    </select></div>
                {move || (choice.set.get() == "from").then(|| view! {
                    <div class="field"><label for="validation-from">"From"</label>
                        <input id="validation-from" type="date" prop:value=move || choice.from.get()
                            on:change=move |e| choice.from.set(event_target_value(&e)) /></div>
                })}
                <div class="field"><label for="validation-sources">"Reference labels"</label>
                    <select id="validation-sources" on:change=move |e| choice.sources.set(event_target_value(&e))>
                        <option value="all" selected=move || choice.sources.get() == "all">"Every label Sieve has (soft labels included)"</option>
                        <option value="human" selected=move || choice.sources.get() == "human">"Only labels people gave or settled"</option>
                    </select></div>
            </div>
            <Transition fallback=|| view! { <p class="muted">"Counting…"</p> }>{content}</Transition>
        </section>
    }
}

#[component]
fn MeasureRows(measures: Measures, auc: Option<(f64, f64, f64)>) -> impl IntoView {
    // The Hanley–McNeil interval says nothing with a handful of studies of either kind.
    let few = measures.true_positive + measures.false_negative < 5
        || measures.false_positive + measures.true_negative < 5;
    let rows = [
        (
            "Sensitivity",
            "of the studies the reference calls positive, the share the model calls positive",
            measures.sensitivity,
        ),
        (
            "Specificity",
            "of the studies the reference calls negative, the share the model calls negative",
            measures.specificity,
        ),
        (
            "PPV",
            "positive predictive value: of the model's positives, the share the reference confirms",
            measures.ppv,
        ),
        (
            "NPV",
            "negative predictive value: of the model's negatives, the share the reference confirms",
            measures.npv,
        ),
        (
            "Accuracy",
            "the share of studies where they agree",
            measures.accuracy,
        ),
    ];
    view! {
        {rows.into_iter().map(|(name, meaning, rate)| view! {
            <tr><th scope="row" title=meaning>{name}</th><td class="number" data-testid=format!("measure-{}", name.to_lowercase())>{percent(rate)}</td><td class="number">{counts(rate)}</td><td class="muted">{meaning}</td></tr>
        }).collect_view()}
        {auc.map(|(value, low, high)| view! {
            <tr><th scope="row">"ROC AUC"</th><td class="number" data-testid="measure-auc">{match few {
                true => format!("{value:.3} (too few studies of each kind for an interval)"),
                false => format!("{value:.3} ({low:.3}–{high:.3})"),
            }}</td><td></td>
                <td class="muted">"how well the score ranks the reference's positives above its negatives (0.5: chance, 1: perfect); interval of Hanley and McNeil"</td></tr>
        })}
    }
}

#[component]
fn Measured(
    view: ValidationView,
    project: i64,
    model: i64,
    choice: Choice,
    queue: ServerAction<QueueModelDiscordant>,
    positive: String,
) -> impl IntoView {
    let m = view.measures.clone();
    if m.studies == 0 {
        return view! {
            <p class="empty" data-testid="validation-empty">{match (view.without_reference, view.other_sources) {
                (0, 0) => "No predicted study in this set: upload the model's predictions below, or choose another set.".to_string(),
                (none, 0) => format!("None of the {none} predicted studies of this set has a reference label yet (no rule, answer or decision labels them)."),
                (_, other) => format!("None of this set's studies has a label people gave or settled yet ({other} have soft labels only): confirmations count as they come."),
            }}</p>
        }
        .into_any();
    }
    let discordant = m.false_positive + m.false_negative;
    let sources = view
        .by_source
        .iter()
        .map(|(s, n)| format!("{s} {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let queued = move || {
        match queue.value().get() {
        Some(Ok(0)) => view! { <p class="notice" role="status">"They were all in the queue already."</p> }.into_any(),
        Some(Ok(n)) => view! { <p class="notice" role="status" data-testid="queued">{format!("{n} studies added to the confirmation queue: affiliates see them first.")}</p> }.into_any(),
        Some(Err(error)) => view! { <ErrorBox error /> }.into_any(),
        None => ().into_any(),
    }
    };
    let subgroups = view.subgroups.clone();
    view! {
        <p class="muted">{format!("{} studies compared ({} discordant). Reference labels: {sources}.", m.studies, discordant)}
            {(view.without_reference > 0).then(|| format!(" {} predicted studies have no reference label and are left out.", view.without_reference))}
            {(view.other_sources > 0).then(|| format!(" {} with soft labels only are left out.", view.other_sources))}</p>
        <table data-testid="validation-measures">
            <thead><tr><th>"Measure"</th><th class="number">"Value (95 % interval)"</th><th class="number">"Studies"</th><th>"Meaning"</th></tr></thead>
            <tbody><MeasureRows measures=m.clone() auc=view.auc /></tbody>
        </table>
        <table class="confusion" aria-label="Confusion matrix">
            <thead><tr><th></th><th class="number">"Reference positive"</th><th class="number">"Reference negative"</th></tr></thead>
            <tbody>
                <tr><th scope="row">"Model positive"</th><td class="number">{m.true_positive}</td><td class="number">{m.false_positive}</td></tr>
                <tr><th scope="row">"Model negative"</th><td class="number">{m.false_negative}</td><td class="number">{m.true_negative}</td></tr>
            </tbody>
        </table>
        <p class="muted">{format!("Positive means {positive}, for the model and the reference alike: every other label of the question counts as negative. Intervals are Wilson score intervals (95 %).")}</p>
        {(discordant > 0).then(|| view! {
            <p><button type="button" class="button-primary button-inline" data-testid="queue-discordant" disabled=move || queue.pending().get()
                on:click=move |_| {
                    if confirmed(&format!("Add the {discordant} studies where the model and the reference disagree to the confirmation queue? Affiliates are served them first; nothing else changes.")) {
                        queue.dispatch(QueueModelDiscordant { project, model, set: choice.set.get_untracked(), from: choice.from.get_untracked(), sources: choice.sources.get_untracked() });
                    }
                }>{format!("Queue the {discordant} discordant studies for confirmation")}</button></p>
        })}
        {queued}
        <details>
            <summary>{format!("By subgroup ({})", subgroups.len())}</summary>
            <table data-testid="subgroups">
                <thead><tr><th>"Subgroup"</th><th class="number">"Studies"</th><th class="number">"Sensitivity"</th><th class="number">"Specificity"</th><th class="number">"PPV"</th><th class="number">"NPV"</th></tr></thead>
                <tbody>{subgroups.into_iter().map(|s| view! {
                    <tr><td>{format!("{}: {}", s.kind, s.name)}</td><td class="number">{s.measures.studies}</td>
                        <td class="number">{percent(s.measures.sensitivity)}</td><td class="number">{percent(s.measures.specificity)}</td>
                        <td class="number">{percent(s.measures.ppv)}</td><td class="number">{percent(s.measures.npv)}</td></tr>
                }).collect_view()}</tbody>
            </table>
        </details>
    }
    .into_any()
}

fn share(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

#[component]
fn OverTime(project: i64, model: i64, choice: Choice) -> impl IntoView {
    let weekly = RwSignal::new(false);
    let seen = Resource::new(
        move || choice.sources.get(),
        move |sources| model_over_time(project, model, sources),
    );
    let content = move || {
        Suspend::new(async move {
            match seen.await {
                Ok(view) => {
                    view! { <Charts view weekly human=choice.sources.get_untracked() == "human" /> }
                        .into_any()
                }
                Err(error) => view! { <ErrorBox error /> }.into_any(),
            }
        })
    };
    view! {
        <section class="panel" aria-labelledby="over-time-title" data-testid="over-time">
            <h2 id="over-time-title">"Over time"</h2>
            <div class="form-row">
                <div class="field"><label for="over-time-points">"Points"</label>
                    <select id="over-time-points" on:change=move |e| weekly.set(event_target_value(&e) == "week")>
                        <option value="day">"By day"</option>
                        <option value="week">"By week"</option>
                    </select></div>
            </div>
            <Transition fallback=|| view! { <p class="muted">"Drawing…"</p> }>{content}</Transition>
        </section>
    }
}

#[component]
fn Charts(view: OverTimeView, weekly: RwSignal<bool>, human: bool) -> impl IntoView {
    if view.days.is_empty() {
        return view! { <p class="empty">{match human {
            true => "No predicted study has a label people gave or settled yet: nothing to draw (choose every label Sieve has to see the soft labels).",
            false => "No predicted study has a reference label yet: nothing to draw.",
        }}</p> }.into_any();
    }
    let explanation = match (view.baseline_discordance, view.cusum, view.run_length_delay.zip(view.run_length_arl), &view.baseline) {
        (Some(p0), Some((k, h, shift, delay)), Some((run_delay, run_arl)), Some((from, to))) => view! {
            <div class="explained" data-testid="alarm-rules">
                <p>{format!("Baseline {from} to {to}: {:.1} % of {} studies discordant.", 100.0 * p0, view.baseline_studies)}
                    {(view.baseline_studies < 100).then_some(" With so few studies its limits are wide and its alarms weak: choose a longer baseline below.")}</p>
                <p><strong>"Run-length rule: "</strong>"an alarm when the day's discordance lies above the baseline's 95 % upper limit (dashed red; it depends on the day's number of studies) on the set number of consecutive days. "
                    {match run_delay > 10_000.0 {
                        true => format!("At this volume it hardly ever fires for a rise as small as the one the CUSUM is tuned to: it is there for larger, sudden rises. With no change, a false alarm once in {} days.", days(run_arl)),
                        false => format!("For the rise the CUSUM is tuned to, expect it after {} days; with no change, a false alarm once in {} days.", days(run_delay), days(run_arl)),
                    }}</p>
                <p><strong>"CUSUM: "</strong>{format!("adds up each day's excess discordance (in standard deviations above the baseline, less k = {k:.2}) and raises an alarm when the sum passes h = {h:.2}. Tuned to a rise of {shift:.1} standard deviations of a day: it is expected to find it after {} days, and to raise a false alarm once in the chosen number of days (run lengths computed for days of the baseline's mean volume, from the binomial distribution of discordant studies).", days(delay))}</p>
            </div>
        }.into_any(),
        _ => view! { <p class="muted">"The baseline period holds no study with a reference label: set another baseline below to watch this model."</p> }.into_any(),
    };
    let marks: Vec<(String, String)> = view
        .alarms
        .iter()
        .map(|a| (a.day.clone(), a.rule.clone()))
        .collect();
    let baseline = view.baseline.clone();
    let p0 = view.baseline_discordance;
    let h = view.cusum.map(|c| c.1);
    let alarms = view.alarms.clone();
    let charts = move || {
        let points: &Vec<Point> = match weekly.get() {
            true => &view.weeks,
            false => &view.days,
        };
        let dates: Vec<String> = points.iter().map(|p| p.day.clone()).collect();
        let each = |f: &dyn Fn(&Point) -> Option<f64>| points.iter().map(f).collect::<Vec<_>>();
        let unit = if weekly.get() { "week" } else { "day" };
        let mut discordance = vec![Series {
            name: format!("discordance per {unit}"),
            class: "series-model",
            values: each(&|p| share(p.discordant, p.studies)),
        }];
        if let Some(p0) = p0 {
            discordance.push(Series {
                name: "baseline".into(),
                class: "series-baseline",
                values: each(&|_| Some(p0)),
            });
        }
        if !weekly.get() {
            discordance.push(Series {
                name: "95 % upper limit".into(),
                class: "series-limit",
                values: each(&|p| p.upper_limit),
            });
        }
        let charts = vec![
            Chart {
                title: format!("Discordance with the reference, per {unit}"),
                dates: dates.clone(),
                series: discordance,
                percent: true,
                shaded: baseline.clone(),
                marks: marks.clone(),
            },
            Chart {
                title: format!("Positive rate per {unit}: model and reference"),
                dates: dates.clone(),
                series: vec![
                    Series {
                        name: "model".into(),
                        class: "series-model",
                        values: each(&|p| share(p.model_positive, p.studies)),
                    },
                    Series {
                        name: "reference".into(),
                        class: "series-reference",
                        values: each(&|p| share(p.reference_positive, p.studies)),
                    },
                ],
                percent: true,
                shaded: baseline.clone(),
                marks: marks.clone(),
            },
            Chart {
                title: format!("Studies per {unit}"),
                dates: dates.clone(),
                series: vec![Series {
                    name: "studies".into(),
                    class: "series-reference",
                    values: each(&|p| Some(p.studies as f64)),
                }],
                percent: false,
                shaded: baseline.clone(),
                marks: Vec::new(),
            },
        ];
        let cusum = (!weekly.get()).then(|| Chart {
            title: "CUSUM of daily discordance, with its decision limit h".into(),
            dates: dates.clone(),
            series: {
                let mut series = vec![Series {
                    name: "CUSUM".into(),
                    class: "series-model",
                    values: each(&|p| p.cusum),
                }];
                if let Some(h) = h {
                    series.push(Series {
                        name: "h".into(),
                        class: "series-limit",
                        values: each(&|_| Some(h)),
                    });
                }
                series
            },
            percent: false,
            shaded: baseline.clone(),
            marks: marks.clone(),
        });
        view! {
            {charts.into_iter().map(|chart| view! { <LineChart chart /> }).collect_view()}
            {cusum.map(|chart| view! { <LineChart chart /> })}
        }
    };
    view! {
        {explanation}
        {(!alarms.is_empty()).then(|| view! {
            <p class="alarm-line" data-testid="chart-alarms">{format!("{} alarm{} in this period (red lines): ", alarms.len(), if alarms.len() == 1 { "" } else { "s" })}
                {alarms.iter().map(|a| format!("{} on {}", a.rule, a.day)).collect::<Vec<_>>().join("; ")}</p>
        })}
        {charts}
        {(view.without_reference > 0).then(|| view! { <p class="muted">{format!("{} predicted studies have no reference label and are not drawn.", view.without_reference)}</p> })}
    }
    .into_any()
}

fn days(value: f64) -> String {
    match value {
        v if !v.is_finite() || v > 10_000.0 => "more than 10,000".into(),
        v if v < 10.0 => format!("about {v:.1}"),
        v => format!("about {v:.0}"),
    }
}

#[component]
fn Upload(
    project: i64,
    model: i64,
    uploads: RwSignal<u64>,
    status: RwSignal<Option<Result<String, String>>>,
    threshold: Option<f64>,
    positive: String,
) -> impl IntoView {
    let file = NodeRef::<leptos::html::Input>::new();
    let url = format!("/api/v1/projects/{project}/models/{model}/predictions");
    let output = match threshold {
        Some(t) => format!("score (the model's positive, {positive}, from {t} on)"),
        None => format!("label (one of the question's labels; {positive} is the model's positive)"),
    };
    view! {
        <section class="panel" aria-labelledby="upload-title">
            <h2 id="upload-title">"Upload predictions"</h2>
            <p class="muted">{format!("CSV with a header, or JSON lines: accession (or study_id), {output}, and optionally predicted_at. A study predicted again takes the new output; a file with any bad line is refused whole, naming each line.")}</p>
            <div class="form-row">
                <div class="field"><label for="predictions-file">"Predictions file (.csv, .jsonl)"</label>
                    <input id="predictions-file" type="file" accept=".csv,.jsonl,.json,.txt" node_ref=file /></div>
                <button type="button" class="button-quiet"
                    disabled=move || matches!(status.get(), Some(Ok(ref m)) if m.as_str() == "Uploading…")
                    on:click=move |_| {
                        send_file("POST", &url, &[], file, status, move |_| uploads.update(|n| *n += 1));
                    }>"Upload"</button>
            </div>
            {move || status.get().map(|result| match result {
                Ok(message) => view! { <p class="notice" role="status">{message}</p> }.into_any(),
                Err(message) => view! { <pre class="form-error" role="alert">{message}</pre> }.into_any(),
            })}
        </section>
    }
}

#[component]
fn Watching(view: ModelView, project: i64, save: ServerAction<SaveModelWatching>) -> impl IntoView {
    let w = view.watching;
    let saved = move || {
        match save.value().get() {
        Some(Ok(())) => view! { <p class="notice" role="status">"Saved: the charts and alarms use these settings now."</p> }.into_any(),
        Some(Err(error)) => view! { <ErrorBox error /> }.into_any(),
        None => ().into_any(),
    }
    };
    view! {
        <section class="panel" aria-labelledby="watching-title">
            <h2 id="watching-title">"Alarm settings"</h2>
            <ActionForm action=save>
                <input type="hidden" name="project" value=project.to_string() />
                <input type="hidden" name="model" value=view.model.id.to_string() />
                <input type="hidden" name="version" value=w.version.to_string() prop:value=w.version.to_string() />
                <div class="form-row">
                    <div class="field"><label for="baseline-from">"Baseline from (empty: the first predicted day)"</label>
                        <input id="baseline-from" type="date" name="baseline_from" value=w.baseline_from.clone() prop:value=w.baseline_from /></div>
                    <div class="field"><label for="baseline-to">"Baseline to (empty: 90 days on)"</label>
                        <input id="baseline-to" type="date" name="baseline_to" value=w.baseline_to.clone() prop:value=w.baseline_to /></div>
                    <div class="field"><label for="run-length">"Run length (consecutive days)"</label>
                        <input id="run-length" name="run_length" inputmode="numeric" value=w.run_length.to_string() prop:value=w.run_length.to_string() /></div>
                    <div class="field"><label for="cusum-arl">"CUSUM: days between false alarms"</label>
                        <input id="cusum-arl" name="cusum_arl" inputmode="numeric" value=w.cusum_arl.to_string() prop:value=w.cusum_arl.to_string() /></div>
                    <div class="field"><label for="cusum-shift">"CUSUM: rise of discordance to detect (points)"</label>
                        <input id="cusum-shift" name="cusum_shift" inputmode="decimal" value=w.cusum_shift.to_string() prop:value=w.cusum_shift.to_string() /></div>
                </div>
                <div class="field"><label for="webhook">"Webhook on this network, sent each alarm as JSON (empty: none)"</label>
                    <input id="webhook" name="webhook_url" class="wide" placeholder="http://alerts.hospital.local:8080/sieve" value=w.webhook_url.clone() prop:value=w.webhook_url /></div>
                <button type="submit" class="button-primary button-inline" disabled=move || save.pending().get()>"Save"</button>
            </ActionForm>
            {saved}
        </section>
    }
}

/// The reference itself, week by week: each rule's share of the studies against its baseline, so a
/// change of report template that breaks a rule shows (and raises a labeler alarm).
#[component]
fn LabelerWeeks(project: i64, model: i64) -> impl IntoView {
    let found = Resource::new(move || (), move |_| model_labeler(project, model));
    let content = move || {
        Suspend::new(async move {
            match found.await {
                Ok(view) if view.weeks.is_empty() || view.shares.is_empty() => view! {
                    <p class="empty">"No week with predicted studies in or after the baseline yet."</p>
                }.into_any(),
                Ok(view) => view! {
                    <table data-testid="labeler-weeks">
                        <thead><tr><th>"Rule"</th><th class="number">"Baseline"</th>
                            {view.weeks.iter().map(|(week, n)| view! { <th class="number nowrap" title=format!("{n} studies")>{week.clone()}</th> }).collect_view()}</tr></thead>
                        <tbody>{view.shares.into_iter().map(|share| view! {
                            <tr><td>{share.name}</td><td class="number">{format!("{:.1} %", 100.0 * share.baseline)}</td>
                                {share.weeks.into_iter().map(|(value, outside)| view! {
                                    <td class=if outside { "number outside" } else { "number" }>{format!("{:.1} %", 100.0 * value)}{outside.then_some(" ⚠")}</td>
                                }).collect_view()}</tr>
                        }).collect_view()}</tbody>
                    </table>
                    {(view.earlier > 0).then(|| view! { <p class="muted">{format!("The last {} weeks; {} earlier ones count in the alarms too.", crate::api::models::LABELER_WEEKS, view.earlier)}</p> })}
                }.into_any(),
                Err(error) => view! { <ErrorBox error /> }.into_any(),
            }
        })
    };
    view! {
        <section class="panel" aria-labelledby="labeler-title">
            <h2 id="labeler-title">"The reference: each rule's share of the studies, by week"</h2>
            <p class="muted">"The reference labels come from the question's rules (and people's answers). A change of report template can break a rule without a word: a share outside its baseline's 99 % limits two weeks running (⚠) raises a labeler alarm."</p>
            <Transition fallback=|| view! { <p class="muted">"Counting…"</p> }>{content}</Transition>
        </section>
    }
}
