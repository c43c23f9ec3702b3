//! The one setup of the core's tests: a fresh install on a real SQLite file in a temporary
//! directory ([`Install`], to which each test file adds what it needs), and a project with
//! imported, indexed synthetic reports and a question with phrase rules ([`Project`]).
#![allow(dead_code)]

use std::path::Path;

use sieve_core::label_sets::{self, Export, LabelSet, Policy, Selection};
use sieve_core::labeling::{Negation, Rule};
use sieve_core::pseudonym::Pseudonymizer;
use sieve_core::questions::{self, Change, Question};
use sieve_core::search::Indexes;
use sieve_core::soft_labels::{Context, MatchCache};
use sieve_core::split::Shares;
use sieve_core::{corpus, db, projects, reports};
use tempfile::TempDir;

/// Every test user's password.
pub const PASSWORD: &str = "a long test password";

/// A fresh install: an empty, migrated database in a temporary directory.
pub struct Install {
    pub dir: TempDir,
    pub pool: sqlx::SqlitePool,
}

impl Install {
    pub async fn new() -> Install {
        let dir = tempfile::tempdir().unwrap();
        let pool = db::open(&dir.path().join("sieve.db")).await.unwrap();
        Install { dir, pool }
    }

    /// Creates a project (IRB protocol IRB-1) and returns its id.
    pub async fn project(&self, name: &str) -> i64 {
        projects::create(&self.pool, name, "IRB-1", None)
            .await
            .unwrap()
            .id
    }

    /// Creates a user with [`PASSWORD`].
    pub async fn user(&self, name: &str, admin: bool) -> sieve_core::auth::User {
        sieve_core::auth::create_user(&self.pool, name, PASSWORD, admin, None)
            .await
            .unwrap()
    }

    /// Stores `count` synthetic reports (corpus seed `seed`) in `project`, pseudonymised with
    /// `pseudonymizer`, and returns them.
    pub async fn reports(
        &self,
        project: i64,
        pseudonymizer: &Pseudonymizer,
        seed: u64,
        count: u64,
    ) -> Vec<reports::NewReport> {
        let corpus: Vec<_> = corpus::generate(seed, count).collect();
        reports::store_batch(&self.pool, project, pseudonymizer, &corpus)
            .await
            .unwrap();
        corpus
    }

    /// The install's search indexes, in its directory.
    pub fn indexes(&self) -> Indexes {
        Indexes::new(self.dir.path().join("index"))
    }
}

/// A rule giving `label` to `phrase`, reading every mention (negation mode any), enabled.
pub fn rule(phrase: &str, label: &str) -> Rule {
    Rule {
        phrase: phrase.into(),
        label: label.into(),
        negation: Negation::Any,
        sections: vec![],
        enabled: true,
    }
}

pub struct Project {
    pub dir: TempDir,
    pub pool: sqlx::SqlitePool,
    /// The queue's writer of this database.
    pub queue: sieve_core::queue::Writer,
    pub indexes: Indexes,
    pub cache: MatchCache,
    pub pseudonymizer: Pseudonymizer,
    pub project_id: i64,
    pub question: Question,
}

pub const SHARES: Shares = Shares {
    train: 0.8,
    validation: 0.1,
    test: 0.1,
};

impl Project {
    /// `reports` synthetic reports and the question "Pneumothorax" (present, absent, uncertain)
    /// with rules `no pneumothorax` → absent, `pneumothorax` → present.
    pub async fn new(reports_count: u64) -> Project {
        let install = Install::new().await;
        Project::create(install.dir, install.pool, "P", reports_count).await
    }

    /// Another project in the same database (the same install), with the same reports, so the
    /// same patients, and the same question; its files and index in a directory of its own.
    pub async fn beside(&self, name: &str, reports_count: u64) -> Project {
        Project::create(
            tempfile::tempdir().unwrap(),
            self.pool.clone(),
            name,
            reports_count,
        )
        .await
    }

    async fn create(
        dir: TempDir,
        pool: sqlx::SqlitePool,
        name: &str,
        reports_count: u64,
    ) -> Project {
        let install = Install { dir, pool };
        let project_id = install.project(name).await;
        let pseudonymizer = Pseudonymizer::with_key([2; 32]);
        install
            .reports(project_id, &pseudonymizer, 9, reports_count)
            .await;
        let indexes = install.indexes();
        let Install { dir, pool } = install;
        indexes
            .catch_up(&pool, project_id, |_, _| {})
            .await
            .unwrap();
        let labels = questions::parse_labels("present, absent, uncertain").unwrap();
        let question = questions::create(&pool, project_id, "Pneumothorax", &labels, None, None)
            .await
            .unwrap();
        for (phrase, label) in [("no pneumothorax", "absent"), ("pneumothorax", "present")] {
            let rule = rule(phrase, label);
            questions::change(&pool, &question, &Change::Add { rule, at: None }, None)
                .await
                .unwrap();
        }
        Project {
            dir,
            queue: sieve_core::queue::Writer::start(pool.clone()).unwrap(),
            pool,
            indexes,
            cache: MatchCache::default(),
            pseudonymizer,
            project_id,
            question,
        }
    }

    pub fn context(&self) -> Context<'_> {
        Context {
            pool: &self.pool,
            indexes: &self.indexes,
            cache: &self.cache,
        }
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn spec(&self, soft_where_unconfirmed: bool, seed: u64) -> Selection {
        Selection {
            questions: vec![self.question.id],
            cohort_id: None,
            policy: Policy {
                soft_where_unconfirmed,
                drop_uncertain: false,
            },
            seed,
            shares: SHARES,
        }
    }

    /// Plans and writes a label set.
    pub async fn export(&self, spec: &Selection) -> LabelSet {
        let plan = label_sets::plan(&self.context(), &self.pseudonymizer, self.project_id, spec)
            .await
            .unwrap();
        let export = Export {
            data_dir: self.data_dir(),
            project_id: self.project_id,
            project: "P",
            actor: "scientist",
        };
        label_sets::create(&self.pool, &export, plan).await.unwrap()
    }
}
