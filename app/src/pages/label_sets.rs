//! `/projects/:id/labelsets`: export a label set (questions, cohort, label policy, split — with the
//! sizes shown before anything is written), the project's label sets with their files, and the
//! difference between two versions.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::label_sets::{
    label_sets, preview_label_set, CreateLabelSet, DiffLabelSets, ExportForm, LabelSetsView,
    PreviewView, SetRow, SplitSize,
};
use crate::components::error_box::ErrorBox;
use crate::pages::project::thousands;

#[component]
pub fn LabelSetsPage() -> impl IntoView {
    let project = crate::pages::route_number("id");
    let create = ServerAction::<CreateLabelSet>::new();
    let compare = ServerAction::<DiffLabelSets>::new();
    let form = RwSignal::new(ExportForm::default());
    // Written: the choices empty (and the preview with them), so the same set is not written twice.
    Effect::new(move || {
        if matches!(create.value().get(), Some(Ok(_))) {
            form.set(ExportForm::default());
        }
    });
    // A refused export is about the choices it was sent with: once they change, the refusal goes
    // (the preview says at once whether the new choices would be refused).
    Effect::new(move || {
        form.track();
        if matches!(create.value().get_untracked(), Some(Err(_))) {
            create.value().set(None);
        }
    });
    let data = Resource::new(
        move || (project().unwrap_or(0), create.version().get()),
        |(project, _)| label_sets(project),
    );
    // Created here, not inside the page's Suspense: the preview follows the form.
    let preview = Resource::new(
        move || (project().unwrap_or(0), form.get()),
        |(project, form)| async move {
            match form.questions.is_empty() {
                true => Ok(PreviewView {
                    studies: 0,
                    splits: Vec::new(),
                    seed: form.seed,
                }),
                false => preview_label_set(project, form).await,
            }
        },
    );
    let content = move || {
        Suspend::new(async move {
            match data.await {
                Ok(data) => view! {
                    <Page data project=project().unwrap_or(0) form preview create compare />
                }
                .into_any(),
                Err(error) => view! { <ErrorBox error /> }.into_any(),
            }
        })
    };
    view! { <Suspense fallback=|| view! { <p class="muted">"Loading the label sets…"</p> }>{content}</Suspense> }
}

#[component]
fn Page(
    data: LabelSetsView,
    project: i64,
    form: RwSignal<ExportForm>,
    preview: Resource<Result<PreviewView, crate::error::AppError>>,
    create: ServerAction<CreateLabelSet>,
    compare: ServerAction<DiffLabelSets>,
) -> impl IntoView {
    let versions: Vec<i64> = data.sets.iter().map(|s| s.version).collect();
    view! {
        <Title text=format!("{} — label sets", data.project_name) />
        <p class="breadcrumbs"><a href=format!("/projects/{project}")>{data.project_name.clone()}</a> " /"</p>
        <h1>"Label sets"</h1>
        <p class="muted">"An export is an immutable snapshot of final labels, split by patient, with a manifest that lists every file's SHA-256. Training jobs launch on a label set from the "
            <a href=format!("/projects/{project}/jobs")>"training jobs"</a>" page."</p>
        <ExportPanel data=data.clone() project form preview create />
        <section aria-labelledby="sets-title">
            <h2 id="sets-title">"Versions"</h2>
            {match data.sets.is_empty() {
                true => view! { <p class="empty">"No label set yet: pick questions above and export."</p> }.into_any(),
                false => view! {
                    <table data-testid="label-sets">
                        <thead><tr><th>"Version"</th><th>"Questions"</th><th>"Policy"</th><th class="number">"Studies"</th>
                            <th>"Split (studies / patients)"</th><th>"Files"</th><th>"Written"</th></tr></thead>
                        <tbody>{data.sets.iter().map(|set| view! { <SetLine set=set.clone() project /> }).collect_view()}</tbody>
                    </table>
                }.into_any(),
            }}
        </section>
        {(versions.len() >= 2).then(|| view! { <Compare versions project compare /> })}
    }
    .into_any()
}

fn split_text(splits: &[SplitSize]) -> String {
    splits
        .iter()
        .map(|s| {
            format!(
                "{} {} / {}",
                s.name,
                thousands(s.studies as i64),
                thousands(s.patients as i64)
            )
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

fn size(bytes: u64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1024 * 1024 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0)),
    }
}

