//! What each request does inside the writer's transaction: serve the next study (or the one the
//! user holds), record an answer against its claim, take the last answer back, skip.

use super::{Batch, Job, Tx, Work};
use crate::audit::{Action, NewEvent};
use crate::queue::{gold_due, Served, Verdict};
use crate::Result;

impl Job {
    pub(super) async fn run<'j>(&'j self, batch: &mut Batch<'_, 'j>) -> Result<Verdict> {
        match &self.work {
            Work::Next => self.open(batch).await.map(Verdict::Recorded),
            Work::Answer {
                report_id,
                claim,
                label,
            } => self.answer(batch, *report_id, *claim, label).await,
            Work::Undo => self.undo(batch).await.map(Verdict::Recorded),
            Work::Skip { report_id, claim } => self.skip(batch, *report_id, *claim).await,
        }
    }

    fn event(&self, object: String, detail: String) -> NewEvent<'_> {
        NewEvent {
            actor: Some(&self.actor),
            project_id: Some(self.question.project_id),
            object: Some(object),
            detail: Some(detail),
        }
    }

    /// Opens the queue (a page load): a study this user answered before its report changed comes
    /// first, even before the one they hold, which goes back to the queue.
    async fn open<'j>(&'j self, batch: &mut Batch<'_, 'j>) -> Result<Option<Served>> {
        let (question_id, user_id) = (self.question.id, self.user_id);
        let pending = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM reports r JOIN answers a ON a.question_id = ?1 AND a.report_id = r.id
                 WHERE r.text_changed_at IS NOT NULL AND a.user_id = ?2 AND a.answered_at <= r.text_changed_at
                   AND NOT EXISTS (SELECT 1 FROM skips s WHERE s.question_id = ?1 AND s.report_id = r.id AND s.user_id = ?2)
                   AND NOT EXISTS (SELECT 1 FROM trusted_adjudications d WHERE d.question_id = ?1 AND d.report_id = r.id))
               AND NOT EXISTS (SELECT 1 FROM claims c WHERE c.question_id = ?1 AND c.user_id = ?2 AND c.review = 1)
               AS "pending!: bool""#,
            question_id,
            user_id
        )
        .fetch_one(&mut *batch.transaction)
        .await?;
        if pending {
            release_claims(&mut batch.transaction, question_id, user_id).await?;
        }
        // A study held for review that the fellow has decided since is no longer the user's to
        // answer (it held no slot: nothing goes back to the queue).
        sqlx::query!(
            "DELETE FROM claims WHERE question_id = ?1 AND user_id = ?2 AND review = 1
               AND EXISTS (SELECT 1 FROM trusted_adjudications d WHERE d.question_id = ?1 AND d.report_id = claims.report_id)",
            question_id,
            user_id
        )
        .execute(&mut *batch.transaction)
        .await?;
        self.next(batch).await
    }

    /// Serves the study the user holds, else claims a new one.
    async fn next<'j>(&'j self, batch: &mut Batch<'_, 'j>) -> Result<Option<Served>> {
        let question = &self.question;
        batch.sweep(question.id).await?;
        // A user holding a study gets it again; claiming refuses while they hold one, so the
        // usual case (they just answered theirs) costs no look-up of what they hold.
        let served = match self.claim_new(batch).await? {
            Some(served) => Some(served),
            None => self.held(&mut batch.transaction).await?,
        };
        let Some(served) = served else {
            return Ok(None);
        };
        let event = self.event(
            format!("report:{}", served.report_id),
            format!("queue of question {}", question.name),
        );
        batch.events.push((Action::ReportViewed, event));
        Ok(Some(served))
    }

    /// The study the user holds (the earliest claimed), if any.
    async fn held(&self, transaction: &mut Tx<'_>) -> Result<Option<Served>> {
        let question_id = self.question.id;
        let held = sqlx::query!(
            r#"SELECT report_id, token, review AS "review: bool" FROM claims WHERE question_id = ? AND user_id = ? ORDER BY claimed_at, report_id LIMIT 1"#,
            question_id,
            self.user_id
        )
        .fetch_optional(&mut **transaction)
        .await?;
        Ok(match held {
            Some(held) => Some(
                shown(
                    transaction,
                    question_id,
                    self.user_id,
                    held.report_id,
                    held.token,
                    held.review,
                )
                .await?,
            ),
            None => None,
        })
    }

    /// Claims a gold item when one is due, else the first open study of the earliest rule group;
    /// nothing while the user holds a study.
    async fn claim_new(&self, batch: &mut Batch<'_, '_>) -> Result<Option<Served>> {
        let (question, user_id) = (&self.question, self.user_id);
        let settings = batch.settings(question.id).await?;
        let (now, expires) = (batch.now, batch.now + settings.claim_seconds);
        let transaction = &mut batch.transaction;
        // First, a study this user answered before its report's text changed: they read the new
        // text and confirm or correct their answer (unless the fellow has decided it since).
        let changed = sqlx::query_scalar!(
            r#"SELECT a.report_id FROM reports r JOIN answers a ON a.question_id = ?1 AND a.report_id = r.id
               WHERE r.text_changed_at IS NOT NULL AND a.user_id = ?2 AND a.answered_at <= r.text_changed_at
                 AND NOT EXISTS (SELECT 1 FROM claims c WHERE c.question_id = ?1 AND c.user_id = ?2)
                 AND NOT EXISTS (SELECT 1 FROM skips s WHERE s.question_id = ?1 AND s.report_id = r.id AND s.user_id = ?2)
                   AND NOT EXISTS (SELECT 1 FROM trusted_adjudications d WHERE d.question_id = ?1 AND d.report_id = r.id)
               ORDER BY a.answered_at, a.report_id LIMIT 1"#,
            question.id,
            user_id
        )
        .fetch_optional(&mut **transaction)
        .await?;
        if let Some(report) = changed {
            let token = claim_token();
            sqlx::query!(
                "INSERT INTO claims (question_id, report_id, user_id, is_gold, claimed_at, expires_at, token, review)
                 VALUES (?1, ?2, ?3, EXISTS (SELECT 1 FROM gold g WHERE g.question_id = ?1 AND g.report_id = ?2), ?4, ?5, ?6, 1)",
                question.id, report, user_id, now, expires, token
            )
            .execute(&mut **transaction)
            .await?;
            return Ok(Some(
                shown(transaction, question.id, user_id, report, token, true).await?,
            ));
        }
        if settings.gold_rate > 0.0
            && gold_due(
                user_id,
                question.id,
                answered(transaction, question.id, user_id).await?,
                settings.gold_rate,
            )
        {
            let gold = sqlx::query_scalar!(
                "SELECT g.report_id FROM gold g WHERE g.question_id = ?1
                   AND NOT EXISTS (SELECT 1 FROM claims c WHERE c.question_id = ?1 AND c.user_id = ?2)
                   AND NOT EXISTS (SELECT 1 FROM answers a WHERE a.question_id = ?1 AND a.report_id = g.report_id AND a.user_id = ?2)
                   AND NOT EXISTS (SELECT 1 FROM skips s WHERE s.question_id = ?1 AND s.report_id = g.report_id AND s.user_id = ?2)
                 ORDER BY (g.report_id * 2654435761 + ?2) % 4294967291 LIMIT 1",
                question.id,
                user_id
            )
            .fetch_optional(&mut **transaction)
            .await?;
            if let Some(report) = gold {
                let token = claim_token();
                sqlx::query!(
                    "INSERT INTO claims (question_id, report_id, user_id, is_gold, claimed_at, expires_at, token) VALUES (?, ?, ?, 1, ?, ?, ?)",
                    question.id, report, user_id, now, expires, token
                )
                .execute(&mut **transaction)
                .await?;
                return Ok(Some(
                    shown(transaction, question.id, user_id, report, token, false).await?,
                ));
            }
        }
        // Takes a slot of the first open study this user may get.
        let task = sqlx::query_scalar!(
            r#"UPDATE tasks SET open = open - 1 WHERE question_id = ?1 AND report_id = (
                 SELECT t.report_id FROM tasks t WHERE t.question_id = ?1 AND t.open > 0
                   AND NOT EXISTS (SELECT 1 FROM claims c WHERE c.question_id = ?1 AND c.user_id = ?2)
                   AND NOT EXISTS (SELECT 1 FROM answers a WHERE a.question_id = ?1 AND a.report_id = t.report_id AND a.user_id = ?2)
                   AND NOT EXISTS (SELECT 1 FROM skips s WHERE s.question_id = ?1 AND s.report_id = t.report_id AND s.user_id = ?2)
                   AND NOT EXISTS (SELECT 1 FROM gold g WHERE g.question_id = ?1 AND g.report_id = t.report_id)
                 ORDER BY t.rule_rank, t.report_id LIMIT 1)
               RETURNING report_id AS "report_id!""#,
            question.id,
            user_id
        )
        .fetch_optional(&mut **transaction)
        .await?;
        let Some(report) = task else {
            return Ok(None);
        };
        let token = claim_token();
        sqlx::query!(
            "INSERT INTO claims (question_id, report_id, user_id, is_gold, claimed_at, expires_at, token) VALUES (?, ?, ?, 0, ?, ?, ?)",
            question.id, report, user_id, now, expires, token
        )
        .execute(&mut **transaction)
        .await?;
        Ok(Some(
            shown(transaction, question.id, user_id, report, token, false).await?,
        ))
    }

    async fn answer<'j>(
        &'j self,
        batch: &mut Batch<'_, 'j>,
        report_id: i64,
        claim: i64,
        label: &'j str,
    ) -> Result<Verdict> {
        let (question, user_id, now) = (&self.question, self.user_id, batch.now);
        let transaction = &mut batch.transaction;
        // The claim given back, with the study's task (if it has one) and whether it is a gold
        // item, in one statement. No claim under that token: refused before anything is written.
        let claimed = sqlx::query!(
            r#"DELETE FROM claims WHERE question_id = ?1 AND report_id = ?2 AND user_id = ?3 AND token = ?4
               RETURNING claimed_at,
                 (SELECT soft_label FROM task_suggestions t WHERE t.question_id = ?1 AND t.report_id = ?2) AS "soft_label?: String",
                 (SELECT rule_phrase FROM task_suggestions t WHERE t.question_id = ?1 AND t.report_id = ?2) AS "rule_phrase?: String",
                 EXISTS (SELECT 1 FROM gold g WHERE g.question_id = ?1 AND g.report_id = ?2) AS "is_gold!: bool",
                 (SELECT label FROM answers a WHERE a.question_id = ?1 AND a.report_id = ?2 AND a.user_id = ?3) AS "earlier?: String",
                 EXISTS (SELECT 1 FROM trusted_adjudications d WHERE d.question_id = ?1 AND d.report_id = ?2) AS "decided!: bool""#,
            question.id,
            report_id,
            user_id,
            claim
        )
        .fetch_optional(&mut **transaction)
        .await?;
        let Some(claimed) = claimed else {
            return Ok(Verdict::NotHeld(self.next(batch).await?));
        };
        // Time on the study: from when it was served, as the server saw it.
        let seconds_spent = ((now - claimed.claimed_at) as f64).clamp(0.0, 24.0 * 3600.0);
        // The user's answer given before the report's text changed: replaced by this one, read
        // on the new text (the audit log keeps both). It took its slot when first given.
        // The fellow decided the study after its report changed, while the user held it for
        // review: the decision stands, and the answer is refused (the claim is given up).
        if claimed.earlier.is_some() && claimed.decided {
            return Ok(Verdict::NotHeld(self.next(batch).await?));
        }
        if let Some(earlier) = claimed.earlier {
            sqlx::query!(
                "UPDATE answers SET label = ?, seconds = ?, answered_at = ?
                 WHERE question_id = ? AND report_id = ? AND user_id = ?",
                label,
                seconds_spent,
                now,
                question.id,
                report_id,
                user_id
            )
            .execute(&mut **transaction)
            .await?;
            let event = self.event(
                format!("report:{report_id}"),
                format!(
                    "{}: {label} (answered again after the report changed; was {earlier})",
                    question.name
                ),
            );
            batch.events.push((Action::StudyLabeled, event));
            return Ok(Verdict::Recorded(self.next(batch).await?));
        }
        // The claim's slot becomes the answer: the task's open count does not change. A user
        // holds no other claim on a study they answered (claiming skips those, undo deletes the
        // answer it gives back as a claim).
        sqlx::query!(
            "INSERT INTO answers (question_id, report_id, user_id, label, soft_label, rule_phrase, is_gold, seconds, answered_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            question.id,
            report_id,
            user_id,
            label,
            claimed.soft_label,
            claimed.rule_phrase,
            claimed.is_gold,
            seconds_spent,
            now
        )
        .execute(&mut **transaction)
        .await?;
        let event = self.event(
            format!("report:{report_id}"),
            format!("{}: {label}", question.name),
        );
        batch.events.push((Action::StudyLabeled, event));
        Ok(Verdict::Recorded(self.next(batch).await?))
    }

    async fn undo<'j>(&'j self, batch: &mut Batch<'_, 'j>) -> Result<Option<Served>> {
        let (question, user_id) = (&self.question, self.user_id);
        let settings = batch.settings(question.id).await?;
        let transaction = &mut batch.transaction;
        let last = sqlx::query!(
            r#"DELETE FROM answers WHERE id = (SELECT id FROM answers WHERE question_id = ? AND user_id = ?
               ORDER BY answered_at DESC, id DESC LIMIT 1)
             RETURNING report_id, label,
               EXISTS (SELECT 1 FROM gold g WHERE g.question_id = answers.question_id AND g.report_id = answers.report_id) AS "is_gold!: bool""#,
            question.id,
            user_id
        )
        .fetch_optional(&mut **transaction)
        .await?;
        let Some(last) = last else {
            return Ok(None);
        };
        release_claims(transaction, question.id, user_id).await?;
        // The answer's slot becomes the user's claim again: the task's open count does not change.
        let expires = batch.now + settings.claim_seconds;
        let token = claim_token();
        sqlx::query!(
            "INSERT INTO claims (question_id, report_id, user_id, is_gold, claimed_at, expires_at, token) VALUES (?, ?, ?, ?, ?, ?, ?)",
            question.id,
            last.report_id,
            user_id,
            last.is_gold,
            batch.now,
            expires,
            token
        )
        .execute(&mut **transaction)
        .await?;
        let event = self.event(
            format!("report:{}", last.report_id),
            format!("{}: took back {}", question.name, last.label),
        );
        batch.events.push((Action::AnswerUndone, event));
        let mut served = self.next(batch).await?;
        if let Some(served) = served.as_mut().filter(|s| s.report_id == last.report_id) {
            served.taken_back = Some(last.label);
        }
        Ok(served)
    }

    async fn skip<'j>(
        &'j self,
        batch: &mut Batch<'_, 'j>,
        report_id: i64,
        claim: i64,
    ) -> Result<Verdict> {
        let (question, user_id) = (&self.question, self.user_id);
        let transaction = &mut batch.transaction;
        let held = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM claims WHERE question_id = ? AND report_id = ? AND user_id = ? AND token = ?"#,
            question.id,
            report_id,
            user_id,
            claim
        )
        .fetch_one(&mut **transaction)
        .await?;
        if held == 0 {
            return Ok(Verdict::NotHeld(self.next(batch).await?));
        }
        sqlx::query!(
            "INSERT OR IGNORE INTO skips (question_id, report_id, user_id) VALUES (?, ?, ?)",
            question.id,
            report_id,
            user_id
        )
        .execute(&mut **transaction)
        .await?;
        release_claims(transaction, question.id, user_id).await?;
        Ok(Verdict::Recorded(self.next(batch).await?))
    }
}

