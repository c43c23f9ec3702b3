//! `/admin/projects/:id`: a project for site admins: its members, its share of the live HL7 feed
//! (in [`feed`]), the protocol's end date, and closing.

mod feed;

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::admin::{admin_project, CloseProject, ProjectAdmin, SetIrbExpiry};
use crate::api::memberships::{AddMember, RemoveMember};
use crate::components::confirm::confirmed;
use crate::components::error_box::ErrorBox;
use crate::components::form_reset::clear_after_success;
use crate::pages::project::thousands;

/// Shows the project and the two lifecycle forms.
#[component]
pub fn AdminProjectPage() -> impl IntoView {
    let id = crate::pages::route_number("id");
    let set_expiry = ServerAction::<SetIrbExpiry>::new();
    let close = ServerAction::<CloseProject>::new();
    let add = ServerAction::<AddMember>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let project = Resource::new(
        move || {
            (
                id(),
                set_expiry.version().get(),
                close.version().get(),
                add.version().get(),
                remove.version().get(),
            )
        },
        |(id, ..)| async move {
            match id {
                Some(id) => admin_project(id).await,
                None => crate::not_found("Project"),
            }
        },
    );
    let content = move || {
        Suspend::new(async move {
            match project.await {
                Ok(project) => view! {
                    <Members project=project.clone() add remove />
                    {(!project.closed).then(|| view! { <feed::FeedFilter project=project.id /> })}
                    <Lifecycle project set_expiry close />
                }
                .into_any(),
                Err(error) => view! { <ErrorBox error /> }.into_any(),
            }
        })
    };
    view! { <Suspense fallback=|| view! { <p class="muted">"Loading the project…"</p> }>{content}</Suspense> }
}

#[component]
fn Lifecycle(
    project: ProjectAdmin,
    set_expiry: ServerAction<SetIrbExpiry>,
    close: ServerAction<CloseProject>,
) -> impl IntoView {
    // The page reloads the project after a save: say what is now stored.
    let saved_day = project.irb_expires_on.clone();
    let expiry_outcome = move || match set_expiry.value().get() {
        Some(Ok(())) => {
            let saved = match saved_day.clone() {
                Some(day) => format!("Saved: the protocol's last valid day is {day}."),
                None => "Saved: the protocol has no end date.".to_string(),
            };
            Some(view! { <p class="notice" role="status">{saved}</p> }.into_any())
        }
        Some(Err(error)) => Some(view! { <ErrorBox error /> }.into_any()),
        None => None,
    };
    let close_outcome = move || {
        match close.value().get() {
        Some(Ok(purged)) => Some(view! { <p class="notice" role="status">{format!("Project closed: {} reports purged.", thousands(purged as i64))}</p> }.into_any()),
        Some(Err(error)) => Some(view! { <ErrorBox error /> }.into_any()),
        None => None,
    }
    };
    let name_to_type = project.name.clone();
    let closing_form = match project.closed {
        true => view! { <p class="notice">"This project is closed: its reports and index were purged. Its audit events remain."</p> }.into_any(),
        false => view! {
            <p>"Closing purges the project's reports and search index for good. Members keep its statistics and the audit log keeps every event."</p>
            <ActionForm action=close>
                <input type="hidden" name="id" value=project.id.to_string() />
                <div class="field">
                    <label for="confirmation">"Type the project's name to confirm"</label>
                    <input id="confirmation" name="confirmation" required autocomplete="off" placeholder=name_to_type />
                </div>
                <button type="submit" class="button-danger-solid" disabled=move || close.pending().get()>"Close project and purge reports"</button>
            </ActionForm>
        }
        .into_any(),
    };
    view! {
        <section class="card" aria-labelledby="expiry-title">
            <h2 id="expiry-title">"Protocol end date"</h2>
            <p class="muted">"After this day, members keep aggregate statistics only."</p>
            <ActionForm action=set_expiry>
                <input type="hidden" name="id" value=project.id.to_string() />
                <div class="form-row">
                    <div class="field">
                        <label for="last_day">"Last valid day"</label>
                        <input id="last_day" name="last_day" type="date" value=project.irb_expires_on.unwrap_or_default() />
                    </div>
                    <button type="submit" class="button-primary button-inline">"Save end date"</button>
                </div>
            </ActionForm>
            {expiry_outcome}
        </section>
        <section class="card danger-zone" aria-labelledby="close-title">
            <h2 id="close-title">"Close the project"</h2>
            {closing_form}
            {close_outcome}
        </section>
    }
}

