//! `/projects/:id/import`: a fellow uploads an export of reports (CSV, JSON lines, HL7; gzipped too)
//! and follows its progress; the answer lists what was imported, or every invalid line.

use leptos::html::Input;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::projects::project;
use crate::components::error_box::ErrorBox;
use crate::pages::project::thousands;

/// Where an upload stands.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
enum Phase {
    Idle,
    /// Sending the file: the share sent so far.
    Uploading(f64),
    /// The server is checking, storing and indexing the reports.
    Importing,
    Imported {
        new: u64,
        updated: u64,
        unchanged: u64,
        rejected: u64,
    },
    Failed {
        message: String,
        errors: Vec<String>,
    },
}

/// The upload form and its outcome.
#[component]
pub fn ImportPage() -> impl IntoView {
    let id_param = crate::pages::route_number("id");
    let id = move || id_param().unwrap_or(0);
    let details = Resource::new(id, project);
    let file = NodeRef::<Input>::new();
    let skip_invalid = NodeRef::<Input>::new();
    let encoding = NodeRef::<leptos::html::Select>::new();
    let phase = RwSignal::new(Phase::Idle);
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        upload(id(), file, skip_invalid, encoding, phase);
    };
    let busy = move || matches!(phase.get(), Phase::Uploading(_) | Phase::Importing);
    // Closing or leaving the tab stops an import that is under way (nothing of it is kept): the
    // browser asks first.
    let leaving = window_event_listener(leptos::ev::beforeunload, move |event| {
        if matches!(
            phase.get_untracked(),
            Phase::Uploading(_) | Phase::Importing
        ) {
            event.prevent_default();
            event.set_return_value("The import is not finished: leaving stops it.");
        }
    });
    on_cleanup(move || leaving.remove());
    // Only a fellow gets the form: anyone else is told why, not offered an upload that is refused.
    let form = move || {
        view! {
            <section class="card">
                <p class="muted">
                    "CSV with a header row (accession, patient_id, study_date, exam_code, modality, body_part, report_text, image_uri), "
                    "JSON lines with the same fields, or HL7 v2 ORU^R01 messages; each may be gzipped. A file with any invalid record "
                    "is rejected whole, with every error listed, unless you choose to skip them. Importing a file again updates "
                    "changed reports and leaves the rest. Patient identifiers are stored pseudonymised."
                </p>
                <form on:submit=on_submit>
                    <div class="field">
                        <label for="import-file">"File"</label>
                        <input id="import-file" type="file" node_ref=file required accept=".csv,.jsonl,.ndjson,.json,.hl7,.gz" />
                    </div>
                    <div class="field">
                        <label for="import-encoding">"Character set"</label>
                        <select id="import-encoding" node_ref=encoding>
                            <option value="" selected>"UTF-8 (or as the file's byte-order mark says)"</option>
                            <option value="windows-1252">"Windows-1252 (Excel on Windows, Western Europe)"</option>
                            <option value="iso-8859-1">"ISO-8859-1 (Latin-1)"</option>
                            <option value="iso-8859-15">"ISO-8859-15 (Latin-9)"</option>
                            <option value="windows-1250">"Windows-1250 (Central Europe)"</option>
                        </select>
                        <p class="muted">"Of a CSV or JSON lines export: one with a byte-order mark (UTF-8, UTF-16) is read as it says. HL7 messages name their own (MSH-18)."</p>
                    </div>
                    <label class="checkbox"><input type="checkbox" node_ref=skip_invalid />" Skip invalid records (import the rest)"</label>
                    <button type="submit" class="button-primary button-inline" disabled=busy>"Import"</button>
                </form>
                <Outcome phase project=Signal::derive(id) />
            </section>
        }
    };
    let page = move || {
        Suspend::new(async move {
            match details.await {
                Ok(project) => {
                    let body = match project.may.import_reports {
                        true => form().into_any(),
                        false => view! {
                            <p class="notice" role="note">"Only the project's fellows import reports; your role is " {project.role.clone()} "."</p>
                        }
                        .into_any(),
                    };
                    view! {
                        <Title text=format!("Import · {}", project.name) />
                        <p class="breadcrumbs"><a href=format!("/projects/{}", project.id)>{project.name.clone()}</a> " / "</p>
                        <h1>"Import reports"</h1>
                        {body}
                    }
                    .into_any()
                }
                Err(error) => view! { <ErrorBox error /> }.into_any(),
            }
        })
    };
    view! { <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>{page}</Suspense> }
}

