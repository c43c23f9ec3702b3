//! `/`: the projects the signed-in user is a member of.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::projects::{my_projects, ProjectCard};
use crate::components::error_box::ErrorBox;
use crate::pages::project::thousands;

/// Lists the user's projects as cards, or explains how to get one.
#[component]
pub fn ProjectsPage() -> impl IntoView {
    let projects = OnceResource::new(my_projects());
    let content = move || {
        Suspend::new(async move {
            match projects.await {
                Ok(list) if list.is_empty() => view! { <NoProjects /> }.into_any(),
                Ok(list) => view! {
                    <ul class="cards" aria-label="Projects">
                        {list.into_iter().map(|project| view! { <ProjectCardView project /> }).collect_view()}
                    </ul>
                }
                .into_any(),
                Err(error) => view! { <ErrorBox error /> }.into_any(),
            }
        })
    };
    view! {
        <Title text="Projects" />
        <h1>"Your projects"</h1>
        <Suspense fallback=|| view! { <p class="muted">"Loading projects…"</p> }>{content}</Suspense>
    }
}

#[component]
fn ProjectCardView(project: ProjectCard) -> impl IntoView {
    view! {
        <li class="card project-card">
            <a href=format!("/projects/{}", project.id)>
                <h2>{project.name}</h2>
            </a>
            <p class="muted">"IRB protocol " {project.irb_protocol}</p>
            <p>
                <span class="badge">{project.role}</span>
                " · "
                {thousands(project.report_count)}
                " reports"
            </p>
        </li>
    }
}

#[component]
fn NoProjects() -> impl IntoView {
    view! {
        <div class="empty-state">
            <h2>"No projects yet"</h2>
            <p>
                "You are not a member of any project. Each project stands for one approved IRB protocol; "
                "ask your site administrator to add you to the protocol you work on."
            </p>
            <p class="muted">"Site administrators manage users and projects on the Administration page."</p>
        </div>
    }
}
