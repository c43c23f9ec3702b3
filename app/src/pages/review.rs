//! `/projects/:id/questions/:question/review`: the fellow's queue dashboard — the queue's settings
//! and (re)build, progress, agreement (overall and per pair), each affiliate's gold score and pace,
//! each rule's precision, the gold set, and the disagreements to settle.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::review::{queue_review, Adjudicate, BuildQueue, ReviewView, SetGold};
use crate::components::error_box::ErrorBox;
use crate::components::form_reset::clear_after_success;
use crate::pages::evaluation::RulesAgainstPeople;
use crate::pages::project::thousands;

pub(crate) fn share(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_string(), |v| format!("{v:.3}"))
}

#[component]
pub fn ReviewPage() -> impl IntoView {
    let project = crate::pages::route_number("id");
    let question = crate::pages::route_number("question");
    let build = ServerAction::<BuildQueue>::new();
    let gold = ServerAction::<SetGold>::new();
    let decide = ServerAction::<Adjudicate>::new();
    let review = Resource::new(
        move || {
            let versions = (
                build.version().get(),
                gold.version().get(),
                decide.version().get(),
            );
            (project().unwrap_or(0), question().unwrap_or(0), versions)
        },
        |(project, question, _)| queue_review(project, question),
    );
    let content = move || {
        Suspend::new(async move {
            match review.await {
                Ok(data) => view! {
                    <Dashboard data project=project().unwrap_or(0) question=question().unwrap_or(0) rebuild=build gold decide />
                }
                .into_any(),
                Err(error) => view! { <ErrorBox error /> }.into_any(),
            }
        })
    };
    view! { <Suspense fallback=|| view! { <p class="muted">"Loading the dashboard…"</p> }>{content}</Suspense> }
}

