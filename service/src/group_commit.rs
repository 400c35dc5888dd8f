//! The group commit: counter updates and audit lines queued by requests are committed in
//! batches on a thread of their own (one fsync per batch), and each request is answered
//! only after the batch holding its change has committed.
//!
//! One writer per process. On SQLite it runs synchronously (rusqlite) on that thread:
//! one transaction of two prepared statements per batch, with no hop to another thread
//! per statement; a second thread copies the write-ahead log back, never inside a
//! commit. On PostgreSQL each batch is one statement, its own transaction, one round
//! trip, with each column of the batch sent as one array. (Several PostgreSQL writers
//! overlapping their batches were measured too: 2 and 3 gave a lower peak and a longer
//! tail at half of it than 1, whose batches are bigger.)

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rusqlite::types::{ToSqlOutput, ValueRef};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{ConnectOptions, Row};
use tokio::sync::{mpsc, oneshot};

use crate::policy::Counters;
use crate::store::{counter_columns, AuditEntry, Backend, CommitStats, StoreError, SQLITE_PRAGMAS};

/// Most writes taken from the queue at once.
pub(crate) const MAX_BATCH: usize = 1024;
/// Writes per SQLite batch statement. Each statement is written for a power of two of
/// rows (1, 2, 4 … this many), the rest padded with rows that match and insert nothing,
/// so a few shapes stay in the statement cache; 14 parameters a row stay well under
/// SQLite's limit. (PostgreSQL takes the whole batch as arrays, one shape.)
const ROWS_PER_STATEMENT: usize = 128;
/// A batch that fails with a transient error (deadlock, serialization, busy) is tried
/// again.
const BATCH_ATTEMPTS: usize = 3;
/// How often SQLite's write-ahead log is copied back into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);

/// A change waiting for the group commit.
pub(crate) enum Write {
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

pub(crate) struct Pending {
    pub(crate) write: Write,
    /// True when the write took effect (a counter update can lose to a concurrent one).
    pub(crate) reply: oneshot::Sender<Result<bool, StoreError>>,
}

/// Starts the group commit for the (migrated) database at `url` on a thread of its own:
/// its work never waits for a turn behind request handling. It ends when the queue's
/// last sender (the last `Store` clone) is dropped. Replicas on one PostgreSQL each have
/// their own writer: a device changed by one fails the other's version check (re-read
/// and retried), and a deadlock between their batches is retried.
pub(crate) async fn spawn(
    url: &str,
    backend: Backend,
    queue: mpsc::Receiver<Pending>,
    stats: Arc<CommitStats>,
    stop: Arc<tokio::sync::Notify>,
) -> Result<(), StoreError> {
    let url = url.to_owned();
    let (started, ready) = oneshot::channel();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(StoreError::Writer)?;
    std::thread::Builder::new()
        .name("group-commit".to_owned())
        .spawn(move || {
            runtime.block_on(async move {
                match Writer::open(&url, backend).await {
                    Ok(writer) => {
                        let _ = started.send(Ok(()));
                        run(writer, queue, &stats, &stop).await;
                    }
                    Err(error) => {
                        let _ = started.send(Err(error));
                    }
                }
            })
        })
        .map_err(StoreError::Writer)?;
    ready.await.map_err(|_| StoreError::WriterGone)?
}

/// The writer's loop: takes what is queued, commits it, answers each request; until the
/// queue closes or `stop` is notified (then the queue is dropped: what waits in it, and
/// every later write, fails with [`StoreError::WriterGone`]). A second update of the same
/// device waits for the next batch, so each batch touches a device once.
async fn run(
    mut writer: Writer,
    mut queue: mpsc::Receiver<Pending>,
    stats: &CommitStats,
    stop: &tokio::sync::Notify,
) {
    let mut carried = Vec::new();
    loop {
        // `gather` only waits while its batch and the carried writes are empty, so
        // stopping there loses nothing taken from the queue.
        let batch = tokio::select! {
            biased;
            () = stop.notified() => break,
            batch = gather(&mut queue, &mut carried) => batch,
        };
        let Some(batch) = batch else { break };
        let mut outcome = writer.commit(&batch).await;
        for _ in 1..BATCH_ATTEMPTS {
            match &outcome {
                Err(failure) if failure.transient => outcome = writer.commit(&batch).await,
                _ => break,
            }
        }
        answer(batch, outcome, stats);
    }
}

/// The next batch: the writes carried from the last one, then whatever is queued (up to
/// [`MAX_BATCH`]), waiting for one only when there is nothing else. A write for a device
/// already in the batch is carried to the next. None when the queue has closed.
async fn gather(
    queue: &mut mpsc::Receiver<Pending>,
    carried: &mut Vec<Pending>,
) -> Option<Vec<Pending>> {
    let mut batch = Vec::new();
    let mut serials = HashSet::new();
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
    if batch.is_empty() {
        take(queue.recv().await?, &mut batch);
    }
    while batch.len() < MAX_BATCH {
        match queue.try_recv() {
            Ok(next) => take(next, &mut batch),
            Err(_) => break,
        }
    }
    *carried = next_carry;
    Some(batch)
}

/// Tells each request whether its write took effect, or why the batch failed.
fn answer(writes: Vec<Pending>, outcome: Result<Vec<bool>, BatchFailure>, stats: &CommitStats) {
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
        Err(failure) => {
            tracing::error!(error = %failure.message, size = writes.len(), "group commit failed");
            for pending in writes {
                let _ = pending
                    .reply
                    .send(Err(StoreError::Batch(failure.message.clone())));
            }
        }
    }
}

