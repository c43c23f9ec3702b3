//! On a question's dashboard: its current rules scored against the labels people gave (gold
//! items, confirmations, agreements, decisions), for the positive label the fellow picks, with the
//! studies where they disagree to open one by one.

use leptos::prelude::*;

use crate::api::evaluation::{question_evaluation, EvaluationView, LISTED};
use crate::components::error_box::ErrorBox;
use crate::pages::review::share;

#[component]
pub fn RulesAgainstPeople(project: i64, question: i64) -> impl IntoView {
    let positive = RwSignal::new(String::new());
    let scores = Resource::new(
        move || positive.get(),
        move |positive| question_evaluation(project, question, positive),
    );
    view! {
        <section aria-labelledby="evaluation-title" data-testid="evaluation">
            <h2 id="evaluation-title">"Rules against people's labels"</h2>
            <p class="muted">"The current rules' soft labels scored against the labels people gave: gold items, confirmations, agreements and your decisions (disputed studies and answers waiting for review are left out). A study the rules leave unlabeled counts as not positive. The same figures as "<code>"sieve evaluate"</code>" gives for a gold file."</p>
            <Suspense fallback=|| view! { <p class="muted">"Scoring the rules…"</p> }>
                {move || Suspend::new(async move {
                    match scores.await {
                        Ok(view) => view! { <Scores view project positive /> }.into_any(),
                        Err(error) => view! { <ErrorBox error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Scores(view: EvaluationView, project: i64, positive: RwSignal<String>) -> impl IntoView {
    let chosen = view.positive.clone();
    let options = view
        .labels
        .iter()
        .map(|label| {
            let selected = *label == chosen;
            view! { <option value=label.clone() selected=selected>{label.clone()}</option> }
        })
        .collect_view();
    let picker = view! {
        <div class="field">
            <label for="evaluation-positive">"Positive label"</label>
            <select id="evaluation-positive" on:change=move |event| positive.set(event_target_value(&event))>{options}</select>
        </div>
    };
    if view.studies == 0 {
        return view! {
            {picker}
            <p class="empty">"No study has a label from people yet: confirmations, gold items and decisions are scored as they come."</p>
        }
        .into_any();
    }
    let more = view.disagreements_total.saturating_sub(LISTED);
    view! {
        {picker}
        <table data-testid="evaluation-scores">
            <thead><tr><th class="number">"Studies"</th><th class="number">"Positive (people)"</th><th class="number">"True positives"</th>
                <th class="number">"False positives"</th><th class="number">"False negatives"</th>
                <th class="number">"Precision (PPV)"</th><th class="number">"Recall (sensitivity)"</th><th class="number">"F1"</th></tr></thead>
            <tbody><tr>
                <td class="number">{view.studies}</td><td class="number">{view.true_positive + view.false_negative}</td>
                <td class="number">{view.true_positive}</td><td class="number">{view.false_positive}</td><td class="number">{view.false_negative}</td>
                <td class="number">{share(view.precision)}</td><td class="number">{share(view.recall)}</td><td class="number" data-testid="evaluation-f1">{share(view.f1)}</td>
            </tr></tbody>
        </table>
        {match view.disagreements.is_empty() {
            true => view! { <p class="muted">"The rules and people agree on every scored study."</p> }.into_any(),
            false => view! {
                <h3>{format!("Where they disagree ({})", view.disagreements_total)}</h3>
                <table data-testid="evaluation-disagreements">
                    <thead><tr><th>"Report"</th><th>"Soft label"</th><th>"People's label"</th><th>"Given as"</th></tr></thead>
                    <tbody>{view.disagreements.into_iter().map(|d| view! {
                        <tr><td><a href=format!("/projects/{project}/reports/{}", d.report_id)>{d.accession}</a></td>
                            <td>{d.soft_label.unwrap_or_else(|| "(none)".to_string())}</td><td>{d.label}</td><td>{d.source}</td></tr>
                    }).collect_view()}</tbody>
                </table>
                {(more > 0).then(|| view! { <p class="muted">{format!("The first {LISTED} are listed; {more} more.")}</p> })}
            }.into_any(),
        }}
    }
    .into_any()
}
