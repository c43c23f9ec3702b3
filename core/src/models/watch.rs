//! Raising a model's alarms: the rules of [`super::alarms`] run over its days against every
//! reference label; each alarm not raised before is stored, written to the audit log and, when the
//! model names one, posted to a local webhook as JSON.

use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;

use super::alarms::Alarm;
use super::{day_text, over_time, Cache, Model, Sources};
use crate::audit::{self, Action, NewEvent};
use crate::soft_labels::Context;
use crate::Result;

/// An alarm as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RaisedAlarm {
    pub id: i64,
    pub model_id: i64,
    pub model: String,
    /// `run_length`, `cusum` or `labeler`.
    pub rule: String,
    /// `YYYY-MM-DD`: the day the rule fired.
    pub day: String,
    pub detail: String,
    pub raised_at: i64,
}

/// Runs the model's rules: raises the alarms not raised before, and clears those the rules no
/// longer raise (the reference labels changed: answers, decisions, rules), each written to the
/// audit log; the stored alarms are then those the charts draw. Returns the alarms raised.
pub async fn watch(
    context: &Context<'_>,
    cache: &Cache,
    model: &Model,
) -> Result<Vec<RaisedAlarm>> {
    let seen = over_time(context, cache, model, Sources::All).await?;
    let mut found: Vec<(&str, String, i32, String)> = Vec::new();
    if let Some(evaluation) = seen.evaluation {
        for Alarm { rule, day, detail } in evaluation.alarms {
            found.push((rule.as_str(), String::new(), day, detail));
        }
    }
    for moved in super::labeler(context, cache, model).await?.alarms {
        found.push(("labeler", moved.name, moved.week, moved.detail));
    }
    let current: std::collections::HashSet<(String, String, String)> = found
        .iter()
        .map(|(rule, subject, day, _)| (rule.to_string(), subject.clone(), day_text(*day)))
        .collect();
    let stored = sqlx::query!(
        r#"SELECT id AS "id!", rule, subject, day FROM model_alarms WHERE model_id = ?"#,
        model.id
    )
    .fetch_all(context.pool)
    .await?;
    for gone in stored
        .into_iter()
        .filter(|s| !current.contains(&(s.rule.clone(), s.subject.clone(), s.day.clone())))
    {
        let mut transaction = context.pool.begin().await?;
        sqlx::query!("DELETE FROM model_alarms WHERE id = ?", gone.id)
            .execute(&mut *transaction)
            .await?;
        let event = NewEvent {
            actor: None,
            project_id: Some(model.project_id),
            object: Some(format!("model:{} {}", model.name, model.version)),
            detail: Some(format!(
                "{} alarm on {} cleared: the rules no longer raise it (the reference labels changed)",
                gone.rule, gone.day
            )),
        };
        audit::record(&mut *transaction, Action::ModelAlarm, event).await?;
        transaction.commit().await?;
    }
    let mut raised = Vec::new();
    for (rule, subject, day, detail) in found {
        let day = day_text(day);
        let now = crate::now();
        let mut transaction = context.pool.begin().await?;
        let id = sqlx::query_scalar!(
            r#"INSERT INTO model_alarms (model_id, rule, subject, day, detail, raised_at) VALUES (?, ?, ?, ?, ?, ?)
               ON CONFLICT DO NOTHING RETURNING id AS "id!""#,
            model.id,
            rule,
            subject,
            day,
            detail,
            now
        )
        .fetch_optional(&mut *transaction)
        .await?;
        let Some(id) = id else {
            continue;
        };
        let event = NewEvent {
            actor: None,
            project_id: Some(model.project_id),
            object: Some(format!("model:{} {}", model.name, model.version)),
            detail: Some(format!("{rule} alarm on {day}: {detail}")),
        };
        audit::record(&mut *transaction, Action::ModelAlarm, event).await?;
        transaction.commit().await?;
        raised.push(RaisedAlarm {
            id,
            model_id: model.id,
            model: format!("{} {}", model.name, model.version),
            rule: rule.to_string(),
            day,
            detail,
            raised_at: now,
        });
    }
    // Only alarms about the last two weeks are posted: a first import of a year of history, or a
    // change of settings, raises alarms about days long past, which page nobody.
    let recent = seen.days.last().map_or(i32::MAX, |d| d.day - 14);
    if let Some(address) = webhook_address(&model.watching.webhook_url) {
        for alarm in raised
            .iter()
            .filter(|a| super::day_number(&a.day).is_some_and(|day| day >= recent))
        {
            if let Err(error) = post(&address, alarm).await {
                tracing::warn!(%error, url = %model.watching.webhook_url, "the alarm's webhook did not answer");
            }
        }
    }
    Ok(raised)
}

/// The project's alarms, newest day first (at most `limit`).
pub async fn alarms_of_project(
    pool: &SqlitePool,
    project_id: i64,
    model_id: Option<i64>,
    limit: i64,
) -> Result<Vec<RaisedAlarm>> {
    Ok(sqlx::query_as!(
        RaisedAlarm,
        r#"SELECT a.id AS "id!", a.model_id, m.name || ' ' || m.version AS "model!: String", a.rule, a.day, a.detail, a.raised_at
           FROM model_alarms a JOIN models m ON m.id = a.model_id
           WHERE m.project_id = ? AND (? IS NULL OR m.id = ?)
           ORDER BY a.day DESC, a.id DESC LIMIT ?"#,
        project_id,
        model_id,
        model_id,
        limit
    )
    .fetch_all(pool)
    .await?)
}

/// A webhook address Sieve posts to: `http://host[:port]/path` (no TLS: a service on the
/// hospital's own network). Returns (host:port, path).
pub(crate) fn webhook_address(url: &str) -> Option<(String, String)> {
    let rest = url.trim().strip_prefix("http://")?;
    let (authority, path) = match rest.find('/') {
        Some(at) => (&rest[..at], &rest[at..]),
        None => (rest, "/"),
    };
    if authority.is_empty() || authority.contains('@') || path.contains(char::is_whitespace) {
        return None;
    }
    let authority = match authority.rsplit_once(':') {
        Some((_, port)) if port.parse::<u16>().is_ok() => authority.to_string(),
        _ => format!("{authority}:80"),
    };
    Some((authority, path.to_string()))
}

/// Posts the alarm as JSON with HTTP/1.1 and reads the status line (within 5 s).
async fn post((authority, path): &(String, String), alarm: &RaisedAlarm) -> std::io::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let body = serde_json::to_vec(alarm).expect("alarm serialises");
    let host = authority.trim_end_matches(":80");
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(authority).await?;
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(&body).await?;
        let mut answer = [0u8; 64];
        let read = stream.read(&mut answer).await?;
        match answer[..read].starts_with(b"HTTP/1.1 2") || answer[..read].starts_with(b"HTTP/1.0 2")
        {
            true => Ok(()),
            false => Err(std::io::Error::other(format!(
                "answered {:?}",
                String::from_utf8_lossy(&answer[..read])
                    .lines()
                    .next()
                    .unwrap_or("")
            ))),
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(5), exchange)
        .await
        .map_err(|_| std::io::Error::other("no answer within 5 s"))?
}
