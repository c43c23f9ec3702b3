//! `sieve bench-queue`: N simulated affiliates label concurrently against the real server (HTTP,
//! sessions, server functions, SQLite), each asking for a study and answering it in a loop; then
//! the answers are counted in the database: none lost, none duplicated.
//!
//! Everything runs in a temporary install: synthetic reports, a question with rules, a built queue
//! with overlap, and the affiliates' accounts. The client is a minimal HTTP/1.1 client over tokio
//! (one keep-alive connection per affiliate), enough for the server functions' form posts.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sieve_core::auth::ProjectRole;
use sieve_core::labeling::{Negation, Rule};
use sieve_core::questions::{self, Change};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::commands::Outcome;
use crate::config::Config;
use crate::router;

const PASSWORD: &str = "a long benchmark password";

/// One keep-alive connection speaking just enough HTTP/1.1.
struct Client {
    stream: BufReader<TcpStream>,
    address: SocketAddr,
    cookie: Option<String>,
}

impl Client {
    async fn connect(address: SocketAddr) -> std::io::Result<Client> {
        let stream = TcpStream::connect(address).await?;
        stream.set_nodelay(true)?;
        Ok(Client {
            stream: BufReader::new(stream),
            address,
            cookie: None,
        })
    }

    /// Posts a form; returns the status and the body.
    async fn post(&mut self, path: &str, form: &str) -> std::io::Result<(u16, String)> {
        let cookie = self
            .cookie
            .as_ref()
            .map(|c| format!("Cookie: {c}\r\n"))
            .unwrap_or_default();
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: {0}\r\nOrigin: http://{0}\r\nAccept: application/json\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {1}\r\n{cookie}\r\n{form}",
            self.address,
            form.len()
        );
        self.stream.get_mut().write_all(request.as_bytes()).await?;
        let mut status_line = String::new();
        self.stream.read_line(&mut status_line).await?;
        let status = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let mut length = 0;
        loop {
            let mut line = String::new();
            self.stream.read_line(&mut line).await?;
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').unwrap_or((line, ""));
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.trim().parse().unwrap_or(0),
                "set-cookie" => {
                    self.cookie = value.trim().split(';').next().map(str::to_string);
                }
                _ => {}
            }
        }
        let mut body = vec![0; length];
        self.stream.read_exact(&mut body).await?;
        Ok((status, String::from_utf8_lossy(&body).into_owned()))
    }
}

/// Builds a temporary install with a queue, serves it, and runs `affiliates` clients for `seconds`.
/// A temporary install for benchmarks: `reports` synthetic reports, indexed, and the question
/// "Pneumothorax" with four phrase rules.
pub struct Scratch {
    pub dir: tempfile::TempDir,
    pub config: Config,
    pub pool: sqlx::SqlitePool,
    pub state: sieve_app::ssr::AppState,
    pub project_id: i64,
    pub question: questions::Question,
}

pub async fn scratch(reports: u64) -> Result<Scratch, Box<dyn std::error::Error + Send + Sync>> {
    scratch_of(sieve_core::corpus::generate(11, reports).collect()).await
}

