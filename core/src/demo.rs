//! The demo project created by `sieve serve --demo`: four users (one per role and a site admin)
//! with generated passwords, and a project of synthetic chest radiograph and head CT reports.
//!
//! Seeding is idempotent: when the demo project exists nothing is created again, and the
//! credentials written at first start (readable by the server's user only) are shown again.

use std::path::{Path, PathBuf};

use sqlx::SqlitePool;

use crate::auth::{self, ProjectRole};
use crate::labeling::{Negation, Rule};
use crate::pseudonym::Pseudonymizer;
use crate::questions::{self, Change};
use crate::training::{self, local, Backend};
use crate::{corpus, projects, reports, Error, Result};

pub mod deployment;

pub const PROJECT_NAME: &str = "Demo: chest radiographs and head CT";
pub const IRB_PROTOCOL: &str = "DEMO-2026-001";
pub const REPORT_COUNT: u64 = 400;
const CORPUS_SEED: u64 = 2026;
const CREDENTIALS_FILE: &str = "demo-credentials.txt";
pub const DEMO_QUESTION: &str = "Pleural effusion";
pub const DEMO_PROFILE: &str = "This host";
/// The reference training job of `train/baseline.py`.
const BASELINE_JOB: &str = include_str!("../../train/baseline.py");

/// The demo's users: (name, site admin, role in the demo project).
pub const USERS: [(&str, bool, Option<ProjectRole>); 4] = [
    ("admin", true, None),
    ("fellow", false, Some(ProjectRole::Fellow)),
    ("affiliate", false, Some(ProjectRole::Affiliate)),
    ("scientist", false, Some(ProjectRole::Scientist)),
];

/// A demo sign-in: user name and password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub user: String,
    pub password: String,
}

/// What seeding found or made.
#[derive(Debug, Clone)]
pub struct Demo {
    pub created: bool,
    /// The sign-ins, when known (the credentials file may have been removed since the first start).
    pub credentials: Vec<Credential>,
}

/// Creates the demo project, its users and reports unless they exist.
pub async fn ensure(pool: &SqlitePool, data_dir: &Path) -> Result<Demo> {
    let credentials_path = data_dir.join(CREDENTIALS_FILE);
    if projects::find_by_name(pool, PROJECT_NAME).await.is_ok() {
        update_launch_profile(pool, data_dir).await?;
        // A demo made before models were monitored gets its deployment now.
        if projects::find_by_name(pool, deployment::PROJECT_NAME)
            .await
            .is_err()
        {
            let pseudonymizer = Pseudonymizer::load_or_create(data_dir)?;
            deployment::seed(pool, &pseudonymizer).await?;
        }
        let credentials = read_credentials(&credentials_path).unwrap_or_default();
        return Ok(Demo {
            created: false,
            credentials,
        });
    }
    let credentials: Vec<Credential> = USERS
        .iter()
        .map(|(user, _, _)| Credential {
            user: user.to_string(),
            password: auth::generate_password(),
        })
        .collect();
    // Written first: if seeding stops half way, the next start finds the users' passwords here.
    write_credentials(&credentials_path, &credentials)?;
    for ((name, is_admin, _), credential) in USERS.iter().zip(&credentials) {
        match auth::create_user(pool, name, &credential.password, *is_admin, None).await {
            Ok(_) => {}
            Err(Error::AlreadyExists(_)) => {
                auth::set_password(pool, name, &credential.password, None).await?;
            }
            Err(error) => return Err(error),
        }
    }
    let project = projects::create(pool, PROJECT_NAME, IRB_PROTOCOL, None).await?;
    for (name, _, role) in USERS {
        if let Some(role) = role {
            projects::add_member(pool, PROJECT_NAME, name, role, None).await?;
        }
    }
    let reports: Vec<_> = corpus::generate(CORPUS_SEED, REPORT_COUNT).collect();
    let pseudonymizer = Pseudonymizer::load_or_create(data_dir)?;
    reports::store_batch(pool, project.id, &pseudonymizer, &reports).await?;
    seed_question(pool, project.id).await?;
    seed_launch_profile(pool, data_dir).await?;
    deployment::seed(pool, &pseudonymizer).await?;
    Ok(Demo {
        created: true,
        credentials,
    })
}

/// The demo's question, with rules that label most chest studies, so that label sets can be
/// exported and trained on from the first start.
async fn seed_question(pool: &SqlitePool, project_id: i64) -> Result<()> {
    let labels = questions::parse_labels("present, absent, uncertain")?;
    let question = questions::create(pool, project_id, DEMO_QUESTION, &labels, None, None).await?;
    let rules = [
        ("no pleural effusion", "absent"),
        ("possible pleural effusion", "uncertain"),
        ("pleural effusion", "present"),
    ];
    for (phrase, label) in rules {
        let rule = Rule {
            phrase: phrase.into(),
            label: label.into(),
            negation: Negation::Any,
            sections: Vec::new(),
            enabled: true,
        };
        questions::change(pool, &question, &Change::Add { rule, at: None }, None).await?;
    }
    Ok(())
}

/// The reference training job, written into the data directory's `train/` folder (which every
/// job sees read-only at `training::seen::TRAIN_DIR`), and a profile that runs it on this host: the
/// demo's whole loop (export → launch → follow) works without a cluster.
async fn seed_launch_profile(pool: &SqlitePool, data_dir: &Path) -> Result<()> {
    let script = data_dir.join("train").join("baseline.py");
    std::fs::create_dir_all(script.parent().expect("a file in a directory"))?;
    std::fs::write(&script, BASELINE_JOB)?;
    let backend = Backend::Local(local::Settings {
        command: format!("python3 {}/baseline.py", training::seen::TRAIN_DIR),
        confinement: Default::default(),
    });
    training::save_profile(pool, DEMO_PROFILE, &backend, "demo").await?;
    Ok(())
}

/// Brings an older demo's profile up to date: it ran the reference job from its path in the data
/// directory, which jobs no longer see. A profile the admin changed is left alone.
async fn update_launch_profile(pool: &SqlitePool, data_dir: &Path) -> Result<()> {
    let Ok(script) = std::fs::canonicalize(data_dir.join("train").join("baseline.py")) else {
        return Ok(());
    };
    let legacy = format!("python3 {}", script.display());
    let profiles = training::profiles(pool).await?;
    let outdated = profiles.iter().any(|profile| {
        profile.name == DEMO_PROFILE
            && matches!(&profile.backend, Backend::Local(settings) if settings.command == legacy)
    });
    match outdated {
        true => seed_launch_profile(pool, data_dir).await,
        false => Ok(()),
    }
}

fn credentials_text(credentials: &[Credential]) -> String {
    credentials
        .iter()
        .map(|c| format!("{} {}\n", c.user, c.password))
        .collect()
}

fn write_credentials(path: &PathBuf, credentials: &[Credential]) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(credentials_text(credentials).as_bytes())?;
    file.sync_all()?;
    Ok(())
}

fn read_credentials(path: &PathBuf) -> Option<Vec<Credential>> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines()
        .map(|line| {
            let (user, password) = line.split_once(' ')?;
            Some(Credential {
                user: user.to_string(),
                password: password.to_string(),
            })
        })
        .collect()
}
