//! `/projects/:id/jobs`: launch a label set with a launch profile (one job per line of arguments:
//! a hyperparameter search is one group), follow the jobs' states and the log of one of them live,
//! and cancel.

pub mod profiles;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::training::{
    job_log, launch_choices, project_jobs, CancelJob, GroupView, JobRow, LaunchJobs, LaunchOptions,
};
use crate::components::confirm::confirmed;
use crate::components::error_box::ErrorBox;
use crate::components::form_reset::clear_after_success;

/// How often the page asks for the jobs' states while one may still change.
const REFRESH_MS: u64 = 2000;

#[component]
pub fn JobsPage() -> impl IntoView {
    let project = crate::pages::route_number("id");
    let query = use_query_map();
    let launch = ServerAction::<LaunchJobs>::new();
    let cancel = ServerAction::<CancelJob>::new();
    let tick = RwSignal::new(0u64);
    let shown = RwSignal::new(None::<i64>);
    let data = Resource::new(
        move || {
            let versions = (launch.version().get(), cancel.version().get(), tick.get());
            (project().unwrap_or(0), versions)
        },
        |(project, _)| project_jobs(project),
    );
    let log = Resource::new(
        move || {
            (
                project().unwrap_or(0),
                shown.get(),
                tick.get(),
                cancel.version().get(),
            )
        },
        |(project, job, _, _)| async move {
            match job {
                Some(job) => job_log(project, job).await.map(Some),
                None => Ok(None),
            }
        },
    );
    // In the browser only: refresh while any job may still change.
    Effect::new(move |_| {
        let handle = set_interval_with_handle(
            move || {
                let busy = data
                    .get_untracked()
                    .and_then(Result::ok)
                    .is_some_and(|groups| {
                        groups.iter().flat_map(|g| &g.jobs).any(JobRow::unfinished)
                    });
                if busy {
                    tick.update(|t| *t += 1);
                }
            },
            std::time::Duration::from_millis(REFRESH_MS),
        );
        on_cleanup(move || {
            if let Ok(handle) = handle {
                handle.clear();
            }
        });
    });
    let preselected = move || {
        query
            .read()
            .get("label_set")
            .and_then(|v| v.parse::<i64>().ok())
    };
    // The launch form renders from its own copy, so the refreshes below never reset what is typed.
    let choices = Resource::new(
        move || (project().unwrap_or(0), launch.version().get()),
        |(project, _)| launch_choices(project),
    );
    let form = move || {
        Suspend::new(async move {
            match choices.await {
                Ok(data) => view! {
                    <Title text=format!("{} — training jobs", data.project_name) />
                    <p class="breadcrumbs"><a href=format!("/projects/{}", project().unwrap_or(0))>{data.project_name.clone()}</a> " /"</p>
                    <h1>"Training jobs"</h1>
                    <LaunchPanel data project=project().unwrap_or(0) preselected=preselected() launch />
                }
                .into_any(),
                Err(error) => view! { <ErrorBox error /> }.into_any(),
            }
        })
    };
    let content = move || {
        Suspend::new(async move {
            match data.await {
                Ok(groups) => {
                    view! { <Groups groups project=project().unwrap_or(0) cancel shown /> }
                        .into_any()
                }
                Err(_) => ().into_any(),
            }
        })
    };
    // The log opens below the list: bring it into view, or the click seems to do nothing.
    let log_ref = NodeRef::<leptos::html::Section>::new();
    Effect::new(move |_| {
        if let Some(panel) = log_ref.get() {
            panel.scroll_into_view();
        }
    });
    let log_panel = move || {
        Suspend::new(async move {
            match log.await {
                Ok(Some(found)) => view! {
                    <section class="panel" aria-labelledby="log-title" data-testid="job-log" node_ref=log_ref>
                        <h2 id="log-title">{format!("Job {} — {}", found.job.id, found.job.state)}</h2>
                        {found.job.message.clone().map(|m| view! { <p class="muted">{m}</p> })}
                        {(!found.metrics.is_empty()).then(|| view! {
                            <h3>"Metrics"</h3>
                            <p class="muted">"As the job wrote them into its output, " <code>"metrics.json"</code> "."</p>
                            <table data-testid="job-metrics">
                                <thead><tr><th>"Measure"</th><th class="number">"Value"</th></tr></thead>
                                <tbody>{found.metrics.iter().map(|metric| view! {
                                    <tr><td><code>{metric.name.clone()}</code></td><td class="number">{format_metric(metric.value)}</td></tr>
                                }).collect_view()}</tbody>
                            </table>
                        })}
                        <pre class="log">{match found.log.is_empty() {
                            true => "(no output yet)".to_string(),
                            false => found.log,
                        }}</pre>
                    </section>
                }
                .into_any(),
                Ok(None) => ().into_any(),
                Err(error) => view! { <ErrorBox error /> }.into_any(),
            }
        })
    };
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading the jobs…"</p> }>{form}</Suspense>
        {move || cancel.value().get().and_then(Result::err).map(|error| view! { <ErrorBox error /> })}
        <Transition fallback=|| ()>{content}</Transition>
        <Transition fallback=|| ()>{log_panel}</Transition>
    }
}

