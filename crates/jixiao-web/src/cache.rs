//! What a server keeps in memory between requests, each entry checked against the database's
//! change counters ([`Generations`]) before it is used, so that several servers on one
//! database never serve what another has changed: sessions (against `access`), the
//! organisation tree (against `access`) and forms as JSON (against `forms`).
//!
//! The counters are read once per request, but concurrent requests share a read: a request
//! takes the result of a read that *began after it arrived* (so every change committed before
//! it arrived is seen), and while one read runs, the requests arriving wait for the next one
//! together. Under load that is one small query per round trip, not one per request.

use chrono::{DateTime, Utc};
use jixiao_store::{FormMeta, Generations, Org, Session, Store, StoreError};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// At most this many sessions are kept; past it the cache starts afresh.
const MAX_SESSIONS: usize = 100_000;
/// At most this many forms are kept as JSON; past it the cache starts afresh.
const MAX_FORMS: usize = 4_096;
/// At most this many list pages are kept as JSON; past it the cache starts afresh.
const MAX_LISTS: usize = 1_024;

#[derive(Default)]
pub struct Cache {
    /// Reads of the counters begun so far (each read's number is taken when it begins).
    begun: AtomicU64,
    /// One read at a time; those waiting share the next.
    reading: tokio::sync::Mutex<()>,
    /// The newest read: its number and what it found.
    latest: Mutex<(u64, Generations)>,
    sessions: Mutex<HashMap<String, CachedSession>>,
    orgs: Mutex<Option<(i64, std::sync::Arc<Vec<Org>>)>>,
    forms: Mutex<HashMap<String, CachedForm>>,
    /// List pages as JSON by their query, with the counters they were read at.
    lists: Mutex<HashMap<String, (Generations, axum::body::Bytes)>>,
}

#[derive(Clone)]
struct CachedSession {
    session: Session,
    /// The `access` generation it was read at.
    generation: i64,
    expires_at: DateTime<Utc>,
    /// When this server last used it (for the idle end).
    used: DateTime<Utc>,
    /// When its use was last noted in the database (`last_seen`).
    noted: DateTime<Utc>,
}

#[derive(Clone)]
pub struct CachedForm {
    /// The `forms` generation it was read at.
    generation: i64,
    pub meta: FormMeta,
    /// The form as the API answers it.
    pub json: axum::body::Bytes,
}

/// A session served from memory, and whether its use is due to be noted in the database.
pub struct Hit {
    pub session: Session,
    pub note_use: bool,
}

impl Cache {
    /// The counters as they stand at least as late as this call: from a read that began after
    /// it.
    pub async fn generations(&self, store: &dyn Store) -> Result<Generations, StoreError> {
        let need = self.begun.load(Ordering::SeqCst) + 1;
        let fresh = |latest: &(u64, Generations)| (latest.0 >= need).then_some(latest.1);
        if let Some(g) = fresh(&self.latest.lock().expect("cache lock")) {
            return Ok(g);
        }
        let _turn = self.reading.lock().await;
        if let Some(g) = fresh(&self.latest.lock().expect("cache lock")) {
            return Ok(g);
        }
        let number = self.begun.fetch_add(1, Ordering::SeqCst) + 1;
        let g = store.generations().await?;
        let mut latest = self.latest.lock().expect("cache lock");
        if number > latest.0 {
            *latest = (number, g);
        }
        Ok(g)
    }

    /// The session of a token, if kept at this `access` generation and not ended by time
    /// (`idle`: the longest pause between uses; `every`: how often a use is noted).
    pub fn session(
        &self,
        hash: &str,
        generation: i64,
        now: DateTime<Utc>,
        idle: chrono::Duration,
        every: chrono::Duration,
    ) -> Option<Hit> {
        let mut sessions = self.sessions.lock().expect("cache lock");
        let s = sessions.get_mut(hash)?;
        // Ended by time here: the database decides (another server may have kept it alive).
        if s.generation != generation || now >= s.expires_at || now - s.used >= idle {
            sessions.remove(hash);
            return None;
        }
        s.used = now;
        let note_use = now - s.noted >= every;
        if note_use {
            s.noted = now;
        }
        Some(Hit {
            session: s.session.clone(),
            note_use,
        })
    }