#[component]
fn SetLine(set: SetRow, project: i64) -> impl IntoView {
    let base = format!("/api/v1/projects/{project}/labelsets/{}/files", set.version);
    let files = set.files.clone();
    view! {
        <tr data-version=set.version.to_string()>
            <td><strong>{format!("v{}", set.version)}</strong><br />
                <a class="button-quiet" href=format!("/projects/{project}/jobs?label_set={}", set.version)>"Launch…"</a></td>
            <td>{set.questions.join(", ")}{set.cohort.clone().map(|c| format!(" (cohort {c})"))}</td>
            <td>{set.policy.clone()}<br /><span class="muted">{format!("seed {}", set.seed)}</span></td>
            <td class="number" data-testid="set-studies">{thousands(set.studies)}</td>
            <td>{split_text(&set.splits)}</td>
            <td><ul class="files">
                <li><a href=format!("{base}/manifest.json") download>"manifest.json"</a>
                    " " <code class="hash" title=set.manifest_sha256.clone()>{set.manifest_sha256[..12].to_string()}</code></li>
                {files.into_iter().map(|f| view! {
                    <li><a href=format!("{base}/{}", f.name) download>{f.name.clone()}</a>
                        " " <span class="muted">{size(f.bytes)}</span>
                        " " <code class="hash" title=f.sha256.clone()>{f.sha256[..12].to_string()}</code></li>
                }).collect_view()}
            </ul></td>
            <td>{set.created_at.clone()}<br /><span class="muted">{set.created_by.clone()}</span></td>
        </tr>
    }
}