/// A batch that did not commit: why, and whether trying again may succeed.
#[derive(Debug)]
struct BatchFailure {
    message: String,
    transient: bool,
}

impl From<sqlx::Error> for BatchFailure {
    fn from(error: sqlx::Error) -> Self {
        // PostgreSQL's deadlock and serialization failures.
        let transient = matches!(&error, sqlx::Error::Database(e)
            if matches!(e.code().as_deref(), Some("40P01" | "40001")));
        BatchFailure {
            message: error.to_string(),
            transient,
        }
    }
}

impl From<rusqlite::Error> for BatchFailure {
    fn from(error: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode::{DatabaseBusy, DatabaseLocked};
        let transient = matches!(
            error.sqlite_error_code(),
            Some(DatabaseBusy | DatabaseLocked)
        );
        BatchFailure {
            message: error.to_string(),
            transient,
        }
    }
}

/// A connection that commits batches.
enum Writer {
    /// Runs synchronously: it blocks its thread, which runs nothing else. Dropping it
    /// stops the checkpoints.
    Sqlite {
        connection: rusqlite::Connection,
        statements: SqliteStatements,
        _checkpoints: std::sync::mpsc::Sender<()>,
    },
    /// Keeps its connection from one batch to the next; after an error it opens a fresh
    /// one.
    Postgres {
        options: Box<PgConnectOptions>,
        connection: Option<PgConnection>,
    },
}

impl Writer {
    async fn open(url: &str, backend: Backend) -> Result<Writer, StoreError> {
        match backend {
            Backend::Sqlite => {
                let path = sqlx::sqlite::SqliteConnectOptions::from_str(url)
                    .map_err(|source| StoreError::Url {
                        url: url.to_owned(),
                        source,
                    })?
                    .get_filename()
                    .to_owned();
                let connection = open_sqlite(&path)?;
                connection.set_prepared_statement_cache_capacity(32);
                Ok(Writer::Sqlite {
                    connection,
                    statements: SqliteStatements::new(),
                    _checkpoints: checkpoints(path)?,
                })
            }
            Backend::Postgres => {
                let options = writer_options(url)?;
                let connection = options.connect().await.map_err(|source| StoreError::Url {
                    url: url.to_owned(),
                    source,
                })?;
                Ok(Writer::Postgres {
                    options: Box::new(options),
                    connection: Some(connection),
                })
            }
        }
    }

    /// Commits `writes` (a batch, at most [`MAX_BATCH`]) in one transaction and tells
    /// which took effect: a counter update whose device changed since it was read does
    /// not.
    async fn commit(&mut self, writes: &[Pending]) -> Result<Vec<bool>, BatchFailure> {
        match self {
            Writer::Sqlite {
                connection,
                statements,
                ..
            } => Ok(commit_sqlite(connection, statements, writes)?),
            Writer::Postgres {
                options,
                connection,
            } => {
                let conn = match connection {
                    Some(conn) => conn,
                    None => connection.insert(options.connect().await?),
                };
                let outcome = commit_postgres(conn, writes).await;
                if outcome.is_err() {
                    *connection = None;
                }
                Ok(outcome?)
            }
        }
    }
}

/// How the PostgreSQL writer connects to `url`: with `synchronous_commit = on` whatever
/// the server's, the database's, the role's or the URL's setting, since a request is
/// answered as durable once its batch has committed. (Set last, it wins over an
/// `options=-c synchronous_commit=…` in the URL.)
fn writer_options(url: &str) -> Result<PgConnectOptions, StoreError> {
    let options = PgConnectOptions::from_str(url).map_err(|source| StoreError::Url {
        url: url.to_owned(),
        source,
    })?;
    Ok(options.options([("synchronous_commit", "on")]))
}

