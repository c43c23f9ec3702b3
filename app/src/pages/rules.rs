//! `/projects/:id/questions/:question`: the prioritization screen. A question's rules in priority
//! order with what each matches and labels; reorder by dragging (or Alt+↑/↓), edit in place,
//! enable/disable, delete with undo; every change shows the new counts at once. A rule's reports,
//! the versions and their differences, and the rules as files are on the same screen.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::rules::{
    add_rule, compare_versions, delete_rule, edit_rule, move_rule, preview_rule, rule_board,
    rule_reports, rule_versions, Board, FlipRow, Marked, PreviewView, RuleForm, RuleRow,
    RULE_REPORTS_PER_PAGE,
};
use crate::components::error_box::ErrorBox;
use crate::error::AppError;
use crate::pages::project::thousands;

type VersionsResource = Resource<Result<Vec<crate::api::rules::VersionRow>, AppError>>;

/// What the screen shares between its parts.
#[derive(Clone, Copy)]
struct Screen {
    project: i64,
    question: i64,
    /// The board after the latest change (`None`: as first loaded).
    latest: RwSignal<Option<Board>>,
    error: RwSignal<Option<AppError>>,
    /// The last deleted rule and its place, for undo.
    deleted: RwSignal<Option<(RuleForm, usize)>>,
    /// The rule whose reports are listed.
    selected: RwSignal<Option<u32>>,
    /// Changes since load, so the versions list refreshes.
    changes: RwSignal<u32>,
}

impl Screen {
    /// Sends a change and shows the board it returns (or the error).
    fn apply<F>(self, change: F)
    where
        F: std::future::Future<Output = Result<Board, AppError>> + 'static,
    {
        leptos::task::spawn_local(async move {
            match change.await {
                Ok(board) => {
                    self.latest.set(Some(board));
                    self.error.set(None);
                    self.changes.update(|n| *n += 1);
                }
                Err(error) => self.error.set(Some(error)),
            }
        });
    }

    fn move_to(self, id: u32, to: usize) {
        self.apply(move_rule(self.project, self.question, id, to));
    }

    fn delete(self, row: &RuleRow, at: usize) {
        self.deleted.set(Some((row.form.clone(), at)));
        self.apply(delete_rule(self.project, self.question, row.id));
    }

    fn undo(self) {
        if let Some((form, at)) = self.deleted.get_untracked() {
            self.deleted.set(None);
            self.apply(add_rule(self.project, self.question, form, Some(at)));
        }
    }

    fn set_enabled(self, row: &RuleRow, enabled: bool) {
        let mut form = row.form.clone();
        form.enabled = enabled;
        self.apply(edit_rule(self.project, self.question, row.id, form));
    }
}

#[component]
pub fn RulesPage() -> impl IntoView {
    let project_param = crate::pages::route_number("id");
    let question_param = crate::pages::route_number("question");
    let loaded = Resource::new(
        move || (project_param().unwrap_or(0), question_param().unwrap_or(0)),
        |(project, question)| rule_board(project, question),
    );
    // Created here, not inside the board's Suspense: a resource created while another resolves can
    // keep an asynchronous server render waiting.
    let changes = RwSignal::new(0u32);
    let versions = Resource::new(
        move || {
            (
                project_param().unwrap_or(0),
                question_param().unwrap_or(0),
                changes.get(),
            )
        },
        |(project, question, _)| rule_versions(project, question),
    );
    let content = move || {
        Suspend::new(async move {
            match loaded.await {
                Ok(first) => {
                    let screen = Screen {
                        project: project_param().unwrap_or(0),
                        question: question_param().unwrap_or(0),
                        latest: RwSignal::new(None),
                        error: RwSignal::new(None),
                        deleted: RwSignal::new(None),
                        selected: RwSignal::new(None),
                        changes,
                    };
                    view! { <BoardView first screen versions /> }.into_any()
                }
                Err(error) => view! { <ErrorBox error /> }.into_any(),
            }
        })
    };
    view! { <Suspense fallback=|| view! { <p class="muted">"Computing the soft labels…"</p> }>{content}</Suspense> }
}

