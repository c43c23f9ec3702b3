//! Pseudonymous patient references: a keyed hash (HMAC-SHA-256) of the hospital's identifier, with a
//! per-install secret that never leaves the server. Each project hashes with a key of its own,
//! derived from the install's secret and the project's salt: the same patient gets the same
//! reference within a project (so splits by patient work) and unrelated ones in two projects (so
//! label sets of two protocols cannot be joined on it), and nobody without the key can link it
//! back. Projects that held reports before keys were per project keep the install's key (see
//! `migrations/0010_project_pseudonym_keys_and_claim_tokens.sql`).

use std::io::Write;
use std::path::Path;

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use sqlx::SqliteExecutor;

use crate::{Error, Result};

const KEY_FILE: &str = "pseudonym.key";
const KEY_BYTES: usize = 32;
/// What a project's key is derived for, so that no other use of the install's key can produce it.
const PROJECT_KEY_CONTEXT: &[u8] = b"sieve project pseudonym key\0";

/// Turns clear patient identifiers into pseudonyms.
#[derive(Clone)]
pub struct Pseudonymizer {
    key: [u8; KEY_BYTES],
}

impl std::fmt::Debug for Pseudonymizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pseudonymizer { key: <secret> }")
    }
}

impl Pseudonymizer {
    /// Reads the install's key from the data directory, creating it (readable by the server's
    /// user only) on first use.
    pub fn load_or_create(data_dir: &Path) -> Result<Self> {
        let path = data_dir.join(KEY_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => {
                let key: [u8; KEY_BYTES] = bytes.try_into().map_err(|_| {
                    Error::Internal(format!(
                        "{} is damaged: it must hold exactly {KEY_BYTES} bytes",
                        path.display()
                    ))
                })?;
                Ok(Pseudonymizer { key })
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; KEY_BYTES];
                rand::rngs::OsRng.fill_bytes(&mut key);
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let mut file = options.open(&path)?;
                file.write_all(&key)?;
                file.sync_all()?;
                Ok(Pseudonymizer { key })
            }
            Err(error) => Err(error.into()),
        }
    }

    /// A pseudonymizer with a given key, for tests.
    pub fn with_key(key: [u8; KEY_BYTES]) -> Self {
        Pseudonymizer { key }
    }

    /// Returns the pseudonymizer of a project with this salt (`projects.pseudonym_salt`): keyed with
    /// HMAC(install key, context ‖ salt). Without a salt, the install's own key.
    pub fn for_salt(&self, salt: Option<&str>) -> Pseudonymizer {
        let Some(salt) = salt else {
            return self.clone();
        };
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes a key of any length");
        mac.update(PROJECT_KEY_CONTEXT);
        mac.update(salt.as_bytes());
        Pseudonymizer {
            key: mac.finalize().into_bytes().into(),
        }
    }

    /// Returns the pseudonymizer of a project, as its stored salt says.
    pub async fn of_project(
        &self,
        executor: impl SqliteExecutor<'_>,
        project_id: i64,
    ) -> Result<Pseudonymizer> {
        let salt = sqlx::query_scalar!(
            "SELECT pseudonym_salt FROM projects WHERE id = ?",
            project_id
        )
        .fetch_optional(executor)
        .await?
        .ok_or_else(|| Error::NotFound(format!("project {project_id}")))?;
        Ok(self.for_salt(salt.as_deref()))
    }

    /// Returns the pseudonym of a patient identifier: `P` and 24 hex digits (96 bits).
    pub fn pseudonym(&self, patient_id: &str) -> String {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes a key of any length");
        mac.update(patient_id.trim().as_bytes());
        let digest = mac.finalize().into_bytes();
        format!("P{}", hex::encode(&digest[..12]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_are_stable_per_key_and_hide_the_identifier() {
        let one = Pseudonymizer::with_key([1; 32]);
        let other = Pseudonymizer::with_key([2; 32]);
        assert_eq!(one.pseudonym("MRN-12345"), one.pseudonym("MRN-12345"));
        assert_ne!(one.pseudonym("MRN-12345"), one.pseudonym("MRN-12346"));
        assert_ne!(one.pseudonym("MRN-12345"), other.pseudonym("MRN-12345"));
        assert!(!one.pseudonym("MRN-12345").contains("12345"));
        assert_eq!(one.pseudonym("MRN-12345").len(), 25);
    }

    #[test]
    fn each_salt_keys_its_own_pseudonyms_and_no_salt_keeps_the_install_key() {
        let install = Pseudonymizer::with_key([1; 32]);
        let one = install.for_salt(Some("aa"));
        let other = install.for_salt(Some("bb"));
        assert_eq!(
            one.pseudonym("MRN-1"),
            install.for_salt(Some("aa")).pseudonym("MRN-1")
        );
        assert_ne!(one.pseudonym("MRN-1"), other.pseudonym("MRN-1"));
        assert_ne!(one.pseudonym("MRN-1"), install.pseudonym("MRN-1"));
        assert_eq!(
            install.for_salt(None).pseudonym("MRN-1"),
            install.pseudonym("MRN-1")
        );
        let another_install = Pseudonymizer::with_key([2; 32]).for_salt(Some("aa"));
        assert_ne!(one.pseudonym("MRN-1"), another_install.pseudonym("MRN-1"));
    }

    #[test]
    fn the_key_is_created_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let first = Pseudonymizer::load_or_create(dir.path()).unwrap();
        let again = Pseudonymizer::load_or_create(dir.path()).unwrap();
        assert_eq!(first.pseudonym("x"), again.pseudonym("x"));
    }
}
