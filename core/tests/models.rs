//! Models and continuous validation through a real SQLite database and a real Tantivy index: a
//! synthetic deployment whose model loses sensitivity raises both alarms within their stated
//! delays and none before; predictions are read all or nothing with their lines named; the
//! validation counts what a person would count; discordant studies go to the queue.

mod common;

use sieve_core::models::{self, Input, NewModel, Selection, Set, Sources, Watching};
use sieve_core::pseudonym::Pseudonymizer;
use sieve_core::questions::{self, Change};
use sieve_core::reports::{self, NewReport};
use sieve_core::soft_labels::{Context, MatchCache};
use sieve_core::Error;

const DAYS: i32 = 400;
const PER_DAY: usize = 100;
const DRIFT_FROM: i32 = 300;

struct Deployment {
    install: common::Install,
    indexes: sieve_core::search::Indexes,
    cache: MatchCache,
    models: models::Cache,
    pseudonymizer: Pseudonymizer,
    project: i64,
    question: questions::Question,
    /// (accession, day, reference positive)
    studies: Vec<(String, i32, bool)>,
}

impl Deployment {
    /// `days` days of `PER_DAY` consecutive studies from 2025-01-01, 30 % with a pneumothorax.
    async fn new(days: i32) -> Deployment {
        Deployment::with_template(days, None).await
    }

    /// The same, but from day `changed` on the normal studies' impression reads "Pneumothorax:
    /// none." (a new report template), which the rule `no pneumothorax` no longer matches.
    async fn with_template(days: i32, changed: Option<i32>) -> Deployment {
        let install = common::Install::new().await;
        let project = install.project("Deployment").await;
        let pseudonymizer = Pseudonymizer::with_key([3; 32]);
        let first = models::day_number("2025-01-01").unwrap();
        let mut rng = sieve_core::corpus::Rng::new(17);
        let mut studies = Vec::new();
        let mut batch = Vec::new();
        for day in 0..days {
            for n in 0..PER_DAY {
                let positive = rng.chance(0.3);
                let accession = format!("D{day:03}-{n:03}");
                batch.push(NewReport {
                    accession: accession.clone(),
                    patient_id: format!("P{}", rng.below(5_000)),
                    study_date: models::day_text(first + day),
                    exam_code: ["CXR2V", "CXR1V"][n % 2].into(),
                    modality: "CR".into(),
                    body_part: "CHEST".into(),
                    report_text: match (positive, changed.is_some_and(|from| day >= from)) {
                        (true, _) => {
                            "FINDINGS: Small right apical pneumothorax. IMPRESSION: Pneumothorax."
                                .into()
                        }
                        (false, false) => {
                            "FINDINGS: Lungs are clear. IMPRESSION: No pneumothorax.".into()
                        }
                        (false, true) => {
                            "FINDINGS: Lungs are clear. IMPRESSION: Pneumothorax: none.".into()
                        }
                    },
                    image_uri: None,
                });
                studies.push((accession, day, positive));
            }
            if batch.len() >= 5_000 {
                reports::store_batch(&install.pool, project, &pseudonymizer, &batch)
                    .await
                    .unwrap();
                batch.clear();
            }
        }
        reports::store_batch(&install.pool, project, &pseudonymizer, &batch)
            .await
            .unwrap();
        let indexes = install.indexes();
        indexes
            .catch_up(&install.pool, project, |_, _| {})
            .await
            .unwrap();
        let labels = questions::parse_labels("present, absent").unwrap();
        let question =
            questions::create(&install.pool, project, "Pneumothorax", &labels, None, None)
                .await
                .unwrap();
        for (phrase, label) in [("no pneumothorax", "absent"), ("pneumothorax", "present")] {
            let change = Change::Add {
                rule: common::rule(phrase, label),
                at: None,
            };
            questions::change(&install.pool, &question, &change, None)
                .await
                .unwrap();
        }
        Deployment {
            install,
            indexes,
            cache: MatchCache::default(),
            models: models::Cache::default(),
            pseudonymizer,
            project,
            question,
            studies,
        }
    }

