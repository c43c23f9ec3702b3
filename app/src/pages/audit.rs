//! `/admin/audit`: the audit log, filtered and paged, for site admins.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::api::admin::{audit_events, audit_projects, AuditLogPage, AuditQuery};
use crate::components::audit_table::AuditEvents;
use crate::components::error_box::ErrorBox;
use crate::error::AppError;
use crate::pages::project::thousands;

/// Filters (who, part of an action, project, about what, days) in the query string, so a filtered view can be bookmarked.
#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |name: &str| query.read().get(name).unwrap_or_default();
    let filters = move || {
        (
            AuditQuery {
                actor: param("actor"),
                action: param("action"),
                project: param("project"),
                text: param("text"),
                from: param("from"),
                to: param("to"),
            },
            param("page").parse::<i64>().unwrap_or(0),
        )
    };
    let events = Resource::new(filters, |(query, page)| audit_events(query, page));
    let projects = Resource::new(|| (), |_| audit_projects());
    // The filters belong to the site admin: anyone else sees only why the log is closed to them.
    let filter_form = move |projects: Vec<(i64, String)>| {
        view! {
            <Form method="GET" action="/admin/audit">
                <div class="form-row">
                    <div class="field">
                        <label for="actor">"Who"</label>
                        <input id="actor" name="actor" value=move || param("actor") prop:value=move || param("actor") placeholder="part of a name" />
                    </div>
                    <div class="field">
                        <label for="action">"Action"</label>
                        <input id="action" name="action" value=move || param("action") prop:value=move || param("action") placeholder="part of one, e.g. member" />
                    </div>
                    <div class="field">
                        <label for="project">"Project"</label>
                        <select id="project" name="project">
                            <option value="">"Any project"</option>
                            {projects.into_iter().map(|(id, name)| {
                                let id = id.to_string();
                                let selected = param("project") == id;
                                view! { <option value=id selected=selected>{name}</option> }
                            }).collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for="text">"About"</label>
                        <input id="text" name="text" value=move || param("text") prop:value=move || param("text") placeholder="accession, question, file…" />
                    </div>
                    <div class="field">
                        <label for="from">"From"</label>
                        <input id="from" name="from" type="date" value=move || param("from") prop:value=move || param("from") />
                    </div>
                    <div class="field">
                        <label for="to">"To"</label>
                        <input id="to" name="to" type="date" value=move || param("to") prop:value=move || param("to") />
                    </div>
                    <button type="submit" class="button-primary button-inline">"Filter"</button>
                </div>
            </Form>
        }
    };
    let content = move || {
        Suspend::new(async move {
            // Read with the events: a failure of either is the events' own (both are the admin's).
            let choices = projects.await.unwrap_or_default();
            match events.await {
                Ok(page) => view! { {filter_form(choices)} <AuditTable page /> }.into_any(),
                Err(error @ (AppError::Forbidden(_) | AppError::NotSignedIn)) => {
                    view! { <ErrorBox error /> }.into_any()
                }
                Err(error) => view! { {filter_form(choices)} <ErrorBox error /> }.into_any(),
            }
        })
    };
    view! {
        <Title text="Audit log" />
        <p class="breadcrumbs"><a href="/admin">"Administration"</a> " / "</p>
        <h1>"Audit log"</h1>
        <Transition fallback=|| view! { <p class="muted">"Loading events…"</p> }>{content}</Transition>
    }
}

#[component]
fn AuditTable(page: AuditLogPage) -> impl IntoView {
    let query = use_query_map();
    let link_to = move |number: i64| {
        let mut params = query.get_untracked();
        params.replace("page", number.to_string());
        format!("/admin/audit{}", params.to_query_string())
    };
    let previous = (page.page > 0).then(|| view! { <a href=link_to(page.page - 1)>"← Newer"</a> });
    let next = (page.page + 1 < page.pages)
        .then(|| view! { <a href=link_to(page.page + 1)>"Older →"</a> });
    view! {
        <p class="muted" role="status">{match page.total { 1 => "1 event".to_string(), total => format!("{} events", thousands(total)) }} " · page " {page.page + 1} " of " {page.pages.max(1)}</p>
        <AuditEvents rows=page.rows />
        <nav class="pager" aria-label="Pages">{previous} {next}</nav>
    }
}
