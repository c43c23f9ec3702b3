//! `sieve bench-feed`: the live feed's throughput and acknowledgement latency with several
//! senders at once (each sending its next message when the last one is acknowledged, as interface
//! engines do), against the real MLLP listener and a real SQLite file; then the import of the same
//! messages as an HL7 file.

use std::time::{Duration, Instant};

use sieve_core::feed::{self, Filter};
use sieve_core::import::{self, Format, Options};
use sieve_core::reports::NewReport;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::commands::Outcome;
use crate::mllp;

/// An ORU^R01 of a synthetic report, as a feed sends it.
fn oru(control: &str, report: &NewReport) -> String {
    let escaped = sieve_core::import::hl7::Delimiters::DEFAULT.escape(&report.report_text);
    format!(
        "MSH|^~\\&|RIS|HOSP|SIEVE|HOSP|202612061200||ORU^R01|{control}|P|2.5\r\
         PID|1||{}^^^HOSP^MR||DOE^JANE\r\
         OBR|1|PLC|{}^RIS|{}^EXAM|||{}||||||||{}|||||||||{}|F\r\
         OBX|1|FT|REP^Report||{escaped}||||||F\r",
        report.patient_id,
        report.accession,
        report.exam_code,
        report.study_date.replace('-', ""),
        report.body_part,
        report.modality,
    )
}

/// Sends `messages` one after the other on one connection; returns each one's latency.
async fn sender(port: u16, messages: Vec<String>) -> std::io::Result<Vec<Duration>> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
    let mut latencies = Vec::with_capacity(messages.len());
    let mut buffer = vec![0u8; 4096];
    for message in messages {
        let started = Instant::now();
        let mut framed = vec![0x0B];
        framed.extend_from_slice(message.as_bytes());
        framed.extend_from_slice(&[0x1C, 0x0D]);
        stream.write_all(&framed).await?;
        let mut ack = Vec::new();
        while !ack.ends_with(&[0x1C, 0x0D]) {
            let read = stream.read(&mut buffer).await?;
            if read == 0 {
                return Err(std::io::Error::other("the server closed the connection"));
            }
            ack.extend_from_slice(&buffer[..read]);
        }
        if !ack.windows(7).any(|w| w == b"MSA|AA|") {
            return Err(std::io::Error::other(format!(
                "not acknowledged: {}",
                String::from_utf8_lossy(&ack)
            )));
        }
        latencies.push(started.elapsed());
    }
    Ok(latencies)
}

/// Streams `messages` synthetic reports from `senders` senders, then imports them as a file.
pub async fn run(messages: u64, senders: usize) -> Outcome {
    let scratch = super::queue::scratch(0).await?;
    let project = scratch.project_id;
    feed::set_filter(&scratch.pool, project, Some(&Filter::default()), "bench").await?;
    let reports: Vec<NewReport> = sieve_core::corpus::generate(31, messages).collect();
    let all: Vec<String> = reports
        .iter()
        .enumerate()
        .map(|(n, report)| oru(&format!("B{n}"), report))
        .collect();
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    mllp::listen(format!("127.0.0.1:{port}").parse()?, scratch.state.clone()).await?;

    let started = Instant::now();
    let mut tasks = Vec::new();
    for part in 0..senders {
        let mine: Vec<String> = all.iter().skip(part).step_by(senders).cloned().collect();
        tasks.push(tokio::spawn(sender(port, mine)));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await??);
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let at = |share: f64| {
        latencies[((latencies.len() as f64 * share) as usize).min(latencies.len() - 1)]
            .as_secs_f64()
            * 1000.0
    };
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM reports WHERE project_id = ?")
        .bind(project)
        .fetch_one(&scratch.pool)
        .await?;
    println!(
        "feed: {messages} messages from {senders} senders in {elapsed:.2} s = {:.0} messages/s; \
         ACK latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {stored} reports stored",
        messages as f64 / elapsed,
        at(0.50),
        at(0.99),
        at(1.0),
    );

    // The same messages as an HL7 file, into a new project.
    let file = scratch.dir.path().join("export.hl7");
    std::fs::write(&file, all.join("\r\n"))?;
    let other = sieve_core::projects::create(&scratch.pool, "File", "FILE-1", None).await?;
    let started = Instant::now();
    let destination = import::Destination {
        pool: &scratch.pool,
        project_id: other.id,
        indexes: None,
    };
    let outcome = import::import_file(
        destination,
        &file,
        &scratch.state.pseudonymizer,
        &Options {
            format: Some(Format::Hl7),
            ..Options::default()
        },
        None,
        |_| {},
    )
    .await?;
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "HL7 file import: {} reports in {elapsed:.2} s = {:.0} reports/s (read once, stored)",
        outcome.counts.new,
        outcome.counts.new as f64 / elapsed
    );
    Ok(())
}