    fn context(&self) -> Context<'_> {
        Context {
            pool: &self.install.pool,
            indexes: &self.indexes,
            cache: &self.cache,
        }
    }

    async fn model(&self, name: &str, threshold: Option<f64>) -> models::Model {
        let new = NewModel {
            name: name.into(),
            version: "1".into(),
            question: "pneumothorax".into(),
            positive_label: Some("present".into()),
            threshold,
        };
        models::register(&self.install.pool, self.project, &new, "scientist")
            .await
            .unwrap()
    }

    async fn import(
        &self,
        model: &models::Model,
        text: &str,
    ) -> sieve_core::Result<models::Imported> {
        let input = Input {
            file_name: "predictions.csv",
            bytes: text.as_bytes(),
        };
        models::import(
            &self.install.pool,
            &self.pseudonymizer,
            model,
            input,
            "scientist",
        )
        .await
    }

    async fn count(&self, model: &models::Model) -> i64 {
        models::get(&self.install.pool, self.project, model.id)
            .await
            .unwrap()
            .predictions
    }
}

#[tokio::test]
async fn a_sensitivity_drop_raises_both_alarms_within_their_stated_delays_and_none_before() {
    let deployment = Deployment::new(DAYS).await;
    let model = deployment.model("Drift", None).await;
    // Sensitivity 0.90 until day 300, then 0.55; specificity 0.95 throughout. The predictions
    // arrive in two files: up to day 309, then the rest.
    let mut rng = sieve_core::corpus::Rng::new(4);
    let (mut early, mut late) = (
        String::from("accession,label\n"),
        String::from("accession,label\n"),
    );
    for (accession, day, positive) in &deployment.studies {
        let sensitivity = if *day >= DRIFT_FROM { 0.55 } else { 0.90 };
        let called = match positive {
            true => rng.chance(sensitivity),
            false => !rng.chance(0.95),
        };
        let label = if called { "present" } else { "absent" };
        let file = if *day < 310 { &mut early } else { &mut late };
        file.push_str(&format!("{accession},{label}\n"));
    }
    // The shift the CUSUM is tuned to is the one simulated: discordance 0.3·0.10 + 0.7·0.05 = 6.5 %
    // before, 0.3·0.45 + 0.7·0.05 = 17 % after. Alarms go to a webhook: a real HTTP listener.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let first = models::day_number("2025-01-01").unwrap();
    let watching = Watching {
        baseline_from: Some(models::day_text(first)),
        baseline_to: Some(models::day_text(first + 179)),
        run_length: 7,
        cusum_arl: 5_000.0,
        cusum_shift: 0.105,
        webhook_url: format!("http://{}/sieve-alarms", listener.local_addr().unwrap()),
        version: 0,
    };
    let imported = deployment.import(&model, &early).await.unwrap();
    assert_eq!(imported.new, 310 * PER_DAY as u64);
    let model = models::save_watching(&deployment.install.pool, &model, &watching, "scientist")
        .await
        .unwrap();
    let received = tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut bodies = Vec::new();
        while let Ok(Ok((mut stream, _))) =
            tokio::time::timeout(std::time::Duration::from_secs(5), listener.accept()).await
        {
            let mut request = Vec::new();
            let mut buffer = [0u8; 4096];
            loop {
                let read = stream.read(&mut buffer).await.unwrap();
                request.extend_from_slice(&buffer[..read]);
                let text = String::from_utf8_lossy(&request).to_string();
                let Some((head, body)) = text.split_once("\r\n\r\n") else {
                    continue;
                };
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("Content-Length: "))
                    .unwrap()
                    .parse()
                    .unwrap();
                if body.len() >= length || read == 0 {
                    bodies.push((head.lines().next().unwrap().to_string(), body.to_string()));
                    break;
                }
            }
            stream
                .write_all(b"HTTP/1.1 204 No Content\r\n\r\n")
                .await
                .unwrap();
        }
        bodies
    });
    // The drift's first days: both rules fire, each alarm is stored once, audited and posted.
    let raised = models::watch(&deployment.context(), &deployment.models, &model)
        .await
        .unwrap();
    let rules: std::collections::BTreeSet<&str> = raised.iter().map(|a| a.rule.as_str()).collect();
    assert_eq!(rules, ["cusum", "run_length"].into(), "{raised:?}");
    let posted = received.await.unwrap();
    assert_eq!(posted.len(), raised.len(), "{posted:?}");
    assert_eq!(posted[0].0, "POST /sieve-alarms HTTP/1.1");
    let body: serde_json::Value = serde_json::from_str(&posted[0].1).unwrap();
    assert_eq!(body["model"], "Drift 1");
    assert!(body["day"].as_str().unwrap() >= "2025-10-28", "{body}");
    let again = models::watch(&deployment.context(), &deployment.models, &model)
        .await
        .unwrap();
    assert!(again.is_empty(), "raised twice: {again:?}");

    // The whole deployment: both alarms within three times their stated delays, none before.
    deployment.import(&model, &late).await.unwrap();
    let model = models::get(&deployment.install.pool, deployment.project, model.id)
        .await
        .unwrap();
    let seen = models::over_time(
        &deployment.context(),
        &deployment.models,
        &model,
        Sources::All,
    )
    .await
    .unwrap();
    assert_eq!(seen.days.len(), DAYS as usize);
    assert_eq!(seen.days.iter().map(|d| d.studies).sum::<u64>(), 40_000);
    let evaluation = seen.evaluation.expect("a baseline");
    assert!(
        (evaluation.baseline.discordance - 0.065).abs() < 0.01,
        "{evaluation:?}"
    );
    let drift = first + DRIFT_FROM;
    for alarm in &evaluation.alarms {
        assert!(
            alarm.day >= drift,
            "a false alarm in the stable period: {alarm:?} (day {})",
            alarm.day - first
        );
    }
    let first_of = |rule: models::alarms::Rule| {
        evaluation
            .alarms
            .iter()
            .find(|a| a.rule == rule)
            .map(|a| a.day - drift)
            .unwrap_or_else(|| panic!("no {rule:?} alarm: {:?}", evaluation.alarms))
    };
    let run_length = first_of(models::alarms::Rule::RunLength);
    let cusum = first_of(models::alarms::Rule::Cusum);
    println!(
        "run-length alarm on drift day {run_length} (stated {:.1}, in control once in {:.0} days); CUSUM on drift day {cusum} (stated {:.1}, h {:.2}, k {:.2})",
        evaluation.run_length_delay, evaluation.run_length_arl, evaluation.cusum.expected_delay, evaluation.cusum.h, evaluation.cusum.k
    );
    // Delays count from the first drifted day (day 0 of the drift is the first day that can fire).
    assert!(
        f64::from(run_length + 1) <= 3.0 * evaluation.run_length_delay,
        "run-length alarm {run_length} days after the drift; stated {:.1}",
        evaluation.run_length_delay
    );
    assert!(
        f64::from(cusum + 1) <= 3.0 * evaluation.cusum.expected_delay,
        "CUSUM alarm {cusum} days after the drift; stated {:.1}",
        evaluation.cusum.expected_delay
    );
    assert!(evaluation.run_length_delay >= 7.0 && evaluation.run_length_delay < 30.0);
    assert!(evaluation.cusum.expected_delay < 7.0);
    // What is stored is what the rules say: the alarms of the whole period, each audited once.
    models::watch(&deployment.context(), &deployment.models, &model)
        .await
        .unwrap();
    let listed = models::alarms_of_project(&deployment.install.pool, deployment.project, None, 50)
        .await
        .unwrap();
    assert_eq!(listed.len(), evaluation.alarms.len(), "{listed:?}");
    let audited = sieve_core::audit::recent(&deployment.install.pool, 1_000)
        .await
        .unwrap();
    let alarms = audited.iter().filter(|e| e.action == "model_alarm").count();
    assert_eq!(alarms, listed.len());
    // New settings clear the alarms of the earlier ones; a save from a page opened before them is
    // refused.
    let stricter = Watching {
        run_length: 3,
        ..model.watching.clone()
    };
    let saved = models::save_watching(&deployment.install.pool, &model, &stricter, "scientist")
        .await
        .unwrap();
    assert!(
        models::alarms_of_project(&deployment.install.pool, deployment.project, None, 50)
            .await
            .unwrap()
            .is_empty()
    );
    let stale = models::save_watching(&deployment.install.pool, &model, &stricter, "scientist")
        .await
        .unwrap_err();
    assert!(
        stale.to_string().contains("changed (in another tab"),
        "{stale}"
    );
    assert_eq!(saved.watching.run_length, 3);
    // An alarm the rules no longer raise (the reference labels changed since) is cleared by the
    // next watch, and the audit log says so.
    let raised = models::watch(&deployment.context(), &deployment.models, &saved)
        .await
        .unwrap();
    assert!(!raised.is_empty());
    sqlx::query("INSERT INTO model_alarms (model_id, rule, subject, day, detail, raised_at) VALUES (?, 'cusum', '', '2025-03-01', 'raised under earlier labels', 0)")
        .bind(saved.id)
        .execute(&deployment.install.pool)
        .await
        .unwrap();
    models::watch(&deployment.context(), &deployment.models, &saved)
        .await
        .unwrap();
    let listed = models::alarms_of_project(&deployment.install.pool, deployment.project, None, 500)
        .await
        .unwrap();
    assert_eq!(listed.len(), raised.len());
    assert!(
        listed.iter().all(|a| a.day.as_str() >= "2025-10-28"),
        "{listed:?}"
    );
    let audited = sieve_core::audit::recent(&deployment.install.pool, 1_000)
        .await
        .unwrap();
    assert!(audited.iter().any(|e| e
        .detail
        .as_deref()
        .is_some_and(|d| d.starts_with("cusum alarm on 2025-03-01 cleared"))));
}

