//! Durable state in SQLite (embedded, WAL, the default) or PostgreSQL (shared by any
//! number of replicas), through one set of queries. Every change to a device is a
//! conditional UPDATE on its `version`, so concurrent requests — in one process or in
//! many — cannot both win; there is no process-local lock.
//!
//! Validations are group-committed: their counter updates and audit lines queue for a
//! writer task that commits them in batches, one fsync per batch, and each request is
//! answered only after the batch holding its change has committed.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::pool::PoolConnection;
use sqlx::{AnyPool, Row};
use tokio::sync::{mpsc, oneshot};

use crate::policy::{Channel, Counters};

/// A failure of the database itself (as opposed to a refused request).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database URL {url:?}: {source}")]
    Url { url: String, source: sqlx::Error },
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("database (group commit): {0}")]
    Batch(String),
    #[error("the store's writer has stopped")]
    WriterGone,
    #[error("starting the store's writer: {0}")]
    Writer(std::io::Error),
    #[error("database row for {serial}: {problem}")]
    Corrupt { serial: String, problem: String },
}

/// Which database is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Whether a device is bound to a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceState {
    /// Imported, never activated.
    Inactive,
    /// Bound to its `user`; the one code reader that person can use.
    Active,
    /// Was active, replaced by another device of the same person.
    Deactivated,
}

impl DeviceState {
    pub fn name(self) -> &'static str {
        match self {
            DeviceState::Inactive => "inactive",
            DeviceState::Active => "active",
            DeviceState::Deactivated => "deactivated",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        match name {
            "inactive" => Some(DeviceState::Inactive),
            "active" => Some(DeviceState::Active),
            "deactivated" => Some(DeviceState::Deactivated),
            _ => None,
        }
    }
}

/// A device ready to be stored: its secret is already sealed.
#[derive(Debug, Clone)]
pub struct NewDevice {
    pub serial: String,
    /// "hotp" or "totp".
    pub kind: &'static str,
    pub algorithm: otp::Algorithm,
    pub digits: u32,
    /// TOTP step length in seconds (0 for HOTP).
    pub period: u64,
    pub sealed_secret: Vec<u8>,
    /// HOTP: the first counter to expect.
    pub counter: u64,
}

/// A stored device.
#[derive(Debug, Clone)]
pub struct Device {
    pub serial: String,
    pub kind: String,
    pub algorithm: otp::Algorithm,
    pub digits: u32,
    pub period: u64,
    pub sealed_secret: Vec<u8>,
    pub counters: Counters,
    pub user: Option<String>,
    pub state: DeviceState,
    pub version: i64,
    pub imported_at_ms: i64,
    pub activated_at_ms: Option<i64>,
}

/// An outstanding activation code (only its hash is stored).
#[derive(Debug, Clone)]
pub struct ActivationCode {
    pub serial: String,
    pub user: String,
    pub code_hash: Vec<u8>,
    pub channel: Channel,
    pub expires_at_ms: i64,
    pub attempts: u32,
}

/// One line of the audit log: who did what to which subject, with what result, when.
/// Never a code or a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub result: String,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS devices (
    serial TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    algorithm TEXT NOT NULL,
    digits BIGINT NOT NULL,
    period BIGINT NOT NULL,
    secret BYTES NOT NULL,
    next_counter BIGINT NOT NULL,
    drift BIGINT NOT NULL DEFAULT 0,
    failures BIGINT NOT NULL DEFAULT 0,
    blocked_until BIGINT NOT NULL DEFAULT 0,
    blocks BIGINT NOT NULL DEFAULT 0,
    resync BIGINT,
    last_used BIGINT,
    user_id TEXT,
    state TEXT NOT NULL DEFAULT 'inactive',
    version BIGINT NOT NULL DEFAULT 0,
    imported_at BIGINT NOT NULL,
    activated_at BIGINT
);
CREATE INDEX IF NOT EXISTS devices_active_user ON devices (user_id, state);
CREATE TABLE IF NOT EXISTS activation_codes (
    serial TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    code_hash BYTES NOT NULL,
    channel TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS audit (
    id AUTO_ID,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    result TEXT NOT NULL
);
";

const DEVICE_COLUMNS: &str = "serial, kind, algorithm, digits, period, secret, next_counter, \
    drift, failures, blocked_until, blocks, resync, last_used, user_id, state, version, \
    imported_at, activated_at";

/// Most writes committed in one transaction.
const MAX_BATCH: usize = 1024;

/// A change waiting for the group commit.
enum Write {
    /// A conditional counter update plus its audit line.
    Counters {
        serial: String,
        version: i64,
        counters: Counters,
        audit: AuditEntry,
    },
    /// An audit line alone.
    Audit(AuditEntry),
}

struct Pending {
    write: Write,
    /// True when the write took effect (a counter update can lose to a concurrent one).
    reply: oneshot::Sender<Result<bool, StoreError>>,
}

/// The database: a pool, which dialect it speaks, and the queue to the group commit.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    writes: mpsc::Sender<Pending>,
    commits: Arc<CommitStats>,
}

