//! The live HL7 feed as a site admin sets it per project: whether the project takes reports from
//! the feed and which (sending facilities, exam codes, modalities), with what the feed has handled.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// A project's feed filter and the feed's counts, for the admin's project page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedView {
    /// Where the server receives the feed (MLLP), when it does.
    pub listening: Option<String>,
    pub takes_feed: bool,
    /// Comma-separated, as the form edits them; empty: any value.
    pub facilities: String,
    pub exam_codes: String,
    pub modalities: String,
    /// Messages the feed handled since it was first used, by outcome, for the whole site.
    pub counts: Vec<FeedCount>,
}

/// How many messages of the feed had one outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedCount {
    /// In words: "stored", "sent again (stored once)", ….
    pub outcome: String,
    pub messages: i64,
}

/// The filter as the form sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedForm {
    #[serde(default)]
    pub takes_feed: Option<String>,
    #[serde(default)]
    pub facilities: String,
    #[serde(default)]
    pub exam_codes: String,
    #[serde(default)]
    pub modalities: String,
}

/// Returns a project's feed filter (site admins).
#[server(endpoint = "feed_settings")]
pub async fn feed_settings(project: i64) -> Result<FeedView, AppError> {
    crate::ssr::respond(
        async {
            let (state, _) = crate::ssr::require_admin().await?;
            sieve_core::projects::find(&state.pool, project).await?;
            let filter = sieve_core::feed::filter(&state.pool, project).await?;
            let counts = sieve_core::feed::counts(&state.pool).await?;
            let joined =
                |list: Option<&Vec<String>>| list.map(|l| l.join(", ")).unwrap_or_default();
            Ok(FeedView {
                listening: state.settings.mllp_addr.map(|addr| addr.to_string()),
                takes_feed: filter.is_some(),
                facilities: joined(filter.as_ref().map(|f| &f.facilities)),
                exam_codes: joined(filter.as_ref().map(|f| &f.exam_codes)),
                modalities: joined(filter.as_ref().map(|f| &f.modalities)),
                counts: counts
                    .into_iter()
                    .map(|count| FeedCount {
                        outcome: sieve_core::feed::Outcome::described(&count.outcome).to_string(),
                        messages: count.messages,
                    })
                    .collect(),
            })
        }
        .await,
    )
}

/// Saves a project's feed filter (site admins; audited). Returns what the project now takes, in
/// words.
#[server(endpoint = "save_feed_filter")]
pub async fn save_feed_filter(project: i64, form: FeedForm) -> Result<String, AppError> {
    use sieve_core::feed::Filter;

    crate::ssr::respond(
        async {
            let (state, admin) = crate::ssr::require_admin().await?;
            let filter = match form.takes_feed.is_some() {
                true => Some(Filter::typed(
                    &form.facilities,
                    &form.exam_codes,
                    &form.modalities,
                )?),
                false => None,
            };
            sieve_core::feed::set_filter(&state.pool, project, filter.as_ref(), &admin.name)
                .await?;
            Ok(match filter {
                Some(filter) => format!(
                    "Saved: this project takes reports with {}.",
                    filter.described()
                ),
                None => "Saved: this project takes no reports from the feed.".to_string(),
            })
        }
        .await,
    )
}