#[tokio::test]
async fn a_file_with_bad_lines_writes_nothing_and_names_each_line() {
    let deployment = Deployment::new(10).await;
    let model = deployment.model("Files", None).await;
    let bad = "accession,label,predicted_at\r\nD000-000,present,2025-01-01\r\nD000-001,maybe,\r\n\r\nNOPE,absent,\r\nD000-000,absent,\r\nD000-002,absent,yesterday\r\n";
    let Err(Error::Rejected { errors, total, .. }) = deployment.import(&model, bad).await else {
        panic!("a bad file was imported");
    };
    assert_eq!(total, 4, "{errors:?}");
    assert!(
        errors[0].starts_with("line 3: label “maybe” is not one of"),
        "{errors:?}"
    );
    // Named in the order of the file, whichever check found them.
    let lines: Vec<&str> = errors
        .iter()
        .map(|e| e.split(':').next().unwrap())
        .collect();
    assert_eq!(lines, ["line 3", "line 5", "line 6", "line 7"]);
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("line 7: predicted_at “yesterday”")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e == "line 5: accession NOPE is not a study of this project"),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("line 6: accession D000-000 was already predicted on line 2")),
        "{errors:?}"
    );
    assert_eq!(deployment.count(&model).await, 0);
    // JSON lines, then the same again: idempotent per study.
    let good = "{\"accession\": \"D000-000\", \"label\": \"present\"}\n{\"accession\": \"D000-001\", \"label\": \"Absent\", \"predicted_at\": \"2025-01-01T09:30:00Z\"}\n";
    let first = deployment.import(&model, good).await.unwrap();
    assert_eq!((first.new, first.replaced), (2, 0));
    let second = deployment.import(&model, good).await.unwrap();
    assert_eq!((second.new, second.replaced), (0, 2));
    assert_eq!(deployment.count(&model).await, 2);
    // A score model needs scores; a header Sieve does not read is refused.
    let scored = deployment.model("Scores", Some(0.5)).await;
    let Err(Error::Rejected { errors, .. }) = deployment
        .import(&scored, "accession,label\nD000-000,present\n")
        .await
    else {
        panic!("a score model took labels");
    };
    assert!(errors[0].contains("no score"), "{errors:?}");
    let Err(Error::Invalid(message)) = deployment
        .import(&scored, "accession,probability\nD000-000,0.3\n")
        .await
    else {
        panic!("an unknown column was taken");
    };
    assert!(message.contains("“probability”"), "{message}");
    let Err(Error::Invalid(message)) = deployment.import(&scored, "").await else {
        panic!("an empty file was taken");
    };
    assert!(message.contains("empty"), "{message}");
}

