//! The admin's form for a project's share of the live HL7 feed: whether it takes reports from the
//! feed, and which, with what the feed has handled so far.

use leptos::prelude::*;

use crate::api::feed::{feed_settings, FeedView, SaveFeedFilter};
use crate::components::error_box::ErrorBox;
use crate::pages::project::thousands;

/// The feed filter section of the admin's project page.
#[component]
pub fn FeedFilter(project: i64) -> impl IntoView {
    let save = ServerAction::<SaveFeedFilter>::new();
    let view = Resource::new(
        move || save.version().get(),
        move |_| feed_settings(project),
    );
    let outcome = move || match save.value().get() {
        Some(Ok(saved)) => Some(view! { <p class="notice" role="status">{saved}</p> }.into_any()),
        Some(Err(error)) => Some(view! { <ErrorBox error /> }.into_any()),
        None => None,
    };
    let content = move || {
        Suspend::new(async move {
            match view.await {
                Ok(feed) => view! { <FeedForm project feed save /> }.into_any(),
                Err(error) => view! { <ErrorBox error /> }.into_any(),
            }
        })
    };
    view! {
        <section class="card" aria-labelledby="feed-title">
            <h2 id="feed-title">"Live HL7 feed"</h2>
            <Suspense fallback=|| view! { <p class="muted">"Loading the feed…"</p> }>{content}</Suspense>
            {outcome}
        </section>
    }
}

#[component]
fn FeedForm(project: i64, feed: FeedView, save: ServerAction<SaveFeedFilter>) -> impl IntoView {
    let listening = match feed.listening {
        Some(addr) => view! {
            <p class="muted">{format!("The server receives the feed over MLLP at {addr}. Each report is stored in every project whose filter accepts it; a report no project takes is acknowledged and counted, not stored.")}</p>
        }
        .into_any(),
        None => view! {
            <p class="notice">"This server does not receive a feed: start it with --mllp-addr (or mllp_addr in sieve.toml), for example 0.0.0.0:2575, and point the interface engine there. Filters saved here apply once it does."</p>
        }
        .into_any(),
    };
    let counts = (!feed.counts.is_empty()).then(|| {
        view! {
            <table class="compact" data-testid="feed-counts">
                <caption>"Messages the feed has handled (the whole site)"</caption>
                <thead><tr><th>"Outcome"</th><th class="number">"Messages"</th></tr></thead>
                <tbody>
                    {feed.counts.into_iter().map(|count| view! {
                        <tr><td>{count.outcome}</td><td class="number">{thousands(count.messages)}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        }
    });
    view! {
        {listening}
        <ActionForm action=save>
            <input type="hidden" name="project" value=project.to_string() />
            <div class="field">
                <label>
                    <input type="checkbox" name="form[takes_feed]" value="on" checked=feed.takes_feed />
                    " This project takes reports from the feed"
                </label>
            </div>
            <p class="muted">"Only reports that match every list below are taken; leave a list empty to take any value. Separate values with commas."</p>
            <div class="field">
                <label for="feed-facilities">"Sending facilities (MSH-4)"</label>
                <input id="feed-facilities" name="form[facilities]" value=feed.facilities placeholder="any facility" />
            </div>
            <div class="field">
                <label for="feed-exam-codes">"Exam codes (OBR-4)"</label>
                <input id="feed-exam-codes" name="form[exam_codes]" value=feed.exam_codes placeholder="any exam code" />
            </div>
            <div class="field">
                <label for="feed-modalities">"Modalities (OBR-24)"</label>
                <input id="feed-modalities" name="form[modalities]" value=feed.modalities placeholder="any modality, for example CR, CT" />
            </div>
            <button type="submit" class="button-primary" disabled=move || save.pending().get()>"Save feed filter"</button>
        </ActionForm>
        {counts}
    }
}
