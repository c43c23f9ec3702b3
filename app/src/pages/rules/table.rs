//! The rules in priority order: reorder, enable, edit in place, delete.

use leptos::prelude::*;

use super::form::RuleFields;
use super::Screen;
use crate::api::rules::{edit_rule, Board, RuleRow};
use crate::pages::project::thousands;

/// The rules in priority order.
#[component]
pub(super) fn RuleTable(board: Memo<Board>, screen: Screen) -> impl IntoView {
    let dragged = RwSignal::new(None::<u32>);
    let editing = RwSignal::new(None::<u32>);
    let rows = move || {
        // Read here so that Edit (and Cancel) draw the row again.
        editing.track();
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
                        <th class="number" title="Studies another enabled rule would label differently (not counting this phrase inside a longer one above it)">"Conflicts"</th>
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
pub(super) fn RuleLine(
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
                ("ArrowUp", true) if rank > 0 => screen.move_by_key(id, rank - 1),
                ("ArrowDown", true) if rank + 1 < count => screen.move_by_key(id, rank + 1),
                ("Delete", _) => screen.delete(&row, rank),
                (" ", _) => screen.set_enabled(&row, !row.form.enabled, || ()),
                ("Enter", _) => screen.selected.set(Some(id)),
                _ => return,
            }
            event.prevent_default();
        }
    };
    if editing.get_untracked() == Some(id) {
        return view! { <EditLine row board screen editing /> }.into_any();
    }
    // What the checkbox shows: the click at once, the saved state again if the server refuses.
    let shown = RwSignal::new(row.form.enabled);
    let toggle = {
        let row = row.clone();
        move |event: leptos::ev::Event| {
            let enabled = event_target_checked(&event);
            shown.set(enabled);
            screen.set_enabled(&row, enabled, move || shown.set(!enabled));
        }
    };
    let remove = {
        let row = row.clone();
        move |_| screen.delete(&row, rank)
    };
    let negation = match row.form.negation.as_str() {
        "route" => view! {
            "by status"
            <span class="detail">{format!("negated → {}", none_if_empty(&row.form.negated))}</span>
            <span class="detail">{format!("uncertain → {}", none_if_empty(&row.form.uncertain))}</span>
        }
        .into_any(),
        "affirmed" => "affirmed only".into_any(),
        _ => "any mention".into_any(),
    };
    let selected = move || screen.selected.get() == Some(id);
    let line = NodeRef::<leptos::html::Tr>::new();
    Effect::new(move |_| {
        if let Some(tr) = line.get() {
            if screen.focused.get_untracked() == Some(id) {
                let _ = tr.focus();
            }
        }
    });
    view! {
        <tr node_ref=line tabindex="0" draggable="true" data-rule=row.form.phrase.clone()
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
            <td class="phrase"><button type="button" class="link" on:click=move |_| screen.selected.set(Some(id))>{row.form.phrase.clone()}</button></td>
            <td><span class="badge">{row.form.label.clone()}</span></td>
            <td class="negation">{negation}</td>
            <td class="sections">{match row.form.sections.is_empty() { true => "all".to_string(), false => row.form.sections.clone() }}</td>
            <td class="number" data-testid="matches">{thousands(row.matches as i64)}</td>
            <td class="number" data-testid="effective">{thousands(row.effective as i64)}</td>
            <td class="number">{thousands(row.overlaps as i64)}</td>
            <td class="number" class:warn={row.conflicts > 0}>{thousands(row.conflicts as i64)}</td>
            <td><input type="checkbox" checked=row.form.enabled prop:checked=shown on:change=toggle
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
pub(super) fn EditLine(
    row: RuleRow,
    board: Memo<Board>,
    screen: Screen,
    editing: RwSignal<Option<u32>>,
) -> impl IntoView {
    let form = RwSignal::new(row.form.clone());
    let save = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let change = edit_rule(
            screen.project,
            screen.question,
            row.id,
            form.get_untracked(),
            row.form.clone(),
        );
        // Closed once saved; a refused edit stays open with what was typed.
        screen.apply_then(change, move || editing.set(None));
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