#[component]
fn ExportPanel(
    data: LabelSetsView,
    project: i64,
    form: RwSignal<ExportForm>,
    preview: Resource<Result<PreviewView, crate::error::AppError>>,
    create: ServerAction<CreateLabelSet>,
) -> impl IntoView {
    if data.questions.is_empty() {
        return view! {
            <section class="panel"><h2>"Export"</h2>
                <p class="empty">"This project has no question yet: a fellow writes questions and phrase rules first."</p></section>
        }
        .into_any();
    }
    let toggle = move |id: i64, on: bool| {
        form.update(|f| {
            f.questions.retain(|q| *q != id);
            if on {
                f.questions.push(id);
            }
        })
    };
    // A share follows each keystroke, so the preview (and whether it is refused) is always of the
    // numbers on screen; an emptied field counts as 0 %.
    let number = move |set: fn(&mut ExportForm, f64)| {
        move |event: leptos::ev::Event| {
            let typed = event_target_value(&event);
            let value = match typed.trim() {
                "" => Some(0.0),
                typed => typed.parse::<f64>().ok(),
            };
            if let Some(value) = value {
                form.update(|f| set(f, value));
            }
        }
    };
    // The seed follows each keystroke too; one that is not a whole number from 0 up is named, and
    // nothing is exported until it is mended (the preview stays that of the last valid seed).
    let seed_problem = RwSignal::new(None::<&'static str>);
    let seed_typed = move |event: leptos::ev::Event| match event_target_value(&event)
        .trim()
        .parse::<u64>()
    {
        Ok(seed) => {
            seed_problem.set(None);
            form.update(|f| f.seed = seed);
        }
        Err(_) => seed_problem.set(Some(
            "Seed: give a whole number from 0 up, such as 42 (the same seed draws the same split).",
        )),
    };
    let written = move || {
        match create.value().get() {
        Some(Ok(set)) => view! {
            <p class="notice" role="status">{format!("Label set v{} written: {} studies.", set.version, thousands(set.studies))}</p>
        }
        .into_any(),
        Some(Err(error)) => view! { <ErrorBox error /> }.into_any(),
        None => ().into_any(),
    }
    };
    // The Export button comes with the preview: it is enabled only for choices the preview
    // accepted, so a split that does not add up is never sent.
    // While the preview counts the choices just made, the button waits: an export is always of
    // the choices whose preview is on screen.
    let counting = RwSignal::new(false);
    let export_button = move |ready: bool| {
        view! {
            <button type="submit" class="button-primary button-inline"
                disabled=move || !ready || counting.get() || create.pending().get() || seed_problem.with(Option::is_some)>
                {move || match create.pending().get() { true => "Writing…", false => "Export label set" }}</button>
        }
    };
    let sizes = move || {
        Suspend::new(async move {
            match preview.await {
                Ok(_) if form.with_untracked(|f| f.questions.is_empty()) => view! {
                    <div data-testid="preview"><p class="muted">"Pick at least one question."</p></div>
                    {export_button(false)}
                }
                .into_any(),
                Ok(p) => view! { <div data-testid="preview"><PreviewTable preview=p /></div> {export_button(true)} }.into_any(),
                Err(error) => view! { <div data-testid="preview"><ErrorBox error /></div> {export_button(false)} }.into_any(),
            }
        })
    };
    let export = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        create.dispatch(CreateLabelSet {
            project,
            form: form.get_untracked(),
        });
    };
    view! {
        <section class="panel" aria-labelledby="export-title">
            <h2 id="export-title">"Export a label set"</h2>
            <form on:submit=export>
                <fieldset class="choices"><legend>"Questions (the first stratifies the split)"</legend>
                    {data.questions.iter().map(|q| {
                        let id = q.id;
                        view! {
                            <label class="check"><input type="checkbox" name="question" value=id.to_string()
                                checked=form.with_untracked(|f| f.questions.contains(&id))
                                prop:checked=move || form.with(|f| f.questions.contains(&id))
                                on:change=move |e| toggle(id, event_target_checked(&e)) />
                                " " {q.name.clone()} <span class="muted">{format!(" ({})", q.labels.join(", "))}</span></label>
                        }
                    }).collect_view()}
                </fieldset>
                <div class="form-row">
                    <div class="field"><label for="cohort">"Cohort"</label>
                        <select id="cohort" on:change=move |e| form.update(|f| f.cohort = event_target_value(&e).parse().ok())>
                            <option value="">"Every study"</option>
                            {data.cohorts.iter().map(|(id, name)| view! { <option value=id.to_string()>{name.clone()}</option> }).collect_view()}
                        </select></div>
                    <div class="field"><label for="seed">"Seed"</label>
                        <input id="seed" type="number" min="0" step="1" required value=form.with_untracked(|f| f.seed.to_string())
                            aria-describedby="seed-problem" on:input=seed_typed /></div>
                    <div class="field"><label for="train">"Train %"</label>
                        <input id="train" type="number" min="0" max="100" step="any" value=form.with_untracked(|f| f.train.to_string()) on:input=number(|f, v| f.train = v) /></div>
                    <div class="field"><label for="validation">"Validation %"</label>
                        <input id="validation" type="number" min="0" max="100" step="any" value=form.with_untracked(|f| f.validation.to_string()) on:input=number(|f, v| f.validation = v) /></div>
                    <div class="field"><label for="test">"Test %"</label>
                        <input id="test" type="number" min="0" max="100" step="any" value=form.with_untracked(|f| f.test.to_string()) on:input=number(|f, v| f.test = v) /></div>
                </div>
                <p id="seed-problem" class="form-error" role="alert" hidden=move || seed_problem.with(Option::is_none)>
                    {move || seed_problem.get()}</p>
                <div class="options">
                <label class="check"><input type="checkbox" checked=form.with_untracked(|f| f.soft_where_unconfirmed) prop:checked=move || form.with(|f| f.soft_where_unconfirmed)
                    on:change=move |e| form.update(|f| f.soft_where_unconfirmed = event_target_checked(&e)) />
                    " Take the soft label where no rater answered (else only labels that raters or a fellow decided)"</label>
                <label class="check"><input type="checkbox" checked=form.with_untracked(|f| f.drop_uncertain) prop:checked=move || form.with(|f| f.drop_uncertain)
                    on:change=move |e| form.update(|f| f.drop_uncertain = event_target_checked(&e)) />
                    " Leave out labels named “uncertain”"</label>
                </div>
                // A preview not (yet) of the choices on screen is greyed out and says so.
                <div class:stale=move || counting.get() || seed_problem.with(Option::is_some)>
                    <p class="muted" data-testid="preview-updating" hidden=move || !counting.get()>"Updating the preview…"</p>
                    <Transition fallback=|| view! { <p class="muted">"Counting…"</p> } set_pending=counting>{sizes}</Transition>
                </div>
            </form>
            {written}
        </section>
    }
    .into_any()
}

#[component]
fn PreviewTable(preview: PreviewView) -> impl IntoView {
    if preview.studies == 0 {
        return view! { <p class="notice">"No study has a label under this policy."</p> }
            .into_any();
    }
    view! {
        <p><strong data-testid="preview-studies">{thousands(preview.studies as i64)}</strong>{format!(" studies would be written, split with seed {}:", preview.seed)}</p>
        <table class="compact">
            <thead><tr><th>"Split"</th><th class="number">"Studies"</th><th class="number">"Patients"</th><th>"Labels"</th></tr></thead>
            <tbody>{preview.splits.iter().map(|s| view! {
                <tr><td>{s.name.clone()}</td><td class="number">{thousands(s.studies as i64)}</td><td class="number">{thousands(s.patients as i64)}</td>
                    <td>{s.labels.iter().map(|(q, labels)| format!("{q}: {}", labels.iter().map(|(l, n)| format!("{l} {n}")).collect::<Vec<_>>().join(", "))).collect::<Vec<_>>().join(" · ")}</td></tr>
            }).collect_view()}</tbody>
        </table>
    }
    .into_any()
}

