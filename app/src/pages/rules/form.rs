//! The rule form: its fields, shared by adding and editing, and adding a rule with a preview.

use leptos::prelude::*;

use super::Screen;
use crate::api::rules::{add_rule, preview_rule, Board, PreviewView, RuleForm};
use crate::components::error_box::ErrorBox;
use crate::error::AppError;
use crate::pages::project::thousands;

/// The rule form's fields, shared by adding and editing.
#[component]
pub(super) fn RuleFields(
    board: Memo<Board>,
    form: RwSignal<RuleForm>,
    prefix: &'static str,
) -> impl IntoView {
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
pub(super) fn blank(board: &Board) -> RuleForm {
    RuleForm {
        label: board.question.labels.first().cloned().unwrap_or_default(),
        negation: "any".into(),
        enabled: true,
        ..RuleForm::default()
    }
}

/// Adding a rule, with a preview of what it would take before it is saved.
#[component]
pub(super) fn AddRule(board: Memo<Board>, screen: Screen) -> impl IntoView {
    let form = RwSignal::new(blank(&board.get_untracked()));
    let at_top = RwSignal::new(false);
    let preview = RwSignal::new(None::<Result<PreviewView, AppError>>);
    let at = move || at_top.get().then_some(0);
    let run_preview = move |_| {
        let (form, at) = (form.get_untracked(), at());
        leptos::task::spawn_local(async move {
            let previewed = preview_rule(screen.project, screen.question, form, at).await;
            // A preview of what is typed now replaces a refusal of what was sent before.
            if previewed.is_ok() {
                screen.error.set(None);
            }
            preview.set(Some(previewed));
        });
    };
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let sent = form.get_untracked();
        // Once added, the form starts afresh: a next rule does not silently inherit this one's
        // negation mode, sections or priority (only its label is kept, as the likely next one).
        let saved = move || {
            let label = form.get_untracked().label;
            form.set(RuleForm {
                label,
                ..blank(&board.get_untracked())
            });
            at_top.set(false);
            preview.set(None);
        };
        screen.apply_then(add_rule(screen.project, screen.question, sent, at()), saved);
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
                    <label class="check"><input type="checkbox" checked=at_top.get_untracked() prop:checked=at_top on:change=move |e| at_top.set(event_target_checked(&e)) />" Highest priority (else lowest)"</label>
                    <button type="button" class="button-quiet" on:click=run_preview>"Preview"</button>
                    <button type="submit" class="button-primary button-inline">"Add rule"</button>
                </div>
            </form>
            {shown}
        </section>
    }
    .into_any()
}