#[component]
fn Dashboard(
    data: ReviewView,
    project: i64,
    question: i64,
    rebuild: ServerAction<BuildQueue>,
    gold: ServerAction<SetGold>,
    decide: ServerAction<Adjudicate>,
) -> impl IntoView {
    let build = rebuild;
    let built = move || {
        match build.value().get() {
        Some(Ok((queued, overlapped))) => Some(view! {
            <p class="notice" role="status">{format!("Queued {} studies ({} labeled by several raters).", thousands(queued as i64), thousands(overlapped as i64))}</p>
        }.into_any()),
        Some(Err(error)) => Some(view! { <ErrorBox error /> }.into_any()),
        None => None,
    }
    };
    // The dashboard reloads after a save: say which study was set, and what the set holds now.
    let gold_items = data.gold_items;
    let gold_outcome = move || {
        match gold.value().get() {
        Some(Ok(done)) => Some(
            view! { <p class="notice" role="status">{format!("{done} The gold set holds {} {}.", thousands(gold_items), if gold_items == 1 { "item" } else { "items" })}</p> }
                .into_any(),
        ),
        Some(Err(error)) => Some(view! { <ErrorBox error /> }.into_any()),
        None => None,
    }
    };
    // Changing a listed gold item's true label, or removing it, is asked first (as Remove is).
    let gold_accession = NodeRef::<leptos::html::Input>::new();
    let gold_label = NodeRef::<leptos::html::Select>::new();
    let listed = StoredValue::new(data.gold.clone());
    let ask_gold = move |ev: leptos::ev::MouseEvent| {
        let (Some(accession), Some(label)) = (gold_accession.get(), gold_label.get()) else {
            return;
        };
        let (accession, label) = (accession.value().trim().to_string(), label.value());
        let question = listed.with_value(|items| {
            let item = items
                .iter()
                .find(|item| item.accession.eq_ignore_ascii_case(&accession))?;
            match label.as_str() {
                "" => Some(format!("Remove {} from the gold set?", item.accession)),
                new if new != item.label => Some(format!(
                    "{} is a gold item as “{}”. Change its true label to “{new}”?",
                    item.accession, item.label
                )),
                _ => None,
            }
        });
        if question.is_some_and(|question| !crate::components::confirm::confirmed(&question)) {
            ev.prevent_default();
        }
    };
    let gold_form = NodeRef::<leptos::html::Form>::new();
    clear_after_success(gold_form, move || matches!(gold.value().get(), Some(Ok(_))));
    let form = data.form.clone();
    let labels = data.labels.clone();
    // A rebuild keeps the answers but draws the queue again: asked first once there are answers.
    let answered = data.answers;
    let rebuild_question = format!(
        "Rebuild the queue from the current soft labels? The {} answers given are kept; the studies queued and the overlap are drawn again with these settings.",
        thousands(answered)
    );
    let ask_rebuild = move |ev: leptos::ev::MouseEvent| {
        if answered > 0 && !crate::components::confirm::confirmed(&rebuild_question) {
            ev.prevent_default();
        }
    };
    let build_label = match answered {
        0 => "Build the queue from the current soft labels",
        _ => "Rebuild the queue from the current soft labels",
    };
    let percent_of = |part: i64, whole: i64| match whole {
        0 => "0 %".to_string(),
        _ => format!("{:.0} %", part as f64 * 100.0 / whole as f64),
    };
    let decisions = data.labels.clone();
    view! {
        <Title text=format!("{} — queue dashboard", data.question) />
        <p class="breadcrumbs">
            <a href=format!("/projects/{project}")>{data.project_name.clone()}</a> " / "
            <a href=format!("/projects/{project}/questions/{question}")>{data.question.clone()}</a> " /"
        </p>
        <h1>{format!("{}: queue and agreement", data.question)}</h1>
        {(!data.before_amendment.is_empty()).then(|| {
            let n = data.before_amendment.len();
            view! {
                <p class="notice" data-testid="review-pointer">
                    {format!("{n} {} given before {} report changed {} review: {} not counted in Answers, agreement or label sets until decided. ",
                        if n == 1 { "answer" } else { "answers" }, if n == 1 { "its" } else { "their" },
                        if n == 1 { "needs" } else { "need" }, if n == 1 { "it is" } else { "they are" })}
                    <a href="#amended-title">"Review them"</a>
                </p>
            }
        })}
        // Each number with what it counts, so that they add up on screen.
        <dl class="facts" data-testid="queue-facts">
            <div><dt>"Studies queued"</dt><dd>{thousands(data.tasks)}</dd>
                <p class="fact-meaning">{format!("Studies the rules gave a soft label (unlabeled ones are not queued); {} of them ({}) in the overlap, each answered by {} different raters, the others by one",
                    thousands(data.overlapped), percent_of(data.overlapped, data.tasks), form.overlap_raters)}</p></div>
            <div><dt>"Completed"</dt><dd data-testid="completed">{thousands(data.completed)}</dd>
                <p class="fact-meaning">"Studies with every answer they need"</p></div>
            <div><dt>"Answers"</dt><dd data-testid="answers">{thousands(data.answers)}</dd>
                <p class="fact-meaning">"Given by all raters together, gold items included: a study in the overlap counts once per rater"</p></div>
            <div><dt>"Answers still needed"</dt><dd data-testid="still-needed">{thousands(data.still_needed)}</dd>
                <p class="fact-meaning">{format!("From any rater, of the {} answers the queued studies need in all (gold items' answers are not among them; what the labeling page shows)", thousands(data.needed))}</p></div>
            <div><dt>"Gold items"</dt><dd>{thousands(data.gold_items)}</dd>
                <p class="fact-meaning">{match (data.gold_items, form.gold_percent > 0.0) {
                    (0, true) => format!("None yet: the {} % of served studies set below takes effect once you add gold items", form.gold_percent),
                    _ => "Studies whose true label you set, served among the others to check raters; not among the studies queued (their answers are in Answers)".to_string(),
                }}</p></div>
        </dl>
        <p><a class="button-quiet" href=format!("/projects/{project}/label/{question}")>"Label this queue yourself"</a></p>

        <section class="panel" aria-labelledby="queue-settings">
            <h2 id="queue-settings">"Queue"</h2>
            <ActionForm action=build>
                <input type="hidden" name="project" value=project.to_string() />
                <input type="hidden" name="question" value=question.to_string() />
                <div class="form-row">
                    <div class="field"><label for="overlap">"Overlap (% of studies)"</label>
                        <input id="overlap" name="form[overlap_percent]" type="number" required min="0" max="100" step="any" value=form.overlap_percent.to_string() /></div>
                    <div class="field"><label for="raters">"…each labeled by"</label>
                        <input id="raters" name="form[overlap_raters]" type="number" required min="2" max="9" value=form.overlap_raters.to_string() /></div>
                    <div class="field"><label for="gold-rate">"Gold items (% of served)"</label>
                        <input id="gold-rate" name="form[gold_percent]" type="number" required min="0" max="50" step="any" value=form.gold_percent.to_string() /></div>
                    <div class="field"><label for="claim">"Claim timeout (minutes)"</label>
                        <input id="claim" name="form[claim_minutes]" type="number" required min="1" value=form.claim_minutes.to_string() /></div>
                    <div class="field"><label for="queued-labels">"Soft labels to queue (empty: all)"</label>
                        <input id="queued-labels" name="form[labels]" value=form.labels.clone() placeholder=labels.join(", ") /></div>
                </div>
                <button type="submit" class="button-primary button-inline" disabled=move || build.pending().get()
                    on:click=ask_rebuild>{build_label}</button>
            </ActionForm>
            {built}
        </section>

        <section aria-labelledby="agreement-title">
            <h2 id="agreement-title">"Agreement"</h2>
            <table data-testid="measures">
                <thead><tr><th>"Measure"</th><th class="number">"Value"</th><th class="number">"Items"</th></tr></thead>
                <tbody>{data.measures.iter().map(|m| view! {
                    <tr><td>{m.name.clone()}</td><td class="number">{share(m.value)}</td><td class="number">{m.items}</td></tr>
                }).collect_view()}</tbody>
            </table>
            {(!data.pairs.is_empty()).then(|| view! {
                <table>
                    <thead><tr><th>"Raters"</th><th class="number">"Items"</th><th class="number">"Agreement"</th><th class="number">"Cohen's kappa"</th></tr></thead>
                    <tbody>{data.pairs.iter().map(|p| view! {
                        <tr><td>{format!("{} – {}", p.a, p.b)}</td><td class="number">{p.items}</td>
                            <td class="number">{share(p.percent_agreement)}</td><td class="number">{share(p.cohen_kappa)}</td></tr>
                    }).collect_view()}</tbody>
                </table>
            })}
            <h3>"Final labels by source"</h3>
            {data.finals.is_empty().then(|| view! { <p class="empty">"No final labels yet: they come with the first answers."</p> })}
            <table data-testid="final-sources" hidden=data.finals.is_empty()>
                <thead><tr><th>"Source"</th><th class="number">"Studies"</th><th>"Meaning"</th></tr></thead>
                <tbody>{data.finals.iter().map(|count| view! {
                    <tr><td>{count.source.clone()}</td><td class="number">{thousands(count.studies as i64)}</td><td class="muted">{count.meaning.clone()}</td></tr>
                }).collect_view()}</tbody>
            </table>
        </section>

        <section aria-labelledby="raters-title">
            <h2 id="raters-title">"Raters"</h2>
            <p class="muted">"Everyone who answered this queue: its affiliates, and fellows who labeled it themselves."</p>
            {match data.raters.is_empty() {
                true => view! { <p class="empty">"No answers yet."</p> }.into_any(),
                false => view! {
                    <table data-testid="raters">
                        <thead><tr><th>"Rater"</th><th class="number">"Answers"</th><th class="number">"Seconds per study"</th>
                            <th class="number">"Gold answered"</th><th class="number">"Gold accuracy"</th><th>"Recall per label"</th></tr></thead>
                        <tbody>{data.raters.iter().map(|r| view! {
                            <tr>
                                <td>{r.name.clone()}</td>
                                <td class="number" data-testid="rater-answers">{r.answers}</td>
                                <td class="number">{r.mean_seconds.map_or_else(|| "—".into(), |s| format!("{s:.0}"))}</td>
                                <td class="number">{r.gold_answered}</td>
                                <td class="number">{share(r.gold_accuracy)}</td>
                                <td>{r.recall.iter().map(|(l, v)| format!("{l} {}", share(*v))).collect::<Vec<_>>().join(" · ")}</td>
                            </tr>
                        }).collect_view()}</tbody>
                    </table>
                }.into_any(),
            }}
        </section>

        <section aria-labelledby="rules-precision">
            <h2 id="rules-precision">"Rules: how often confirmations agree with their soft label"</h2>
            {match data.rules.is_empty() {
                true => view! { <p class="empty">"No confirmations yet."</p> }.into_any(),
                false => view! {
                    <table>
                        <thead><tr><th>"Phrase"</th><th class="number">"Answers"</th><th class="number">"Agreeing"</th><th class="number">"Precision"</th></tr></thead>
                        <tbody>{data.rules.iter().map(|rule| view! {
                            <tr class:warn=rule.precision.is_some_and(|p| p < 0.8)><td>{rule.phrase.clone()}</td><td class="number">{rule.answers}</td><td class="number">{rule.agreeing}</td><td class="number">{share(rule.precision)}</td></tr>
                        }).collect_view()}</tbody>
                    </table>
                }.into_any(),
            }}
        </section>

        <RulesAgainstPeople project question />

        <section class="panel" aria-labelledby="gold-title">
            <h2 id="gold-title">"Gold set"</h2>
            <p class="muted">"Gold items are served among the others, unmarked, and score each rater."</p>
            <ActionForm action=gold node_ref=gold_form>
                <input type="hidden" name="project" value=project.to_string() />
                <input type="hidden" name="question" value=question.to_string() />
                <div class="form-row">
                    <div class="field"><label for="gold-accession">"Accession"</label><input id="gold-accession" name="accession" required autocomplete="off" placeholder="as on the report" node_ref=gold_accession /></div>
                    <div class="field"><label for="gold-label">"True label"</label>
                        <select id="gold-label" name="label" node_ref=gold_label>
                            {data.labels.iter().map(|l| view! { <option value=l.clone()>{l.clone()}</option> }).collect_view()}
                            <option value="">"(remove from the gold set)"</option>
                        </select></div>
                    <button type="submit" class="button-quiet" on:click=ask_gold>"Save gold label"</button>
                </div>
            </ActionForm>
            {gold_outcome}
            <GoldList items=data.gold.clone() project question gold />
        </section>

        {(!data.before_amendment.is_empty()).then(|| view! {
            <section aria-labelledby="amended-title" data-testid="before-amendment">
                <h2 id="amended-title">"Answers to review: the report changed after them"</h2>
                <p class="notice">"These answers were given before their report's text changed (an amended or corrected report, or a file imported again): they were given on other text, so they no longer count as confirmations — not in Answers, agreement, final labels or label sets (each still fills its study's place in the queue, so Completed counts it). Open each report (its earlier texts are on its page), and decide the study."</p>
                <table>
                    <thead><tr><th>"Report"</th><th>"Rater"</th><th>"Answer given"</th><th>"Decide"</th></tr></thead>
                    <tbody>{data.before_amendment.iter().map(|answer| {
                        let report = answer.report_id;
                        let decisions = decisions.clone();
                        view! {
                            <tr>
                                <td><a href=format!("/projects/{project}/reports/{report}")>{answer.accession.clone()}</a></td>
                                <td>{answer.rater.clone()}</td>
                                <td>{answer.label.clone()}</td>
                                <td class="row-actions"><DecideButtons project question report labels=decisions decide /></td>
                            </tr>
                        }
                    }).collect_view()}</tbody>
                </table>
            </section>
        })}

        <section aria-labelledby="disagreements-title">
            <h2 id="disagreements-title">"Disagreements"</h2>
            {move || match decide.value().get() {
                Some(Ok(done)) => Some(view! { <p class="notice" role="status">{done}</p> }.into_any()),
                Some(Err(error)) => Some(view! { <ErrorBox error /> }.into_any()),
                None => None,
            }}
            {(!data.disagreements.is_empty()).then(|| view! {
                <p><a class="button-quiet" href=format!("/projects/{project}/questions/{question}/adjudicate")>"Settle them one by one, by keyboard"</a></p>
            })}
            {match data.disagreements.is_empty() {
                true => view! { <p class="empty" data-testid="no-disagreements">"No disagreements to settle."</p> }.into_any(),
                false => view! {
                    <table data-testid="disagreements">
                        <thead><tr><th>"Report"</th><th>"Soft label"</th><th>"Answers"</th><th>"Decide"</th></tr></thead>
                        <tbody>{data.disagreements.iter().map(|d| {
                            let report = d.report_id;
                            let decisions = decisions.clone();
                            view! {
                                <tr>
                                    <td><a href=format!("/projects/{project}/reports/{report}")>{d.accession.clone()}</a></td>
                                    <td>{d.soft_label.clone().unwrap_or_default()}</td>
                                    <td>{d.answers.iter().map(|answer| format!("{}: {}", answer.rater, answer.label)).collect::<Vec<_>>().join(" · ")}</td>
                                    <td class="row-actions"><DecideButtons project question report labels=decisions decide /></td>
                                </tr>
                            }
                        }).collect_view()}</tbody>
                    </table>
                }.into_any(),
            }}
        </section>
    }
    .into_any()
}

