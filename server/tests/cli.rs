//! The `sieve` binary as an operator uses it: commands, their output and their one-line errors.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn sieve(data_dir: &std::path::Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sieve"))
        .args(args)
        .env("SIEVE_DATA_DIR", data_dir)
        .env_remove("SIEVE_CONFIG")
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Asserts a failure with exactly one line on stderr, containing `expected`, and no panic.
#[track_caller]
fn assert_one_line_error(output: &Output, expected: &str) {
    let stderr = text(&output.stderr);
    assert!(!output.status.success(), "succeeded: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let lines: Vec<_> = stderr
        .lines()
        .filter(|line| line.starts_with("error: "))
        .collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].contains(expected),
        "expected {expected:?} in {stderr}"
    );
}

#[test]
fn users_and_projects_are_managed_from_the_command_line() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let added = sieve(
        &data,
        &[
            "user",
            "add",
            "maria",
            "--role",
            "admin",
            "--password-stdin",
        ],
        "a long password here\n",
    );
    assert!(added.status.success(), "{}", text(&added.stderr));
    let generated = sieve(&data, &["user", "add", "felix"], "");
    assert!(
        text(&generated.stdout).contains("password: "),
        "{}",
        text(&generated.stdout)
    );
    assert!(sieve(
        &data,
        &["project", "create", "Stroke CT", "--irb", "IRB-9"],
        ""
    )
    .status
    .success());
    let member = sieve(
        &data,
        &[
            "project",
            "add-member",
            "Stroke CT",
            "felix",
            "--role",
            "affiliate",
        ],
        "",
    );
    assert!(member.status.success(), "{}", text(&member.stderr));
    assert!(sieve(&data, &["user", "disable", "felix"], "")
        .status
        .success());

    let users = text(&sieve(&data, &["user", "list"], "").stdout);
    assert!(
        users.contains("maria") && users.contains("admin"),
        "{users}"
    );
    assert!(
        users
            .lines()
            .any(|line| line.starts_with("felix") && line.contains("disabled")),
        "{users}"
    );
    let projects = text(&sieve(&data, &["project", "list"], "").stdout);
    assert!(
        projects.contains("Stroke CT") && projects.contains("1 members"),
        "{projects}"
    );
}

#[test]
fn an_empty_password_from_stdin_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let output = sieve(
        &root.path().join("data"),
        &["user", "add", "maria", "--password-stdin"],
        "\n",
    );
    assert_one_line_error(&output, "password read from standard input is empty");
}

#[test]
fn an_unknown_role_or_user_is_named() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    sieve(&data, &["project", "create", "P", "--irb", "I"], "");
    let output = sieve(
        &data,
        &["project", "add-member", "P", "ghost", "--role", "fellow"],
        "",
    );
    assert_one_line_error(&output, "user \"ghost\" not found");
    let output = sieve(
        &data,
        &["project", "add-member", "P", "ghost", "--role", "chief"],
        "",
    );
    assert!(!output.status.success());
    assert!(text(&output.stderr).contains("invalid value 'chief'"));
}

#[test]
fn a_data_directory_that_cannot_exist_is_named() {
    let root = tempfile::tempdir().unwrap();
    let file = root.path().join("not-a-directory");
    std::fs::write(&file, "x").unwrap();
    let output = sieve(&file, &["user", "list"], "");
    assert_one_line_error(&output, "is not a directory");
    let output = sieve(
        &root.path().join("missing/deeper/data"),
        &["user", "list"],
        "",
    );
    assert_one_line_error(&output, "does not exist");
}

#[test]
fn a_corrupt_database_is_named() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(data.join("sieve.db"), vec![7u8; 4096]).unwrap();
    let output = sieve(&data, &["serve", "--addr", "127.0.0.1:0"], "");
    assert_one_line_error(&output, "is not a database");
}

#[test]
fn a_port_in_use_is_named() {
    let root = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let output = sieve(&root.path().join("data"), &["serve", "--addr", &addr], "");
    assert_one_line_error(&output, &format!("cannot listen on {addr}"));
}

#[test]
fn gen_corpus_writes_json_lines_that_parse_as_reports() {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("corpus.jsonl");
    let output = sieve(
        &root.path().join("data"),
        &[
            "gen-corpus",
            "--reports",
            "50",
            "--seed",
            "4",
            "--out",
            out.to_str().unwrap(),
        ],
        "",
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let lines: Vec<_> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(lines.len(), 50);
    for line in lines {
        let report: sieve_core::reports::NewReport = serde_json::from_str(&line).unwrap();
        report.validate().unwrap();
    }
}

#[test]
fn every_command_has_help() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["user", "add", "--help"],
        vec!["user", "passwd", "--help"],
        vec!["user", "disable", "--help"],
        vec!["project", "create", "--help"],
        vec!["project", "add-member", "--help"],
        vec!["gen-corpus", "--help"],
        vec!["audit", "export", "--help"],
        vec!["project", "expire", "--help"],
        vec!["project", "close", "--help"],
        vec!["token", "create", "--help"],
    ] {
        let output = sieve(&data, &args, "");
        assert!(output.status.success(), "{args:?}");
        assert!(text(&output.stdout).contains("Usage: sieve"), "{args:?}");
    }
}