#[component]
fn BoardView(first: Board, screen: Screen, versions: VersionsResource) -> impl IntoView {
    let board = Memo::new(move |_| screen.latest.get().unwrap_or_else(|| first.clone()));
    let handle = window_event_listener(leptos::ev::keydown, move |event| {
        let undo = (event.ctrl_key() || event.meta_key()) && event.key() == "z";
        if undo && !crate::components::keyboard::typing_in_a_field(&event) {
            event.prevent_default();
            screen.undo();
        }
    });
    on_cleanup(move || handle.remove());
    let head = move || {
        let b = board.get();
        view! {
            <Title text=format!("{} — rules", b.question.name) />
            <p class="breadcrumbs">
                <a href=format!("/projects/{}", screen.project)>{b.project_name.clone()}</a>
                " / " <a href=format!("/projects/{}/questions", screen.project)>"Questions"</a> " /"
            </p>
            <h1>{b.question.name.clone()}</h1>
            <p><a class="button-quiet" href=format!("/projects/{}/questions/{}/review", screen.project, screen.question)>"Queue and agreement"</a></p>
            <p class="muted" data-testid="board-meta">
                {format!("Labels: {} · version {} · {} rules · computed in {:.0} ms",
                    b.question.labels.join(", "), b.version, b.rules.len(), b.elapsed_ms)}
            </p>
        }
    };
    view! {
        {head}
        <Coverage board />
        {move || screen.error.get().map(|error| view! { <ErrorBox error /> })}
        {move || screen.deleted.get().map(|(form, _)| view! {
            <p class="notice undo" role="status">
                {format!("Deleted “{}” → {}. ", form.phrase, form.label)}
                <button type="button" class="button-quiet" on:click=move |_| screen.undo()>"Undo (Ctrl+Z)"</button>
            </p>
        })}
        <AddRule board screen />
        <RuleTable board screen />
        {move || screen.selected.get().map(|id| view! { <RuleReports id screen /> })}
        <Files screen />
        <Versions screen versions />
    }
    .into_any()
}

/// The coverage bar and the label distribution.
#[component]
fn Coverage(board: Memo<Board>) -> impl IntoView {
    move || {
        let b = board.get();
        let total = (b.labeled + b.unlabeled).max(1) as f64;
        let share = |n: u64| n as f64 * 100.0 / total;
        let clean = b.labeled - b.conflicted;
        view! {
            <section aria-label="Coverage" class="coverage">
                // Drawn with SVG attributes: the Content-Security-Policy refuses inline styles.
                <svg class="coverage-bar" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" aria-label=format!(
                    "{} labeled, {} of them conflicted, {} unlabeled", clean + b.conflicted, b.conflicted, b.unlabeled)>
                    <rect class="labeled" x="0" height="10" width=format!("{:.2}", share(clean)) />
                    <rect class="conflicted" x=format!("{:.2}", share(clean)) height="10" width=format!("{:.2}", share(b.conflicted)) />
                    <rect class="unlabeled" x=format!("{:.2}", share(clean) + share(b.conflicted)) height="10" width=format!("{:.2}", share(b.unlabeled)) />
                </svg>
                <p class="coverage-legend">
                    <span><i class="swatch labeled"></i>"Labeled " <strong data-testid="labeled">{thousands(b.labeled as i64)}</strong></span>
                    <span><i class="swatch conflicted"></i>"Conflicted " <strong data-testid="conflicted">{thousands(b.conflicted as i64)}</strong></span>
                    <span><i class="swatch unlabeled"></i>"Unlabeled " <strong data-testid="unlabeled">{thousands(b.unlabeled as i64)}</strong></span>
                </p>
                <dl class="distribution" data-testid="distribution">
                    {b.distribution.into_iter().map(|(label, count)| view! {
                        <div><dt>{label.clone()}</dt><dd data-label=label>{thousands(count as i64)}</dd></div>
                    }).collect_view()}
                </dl>
            </section>
        }
    }
}