/// A study as served under a claim: with the soft label and rule of its task, when it has one (a
/// gold item may not), and for a `review` claim the user's answer given before the text changed.
async fn shown(
    transaction: &mut Tx<'_>,
    question_id: i64,
    user_id: i64,
    report_id: i64,
    claim: i64,
    review: bool,
) -> Result<Served> {
    let answered_before_change = match review {
        true => {
            sqlx::query_scalar!(
                "SELECT label FROM answers WHERE question_id = ? AND report_id = ? AND user_id = ?",
                question_id,
                report_id,
                user_id
            )
            .fetch_optional(&mut **transaction)
            .await?
        }
        false => None,
    };
    let task = sqlx::query!(
        r#"SELECT soft_label AS "soft_label?: String", rule_phrase AS "rule_phrase?: String", stale AS "stale!: bool"
           FROM task_suggestions WHERE question_id = ? AND report_id = ?"#,
        question_id,
        report_id
    )
    .fetch_optional(&mut **transaction)
    .await?;
    Ok(Served {
        report_id,
        claim,
        soft_label: task.as_ref().and_then(|t| t.soft_label.clone()),
        rule_phrase: task.as_ref().and_then(|t| t.rule_phrase.clone()),
        taken_back: None,
        answered_before_change,
        report_changed: task.is_some_and(|t| t.stale),
    })
}

