//! `/admin`: users, projects and the latest audit events, for site admins, with the forms to
//! create users and projects, reset passwords and disable accounts.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;

use crate::api::admin::{admin_overview, SiteOverview};
use crate::api::memberships::CreateProject;
use crate::api::users::{CreateUser, DisableUser, NewPassword, ResetPassword};
use crate::components::audit_table::AuditEvents;
use crate::components::confirm::confirmed;
use crate::components::error_box::ErrorBox;
use crate::components::form_reset::clear_after_success;
use crate::pages::project::thousands;

/// The actions of the page, shared by its sections.
#[derive(Clone, Copy)]
struct Actions {
    create_user: ServerAction<CreateUser>,
    reset_password: ServerAction<ResetPassword>,
    disable_user: ServerAction<DisableUser>,
}

/// The site admin's overview. Everyone else gets 403.
#[component]
pub fn AdminPage() -> impl IntoView {
    let actions = Actions {
        create_user: ServerAction::new(),
        reset_password: ServerAction::new(),
        disable_user: ServerAction::new(),
    };
    let create_project = ServerAction::<CreateProject>::new();
    let overview = Resource::new(
        move || {
            (
                actions.create_user.version().get(),
                actions.reset_password.version().get(),
                actions.disable_user.version().get(),
            )
        },
        |_| admin_overview(),
    );
    let navigate = use_navigate();
    Effect::new(move || {
        if let Some(Ok(id)) = create_project.value().get() {
            navigate(&format!("/admin/projects/{id}"), Default::default());
        }
    });
    let content = move || {
        Suspend::new(async move {
            match overview.await {
                Ok(overview) => view! { <Overview overview actions create_project /> }.into_any(),
                Err(error) => view! { <ErrorBox error /> }.into_any(),
            }
        })
    };
    view! {
        <Title text="Administration" />
        <h1>"Administration"</h1>
        <PasswordNotice actions />
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>{content}</Suspense>
    }
}

/// Shows every password generated on this page until the admin hides it (a second user created,
/// or a refused action, never takes the first one away), and the error of the last user action.
#[component]
fn PasswordNotice(actions: Actions) -> impl IntoView {
    let passwords = RwSignal::new(Vec::<NewPassword>::new());
    for action in [actions.create_user.value(), actions.reset_password.value()] {
        Effect::new(move |_| {
            if let Some(Ok(new)) = action.get() {
                // A newer password of the same user replaces theirs, which no longer works.
                passwords.update(|shown| {
                    shown.retain(|earlier| earlier.user != new.user);
                    shown.push(new);
                });
            }
        });
    }
    let cards = move || {
        passwords
            .get()
            .into_iter()
            .enumerate()
            .map(|(index, new)| {
                let hide = move |_| passwords.update(|shown| { shown.remove(index); });
                view! {
                    <div class="secret" role="status">
                        <p><strong>"Password for " {new.user.clone()}</strong> " — give it to them in person; it will not be shown again."</p>
                        <input class="secret-value" readonly value=new.password.clone() aria-label=format!("New password for {}", new.user) />
                        " "
                        <button type="button" class="button-quiet" on:click=hide>{format!("Hide the password of {}", new.user)}</button>
                    </div>
                }
            })
            .collect_view()
    };
    let error = move || {
        [
            actions.create_user.value().get().and_then(Result::err),
            actions.reset_password.value().get().and_then(Result::err),
            actions.disable_user.value().get().and_then(Result::err),
        ]
        .into_iter()
        .flatten()
        .next()
        .map(|error| view! { <ErrorBox error /> })
    };
    view! {
        {cards}
        {error}
    }
}