/// The gold items, each with its study and a way to remove it.
#[component]
fn GoldList(
    items: Vec<crate::api::review::GoldRow>,
    project: i64,
    question: i64,
    gold: ServerAction<SetGold>,
) -> impl IntoView {
    if items.is_empty() {
        return view! { <p class="empty" data-testid="gold-items">"No gold items yet: type a study's accession above, with its true label."</p> }.into_any();
    }
    view! {
        <table data-testid="gold-items">
            <thead><tr><th>"Study"</th><th>"True label"</th><th>"Set by"</th><th>"When"</th><th></th></tr></thead>
            <tbody>{items.into_iter().map(|item| {
                let accession = item.accession.clone();
                let remove = move |_| {
                    if crate::components::confirm::confirmed(&format!("Remove {accession} from the gold set?")) {
                        gold.dispatch(SetGold { project, question, accession: accession.clone(), label: String::new() });
                    }
                };
                view! {
                    <tr data-gold=item.accession.clone()>
                        <td><a href=format!("/projects/{project}/reports/{}", item.report_id)>{item.accession.clone()}</a></td>
                        <td><span class="badge">{item.label}</span></td>
                        <td>{item.set_by}</td>
                        <td>{item.set_at}</td>
                        <td><button type="button" class="button-quiet button-danger" on:click=remove>"Remove"</button></td>
                    </tr>
                }
            }).collect_view()}</tbody>
        </table>
    }
    .into_any()
}

/// One button per label that decides a study's final label (a fellow's adjudication).
#[component]
fn DecideButtons(
    project: i64,
    question: i64,
    report: i64,
    labels: Vec<String>,
    decide: ServerAction<Adjudicate>,
) -> impl IntoView {
    labels
        .into_iter()
        .map(|label| {
            view! {
                <ActionForm action=decide attr:class="inline">
                    <input type="hidden" name="project" value=project.to_string() />
                    <input type="hidden" name="question" value=question.to_string() />
                    <input type="hidden" name="report" value=report.to_string() />
                    <input type="hidden" name="label" value=label.clone() />
                    <button type="submit" class="button-quiet" disabled=move || decide.pending().get()>{label}</button>
                </ActionForm>
            }
        })
        .collect_view()
}