/// The rule form's fields, shared by adding and editing.
#[component]
fn RuleFields(board: Memo<Board>, form: RwSignal<RuleForm>, prefix: &'static str) -> impl IntoView {
    let field = move |get: fn(&RuleForm) -> String, set: fn(&mut RuleForm, String)| {
        (
            move || get(&form.get()),
            move |event: leptos::ev::Event| form.update(|f| set(f, event_target_value(&event))),
        )
    };
    let (phrase, on_phrase) = field(|f| f.phrase.clone(), |f, v| f.phrase = v);
    let (label, on_label) = field(|f| f.label.clone(), |f, v| f.label = v);
    let (negation, on_negation) = field(|f| f.negation.clone(), |f, v| f.negation = v);
    let (negated, on_negated) = field(|f| f.negated.clone(), |f, v| f.negated = v);
    let (uncertain, on_uncertain) = field(|f| f.uncertain.clone(), |f, v| f.uncertain = v);
    let (sections, on_sections) = field(|f| f.sections.clone(), |f, v| f.sections = v);
    let labels = move || board.get().question.labels;
    let options = move |selected: Memo<String>, none: Option<&'static str>| {
        view! {
            {none.map(|text| view! { <option value="" selected=move || selected.get().is_empty()>{text}</option> })}
            {move || labels().into_iter().map(|l| {
                let (value, text) = (l.clone(), l.clone());
                view! { <option value=l selected=move || selected.get() == value>{text}</option> }
            }).collect_view()}
        }
    };
    let id = move |name: &str| format!("{prefix}-{name}");
    let is_route = move || form.get().negation == "route";
    view! {
        <div class="form-row">
            <div class="field grow">
                <label for=id("phrase")>"Phrase"</label>
                <input id=id("phrase") prop:value=phrase on:input=on_phrase required
                    placeholder="no pneumothorax  (end with * for any ending: effusion*)" autocomplete="off" />
            </div>
            <div class="field">
                <label for=id("label")>"Label"</label>
                <select id=id("label") on:change=on_label>{options(Memo::new(move |_| label()), None)}</select>
            </div>
            <div class="field">
                <label for=id("negation")>"Negation"</label>
                <select id=id("negation") on:change=on_negation prop:value=negation>
                    <option value="any">"Any mention"</option>
                    <option value="affirmed">"Affirmed only"</option>
                    <option value="route">"Route by status"</option>
                </select>
            </div>
            <Show when=is_route>
                <div class="field">
                    <label for=id("negated")>"If negated"</label>
                    <select id=id("negated") on:change=on_negated>{options(Memo::new(move |_| negated()), Some("does not count"))}</select>
                </div>
                <div class="field">
                    <label for=id("uncertain")>"If uncertain"</label>
                    <select id=id("uncertain") on:change=on_uncertain>{options(Memo::new(move |_| uncertain()), Some("does not count"))}</select>
                </div>
            </Show>
            <div class="field">
                <label for=id("sections")>"Sections"</label>
                <input id=id("sections") prop:value=sections on:input=on_sections list="section-names"
                    placeholder="whole report" title="Comma-separated section headers, e.g. IMPRESSION" />
            </div>
        </div>
        <datalist id="section-names">
            {move || board.get().sections.into_iter().map(|s| view! { <option value=s /> }).collect_view()}
        </datalist>
    }
}

/// A fresh rule form for a board: its first label, any mention, enabled.
fn blank(board: &Board) -> RuleForm {
    RuleForm {
        label: board.question.labels.first().cloned().unwrap_or_default(),
        negation: "any".into(),
        enabled: true,
        ..RuleForm::default()
    }
}

