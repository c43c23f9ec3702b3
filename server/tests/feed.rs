//! The live HL7 feed end to end: the real `sieve serve` binary receiving MLLP on a port, a real
//! SQLite file, and a real MLLP client no one here wrote (`mllp_send` of python-hl7, which
//! `scripts/test.sh` installs and names in SIEVE_MLLP_SEND). Ignored by a bare `cargo test` (it
//! needs that client); the test command runs it with `--ignored`.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use sieve_core::feed::{self, Filter};
use sieve_core::{db, projects};

/// A `sieve serve` with the feed on, over a data directory that outlives it (a restart reuses it).
struct Sieve {
    child: Child,
    mllp_port: u16,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Sieve {
    #[track_caller]
    fn start(data_dir: &Path, mllp_port: u16) -> Sieve {
        let child = Command::new(env!("CARGO_BIN_EXE_sieve"))
            .args(["serve", "--addr", &format!("127.0.0.1:{}", free_port())])
            .args(["--mllp-addr", &format!("127.0.0.1:{mllp_port}")])
            .env("SIEVE_DATA_DIR", data_dir)
            .env("SIEVE_SITE_ROOT", data_dir.join("site"))
            .env_remove("SIEVE_CONFIG")
            .current_dir(data_dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", mllp_port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "sieve did not start listening for MLLP"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Sieve { child, mllp_port }
    }

    /// Kills the server as a power cut would (SIGKILL: nothing is flushed or closed).
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Sieve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `mllp_send` of python-hl7, as SIEVE_MLLP_SEND names it.
fn mllp_send() -> PathBuf {
    PathBuf::from(
        std::env::var("SIEVE_MLLP_SEND")
            .expect("SIEVE_MLLP_SEND names python-hl7's mllp_send (scripts/test.sh installs it)"),
    )
}

/// Sends the MLLP stream in `file` to the server with `mllp_send`; returns its output.
fn send(sieve_port: u16, file: &Path) -> Output {
    Command::new(mllp_send())
        .args(["--port", &sieve_port.to_string(), "--file"])
        .arg(file)
        .arg("127.0.0.1")
        .env("PYTHONUNBUFFERED", "1")
        .output()
        .unwrap()
}

/// The control ids `mllp_send` printed an acknowledgement with `code` (AA, AE, AR) for.
fn acknowledged(output: &Output, code: &str) -> Vec<String> {
    let text = String::from_utf8_lossy(&output.stdout);
    let marker = format!("MSA|{code}|");
    text.split(marker.as_str())
        .skip(1)
        .map(|rest| rest.split(['|', '\r', '\n']).next().unwrap().to_string())
        .collect()
}

/// An ORU^R01 from `facility` with control id `control`, accession `accession` and `modality`,
/// its report text in two OBX segments, one of them two lines long.
fn oru(control: &str, facility: &str, accession: &str, modality: &str) -> String {
    format!(
        "MSH|^~\\&|RIS|{facility}|SIEVE|HOSP|202612061200||ORU^R01|{control}|P|2.5\r\
         PID|1||MRN{accession}^^^HOSP^MR||DOE^JANE\r\
         OBR|1|PLC{accession}|{accession}^RIS|CXR2V^XR CHEST 2 VIEWS|||20261206113000||||||||CHEST|||||||||{modality}|F\r\
         OBX|1|TX|IMP^Impression||FINDINGS: Small left pleural effusion.\\.br\\No pneumothorax.||||||F\r\
         OBX|2|TX|IMP^Impression||IMPRESSION: Effusion \\T\\ atelectasis.||||||F\r"
    )
}

/// Messages framed as an MLLP stream.
fn stream(messages: &[String]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for message in messages {
        bytes.push(0x0B);
        bytes.extend_from_slice(message.as_bytes());
        bytes.extend_from_slice(&[0x1C, 0x0D]);
    }
    bytes
}

/// A data directory with the project "Chest" taking CR reports from facility HOSP.
async fn install(dir: &Path) -> (sqlx::SqlitePool, i64) {
    let pool = db::open(&dir.join("sieve.db")).await.unwrap();
    let project = projects::create(&pool, "Chest", "IRB-1", None)
        .await
        .unwrap()
        .id;
    let filter = Filter {
        facilities: vec!["HOSP".into()],
        exam_codes: vec![],
        modalities: vec!["CR".into()],
    };
    feed::set_filter(&pool, project, Some(&filter), "admin")
        .await
        .unwrap();
    (pool, project)
}

async fn stored(pool: &sqlx::SqlitePool, project: i64) -> Vec<(String, String)> {
    sqlx::query_as("SELECT accession, report_text FROM reports WHERE project_id = ? ORDER BY id")
        .bind(project)
        .fetch_all(pool)
        .await
        .unwrap()
}

#[tokio::test]
#[ignore = "needs python-hl7's mllp_send: scripts/test.sh installs it and runs this with --ignored"]
async fn each_message_is_acknowledged_after_it_is_stored_where_its_filter_accepts_it() {
    let dir = tempfile::tempdir().unwrap();
    let (pool, project) = install(dir.path()).await;
    let port = free_port();
    let sieve = Sieve::start(dir.path(), port);
    let messages = vec![
        oru("MSG1", "HOSP", "ACC1", "CR"),
        // Another facility: acknowledged, not stored.
        oru("MSG2", "ELSEWHERE", "ACC2", "CR"),
        // Not a result message: refused, with the reason.
        oru("MSG3", "HOSP", "ACC3", "CR").replace("ORU^R01", "ADT^A01"),
        // The first again (a sender retrying): acknowledged, stored once.
        oru("MSG1", "HOSP", "ACC1", "CR"),
        // A report without its patient: refused, naming what is missing.
        oru("MSG4", "HOSP", "ACC4", "CR").replace("PID|1||MRNACC4^^^HOSP^MR||DOE^JANE\r", ""),
    ];
    let file = dir.path().join("feed.hl7");
    std::fs::write(&file, stream(&messages)).unwrap();
    let output = send(sieve.mllp_port, &file);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(acknowledged(&output, "AA"), ["MSG1", "MSG2", "MSG1"]);
    assert_eq!(acknowledged(&output, "AR"), ["MSG3", "MSG4"]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("is not ORU\\S\\R01"), "{text}");
    assert!(text.contains("PID: segment missing"), "{text}");
    assert_eq!(
        stored(&pool, project).await,
        [(
            "ACC1".to_string(),
            "FINDINGS: Small left pleural effusion.\nNo pneumothorax.\nIMPRESSION: Effusion & atelectasis."
                .to_string()
        )]
    );
    let counts: Vec<(String, i64)> = feed::counts(&pool)
        .await
        .unwrap()
        .into_iter()
        .map(|count| (count.outcome, count.messages))
        .collect();
    assert_eq!(
        counts,
        [
            ("refused".to_string(), 2),
            ("resent".to_string(), 1),
            ("stored".to_string(), 1),
            ("unrouted".to_string(), 1)
        ]
    );
}

#[tokio::test]
#[ignore = "needs python-hl7's mllp_send: scripts/test.sh installs it and runs this with --ignored"]
async fn a_kill_mid_stream_loses_no_acknowledged_message_and_the_resend_duplicates_none() {
    const MESSAGES: usize = 10_000;
    let dir = tempfile::tempdir().unwrap();
    let (pool, project) = install(dir.path()).await;
    let messages: Vec<String> = (0..MESSAGES)
        .map(|n| oru(&format!("MSG{n}"), "HOSP", &format!("ACC{n}"), "CR"))
        .collect();
    let file = dir.path().join("feed.hl7");
    std::fs::write(&file, stream(&messages)).unwrap();
    let port = free_port();

    // The sender streams; Sieve is killed once it has acknowledged some of it.
    let sieve = Sieve::start(dir.path(), port);
    let sender = std::thread::spawn({
        let file = file.clone();
        move || send(port, &file)
    });
    let started = Instant::now();
    loop {
        let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM feed_messages")
            .fetch_one(&pool)
            .await
            .unwrap();
        if stored >= 300 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the feed stored too little"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    sieve.kill();
    let first = sender.join().unwrap();
    assert!(
        !first.status.success(),
        "the sender should see the connection fail"
    );
    let acked = acknowledged(&first, "AA");
    assert!(
        !acked.is_empty() && acked.len() < MESSAGES,
        "{}",
        acked.len()
    );

    // Every message that got AA is stored, with its text.
    let sieve = Sieve::start(dir.path(), port);
    let accessions: std::collections::HashSet<String> = stored(&pool, project)
        .await
        .into_iter()
        .map(|(accession, _)| accession)
        .collect();
    for control in &acked {
        let accession = control.replace("MSG", "ACC");
        assert!(
            accessions.contains(&accession),
            "{control} was acknowledged but not stored"
        );
    }

    // The sender sends everything again after the restart: nothing is stored twice.
    let second = send(sieve.mllp_port, &file);
    assert!(second.status.success(), "{second:?}");
    assert_eq!(acknowledged(&second, "AA").len(), MESSAGES);
    let all = stored(&pool, project).await;
    assert_eq!(all.len(), MESSAGES);
    let distinct: std::collections::HashSet<_> =
        all.iter().map(|(accession, _)| accession).collect();
    assert_eq!(distinct.len(), MESSAGES);
    let recorded: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM feed_messages")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(recorded, MESSAGES as i64);
}
