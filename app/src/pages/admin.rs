//! `/admin`: users, projects and the latest audit events, for site admins.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::admin::{admin_overview, SiteOverview};
use crate::components::error_box::ErrorBox;
use crate::pages::project::thousands;

/// The site admin's overview. Everyone else gets 403.
#[component]
pub fn AdminPage() -> impl IntoView {
    let overview = OnceResource::new(admin_overview());
    let content = move || {
        Suspend::new(async move {
            match overview.await {
                Ok(overview) => view! { <Overview overview /> }.into_any(),
                Err(error) => view! { <ErrorBox error /> }.into_any(),
            }
        })
    };
    view! {
        <Title text="Administration" />
        <h1>"Administration"</h1>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>{content}</Suspense>
    }
}

#[component]
fn Overview(overview: SiteOverview) -> impl IntoView {
    let users = overview.users.into_iter().map(|user| {
        let status = if user.disabled { "disabled" } else { "active" };
        view! {
            <tr>
                <td>{user.name}</td>
                <td>{if user.is_admin { "site admin" } else { "member" }}</td>
                <td>{status}</td>
            </tr>
        }
    });
    let projects = overview.projects.into_iter().map(|project| {
        view! {
            <tr>
                <td><a href=format!("/admin/projects/{}", project.id)>{project.name}</a></td>
                <td>{project.irb_protocol}</td>
                <td class="number">{thousands(project.member_count)}</td>
                <td class="number">{thousands(project.report_count)}</td>
            </tr>
        }
    });
    let events = overview.recent_events.into_iter().map(|event| {
        view! {
            <tr>
                <td class="nowrap">{event.at}</td>
                <td>{event.actor}</td>
                <td><code>{event.action}</code></td>
                <td>{event.object}</td>
                <td>{event.detail}</td>
            </tr>
        }
    });
    view! {
        <section aria-labelledby="users-title">
            <h2 id="users-title">"Users"</h2>
            <table>
                <thead><tr><th>"Name"</th><th>"Kind"</th><th>"Status"</th></tr></thead>
                <tbody>{users.collect_view()}</tbody>
            </table>
        </section>
        <section aria-labelledby="projects-title">
            <h2 id="projects-title">"Projects"</h2>
            <table>
                <thead><tr><th>"Name"</th><th>"IRB protocol"</th><th class="number">"Members"</th><th class="number">"Reports"</th></tr></thead>
                <tbody>{projects.collect_view()}</tbody>
            </table>
        </section>
        <section aria-labelledby="audit-title">
            <h2 id="audit-title">"Latest audit events"</h2>
            <p><a href="/admin/audit">"Search the whole audit log"</a></p>
            <table>
                <thead><tr><th>"When (UTC)"</th><th>"Who"</th><th>"Action"</th><th>"Object"</th><th>"Detail"</th></tr></thead>
                <tbody>{events.collect_view()}</tbody>
            </table>
        </section>
    }
}