/// A connection to the SQLite file at `path`, set up as the store's are.
fn open_sqlite(path: &Path) -> Result<rusqlite::Connection, StoreError> {
    let connection = rusqlite::Connection::open(path)?;
    connection.execute_batch(SQLITE_PRAGMAS)?;
    Ok(connection)
}

/// Copies SQLite's write-ahead log back into the database every [`CHECKPOINT_EVERY`] on
/// a thread and connection of its own, so that a commit never waits for that copy and its
/// fsync (PASSIVE never blocks the writer). Stops when the returned sender is dropped.
fn checkpoints(path: PathBuf) -> Result<std::sync::mpsc::Sender<()>, StoreError> {
    let connection = open_sqlite(&path)?;
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("wal-checkpoint".to_owned())
        .spawn(move || {
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                stopped.recv_timeout(CHECKPOINT_EVERY)
            {
                if let Err(error) =
                    connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
                {
                    tracing::warn!(%error, "WAL checkpoint failed");
                }
            }
        })
        .map_err(StoreError::Writer)?;
    Ok(stop)
}

/// One transaction: the conditional updates, then the audit lines of those that applied
/// and of the lone audit lines.
fn commit_sqlite(
    connection: &mut rusqlite::Connection,
    statements: &SqliteStatements,
    writes: &[Pending],
) -> rusqlite::Result<Vec<bool>> {
    let tx = connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let mut updated = HashSet::new();
    for chunk in writes.chunks(ROWS_PER_STATEMENT) {
        let mut statement = tx.prepare_cached(statements.update(chunk.len()))?;
        let mut rows = statement.query(rusqlite::params_from_iter(cells(chunk, |_| false)))?;
        while let Some(row) = rows.next()? {
            updated.insert(row.get::<_, String>(0)?);
        }
    }
    let applied = applied(writes, &updated);
    for (k, chunk) in writes.chunks(ROWS_PER_STATEMENT).enumerate() {
        let skip = |i: usize| !applied[k * ROWS_PER_STATEMENT + i];
        tx.prepare_cached(statements.audit(chunk.len()))?
            .execute(rusqlite::params_from_iter(cells(chunk, skip)))?;
    }
    tx.commit()?;
    Ok(applied)
}

/// One statement (its own transaction) for the whole batch: each column of the rows is
/// sent as one array, so the statement has one shape, planned once per connection.
async fn commit_postgres(
    connection: &mut sqlx::PgConnection,
    writes: &[Pending],
) -> Result<Vec<bool>, sqlx::Error> {
    let rows: Vec<[Cell<'_>; 14]> = writes
        .iter()
        .map(|pending| write_row(pending, false))
        .collect();
    let mut query = sqlx::query(postgres_sql());
    for (k, (_, ty)) in ROW_COLUMNS.iter().enumerate() {
        query = if *ty == "TEXT" {
            query.bind(rows.iter().map(|row| row[k].text()).collect::<Vec<_>>())
        } else {
            query.bind(rows.iter().map(|row| row[k].int()).collect::<Vec<_>>())
        };
    }
    let updated = query
        .fetch_all(connection)
        .await?
        .iter()
        .map(|row| row.try_get::<String, _>(0))
        .collect::<Result<HashSet<_>, _>>()?;
    Ok(applied(writes, &updated))
}

/// Which writes took effect, given the serials whose update applied.
fn applied(writes: &[Pending], updated: &HashSet<String>) -> Vec<bool> {
    writes
        .iter()
        .map(|pending| match &pending.write {
            Write::Counters { serial, .. } => updated.contains(serial),
            Write::Audit(_) => true,
        })
        .collect()
}

/// The rows a statement for `len` writes is written with: the next power of two, at
/// most [`ROWS_PER_STATEMENT`].
fn padded_rows(len: usize) -> usize {
    len.next_power_of_two().min(ROWS_PER_STATEMENT)
}

/// The columns of a batch row and their types: a counter update (`serial` …
/// `last_used`, guarded by `version`) with its audit line (`at` … `result`). An audit
/// line alone has a NULL serial; a padding row is all NULL.
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

/// One value of a batch row, for either database.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Cell<'a> {
    Text(Option<&'a str>),
    Int(Option<i64>),
}

impl<'a> Cell<'a> {
    /// The value of a TEXT column (None for an integer cell, which no TEXT column has).
    fn text(self) -> Option<&'a str> {
        match self {
            Cell::Text(text) => text,
            Cell::Int(_) => None,
        }
    }

    /// The value of a BIGINT column (None for a text cell, which no BIGINT column has).
    fn int(self) -> Option<i64> {
        match self {
            Cell::Int(n) => n,
            Cell::Text(_) => None,
        }
    }
}