/// What the group commit has done: transactions and the writes they carried.
#[derive(Debug, Default)]
pub struct CommitStats {
    pub transactions: AtomicU64,
    pub writes: AtomicU64,
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn to_u64(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

impl Store {
    /// Opens (creating if needed) the database at `url`: `sqlite://PATH` or
    /// `postgres://…`. SQLite runs in WAL mode with full fsync on commit.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        };
        let url = match backend {
            Backend::Sqlite if !url.contains('?') => format!("{url}?mode=rwc"),
            _ => url.to_owned(),
        };
        let pool = connect(&url, backend, 4).await?;
        migrate(&pool, backend).await?;
        let (writes, queue) = mpsc::channel(4 * MAX_BATCH);
        let commits = Arc::new(CommitStats::default());
        spawn_group_commit(url, backend, queue, commits.clone()).await?;
        Ok(Store {
            pool,
            backend,
            writes,
            commits,
        })
    }

    /// Counts of group commits so far (for `/metrics`).
    pub fn commit_stats(&self) -> &CommitStats {
        &self.commits
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The serials among `serials` that already exist.
    pub async fn existing_serials(&self, serials: &[String]) -> Result<Vec<String>, StoreError> {
        let mut found = Vec::new();
        for serial in serials {
            let row = sqlx::query("SELECT serial FROM devices WHERE serial = $1")
                .bind(serial.as_str())
                .fetch_optional(&self.pool)
                .await?;
            if row.is_some() {
                found.push(serial.clone());
            }
        }
        Ok(found)
    }

    /// Inserts all devices in one transaction, with one audit line; returns false (and
    /// stores nothing) when any serial already exists.
    pub async fn insert_devices(
        &self,
        devices: &[NewDevice],
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        for device in devices {
            let inserted = sqlx::query(
                "INSERT INTO devices (serial, kind, algorithm, digits, period, secret, \
                 next_counter, imported_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (serial) DO NOTHING",
            )
            .bind(device.serial.as_str())
            .bind(device.kind)
            .bind(device.algorithm.name())
            .bind(i64::from(device.digits))
            .bind(to_i64(device.period))
            .bind(device.sealed_secret.clone())
            .bind(to_i64(device.counter))
            .bind(audit.at_ms)
            .execute(&mut *tx)
            .await?;
            if inserted.rows_affected() == 0 {
                tx.rollback().await?;
                return Ok(false);
            }
        }
        finish(tx, true, audit).await
    }

    pub async fn device(&self, serial: &str) -> Result<Option<Device>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {DEVICE_COLUMNS} FROM devices WHERE serial = $1"
        ))
        .bind(serial)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| device_from_row(&row)).transpose()
    }

    /// The person's active device, if any.
    pub async fn active_device(&self, user: &str) -> Result<Option<Device>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {DEVICE_COLUMNS} FROM devices WHERE user_id = $1 AND state = 'active'"
        ))
        .bind(user)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| device_from_row(&row)).transpose()
    }

    /// Stores new counters if the device is still at `version`, with an audit line, in
    /// the next group commit. False means someone else changed the device first: re-read.
    pub async fn update_counters(
        &self,
        serial: &str,
        version: i64,
        counters: &Counters,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        self.queue(Write::Counters {
            serial: serial.to_owned(),
            version,
            counters: counters.clone(),
            audit: audit.clone(),
        })
        .await
    }

    async fn queue(&self, write: Write) -> Result<bool, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.writes
            .send(Pending { write, reply })
            .await
            .map_err(|_| StoreError::WriterGone)?;
        answer.await.map_err(|_| StoreError::WriterGone)?
    }

    /// Binds `serial` to `user` (if the device is still at `version`), deactivates the
    /// person's other devices, stores the counters after the first code and spends the
    /// activation code — all or nothing.
    pub async fn activate(
        &self,
        serial: &str,
        user: &str,
        version: i64,
        counters: &Counters,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let updated = bind_counters(
            sqlx::query(
                "UPDATE devices SET next_counter = $1, drift = $2, failures = $3, \
                 blocked_until = $4, blocks = $5, resync = $6, last_used = $7, \
                 version = version + 1, user_id = $8, state = 'active', activated_at = $9 \
                 WHERE serial = $10 AND version = $11",
            ),
            counters,
        )
        .bind(user)
        .bind(audit.at_ms)
        .bind(serial)
        .bind(version)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query(
            "UPDATE devices SET state = 'deactivated', version = version + 1 \
             WHERE user_id = $1 AND state = 'active' AND serial <> $2",
        )
        .bind(user)
        .bind(serial)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM activation_codes WHERE serial = $1")
            .bind(serial)
            .execute(&mut *tx)
            .await?;
        finish(tx, true, audit).await
    }

    /// Issues (or replaces) the activation code for a serial.
    pub async fn put_activation_code(
        &self,
        code: &ActivationCode,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM activation_codes WHERE serial = $1")
            .bind(code.serial.as_str())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO activation_codes (serial, user_id, code_hash, channel, expires_at, \
             attempts) VALUES ($1, $2, $3, $4, $5, 0)",
        )
        .bind(code.serial.as_str())
        .bind(code.user.as_str())
        .bind(code.code_hash.clone())
        .bind(code.channel.name())
        .bind(code.expires_at_ms)
        .execute(&mut *tx)
        .await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn activation_code(
        &self,
        serial: &str,
    ) -> Result<Option<ActivationCode>, StoreError> {
        let row = sqlx::query(
            "SELECT serial, user_id, code_hash, channel, expires_at, attempts \
             FROM activation_codes WHERE serial = $1",
        )
        .bind(serial)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let channel: String = row.try_get("channel")?;
        Ok(Some(ActivationCode {
            serial: row.try_get("serial")?,
            user: row.try_get("user_id")?,
            code_hash: row.try_get("code_hash")?,
            channel: Channel::from_name(&channel).ok_or_else(|| StoreError::Corrupt {
                serial: serial.to_owned(),
                problem: format!("unknown channel {channel:?}"),
            })?,
            expires_at_ms: row.try_get("expires_at")?,
            attempts: u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
        }))
    }

    /// Counts a wrong activation-code entry if the count is still `attempts`.
    pub async fn count_activation_attempt(
        &self,
        serial: &str,
        attempts: u32,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let updated = sqlx::query(
            "UPDATE activation_codes SET attempts = attempts + 1 \
             WHERE serial = $1 AND attempts = $2",
        )
        .bind(serial)
        .bind(i64::from(attempts))
        .execute(&mut *tx)
        .await?;
        finish(tx, updated.rows_affected() > 0, audit).await
    }

    /// Clears failures and any block (support's "unlock"). False (and no audit line) for
    /// an unknown serial.
    pub async fn unlock(&self, serial: &str, audit: &AuditEntry) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let updated = sqlx::query(
            "UPDATE devices SET failures = 0, blocked_until = 0, blocks = 0, \
             version = version + 1 WHERE serial = $1",
        )
        .bind(serial)
        .execute(&mut *tx)
        .await?;
        finish(tx, updated.rows_affected() > 0, audit).await
    }

    /// Records an action that changed nothing else (a refused request, a lookup), in the
    /// next group commit.
    pub async fn audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        self.queue(Write::Audit(entry.clone())).await.map(|_| ())
    }

    /// The newest `limit` audit lines, newest first.
    pub async fn audit_log(&self, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT at, actor, action, subject, result FROM audit ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(AuditEntry {
                    at_ms: row.try_get("at")?,
                    actor: row.try_get("actor")?,
                    action: row.try_get("action")?,
                    subject: row.try_get("subject")?,
                    result: row.try_get("result")?,
                })
            })
            .collect()
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

