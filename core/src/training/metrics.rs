//! What a job measured, as its script wrote it into `output/metrics.json`: every number in the
//! file, named by its path, so that the jobs page can show any script's metrics without knowing
//! their shape (`splits.test.accuracy`, `validation_macro_f1` …).

use std::io::Read;

use super::{Job, OUTPUT};

/// The file a training script writes its metrics to, in its output directory.
pub const METRICS: &str = "metrics.json";

/// A metrics file larger than this is not read (it is not a summary).
const MAX_BYTES: u64 = 1 << 20;

/// At most this many numbers are shown.
const MAX_NUMBERS: usize = 200;

/// A number a job reported, named by its path in the file.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Metric {
    /// Object keys joined by `.`, array positions as `[n]`: `splits.test.accuracy`.
    pub name: String,
    pub value: f64,
}

/// Every number in the job's `output/metrics.json`, by path (sorted), at most 200. Empty when the
/// job wrote none, wrote something that is not JSON, or wrote more than 1 MiB. The job writes its
/// output directory, so only a plain file is read: a symbolic link is not followed, and a named
/// pipe (which would block the reader) is not waited on. Blocking: call it off the async runtime.
pub fn metrics(job: &Job) -> Vec<Metric> {
    read(&job.dir.join(OUTPUT).join(METRICS))
}

fn read(path: &std::path::Path) -> Vec<Metric> {
    use std::os::unix::fs::OpenOptionsExt;
    let opened = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path);
    let Ok(file) = opened else {
        return Vec::new();
    };
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return Vec::new();
    }
    let mut text = Vec::new();
    if file.take(MAX_BYTES + 1).read_to_end(&mut text).is_err() || text.len() as u64 > MAX_BYTES {
        return Vec::new();
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(&text) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    numbers(&value, String::new(), &mut found);
    found.truncate(MAX_NUMBERS);
    found
}

fn numbers(value: &serde_json::Value, path: String, found: &mut Vec<Metric>) {
    use serde_json::Value;
    match value {
        Value::Number(number) => {
            if let Some(value) = number.as_f64() {
                found.push(Metric { name: path, value });
            }
        }
        Value::Object(fields) => {
            for (key, value) in fields {
                let name = match path.is_empty() {
                    true => key.clone(),
                    false => format!("{path}.{key}"),
                };
                numbers(value, name, found);
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                numbers(item, format!("{path}[{index}]"), found);
            }
        }
        Value::Null | Value::Bool(_) | Value::String(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_number_is_named_by_its_path() {
        let value = serde_json::json!({
            "question": "Pleural effusion",
            "alpha": 0.5,
            "splits": {"test": {"accuracy": 0.9, "studies": 20, "macro_f1": null}},
            "curve": [0.1, 0.2]
        });
        let mut found = Vec::new();
        numbers(&value, String::new(), &mut found);
        let named: Vec<(&str, f64)> = found.iter().map(|m| (m.name.as_str(), m.value)).collect();
        assert_eq!(
            named,
            [
                ("alpha", 0.5),
                ("curve[0]", 0.1),
                ("curve[1]", 0.2),
                ("splits.test.accuracy", 0.9),
                ("splits.test.studies", 20.0),
            ]
        );
    }

    #[test]
    fn a_named_pipe_or_a_link_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let pipe = dir.path().join(METRICS);
        let made = std::process::Command::new("mkfifo").arg(&pipe).status();
        assert!(made.unwrap().success());
        // Returns at once: nothing will ever write to the pipe.
        assert!(read(&pipe).is_empty());
        let real = dir.path().join("real.json");
        std::fs::write(&real, r#"{"accuracy": 0.9}"#).unwrap();
        assert_eq!(read(&real).len(), 1);
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        assert!(read(&link).is_empty());
    }
}
