//! A table of audit events, as the admin pages show them.

use leptos::prelude::*;

use crate::api::admin::AuditRow;

/// Lists audit events, newest first as given.
#[component]
pub fn AuditEvents(rows: Vec<AuditRow>) -> impl IntoView {
    let rows = rows.into_iter().map(|event| {
        view! {
            <tr>
                <td class="nowrap">{event.at}</td>
                <td>{event.actor}</td>
                <td class="nowrap"><code>{event.action}</code></td>
                <td>{event.project}</td>
                <td>{event.object}</td>
                <td class="detail">{event.detail}</td>
            </tr>
        }
    });
    view! {
        <table>
            <thead><tr><th>"When (UTC)"</th><th>"Who"</th><th>"Action"</th><th>"Project"</th><th>"Object"</th><th>"Detail"</th></tr></thead>
            <tbody>{rows.collect_view()}</tbody>
        </table>
    }
}
