//! `/projects/:id/models`: the project's models (registered, or made from training jobs), the
//! latest alarms, a form to register a model version and a button per succeeded job without one.

pub mod model;

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::models::{project_models, ModelFromJob, ModelsView, RegisterModel};
use crate::components::error_box::ErrorBox;

#[component]
pub fn ModelsPage() -> impl IntoView {
    let project = crate::pages::route_number("id");
    let register = ServerAction::<RegisterModel>::new();
    let from_job = ServerAction::<ModelFromJob>::new();
    let data = Resource::new(
        move || {
            (
                project().unwrap_or(0),
                register.version().get(),
                from_job.version().get(),
            )
        },
        |(project, _, _)| project_models(project),
    );
    // A model made or registered opens its page.
    Effect::new(move |_| {
        let made = register
            .value()
            .get()
            .and_then(Result::ok)
            .or_else(|| from_job.value().get().and_then(Result::ok));
        if let (Some(model), Some(project)) = (made, project()) {
            let navigate = leptos_router::hooks::use_navigate();
            navigate(
                &format!("/projects/{project}/models/{model}"),
                Default::default(),
            );
        }
    });
    let content = move || {
        Suspend::new(async move {
            match data.await {
                Ok(view) => {
                    view! { <Models view project=project().unwrap_or(0) register from_job /> }
                        .into_any()
                }
                Err(error) => view! { <ErrorBox error /> }.into_any(),
            }
        })
    };
    view! { <Transition fallback=|| view! { <p class="muted">"Loading the models…"</p> }>{content}</Transition> }
}

#[component]
fn Models(
    view: ModelsView,
    project: i64,
    register: ServerAction<RegisterModel>,
    from_job: ServerAction<ModelFromJob>,
) -> impl IntoView {
    let ModelsView {
        project_name,
        models,
        questions,
        jobs,
        alarms,
    } = view;
    let question_labels = questions.clone();
    let chosen_question = RwSignal::new(
        questions
            .first()
            .map(|q| q.name.clone())
            .unwrap_or_default(),
    );
    let labels = move || {
        question_labels
            .iter()
            .find(|q| q.name == chosen_question.get())
            .map(|q| q.labels.clone())
            .unwrap_or_default()
    };
    view! {
        <Title text=format!("{project_name} — models") />
        <p class="breadcrumbs"><a href=format!("/projects/{project}")>{project_name.clone()}</a> " /"</p>
        <h1>"Models"</h1>
        <p class="muted">"Every model's output is checked against the radiologists' reports as Sieve reads them — adjudicated, agreed, confirmed, or the rules' soft label — on a chosen set of studies and day by day, with alarms when the daily discordance leaves its baseline."</p>
        {(!alarms.is_empty()).then(|| view! {
            <section class="panel alarm-panel" aria-labelledby="alarms-title" data-testid="project-alarms">
                <h2 id="alarms-title">"Alarms"</h2>
                <ul>{alarms.into_iter().map(|a| view! {
                    <li><strong>{format!("{} — {} alarm on {}", a.model, a.rule, a.day)}</strong>": "{a.detail}" "
                        <a href=format!("/projects/{project}/models/{}", a.model_id)>"Open the model"</a></li>
                }).collect_view()}</ul>
            </section>
        })}
        {match models.is_empty() {
            true => view! { <p class="empty">"No model yet. Register one below and upload its predictions, or make one from a training job that wrote "<code>"predictions.csv"</code>"."</p> }.into_any(),
            false => view! {
                <table data-testid="models">
                    <thead><tr><th>"Model"</th><th>"Question"</th><th>"Positive when"</th><th>"From"</th><th class="number">"Predictions"</th><th class="number">"Alarms"</th><th>"Registered"</th></tr></thead>
                    <tbody>{models.into_iter().map(|m| view! {
                        <tr>
                            <td><a href=format!("/projects/{project}/models/{}", m.id)>{format!("{} {}", m.name, m.version)}</a></td>
                            <td>{m.question}</td>
                            <td>{m.output}</td>
                            <td>{match (m.job_id, m.label_set_version) {
                                (Some(job), Some(set)) => format!("training job {job}, label set v{set}"),
                                _ => "registered".to_string(),
                            }}</td>
                            <td class="number">{m.predictions}</td>
                            <td class="number">{match m.alarms { 0 => view! { <span>"0"</span> }.into_any(), n => view! { <span class="badge state-failed">{n}</span> }.into_any() }}</td>
                            <td>{format!("{} by {}", m.created_at, m.created_by)}</td>
                        </tr>
                    }).collect_view()}</tbody>
                </table>
            }.into_any(),
        }}
        {(!jobs.is_empty()).then(|| view! {
            <section class="panel" aria-labelledby="jobs-title">
                <h2 id="jobs-title">"From a training job"</h2>
                <p class="muted">"A succeeded job's model keeps its label set, job, metrics and output directory; its predictions.csv, when it wrote one, is read in and validated on the label set's test split. Jobs that write predictions.csv get their model by themselves."</p>
                <ul class="plain">{jobs.into_iter().map(|(job, set)| view! {
                    <li><button type="button" class="button-quiet" disabled=move || from_job.pending().get()
                        on:click=move |_| { from_job.dispatch(ModelFromJob { project, job }); }>
                        {format!("Make a model of job {job} (label set v{set})")}</button></li>
                }).collect_view()}</ul>
                {move || from_job.value().get().and_then(Result::err).map(|error| view! { <ErrorBox error /> })}
            </section>
        })}
        <section class="panel" aria-labelledby="register-title">
            <h2 id="register-title">"Register a model version"</h2>
            {match questions.is_empty() {
                true => view! { <p class="empty">"The project has no question yet: a fellow creates one on the questions page first."</p> }.into_any(),
                false => view! {
                    <ActionForm action=register>
                        <input type="hidden" name="project" value=project.to_string() />
                        <div class="form-row">
                            <div class="field"><label for="model-name">"Name"</label><input id="model-name" name="name" required /></div>
                            <div class="field"><label for="model-version">"Version"</label><input id="model-version" name="version" required /></div>
                            <div class="field"><label for="model-question">"Question it answers"</label>
                                <select id="model-question" name="question" on:change=move |e| chosen_question.set(event_target_value(&e))>
                                    {questions.iter().map(|q| view! { <option value=q.name.clone()>{q.name.clone()}</option> }).collect_view()}
                                </select></div>
                            <div class="field"><label for="model-positive">"Its positive means"</label>
                                <select id="model-positive" name="positive_label">
                                    {move || labels().into_iter().map(|l| view! { <option value=l.clone()>{l.clone()}</option> }).collect_view()}
                                </select></div>
                            <div class="field"><label for="model-threshold">"Score threshold (empty: the model outputs labels)"</label>
                                <input id="model-threshold" name="threshold" inputmode="decimal" /></div>
                        </div>
                        <button type="submit" class="button-primary button-inline" disabled=move || register.pending().get()>"Register"</button>
                    </ActionForm>
                    {move || register.value().get().and_then(Result::err).map(|error| view! { <ErrorBox error /> })}
                }.into_any(),
            }}
        </section>
    }
}
