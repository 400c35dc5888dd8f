//! Durable state in SQLite (embedded, WAL, the default) or PostgreSQL (shared by any
//! number of replicas), through one set of queries. Every change to a device is a
//! conditional UPDATE on its `version`, so concurrent requests — in one process or in
//! many — cannot both win; there is no process-local lock.
//!
//! Validations are group-committed (module `group_commit`): their counter updates and
//! audit lines queue for a writer that commits them in batches, one fsync per batch, and
//! each request is answered only after the batch holding its change has committed.

use std::str::FromStr;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};
use tokio::sync::{mpsc, oneshot};

use crate::group_commit::{self, Pending, Write};
use crate::policy::{Channel, Counters};

/// A failure of the database itself (as opposed to a refused request).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database URL {url:?}: {source}")]
    Url { url: String, source: sqlx::Error },
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("database schema: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database (group commit): {0}")]
    Batch(String),
    #[error("the store's writer has stopped")]
    WriterGone,
    #[error("starting the store's writer: {0}")]
    Writer(std::io::Error),
    #[error("database (SQLite writer): {0}")]
    Sqlite(#[from] rusqlite::Error),
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

/// The schema's history, oldest first: `(version, description, SQL)`, one file per step
/// in `migrations/`, written once for both dialects: `BYTES` stands for a byte string
/// and `AUTO_ID` for an auto-increment key (see [`dialect`]). Applied in order by sqlx's
/// migrator, which records them in `_sqlx_migrations` (and on PostgreSQL holds an
/// advisory lock, so replicas starting together migrate once). A change to the schema is
/// a new file here, never an edit of an applied one.
const MIGRATIONS: [(i64, &str, &str); 2] = [
    (1, "initial", include_str!("../migrations/0001_initial.sql")),
    (
        2,
        "one active device per person",
        include_str!("../migrations/0002_one_active_device_per_person.sql"),
    ),
];

/// A migration's SQL in the dialect of `backend`.
fn dialect(sql: &str, backend: Backend) -> String {
    let (bytes, auto_id) = match backend {
        Backend::Sqlite => ("BLOB", "INTEGER PRIMARY KEY AUTOINCREMENT"),
        Backend::Postgres => ("BYTEA", "BIGSERIAL PRIMARY KEY"),
    };
    sql.replace("BYTES", bytes).replace("AUTO_ID", auto_id)
}

/// The migrations for one dialect, embedded in the binary.
#[derive(Debug)]
struct Migrations(Backend);

impl sqlx::migrate::MigrationSource<'static> for Migrations {
    fn resolve(
        self,
    ) -> std::pin::Pin<
        Box<
            dyn std::future::Future<
                    Output = Result<Vec<sqlx::migrate::Migration>, sqlx::error::BoxDynError>,
                > + Send,
        >,
    > {
        let migrations = MIGRATIONS
            .iter()
            .map(|&(version, description, sql)| {
                sqlx::migrate::Migration::new(
                    version,
                    description.into(),
                    sqlx::migrate::MigrationType::Simple,
                    dialect(sql, self.0).into(),
                    false,
                )
            })
            .collect();
        Box::pin(std::future::ready(Ok(migrations)))
    }
}

const DEVICE_COLUMNS: &str = "serial, kind, algorithm, digits, period, secret, next_counter, \
    drift, failures, blocked_until, blocks, resync, last_used, user_id, state, version, \
    imported_at, activated_at";

/// The database: a pool, which dialect it speaks, and the queue to the group commit.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    writes: mpsc::Sender<Pending>,
    commits: Arc<CommitStats>,
    stop_writer: Arc<tokio::sync::Notify>,
}

/// What the group commit has done: transactions and the writes they carried.
#[derive(Debug, Default)]
pub struct CommitStats {
    pub transactions: AtomicU64,
    pub writes: AtomicU64,
}

/// Serials looked up per query by [`Store::existing_serials`].
const SERIALS_PER_QUERY: usize = 500;
/// Devices per INSERT statement of an import (8 parameters each, well under SQLite's
/// and PostgreSQL's limits).
const DEVICES_PER_INSERT: usize = 250;

