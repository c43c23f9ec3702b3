//! The rules as CSV or YAML files: export, and import as a new version.

use leptos::prelude::*;

use super::Screen;
use crate::api::rules::rule_board;

/// Export and import of the rules as CSV or YAML files.
#[component]
pub(super) fn Files(screen: Screen) -> impl IntoView {
    let base = format!(
        "/api/v1/projects/{}/questions/{}/rules",
        screen.project, screen.question
    );
    let file = NodeRef::<leptos::html::Input>::new();
    let status = RwSignal::new(None::<Result<String, String>>);
    let upload = {
        let base = base.clone();
        move |_| {
            // After an import, the board shows the imported rules.
            let reload = move || {
                leptos::task::spawn_local(async move {
                    if let Ok(board) = rule_board(screen.project, screen.question).await {
                        screen.latest.set(Some(board));
                        screen.changes.update(|n| *n += 1);
                    }
                })
            };
            crate::components::upload::put_file(&base, file, status, reload)
        }
    };
    view! {
        <section aria-labelledby="files-title" class="panel">
            <h2 id="files-title">"Rules as files"</h2>
            <p>
                <a class="button-quiet" href=format!("{base}?format=csv") download>"Export CSV"</a>
                " "
                <a class="button-quiet" href=format!("{base}?format=yaml") download>"Export YAML"</a>
            </p>
            <div class="form-row">
                <div class="field">
                    <label for="rules-file">"Import rules (.csv, .yaml) — replaces all rules, as a new version"</label>
                    <input id="rules-file" type="file" accept=".csv,.yaml,.yml" node_ref=file />
                </div>
                <button type="button" class="button-quiet" on:click=upload>"Import"</button>
            </div>
            {move || status.get().map(|result| match result {
                Ok(message) => view! { <p class="notice" role="status">{message}</p> }.into_any(),
                Err(message) => view! { <pre class="form-error" role="alert">{message}</pre> }.into_any(),
            })}
        </section>
    }
    .into_any()
}