/// Adding a rule, with a preview of what it would take before it is saved.
#[component]
fn AddRule(board: Memo<Board>, screen: Screen) -> impl IntoView {
    let form = RwSignal::new(blank(&board.get_untracked()));
    let at_top = RwSignal::new(false);
    let preview = RwSignal::new(None::<Result<PreviewView, AppError>>);
    let at = move || at_top.get().then_some(0);
    let run_preview = move |_| {
        let (form, at) = (form.get_untracked(), at());
        leptos::task::spawn_local(async move {
            preview.set(Some(
                preview_rule(screen.project, screen.question, form, at).await,
            ));
        });
    };
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let sent = form.get_untracked();
        screen.apply(add_rule(screen.project, screen.question, sent, at()));
        form.update(|f| f.phrase.clear());
        preview.set(None);
    };
    let shown = move || {
        preview.get().map(|result| match result {
            Ok(p) => {
                let newly: Vec<String> = p.newly.iter().map(|(l, n)| format!("{} {l}", thousands(*n as i64))).collect();
                let taken: Vec<String> = p.taken.iter().map(|(phrase, n)| format!("{} from “{phrase}”", thousands(*n as i64))).collect();
                view! {
                    <div class="preview" role="status" data-testid="preview">
                        <p><strong>{format!("Matches {} studies.", thousands(p.matches as i64))}</strong></p>
                        <p>{match newly.is_empty() { true => "Labels no unlabeled study.".to_string(), false => format!("Newly labels {}.", newly.join(", ")) }}</p>
                        <p>{match taken.is_empty() { true => "Takes nothing from the rules below.".to_string(), false => format!("Takes {}.", taken.join(", ")) }}</p>
                    </div>
                }.into_any()
            }
            Err(error) => view! { <ErrorBox error /> }.into_any(),
        })
    };
    view! {
        <section aria-labelledby="add-rule" class="panel">
            <h2 id="add-rule">"Add a rule"</h2>
            <form on:submit=submit>
                <RuleFields board form prefix="new" />
                <div class="form-row">
                    <label class="check"><input type="checkbox" prop:checked=at_top on:change=move |e| at_top.set(event_target_checked(&e)) />" Highest priority (else lowest)"</label>
                    <button type="button" class="button-quiet" on:click=run_preview>"Preview"</button>
                    <button type="submit" class="button-primary button-inline">"Add rule"</button>
                </div>
            </form>
            {shown}
        </section>
    }
    .into_any()
}

/// The rules in priority order.
#[component]
fn RuleTable(board: Memo<Board>, screen: Screen) -> impl IntoView {
    let dragged = RwSignal::new(None::<u32>);
    let editing = RwSignal::new(None::<u32>);
    let rows = move || {
        let b = board.get();
        let count = b.rules.len();
        b.rules
            .into_iter()
            .enumerate()
            .map(|(rank, row)| {
                view! { <RuleLine row rank count board screen dragged editing /> }
            })
            .collect_view()
    };
    view! {
        <section aria-labelledby="rules-title">
            <h2 id="rules-title">"Rules, highest priority first"</h2>
            <Show when=move || !board.get().rules.is_empty()
                fallback=|| view! { <p class="empty">"No rules yet: add a phrase above, or select text in a report and add it from there."</p> }>
                <p class="muted">"Drag a row to reorder, or focus it and press Alt+↑ / Alt+↓. Space enables or disables, Delete deletes (Ctrl+Z undoes), Enter lists its reports."</p>
                <table class="rules" data-testid="rules">
                    <thead><tr>
                        <th aria-label="Drag"></th><th class="number">"#"</th><th>"Phrase"</th><th>"Label"</th><th>"Negation"</th><th>"Sections"</th>
                        <th class="number" title="Studies the phrase matches">"Matches"</th>
                        <th class="number" title="Studies it labels, after the rules above">"Effective"</th>
                        <th class="number" title="Studies another rule also matches">"Overlaps"</th>
                        <th class="number" title="Studies another rule would label differently">"Conflicts"</th>
                        <th>"On"</th><th></th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </Show>
        </section>
    }
    .into_any()
}