async fn migrate(pool: &AnyPool, backend: Backend) -> Result<(), StoreError> {
    let (bytes, auto_id) = match backend {
        Backend::Sqlite => ("BLOB", "INTEGER PRIMARY KEY AUTOINCREMENT"),
        Backend::Postgres => ("BYTEA", "BIGSERIAL PRIMARY KEY"),
    };
    let schema = SCHEMA.replace("BYTES", bytes).replace("AUTO_ID", auto_id);
    let mut tx = pool.begin().await?;
    if backend == Backend::Postgres {
        // Replicas starting together create the schema one at a time.
        sqlx::query("SELECT pg_advisory_xact_lock(7467533)")
            .execute(&mut *tx)
            .await?;
    }
    sqlx::raw_sql(&schema).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Writes per batch statement. Each statement is written for a power of two of rows (1,
/// 2, 4 … this many), the rest padded with rows that match and insert nothing, so a few
/// shapes stay in the statement cache; 14 parameters a row stay well under both
/// databases' limits.
const ROWS_PER_STATEMENT: usize = 128;
/// The group commit yields up to this many times to gather about this many writes.
const GATHER_YIELDS: usize = 4;
const GATHER_TARGET: usize = 64;
/// Group-commit writers on PostgreSQL (measured: 1, 2, 3, 4, 6; 3 gave the highest peak).
const POSTGRES_WRITERS: usize = 3;
/// A batch that fails with a transient error (deadlock, serialization) is tried again.
const BATCH_ATTEMPTS: usize = 3;

/// A pool of at most `connections` to `url`; SQLite connections in WAL mode with a full
/// fsync on every commit.
async fn connect(url: &str, backend: Backend, connections: u32) -> Result<AnyPool, StoreError> {
    let failed = |source| StoreError::Url {
        url: url.to_owned(),
        source,
    };
    AnyPoolOptions::new()
        .max_connections(connections)
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    for pragma in [
                        "PRAGMA journal_mode = WAL",
                        "PRAGMA synchronous = FULL",
                        "PRAGMA busy_timeout = 30000",
                        // Checkpoints run beside the writer, not in its commits.
                        "PRAGMA wal_autocheckpoint = 0",
                    ] {
                        sqlx::Executor::execute(&mut *conn, pragma).await?;
                    }
                }
                Ok(())
            })
        })
        .connect_with(AnyConnectOptions::from_str(url).map_err(failed)?)
        .await
        .map_err(failed)
}