impl rusqlite::ToSql for Cell<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match *self {
            Cell::Text(Some(text)) => ValueRef::Text(text.as_bytes()),
            Cell::Int(Some(n)) => ValueRef::Integer(n),
            Cell::Text(None) | Cell::Int(None) => ValueRef::Null,
        }))
    }
}

/// The row of a counter update and of an audit line (either may be absent).
fn row<'a>(
    update: Option<(&'a str, i64, &'a Counters)>,
    audit: Option<&'a AuditEntry>,
) -> [Cell<'a>; 14] {
    let counters = update.map(|(_, _, counters)| counter_columns(counters));
    let counter = |k: usize| Cell::Int(counters.and_then(|values| values[k]));
    let text = |f: fn(&'a AuditEntry) -> &'a str| Cell::Text(audit.map(f));
    [
        Cell::Text(update.map(|(serial, _, _)| serial)),
        Cell::Int(update.map(|(_, version, _)| version)),
        counter(0),
        counter(1),
        counter(2),
        counter(3),
        counter(4),
        counter(5),
        counter(6),
        Cell::Int(audit.map(|a| a.at_ms)),
        text(|a| &a.actor),
        text(|a| &a.action),
        text(|a| &a.subject),
        text(|a| &a.result),
    ]
}

/// The row of a queued write, or a padding row when `skip`.
fn write_row(pending: &Pending, skip: bool) -> [Cell<'_>; 14] {
    match (&pending.write, skip) {
        (_, true) => row(None, None),
        (
            Write::Counters {
                serial,
                version,
                counters,
                audit,
            },
            false,
        ) => row(Some((serial, *version, counters)), Some(audit)),
        (Write::Audit(audit), false) => row(None, Some(audit)),
    }
}

/// The cells of the rows for `writes`, padded to [`padded_rows`]; `skip(i)` makes the
/// `i`th write a padding row.
fn cells(writes: &[Pending], skip: impl Fn(usize) -> bool) -> Vec<Cell<'_>> {
    let rows = padded_rows(writes.len());
    let mut cells = Vec::with_capacity(rows * ROW_COLUMNS.len());
    for (i, pending) in writes.iter().enumerate() {
        cells.extend(write_row(pending, skip(i)));
    }
    for _ in writes.len()..rows {
        cells.extend(row(None, None));
    }
    cells
}

const SET_COUNTERS: &str = "UPDATE devices SET next_counter = v.next_counter, \
    drift = v.drift, failures = v.failures, blocked_until = v.blocked_until, \
    blocks = v.blocks, resync = v.resync, last_used = v.last_used, \
    version = devices.version + 1 FROM v \
    WHERE devices.serial = v.serial AND devices.version = v.version";
const INSERT_AUDIT: &str = "INSERT INTO audit (at, actor, action, subject, result) \
    SELECT v.at, v.actor, v.action, v.subject, v.result FROM v WHERE v.at IS NOT NULL";

/// The names of the batch rows' columns, comma-separated.
fn column_names() -> String {
    let names: Vec<&str> = ROW_COLUMNS.iter().map(|(name, _)| *name).collect();
    names.join(", ")
}

/// SQLite's batch statements (it has no data-modifying WITH), written once per writer
/// for each padded size (1, 2, 4 … [`ROWS_PER_STATEMENT`] rows).
struct SqliteStatements {
    /// The conditional updates, returning the serials updated …
    updates: Vec<String>,
    /// … then the audit lines, with the rows of updates that did not apply as padding.
    audits: Vec<String>,
}

impl SqliteStatements {
    fn new() -> Self {
        let row = ROW_COLUMNS
            .iter()
            .map(|(_, ty)| format!("CAST(? AS {ty})"))
            .collect::<Vec<_>>()
            .join(", ");
        let with = |rows: usize| {
            let values = vec![format!("({row})"); rows].join(", ");
            format!("WITH v ({}) AS (VALUES {values})", column_names())
        };
        let sizes = (0..=ROWS_PER_STATEMENT.trailing_zeros()).map(|power| 1 << power);
        SqliteStatements {
            updates: sizes
                .clone()
                .map(|rows| format!("{} {SET_COUNTERS} RETURNING devices.serial", with(rows)))
                .collect(),
            audits: sizes
                .map(|rows| format!("{} {INSERT_AUDIT}", with(rows)))
                .collect(),
        }
    }

