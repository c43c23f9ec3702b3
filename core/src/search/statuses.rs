//! The word statuses of every indexed report ([`crate::labeling::statuses`]) under the text
//! settings they were read with: kept beside the project's index in one append-only file, and
//! in memory while the index is open.
//!
//! The file starts with the settings (JSON) and holds records: a report's encoded statuses, and
//! commits (the report revision covered, and for a store being rebuilt the highest report id read
//! so far). Whatever follows the last commit is cut off when the file is opened, so a crash loses
//! only uncommitted work and a rebuild resumes after its last commit. A later record of a report
//! replaces an earlier one.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{RwLock, RwLockReadGuard};

use crate::labeling::statuses::Marker;
use crate::labeling::TextSettings;
use crate::{Error, Result};

const MAGIC: &[u8] = b"SIEVE-WORD-STATUSES-1\n";
const REPORT: u8 = b'r';
const COMMIT: u8 = b'c';
/// The `done_to` of a store that covers every report up to its revision.
const COMPLETE: i64 = i64::MAX;

/// A project's word statuses under one version of its text settings.
pub struct StatusStore {
    path: PathBuf,
    pub settings: TextSettings,
    /// The settings as JSON: part of the key of every rule match read from this store.
    pub settings_json: String,
    /// The settings' [`crate::questions::fingerprint`]: which reading soft labels were computed
    /// from, so a page can tell when it shows labels of an earlier one.
    pub fingerprint: String,
    marker: Marker,
    inner: RwLock<Statuses>,
}