    /// Keeps a session read from the database at `generation` (read before the session).
    pub fn keep_session(&self, hash: &str, session: &Session, generation: i64, now: DateTime<Utc>) {
        let Ok(expires_at) = DateTime::parse_from_rfc3339(&session.expires_at) else {
            return;
        };
        let mut sessions = self.sessions.lock().expect("cache lock");
        if sessions.len() >= MAX_SESSIONS {
            sessions.clear();
        }
        sessions.insert(
            hash.to_string(),
            CachedSession {
                session: session.clone(),
                generation,
                expires_at: expires_at.with_timezone(&Utc),
                used: now,
                noted: now,
            },
        );
    }

    /// The organisations, read again when `access` has moved.
    pub async fn orgs(
        &self,
        store: &dyn Store,
        generation: i64,
    ) -> Result<std::sync::Arc<Vec<Org>>, StoreError> {
        if let Some((g, orgs)) = self.orgs.lock().expect("cache lock").as_ref() {
            if *g == generation {
                return Ok(orgs.clone());
            }
        }
        let orgs = std::sync::Arc::new(store.orgs().await?);
        *self.orgs.lock().expect("cache lock") = Some((generation, orgs.clone()));
        Ok(orgs)
    }

    /// A list page kept for this query (its `Debug` text) at these counters: a page depends on
    /// the forms and, through the caller's scope, on the organisations.
    pub fn list(&self, query: &str, generations: Generations) -> Option<axum::body::Bytes> {
        let lists = self.lists.lock().expect("cache lock");
        lists
            .get(query)
            .filter(|(g, _)| *g == generations)
            .map(|(_, json)| json.clone())
    }

    /// Keeps a list page read at `generations` (read before the page).
    pub fn keep_list(&self, query: &str, generations: Generations, json: axum::body::Bytes) {
        let mut lists = self.lists.lock().expect("cache lock");
        if lists.len() >= MAX_LISTS {
            lists.clear();
        }
        lists.insert(query.to_string(), (generations, json));
    }

    /// A form kept at this `forms` generation.
    pub fn form(&self, id: &str, generation: i64) -> Option<CachedForm> {
        let forms = self.forms.lock().expect("cache lock");
        forms
            .get(id)
            .filter(|f| f.generation == generation)
            .cloned()
    }

    /// Keeps a form's JSON read at `generation` (read before the form).
    pub fn keep_form(&self, id: &str, generation: i64, meta: FormMeta, json: axum::body::Bytes) {
        let mut forms = self.forms.lock().expect("cache lock");
        if forms.len() >= MAX_FORMS {
            forms.clear();
        }
        forms.insert(
            id.to_string(),
            CachedForm {
                generation,
                meta,
                json,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// Requests released together share reads of the counters, and none takes a read that
    /// began before it arrived.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_requests_share_reads_begun_after_they_arrived() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::from(
            jixiao_store::open(dir.path().join("c.db").to_str().unwrap())
                .await
                .unwrap(),
        );
        let cache = Arc::new(Cache::default());
        let before = cache.generations(&*store).await.unwrap();
        // A change committed before the requests arrive is seen by every one of them.
        store
            .create_org(&Org {
                id: "o1".into(),
                name: "某单位".into(),
                kind: "unit".into(),
                parent_id: None,
            })
            .await
            .unwrap();
        let barrier = Arc::new(tokio::sync::Barrier::new(64));
        let mut tasks = vec![];
        for _ in 0..64 {
            let (store, cache, barrier) = (store.clone(), cache.clone(), barrier.clone());
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                cache.generations(&*store).await.unwrap()
            }));
        }
        for t in tasks {
            assert!(t.await.unwrap().access > before.access);
        }
        let reads = cache.begun.load(Ordering::SeqCst);
        assert!(reads < 64, "64 requests made {reads} reads");
    }
}
