//! `/tokens`: the signed-in user's API tokens, for scripts that call the REST API.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::projects::my_projects;
use crate::api::tokens::{list_tokens, CreateToken, RevokeToken, TokenRow, VALIDITY_CHOICES};
use crate::components::confirm::confirmed;
use crate::components::error_box::ErrorBox;
use crate::components::form_reset::clear_after_success;

/// Lists tokens with a revoke button each, and a form to create one.
#[component]
pub fn TokensPage() -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let tokens = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_tokens(),
    );
    let projects = OnceResource::new(my_projects());
    // The form stays on the page while the list reloads: it empties itself once a token is made.
    let form = NodeRef::<leptos::html::Form>::new();
    clear_after_success(form, move || matches!(create.value().get(), Some(Ok(_))));

    let list = move || {
        Suspend::new(async move {
            match tokens.await {
                Ok(rows) if rows.is_empty() => {
                    view! { <p class="muted">"You have no API tokens yet."</p> }.into_any()
                }
                Ok(rows) => view! { <TokenTable rows revoke /> }.into_any(),
                Err(error) => view! { <ErrorBox error /> }.into_any(),
            }
        })
    };
    let project_options = move || {
        Suspend::new(async move {
            projects
                .await
                .unwrap_or_default()
                .into_iter()
                .map(|project| view! { <option value=project.id.to_string()>{project.name}</option> })
                .collect_view()
        })
    };
    let created = move || {
        match create.value().get() {
        Some(Ok(token)) => view! {
            <div class="secret" role="status">
                <p>
                    <strong>"Token “" {token.name} "” created."</strong>
                    " Copy it now: it will not be shown again."
                </p>
                <input class="secret-value" readonly value=token.secret aria-label="Your new token" on:focus=|event| {
                    use leptos::wasm_bindgen::JsCast;
                    if let Some(input) = event.target().and_then(|target| target.dyn_into::<leptos::web_sys::HtmlInputElement>().ok()) {
                        input.select();
                    }
                } />
                <p class="muted">"Use it as " <code>"Authorization: Bearer <token>"</code> " with the REST API (" <a href="/api/v1/openapi.json">"OpenAPI"</a> ")."</p>
            </div>
        }
        .into_any(),
        Some(Err(error)) => view! { <ErrorBox error /> }.into_any(),
        None => ().into_any(),
    }
    };

    view! {
        <Title text="API tokens" />
        <h1>"API tokens"</h1>
        <p class="muted">"A token lets a script act as you through the REST API, within your roles. Keep it secret; revoke it when it is no longer needed."</p>
        {created}
        <section class="card" aria-labelledby="new-token-title">
            <h2 id="new-token-title">"Create a token"</h2>
            <ActionForm action=create node_ref=form>
                <div class="form-row">
                    <div class="field">
                        <label for="token-name">"Name"</label>
                        <input id="token-name" name="name" required maxlength="100" placeholder="e.g. nightly export" />
                    </div>
                    <div class="field">
                        <label for="token-project">"Project"</label>
                        <select id="token-project" name="project">
                            <option value="">"All my projects"</option>
                            <Suspense fallback=|| ()>{project_options}</Suspense>
                        </select>
                    </div>
                    <div class="field">
                        <label for="token-days">"Valid for"</label>
                        <select id="token-days" name="days">
                            {VALIDITY_CHOICES
                                .into_iter()
                                .map(|days| view! { <option value=days.to_string() selected=days == 90>{format!("{days} days")}</option> })
                                .collect_view()}
                        </select>
                    </div>
                </div>
                <button type="submit" class="button-primary button-inline" disabled=move || create.pending().get()>"Create token"</button>
            </ActionForm>
        </section>
        <h2>"Your tokens"</h2>
        <Suspense fallback=|| view! { <p class="muted">"Loading tokens…"</p> }>{list}</Suspense>
    }
}

#[component]
fn TokenTable(rows: Vec<TokenRow>, revoke: ServerAction<RevokeToken>) -> impl IntoView {
    let rows = rows.into_iter().map(|row| {
        let label = format!("Revoke {}", row.name);
        let question = format!(
            "Revoke the token {}? Scripts using it are refused at once; this cannot be undone.",
            row.name
        );
        let action = match row.active {
            true => view! {
                <ActionForm action=revoke>
                    <input type="hidden" name="id" value=row.id.to_string() />
                    <button type="submit" class="button-quiet button-danger" aria-label=label
                        on:click=move |ev| if !confirmed(&question) { ev.prevent_default(); }>"Revoke"</button>
                </ActionForm>
            }
            .into_any(),
            false => view! { <span class="muted">"revoked or expired"</span> }.into_any(),
        };
        view! {
            <tr>
                <td>{row.name}</td>
                <td>{row.scope}</td>
                <td class="nowrap">{row.created}</td>
                <td class="nowrap">{row.expires}</td>
                <td class="nowrap">{row.last_used}</td>
                <td>{action}</td>
            </tr>
        }
    });
    view! {
        <table>
            <thead>
                <tr><th>"Name"</th><th>"Scope"</th><th>"Created (UTC)"</th><th>"Expires (UTC)"</th><th>"Last used"</th><th></th></tr>
            </thead>
            <tbody>{rows.collect_view()}</tbody>
        </table>
    }
}
