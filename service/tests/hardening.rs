//! Regression tests for the service's correctness holes found in review (issue 15): each
//! failed before its fix. Like the API suite, most run on SQLite and on PostgreSQL.

#[macro_use]
mod common;

use std::sync::Arc;

use axum::http::StatusCode;
use common::{Db, Fixture, SECRET_B32};
use serde_json::json;
use sqlx::Row;

on_both!(
    concurrent_activations_leave_one_active_device,
    the_database_refuses_two_active_devices_for_one_person,
    healthz_fails_when_the_writer_is_gone,
    a_refused_activation_keeps_the_device_cache,
    a_database_from_before_migrations_is_upgraded,
);

/// Issues an activation code for `serial` and `user` and returns it.
async fn issue(f: &Fixture, serial: &str, user: &str) -> String {
    let (status, body) = f
        .call(
            "POST",
            "/v1/activation-codes",
            Some(json!({"serial": serial, "user": user, "channel": "sms"})),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["activation_code"].as_str().unwrap().to_owned()
}

/// A pool of our own on the fixture's database, for looking under the service.
async fn raw_pool(f: &Fixture) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    sqlx::any::AnyPoolOptions::new()
        .max_connections(2)
        .connect(&f.url)
        .await
        .unwrap()
}

/// Two people's worth of races: each round activates two different devices for one
/// person at the same moment, through two replicas. Both are answered (the later one
/// deactivates the earlier, as one after the other would), and exactly one stays
/// active. Without the partial unique index both could commit on PostgreSQL (read
/// committed): neither saw the other's uncommitted activation.
async fn concurrent_activations_leave_one_active_device(db: Db) {
    const ROUNDS: u32 = 12;
    let f = Fixture::new(db).await;
    f.import_totp(2 * ROUNDS).await;
    let (_replica_service, replica) = f.replica().await;
    let pool = raw_pool(&f).await;
    for round in 0..ROUNDS {
        let user = f.user(round);
        let serials = [f.serial(2 * round + 1), f.serial(2 * round + 2)];
        let mut tasks = Vec::new();
        for (i, serial) in serials.iter().enumerate() {
            let activation_code = issue(&f, serial, &user).await;
            let body = json!({"serial": serial, "user": user,
                "activation_code": activation_code, "code": f.code(0)})
            .to_string();
            let router = if i == 0 {
                f.router.clone()
            } else {
                replica.clone()
            };
            tasks.push(tokio::spawn(async move {
                common::call(&router, "POST", "/v1/activate", Some(body), false).await
            }));
        }
        for task in tasks {
            let (status, body) = task.await.unwrap();
            assert_eq!(status, StatusCode::OK, "round {round}: {body}");
        }
        let active: i64 =
            sqlx::query("SELECT COUNT(*) FROM devices WHERE user_id = $1 AND state = 'active'")
                .bind(user.as_str())
                .fetch_one(&pool)
                .await
                .unwrap()
                .get(0);
        assert_eq!(active, 1, "round {round}: active devices of {user}");
    }
}

/// The rule holds in the database itself, whoever writes to it.
async fn the_database_refuses_two_active_devices_for_one_person(db: Db) {
    let f = Fixture::new(db).await;
    f.import_totp(2).await;
    let user = f.user(1);
    f.activate(&f.serial(1), &user).await;
    let pool = raw_pool(&f).await;
    let second = sqlx::query("UPDATE devices SET state = 'active', user_id = $1 WHERE serial = $2")
        .bind(user.as_str())
        .bind(f.serial(2))
        .execute(&pool)
        .await;
    let error = second.expect_err("a second active device for one person was stored");
    assert!(
        matches!(&error, sqlx::Error::Database(e) if e.is_unique_violation()),
        "{error}"
    );
    // A deactivated or inactive device of the same person is fine.
    sqlx::query("UPDATE devices SET state = 'deactivated', user_id = $1 WHERE serial = $2")
        .bind(user.as_str())
        .bind(f.serial(2))
        .execute(&pool)
        .await
        .unwrap();
}

/// Health covers the group commit: with its writer gone every validation would fail,
/// so the health check must too.
async fn healthz_fails_when_the_writer_is_gone(db: Db) {
    let f = Fixture::new(db).await;
    f.import_totp(1).await;
    let user = f.user(1);
    f.activate(&f.serial(1), &user).await;
    assert_eq!(
        f.call("GET", "/healthz", None, false).await.0,
        StatusCode::OK
    );
    f.service.store().stop_writer().await;
    let (status, body) = f.call("GET", "/healthz", None, false).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
    f.clock.advance_ms(30_000);
    let (status, body) = f.validate(&user, &f.code(0)).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
}

