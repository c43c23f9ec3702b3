//! A project's text settings — its cue lists and section headers — which every rule of every
//! question reads with: stored as JSON, the defaults until a fellow changes them, each change
//! audited with what it added and removed.

use sqlx::SqlitePool;

use super::{archived, list, rules};
use crate::audit::{self, Action, NewEvent};
use crate::db::stored_json;
use crate::labeling::TextSettings;
use crate::Result;

/// Returns a project's text settings (the defaults until a fellow changes them).
pub async fn text_settings(pool: &SqlitePool, project_id: i64) -> Result<TextSettings> {
    let stored = sqlx::query_scalar!(
        "SELECT settings FROM text_settings WHERE project_id = ?",
        project_id
    )
    .fetch_optional(pool)
    .await?;
    read_text_settings(stored.as_deref())
}

/// Reads text settings as stored (none stored: the defaults).
pub fn read_text_settings(stored: Option<&str>) -> Result<TextSettings> {
    match stored {
        None => Ok(TextSettings::default()),
        Some(json) => stored_json("text settings", json),
    }
}

/// A short fingerprint of text settings (the SHA-256 of their JSON): a form sends back the one it
/// was loaded with, so that a save over someone else's later change is refused, not silent.
pub fn fingerprint(settings: &TextSettings) -> String {
    use sha2::{Digest, Sha256};
    let json = serde_json::to_string(settings).expect("settings serialise");
    hex::encode(&Sha256::digest(json.as_bytes())[..12])
}

/// What a change of text settings did, in words: each list's added and removed entries.
fn settings_change(before: &TextSettings, after: &TextSettings) -> String {
    let lists = |settings: &TextSettings| {
        let cues = &settings.cues;
        [
            ("pre-negation cues", cues.pre_negation.clone()),
            ("post-negation cues", cues.post_negation.clone()),
            ("pre-uncertainty cues", cues.pre_uncertainty.clone()),
            ("post-uncertainty cues", cues.post_uncertainty.clone()),
            ("pseudo cues", cues.pseudo.clone()),
            ("termination cues", cues.termination.clone()),
            ("normal-modifiers", cues.normal.clone()),
            ("section headers", settings.section_headers.clone()),
        ]
    };
    let quoted = |items: Vec<&String>| {
        items
            .iter()
            .map(|item| format!("“{item}”"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut parts = Vec::new();
    for ((name, old), (_, new)) in lists(before).into_iter().zip(lists(after)) {
        let added: Vec<&String> = new.iter().filter(|item| !old.contains(item)).collect();
        let removed: Vec<&String> = old.iter().filter(|item| !new.contains(item)).collect();
        if !added.is_empty() {
            parts.push(format!("{name}: added {}", quoted(added)));
        }
        if !removed.is_empty() {
            parts.push(format!("{name}: removed {}", quoted(removed)));
        }
    }
    match parts.is_empty() {
        true => "saved unchanged".to_string(),
        false => parts.join("; "),
    }
}

/// Saves a project's text settings, after checking that every cue reads and that every rule of
/// every question still finds its sections.
/// Audited with what changed, list by list; label sets record the settings they were read with.
/// `loaded`: the [`fingerprint`] of the settings the caller's form was loaded with; a save made
/// after someone else's is refused (`Invalid`), changing nothing.
pub async fn save_text_settings(
    pool: &SqlitePool,
    project_id: i64,
    settings: &TextSettings,
    loaded: Option<&str>,
    actor: Option<&str>,
) -> Result<()> {
    let mut rule_books = Vec::new();
    let mut all = list(pool, project_id).await?;
    all.extend(archived(pool, project_id).await?);
    for question in all {
        let mut book = rules(pool, question.id, None).await?.rule_book(&question);
        // A disabled rule must still find its sections when it is enabled again.
        for rule in &mut book.rules {
            rule.enabled = true;
        }
        rule_books.push(book);
    }
    crate::labeling::Labeler::new(rule_books, settings)?;
    let before = text_settings(pool, project_id).await?;
    if loaded.is_some_and(|loaded| loaded != fingerprint(&before)) {
        return Err(crate::Error::Invalid(
            "These lists were saved by someone else (or in another tab) after this page was \
             loaded, so nothing was saved: the difference shown now is against their lists; save \
             again to replace them with yours, or reload the page to start from theirs"
                .into(),
        ));
    }
    let json = serde_json::to_string(settings).expect("settings serialise");
    let now = crate::now();
    let mut transaction = pool.begin().await?;
    sqlx::query!(
        "INSERT INTO text_settings (project_id, settings, updated_by, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (project_id) DO UPDATE SET settings = excluded.settings, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        project_id,
        json,
        actor,
        now
    )
    .execute(&mut *transaction)
    .await?;
    let event = NewEvent {
        actor,
        project_id: Some(project_id),
        object: Some("text-settings".into()),
        detail: Some(settings_change(&before, settings)),
    };
    audit::record(&mut *transaction, Action::TextSettingsChanged, event).await?;
    transaction.commit().await?;
    Ok(())
}
