//! The versions of a question's rules, the studies that flip between two of them, and restoring
//! an earlier version (saved as a new version: the history is never rewritten).

use leptos::prelude::*;

use super::{Screen, VersionsResource};
use crate::api::rules::restore_rule_version;
use crate::api::rules::versions::{compare_versions, FlipRow, VersionRow};
use crate::components::confirm::confirmed;
use crate::components::error_box::ErrorBox;
use crate::error::AppError;
use crate::pages::project::thousands;

/// The versions of the rules, and the studies that flip between two of them.
#[component]
pub(super) fn Versions(screen: Screen, versions: VersionsResource) -> impl IntoView {
    let from = RwSignal::new(None::<i64>);
    let to = RwSignal::new(None::<i64>);
    let flips = RwSignal::new(None::<Result<Vec<FlipRow>, AppError>>);
    // The newest version the selectors were set for: a new version moves them to it.
    let followed = StoredValue::new(None::<i64>);
    let restore = move |row: &VersionRow, newest: i64| {
        let question = format!(
            "Restore version {}? Its {} rules are saved as a new version, v{}; the current rules stay in the history as v{newest}.",
            row.version,
            row.rules,
            newest + 1
        );
        if confirmed(&question) {
            screen.apply(restore_rule_version(
                screen.project,
                screen.question,
                row.version,
            ));
        }
    };
    let compare = move |_| {
        let (Some(from), Some(to)) = (from.get_untracked(), to.get_untracked()) else {
            return;
        };
        leptos::task::spawn_local(async move {
            flips.set(Some(
                compare_versions(screen.project, screen.question, from, to).await,
            ));
        });
    };
    let list = move || {
        Suspend::new(async move {
            match versions.await {
                Ok(rows) => {
                    let newest = rows.first().map(|v| v.version).unwrap_or(0);
                    let previous = followed.get_value();
                    if previous != Some(newest) {
                        followed.set_value(Some(newest));
                        to.set(Some(newest));
                        from.set(Some(previous.unwrap_or(newest - 1).max(0)));
                    }
                    let options = |selected: RwSignal<Option<i64>>| {
                        rows.iter().map(|v| {
                        let version = v.version;
                        view! { <option value=version.to_string() selected=move || selected.get() == Some(version)>{format!("v{version}")}</option> }
                    }).collect_view()
                    };
                    view! {
                        <div class="form-row">
                            <div class="field"><label for="from-version">"From"</label>
                                <select id="from-version" on:change=move |e| from.set(event_target_value(&e).parse().ok())>{options(from)}</select></div>
                            <div class="field"><label for="to-version">"To"</label>
                                <select id="to-version" on:change=move |e| to.set(event_target_value(&e).parse().ok())>{options(to)}</select></div>
                            <button type="button" class="button-quiet" on:click=compare>"Compare"</button>
                        </div>
                        <table class="versions">
                            <thead><tr><th class="number">"Version"</th><th>"Change"</th><th>"By"</th><th>"When"</th><th class="number">"Rules"</th><th></th></tr></thead>
                            <tbody>{rows.into_iter().map(|v| {
                                // Not the current version (nothing would change), nor an empty one (deleting
                                // rules says so better). No aria-label: "Restore" would answer the
                                // selectors' label "To".
                                let control = (v.version != newest && v.rules > 0).then(|| {
                                    let row = v.clone();
                                    view! { <button type="button" class="button-quiet" on:click=move |_| restore(&row, newest)>"Restore"</button> }
                                });
                                view! {
                                    <tr data-version=v.version.to_string()><td class="number">{format!("v{}", v.version)}</td><td>{v.change}</td><td>{v.actor}</td><td>{v.at}</td><td class="number">{v.rules}</td><td>{control}</td></tr>
                                }
                            }).collect_view()}</tbody>
                        </table>
                    }.into_any()
                }
                Err(error) => view! { <ErrorBox error /> }.into_any(),
            }
        })
    };
    let diff = move || {
        flips.get().map(|result| match result {
        Ok(rows) if rows.is_empty() => view! { <p class="muted" data-testid="flips">"No study changes label between these versions."</p> }.into_any(),
        Ok(rows) => view! {
            <table data-testid="flips">
                <thead><tr><th>"From"</th><th>"To"</th><th class="number">"Studies"</th><th>"Examples"</th></tr></thead>
                <tbody>{rows.into_iter().map(|flip| view! {
                    <tr>
                        <td>{flip.from}</td><td>{flip.to}</td><td class="number">{thousands(flip.count as i64)}</td>
                        <td>{flip.examples.into_iter().map(|(id, accession)| view! {
                            <a href=format!("/projects/{}/reports/{id}", screen.project)>{accession}</a>" "
                        }).collect_view()}</td>
                    </tr>
                }).collect_view()}</tbody>
            </table>
        }.into_any(),
        Err(error) => view! { <ErrorBox error /> }.into_any(),
    })
    };
    view! {
        <section aria-labelledby="versions-title" class="panel">
            <h2 id="versions-title">"Versions"</h2>
            <p class="muted">"Every change is a version. Compare two to see which studies change label. Restoring an earlier version saves its rules as a new version; no version is ever deleted."</p>
            {diff}
            <Suspense fallback=|| ()>{list}</Suspense>
        </section>
    }
    .into_any()
}