#[component]
fn Compare(
    versions: Vec<i64>,
    project: i64,
    compare: ServerAction<DiffLabelSets>,
) -> impl IntoView {
    let to = RwSignal::new(versions[0]);
    let from = RwSignal::new(versions[1]);
    let options = move |selected: RwSignal<i64>| {
        versions
            .iter()
            .map(|v| {
                let v = *v;
                view! { <option value=v.to_string() selected=move || selected.get() == v>{format!("v{v}")}</option> }
            })
            .collect_view()
    };
    let result = move || {
        match compare.value().get() {
        Some(Ok(diff)) => view! {
            <dl class="facts" data-testid="diff">
                <div><dt>"Added"</dt><dd>{thousands(diff.added as i64)}</dd></div>
                <div><dt>"Removed"</dt><dd>{thousands(diff.removed as i64)}</dd></div>
                <div><dt>"Relabeled"</dt><dd>{thousands(diff.relabeled as i64)}</dd></div>
                <div><dt>"Unchanged"</dt><dd>{thousands(diff.unchanged as i64)}</dd></div>
                <div><dt>"Moved to another split"</dt><dd>{thousands(diff.moved as i64)}</dd></div>
            </dl>
            <p class="muted">{format!("Compared v{} with v{}. Studies are named by the label sets' pseudonymous study ids. The split is drawn within each label, so a relabeled patient may move to another split even with the same seed.", diff.from, diff.to)}</p>
            <div data-testid="diff-causes">{match diff.causes.is_empty() {
                true => view! { <p>"Both were exported with the same rules, cue lists, seed, shares, policy and cohort: what differs comes from answers and decisions, or from reports imported since."</p> }.into_any(),
                false => view! {
                    <p>"What differs between the two exports:"</p>
                    <ul>{diff.causes.iter().map(|cause| view! { <li>{cause.clone()}</li> }).collect_view()}</ul>
                }.into_any(),
            }}</div>
            {(!diff.examples.is_empty()).then(|| view! {
                <table class="compact" data-testid="diff-relabeled">
                    <caption>{listed("Relabeled", diff.examples.len(), diff.relabeled)}</caption>
                    <thead><tr><th>"Study"</th><th>"Question"</th><th>{format!("v{}", diff.from)}</th><th>{format!("v{}", diff.to)}</th></tr></thead>
                    <tbody>{diff.examples.iter().map(|row| view! {
                        <tr><td><code>{row.study.clone()}</code></td><td>{row.question.clone()}</td><td>{row.from.clone()}</td><td>{row.to.clone()}</td></tr>
                    }).collect_view()}</tbody></table>
            })}
            {(!diff.added_examples.is_empty()).then(|| view! {
                <p data-testid="diff-added">{listed("Added", diff.added_examples.len(), diff.added)}": "{diff.added_examples.join(", ")}</p>
            })}
            {(!diff.removed_examples.is_empty()).then(|| view! {
                <p data-testid="diff-removed">{listed("Removed", diff.removed_examples.len(), diff.removed)}": "{diff.removed_examples.join(", ")}</p>
            })}
        }
        .into_any(),
        Some(Err(error)) => view! { <ErrorBox error /> }.into_any(),
        None => ().into_any(),
    }
    };
    let run = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        compare.dispatch(DiffLabelSets {
            project,
            from: from.get_untracked(),
            to: to.get_untracked(),
        });
    };
    view! {
        <section class="panel" aria-labelledby="compare-title">
            <h2 id="compare-title">"Compare two versions"</h2>
            <form class="form-row" on:submit=run>
                <div class="field"><label for="diff-from">"From"</label>
                    <select id="diff-from" on:change=move |e| if let Ok(v) = event_target_value(&e).parse() { from.set(v) }>{options(from)}</select></div>
                <div class="field"><label for="diff-to">"To"</label>
                    <select id="diff-to" on:change=move |e| if let Ok(v) = event_target_value(&e).parse() { to.set(v) }>{options(to)}</select></div>
                <button type="submit" class="button-quiet button-inline">"Compare"</button>
            </form>
            {result}
        </section>
    }
}

/// "Relabeled (all 12)" or "Relabeled (the first 20 of 42, by study id)".
fn listed(what: &str, shown: usize, total: u64) -> String {
    match shown as u64 == total {
        true => format!("{what} (all {total})"),
        false => format!(
            "{what} (the first {shown} of {}, by study id)",
            thousands(total as i64)
        ),
    }
}
