//! The server's configuration: command-line flags, then environment variables (both through clap),
//! then `sieve.toml`, then the embedded defaults.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sieve_app::ssr::PublicUrl;

use crate::cli::{GlobalArgs, ServeArgs};

pub const DEFAULT_ADDR: &str = "127.0.0.1:3000";
pub const DEFAULT_DATA_DIR: &str = "data";
pub const DEFAULT_SITE_ROOT: &str = "target/site";
const DEFAULT_CONFIG_FILE: &str = "sieve.toml";
/// The largest upload of reports, in MiB: a year of a large hospital's reports, uncompressed.
pub const DEFAULT_MAX_UPLOAD_MB: u64 = 1024;

/// The resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    pub site_root: PathBuf,
    pub demo: bool,
    /// Asked for; the cookie is also `Secure` when the public URL is https (see `router::sessions`).
    pub secure_cookies: bool,
    /// Where users reach Sieve (see `sieve_app::ssr::PublicUrl`); `None`: its own address only.
    pub public_url: Option<PublicUrl>,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
    pub session_idle_minutes: i64,
    pub session_absolute_hours: i64,
    /// The largest upload of reports accepted, in MiB.
    pub max_upload_mb: u64,
    /// Where the live HL7 feed is received over MLLP; `None` (the default): no feed.
    pub mllp_addr: Option<SocketAddr>,
}

/// What `sieve.toml` may set; every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    addr: Option<SocketAddr>,
    data_dir: Option<PathBuf>,
    site_root: Option<PathBuf>,
    demo: Option<bool>,
    secure_cookies: Option<bool>,
    public_url: Option<String>,
    trusted_proxies: Option<Vec<IpAddr>>,
    session_idle_minutes: Option<i64>,
    session_absolute_hours: Option<i64>,
    max_upload_mb: Option<u64>,
    mllp_addr: Option<SocketAddr>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration file {0}: {1}")]
    Read(PathBuf, std::io::Error),
    #[error("the configuration file {0} is not valid: {1}")]
    Parse(PathBuf, String),
    #[error("the configuration file {0}: {1}")]
    Invalid(PathBuf, String),
    #[error("cannot resolve the data directory {0}: {1}")]
    DataDir(PathBuf, std::io::Error),
}

/// Resolves a configured path against the working directory (it need not exist yet).
fn absolute(path: PathBuf) -> Result<PathBuf, ConfigError> {
    std::path::absolute(&path).map_err(|error| ConfigError::DataDir(path, error))
}

impl Config {
    /// Resolves the configuration for any command (`serve` adds its own flags).
    pub fn load(global: &GlobalArgs, serve: Option<&ServeArgs>) -> Result<Config, ConfigError> {
        let (file, path) = read_file(global.config.as_deref())?;
        let public_url = match serve.and_then(|s| s.public_url.clone()) {
            Some(url) => Some(url),
            None => (file.public_url.as_deref())
                .map(str::parse::<PublicUrl>)
                .transpose()
                .map_err(|message| ConfigError::Invalid(path.clone(), message))?,
        };
        let trusted_proxies = match serve.map(|s| s.trusted_proxies.clone()) {
            Some(proxies) if !proxies.is_empty() => proxies,
            _ => file.trusted_proxies.unwrap_or_default(),
        };
        let config = Config {
            addr: serve
                .and_then(|s| s.addr)
                .or(file.addr)
                .unwrap_or_else(|| DEFAULT_ADDR.parse().expect("the default address parses")),
            // Absolute from here on: the data directory's paths go into job scripts and to other
            // processes, which run elsewhere than Sieve's working directory.
            data_dir: absolute(
                global
                    .data_dir
                    .clone()
                    .or(file.data_dir)
                    .unwrap_or_else(|| DEFAULT_DATA_DIR.into()),
            )?,
            site_root: serve
                .and_then(|s| s.site_root.clone())
                .or(file.site_root)
                .unwrap_or_else(|| DEFAULT_SITE_ROOT.into()),
            demo: serve.is_some_and(|s| s.demo) || file.demo.unwrap_or(false),
            secure_cookies: serve.is_some_and(|s| s.secure_cookies)
                || file.secure_cookies.unwrap_or(false),
            public_url,
            trusted_proxies,
            session_idle_minutes: file.session_idle_minutes.unwrap_or(60),
            session_absolute_hours: file.session_absolute_hours.unwrap_or(12),
            max_upload_mb: serve
                .and_then(|s| s.max_upload_mb)
                .or(file.max_upload_mb)
                .unwrap_or(DEFAULT_MAX_UPLOAD_MB),
            mllp_addr: serve.and_then(|s| s.mllp_addr).or(file.mllp_addr),
        };
        if config.max_upload_mb < 1 {
            return Err(ConfigError::Invalid(
                path,
                "max_upload_mb must be at least 1".into(),
            ));
        }
        if config.session_idle_minutes < 1 || config.session_absolute_hours < 1 {
            return Err(ConfigError::Invalid(
                path,
                "session_idle_minutes and session_absolute_hours must be at least 1".into(),
            ));
        }
        Ok(config)
    }

    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("sieve.db")
    }

    pub fn index_dir(&self) -> PathBuf {
        self.data_dir.join("index")
    }

    /// Returns the largest upload of reports accepted, in bytes.
    pub fn max_upload_bytes(&self) -> u64 {
        self.max_upload_mb.saturating_mul(1024 * 1024)
    }
}