/// Starts the group commit on a thread of its own, with its own connections: its round
/// trips to the database then never wait for a turn behind request handling. It ends
/// when the last [`Store`] clone (the last sender) is dropped.
///
/// SQLite takes one writer at a time. PostgreSQL commits overlapping transactions (and
/// flushes its WAL for them together), so several writers send batches while earlier
/// ones wait for their fsync; overlapping batches are like those of replicas: a device
/// changed by one fails the other's version check (re-read and retried), and a deadlock
/// between them is retried.
async fn spawn_group_commit(
    url: String,
    backend: Backend,
    queue: mpsc::Receiver<Pending>,
    stats: Arc<CommitStats>,
) -> Result<(), StoreError> {
    let writers = match backend {
        Backend::Sqlite => 1,
        Backend::Postgres => POSTGRES_WRITERS,
    };
    let (started, ready) = oneshot::channel();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(StoreError::Writer)?;
    std::thread::Builder::new()
        .name("group-commit".to_owned())
        .spawn(move || {
            runtime.block_on(async move {
                // SQLite: one more connection, for the checkpoints.
                let pool = match connect(&url, backend, writers as u32 + 1).await {
                    Ok(pool) => pool,
                    Err(error) => {
                        let _ = started.send(Err(error));
                        return;
                    }
                };
                let _ = started.send(Ok(()));
                let queue = Arc::new(tokio::sync::Mutex::new(queue));
                let tasks: Vec<_> = (0..writers)
                    .map(|_| {
                        tokio::spawn(group_commit(
                            pool.clone(),
                            backend,
                            queue.clone(),
                            stats.clone(),
                        ))
                    })
                    .collect();
                let checkpoints =
                    (backend == Backend::Sqlite).then(|| tokio::spawn(checkpoints(pool.clone())));
                for task in tasks {
                    let _ = task.await;
                }
                if let Some(checkpoints) = checkpoints {
                    checkpoints.abort();
                }
                pool.close().await;
            })
        })
        .map_err(StoreError::Writer)?;
    ready.await.map_err(|_| StoreError::WriterGone)?
}

