//! Sending a chosen file to a REST endpoint from the browser, and reading its JSON answer.

use leptos::html::Input;
use leptos::prelude::*;

/// Reads a REST answer: on success its `message`, else its `error` and `errors` as lines.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
fn answer(status: u16, body: Option<String>) -> Result<String, String> {
    let json: serde_json::Value = body
        .as_deref()
        .and_then(|body| serde_json::from_str(body).ok())
        .unwrap_or_default();
    if status == 200 {
        return Ok(json["message"].as_str().unwrap_or("Done.").to_string());
    }
    let mut lines = vec![json["error"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| format!("The upload failed (HTTP {status})."))];
    if let Some(errors) = json["errors"].as_array() {
        lines.extend(errors.iter().filter_map(|e| e.as_str().map(str::to_owned)));
    }
    Err(lines.join("\n"))
}

/// Sends (`method`: PUT or POST) the file chosen in `file` to `url?filename=NAME` and the `extra`
/// parameters; `status` gets the outcome, and `done` runs after a success with the answer's message.
#[cfg(feature = "hydrate")]
pub fn send_file(
    method: &str,
    url: &str,
    extra: &[(&str, &str)],
    file: NodeRef<Input>,
    status: RwSignal<Option<Result<String, String>>>,
    done: impl Fn(String) + 'static,
) {
    use leptos::wasm_bindgen::closure::Closure;
    use leptos::wasm_bindgen::JsCast;
    use leptos::web_sys::XmlHttpRequest;

    let Some(chosen) = file
        .get()
        .and_then(|input| input.files())
        .and_then(|files| files.get(0))
    else {
        status.set(Some(Err("Choose a file first.".into())));
        return;
    };
    let mut query = leptos_router::params::ParamsMap::new();
    query.insert("filename", chosen.name());
    for (name, value) in extra {
        query.insert(name.to_string(), value.to_string());
    }
    let Ok(request) = XmlHttpRequest::new() else {
        return;
    };
    if request
        .open(method, &format!("{url}{}", query.to_query_string()))
        .is_err()
    {
        return;
    }
    let _ = request.set_request_header("Content-Type", "application/octet-stream");
    let answered = request.clone();
    let on_load = Closure::<dyn FnMut()>::new(move || {
        let result = answer(
            answered.status().unwrap_or(0),
            answered.response_text().ok().flatten(),
        );
        status.set(Some(result.clone()));
        if let Ok(message) = result {
            done(message);
        }
    });
    request.set_onload(Some(on_load.as_ref().unchecked_ref()));
    on_load.forget();
    let on_error = Closure::<dyn FnMut()>::new(move || {
        status.set(Some(Err(
            "The upload failed: check the connection and try again.".into(),
        )))
    });
    request.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_error.forget();
    status.set(Some(Ok("Uploading…".into())));
    let _ = request.send_with_opt_blob(Some(&chosen));
}

#[cfg(not(feature = "hydrate"))]
pub fn send_file(
    _: &str,
    _: &str,
    _: &[(&str, &str)],
    _: NodeRef<Input>,
    _: RwSignal<Option<Result<String, String>>>,
    _: impl Fn(String) + 'static,
) {
}
