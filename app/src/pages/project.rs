//! `/projects/:id`: a project's home, for its members.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::projects::project;
use crate::components::error_box::ErrorBox;

/// Shows the project's protocol, its reports and the viewer's role.
#[component]
pub fn ProjectPage() -> impl IntoView {
    let id = crate::pages::route_number("id");
    let details = Resource::new(id, |id| async move {
        match id {
            Some(id) => project(id).await,
            None => crate::not_found("Project"),
        }
    });
    let content = move || {
        Suspend::new(async move {
            match details.await {
                Ok(project) => {
                    let may = project.may;

                    view! {
                    <Title text=project.name.clone() />
                    <p class="breadcrumbs"><a href="/">"Projects"</a> " / "</p>
                    <h1>{project.name}</h1>
                    <dl class="facts">
                        <div><dt>"IRB protocol"</dt><dd>{project.irb_protocol}</dd></div>
                        <div><dt>"Your role"</dt><dd><span class="badge">{project.role}</span></dd></div>
                        <div><dt>"Reports"</dt><dd data-testid="report-count">{thousands(project.report_count)}</dd></div>
                        <div><dt>"Protocol ends"</dt><dd>{project.irb_expires_on.unwrap_or_else(|| "not set".into())}</dd></div>
                    </dl>
                    // Not role="status": that styles a notice as a success, and this one says what is not allowed.
                    {project.restriction.clone().map(|reason| view! { <p class="notice" role="note">{reason}</p> })}

                    {project.restriction.is_none().then(|| view! {
                        <p class="actions">
                            <a class="button-primary button-inline" href=format!("/projects/{}/search", project.id)>"Search reports"</a>
                            {may.manage_rules.then(|| view! {
                                " " <a class="button-quiet" href=format!("/projects/{}/questions", project.id)>"Questions and rules"</a>
                            })}
                            {may.import_reports.then(|| view! {
                                " " <a class="button-quiet" href=format!("/projects/{}/import", project.id)>"Import reports"</a>
                            })}
                            {may.export_labels.then(|| view! {
                                " " <a class="button-quiet" href=format!("/projects/{}/labelsets", project.id)>"Label sets"</a>
                                " " <a class="button-quiet" href=format!("/projects/{}/jobs", project.id)>"Training jobs"</a>
                            })}
                            {may.validate_models.then(|| view! {
                                " " <a class="button-quiet" href=format!("/projects/{}/models", project.id)>"Models"</a>
                            })}
                        </p>
                    })}
                    }
                    .into_any()
                }
                Err(error) => view! { <ErrorBox error /> }.into_any(),
            }
        })
    };
    // The cohorts load beside the project, not inside it: a resource created while another
    // resolves can keep an asynchronous server render waiting.
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading the project…"</p> }>{content}</Suspense>
        {move || id().map(|project| view! { <ProjectAlarms project /> <Queues project /> <Cohorts project /> })}
    }
}

/// The queues the member can answer, with their progress (nothing for scientists).
#[component]
fn Queues(project: i64) -> impl IntoView {
    use crate::api::queue::my_queues;
    let list = Resource::new(move || project, my_queues);
    let section = move || {
        Suspend::new(async move {
            let Ok(view) = list.await else {
                return ().into_any();
            };
            if !view.answers {
                return ().into_any();
            }
            let fellow = view.fellow;
            let body = match view.rows.is_empty() {
                true => view! {
                    <p class="empty">{match fellow {
                        true => "No queue yet: build one from a question's dashboard.",
                        false => "No queue to answer yet: your fellow will build one.",
                    }}</p>
                }
                .into_any(),
                false => view! {
                    <table data-testid="queues">
                        <thead><tr><th>"Question"</th><th class="number">"Your answers today"</th><th class="number">"Your answers in all"</th>
                            <th class="number" title="One answer per study, or several different affiliates' answers for a study in the overlap">"Answers the queue still needs"</th><th></th></tr></thead>
                        <tbody>{view.rows.into_iter().map(|row| view! {
                            <tr>
                                <td>{row.name.clone()}</td>
                                <td class="number">{thousands(row.done_today)}</td>
                                <td class="number">{thousands(row.done)}</td>
                                <td class="number">{thousands(row.left)}</td>
                                <td>
                                    <a class="button-quiet" href=format!("/projects/{project}/label/{}", row.question_id)>{format!("Label {}", row.name)}</a>
                                    {fellow.then(|| view! { " " <a class="button-quiet" href=format!("/projects/{project}/questions/{}/review", row.question_id)>"Dashboard"</a> })}
                                </td>
                            </tr>
                        }).collect_view()}</tbody>
                    </table>
                }
                .into_any(),
            };
            view! {
                <section aria-labelledby="queues-title">
                    <h2 id="queues-title">"Labeling queues"</h2>
                    {body}
                </section>
            }
            .into_any()
        })
    };
    view! { <Suspense fallback=|| ()>{section}</Suspense> }
}