/// A wrong or unauthorised activation changes no binding, so it must not throw away the
/// cache of everyone's devices (anyone could otherwise empty it at will, and every
/// validation would go back to the database).
async fn a_refused_activation_keeps_the_device_cache(db: Db) {
    let f = Fixture::new(db).await;
    f.import_totp(2).await;
    let user = f.user(1);
    f.activate(&f.serial(1), &user).await;
    f.clock.advance_ms(30_000);
    assert_eq!(f.validate(&user, &f.code(0)).await.0, StatusCode::OK);
    assert_eq!(f.service.cached_devices(), 1);

    // No activation code issued.
    let attempt = |activation_code: &str| {
        json!({"serial": f.serial(2), "user": f.user(2),
            "activation_code": activation_code, "code": f.code(0)})
    };
    let (status, _) = f
        .call("POST", "/v1/activate", Some(attempt("AAAA-BBBB")), false)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        f.service.cached_devices(),
        1,
        "after an unissued activation"
    );

    // A wrong activation code.
    issue(&f, &f.serial(2), &f.user(2)).await;
    let (status, body) = f
        .call(
            "POST",
            "/v1/activate",
            Some(attempt("AAAA-BBBB-CCCC")),
            false,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(
        f.service.cached_devices(),
        1,
        "after a wrong activation code"
    );

    // A successful activation does change bindings.
    f.activate(&f.serial(2), &f.user(2)).await;
    assert_eq!(f.service.cached_devices(), 0);
}

/// The schema as it was before migrations: a database created by that version, holding
/// a person with two active devices (the race closed by migration 2), is taken over —
/// data kept, the most recently activated device left active, the rule then enforced.
/// On PostgreSQL the old database is a schema of its own (through `search_path`).
async fn a_database_from_before_migrations_is_upgraded(db: Db) {
    sqlx::any::install_default_drivers();
    let dir = tempfile::tempdir().unwrap();
    let (url, schema) = match db {
        Db::Sqlite => (
            format!("sqlite://{}?mode=rwc", dir.path().join("kode.db").display()),
            None,
        ),
        Db::Postgres => {
            let base = common::postgres_url();
            let mut tag = [0u8; 6];
            rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut tag);
            let schema = format!("upgrade_{}", data_encoding::HEXLOWER.encode(&tag));
            let admin = sqlx::AnyPool::connect(&base).await.unwrap();
            sqlx::query(&format!("CREATE SCHEMA {schema}"))
                .execute(&admin)
                .await
                .unwrap();
            let separator = if base.contains('?') { '&' } else { '?' };
            let url = format!("{base}{separator}options=-c%20search_path%3D{schema}");
            (url, Some((admin, schema)))
        }
    };
    let old_schema = include_str!("fixtures/schema-before-migrations.sql");
    let old_schema = match db {
        Db::Sqlite => old_schema.to_owned(),
        Db::Postgres => old_schema
            .replace("BLOB", "BYTEA")
            .replace("INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY"),
    };
    let sealer = service::SecretBox::new(&[42; 32]);
    let secret = otp::Secret::from_base32(SECRET_B32).unwrap();
    let old = sqlx::AnyPool::connect(&url).await.unwrap();
    sqlx::raw_sql(&old_schema).execute(&old).await.unwrap();
    for (serial, state, activated_at) in [
        ("KR-OLD-1", "active", Some(1_700_000_000_000_i64)),
        ("KR-OLD-2", "active", Some(1_700_000_100_000)),
        ("KR-OLD-3", "inactive", None),
    ] {
        sqlx::query(
            "INSERT INTO devices (serial, kind, algorithm, digits, period, secret, \
             next_counter, user_id, state, imported_at, activated_at) \
             VALUES ($1, 'totp', 'SHA1', 6, 30, $2, 0, $3, $4, 1690000000000, $5)",
        )
        .bind(serial)
        .bind(sealer.seal(serial, &secret))
        .bind(activated_at.map(|_| "person-old"))
        .bind(state)
        .bind(activated_at)
        .execute(&old)
        .await
        .unwrap();
    }
    sqlx::query(
        "INSERT INTO audit (at, actor, action, subject, result) \
         VALUES (1, 'cli', 'import', '3 devices', 'ok')",
    )
    .execute(&old)
    .await
    .unwrap();

    let clock = service::ManualClock::at_ms(common::START_MS);
    let open = || {
        service::Service::open(
            &url,
            service::SecretBox::new(&[42; 32]),
            Arc::new(clock.clone()),
        )
    };
    let service = open().await.unwrap();
    let state = |serial: &'static str| {
        let service = service.clone();
        async move { service.device_view(serial, "test").await.unwrap().state }
    };
    assert_eq!(state("KR-OLD-1").await, "deactivated");
    assert_eq!(state("KR-OLD-2").await, "active");
    assert_eq!(state("KR-OLD-3").await, "inactive");
    let code = otp::Totp::mitid(&secret)
        .code_for_step((common::START_MS / 30_000) as u64)
        .to_string();
    service.validate("person-old", &code).await.unwrap();
    assert_eq!(service.store().audit_log(100).await.unwrap().len(), 5);

    let versions: Vec<i64> =
        sqlx::query("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(&old)
            .await
            .unwrap()
            .iter()
            .map(|row| row.get(0))
            .collect();
    assert_eq!(versions, [1, 2]);
    // Serials were made canonical (and their secrets re-sealed: the validation above
    // opened one under its new name).
    let serials: Vec<String> = sqlx::query("SELECT serial FROM devices ORDER BY serial")
        .fetch_all(&old)
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(serials, ["KROLD1", "KROLD2", "KROLD3"]);
    let second = sqlx::query(
        "UPDATE devices SET state = 'active', user_id = 'person-old' WHERE serial = 'KROLD3'",
    )
    .execute(&old)
    .await;
    assert!(
        second.is_err(),
        "the rule is not enforced after the upgrade"
    );
    // Opening again applies nothing twice.
    drop(open().await.unwrap());
    old.close().await;
    if let Some((admin, schema)) = schema {
        sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
            .execute(&admin)
            .await
            .unwrap();
    }
}