/// How often SQLite's write-ahead log is copied back into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);

/// Copies SQLite's write-ahead log back into the database on its own connection, so that
/// a commit never waits for that copy (and its fsync); PASSIVE never blocks the writer.
async fn checkpoints(pool: AnyPool) {
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    loop {
        tick.tick().await;
        if let Err(error) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&pool)
            .await
        {
            tracing::warn!(%error, "WAL checkpoint failed");
        }
    }
}

/// A writer task: takes whatever is queued (up to [`MAX_BATCH`], holding the queue only
/// while it gathers), commits it, then answers each request. A second update of the same
/// device waits for this writer's next batch, so each batch touches a device once.
///
/// On SQLite the batch is one transaction of two statements. On PostgreSQL each
/// statement of up to [`ROWS_PER_STATEMENT`] writes is its own transaction (one round
/// trip, no BEGIN or COMMIT), and its requests are answered as soon as it has committed.
async fn group_commit(
    pool: AnyPool,
    backend: Backend,
    queue: Arc<tokio::sync::Mutex<mpsc::Receiver<Pending>>>,
    stats: Arc<CommitStats>,
) {
    let unit = match backend {
        Backend::Sqlite => MAX_BATCH,
        Backend::Postgres => ROWS_PER_STATEMENT,
    };
    let mut carried: Vec<Pending> = Vec::new();
    let mut connection = None;
    loop {
        let mut batch: Vec<Pending> = Vec::new();
        let mut serials = std::collections::HashSet::new();
        let mut next_carry = Vec::new();
        let mut take = |pending: Pending, batch: &mut Vec<Pending>| match &pending.write {
            Write::Counters { serial, .. } if !serials.insert(serial.clone()) => {
                next_carry.push(pending)
            }
            _ => batch.push(pending),
        };
        for pending in carried.drain(..) {
            take(pending, &mut batch);
        }
        // A writer with carried writes never waits for the queue (another writer may be
        // holding it while it waits for new writes).
        let queue = if batch.is_empty() {
            Some(queue.lock().await)
        } else {
            queue.try_lock().ok()
        };
        if let Some(mut queue) = queue {
            if batch.is_empty() {
                match queue.recv().await {
                    Some(first) => take(first, &mut batch),
                    None => return,
                }
            }
            // Under load, let the request tasks that are ready run first (a yield costs
            // microseconds when nothing else is ready), so that a transaction carries many
            // writes: the per-transaction cost, not the per-write cost, dominates.
            for round in 0..=GATHER_YIELDS {
                while batch.len() < MAX_BATCH {
                    match queue.try_recv() {
                        Ok(next) => take(next, &mut batch),
                        Err(_) => break,
                    }
                }
                if round == GATHER_YIELDS || batch.len() >= GATHER_TARGET {
                    break;
                }
                tokio::task::yield_now().await;
            }
        }
        carried = next_carry;
        while !batch.is_empty() {
            let rest = batch.split_off(unit.min(batch.len()));
            let writes = std::mem::replace(&mut batch, rest);
            commit_unit(&pool, &mut connection, backend, writes, &stats).await;
        }
    }
}