/// Report ids hashed by one multiplication (Fibonacci hashing): the ids are the database's own,
/// not chosen by an attacker, and the lookup is on the path of every mention a rule checks.
#[derive(Default, Clone, Copy)]
struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(byte)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u32(&mut self, id: u32) {
        self.0 = u64::from(id).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type ById = HashMap<u32, (u32, u32), std::hash::BuildHasherDefault<IdHasher>>;

/// The statuses in memory: the file's bytes, and where each report's record is in them.
pub struct Statuses {
    data: Vec<u8>,
    at: ById,
    revision: i64,
    done_to: i64,
    file: BufWriter<File>,
}

impl Statuses {
    /// The encoded word statuses of a report, if the store has them.
    pub fn get(&self, report_id: u32) -> Option<&[u8]> {
        let &(start, len) = self.at.get(&report_id)?;
        self.data.get(start as usize..(start + len) as usize)
    }
}

fn invalid(path: &Path, what: &str) -> Error {
    Error::Internal(format!("word statuses {}: {what}", path.display()))
}

impl StatusStore {
    /// Creates an empty store in `path` (replacing any file there) for `settings`.
    pub fn create(path: &Path, settings: &TextSettings) -> Result<StatusStore> {
        let settings_json = serde_json::to_string(settings).expect("settings serialise");
        let mut data = MAGIC.to_vec();
        data.extend((settings_json.len() as u32).to_le_bytes());
        data.extend(settings_json.as_bytes());
        let mut file = File::create(path)?;
        file.write_all(&data)?;
        file.sync_all()?;
        Self::with(path, settings.clone(), settings_json, data, file)
    }

    fn with(
        path: &Path,
        settings: TextSettings,
        settings_json: String,
        data: Vec<u8>,
        file: File,
    ) -> Result<StatusStore> {
        let marker = Marker::new(&settings).map_err(|error| invalid(path, &error.to_string()))?;
        Ok(StatusStore {
            path: path.to_path_buf(),
            fingerprint: crate::questions::fingerprint(&settings),
            settings,
            settings_json,
            marker,
            inner: RwLock::new(Statuses {
                data,
                at: ById::default(),
                revision: 0,
                done_to: 0,
                file: BufWriter::new(file),
            }),
        })
    }

    /// Opens the store in `path`, dropping what follows its last commit; `None` when there is no
    /// file or it cannot be read (the store is then built again from the database).
    pub fn open(path: &Path) -> Result<Option<StatusStore>> {
        let mut data = Vec::new();
        match File::open(path) {
            Ok(mut file) => file.read_to_end(&mut data)?,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(error.into()),
        };
        match Self::read(path, data) {
            Ok(store) => Ok(Some(store)),
            Err(error) => {
                tracing::warn!(%error, "word statuses unreadable: they are read again from the reports");
                Ok(None)
            }
        }
    }

    fn read(path: &Path, mut data: Vec<u8>) -> Result<StatusStore> {
        let bad = || invalid(path, "not a word-status file");
        let rest = data.strip_prefix(MAGIC).ok_or_else(bad)?;
        let len = u32::from_le_bytes(rest.get(..4).ok_or_else(bad)?.try_into().expect("4 bytes"));
        let header_end = MAGIC.len() + 4 + len as usize;
        let settings_json =
            std::str::from_utf8(data.get(MAGIC.len() + 4..header_end).ok_or_else(bad)?)
                .map_err(|_| bad())?
                .to_string();
        let settings: TextSettings = serde_json::from_str(&settings_json).map_err(|_| bad())?;
        let (mut at, mut committed) = (ById::default(), ById::default());
        let (mut revision, mut done_to, mut valid_end) = (0, 0, header_end);
        let mut cursor = header_end;
        while cursor < data.len() {
            let Some(step) = record(&data, cursor) else {
                break;
            };
            match step {
                Record::Report { id, start, len } => {
                    at.insert(id, (start as u32, len as u32));
                }
                Record::Commit {
                    revision: r,
                    done_to: d,
                } => {
                    committed.extend(at.drain());
                    (revision, done_to) = (r, d);
                    valid_end = record_end(&data, cursor);
                }
            }
            cursor = record_end(&data, cursor);
        }
        data.truncate(valid_end);
        let file = OpenOptions::new().write(true).open(path)?;
        file.set_len(valid_end as u64)?;
        let mut file = file;
        std::io::Seek::seek(&mut file, std::io::SeekFrom::End(0))?;
        let store = Self::with(path, settings, settings_json, data, file)?;
        {
            let mut inner = store.write();
            inner.at = committed;
            (inner.revision, inner.done_to) = (revision, done_to);
        }
        Ok(store)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Statuses> {
        self.inner
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The statuses, for reading (appends wait until the guard is dropped).
    pub fn read_all(&self) -> RwLockReadGuard<'_, Statuses> {
        self.inner
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The report revision the store covers (committed).
    pub fn revision(&self) -> i64 {
        self.read_all().revision
    }

    /// Whether the store covers every report up to its revision; otherwise a rebuild has read the
    /// reports up to [`StatusStore::done_to`] so far.
    pub fn complete(&self) -> bool {
        self.read_all().done_to == COMPLETE
    }

    /// The highest report id a rebuild has read so far.
    pub fn done_to(&self) -> i64 {
        self.read_all().done_to
    }

    /// Reads `reports` (id, text) with the store's settings and adds their statuses (uncommitted):
    /// the reading runs on every core.
    pub fn add(&self, reports: &[(i64, impl AsRef<str> + Sync)]) -> Result<()> {
        let marked = crate::soft_labels::on_all_cores(reports, |part| {
            let mut out = Vec::with_capacity(part.len());
            let mut bytes = Vec::new();
            for (id, text) in part {
                bytes.clear();
                self.marker.mark(text.as_ref(), &mut bytes);
                out.push((*id as u32, bytes.clone()));
            }
            out
        });
        let mut inner = self.write();
        for (id, bytes) in marked.iter().flatten() {
            let mut record = Vec::with_capacity(bytes.len() + 9);
            record.push(REPORT);
            record.extend(id.to_le_bytes());
            record.extend((bytes.len() as u32).to_le_bytes());
            record.extend(bytes);
            inner.file.write_all(&record)?;
            let start = inner.data.len() + 9;
            inner.data.extend(&record);
            inner.at.insert(*id, (start as u32, bytes.len() as u32));
        }
        Ok(())
    }

    /// Drops what was added since the last commit (from memory and from the file).
    pub fn rollback(&self) -> Result<()> {
        let mut inner = self.write();
        inner.file.flush()?;
        let data = std::fs::read(&self.path)?;
        let committed = Self::read(&self.path, data)?;
        *inner = committed
            .inner
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Ok(())
    }

    /// Commits what was added: the store now covers `revision` (and, while rebuilding, the reports
    /// up to id `done_to`; `None`: all of them).
    pub fn commit(&self, revision: i64, done_to: Option<i64>) -> Result<()> {
        let done_to = done_to.unwrap_or(COMPLETE);
        let mut inner = self.write();
        let mut record = vec![COMMIT];
        record.extend(revision.to_le_bytes());
        record.extend(done_to.to_le_bytes());
        inner.file.write_all(&record)?;
        inner.file.flush()?;
        inner.file.get_ref().sync_data()?;
        inner.data.extend(&record);
        (inner.revision, inner.done_to) = (revision, done_to);
        Ok(())
    }

    /// Moves the store's file to `path` (a rebuilt store taking the place of the old one).
    pub fn rename(&mut self, path: &Path) -> Result<()> {
        std::fs::rename(&self.path, path)?;
        self.path = path.to_path_buf();
        Ok(())
    }
}

enum Record {
    Report { id: u32, start: usize, len: usize },
    Commit { revision: i64, done_to: i64 },
}

/// The record at `at`; `None` when it is cut short or unknown (the end of what was written).
fn record(data: &[u8], at: usize) -> Option<Record> {
    let u32_at = |from: usize| {
        Some(u32::from_le_bytes(
            data.get(from..from + 4)?.try_into().ok()?,
        ))
    };
    let i64_at = |from: usize| {
        Some(i64::from_le_bytes(
            data.get(from..from + 8)?.try_into().ok()?,
        ))
    };
    match *data.get(at)? {
        REPORT => {
            let (id, len) = (u32_at(at + 1)?, u32_at(at + 5)? as usize);
            data.get(at + 9..at + 9 + len)?;
            Some(Record::Report {
                id,
                start: at + 9,
                len,
            })
        }
        COMMIT => Some(Record::Commit {
            revision: i64_at(at + 1)?,
            done_to: i64_at(at + 9)?,
        }),
        _ => None,
    }
}

fn record_end(data: &[u8], at: usize) -> usize {
    match data[at] {
        REPORT => {
            at + 9 + u32::from_le_bytes(data[at + 5..at + 9].try_into().expect("4 bytes")) as usize
        }
        _ => at + 17,
    }
}

/// Soft labels from earlier text settings, and how far reading the reports again has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stale {
    /// (reports read, reports in all), once the rebuild has started.
    pub rebuild: Option<(u64, u64)>,
}

impl Stale {
    /// What a fellow reads above the soft labels.
    pub fn describe(&self) -> String {
        let progress = match self.rebuild {
            Some((done, total)) if total > 0 => format!(
                " ({}: {done} of {total} reports)",
                format_args!("{} %", done * 100 / total)
            ),
            _ => " (starting)".to_string(),
        };
        format!(
            "The cue lists or section headers changed: every report is being read again with the new ones{progress}. \
             Until it finishes, rules that read negation or sections show the soft labels of the earlier lists."
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_reopens_with_what_was_committed_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("statuses.bin");
        let store = StatusStore::create(&path, &TextSettings::default()).unwrap();
        store.add(&[(1, "No effusion."), (2, "Effusion.")]).unwrap();
        store.commit(5, None).unwrap();
        store.add(&[(3, "Possible effusion.")]).unwrap();
        store.add(&[(1, "Effusion.")]).unwrap();
        let two = store.read_all().get(2).unwrap().to_vec();
        drop(store);
        let reopened = StatusStore::open(&path).unwrap().unwrap();
        assert_eq!(reopened.revision(), 5);
        assert!(reopened.complete());
        let statuses = reopened.read_all();
        assert!(statuses.get(3).is_none(), "uncommitted record kept");
        assert_ne!(
            statuses.get(1).unwrap(),
            two.as_slice(),
            "uncommitted replacement kept"
        );
        assert_eq!(statuses.get(2).unwrap(), two.as_slice());
        drop(statuses);
        reopened.add(&[(4, "Pneumothorax.")]).unwrap();
        reopened.commit(6, Some(4)).unwrap();
        drop(reopened);
        let again = StatusStore::open(&path).unwrap().unwrap();
        assert_eq!((again.revision(), again.done_to()), (6, 4));
        assert!(again.read_all().get(4).is_some() && again.read_all().get(3).is_none());
        std::fs::write(&path, b"garbage").unwrap();
        assert!(StatusStore::open(&path).unwrap().is_none());
    }
}