#[tokio::test]
async fn the_validation_counts_what_a_person_counts_and_discordant_studies_join_the_queue() {
    let deployment = Deployment::new(10).await;
    let model = deployment.model("Counts", Some(0.5)).await;
    // Every positive study scored 0.9, every negative 0.2, but the first three positives of each
    // day missed (0.3) and the first negative of each day called (0.6).
    let mut csv = String::from("accession,score\n");
    let mut expected = sieve_core::models::statistics::Confusion::default();
    let mut seen_positive = std::collections::HashMap::new();
    let mut seen_negative = std::collections::HashSet::new();
    let mut scored = Vec::new();
    for (accession, day, positive) in &deployment.studies {
        let score = match positive {
            true => {
                let n = seen_positive.entry(*day).or_insert(0);
                *n += 1;
                if *n <= 3 {
                    0.3
                } else {
                    0.9
                }
            }
            false => match seen_negative.insert(*day) {
                true => 0.6,
                false => 0.2,
            },
        };
        expected.add(*positive, score >= 0.5);
        scored.push((score, *positive));
        csv.push_str(&format!("{accession},{score}\n"));
    }
    deployment.import(&model, &csv).await.unwrap();
    let context = deployment.context();
    let all = models::validation(&context, &deployment.models, &model, &Selection::default())
        .await
        .unwrap();
    assert_eq!(all.confusion, expected);
    assert_eq!(all.without_reference, 0);
    let auc = all.auc.expect("a score model has an AUC");
    let reference = sieve_core::models::statistics::roc_auc(&scored).unwrap();
    assert!((auc.value - reference.value).abs() < 1e-12);
    // Subgroups: two exam codes, one modality, the months of the days.
    let exams: Vec<_> = all
        .subgroups
        .iter()
        .filter(|s| s.kind == "exam code")
        .collect();
    assert_eq!(exams.len(), 2);
    assert_eq!(
        exams.iter().map(|s| s.confusion.total()).sum::<u64>(),
        expected.total()
    );
    // Studies from a date: only those days.
    let from = Selection {
        set: Set::From("2025-01-05".into()),
        sources: Sources::All,
    };
    let later = models::validation(&context, &deployment.models, &model, &from)
        .await
        .unwrap();
    let later_count = deployment.studies.iter().filter(|s| s.1 >= 4).count() as u64;
    assert_eq!(later.confusion.total(), later_count);
    // No person has answered: no human reference label.
    let human = Selection {
        set: Set::All,
        sources: Sources::Human,
    };
    let confirmed = models::validation(&context, &deployment.models, &model, &human)
        .await
        .unwrap();
    assert_eq!(confirmed.confusion.total(), 0);
    assert_eq!(confirmed.other_sources, expected.total());
    // The discordant studies join the queue, once.
    let added = models::queue_discordant(
        &context,
        &deployment.models,
        &model,
        &Selection::default(),
        "scientist",
    )
    .await
    .unwrap();
    assert_eq!(added, expected.discordant());
    // The rater sees the rule and soft label any queued study shows, nothing of the model.
    let phrases: Vec<(String, String)> =
        sqlx::query_as("SELECT rule_phrase, soft_label FROM tasks WHERE question_id = ?")
            .bind(deployment.question.id)
            .fetch_all(&deployment.install.pool)
            .await
            .unwrap();
    assert!(
        phrases.iter().all(|(phrase, soft)| {
            matches!(
                (phrase.as_str(), soft.as_str()),
                ("pneumothorax", "present") | ("no pneumothorax", "absent")
            )
        }),
        "{phrases:?}"
    );
    let again = models::queue_discordant(
        &context,
        &deployment.models,
        &model,
        &Selection::default(),
        "scientist",
    )
    .await
    .unwrap();
    assert_eq!(again, 0);
    let progress = sieve_core::queue::progress(&deployment.install.pool, deployment.question.id, 1)
        .await
        .unwrap();
    assert!(progress.built);
    assert_eq!(progress.left, expected.discordant() as i64);
}