#[component]
fn Groups(
    groups: Vec<GroupView>,
    project: i64,
    cancel: ServerAction<CancelJob>,
    shown: RwSignal<Option<i64>>,
) -> impl IntoView {
    match groups.is_empty() {
        true => view! { <p class="empty">"No job yet: launch a label set above."</p> }.into_any(),
        false => groups
            .into_iter()
            .map(|group| view! { <Group group project cancel shown /> })
            .collect_view()
            .into_any(),
    }
}

#[component]
fn LaunchPanel(
    data: LaunchOptions,
    project: i64,
    preselected: Option<i64>,
    launch: ServerAction<LaunchJobs>,
) -> impl IntoView {
    if data.label_sets.is_empty() {
        return view! {
            <section class="panel"><h2>"Launch"</h2>
                <p class="empty">"No label set to train on yet: export one on the "
                <a href=format!("/projects/{project}/labelsets")>"label sets"</a>" page."</p></section>
        }
        .into_any();
    }
    if data.profiles.is_empty() {
        return view! {
            <section class="panel"><h2>"Launch"</h2>
                <p class="empty">"No launch profile yet: the site admin adds one (local process, Slurm or Kubernetes) under Administration → Launch profiles."</p></section>
        }
        .into_any();
    }
    let chosen = preselected
        .filter(|v| data.label_sets.contains(v))
        .unwrap_or(data.label_sets[0]);
    let launch_form = NodeRef::<leptos::html::Form>::new();
    clear_after_success(launch_form, move || {
        matches!(launch.value().get(), Some(Ok(_)))
    });
    let outcome = move || {
        match launch.value().get() {
        Some(Ok(count)) => view! {
            <p class="notice" role="status">{match count { 1 => "Launched 1 job.".to_string(), n => format!("Launched {n} jobs as one group.") }}</p>
        }
        .into_any(),
        Some(Err(error)) => view! { <ErrorBox error /> }.into_any(),
        None => ().into_any(),
    }
    };
    view! {
        <section class="panel" aria-labelledby="launch-title">
            <h2 id="launch-title">"Launch"</h2>
            <ActionForm action=launch node_ref=launch_form>
                <input type="hidden" name="project" value=project.to_string() />
                <div class="form-row">
                    <div class="field"><label for="label-set">"Label set"</label>
                        <select id="label-set" name="label_set">
                            {data.label_sets.iter().map(|v| view! {
                                <option value=v.to_string() selected=*v == chosen>{format!("v{v}")}</option>
                            }).collect_view()}
                        </select></div>
                    <div class="field"><label for="profile">"Launch profile"</label>
                        <select id="profile" name="profile">
                            {data.profiles.iter().map(|p| view! {
                                <option value=p.id.to_string()>{format!("{} ({})", p.name, p.backend)}</option>
                            }).collect_view()}
                        </select></div>
                </div>
                <div class="field"><label for="args">"Extra arguments — one job per line (e.g. a hyperparameter search); empty: one job. Put a value with spaces in quotes: "<code class="nowrap">"--question \"Pleural effusion\""</code>". Sieve sets "<code class="nowrap">"--manifest"</code>" and "<code class="nowrap">"--output"</code>" itself."</label>
                    <textarea id="args" name="args" rows="3" class="wide" placeholder="--alpha 0.5\n--alpha 1.0"></textarea></div>
                <button type="submit" class="button-primary button-inline" disabled=move || launch.pending().get()>
                    {move || match launch.pending().get() { true => "Launching…", false => "Launch" }}</button>
            </ActionForm>
            {outcome}
        </section>
    }
    .into_any()
}