#[component]
fn RuleLine(
    row: RuleRow,
    rank: usize,
    count: usize,
    board: Memo<Board>,
    screen: Screen,
    dragged: RwSignal<Option<u32>>,
    editing: RwSignal<Option<u32>>,
) -> impl IntoView {
    let id = row.id;
    let keys = {
        let row = row.clone();
        move |event: leptos::ev::KeyboardEvent| {
            if crate::components::keyboard::typing_in_a_field(&event) {
                return;
            }
            match (event.key().as_str(), event.alt_key()) {
                ("ArrowUp", true) if rank > 0 => screen.move_to(id, rank - 1),
                ("ArrowDown", true) if rank + 1 < count => screen.move_to(id, rank + 1),
                ("Delete", _) => screen.delete(&row, rank),
                (" ", _) => screen.set_enabled(&row, !row.form.enabled),
                ("Enter", _) => screen.selected.set(Some(id)),
                _ => return,
            }
            event.prevent_default();
        }
    };
    if editing.get_untracked() == Some(id) {
        return view! { <EditLine row board screen editing /> }.into_any();
    }
    let toggle = {
        let row = row.clone();
        move |event: leptos::ev::Event| screen.set_enabled(&row, event_target_checked(&event))
    };
    let remove = {
        let row = row.clone();
        move |_| screen.delete(&row, rank)
    };
    let negation = match row.form.negation.as_str() {
        "route" => format!(
            "route (negated → {}, uncertain → {})",
            none_if_empty(&row.form.negated),
            none_if_empty(&row.form.uncertain)
        ),
        "affirmed" => "affirmed only".into(),
        _ => "any mention".into(),
    };
    let selected = move || screen.selected.get() == Some(id);
    view! {
        <tr tabindex="0" draggable="true" data-rule=row.form.phrase.clone()
            class:disabled=!row.form.enabled class:selected=selected
            on:keydown=keys
            on:dragstart=move |_| dragged.set(Some(id))
            on:dragend=move |_| dragged.set(None)
            on:dragover=move |event| event.prevent_default()
            on:drop=move |event| {
                event.prevent_default();
                if let Some(moving) = dragged.get_untracked().filter(|m| *m != id) {
                    screen.move_to(moving, rank);
                }
                dragged.set(None);
            }>
            <td class="handle" aria-hidden="true">"⠿"</td>
            <td class="number">{rank + 1}</td>
            <td><button type="button" class="link" on:click=move |_| screen.selected.set(Some(id))>{row.form.phrase.clone()}</button></td>
            <td><span class="badge">{row.form.label.clone()}</span></td>
            <td>{negation}</td>
            <td>{match row.form.sections.is_empty() { true => "whole report".to_string(), false => row.form.sections.clone() }}</td>
            <td class="number" data-testid="matches">{thousands(row.matches as i64)}</td>
            <td class="number" data-testid="effective">{thousands(row.effective as i64)}</td>
            <td class="number">{thousands(row.overlaps as i64)}</td>
            <td class="number" class:warn={row.conflicts > 0}>{thousands(row.conflicts as i64)}</td>
            <td><input type="checkbox" prop:checked=row.form.enabled on:change=toggle
                aria-label=format!("Enable “{}”", row.form.phrase) /></td>
            <td class="row-actions">
                <button type="button" class="button-quiet" disabled=rank == 0 aria-label="Move up"
                    on:click=move |_| screen.move_to(id, rank.saturating_sub(1))>"↑"</button>
                <button type="button" class="button-quiet" disabled=rank + 1 == count aria-label="Move down"
                    on:click=move |_| screen.move_to(id, rank + 1)>"↓"</button>
                <button type="button" class="button-quiet" on:click=move |_| editing.set(Some(id))>"Edit"</button>
                <button type="button" class="button-quiet button-danger" on:click=remove>"Delete"</button>
            </td>
        </tr>
    }
    .into_any()
}

fn none_if_empty(label: &str) -> &str {
    match label.is_empty() {
        true => "ignored",
        false => label,
    }
}