/// Commits writes that stand or fall together (retrying a transient failure), then
/// answers their requests.
///
/// The writer keeps its connection from one batch to the next (no pool check-out per
/// batch); after an error it takes a fresh one.
async fn commit_unit(
    pool: &AnyPool,
    connection: &mut Option<PoolConnection<sqlx::Any>>,
    backend: Backend,
    writes: Vec<Pending>,
    stats: &CommitStats,
) {
    let mut attempt = async || {
        let conn = match connection {
            Some(conn) => conn,
            None => connection.insert(pool.acquire().await?),
        };
        let outcome = commit_writes(conn, backend, &writes).await;
        if outcome.is_err() {
            *connection = None;
        }
        outcome
    };
    let mut outcome = attempt().await;
    for _ in 1..BATCH_ATTEMPTS {
        match &outcome {
            Err(sqlx::Error::Database(e)) if is_transient(e.code().as_deref()) => {
                outcome = attempt().await;
            }
            _ => break,
        }
    }
    match outcome {
        Ok(applied) => {
            stats.transactions.fetch_add(1, Ordering::Relaxed);
            stats
                .writes
                .fetch_add(writes.len() as u64, Ordering::Relaxed);
            for (pending, applied) in writes.into_iter().zip(applied) {
                let _ = pending.reply.send(Ok(applied));
            }
        }
        Err(error) => {
            tracing::error!(%error, size = writes.len(), "group commit failed");
            let message = error.to_string();
            for pending in writes {
                let _ = pending.reply.send(Err(StoreError::Batch(message.clone())));
            }
        }
    }
}

/// PostgreSQL's deadlock and serialization failures; SQLite's busy and locked.
fn is_transient(code: Option<&str>) -> bool {
    matches!(code, Some("40P01" | "40001" | "5" | "6" | "517"))
}

/// The rows a statement for `len` writes is written with: the next power of two, at
/// most [`ROWS_PER_STATEMENT`].
fn padded_rows(len: usize) -> usize {
    len.next_power_of_two().min(ROWS_PER_STATEMENT)
}

/// The columns of a batch row: a counter update (`serial` … `last_used`, guarded by
/// `version`) with its audit line (`at` … `result`). An audit line alone has a NULL
/// serial; a padding row is all NULL.
const ROW_COLUMNS: [(&str, &str); 14] = [
    ("serial", "TEXT"),
    ("version", "BIGINT"),
    ("next_counter", "BIGINT"),
    ("drift", "BIGINT"),
    ("failures", "BIGINT"),
    ("blocked_until", "BIGINT"),
    ("blocks", "BIGINT"),
    ("resync", "BIGINT"),
    ("last_used", "BIGINT"),
    ("at", "BIGINT"),
    ("actor", "TEXT"),
    ("action", "TEXT"),
    ("subject", "TEXT"),
    ("result", "TEXT"),
];

/// The batch statements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Statement {
    /// PostgreSQL: the conditional updates and the audit lines of those that applied (and
    /// of the lone audit lines) in one statement, returning the serials updated.
    Postgres,
    /// SQLite (no data-modifying WITH): the conditional updates, returning the serials
    /// updated …
    SqliteUpdate,
    /// … then the audit lines, with the rows of updates that did not apply as padding.
    SqliteAudit,
}

const SET_COUNTERS: &str = "UPDATE devices SET next_counter = v.next_counter, \
    drift = v.drift, failures = v.failures, blocked_until = v.blocked_until, \
    blocks = v.blocks, resync = v.resync, last_used = v.last_used, \
    version = devices.version + 1 FROM v \
    WHERE devices.serial = v.serial AND devices.version = v.version";
const INSERT_AUDIT: &str = "INSERT INTO audit (at, actor, action, subject, result) \
    SELECT v.at, v.actor, v.action, v.subject, v.result FROM v WHERE v.at IS NOT NULL";