/// `$first, $first+1, …` (`count` of them).
fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
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
        // Reads and the rarer writes (import, activation, unlock); the group commit has
        // its own connection.
        let readers = match backend {
            Backend::Sqlite => 4,
            Backend::Postgres => 16,
        };
        let pool = connect(&url, backend, readers).await?;
        migrate(&pool, backend).await?;
        let (writes, queue) = mpsc::channel(4 * group_commit::MAX_BATCH);
        let commits = Arc::new(CommitStats::default());
        let stop_writer = Arc::new(tokio::sync::Notify::new());
        group_commit::spawn(&url, backend, queue, commits.clone(), stop_writer.clone()).await?;
        Ok(Store {
            pool,
            backend,
            writes,
            commits,
            stop_writer,
        })
    }

    /// Counts of group commits so far (for `/metrics`).
    pub fn commit_stats(&self) -> &CommitStats {
        &self.commits
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The serials among `serials` that already exist, in the order given. One query
    /// per 500 serials.
    pub async fn existing_serials(&self, serials: &[String]) -> Result<Vec<String>, StoreError> {
        let mut found = std::collections::HashSet::new();
        for chunk in serials.chunks(SERIALS_PER_QUERY) {
            let sql = format!(
                "SELECT serial FROM devices WHERE serial IN ({})",
                placeholders(1, chunk.len())
            );
            let mut query = sqlx::query(&sql);
            for serial in chunk {
                query = query.bind(serial.as_str());
            }
            for row in query.fetch_all(&self.pool).await? {
                found.insert(row.try_get::<String, _>(0)?);
            }
        }
        Ok(serials
            .iter()
            .filter(|serial| found.contains(*serial))
            .cloned()
            .collect())
    }

    /// Inserts all devices in one transaction, with one audit line; returns false (and
    /// stores nothing) when any serial already exists. One statement per 250 devices.
    pub async fn insert_devices(
        &self,
        devices: &[NewDevice],
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        for chunk in devices.chunks(DEVICES_PER_INSERT) {
            let rows: Vec<String> = (0..chunk.len())
                .map(|k| format!("({})", placeholders(1 + 8 * k, 8)))
                .collect();
            let sql = format!(
                "INSERT INTO devices (serial, kind, algorithm, digits, period, secret, \
                 next_counter, imported_at) VALUES {} ON CONFLICT (serial) DO NOTHING",
                rows.join(", ")
            );
            let mut query = sqlx::query(&sql);
            for device in chunk {
                query = query
                    .bind(device.serial.as_str())
                    .bind(device.kind)
                    .bind(device.algorithm.name())
                    .bind(i64::from(device.digits))
                    .bind(to_i64(device.period))
                    .bind(device.sealed_secret.clone())
                    .bind(to_i64(device.counter))
                    .bind(audit.at_ms);
            }
            let inserted = query.execute(&mut *tx).await?;
            if inserted.rows_affected() != chunk.len() as u64 {
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

    /// Every serial of `length` characters (for looking a serial up by its keypad form).
    pub async fn serials_of_length(&self, length: usize) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query("SELECT serial FROM devices WHERE length(serial) = $1")
            .bind(i64::try_from(length).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| row.try_get::<String, _>("serial").map_err(StoreError::from))
            .collect()
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
        // The other device first: the index `devices_one_active_per_user` allows one
        // active row per person at any moment, inside the transaction too.
        sqlx::query(
            "UPDATE devices SET state = 'deactivated', version = version + 1 \
             WHERE user_id = $1 AND state = 'active' AND serial <> $2",
        )
        .bind(user)
        .bind(serial)
        .execute(&mut *tx)
        .await?;
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
        .await;
        let updated = match updated {
            Ok(updated) => updated.rows_affected(),
            // A concurrent activation of another device for this person committed after
            // the deactivation above looked: start over, so that it is deactivated.
            Err(sqlx::Error::Database(error)) if error.is_unique_violation() => 0,
            Err(error) => return Err(error.into()),
        };
        if updated == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
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

    /// Devices whose serial is not in canonical form (stored before serials were made
    /// canonical), with their sealed secrets.
    pub async fn non_canonical_serials(&self) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let rows = sqlx::query(
            "SELECT serial, secret FROM devices \
             WHERE serial <> UPPER(REPLACE(REPLACE(serial, '-', ''), ' ', ''))",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("serial")?, row.try_get("secret")?)))
            .collect()
    }

    /// Renames device `old` to `new` with its secret re-sealed for the new name, and its
    /// activation code with it, in one transaction.
    pub async fn rename_device(
        &self,
        old: &str,
        new: &str,
        sealed: &[u8],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE devices SET serial = $1, secret = $2, version = version + 1 WHERE serial = $3",
        )
        .bind(new)
        .bind(sealed)
        .bind(old)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE activation_codes SET serial = $1 WHERE serial = $2")
            .bind(new)
            .bind(old)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
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

    /// Checks that the group commit's writer is running and that the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        if self.writes.is_closed() {
            return Err(StoreError::WriterGone);
        }
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Stops the group commit's writer (of every clone of this store) and waits until it
    /// has gone: queued and later validations then fail, and [`Store::ping`] fails. For
    /// an orderly shutdown, and for testing that a lost writer is noticed.
    pub async fn stop_writer(&self) {
        self.stop_writer.notify_one();
        self.writes.closed().await;
    }
}