#[test]
fn the_audit_log_exports_as_csv_since_a_day() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    sieve(&data, &["project", "create", "P", "--irb", "IRB-7"], "");
    let out = root.path().join("audit.csv");
    let output = sieve(
        &data,
        &[
            "audit",
            "export",
            "--since",
            "2020-01-01",
            "--out",
            out.to_str().unwrap(),
        ],
        "",
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let csv = std::fs::read_to_string(&out).unwrap();
    assert!(csv.starts_with("id,time_utc,actor,action,project_id,project,object,detail"));
    assert!(csv.contains("project_created"), "{csv}");
    let future = sieve(&data, &["audit", "export", "--since", "2999-01-01"], "");
    assert_eq!(text(&future.stdout).lines().count(), 1, "only the header");
    assert_one_line_error(
        &sieve(&data, &["audit", "export", "--since", "last week"], ""),
        "is not a date",
    );
}

#[test]
fn a_protocol_expires_and_a_project_closes_from_the_command_line() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    sieve(
        &data,
        &["project", "create", "Stroke CT", "--irb", "IRB-9"],
        "",
    );
    let expired = sieve(
        &data,
        &["project", "expire", "Stroke CT", "--on", "2026-12-31"],
        "",
    );
    assert!(
        text(&expired.stdout).contains("valid through 2026-12-31"),
        "{}",
        text(&expired.stderr)
    );
    let refused = sieve(
        &data,
        &["project", "close", "Stroke CT", "--confirm", "stroke"],
        "",
    );
    assert_one_line_error(&refused, "type the project's name");
    let closed = sieve(
        &data,
        &["project", "close", "Stroke CT", "--confirm", "Stroke CT"],
        "",
    );
    assert!(
        text(&closed.stdout).contains("0 reports and its index purged"),
        "{}",
        text(&closed.stderr)
    );
}

#[test]
fn a_token_is_created_from_the_command_line_and_shown_once() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    sieve(
        &data,
        &["user", "add", "sam", "--password-stdin"],
        "a long password here\n",
    );
    let output = sieve(
        &data,
        &["token", "create", "sam", "--name", "cron", "--days", "7"],
        "",
    );
    let secret = text(&output.stdout);
    assert!(
        secret.trim().starts_with("sieve_") && secret.trim().len() == 70,
        "{secret}"
    );
    let refused = sieve(
        &data,
        &["token", "create", "sam", "--name", "cron", "--days", "9999"],
        "",
    );
    assert_one_line_error(&refused, "validity");
}

#[test]
fn the_offline_labeler_labels_a_report_file_and_refuses_a_bad_rule_file_by_line() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path();
    let rules = dir.join("Pneumothorax.csv");
    std::fs::write(
        &rules,
        "phrase,label,negation,negated_label,uncertain_label\npneumothorax,present,route,absent,uncertain\n",
    )
    .unwrap();
    let reports = dir.join("reports.jsonl");
    std::fs::write(
        &reports,
        concat!(
            r#"{"accession":"A1","report_text":"FINDINGS: No pneumothorax."}"#,
            "\n",
            r#"{"accession":"A2","report_text":"Small left Pneumothorax."}"#,
            "\n",
            r#"{"accession":"A3","report_text":"Clear lungs."}"#,
            "\n"
        ),
    )
    .unwrap();
    let out = dir.join("labels.jsonl");
    let path = |p: &std::path::Path| p.display().to_string();
    let args = [
        "label",
        "--rules",
        &path(&rules),
        "--reports",
        &path(&reports),
        "--out",
        &path(&out),
    ];
    let output = sieve(&dir.join("unused"), &args, "");
    assert!(output.status.success(), "{}", text(&output.stderr));
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["label"], "absent");
    assert_eq!(lines[0]["status"], "negated");
    assert_eq!(lines[0]["matched"], "pneumothorax");
    assert_eq!(lines[1]["label"], "present");
    assert_eq!(lines[1]["span"], serde_json::json!([11, 23]));
    assert_eq!(lines[1]["question"], "Pneumothorax");
    assert!(lines[2]["label"].is_null());

    std::fs::write(
        &rules,
        "phrase,label\npneumothorax,present\neff*usion,present\n",
    )
    .unwrap();
    std::fs::remove_file(&out).unwrap();
    let output = sieve(&dir.join("unused"), &args, "");
    let stderr = text(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("Pneumothorax.csv:3: phrase:"), "{stderr}");
    assert!(!out.exists(), "no output is left behind");

    std::fs::write(&rules, "phrase,label\npneumothorax,present\n").unwrap();
    std::fs::write(
        &reports,
        "{\"accession\":\"A1\",\"report_text\":\"ok\"}\nnot json\n",
    )
    .unwrap();
    let output = sieve(&dir.join("unused"), &args, "");
    assert_one_line_error(&output, "reports.jsonl:2: not a report as JSON");
    assert!(!out.exists(), "no partial output is left behind");
}