#[component]
fn Outcome(phase: RwSignal<Phase>, project: Signal<i64>) -> impl IntoView {
    move || {
        match phase.get() {
        Phase::Idle => ().into_any(),
        Phase::Uploading(share) => view! {
            <div role="status" class="progress">
                <progress max="1" value=share.to_string()></progress>
                <span>{format!("Uploading… {:.0}%", share * 100.0)}</span>
            </div>
        }
        .into_any(),
        Phase::Importing => view! {
            <div role="status" class="progress"><progress></progress><span>"Checking, storing and indexing the reports…"</span></div>
        }
        .into_any(),
        Phase::Imported { new, updated, unchanged, rejected } => view! {
            <div class="secret" role="status">
                <p><strong>"Imported: "</strong>
                    {format!("{} new, {} updated, {} unchanged", thousands(new as i64), thousands(updated as i64), thousands(unchanged as i64))}
                    {(rejected > 0).then(|| format!(", {} invalid records skipped", thousands(rejected as i64)))}
                    "."
                </p>
                <p><a href=format!("/projects/{}/search", project.get())>"Search the reports"</a></p>
            </div>
        }
        .into_any(),
        Phase::Failed { message, errors } => view! {
            <div class="alert" role="alert">
                <p>{message}</p>
                <ul class="errors">{errors.into_iter().map(|error| view! { <li><code>{error}</code></li> }).collect_view()}</ul>
            </div>
        }
        .into_any(),
    }
    }
}

/// Sends the chosen file with progress events (the REST import endpoint answers when it is indexed).
#[cfg(feature = "hydrate")]
fn upload(
    project: i64,
    file: NodeRef<Input>,
    skip_invalid: NodeRef<Input>,
    encoding: NodeRef<leptos::html::Select>,
    phase: RwSignal<Phase>,
) {
    use leptos::wasm_bindgen::closure::Closure;
    use leptos::wasm_bindgen::JsCast;
    use leptos::web_sys::{ProgressEvent, XmlHttpRequest};

    let Some(chosen) = file
        .get()
        .and_then(|input| input.files())
        .and_then(|files| files.get(0))
    else {
        phase.set(Phase::Failed {
            message: "Choose a file to import.".into(),
            errors: Vec::new(),
        });
        return;
    };
    let skip = skip_invalid.get().is_some_and(|input| input.checked());
    let mut query = leptos_router::params::ParamsMap::new();
    query.insert("filename", chosen.name());
    query.insert("skip_invalid", skip.to_string());
    if let Some(encoding) = encoding
        .get()
        .map(|select| select.value())
        .filter(|v| !v.is_empty())
    {
        query.insert("encoding", encoding);
    }
    let url = format!(
        "/api/v1/projects/{project}/imports{}",
        query.to_query_string()
    );
    let Ok(request) = XmlHttpRequest::new() else {
        return;
    };
    if request.open("POST", &url).is_err() {
        return;
    }
    let _ = request.set_request_header("Content-Type", "application/octet-stream");
    let on_progress = Closure::<dyn FnMut(ProgressEvent)>::new(move |event: ProgressEvent| {
        if event.length_computable() && event.total() > 0.0 {
            let share = event.loaded() / event.total();
            phase.set(if share >= 1.0 {
                Phase::Importing
            } else {
                Phase::Uploading(share)
            });
        }
    });
    if let Ok(upload) = request.upload() {
        upload.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    }
    on_progress.forget();
    let answered = request.clone();
    let on_load = Closure::<dyn FnMut()>::new(move || {
        let result = outcome(
            answered.status().unwrap_or(0),
            answered.response_text().ok().flatten(),
        );
        // Imported: the form empties, so the same file is not sent again by a second click.
        if matches!(result, Phase::Imported { .. }) {
            if let Some(input) = file.get_untracked() {
                input.set_value("");
            }
            if let Some(input) = skip_invalid.get_untracked() {
                input.set_checked(false);
            }
        }
        phase.set(result)
    });
    request.set_onload(Some(on_load.as_ref().unchecked_ref()));
    on_load.forget();
    let on_error = Closure::<dyn FnMut()>::new(move || {
        phase.set(Phase::Failed {
            // The server refuses an upload over its limit, or of a kind it cannot import, before
            // reading it; a browser may then see the connection close rather than the answer.
            message: "The upload was cut off: check the connection, and that the file is a .csv, \
                      .jsonl or .hl7 export (or .gz) within this server's upload limit, then try again."
                .into(),
            errors: Vec::new(),
        })
    });
    request.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_error.forget();
    phase.set(Phase::Uploading(0.0));
    let _ = request.send_with_opt_blob(Some(&chosen));
}

#[cfg(not(feature = "hydrate"))]
fn upload(
    _: i64,
    _: NodeRef<Input>,
    _: NodeRef<Input>,
    _: NodeRef<leptos::html::Select>,
    _: RwSignal<Phase>,
) {
}

/// Reads the endpoint's answer.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
fn outcome(status: u16, body: Option<String>) -> Phase {
    let json: serde_json::Value = body
        .as_deref()
        .and_then(|body| serde_json::from_str(body).ok())
        .unwrap_or_default();
    let number = |name: &str| json[name].as_u64().unwrap_or(0);
    match status {
        200 => Phase::Imported {
            new: number("new"),
            updated: number("updated"),
            unchanged: number("unchanged"),
            rejected: number("rejected"),
        },
        _ => Phase::Failed {
            message: json["error"]
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| format!("The import failed (HTTP {status}).")),
            errors: json["errors"]
                .as_array()
                .map(|errors| {
                    errors
                        .iter()
                        .filter_map(|e| e.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
        },
    }
}