/// The project's heading, facts and members, with the forms to add and remove members.
#[component]
fn Members(
    project: ProjectAdmin,
    add: ServerAction<AddMember>,
    remove: ServerAction<RemoveMember>,
) -> impl IntoView {
    let id = project.id.to_string();
    let member_count = project.members.len() as i64;
    let roles_of_members: Vec<(String, String)> = project
        .members
        .iter()
        .map(|member| (member.user.clone(), member.role.clone()))
        .collect();
    let rows = project.members.into_iter().map(|member| {
        let label = format!("Remove {}", member.user);
        let remove_question = format!(
            "Remove {} from {}? They lose access to its reports at once; their answers stay.",
            member.user, project.name
        );
        let id = id.clone();
        view! {
            <tr>
                <td>{member.user.clone()}</td>
                <td><span class="badge">{member.role}</span></td>
                <td>{if member.disabled { "disabled" } else { "active" }}</td>
                <td>
                    <ActionForm action=remove>
                        <input type="hidden" name="id" value=id />
                        <input type="hidden" name="user" value=member.user />
                        <button type="submit" class="button-quiet button-danger" aria-label=label
                            on:click=move |ev| match confirmed(&remove_question) {
                                // The last add's notice is not this removal's outcome.
                                true => add.value().set(None),
                                false => ev.prevent_default(),
                            }>"Remove"</button>
                    </ActionForm>
                </td>
            </tr>
        }
    });
    let error = move || {
        let added = add.value().get().and_then(Result::err);
        let removed = remove.value().get().and_then(Result::err);
        added.or(removed).map(|error| view! { <ErrorBox error /> })
    };
    let added = move || {
        let added = add.value().get().and_then(Result::ok);
        let removed = remove.value().get().and_then(Result::ok);
        added
            .or(removed)
            .map(|done| view! { <p class="notice" role="status">{done}</p> })
    };
    // Choosing someone who is already a member changes their role: the page says so and asks,
    // and sends the role it showed, so that a membership changed meanwhile is refused.
    let roles: std::collections::HashMap<String, String> =
        roles_of_members.iter().cloned().collect();
    let project_name = project.name.clone();
    let (user_field, role_field, shown_field) = (
        NodeRef::<leptos::html::Select>::new(),
        NodeRef::<leptos::html::Select>::new(),
        NodeRef::<leptos::html::Input>::new(),
    );
    let ask_role_change = move |ev: leptos::ev::MouseEvent| {
        let (Some(user), Some(role), Some(shown)) =
            (user_field.get(), role_field.get(), shown_field.get())
        else {
            return;
        };
        let (user, role) = (user.value(), role.value());
        // Whatever is chosen now, the last action's notice is not its outcome.
        add.value().set(None);
        let was = roles.get(&user).cloned().unwrap_or_default();
        shown.set_value(&was);
        let question = format!(
            "{user} is already in {project_name} with the role {was}. Change their role to {role}? What they may do changes at once; their answers stay."
        );
        if !was.is_empty() && was != role && !confirmed(&question) {
            ev.prevent_default();
            return;
        }
        remove.value().set(None);
    };
    let new_member = NodeRef::<leptos::html::Form>::new();
    clear_after_success(new_member, move || matches!(add.value().get(), Some(Ok(_))));
    // Members show their role here, so that choosing one is seen to be a role change.
    let users: Vec<_> = project
        .all_users
        .into_iter()
        .map(|name| {
            let shown = match roles_of_members.iter().find(|(user, _)| *user == name) {
                Some((_, role)) => format!("{name} ({role} here)"),
                None => name.clone(),
            };
            view! { <option value=name>{shown}</option> }
        })
        .collect();
    view! {
        <Title text=format!("{} · administration", project.name) />
        <p class="breadcrumbs"><a href="/admin">"Administration"</a> " / "</p>
        <h1>{project.name.clone()}</h1>
        <dl class="facts">
            <div><dt>"IRB protocol"</dt><dd>{project.irb_protocol}</dd></div>
            <div><dt>"Members"</dt><dd>{thousands(member_count)}</dd></div>
            <div><dt>"Reports"</dt><dd>{thousands(project.report_count)}</dd></div>
            <div><dt>"Status"</dt><dd>{if project.closed { "closed" } else { "open" }}</dd></div>
        </dl>
        <section class="card" aria-labelledby="members-title">
            <h2 id="members-title">"Members"</h2>
            <table>
                <thead><tr><th>"User"</th><th>"Role"</th><th>"Account"</th><th></th></tr></thead>
                <tbody>{rows.collect_view()}</tbody>
            </table>
            <ActionForm action=add node_ref=new_member>
                <input type="hidden" name="id" value=project.id.to_string() />
                <input type="hidden" name="shown" value="" node_ref=shown_field />
                <div class="form-row inline-form">
                    <div class="field">
                        <label for="member-user">"User"</label>
                        <select id="member-user" name="user" required node_ref=user_field>
                            <option value="" selected disabled>"Choose a user…"</option>
                            {users}
                        </select>
                    </div>
                    <div class="field">
                        <label for="member-role">"Role"</label>
                        <select id="member-role" name="role" node_ref=role_field>
                            <option value="fellow">"fellow — writes rules, curates the gold set"</option>
                            <option value="affiliate" selected>"affiliate — confirms labels"</option>
                            <option value="scientist">"scientist — exports and trains"</option>
                        </select>
                    </div>
                    <button type="submit" class="button-primary button-inline" disabled=move || add.pending().get()
                        on:click=ask_role_change>"Add member or change role"</button>
                </div>
            </ActionForm>
            {added}
            {error}
        </section>
    }
}
