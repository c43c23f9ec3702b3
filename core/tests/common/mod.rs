//! A project with imported, indexed synthetic reports and a question with phrase rules, on a real
//! SQLite file and a real index, shared by the label set and launch tests.
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
        let dir = tempfile::tempdir().unwrap();
        let pool = db::open(&dir.path().join("sieve.db")).await.unwrap();
        Project::create(dir, pool, "P", reports_count).await
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
        let project = projects::create(&pool, name, "IRB-1", None).await.unwrap();
        let pseudonymizer = Pseudonymizer::with_key([2; 32]);
        let corpus: Vec<_> = corpus::generate(9, reports_count).collect();
        reports::store_batch(&pool, project.id, &pseudonymizer, &corpus)
            .await
            .unwrap();
        let indexes = Indexes::new(dir.path().join("index"));
        indexes
            .catch_up(&pool, project.id, |_, _| {})
            .await
            .unwrap();
        let labels = questions::parse_labels("present, absent, uncertain").unwrap();
        let question = questions::create(&pool, project.id, "Pneumothorax", &labels, None, None)
            .await
            .unwrap();
        for (phrase, label) in [("no pneumothorax", "absent"), ("pneumothorax", "present")] {
            let rule = Rule {
                phrase: phrase.into(),
                label: label.into(),
                negation: Negation::Any,
                sections: vec![],
                enabled: true,
            };
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
            project_id: project.id,
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