/// Formats a count with thousands separators (12,345), as people read counts.
pub fn thousands(count: i64) -> String {
    let digits = count.unsigned_abs().to_string();
    let mut grouped = String::new();
    for (position, digit) in digits.chars().enumerate() {
        if position > 0 && (digits.len() - position).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    if count < 0 {
        grouped.insert(0, '-');
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(-4200), "-4,200");
    }
}

/// The project's cohorts with their live counts, each opening its search.
#[component]
fn Cohorts(project: i64) -> impl IntoView {
    use crate::api::cohorts::{cohorts, DeleteCohort};
    use crate::components::confirm::confirmed;
    use crate::pages::search::query_string;
    let delete = ServerAction::<DeleteCohort>::new();
    let refused = move || {
        delete
            .value()
            .get()
            .and_then(Result::err)
            .map(|error| view! { <p class="form-error" role="alert">{error.to_string()}</p> })
    };
    let list = Resource::new(move || delete.version().get(), move |_| cohorts(project));
    let rows = move || {
        Suspend::new(async move {
            match list.await {
                Ok(list) if list.rows.is_empty() => view! {
                    <h2 id="cohorts-title">"Cohorts"</h2>
                    <p class="muted">{match list.writes_rules {
                        true => "No cohorts yet: save a search as a cohort from the search page.",
                        false => "No cohorts yet: a fellow saves them from the search page.",
                    }}</p>
                }
                .into_any(),
                Ok(list) => view! {
                    <h2 id="cohorts-title">"Cohorts"</h2>
                    {list.writes_rules.then(|| view! {
                        <p class="muted">"A question covers its cohort's studies. A cohort that a question uses, archived or not, cannot be deleted: the question would silently cover every study of the project instead. Deleting one that no question uses asks first."</p>
                    })}
                    <table>
                        <thead><tr><th>"Cohort"</th><th class="number">"Studies"</th><th></th></tr></thead>
                        <tbody>
                            {list.rows.into_iter().map(|row| {
                                let writes_rules = list.writes_rules;
                                let href = format!("/projects/{project}/search{}", query_string(&row.form, &[]));
                                let label = format!("Delete cohort {}", row.name);
                                let ask = format!("Delete the cohort {}? The saved search is removed; the studies stay.", row.name);
                                view! {
                                    <tr>
                                        <td><a href=href>{row.name}</a></td>
                                        <td class="number">{thousands(row.count as i64)}</td>
                                        <td>{writes_rules.then(|| view! {
                                            <ActionForm action=delete>
                                                <input type="hidden" name="project" value=project.to_string() />
                                                <input type="hidden" name="id" value=row.id.to_string() />
                                                <button type="submit" class="button-quiet button-danger" aria-label=label
                                                    on:click=move |ev| if !confirmed(&ask) { ev.prevent_default(); }>"Delete"</button>
                                            </ActionForm>
                                        })}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }
                .into_any(),
                // The project itself already says why it cannot be shown.
                Err(_) => ().into_any(),
            }
        })
    };
    view! {
        <section aria-labelledby="cohorts-title">
            <Suspense fallback=|| ()>{rows}</Suspense>
            {refused}
        </section>
    }
}

/// Alarms the project page lists; the rest are counted and linked.
const SHOWN_ALARMS: usize = 5;

/// The project's latest model alarms, for those who watch its models (nothing for the others).
#[component]
fn ProjectAlarms(project: i64) -> impl IntoView {
    let alarms = Resource::new(move || project, crate::api::models::project_alarms);
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match alarms.await {
                    Ok(alarms) if !alarms.is_empty() => {
                        let more = alarms.len().saturating_sub(SHOWN_ALARMS);
                        view! {
                        <section class="panel alarm-panel" aria-labelledby="project-alarms-title" data-testid="project-alarms">
                            <h2 id="project-alarms-title">{format!("Model alarms ({})", alarms.len())}</h2>
                            <ul>{alarms.into_iter().take(SHOWN_ALARMS).map(|a| view! {
                                <li><a href=format!("/projects/{project}/models/{}", a.model_id)>{format!("{} — {} alarm on {}", a.model, a.rule, a.day)}</a>": "{a.detail}</li>
                            }).collect_view()}</ul>
                            {(more > 0).then(|| view! {
                                <p><a href=format!("/projects/{project}/models")>{format!("{more} earlier alarm{} on the Models page", if more == 1 { "" } else { "s" })}</a></p>
                            })}
                        </section>
                        }.into_any()
                    }
                    // The project itself already says why it cannot be shown.
                    _ => ().into_any(),
                }
            })}
        </Transition>
    }
}
