//! Sessions kept in memory in front of the database's session store: every request reads its
//! session, and the store would cost a query each time. The database stays the record (sessions
//! survive a restart, and a cache miss reads it); writes and deletes go to both (tower-sessions'
//! `CachingSessionStore`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use tower_sessions::cookie::time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

/// Sessions kept at most; past it, expired ones are dropped (and all, if none had expired).
const MAX_SESSIONS: usize = 10_000;

#[derive(Debug, Clone, Default)]
pub struct SessionCache(Arc<Mutex<HashMap<Id, Record>>>);

impl SessionCache {
    fn sessions(&self) -> MutexGuard<'_, HashMap<Id, Record>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn is_active(record: &Record) -> bool {
    record.expiry_date > OffsetDateTime::now_utc()
}

#[async_trait]
impl SessionStore for SessionCache {
    /// The database's store created the record first and chose its unique id: kept as it is.
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.save(record).await
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let mut sessions = self.sessions();
        if sessions.len() >= MAX_SESSIONS && !sessions.contains_key(&record.id) {
            sessions.retain(|_, record| is_active(record));
            if sessions.len() >= MAX_SESSIONS {
                sessions.clear();
            }
        }
        sessions.insert(record.id, record.clone());
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        Ok(self.sessions().get(id).filter(|r| is_active(r)).cloned())
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.sessions().remove(id);
        Ok(())
    }
}