fn summary(jobs: &[JobRow]) -> String {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for job in jobs {
        match counts.iter_mut().find(|(state, _)| *state == job.state) {
            Some((_, n)) => *n += 1,
            None => counts.push((job.state.clone(), 1)),
        }
    }
    counts
        .iter()
        .map(|(state, n)| format!("{n} {state}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[component]
fn Group(
    group: GroupView,
    project: i64,
    cancel: ServerAction<CancelJob>,
    shown: RwSignal<Option<i64>>,
) -> impl IntoView {
    let title = format!(
        "Label set v{} on {} ({}) — {} job{}: {}",
        group.label_set_version,
        group.profile,
        group.backend,
        group.jobs.len(),
        if group.jobs.len() == 1 { "" } else { "s" },
        summary(&group.jobs)
    );
    view! {
        <section class="job-group" data-testid="job-group">
            <h2>{title}</h2>
            <p class="muted">{format!("Launched by {} at {}", group.created_by, group.created_at)}</p>
            <table>
                <thead><tr><th>"Job"</th><th>"Arguments"</th><th>"State"</th><th>"Scheduler id"</th><th>"Ran"</th><th>"Result"</th><th></th></tr></thead>
                <tbody>{group.jobs.into_iter().map(|job| {
                    let id = job.id;
                    let unfinished = job.unfinished();
                    view! {
                        <tr data-job=id.to_string()>
                            <td>{id}</td>
                            <td><code>{job.args.clone()}</code></td>
                            <td><span class=format!("badge state-{}", job.state) data-testid="job-state">{job.state.clone()}</span></td>
                            <td><code>{job.scheduler_id.clone()}</code></td>
                            <td>{job.duration.clone()}</td>
                            <td>{job.exit_code.map(|c| format!("exit {c}"))}" "{job.message.clone()}</td>
                            <td class="actions">
                                <button type="button" class="button-quiet" on:click=move |_| shown.set(Some(id))>"Log and metrics"</button>
                                {job.model.map(|model| view! {
                                    " " <a class="button-quiet" href=format!("/projects/{project}/models/{model}")>"Model and validation"</a>
                                })}
                                {unfinished.then(|| view! {
                                    <button type="button" class="button-danger" disabled=move || cancel.pending().get()
                                        on:click=move |_| {
                                            if confirmed(&format!("Cancel job {id}? It stops now; its log and what it wrote so far stay.")) {
                                                cancel.dispatch(CancelJob { project, job: id });
                                            }
                                        }>"Cancel"</button>
                                })}
                            </td>
                        </tr>
                    }
                }).collect_view()}</tbody>
            </table>
        </section>
    }
}

/// A metric as people read it: whole numbers as they are, others to three decimals.
fn format_metric(value: f64) -> String {
    match value.fract() == 0.0 && value.abs() < 1e15 {
        true => format!("{value:.0}"),
        false => format!("{value:.3}"),
    }
}