#[component]
fn Overview(
    overview: SiteOverview,
    actions: Actions,
    create_project: ServerAction<CreateProject>,
) -> impl IntoView {
    let users = overview.users.into_iter().map(|user| {
        let status = if user.disabled { "disabled" } else { "active" };
        let is_you = user.is_you;
        let (reset_label, disable_label) = (format!("Reset password of {}", user.name), format!("Disable {}", user.name));
        let (reset_name, disable_name) = (user.name.clone(), user.name.clone());
        let reset_question = format!("Reset the password of {}? Their sessions and API tokens end at once, and they need the new password to sign in.", user.name);
        let disable_question = format!("Disable {}? They can no longer sign in, and their sessions and API tokens end at once.", user.name);
        let controls = (!user.disabled).then(|| {
            view! {
                <ActionForm action=actions.reset_password>
                    <input type="hidden" name="name" value=reset_name />
                    <button type="submit" class="button-quiet" aria-label=reset_label
                        on:click=move |ev| if !confirmed(&reset_question) { ev.prevent_default(); }>"Reset password"</button>
                </ActionForm>
                {(!is_you).then(|| view! {
                <ActionForm action=actions.disable_user>
                    <input type="hidden" name="name" value=disable_name />
                    <button type="submit" class="button-quiet button-danger" aria-label=disable_label
                        on:click=move |ev| if !confirmed(&disable_question) { ev.prevent_default(); }>"Disable"</button>
                </ActionForm>
                })}
            }
        });
        view! {
            <tr>
                <td>{user.name}</td>
                <td>{if user.is_admin { "site admin" } else { "member" }}</td>
                <td>{status}</td>
                <td class="row-actions">{controls}</td>
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
    let project_error = move || {
        create_project
            .value()
            .get()
            .and_then(Result::err)
            .map(|error| view! { <ErrorBox error /> })
    };
    // The list reloads beside the form, which keeps what was typed unless emptied.
    let new_user = NodeRef::<leptos::html::Form>::new();
    clear_after_success(new_user, move || {
        matches!(actions.create_user.value().get(), Some(Ok(_)))
    });
    view! {
        <section aria-labelledby="users-title">
            <h2 id="users-title">"Users"</h2>
            <table>
                <thead><tr><th>"Name"</th><th>"Kind"</th><th>"Status"</th><th></th></tr></thead>
                <tbody>{users.collect_view()}</tbody>
            </table>
            <ActionForm action=actions.create_user node_ref=new_user>
                <div class="form-row inline-form">
                    <div class="field">
                        <label for="new-user">"New user"</label>
                        <input id="new-user" name="name" required placeholder="user name" autocomplete="off" />
                    </div>
                    <label class="checkbox"><input type="checkbox" name="admin" />" site admin"</label>
                    <button type="submit" class="button-primary button-inline" disabled=move || actions.create_user.pending().get()>"Create user"</button>
                </div>
            </ActionForm>
        </section>
        <section aria-labelledby="projects-title">
            <h2 id="projects-title">"Projects"</h2>
            <table>
                <thead><tr><th>"Name"</th><th>"IRB protocol"</th><th class="number">"Members"</th><th class="number">"Reports"</th></tr></thead>
                <tbody>{projects.collect_view()}</tbody>
            </table>
            <ActionForm action=create_project>
                <div class="form-row inline-form">
                    <div class="field">
                        <label for="new-project">"New project"</label>
                        <input id="new-project" name="name" required placeholder="e.g. Pneumothorax 2026" autocomplete="off" />
                    </div>
                    <div class="field">
                        <label for="new-irb">"IRB protocol"</label>
                        <input id="new-irb" name="irb_protocol" required placeholder="e.g. 2026P000123" autocomplete="off" />
                    </div>
                    <button type="submit" class="button-primary button-inline">"Create project"</button>
                </div>
            </ActionForm>
            {project_error}
        </section>
        <section aria-labelledby="audit-title">
            <h2 id="audit-title">"Latest audit events"</h2>
            <p><a href="/admin/audit">"Search the whole audit log"</a>" · "<a href="/admin/profiles">"Launch profiles (where training jobs run)"</a></p>
            <AuditEvents rows=overview.recent_events />
        </section>
    }
}