/// Brings the schema up to date (see [`MIGRATIONS`]).
async fn migrate(pool: &AnyPool, backend: Backend) -> Result<(), StoreError> {
    sqlx::migrate::Migrator::new(Migrations(backend))
        .await?
        .run(pool)
        .await?;
    Ok(())
}

/// How every SQLite connection (sqlx's and the group commit's) is set up: WAL, a full
/// fsync on every commit, waiting up to 30 s for a lock, and no checkpoint inside a commit
/// (checkpoints run beside the writer).
pub(crate) const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; \
    PRAGMA synchronous = FULL; PRAGMA busy_timeout = 30000; PRAGMA wal_autocheckpoint = 0;";

/// A pool of at most `connections` to `url`; SQLite connections set up with
/// [`SQLITE_PRAGMAS`], PostgreSQL ones with `synchronous_commit = on`.
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
                match backend {
                    Backend::Sqlite => {
                        sqlx::Executor::execute(&mut *conn, SQLITE_PRAGMAS).await?;
                    }
                    // Activations, imports and unlocks commit here: durable whatever the
                    // server's or the URL's default (the group commit's writer too).
                    Backend::Postgres => {
                        sqlx::Executor::execute(&mut *conn, "SET synchronous_commit = on").await?;
                    }
                }
                Ok(())
            })
        })
        .connect_with(AnyConnectOptions::from_str(url).map_err(failed)?)
        .await
        .map_err(failed)
}

fn bind_counters<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    counters: &Counters,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for value in counter_columns(counters) {
        query = query.bind(value);
    }
    query
}

/// A device's counters as the values of its columns `next_counter`, `drift`,
/// `failures`, `blocked_until`, `blocks`, `resync`, `last_used`, in that order.
pub(crate) fn counter_columns(counters: &Counters) -> [Option<i64>; 7] {
    [
        Some(to_i64(counters.next)),
        Some(counters.drift),
        Some(i64::from(counters.failures)),
        Some(counters.blocked_until_ms),
        Some(i64::from(counters.blocks)),
        counters.resync.map(to_i64),
        counters.last_used_ms,
    ]
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

    #[tokio::test]
    async fn every_sqlite_connection_gets_every_pragma() {
        sqlx::any::install_default_drivers();
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("kode.db").display());
        let pool = connect(&url, Backend::Sqlite, 1).await.unwrap();
        let mut settings = Vec::new();
        for pragma in [
            "journal_mode",
            "synchronous",
            "busy_timeout",
            "wal_autocheckpoint",
        ] {
            let row = sqlx::query(&format!("PRAGMA {pragma}"))
                .fetch_one(&pool)
                .await
                .unwrap();
            let value = row
                .try_get::<String, _>(0)
                .or_else(|_| row.try_get::<i64, _>(0).map(|n| n.to_string()))
                .unwrap();
            settings.push(value);
        }
        // synchronous = FULL reads back as 2.
        assert_eq!(settings, ["wal", "2", "30000", "0"]);
    }

    #[test]
    fn every_migration_is_written_out_for_both_dialects() {
        for (version, _, sql) in MIGRATIONS {
            for backend in [Backend::Sqlite, Backend::Postgres] {
                let sql = dialect(sql, backend);
                assert!(
                    !sql.contains("BYTES") && !sql.contains("AUTO_ID"),
                    "migration {version} for {backend:?}"
                );
            }
        }
        assert!(dialect(MIGRATIONS[0].2, Backend::Postgres).contains("BYTEA"));
    }

    /// Needs `KODE_TEST_POSTGRES_URL` (scripts/test sets it).
    #[tokio::test]
    async fn postgres_connections_commit_synchronously_whatever_the_url_says() {
        sqlx::any::install_default_drivers();
        let url = std::env::var("KODE_TEST_POSTGRES_URL")
            .expect("KODE_TEST_POSTGRES_URL is not set (scripts/test sets it)");
        let separator = if url.contains('?') { '&' } else { '?' };
        let url = format!("{url}{separator}options=-c%20synchronous_commit%3Doff");
        let pool = connect(&url, Backend::Postgres, 1).await.unwrap();
        let setting: String = sqlx::query("SHOW synchronous_commit")
            .fetch_one(&pool)
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        assert_eq!(setting, "on");
    }
}
