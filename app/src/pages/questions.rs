//! `/projects/:id/questions`: a project's questions with their coverage, a form for a new one, and
//! the project's cue lists and section headers (fellows). A question can be archived (after a
//! confirm) and restored from the collapsed list of archived questions.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::questions::{
    cue_preset, questions, ArchivedQuestion, CreateQuestion, QuestionRow, SaveTextSettings,
    SettingsForm,
};
use crate::api::questions::{ArchiveQuestion, RestoreQuestion};
use crate::components::confirm::confirmed;
use crate::components::error_box::ErrorBox;
use crate::components::reading_again::ReadingAgain;
use crate::pages::project::thousands;

#[component]
pub fn QuestionsPage() -> impl IntoView {
    let id = crate::pages::route_number("id");
    let project = move || id().unwrap_or(0);
    let create = ServerAction::<CreateQuestion>::new();
    let save = ServerAction::<SaveTextSettings>::new();
    let archive = ServerAction::<ArchiveQuestion>::new();
    let restore = ServerAction::<RestoreQuestion>::new();
    // The page is read again after a save that succeeded; a refused one keeps the fellow's
    // unsaved lists in the form.
    let saves = RwSignal::new(0usize);
    Effect::new(move |_| {
        if matches!(save.value().get(), Some(Ok(()))) {
            saves.update(|n| *n += 1);
        }
    });
    let view_data = Resource::new(
        move || {
            (
                project(),
                create.version().get(),
                saves.get(),
                archive.version().get() + restore.version().get(),
            )
        },
        |(project, _, _, _)| questions(project),
    );
    let refused = move || {
        let archived = archive.value().get().and_then(Result::err);
        let restored = restore.value().get().and_then(Result::err);
        archived
            .or(restored)
            .map(|error| view! { <p class="form-error" role="alert">{error.to_string()}</p> })
    };
    let content = move || {
        Suspend::new(async move {
            match view_data.await {
                Ok(data) => {
                    let project = project();
                    let cohorts = data.cohorts.clone();
                    view! {
                        <ReadingAgain project shown=Signal::derive({ let shown = data.statuses.clone(); move || shown.clone() }) />
                        <QuestionList project rows=data.questions archive />
                        {refused}
                        <Archived project rows=data.archived restore />
                        <NewQuestion project cohorts create />
                        <Settings project form=data.settings presets=data.presets save />
                    }
                    .into_any()
                }
                Err(error) => view! { <ErrorBox error /> }.into_any(),
            }
        })
    };
    view! {
        <Title text="Questions" />
        <p class="breadcrumbs"><a href=move || format!("/projects/{}", project())>"← Project"</a></p>
        <h1>"Questions"</h1>
        <p class="muted">"Each question gives every study a soft label from phrase rules, the highest-priority matching rule first."</p>
        <Suspense fallback=|| view! { <p class="muted">"Loading the questions…"</p> }>{content}</Suspense>
    }
}