/// The at-rest key file is durable before anything is sealed under it: the `service`
/// binary, traced with strace, fsyncs the new key's contents before linking it into
/// place, then the directory holding it, and the parent of each directory it created.
#[test]
fn a_new_key_file_and_its_directories_are_fsynced() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("keys/new/secret.key");
    let trace = dir.path().join("strace.log");
    let output = std::process::Command::new("strace")
        .args([
            "-f",
            "-y",
            "-qq",
            "-e",
            "trace=fsync,fdatasync,link,linkat,mkdir,mkdirat",
        ])
        .arg("-o")
        .arg(&trace)
        .arg(env!("CARGO_BIN_EXE_service"))
        .arg("--db")
        .arg(format!("sqlite://{}", dir.path().join("kode.db").display()))
        .arg("--key-file")
        .arg(&key)
        .args(["status", "KR-NONE"])
        .output()
        .expect("running strace (scripts/install-deps installs it)");
    assert!(key.exists(), "{}", String::from_utf8_lossy(&output.stderr));
    let trace = std::fs::read_to_string(&trace).unwrap();
    let calls: Vec<&str> = trace.lines().collect();
    let position = |what: &dyn Fn(&str) -> bool, name: &str| {
        calls
            .iter()
            .position(|line| what(line))
            .unwrap_or_else(|| panic!("no {name} in the trace:\n{trace}"))
    };
    let keys = dir.path().join("keys").display().to_string();
    let new = dir.path().join("keys/new").display().to_string();
    let fsync_of = |path: String| {
        move |line: &str| line.contains("fsync(") && line.contains(&format!("<{path}>)"))
    };
    let contents = position(
        &|line| line.contains("fsync(") && line.contains("/keys/new/.secret.key."),
        "fsync of the key's contents",
    );
    let linked = position(
        &|line| line.contains("link") && line.contains("/keys/new/secret.key\""),
        "link of the key file",
    );
    let directory = position(&fsync_of(new.clone()), "fsync of the key's directory");
    let made_new = position(
        &|line| line.contains("mkdir") && line.contains(&format!("\"{new}\"")),
        "mkdir of keys/new",
    );
    let parent_of_new = position(&fsync_of(keys), "fsync of keys/ after mkdir keys/new");
    assert!(
        contents < linked,
        "contents fsynced after the link:\n{trace}"
    );
    assert!(
        linked < directory,
        "directory fsynced before the link:\n{trace}"
    );
    assert!(made_new < parent_of_new, "{trace}");
}