/// A new claim's token: random, so a claim given back and taken again is never mistaken for the
/// one before it; below 2^53, so it survives any JSON reader.
fn claim_token() -> i64 {
    rand::Rng::gen_range(&mut rand::thread_rng(), 1..1_i64 << 53)
}

/// How many studies a user has answered in a question's queue (what the gold schedule counts).
async fn answered(transaction: &mut Tx<'_>, question_id: i64, user_id: i64) -> Result<i64> {
    Ok(sqlx::query_scalar!(
        r#"SELECT COUNT(*) AS "n!: i64" FROM answers WHERE question_id = ? AND user_id = ?"#,
        question_id,
        user_id
    )
    .fetch_one(&mut **transaction)
    .await?)
}

/// Gives back every study a user holds in a question's queue.
async fn release_claims(transaction: &mut Tx<'_>, question_id: i64, user_id: i64) -> Result<()> {
    let released = sqlx::query!(
        "DELETE FROM claims WHERE question_id = ? AND user_id = ? RETURNING report_id, is_gold, review",
        question_id,
        user_id
    )
    .fetch_all(&mut **transaction)
    .await?;
    for claim in released
        .iter()
        .filter(|claim| claim.is_gold == 0 && claim.review == 0)
    {
        reopen(transaction, question_id, claim.report_id).await?;
    }
    Ok(())
}

/// Gives one slot of a study back to the queue (by primary key: no scan of the queue; the
/// `tasks_open_total` trigger keeps the queue's total).
pub(super) async fn reopen(
    transaction: &mut Tx<'_>,
    question_id: i64,
    report_id: i64,
) -> Result<()> {
    sqlx::query!(
        "UPDATE tasks SET open = open + 1 WHERE question_id = ? AND report_id = ?",
        question_id,
        report_id
    )
    .execute(&mut **transaction)
    .await?;
    Ok(())
}