/// A rule being edited in place.
#[component]
fn EditLine(
    row: RuleRow,
    board: Memo<Board>,
    screen: Screen,
    editing: RwSignal<Option<u32>>,
) -> impl IntoView {
    let form = RwSignal::new(row.form.clone());
    let save = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        editing.set(None);
        screen.apply(edit_rule(
            screen.project,
            screen.question,
            row.id,
            form.get_untracked(),
        ));
    };
    view! {
        <tr class="editing">
            <td colspan="12">
                <form on:submit=save>
                    <RuleFields board form prefix="edit" />
                    <button type="submit" class="button-primary button-inline">"Save"</button>
                    " "
                    <button type="button" class="button-quiet" on:click=move |_| editing.set(None)>"Cancel"</button>
                </form>
            </td>
        </tr>
    }
    .into_any()
}

/// The reports a rule labels (or matches), its mentions highlighted by status.
#[component]
fn RuleReports(id: u32, screen: Screen) -> impl IntoView {
    let all = RwSignal::new(false);
    let page = RwSignal::new(0u32);
    let reports = Resource::new(
        move || (all.get(), page.get(), screen.changes.get()),
        move |(all, page, _)| rule_reports(screen.project, screen.question, id, all, page),
    );
    let list = move || {
        Suspend::new(async move {
            match reports.await {
                Ok(found) => {
                    let pages = found.total.div_ceil(RULE_REPORTS_PER_PAGE as u64).max(1);
                    view! {
                        <p class="muted">{format!("{} reports · page {} of {pages}", thousands(found.total as i64), page.get_untracked() + 1)}</p>
                        <ol class="rule-reports" data-testid="rule-reports">
                            {found.reports.into_iter().map(|report| view! {
                                <li>
                                    <a href=format!("/projects/{}/reports/{}", screen.project, report.id)>{report.accession}</a>
                                    <span class="muted">{format!(" · {}", report.study_date)}</span>
                                    <p class="report-text"><MarkedText fragments=report.fragments /></p>
                                </li>
                            }).collect_view()}
                        </ol>
                        <p class="actions">
                            <button type="button" class="button-quiet" disabled=move || page.get() == 0 on:click=move |_| page.update(|p| *p -= 1)>"← Previous"</button>
                            " "
                            <button type="button" class="button-quiet" disabled=move || u64::from(page.get()) + 1 >= pages on:click=move |_| page.update(|p| *p += 1)>"Next →"</button>
                        </p>
                    }.into_any()
                }
                Err(error) => view! { <ErrorBox error /> }.into_any(),
            }
        })
    };
    view! {
        <section aria-labelledby="rule-reports-title" class="panel">
            <h2 id="rule-reports-title">"Reports of the selected rule"</h2>
            <p class="form-row">
                <label class="check"><input type="checkbox" prop:checked=all on:change=move |e| { all.set(event_target_checked(&e)); page.set(0); } />
                    " All matches (else only the studies it labels)"</label>
                <button type="button" class="button-quiet" on:click=move |_| screen.selected.set(None)>"Close"</button>
            </p>
            <p class="muted legend">
                <mark class="affirmed">"affirmed"</mark> " " <mark class="negated">"negated"</mark> " " <mark class="uncertain">"uncertain"</mark> " " <mark class="ignored">"not counted by the rule"</mark>
            </p>
            <Suspense fallback=|| view! { <p class="muted">"Loading reports…"</p> }>{list}</Suspense>
        </section>
    }
    .into_any()
}

#[component]
fn MarkedText(fragments: Vec<Marked>) -> impl IntoView {
    fragments
        .into_iter()
        .map(|fragment| match fragment.mark {
            Some(class) => view! { <mark class=class>{fragment.text}</mark> }.into_any(),
            None => fragment.text.into_any(),
        })
        .collect_view()
}

/// Export and import of the rules as CSV or YAML files.
#[component]
fn Files(screen: Screen) -> impl IntoView {
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

/// The versions of the rules, and the studies that flip between two of them.
#[component]
fn Versions(screen: Screen, versions: VersionsResource) -> impl IntoView {
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