/// Reads the named file, or `./sieve.toml` if it exists, or nothing.
fn read_file(named: Option<&Path>) -> Result<(FileConfig, PathBuf), ConfigError> {
    let path = named.map_or_else(|| PathBuf::from(DEFAULT_CONFIG_FILE), Path::to_path_buf);
    if named.is_none() && !path.exists() {
        return Ok((FileConfig::default(), path));
    }
    let text =
        std::fs::read_to_string(&path).map_err(|error| ConfigError::Read(path.clone(), error))?;
    let file = toml::from_str(&text)
        .map_err(|error| ConfigError::Parse(path.clone(), error.message().to_string()))?;
    Ok((file, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn global(config: Option<PathBuf>, data_dir: Option<PathBuf>) -> GlobalArgs {
        GlobalArgs { config, data_dir }
    }

    #[test]
    fn flags_win_over_the_file_and_the_file_over_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("sieve.toml");
        std::fs::write(
            &file,
            "addr = \"127.0.0.1:4000\"\ndata_dir = \"/srv/sieve\"\nsession_idle_minutes = 15\n",
        )
        .unwrap();
        let serve = ServeArgs {
            addr: Some("127.0.0.1:5000".parse().unwrap()),
            site_root: None,
            demo: false,
            secure_cookies: false,
            public_url: None,
            trusted_proxies: Vec::new(),
            max_upload_mb: None,
            mllp_addr: None,
        };

        let config = Config::load(&global(Some(file.clone()), None), Some(&serve)).unwrap();
        assert_eq!(config.addr.port(), 5000);
        assert_eq!(config.data_dir, PathBuf::from("/srv/sieve"));
        assert_eq!(config.session_idle_minutes, 15);
        assert_eq!(config.site_root, PathBuf::from(DEFAULT_SITE_ROOT));

        let config = Config::load(&global(Some(file), Some("/elsewhere".into())), None).unwrap();
        assert_eq!(config.addr.port(), 4000);
        assert_eq!(config.data_dir, PathBuf::from("/elsewhere"));
    }

    #[test]
    fn a_relative_data_directory_is_resolved_once_against_the_working_directory() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("sieve.toml");
        std::fs::write(&file, "").unwrap();
        let config = Config::load(&global(Some(file), Some("./data".into())), None).unwrap();
        assert!(
            config.data_dir.is_absolute(),
            "{}",
            config.data_dir.display()
        );
        assert_eq!(
            config.data_dir,
            std::env::current_dir().unwrap().join("data")
        );
    }

    #[test]
    fn an_unknown_key_in_the_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("sieve.toml");
        std::fs::write(&file, "adress = \"127.0.0.1:4000\"\n").unwrap();
        let error = Config::load(&global(Some(file), None), None).unwrap_err();
        assert!(error.to_string().contains("adress"), "{error}");
    }

    #[test]
    fn a_public_url_and_trusted_proxies_come_from_the_file_and_a_wrong_url_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("sieve.toml");
        std::fs::write(
            &file,
            "public_url = \"https://sieve.hospital.org\"\ntrusted_proxies = [\"127.0.0.1\"]\n",
        )
        .unwrap();
        let config = Config::load(&global(Some(file.clone()), None), None).unwrap();
        assert_eq!(
            config.public_url.map(|url| url.to_string()).as_deref(),
            Some("https://sieve.hospital.org")
        );
        assert_eq!(
            config.trusted_proxies,
            ["127.0.0.1".parse::<IpAddr>().unwrap()]
        );

        std::fs::write(&file, "public_url = \"sieve.hospital.org/app\"\n").unwrap();
        let error = Config::load(&global(Some(file), None), None).unwrap_err();
        assert!(error.to_string().contains("public URL"), "{error}");
    }
}