/// The text of `statement` for `rows` rows, built once per shape (there are few).
fn statement_sql(statement: Statement, rows: usize) -> &'static str {
    type Cache = HashMap<(Statement, usize), &'static str>;
    static CACHE: std::sync::OnceLock<std::sync::Mutex<Cache>> = std::sync::OnceLock::new();
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    cache.entry((statement, rows)).or_insert_with(|| {
        let names: Vec<&str> = ROW_COLUMNS.iter().map(|(name, _)| *name).collect();
        let values: Vec<String> = (0..rows)
            .map(|i| {
                let cells: Vec<String> = ROW_COLUMNS
                    .iter()
                    .enumerate()
                    .map(|(k, (_, ty))| {
                        let n = i * ROW_COLUMNS.len() + k + 1;
                        match statement {
                            Statement::Postgres => format!("CAST(${n} AS {ty})"),
                            _ => format!("CAST(? AS {ty})"),
                        }
                    })
                    .collect();
                format!("({})", cells.join(", "))
            })
            .collect();
        let with = format!(
            "WITH v ({}) AS (VALUES {})",
            names.join(", "),
            values.join(", ")
        );
        let sql = match statement {
            Statement::Postgres => format!(
                "{with}, u AS ({SET_COUNTERS} RETURNING devices.serial), \
                 a AS ({INSERT_AUDIT} AND (v.serial IS NULL OR v.serial IN \
                 (SELECT serial FROM u))) SELECT serial FROM u"
            ),
            Statement::SqliteUpdate => format!("{with} {SET_COUNTERS} RETURNING devices.serial"),
            Statement::SqliteAudit => format!("{with} {INSERT_AUDIT}"),
        };
        // Bounded: one string per statement and power of two up to ROWS_PER_STATEMENT.
        Box::leak(sql.into_boxed_str())
    })
}

/// `statement` over `writes` (at most [`ROWS_PER_STATEMENT`]); `skip(i)` turns the `i`th
/// write into padding.
fn batch_query<'q>(
    statement: Statement,
    writes: &'q [Pending],
    skip: impl Fn(usize) -> bool,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    let rows = padded_rows(writes.len());
    let mut query = sqlx::query(statement_sql(statement, rows));
    for (i, pending) in writes.iter().enumerate() {
        let audit = match (&pending.write, skip(i)) {
            (_, true) => None,
            (
                Write::Counters {
                    serial,
                    version,
                    counters,
                    audit,
                },
                false,
            ) => {
                query = bind_counters(query.bind(serial.as_str()).bind(*version), counters);
                Some(audit)
            }
            (Write::Audit(audit), false) => {
                query = query.bind(None::<&str>);
                for _ in 0..8 {
                    query = query.bind(None::<i64>);
                }
                Some(audit)
            }
        };
        query = match audit {
            Some(audit) => query
                .bind(audit.at_ms)
                .bind(audit.actor.as_str())
                .bind(audit.action.as_str())
                .bind(audit.subject.as_str())
                .bind(audit.result.as_str()),
            None => padding(query, 1),
        };
    }
    padding(query, rows - writes.len())
}

/// Binds `rows` all-NULL rows.
fn padding<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    rows: usize,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for _ in 0..rows {
        for (_, ty) in ROW_COLUMNS {
            query = match ty {
                "TEXT" => query.bind(None::<&str>),
                _ => query.bind(None::<i64>),
            };
        }
    }
    query
}

/// Commits `writes` and tells which took effect (a counter update whose device changed
/// since it was read does not). On PostgreSQL `writes` is one statement's worth (at most
/// [`ROWS_PER_STATEMENT`]).
async fn commit_writes(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    writes: &[Pending],
) -> Result<Vec<bool>, sqlx::Error> {
    let applied = |updated: std::collections::HashSet<String>| -> Vec<bool> {
        writes
            .iter()
            .map(|pending| match &pending.write {
                Write::Counters { serial, .. } => updated.contains(serial),
                Write::Audit(_) => true,
            })
            .collect()
    };
    let serials = |rows: Vec<AnyRow>| -> Result<_, sqlx::Error> {
        rows.iter().map(|row| row.try_get::<String, _>(0)).collect()
    };
    match backend {
        Backend::Postgres => {
            let rows = batch_query(Statement::Postgres, writes, |_| false)
                .fetch_all(&mut *conn)
                .await?;
            Ok(applied(serials(rows)?))
        }
        Backend::Sqlite => {
            let mut tx = sqlx::Connection::begin(&mut *conn).await?;
            let mut updated = std::collections::HashSet::new();
            for chunk in writes.chunks(ROWS_PER_STATEMENT) {
                let rows = batch_query(Statement::SqliteUpdate, chunk, |_| false)
                    .fetch_all(&mut *tx)
                    .await?;
                updated.extend(serials(rows)?);
            }
            let applied = applied(updated);
            for (k, chunk) in writes.chunks(ROWS_PER_STATEMENT).enumerate() {
                let offset = k * ROWS_PER_STATEMENT;
                batch_query(Statement::SqliteAudit, chunk, |i| !applied[offset + i])
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(applied)
        }
    }
}

fn bind_counters<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    counters: &Counters,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    query
        .bind(to_i64(counters.next))
        .bind(counters.drift)
        .bind(i64::from(counters.failures))
        .bind(counters.blocked_until_ms)
        .bind(i64::from(counters.blocks))
        .bind(counters.resync.map(to_i64))
        .bind(counters.last_used_ms)
}

