//! Shared test fixture: a service on SQLite (temp dir) or PostgreSQL
//! (`KODE_TEST_POSTGRES_URL`), driven through the router with `oneshot`.

#![allow(dead_code)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use otp::{Secret, Totp};
use serde_json::Value;
use service::{AdminToken, AppState, Clock, ManualClock, SecretBox, Service};
use tower::ServiceExt;

/// Makes each named `async fn NAME(db: Db)` of the test file two tests: `sqlite::NAME` and
/// `postgres::NAME`. The file's root must have `Db` in scope.
#[allow(unused_macros)]
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(super::Db::Sqlite).await })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(super::Db::Postgres).await })*
        }
    };
}

pub const ADMIN_TOKEN: &str = "test-admin-token";
/// Base32 of RFC 4226's secret "12345678901234567890".
pub const SECRET_B32: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
/// A fixed start time: 2027-01-15T08:00:00Z, 10 s into a 30 s step.
pub const START_MS: i64 = 1_800_000_010_000;

#[derive(Clone, Copy, Debug)]
pub enum Db {
    Sqlite,
    Postgres,
}

pub fn postgres_url() -> String {
    std::env::var("KODE_TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!(
            "KODE_TEST_POSTGRES_URL is not set: the PostgreSQL half of the suite cannot run. \
             Start a local cluster and set it with \
             `export KODE_TEST_POSTGRES_URL=\"$(bash service/ci-postgres.sh)\"` (as root), \
             then run the tests again."
        )
    })
}

pub struct Fixture {
    pub service: Service,
    pub router: Router,
    pub clock: ManualClock,
    pub tag: String,
    pub url: String,
    pub dir: tempfile::TempDir,
}

fn unique_tag() -> String {
    let mut bytes = [0u8; 6];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    data_encoding::HEXLOWER.encode(&bytes)
}

impl Fixture {
    pub async fn new(db: Db) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = match db {
            Db::Sqlite => format!("sqlite://{}", dir.path().join("kode.db").display()),
            Db::Postgres => postgres_url(),
        };
        let clock = ManualClock::at_ms(START_MS);
        let service = Service::open(&url, SecretBox::new(&[42; 32]), Arc::new(clock.clone()))
            .await
            .unwrap();
        let router = router_for(&service);
        Fixture {
            service,
            router,
            clock,
            tag: unique_tag(),
            url,
            dir,
        }
    }

    /// A second replica: its own pool and router over the same database and clock.
    pub async fn replica(&self) -> (Service, Router) {
        let service = Service::open(
            &self.url,
            SecretBox::new(&[42; 32]),
            Arc::new(self.clock.clone()),
        )
        .await
        .unwrap();
        let router = router_for(&service);
        (service, router)
    }

    pub fn serial(&self, n: u32) -> String {
        // Canonical form (as the service gives serials back): upper-case letters, digits.
        format!("KR{}N{n}", self.tag.to_uppercase())
    }

    pub fn user(&self, n: u32) -> String {
        format!("person-{}-{n}", self.tag)
    }

    /// Imports TOTP devices 1..=count with the RFC secret.
    pub async fn import_totp(&self, count: u32) {
        let lines: String = (1..=count)
            .map(|n| {
                format!(
                    "{} otpauth://totp/MitID:{}?secret={SECRET_B32}\n",
                    self.serial(n),
                    self.serial(n)
                )
            })
            .collect();
        assert_eq!(
            self.service.import(&lines, None, "test").await.unwrap(),
            count as usize
        );
    }

    /// The code the device shows `offset` steps from now.
    pub fn code(&self, offset: i64) -> String {
        let step = (self.clock.now_ms() / 30_000 + offset) as u64;
        Totp::mitid(&Secret::from_base32(SECRET_B32).unwrap())
            .code_for_step(step)
            .to_string()
    }

    pub async fn call(
        &self,
        method: &str,
        uri: &str,
        body: Option<Value>,
        admin: bool,
    ) -> (StatusCode, Value) {
        call(
            &self.router,
            method,
            uri,
            body.map(|b| b.to_string()),
            admin,
        )
        .await
    }

    /// Issues an activation code and activates `serial` for `user` with the current code.
    pub async fn activate(&self, serial: &str, user: &str) {
        let (status, body) = self
            .call(
                "POST",
                "/v1/activation-codes",
                Some(serde_json::json!({"serial": serial, "user": user, "channel": "sms"})),
                true,
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let activation_code = body["activation_code"].as_str().unwrap().to_owned();
        let (status, body) = self
            .call("POST", "/v1/activate", Some(serde_json::json!({"serial": serial, "user": user, "activation_code": activation_code, "code": self.code(0)})), false)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body, serde_json::json!({"status": "active"}));
    }

    pub async fn validate(&self, user: &str, code: &str) -> (StatusCode, Value) {
        self.call(
            "POST",
            "/v1/validate",
            Some(serde_json::json!({"user": user, "code": code})),
            false,
        )
        .await
    }

    pub async fn view(&self, serial: &str) -> Value {
        let (status, body) = self
            .call("GET", &format!("/v1/devices/{serial}"), None, true)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }
}

pub fn router_for(service: &Service) -> Router {
    service::app(AppState::new(
        service.clone(),
        AdminToken::new(Some(ADMIN_TOKEN)),
    ))
}

/// One request through the router; the body is raw text so tests can send broken JSON.
pub async fn call(
    router: &Router,
    method: &str,
    uri: &str,
    body: Option<String>,
    admin: bool,
) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(uri);
    if body.is_some() {
        request = request.header("content-type", "application/json");
    }
    if admin {
        request = request.header("authorization", format!("Bearer {ADMIN_TOKEN}"));
    }
    let request = request
        .body(body.map(Body::from).unwrap_or_else(Body::empty))
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, value)
}