#[component]
fn QuestionList(
    project: i64,
    rows: Vec<QuestionRow>,
    archive: ServerAction<ArchiveQuestion>,
) -> impl IntoView {
    if rows.is_empty() {
        return view! {
            <p class="empty" data-testid="no-questions">"No questions yet. Add one below, e.g. “Pneumothorax” with the labels present, absent, uncertain."</p>
        }
        .into_any();
    }
    view! {
        <table data-testid="questions">
            <thead><tr>
                <th>"Question"</th><th>"Labels"</th><th>"Cohort"</th>
                <th class="number">"Rules"</th><th class="number">"Labeled"</th><th>"Coverage"</th><th></th>
            </tr></thead>
            <tbody>
                {rows.into_iter().map(|row| {
                    let share = match row.total {
                        0 => 0.0,
                        total => row.labeled as f64 * 100.0 / total as f64,
                    };
                    let label = format!("Archive {}", row.name);
                    let ask = format!(
                        "Archive the question {}? It leaves this list and the affiliates' queues; its rules, answers and label sets are kept, and you can restore it.",
                        row.name
                    );
                    let id = row.id;
                    let name = row.name.clone();
                    view! {
                        <tr data-question=name>
                            <td><a href=format!("/projects/{project}/questions/{}", row.id)>{row.name}</a></td>
                            <td>{row.labels.join(", ")}</td>
                            <td>{row.cohort.unwrap_or_else(|| "All studies".into())}</td>
                            <td class="number">{row.rules}</td>
                            <td class="number">{format!("{} of {}", thousands(row.labeled as i64), thousands(row.total as i64))}</td>
                            <td><svg class="meter" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" aria-label=format!("{share:.0}% labeled")><rect height="10" width=format!("{share:.1}") /></svg></td>
                            <td>
                                <button type="button" class="button-quiet" aria-label=label
                                    on:click=move |_| if confirmed(&ask) {
                                        archive.dispatch(ArchiveQuestion { project, id });
                                    }>"Archive"</button>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// The archived questions, collapsed, each with Restore.
#[component]
fn Archived(
    project: i64,
    rows: Vec<ArchivedQuestion>,
    restore: ServerAction<RestoreQuestion>,
) -> impl IntoView {
    if rows.is_empty() {
        return ().into_any();
    }
    view! {
        <details class="archived" data-testid="archived-questions">
            <summary>{format!("Archived questions ({})", rows.len())}</summary>
            <p class="muted">"Archived questions are out of the queues and the label set choices; their rules, answers and label sets are kept."</p>
            <ul>
                {rows.into_iter().map(|row| {
                    let label = format!("Restore {}", row.name);
                    let id = row.id;
                    view! {
                        <li>
                            <a href=format!("/projects/{project}/questions/{id}")>{row.name}</a>
                            {format!(" ({}) ", row.labels.join(", "))}
                            <button type="button" class="button-quiet" aria-label=label
                                on:click=move |_| { restore.dispatch(RestoreQuestion { project, id }); }>"Restore"</button>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </details>
    }
    .into_any()
}

#[component]
fn NewQuestion(
    project: i64,
    cohorts: Vec<(i64, String)>,
    create: ServerAction<CreateQuestion>,
) -> impl IntoView {
    let error = move || {
        create
            .value()
            .get()
            .and_then(Result::err)
            .map(|error| view! { <p class="form-error" role="alert">{error.to_string()}</p> })
    };
    view! {
        <section aria-labelledby="new-question">
            <h2 id="new-question">"New question"</h2>
            <ActionForm action=create>
                <input type="hidden" name="project" value=project.to_string() />
                <div class="form-row">
                    <div class="field">
                        <label for="question-name">"Question"</label>
                        <input id="question-name" name="name" required placeholder="Pneumothorax" />
                    </div>
                    <div class="field">
                        <label for="question-labels">"Labels, comma-separated"</label>
                        <input id="question-labels" name="labels" required value="present, absent, uncertain" aria-describedby="labels-help" />
                        <small id="labels-help" class="muted">"At least two, each once."</small>
                    </div>
                    <div class="field">
                        <label for="question-cohort">"Applies to"</label>
                        <select id="question-cohort" name="cohort">
                            <option value="">"All studies"</option>
                            {cohorts.into_iter().map(|(id, name)| view! { <option value=id.to_string()>{name}</option> }).collect_view()}
                        </select>
                    </div>
                    // Disabled while the question is being saved: a double click adds it once, quietly.
                    <button type="submit" class="button-primary button-inline" disabled=move || create.pending().get()>"Add question"</button>
                </div>
                {error}
            </ActionForm>
        </section>
    }
}

/// A list of the form as (field name, title, its text).
fn lists(form: &SettingsForm) -> [(&'static str, &'static str, String); 8] {
    [
        ("pre_negation", "Pre-negation", form.pre_negation.clone()),
        ("post_negation", "Post-negation", form.post_negation.clone()),
        (
            "pre_uncertainty",
            "Pre-uncertainty",
            form.pre_uncertainty.clone(),
        ),
        (
            "post_uncertainty",
            "Post-uncertainty",
            form.post_uncertainty.clone(),
        ),
        ("pseudo", "Pseudo-cues", form.pseudo.clone()),
        ("termination", "Termination", form.termination.clone()),
        ("normal", "Normal-modifiers", form.normal.clone()),
        (
            "section_headers",
            "Section headers",
            form.section_headers.clone(),
        ),
    ]
}

fn set_list(form: &mut SettingsForm, name: &str, text: String) {
    let field = match name {
        "pre_negation" => &mut form.pre_negation,
        "post_negation" => &mut form.post_negation,
        "pre_uncertainty" => &mut form.pre_uncertainty,
        "post_uncertainty" => &mut form.post_uncertainty,
        "pseudo" => &mut form.pseudo,
        "termination" => &mut form.termination,
        "normal" => &mut form.normal,
        _ => &mut form.section_headers,
    };
    *field = text;
}

/// What the form would change against what is saved, list by list: (title, added, removed).
fn difference(
    saved: &SettingsForm,
    draft: &SettingsForm,
) -> Vec<(&'static str, Vec<String>, Vec<String>)> {
    let entries = |text: &str| -> Vec<String> {
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    };
    lists(saved)
        .into_iter()
        .zip(lists(draft))
        .filter_map(|((_, title, old), (_, _, new))| {
            let (old, new) = (entries(&old), entries(&new));
            let added: Vec<String> = new.iter().filter(|e| !old.contains(e)).cloned().collect();
            let removed: Vec<String> = old.iter().filter(|e| !new.contains(e)).cloned().collect();
            (!added.is_empty() || !removed.is_empty()).then_some((title, added, removed))
        })
        .collect()
}

/// Up to ten entries, quoted, and how many more.
fn some_of(entries: &[String]) -> String {
    let shown: Vec<String> = entries.iter().take(10).map(|e| format!("“{e}”")).collect();
    match entries.len() > 10 {
        true => format!("{} and {} more", shown.join(", "), entries.len() - 10),
        false => shown.join(", "),
    }
}

#[component]
fn Settings(
    project: i64,
    form: SettingsForm,
    presets: Vec<(String, String)>,
    save: ServerAction<SaveTextSettings>,
) -> impl IntoView {
    // The saved lists and their fingerprint, whatever the form is filled with: a save after
    // someone else's is refused, and the form then compares against what they saved.
    let saved = RwSignal::new(form.clone());
    let draft = RwSignal::new(form);
    Effect::new(move |_| {
        if matches!(save.value().get(), Some(Err(_))) {
            leptos::task::spawn_local(async move {
                if let Ok(current) = questions(project).await {
                    saved.set(current.settings);
                }
            });
        }
    });
    let chosen = RwSignal::new(String::new());
    let load = Action::new(move |preset: &String| {
        let preset = preset.clone();
        async move { cue_preset(project, preset).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(form)) = load.value().get() {
            draft.set(form);
        }
    });
    let outcome = move || {
        match save.value().get() {
        Some(Ok(())) => Some(
            view! { <p class="notice" role="status">"Saved. The soft labels follow these lists once every report has been read again with them (the progress shows above the questions)."</p> }
                .into_any(),
        ),
        Some(Err(error)) => {
            Some(view! { <p class="form-error" role="alert">{error.to_string()}</p> }.into_any())
        }
        None => None,
    }
    };
    let load_error = move || match load.value().get() {
        Some(Err(error)) => {
            Some(view! { <p class="form-error" role="alert">{error.to_string()}</p> })
        }
        _ => None,
    };
    let areas = lists(&draft.get_untracked())
        .into_iter()
        .map(|(name, title, _)| {
            view! {
                <div class="field">
                    <label for=format!("cues-{name}")>{title}</label>
                    <textarea id=format!("cues-{name}") name=format!("form[{name}]") rows="6"
                        prop:value=move || lists(&draft.get()).into_iter().find(|l| l.0 == name).map(|l| l.2).unwrap_or_default()
                        on:input=move |event| draft.update(|form| set_list(form, name, event_target_value(&event)))>
                        {lists(&draft.get_untracked()).into_iter().find(|l| l.0 == name).map(|l| l.2).unwrap_or_default()}
                    </textarea>
                </div>
            }
        })
        .collect_view();
    // Emptying a whole list is asked first: it changes every rule that reads it.
    let ask_if_emptied = move |event: leptos::ev::MouseEvent| {
        let (before, after) = (lists(&saved.get_untracked()), lists(&draft.get_untracked()));
        let emptied: Vec<&str> = before
            .iter()
            .zip(&after)
            .filter(|(was, now)| !was.2.trim().is_empty() && now.2.trim().is_empty())
            .map(|(was, _)| was.1)
            .collect();
        let question = format!(
            "Save with nothing in: {}? Every rule that reads negation or sections would stop using those cues or headers.",
            emptied.join(", ")
        );
        if !emptied.is_empty() && !confirmed(&question) {
            event.prevent_default();
        }
    };
    let described = presets.clone();
    let difference_view = move || {
        let changes = difference(&saved.get(), &draft.get());
        match changes.is_empty() {
            true => view! { <p class="muted" data-testid="cue-difference">"No change from the saved lists."</p> }.into_any(),
            false => view! {
                <div class="notice" data-testid="cue-difference">
                    <p>"Not saved yet. Against the saved lists, this would change:"</p>
                    <ul>{changes.into_iter().map(|(title, added, removed)| {
                        let mut parts = Vec::new();
                        if !added.is_empty() { parts.push(format!("{} added ({})", added.len(), some_of(&added))); }
                        if !removed.is_empty() { parts.push(format!("{} removed ({})", removed.len(), some_of(&removed))); }
                        view! { <li>{format!("{title}: {}", parts.join("; "))}</li> }
                    }).collect_view()}</ul>
                </div>
            }.into_any(),
        }
    };
    view! {
        <section aria-labelledby="text-settings">
            <h2 id="text-settings">"Negation cues and sections"</h2>
            <p class="muted">"One cue per line. Pre-cues reach forward, post-cues backward, to the sentence end or a termination cue; pseudo-cues (“no change”) are not cues; normal-modifiers (“heart size is normal”) negate a mention a few words before or after them. Rules with a negation mode or sections use these."</p>
            <div class="form-row">
                <div class="field">
                    <label for="cue-preset">"Start from a preset"</label>
                    <select id="cue-preset" on:change=move |event| chosen.set(event_target_value(&event))>
                        <option value="">"Choose a preset…"</option>
                        {presets.into_iter().map(|(name, _)| view! { <option value=name.clone()>{name.clone()}</option> }).collect_view()}
                    </select>
                </div>
                <button type="button" class="button-quiet button-inline" disabled=move || chosen.get().is_empty() || load.pending().get()
                    on:click=move |_| { load.dispatch(chosen.get()); }>"Load into the form"</button>
            </div>
            {move || described.iter().find(|(name, _)| *name == chosen.get()).map(|(name, what)| view! {
                <p class="muted" data-testid="preset-described">{format!("{name}: {what}. Loading fills the cue lists below (a preset holds no section headers: they stay as they are); nothing changes until you save.")}</p>
            })}
            {load_error}
            <ActionForm action=save>
                <input type="hidden" name="project" value=project.to_string() />
                <input type="hidden" name="form[loaded]" value=saved.with_untracked(|form| form.loaded.clone())
                    prop:value=move || saved.with(|form| form.loaded.clone()) />
                <div class="cue-grid">{areas}</div>
                {difference_view}
                <button type="submit" class="button-quiet" on:click=ask_if_emptied>"Save cues and sections"</button>
                {outcome}
            </ActionForm>
        </section>
    }
}
