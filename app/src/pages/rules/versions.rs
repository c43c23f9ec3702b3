//! The versions of a question's rules and the studies that flip between two of them.

use leptos::prelude::*;

use super::{Screen, VersionsResource};
use crate::api::rules::{compare_versions, FlipRow};
use crate::components::error_box::ErrorBox;
use crate::error::AppError;
use crate::pages::project::thousands;

/// The versions of the rules, and the studies that flip between two of them.
#[component]
pub(super) fn Versions(screen: Screen, versions: VersionsResource) -> impl IntoView {
    let from = RwSignal::new(None::<i64>);
    let to = RwSignal::new(None::<i64>);
    let flips = RwSignal::new(None::<Result<Vec<FlipRow>, AppError>>);
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
                    if to.get_untracked().is_none() {
                        to.set(Some(newest));
                        from.set(Some((newest - 1).max(0)));
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
                            <thead><tr><th class="number">"Version"</th><th>"Change"</th><th>"By"</th><th>"When"</th><th class="number">"Rules"</th></tr></thead>
                            <tbody>{rows.into_iter().map(|v| view! {
                                <tr><td class="number">{format!("v{}", v.version)}</td><td>{v.change}</td><td>{v.actor}</td><td>{v.at}</td><td class="number">{v.rules}</td></tr>
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
            <p class="muted">"Every change is a version. Compare two to see which studies change label."</p>
            {diff}
            <Suspense fallback=|| ()>{list}</Suspense>
        </section>
    }
    .into_any()
}
