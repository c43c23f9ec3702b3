//! The command line, described once for clap (which also writes `--help`).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use sieve_app::ssr::PublicUrl;

/// Sieve turns free-text radiology reports into training labels, inside the hospital.
#[derive(Debug, Parser)]
#[command(name = "sieve", version, about, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes. Each can also come from the environment or `sieve.toml`.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Directory holding the database, the search indexes and the install's secrets [default: ./data]
    #[arg(long, env = "SIEVE_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// Configuration file [default: ./sieve.toml when it exists]
    #[arg(long, env = "SIEVE_CONFIG", global = true)]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server
    Serve(ServeArgs),
    /// Manage user accounts
    #[command(subcommand)]
    User(UserCommand),
    /// Manage projects (one per IRB protocol) and their members
    #[command(subcommand)]
    Project(ProjectCommand),
    /// Import reports (CSV, JSON lines, HL7 ORU^R01; gzipped too) into a project
    Import(ImportArgs),
    /// Rebuild a project's search index from the database (stop the server first)
    Reindex {
        /// The project's name
        project: String,
    },
    /// Write a synthetic corpus of radiology reports as JSON lines
    GenCorpus(GenCorpusArgs),
    /// Apply rule files to a file of reports, without a server or database (same engine as the server)
    Label(LabelArgs),
    /// Score labels against a gold file: precision, recall and F1 per question, micro and macro averages
    Evaluate(EvaluateArgs),
    /// Inter-rater agreement of annotations from any tool: a CSV file with columns item, rater, label
    Agreement {
        /// The annotations (an empty label is a missing answer)
        file: PathBuf,
        /// Print JSON (full precision) instead of a table
        #[arg(long)]
        json: bool,
    },
    /// A model's predictions
    #[command(subcommand)]
    Predictions(PredictionsCommand),
    /// Validation statistics of a CSV file with columns reference, model (0 or 1) and optionally
    /// score, as JSON: sensitivity, specificity, PPV, NPV, accuracy (Wilson 95 % intervals), ROC AUC
    ModelStats { file: PathBuf },
    /// Measure a model's predictions import and its over-time view in a temporary install (for benchmarks)
    BenchModels {
        /// Predictions (one study each, over two years of days)
        #[arg(long, default_value_t = 1_000_000)]
        predictions: u64,
        /// Over-time views to time
        #[arg(long, default_value_t = 20)]
        rounds: u32,
    },
    /// Measure the search page's latency on a project (for benchmarks)
    BenchSearch {
        /// The project's name
        project: String,
        /// How many times to run the set of searches
        #[arg(long, default_value_t = 20)]
        rounds: u32,
    },
    /// Measure soft labels on a project (for benchmarks): from scratch, and after one-rule changes
    BenchLabels {
        /// The project's name
        project: String,
        /// Rule files (one question each), loaded into the project's questions of the same names
        #[arg(long, required = true)]
        rules: Vec<PathBuf>,
        /// How many one-rule changes to time
        #[arg(long, default_value_t = 40)]
        changes: u32,
    },
    /// Measure label set exports in a temporary install (for benchmarks)
    BenchExport {
        /// Synthetic reports in the temporary install
        #[arg(long, default_value_t = 100_000)]
        reports: u64,
        /// Exports to time
        #[arg(long, default_value_t = 5)]
        rounds: u32,
    },
    /// Load-test the confirmation queue: simulated affiliates label concurrently against a real server
    BenchQueue {
        /// Synthetic reports in the temporary install
        #[arg(long, default_value_t = 20_000)]
        reports: u64,
        /// Affiliates labeling at once
        #[arg(long, default_value_t = 50)]
        affiliates: usize,
        /// How long they label
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// Pause of each affiliate before each answer (0: as fast as the server answers)
        #[arg(long, default_value_t = 0)]
        think_ms: u64,
    },
    /// Benchmark the live HL7 feed (several senders at once over MLLP) and HL7 file import
    BenchFeed {
        /// Messages to send, all senders together
        #[arg(long, default_value_t = 20_000)]
        messages: u64,
        /// Senders sending at once, each waiting for each acknowledgement
        #[arg(long, default_value_t = 4)]
        senders: usize,
    },
    /// Read the audit log
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Manage API tokens
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(Debug, Subcommand)]
pub enum PredictionsCommand {
    /// Import a file of a model's predictions (CSV or JSON lines: accession or study_id, label
    /// and/or score, predicted_at); all or nothing, a study predicted again takes the new output
    Import {
        /// The project's name
        project: String,
        /// The model's name
        #[arg(long)]
        model: String,
        /// The model's version
        #[arg(long)]
        version: String,
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a user and print its secret (shown once)
    Create {
        user: String,
        /// What the token is for
        #[arg(long)]
        name: String,
        /// Limit the token to one project (by name)
        #[arg(long)]
        project: Option<String>,
        /// Days until it expires
        #[arg(long, default_value_t = 30)]
        days: i64,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Write audit events since a date as CSV, oldest first, for a compliance office
    Export {
        /// First day to include (YYYY-MM-DD, UTC)
        #[arg(long)]
        since: String,
        /// Output file; standard output when absent
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:3000]
    #[arg(long, env = "SIEVE_ADDR")]
    pub addr: Option<SocketAddr>,
    /// Directory of the browser bundle (bundle.txt and pkg/sieve.<hash>.js, .wasm, .css) [default: target/site]
    #[arg(long, env = "SIEVE_SITE_ROOT")]
    pub site_root: Option<PathBuf>,
    /// Create the demo project and its users (once) and print their sign-ins
    #[arg(long, env = "SIEVE_DEMO")]
    pub demo: bool,
    /// Mark the session cookie Secure: use it when Sieve is served over TLS
    #[arg(long, env = "SIEVE_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// The address users reach Sieve at, e.g. https://sieve.hospital.org (behind a proxy, the proxy's)
    #[arg(long, env = "SIEVE_PUBLIC_URL")]
    pub public_url: Option<PublicUrl>,
    /// A reverse proxy whose X-Forwarded-For names the client (repeat, or comma-separate in the variable)
    #[arg(
        long = "trusted-proxy",
        env = "SIEVE_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<IpAddr>,
    /// The largest upload of reports accepted, in MiB [default: 1024]
    #[arg(long, env = "SIEVE_MAX_UPLOAD_MB")]
    pub max_upload_mb: Option<u64>,
    /// Receive the live HL7 v2 feed over MLLP on this address, e.g. 0.0.0.0:2575 [default: no feed]
    #[arg(long, env = "SIEVE_MLLP_ADDR")]
    pub mllp_addr: Option<SocketAddr>,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; without --password-stdin a password is generated and printed once
    Add {
        name: String,
        /// admin manages users and projects; member gets roles per project
        #[arg(long, value_enum, default_value_t = SiteRole::Member)]
        role: SiteRole,
        /// Read the password from standard input (one line)
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a user's password (and lift a sign-in lockout)
    Passwd {
        name: String,
        /// Read the password from standard input (one line)
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable a user: they can no longer sign in and their sessions end
    Disable { name: String },
    /// List users
    List,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SiteRole {
    Admin,
    Member,
}

#[derive(Debug, Subcommand)]
pub enum ProjectCommand {
    /// Create a project for an approved IRB protocol
    Create {
        name: String,
        /// The IRB protocol number the project works under
        #[arg(long)]
        irb: String,
    },
    /// Give a user a role in a project (replacing the role they had)
    AddMember {
        project: String,
        user: String,
        #[arg(long, value_enum)]
        role: MemberRole,
    },
    /// Set the last valid day of a project's IRB protocol (after it, members see statistics only)
    Expire {
        project: String,
        /// Last valid day, YYYY-MM-DD
        #[arg(long, conflicts_with = "never", required_unless_present = "never")]
        on: Option<String>,
        /// Remove the end date
        #[arg(long)]
        never: bool,
    },
    /// Close a project: purge its reports and index, keeping its members, statistics and audit log
    Close {
        project: String,
        /// The project's name again, to confirm
        #[arg(long)]
        confirm: String,
    },
    /// List projects
    List,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MemberRole {
    Fellow,
    Affiliate,
    Scientist,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The project's name
    pub project: String,
    /// Files to import, each all or nothing
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Import the valid records and write the invalid ones to FILE.rejected.txt
    #[arg(long)]
    pub skip_invalid: bool,
    /// csv, jsonl or hl7, when the file names do not tell
    #[arg(long)]
    pub format: Option<String>,
    /// CSV column for a field, where the export names it differently (repeatable): report_text=REPORT_BODY
    #[arg(long = "map", value_name = "FIELD=COLUMN")]
    pub mappings: Vec<String>,
    /// The character set of CSV and JSON lines files without a byte-order mark, e.g. windows-1252 [default: utf-8]
    #[arg(long)]
    pub encoding: Option<String>,
}

#[derive(Debug, Args)]
pub struct GenCorpusArgs {
    /// How many reports to write
    #[arg(long, default_value_t = 1000)]
    pub reports: u64,
    /// Seed: the same seed always gives the same corpus
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output file (JSON lines); `-` for standard output
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct LabelArgs {
    /// A question's rules, CSV or YAML (repeat for several questions); a CSV file's name is its question
    #[arg(long, required = true)]
    pub rules: Vec<PathBuf>,
    /// Reports as JSON lines (each with `report_text` or `text`, and `accession` or `id`)
    #[arg(long)]
    pub reports: PathBuf,
    /// Where to write one JSON line per report and question
    #[arg(long)]
    pub out: PathBuf,
    /// Cue lists and section headers (YAML, as the project's text settings page shows them) [default: Sieve's]
    #[arg(long)]
    pub settings: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct EvaluateArgs {
    /// A question's rules, CSV or YAML (repeat for several questions); the file's name is the
    /// question's, and names the gold file's column
    #[arg(long, required = true)]
    pub rules: Vec<PathBuf>,
    /// Reports as JSON lines (each with `report_text` or `text`, and `accession` or `id`)
    #[arg(long)]
    pub reports: PathBuf,
    /// Gold labels as CSV: the first column the report's accession or id, then one column per
    /// question (1, true, yes or the positive label: positive; 0 or anything else: negative;
    /// empty: no gold for that question)
    #[arg(long)]
    pub gold: PathBuf,
    /// The label that counts as positive
    #[arg(long, default_value = "present")]
    pub positive: String,
    /// Cue lists and section headers (YAML, as the project's text settings page shows them) [default: Sieve's]
    #[arg(long)]
    pub settings: Option<PathBuf>,
    /// Where to write the disagreements (CSV: report, question, gold, label, rule, phrase, matched, status)
    #[arg(long, default_value = "disagreements.csv")]
    pub disagreements: PathBuf,
}