/// A temporary install of `corpus`, indexed, with a question of four rules.
pub async fn scratch_of(
    corpus: Vec<sieve_core::reports::NewReport>,
) -> Result<Scratch, Box<dyn std::error::Error + Send + Sync>> {
    let dir = tempfile::tempdir()?;
    let config = Config {
        addr: "127.0.0.1:0".parse()?,
        data_dir: dir.path().to_path_buf(),
        site_root: dir.path().join("site"),
        demo: false,
        secure_cookies: false,
        public_url: None,
        trusted_proxies: Vec::new(),
        session_idle_minutes: 60,
        session_absolute_hours: 12,
        max_upload_mb: crate::config::DEFAULT_MAX_UPLOAD_MB,
        mllp_addr: None,
    };
    let pool = crate::commands::open(&config).await?;
    std::fs::create_dir_all(config.index_dir())?;
    let project = sieve_core::projects::create(&pool, "Load", "LOAD-1", None).await?;
    let pseudonymizer = sieve_core::pseudonym::Pseudonymizer::load_or_create(&config.data_dir)?;
    sieve_core::reports::store_batch(&pool, project.id, &pseudonymizer, &corpus).await?;
    let state = router::state(pool.clone(), &config)?;
    state.indexes.catch_up(&pool, project.id, |_, _| {}).await?;
    let labels = questions::parse_labels("present, absent, uncertain")?;
    let question =
        questions::create(&pool, project.id, "Pneumothorax", &labels, None, None).await?;
    for (phrase, label) in [
        ("no pneumothorax", "absent"),
        ("pneumothorax", "present"),
        ("no pleural effusion", "absent"),
        ("effusion", "uncertain"),
    ] {
        let rule = Rule {
            phrase: phrase.into(),
            label: label.into(),
            negation: Negation::Any,
            sections: vec![],
            enabled: true,
        };
        questions::change(&pool, &question, &Change::Add { rule, at: None }, None).await?;
    }
    Ok(Scratch {
        dir,
        config,
        pool,
        state,
        project_id: project.id,
        question,
    })
}

pub async fn run(reports: u64, affiliates: usize, seconds: u64, think_ms: u64) -> Outcome {
    let Scratch {
        dir: _dir,
        config,
        pool,
        state,
        project_id,
        question,
    } = scratch(reports).await?;
    let settings = sieve_core::queue::Settings {
        overlap_share: 0.2,
        overlap_raters: 2,
        gold_rate: 0.0,
        ..Default::default()
    };
    let built = sieve_core::queue::build(&state.labeling(), &question, &settings, None).await?;
    for n in 0..affiliates {
        let name = format!("aff{n}");
        sieve_core::auth::create_user(&pool, &name, PASSWORD, false, None).await?;
        sieve_core::projects::add_member(&pool, "Load", &name, ProjectRole::Affiliate, None)
            .await?;
    }
    let sessions = router::sessions(&pool, &config).await?;
    let app = router::app(state, sessions);
    let listener = tokio::net::TcpListener::bind(config.addr).await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    println!(
        "queue: {} studies ({} by two affiliates); {affiliates} affiliates for {seconds} s, {think_ms} ms between answers",
        built.queued, built.overlapped
    );
    let mut clients = Vec::new();
    for n in 0..affiliates {
        clients.push(sign_in(address, n).await?);
    }
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut workers = Vec::new();
    for (n, client) in clients.into_iter().enumerate() {
        let pace = Pace {
            project: project_id,
            question: question.id,
            deadline,
            think_ms,
        };
        workers.push(tokio::spawn(
            async move { affiliate(client, n, pace).await },
        ));
    }
    let started = Instant::now();
    let (mut next_latencies, mut answer_latencies, mut sent) = (Vec::new(), Vec::new(), 0u64);
    for worker in workers {
        let (next, answer, count) = worker.await??;
        next_latencies.extend(next);
        answer_latencies.extend(answer);
        sent += count;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM answers")
        .fetch_one(&pool)
        .await?;
    let distinct: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT DISTINCT question_id, report_id, user_id FROM answers)",
    )
    .fetch_one(&pool)
    .await?;
    let overfilled: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM tasks t WHERE (SELECT COUNT(*) FROM answers a WHERE a.question_id = t.question_id AND a.report_id = t.report_id) > t.needed",
    )
    .fetch_one(&pool)
    .await?;
    report("next study (queue_study)", &mut next_latencies);
    report("answer + next study (answer_study)", &mut answer_latencies);
    println!(
        "{sent} answers in {elapsed:.1} s: {:.0} answers/s; stored {stored}, distinct {distinct}, studies over their overlap {overfilled}",
        sent as f64 / elapsed
    );
    if stored != sent as i64 || distinct != stored || overfilled != 0 {
        return Err("answers were lost or duplicated".into());
    }
    Ok(())
}

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// Signs affiliate `n` in (before the clock starts: a sign-in hashes a password on purpose slowly).
async fn sign_in(address: SocketAddr, n: usize) -> Result<Client, Failure> {
    let mut client = Client::connect(address).await?;
    let password = PASSWORD.replace(' ', "+");
    let (status, body) = client
        .post("/api/sign_in", &format!("name=aff{n}&password={password}"))
        .await?;
    if status != 200 {
        return Err(format!("sign-in of aff{n}: {status} {body}").into());
    }
    Ok(client)
}