#[tokio::test]
async fn a_report_template_that_breaks_a_rule_raises_a_labeler_alarm_and_none_before() {
    // 20 weeks; the template changes on day 100 (a Friday, 2025-04-11): its week and the next are
    // outside the limits, so the alarm comes on the second week's Monday, 2025-04-14.
    let deployment = Deployment::with_template(140, Some(100)).await;
    let model = deployment.model("Template", None).await;
    let mut csv = String::from("accession,label\n");
    for (accession, _, positive) in &deployment.studies {
        let label = if *positive { "present" } else { "absent" };
        csv.push_str(&format!("{accession},{label}\n"));
    }
    deployment.import(&model, &csv).await.unwrap();
    let model = models::get(&deployment.install.pool, deployment.project, model.id)
        .await
        .unwrap();
    let labeler = models::labeler(&deployment.context(), &deployment.models, &model)
        .await
        .unwrap();
    let broken = labeler
        .shares
        .iter()
        .find(|s| s.name == "no pneumothorax → absent")
        .expect("the rule is watched");
    assert!((broken.baseline - 0.7).abs() < 0.05, "{broken:?}");
    let named: Vec<(&str, String)> = labeler
        .alarms
        .iter()
        .map(|a| (a.name.as_str(), models::day_text(a.week)))
        .collect();
    assert!(
        named.contains(&("no pneumothorax → absent", "2025-04-14".to_string())),
        "{named:?}"
    );
    assert!(
        named.iter().all(|(_, week)| week.as_str() >= "2025-04-14"),
        "{named:?}"
    );
    let raised = models::watch(&deployment.context(), &deployment.models, &model)
        .await
        .unwrap();
    let labeler_alarms: Vec<_> = raised.iter().filter(|a| a.rule == "labeler").collect();
    assert_eq!(labeler_alarms.len(), labeler.alarms.len(), "{raised:?}");
    assert!(labeler_alarms.iter().any(|a| a
        .detail
        .contains("the rule no pneumothorax → absent labeled 0.0 %")));
}
