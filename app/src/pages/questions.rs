//! `/projects/:id/questions`: a project's questions with their coverage, a form for a new one, and
//! the project's cue lists and section headers (fellows). A question can be archived (after a
//! confirm) and restored from the collapsed list of archived questions.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::questions::{
    questions, ArchivedQuestion, CreateQuestion, QuestionRow, SaveTextSettings, SettingsForm,
};
use crate::api::questions::{ArchiveQuestion, RestoreQuestion};
use crate::components::confirm::confirmed;
use crate::components::error_box::ErrorBox;
use crate::pages::project::thousands;

#[component]
pub fn QuestionsPage() -> impl IntoView {
    let id = crate::pages::route_number("id");
    let project = move || id().unwrap_or(0);
    let create = ServerAction::<CreateQuestion>::new();
    let save = ServerAction::<SaveTextSettings>::new();
    let archive = ServerAction::<ArchiveQuestion>::new();
    let restore = ServerAction::<RestoreQuestion>::new();
    let view_data = Resource::new(
        move || {
            (
                project(),
                create.version().get(),
                save.version().get(),
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
                        <QuestionList project rows=data.questions archive />
                        {refused}
                        <Archived project rows=data.archived restore />
                        <NewQuestion project cohorts create />
                        <Settings project form=data.settings save />
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

#[component]
fn Settings(
    project: i64,
    form: SettingsForm,
    save: ServerAction<SaveTextSettings>,
) -> impl IntoView {
    let outcome = move || match save.value().get() {
        Some(Ok(())) => Some(
            view! { <p class="notice" role="status">"Saved. Soft labels now use these lists."</p> }
                .into_any(),
        ),
        Some(Err(error)) => {
            Some(view! { <p class="form-error" role="alert">{error.to_string()}</p> }.into_any())
        }
        None => None,
    };
    let area = |name: &'static str, title: &'static str, value: String| {
        view! {
            <div class="field">
                <label for=format!("cues-{name}")>{title}</label>
                <textarea id=format!("cues-{name}") name=format!("form[{name}]") rows="6">{value}</textarea>
            </div>
        }
    };
    view! {
        <section aria-labelledby="text-settings">
            <h2 id="text-settings">"Negation cues and sections"</h2>
            <p class="muted">"One cue per line. Pre-cues reach forward, post-cues backward, to the sentence end or a termination cue; pseudo-cues (“no change”) are not cues; normal-modifiers (“heart size is normal”) negate a mention a few words before or after them. Rules with a negation mode or sections use these."</p>
            <ActionForm action=save>
                <input type="hidden" name="project" value=project.to_string() />
                <div class="cue-grid">
                    {area("pre_negation", "Pre-negation", form.pre_negation)}
                    {area("post_negation", "Post-negation", form.post_negation)}
                    {area("pre_uncertainty", "Pre-uncertainty", form.pre_uncertainty)}
                    {area("post_uncertainty", "Post-uncertainty", form.post_uncertainty)}
                    {area("pseudo", "Pseudo-cues", form.pseudo)}
                    {area("termination", "Termination", form.termination)}
                    {area("normal", "Normal-modifiers", form.normal)}
                    {area("section_headers", "Section headers", form.section_headers)}
                </div>
                <button type="submit" class="button-quiet">"Save cues and sections"</button>
                {outcome}
            </ActionForm>
        </section>
    }
}
