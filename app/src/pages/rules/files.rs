//! The rules as CSV or YAML files: export, and import as a new version. An import is first
//! previewed (rules added, removed, changed; studies whose label would change) and saved only once
//! the fellow confirms; a file that is not a rules file is refused with every problem and its line.

use leptos::prelude::*;

use super::Screen;
use crate::api::rules::rule_board;
use crate::components::confirm::confirmed;
use crate::components::upload::send_file;

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
            let reload = move |_: String| {
                leptos::task::spawn_local(async move {
                    if let Ok(board) = rule_board(screen.project, screen.question).await {
                        screen.latest.set(Some(board));
                        screen.changes.update(|n| *n += 1);
                    }
                })
            };
            let base_for_save = base.clone();
            // The preview's message says what the import would do; only a confirmed import is sent.
            let save = move |preview: String| match confirmed(&format!(
                "{preview}\n\nReplace the rules with this file?"
            )) {
                true => send_file("PUT", &base_for_save, &[], file, status, reload),
                false => status.set(Some(Ok(format!(
                    "{preview} Not imported: the rules are unchanged."
                )))),
            };
            send_file("PUT", &base, &[("preview", "true")], file, status, save)
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
            <p class="muted">"An import replaces all the rules, as a new version. You see first what it would change and are asked to confirm; a file with any problem is refused and the rules stay as they are. Earlier versions can be restored below."</p>
            <div class="form-row">
                <div class="field">
                    <label for="rules-file">"Import rules (.csv, .yaml)"</label>
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