    /// The update statement for `len` writes (at most [`ROWS_PER_STATEMENT`]).
    fn update(&self, len: usize) -> &str {
        &self.updates[padded_rows(len).trailing_zeros() as usize]
    }

    /// The audit statement for `len` writes (at most [`ROWS_PER_STATEMENT`]).
    fn audit(&self, len: usize) -> &str {
        &self.audits[padded_rows(len).trailing_zeros() as usize]
    }
}

/// PostgreSQL's batch statement: the rows come as one array per column; the
/// conditional updates and the audit lines of those that applied (and the lone audit
/// lines) are one statement, returning the serials updated.
fn postgres_sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        let arrays = ROW_COLUMNS
            .iter()
            .enumerate()
            .map(|(k, (_, ty))| format!("CAST(${} AS {ty}[])", k + 1))
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "WITH v AS (SELECT * FROM unnest({arrays}) AS v ({})), \
             u AS ({SET_COUNTERS} RETURNING devices.serial), \
             a AS ({INSERT_AUDIT} AND (v.serial IS NULL OR v.serial IN \
             (SELECT serial FROM u))) SELECT serial FROM u",
            column_names()
        )
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
        let statements = SqliteStatements::new();
        let sql = statements.update(2);
        assert_eq!(sql.matches('?').count(), 2 * ROW_COLUMNS.len(), "{sql}");
        let sql = statements.audit(100);
        assert_eq!(sql.matches('?').count(), 128 * ROW_COLUMNS.len(), "{sql}");
        let sql = postgres_sql();
        assert!(
            sql.contains("CAST($14 AS TEXT[])") && !sql.contains("$15"),
            "{sql}"
        );
    }

    #[test]
    fn row_cells_have_the_column_types() {
        let counters = Counters::default();
        let audit = AuditEntry {
            at_ms: 1,
            actor: "a".into(),
            action: "b".into(),
            subject: "c".into(),
            result: "d".into(),
        };
        for cells in [
            row(Some(("s", 1, &counters)), Some(&audit)),
            row(None, None),
        ] {
            for (cell, (name, ty)) in cells.iter().zip(ROW_COLUMNS) {
                let text = matches!(cell, Cell::Text(_));
                assert_eq!(text, ty == "TEXT", "{name}");
            }
        }
        assert!(row(None, None)
            .iter()
            .all(|cell| matches!(cell, Cell::Text(None) | Cell::Int(None))));
    }

    #[test]
    fn transient_failures_are_retried_and_others_are_not() {
        let busy = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
            None,
        );
        assert!(BatchFailure::from(busy).transient);
        let constraint = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CONSTRAINT),
            None,
        );
        assert!(!BatchFailure::from(constraint).transient);
        assert!(!BatchFailure::from(sqlx::Error::RowNotFound).transient);
    }

    /// Needs `KODE_TEST_POSTGRES_URL` (scripts/test sets it).
    #[tokio::test]
    async fn the_postgres_writer_commits_synchronously_whatever_the_url_says() {
        let url = std::env::var("KODE_TEST_POSTGRES_URL")
            .expect("KODE_TEST_POSTGRES_URL is not set (scripts/test sets it)");
        let separator = if url.contains('?') { '&' } else { '?' };
        let url = format!("{url}{separator}options=-c%20synchronous_commit%3Doff");
        let mut writer = Writer::open(&url, Backend::Postgres).await.unwrap();
        let Writer::Postgres {
            connection: Some(connection),
            ..
        } = &mut writer
        else {
            panic!("not a PostgreSQL writer");
        };
        let setting: String = sqlx::query("SHOW synchronous_commit")
            .fetch_one(&mut *connection)
            .await
            .unwrap()
            .get(0);
        assert_eq!(setting, "on");
    }

    #[test]
    fn the_writer_connection_is_set_up_as_the_store_s() {
        let dir = tempfile::tempdir().unwrap();
        let connection = open_sqlite(&dir.path().join("kode.db")).unwrap();
        let setting = |pragma: &str| -> String {
            connection
                .query_row(&format!("PRAGMA {pragma}"), [], |row| {
                    row.get::<_, rusqlite::types::Value>(0)
                })
                .map(|value| match value {
                    rusqlite::types::Value::Integer(n) => n.to_string(),
                    rusqlite::types::Value::Text(text) => text,
                    other => format!("{other:?}"),
                })
                .unwrap()
        };
        let settings: Vec<String> = [
            "journal_mode",
            "synchronous",
            "busy_timeout",
            "wal_autocheckpoint",
        ]
        .iter()
        .map(|pragma| setting(pragma))
        .collect();
        assert_eq!(settings, ["wal", "2", "30000", "0"]);
    }
}