/// What every affiliate answers, until when, and how long each reads a study.
#[derive(Clone, Copy)]
struct Pace {
    project: i64,
    question: i64,
    deadline: Instant,
    think_ms: u64,
}

/// The next study, as the queue page asks for it (timed).
async fn next_study(
    client: &mut Client,
    pace: Pace,
    latencies: &mut Vec<f64>,
) -> Result<String, Failure> {
    let started = Instant::now();
    let (status, body) = client
        .post(
            "/api/queue_study",
            &format!("project={}&question={}", pace.project, pace.question),
        )
        .await?;
    latencies.push(started.elapsed().as_secs_f64() * 1000.0);
    if status != 200 {
        return Err(format!("queue_study: {status} {body}").into());
    }
    Ok(body)
}

fn report_of(body: &str) -> Result<Option<i64>, Failure> {
    let view: serde_json::Value = serde_json::from_str(body)?;
    Ok(view["study"]["report_id"].as_i64())
}

/// One affiliate: ask and answer until the deadline or the queue is empty. Every tenth study
/// the page is reloaded: asking for the next study again must give the one held (timed as the
/// next study).
async fn affiliate(
    mut client: Client,
    n: usize,
    pace: Pace,
) -> Result<(Vec<f64>, Vec<f64>, u64), Failure> {
    let (project, question) = (pace.project, pace.question);
    let (mut next, mut answer, mut count) = (Vec::new(), Vec::new(), 0);
    // The first study of all fifty at once is a burst no steady state has: not counted.
    let mut body = next_study(&mut client, pace, &mut Vec::new()).await?;
    while Instant::now() < pace.deadline {
        let view: serde_json::Value = serde_json::from_str(&body)?;
        // Each affiliate answers only the study it holds: a refused answer is a lost one.
        if !view["refused"].is_null() {
            return Err(format!("aff{n}'s answer was refused: {}", view["refused"]).into());
        }
        let study = &view["study"];
        let (Some(report), Some(claim)) = (study["report_id"].as_i64(), study["claim"].as_i64())
        else {
            break;
        };
        if (count + n as u64) % 10 == 9 {
            let again = report_of(&next_study(&mut client, pace, &mut next).await?)?;
            if again != Some(report) {
                return Err(format!("aff{n} held {report} but was served {again:?}").into());
            }
        }
        let label = study["soft_label"]
            .as_str()
            .unwrap_or("present")
            .to_string();
        // Reading the report: a person takes seconds; `think_ms` paces the simulation, varied
        // between half and one and a half times so the affiliates do not move in step.
        let spread = (count.wrapping_mul(2_654_435_761) ^ (n as u64 * 40_503)) % 1_000;
        let think = pace.think_ms * (500 + spread) / 1_000;
        tokio::time::sleep(Duration::from_millis(think)).await;
        let started = Instant::now();
        let (status, reply) = client
            .post(
                "/api/answer_study",
                &format!(
                    "project={project}&question={question}&report={report}&claim={claim}&label={label}"
                ),
            )
            .await?;
        answer.push(started.elapsed().as_secs_f64() * 1000.0);
        if status != 200 {
            return Err(format!("answer_study: {status} {reply}").into());
        }
        count += 1;
        body = reply;
    }
    Ok((next, answer, count))
}

fn report(what: &str, latencies: &mut [f64]) {
    latencies.sort_by(f64::total_cmp);
    if latencies.is_empty() {
        return;
    }
    let at = |share: f64| {
        latencies[((latencies.len() as f64 * share).ceil() as usize).saturating_sub(1)]
    };
    println!(
        "{what}: {} requests, p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        latencies.len(),
        at(0.5),
        at(0.95),
        at(0.99),
        latencies[latencies.len() - 1]
    );
}