/// Ends a conditional change: rolls back and answers false when it did not apply (another
/// request changed the row first), else records the audit line, commits and answers true.
async fn finish(
    mut tx: sqlx::Transaction<'static, sqlx::Any>,
    applied: bool,
    audit: &AuditEntry,
) -> Result<bool, StoreError> {
    if !applied {
        tx.rollback().await?;
        return Ok(false);
    }
    insert_audit(&mut tx, audit).await?;
    tx.commit().await?;
    Ok(true)
}

async fn insert_audit(
    conn: &mut sqlx::AnyConnection,
    entry: &AuditEntry,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit (at, actor, action, subject, result) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(entry.at_ms)
    .bind(entry.actor.as_str())
    .bind(entry.action.as_str())
    .bind(entry.subject.as_str())
    .bind(entry.result.as_str())
    .execute(conn)
    .await?;
    Ok(())
}

fn device_from_row(row: &AnyRow) -> Result<Device, StoreError> {
    let serial: String = row.try_get("serial")?;
    let corrupt = |problem: String| StoreError::Corrupt {
        serial: serial.clone(),
        problem,
    };
    let algorithm: String = row.try_get("algorithm")?;
    let state: String = row.try_get("state")?;
    let small = |name: &str| -> Result<u32, StoreError> {
        let value: i64 = row.try_get(name)?;
        u32::try_from(value).map_err(|_| StoreError::Corrupt {
            serial: serial.clone(),
            problem: format!("{name} = {value}"),
        })
    };
    Ok(Device {
        kind: row.try_get("kind")?,
        algorithm: algorithm
            .parse()
            .map_err(|e: otp::hotp::UnknownAlgorithm| corrupt(e.to_string()))?,
        digits: small("digits")?,
        period: to_u64(row.try_get("period")?),
        sealed_secret: row.try_get("secret")?,
        counters: Counters {
            next: to_u64(row.try_get("next_counter")?),
            drift: row.try_get("drift")?,
            failures: small("failures")?,
            blocked_until_ms: row.try_get("blocked_until")?,
            blocks: small("blocks")?,
            resync: row.try_get::<Option<i64>, _>("resync")?.map(to_u64),
            last_used_ms: row.try_get("last_used")?,
        },
        user: row.try_get("user_id")?,
        state: DeviceState::from_name(&state)
            .ok_or_else(|| corrupt(format!("unknown state {state:?}")))?,
        version: row.try_get("version")?,
        imported_at_ms: row.try_get("imported_at")?,
        activated_at_ms: row.try_get("activated_at")?,
        serial,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_use_few_statement_shapes() {
        let shapes: Vec<usize> = [1, 2, 3, 5, 64, 65, 100, 128]
            .iter()
            .map(|&n| padded_rows(n))
            .collect();
        assert_eq!(shapes, [1, 2, 4, 8, 64, 128, 128, 128]);
        let sql = statement_sql(Statement::Postgres, 2);
        assert!(
            sql.contains("CAST($28 AS TEXT)") && !sql.contains("$29"),
            "{sql}"
        );
        assert!(!statement_sql(Statement::SqliteAudit, 4).contains('$'));
    }

    #[test]
    fn transient_errors_are_retried_and_others_are_not() {
        assert!(is_transient(Some("40P01")));
        assert!(is_transient(Some("5")));
        assert!(!is_transient(Some("23505")));
        assert!(!is_transient(None));
    }
}