#[test]
fn agreement_of_annotations_from_any_tool_is_printed_as_a_table_or_json() {
    let root = tempfile::tempdir().unwrap();
    let file = root.path().join("annotations.csv");
    std::fs::write(
        &file,
        "item,rater,label\n1,a,yes\n1,b,yes\n2,a,yes\n2,b,yes\n3,a,no\n3,b,no\n4,a,yes\n4,b,no\n5,a,\n",
    )
    .unwrap();
    let path = file.display().to_string();
    let output = sieve(&root.path().join("unused"), &["agreement", &path], "");
    let table = text(&output.stdout);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        table.contains("4 items, 2 raters, 8 ratings; labels: yes, no"),
        "{table}"
    );
    assert!(table.contains("Cohen's kappa"), "{table}");
    assert!(table.contains("a – b"), "{table}");
    let output = sieve(
        &root.path().join("unused"),
        &["agreement", &path, "--json"],
        "",
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["pairs"][0]["cohen_kappa"]["value"], 0.5);
    assert_eq!(json["pairs"][0]["cohen_kappa"]["items"], 4);

    std::fs::write(&file, "item,rater,label\n1,a,yes\n1,a,no\n").unwrap();
    let output = sieve(&root.path().join("unused"), &["agreement", &path], "");
    assert_one_line_error(&output, "annotations.csv:3: a rated 1 twice");
}

#[test]
fn evaluate_scores_rules_against_a_gold_file_and_writes_the_disagreements() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let path = |p: &std::path::Path| p.display().to_string();
    let rules = dir.join("Cardiomegaly.csv");
    std::fs::write(
        &rules,
        "priority,phrase,label,negation,negated_label,uncertain_label\n\
         1,cardiomegaly,present,route,absent,uncertain\n2,heart size,present,route,absent,uncertain\n",
    )
    .unwrap();
    let reports = dir.join("reports.jsonl");
    std::fs::write(
        &reports,
        [
            r#"{"id":"R1","report_text":"FINDINGS: Heart size is normal."}"#,
            r#"{"id":"R2","report_text":"FINDINGS: Cardiomegaly with normal pulmonary vasculature."}"#,
            r#"{"id":"R3","report_text":"FINDINGS: Cardiomegaly cannot be excluded."}"#,
            r#"{"id":"R4","report_text":"IMPRESSION: Enlarged heart size."}"#,
            r#"{"id":"R5","report_text":"No gold row for this one."}"#,
        ]
        .join("\n"),
    )
    .unwrap();
    let gold = dir.join("gold.csv");
    // R4 is enlarged but the gold says not (a disagreement); R3 uncertain is not "present".
    std::fs::write(&gold, "report_id,Cardiomegaly\nR1,0\nR2,1\nR3,1\nR4,0\n").unwrap();
    let disagreements = dir.join("disagreements.csv");
    let args = [
        "evaluate",
        "--rules",
        &path(&rules),
        "--reports",
        &path(&reports),
        "--gold",
        &path(&gold),
        "--disagreements",
        &path(&disagreements),
    ];
    let output = sieve(&dir.join("unused"), &args, "");
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{}", text(&output.stderr));
    // TP 1 (R2), FP 1 (R4), FN 1 (R3): precision, recall and F1 all 0.5.
    let row = stdout
        .lines()
        .find(|line| line.starts_with("Cardiomegaly"))
        .unwrap();
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(
        cells[1..],
        ["4", "2", "1", "1", "1", "0.500", "0.500", "0.500"],
        "{stdout}"
    );
    assert!(
        stdout.contains("1 reports without a gold row left out"),
        "{stdout}"
    );
    let written = std::fs::read_to_string(&disagreements).unwrap();
    assert!(written.starts_with("report,question,gold,label,rule,phrase,matched,status\n"));
    assert!(
        written
            .contains("R3,Cardiomegaly,positive,uncertain,1,cardiomegaly,Cardiomegaly,uncertain"),
        "{written}"
    );
    assert!(
        written.contains("R4,Cardiomegaly,negative,present,2,heart size,heart size,affirmed"),
        "{written}"
    );

    // A misspelled label can never be positive: said, not scored silently as zero.
    std::fs::write(&rules, "phrase,label\ncardiomegaly,presnt\n").unwrap();
    let output = sieve(&dir.join("unused"), &args, "");
    assert!(text(&output.stderr).contains(
        "no rule of \"Cardiomegaly\" gives the label \"present\" (its rules give presnt)"
    ));
    // A gold file without the question's column names the columns it has.
    std::fs::write(&gold, "report_id,Effusion\nR1,0\n").unwrap();
    let output = sieve(&dir.join("unused"), &args, "");
    assert_one_line_error(&output, "has no column for the question \"Cardiomegaly\"");
}
