//! The API suite. Every test runs twice: on SQLite (a temporary file) and on PostgreSQL
//! (`KODE_TEST_POSTGRES_URL`; the PostgreSQL half fails, never skips, when it is unset).

#[macro_use]
mod common;

use axum::http::StatusCode;
use common::{Db, Fixture, SECRET_B32};
use serde_json::{json, Value};
use service::Clock;

on_both!(
    activate_then_validate_once,
    activation_code_lifetimes,
    activation_code_blocks_after_three_wrong_entries,
    one_active_reader_per_person,
    blocks_after_three_wrong_codes_and_support_unlocks,
    totp_follows_drift_within_one_step,
    hotp_look_ahead_and_resync,
    reimport_is_refused_and_nothing_is_half_imported,
    bad_input_gets_4xx_and_changes_nothing,
    admin_calls_need_the_token,
    audit_log_records_actions_without_codes,
    service_documents_and_metrics,
    concurrent_identical_codes_accept_exactly_one,
    random_requests_keep_the_invariants,
);

async fn activate_then_validate_once(db: Db) {
    let f = Fixture::new(db).await;
    f.import_totp(1).await;
    let (serial, user) = (f.serial(1), f.user(1));
    assert_eq!(f.view(&serial).await["state"], "inactive");
    f.activate(&serial, &user).await;
    // The code used to activate cannot be used again to log in.
    let (status, body) = f.validate(&user, &f.code(0)).await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("replayed"))
    );
    f.clock.advance_ms(30_000);
    let code = f.code(0);
    let (status, body) = f.validate(&user, &code).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"result": "accepted"}));
    let (status, body) = f.validate(&user, &code).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["result"], "refused");
    assert_eq!(body["reason"], "replayed");
    let view = f.view(&serial).await;
    assert_eq!(view["state"], "active");
    assert_eq!(view["user"], user.as_str());
    assert_eq!(view["failures"], 0);
    assert_eq!(view["last_used_at"], "2027-01-15T08:00:40Z");
    assert_eq!(
        view["activation_code"],
        Value::Null,
        "the activation code is spent"
    );
    let shown = view.to_string();
    assert!(
        !shown.contains(&code) && !shown.contains(SECRET_B32),
        "{shown}"
    );
}

async fn activation_code_lifetimes(db: Db) {
    let f = Fixture::new(db).await;
    f.import_totp(2).await;
    for (n, channel, validity_ms) in [(1, "paper", 48 * 3600 * 1000), (2, "sms", 30 * 60 * 1000)] {
        let (serial, user) = (f.serial(n), f.user(n));
        let start = f.clock.now_ms();
        let (status, issued) = f
            .call(
                "POST",
                "/v1/activation-codes",
                Some(json!({"serial": serial, "user": user, "channel": channel})),
                true,
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{issued}");
        assert_eq!(
            issued["expires_at"],
            service::clock::rfc3339(start + validity_ms)
        );
        let code = issued["activation_code"].as_str().unwrap().to_owned();
        f.clock.set_ms(start + validity_ms);
        let (status, body) = f
            .call("POST", "/v1/activate", Some(json!({"serial": serial, "user": user, "activation_code": code, "code": f.code(0)})), false)
            .await;
        assert_eq!(
            (status, body["reason"].as_str()),
            (StatusCode::GONE, Some("activation_code_expired")),
            "{channel}"
        );
        // One millisecond earlier it would have worked: issue again and use it in time.
        let (_, issued) = f
            .call(
                "POST",
                "/v1/activation-codes",
                Some(json!({"serial": serial, "user": user, "channel": channel})),
                true,
            )
            .await;
        f.clock.advance_ms(validity_ms - 1);
        let code = issued["activation_code"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .replace('-', " ");
        let (status, body) = f
            .call("POST", "/v1/activate", Some(json!({"serial": serial, "user": user, "activation_code": code, "code": f.code(0)})), false)
            .await;
        assert_eq!(status, StatusCode::OK, "{channel}: {body}");
    }
}

async fn activation_code_blocks_after_three_wrong_entries(db: Db) {
    let f = Fixture::new(db).await;
    f.import_totp(1).await;
    let (serial, user) = (f.serial(1), f.user(1));
    let (_, issued) = f
        .call(
            "POST",
            "/v1/activation-codes",
            Some(json!({"serial": serial, "user": user, "channel": "paper"})),
            true,
        )
        .await;
    let right = issued["activation_code"].as_str().unwrap().to_owned();
    for attempts_left in [2, 1] {
        let (status, body) = f
            .call("POST", "/v1/activate", Some(json!({"serial": serial, "user": user, "activation_code": "AAAAA-AAAAA", "code": f.code(0)})), false)
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(body["reason"], "wrong_activation_code");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains(&format!("{attempts_left} attempts left")),
            "{body}"
        );
        assert_eq!(
            f.view(&serial).await["activation_code"]["attempts_left"],
            attempts_left
        );
    }
    let (status, body) = f
        .call("POST", "/v1/activate", Some(json!({"serial": serial, "user": user, "activation_code": "AAAAA-AAAAA", "code": f.code(0)})), false)
        .await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (StatusCode::LOCKED, Some("activation_code_blocked"))
    );
    let (status, body) = f
        .call("POST", "/v1/activate", Some(json!({"serial": serial, "user": user, "activation_code": right, "code": f.code(0)})), false)
        .await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (StatusCode::LOCKED, Some("activation_code_blocked"))
    );
    // Another person cannot use the code issued for this one.
    let (status, body) = f
        .call("POST", "/v1/activate", Some(json!({"serial": serial, "user": f.user(2), "activation_code": right, "code": f.code(0)})), false)
        .await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (StatusCode::NOT_FOUND, Some("no_activation_code"))
    );
    assert_eq!(f.view(&serial).await["state"], "inactive");
}

async fn one_active_reader_per_person(db: Db) {
    let f = Fixture::new(db).await;
    f.import_totp(2).await;
    let user = f.user(1);
    f.activate(&f.serial(1), &user).await;
    f.clock.advance_ms(30_000);
    f.activate(&f.serial(2), &user).await;
    assert_eq!(f.view(&f.serial(1)).await["state"], "deactivated");
    assert_eq!(f.view(&f.serial(2)).await["state"], "active");
    f.clock.advance_ms(30_000);
    let (status, _) = f.validate(&user, &f.code(0)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        f.view(&f.serial(1)).await["last_used_at"] != f.view(&f.serial(2)).await["last_used_at"]
    );
    // A device active for one person cannot be handed to another.
    let (status, body) = f
        .call(
            "POST",
            "/v1/activation-codes",
            Some(json!({"serial": f.serial(2), "user": f.user(9), "channel": "sms"})),
            true,
        )
        .await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (StatusCode::CONFLICT, Some("device_in_use"))
    );
}

async fn blocks_after_three_wrong_codes_and_support_unlocks(db: Db) {
    let f = Fixture::new(db).await;
    f.import_totp(1).await;
    let (serial, user) = (f.serial(1), f.user(1));
    f.activate(&serial, &user).await;
    let wrong = if f.code(5) == "000000" {
        "111111"
    } else {
        "000000"
    };
    let mut block_ms = 60_000;
    for round in 0..2 {
        f.clock.advance_ms(30_000);
        for failures in 1..=2 {
            let (status, body) = f.validate(&user, wrong).await;
            assert_eq!(
                (status, body["reason"].as_str()),
                (StatusCode::UNAUTHORIZED, Some("wrong_code"))
            );
            assert_eq!(f.view(&serial).await["failures"], failures);
        }
        let (status, _) = f.validate(&user, wrong).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let blocked_until = service::clock::rfc3339(f.clock.now_ms() + block_ms);
        let view = f.view(&serial).await;
        assert_eq!(
            view["blocked_until"],
            blocked_until.as_str(),
            "round {round}"
        );
        let (status, body) = f.validate(&user, &f.code(0)).await;
        assert_eq!(
            (status, body["reason"].as_str()),
            (StatusCode::TOO_MANY_REQUESTS, Some("blocked"))
        );
        let request = axum::http::Request::post("/v1/validate")
            .header("content-type", "application/json")
            .body(axum::body::Body::from(
                json!({"user": user, "code": f.code(0)}).to_string(),
            ))
            .unwrap();
        let response = tower::ServiceExt::oneshot(f.router.clone(), request)
            .await
            .unwrap();
        let retry_after = response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(retry_after, (block_ms / 1000).to_string(), "round {round}");
        f.clock.advance_ms(block_ms);
        block_ms *= 2;
    }
    // Blocked a third time, support lifts it at once.
    for _ in 0..3 {
        f.validate(&user, wrong).await;
    }
    let (status, _) = f.validate(&user, &f.code(0)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let (status, body) = f
        .call("POST", &format!("/v1/devices/{serial}/unlock"), None, true)
        .await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({"status": "unlocked"}))
    );
    let view = f.view(&serial).await;
    assert_eq!(
        (view["blocked_until"].clone(), view["failures"].clone()),
        (Value::Null, json!(0))
    );
    let (status, body) = f.validate(&user, &f.code(0)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn totp_follows_drift_within_one_step(db: Db) {
    let f = Fixture::new(db).await;
    f.import_totp(1).await;
    let (serial, user) = (f.serial(1), f.user(1));
    f.activate(&serial, &user).await;
    // The device's clock runs ahead, a step more each time; the service follows it.
    for drift in 1..=3i64 {
        f.clock.advance_ms(300_000);
        let (status, body) = f.validate(&user, &f.code(drift)).await;
        assert_eq!(status, StatusCode::OK, "drift {drift}: {body}");
        assert_eq!(f.view(&serial).await["drift_steps"], drift);
    }
    f.clock.advance_ms(300_000);
    let (status, _) = f.validate(&user, &f.code(5)).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "two steps beyond the drift is refused"
    );
}

async fn hotp_look_ahead_and_resync(db: Db) {
    let f = Fixture::new(db).await;
    let serial = f.serial(1);
    let user = f.user(1);
    f.service
        .import(
            &format!("{serial} otpauth://hotp/x?secret={SECRET_B32}&counter=0\n"),
            None,
            "test",
        )
        .await
        .unwrap();
    let hotp = otp::Hotp::new(
        &otp::Secret::from_base32(SECRET_B32).unwrap(),
        otp::Algorithm::Sha1,
        otp::Digits::SIX,
    );
    let code = |c: u64| hotp.code(c).to_string();
    let (_, issued) = f
        .call(
            "POST",
            "/v1/activation-codes",
            Some(json!({"serial": serial, "user": user, "channel": "paper"})),
            true,
        )
        .await;
    let (status, body) = f
        .call("POST", "/v1/activate", Some(json!({"serial": serial, "user": user, "activation_code": issued["activation_code"], "code": code(3)})), false)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        f.validate(&user, &code(14)).await.0,
        StatusCode::OK,
        "look-ahead of 10 from 4"
    );
    assert_eq!(
        f.validate(&user, &code(14)).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        f.validate(&user, &code(60)).await.0,
        StatusCode::UNAUTHORIZED,
        "beyond the window"
    );
    assert_eq!(
        f.validate(&user, &code(61)).await.0,
        StatusCode::OK,
        "resync with the next code"
    );
    assert_eq!(f.validate(&user, &code(62)).await.0, StatusCode::OK);
}

async fn reimport_is_refused_and_nothing_is_half_imported(db: Db) {
    let f = Fixture::new(db).await;
    f.import_totp(1).await;
    let text = format!(
        "{new} otpauth://totp/x?secret={SECRET_B32}\n{old} otpauth://totp/x?secret={SECRET_B32}\n",
        new = f.serial(2),
        old = f.serial(1)
    );
    let error = f.service.import(&text, None, "test").await.unwrap_err();
    assert_eq!(error.reason(), "duplicate_serial");
    assert!(error.to_string().contains(&f.serial(1)), "{error}");
    let bad = format!(
        "{} otpauth://totp/x?secret={SECRET_B32}\n{} otpauth://totp/x?secret=!!\n",
        f.serial(3),
        f.serial(4)
    );
    let error = f.service.import(&bad, None, "test").await.unwrap_err();
    assert!(error.to_string().contains("line 2:"), "{error}");
    for n in [2, 3, 4] {
        let (status, _) = f
            .call("GET", &format!("/v1/devices/{}", f.serial(n)), None, true)
            .await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "device {n} was half-imported"
        );
    }
    // The existing device is untouched (same sealed secret: its codes still activate it).
    f.activate(&f.serial(1), &f.user(1)).await;
}

async fn bad_input_gets_4xx_and_changes_nothing(db: Db) {
    let f = Fixture::new(db).await;
    f.import_totp(1).await;
    let (serial, user) = (f.serial(1), f.user(1));
    f.activate(&serial, &user).await;
    let before = f.view(&serial).await;
    let huge = format!(
        "{{\"user\":\"{}\",\"code\":\"123456\"}}",
        "x".repeat(100_000)
    );
    let cases: Vec<(String, StatusCode, &str)> = vec![
        (
            "{\"user\": ".into(),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        ("not json".into(), StatusCode::BAD_REQUEST, "invalid_json"),
        (
            json!({"user": user, "code": 123456}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
        (
            json!({"user": user}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
        (
            json!({"user": user, "code": "123456", "extra": 1}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
        (huge, StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"),
        (
            json!({"user": user, "code": "12345"}).to_string(),
            StatusCode::BAD_REQUEST,
            "malformed_code",
        ),
        (
            json!({"user": user, "code": "1234567890123"}).to_string(),
            StatusCode::BAD_REQUEST,
            "malformed_code",
        ),
        (
            json!({"user": user, "code": "12a456"}).to_string(),
            StatusCode::BAD_REQUEST,
            "malformed_code",
        ),
        (
            json!({"user": user, "code": "１２３４５６"}).to_string(),
            StatusCode::BAD_REQUEST,
            "malformed_code",
        ),
        (
            json!({"user": user, "code": "1234567"}).to_string(),
            StatusCode::BAD_REQUEST,
            "malformed_code",
        ),
        (
            json!({"user": "", "code": "123456"}).to_string(),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            json!({"user": "nobody-here", "code": "123456"}).to_string(),
            StatusCode::NOT_FOUND,
            "unknown_user",
        ),
    ];
    for (body, status, reason) in cases {
        let (got, answer) =
            common::call(&f.router, "POST", "/v1/validate", Some(body.clone()), false).await;
        assert_eq!(got, status, "{body:.80}: {answer}");
        assert_eq!(answer["reason"], reason, "{body:.80}: {answer}");
        assert_eq!(answer["result"], "refused");
        assert!(
            !answer["message"].as_str().unwrap_or("").is_empty(),
            "{answer}"
        );
    }
    let (status, body) = f.call("GET", "/v1/nowhere", None, false).await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (StatusCode::NOT_FOUND, Some("no_such_route"))
    );
    let (status, body) = f
        .call(
            "POST",
            "/v1/activation-codes",
            Some(json!({"serial": serial, "user": user, "channel": "pigeon"})),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = f
        .call(
            "POST",
            "/v1/activation-codes",
            Some(json!({"serial": "no such serial!", "user": user, "channel": "sms"})),
            true,
        )
        .await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );
    assert_eq!(f.view(&serial).await, before, "bad input changed nothing");
}

async fn admin_calls_need_the_token(db: Db) {
    let f = Fixture::new(db).await;
    f.import_totp(1).await;
    let serial = f.serial(1);
    let body = json!({"serial": serial, "user": f.user(1), "channel": "sms"}).to_string();
    for (method, uri, body) in [
        ("GET", format!("/v1/devices/{serial}"), None),
        ("POST", format!("/v1/devices/{serial}/unlock"), None),
        ("POST", "/v1/activation-codes".to_owned(), Some(body)),
    ] {
        let (status, answer) = common::call(&f.router, method, &uri, body.clone(), false).await;
        assert_eq!(
            (status, answer["reason"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("unauthorized")),
            "{uri}"
        );
        let request = axum::http::Request::builder()
            .method(method)
            .uri(&uri)
            .header("authorization", "Bearer wrong")
            .header("content-type", "application/json")
            .body(body.map(axum::body::Body::from).unwrap_or_default())
            .unwrap();
        let response = tower::ServiceExt::oneshot(f.router.clone(), request)
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{uri}");
    }
    assert_eq!(f.view(&serial).await["activation_code"], Value::Null);
}

async fn audit_log_records_actions_without_codes(db: Db) {
    let f = Fixture::new(db).await;
    f.import_totp(1).await;
    let (serial, user) = (f.serial(1), f.user(1));
    f.activate(&serial, &user).await;
    f.clock.advance_ms(30_000);
    let code = f.code(0);
    f.validate(&user, &code).await;
    f.validate(&user, &code).await;
    f.call("POST", &format!("/v1/devices/{serial}/unlock"), None, true)
        .await;
    let log = f.service.store().audit_log(500).await.unwrap();
    let mine: Vec<_> = log
        .iter()
        .filter(|e| e.subject.contains(&serial) || e.actor == user)
        .map(|e| (e.actor.as_str(), e.action.as_str(), e.result.as_str()))
        .rev()
        .collect();
    assert_eq!(
        mine,
        [
            ("test", "import", "ok"),
            ("admin", "issue_activation_code", "ok"),
            (user.as_str(), "activate", "ok"),
            (user.as_str(), "validate", "ok"),
            (user.as_str(), "validate", "replayed"),
            ("admin", "unlock", "ok"),
        ]
    );
    for entry in &log {
        let text = format!("{entry:?}");
        assert!(
            !text.contains(&code) && !text.contains(SECRET_B32),
            "{text}"
        );
    }
}

async fn service_documents_and_metrics(db: Db) {
    let f = Fixture::new(db).await;
    let (status, doc) = f.call("GET", "/openapi.json", None, false).await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/v1/validate",
        "/v1/activate",
        "/v1/activation-codes",
        "/v1/devices/{serial}",
        "/healthz",
        "/metrics",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} missing from the OpenAPI document"
        );
    }
    assert_eq!(
        f.call("GET", "/healthz", None, false).await,
        (StatusCode::OK, json!({"status": "ok"}))
    );
    f.validate("ghost", "123456").await;
    let (status, text) = f.call("GET", "/metrics", None, false).await;
    assert_eq!(status, StatusCode::OK);
    let text = text.as_str().unwrap();
    assert!(
        text.contains("kode_validations_total{result=\"unknown_user\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("# TYPE kode_validations_total counter"),
        "{text}"
    );
}

/// 64 identical valid validations at once: exactly one is accepted — on one replica, and
/// (on PostgreSQL) split across two replicas with their own pools.
async fn concurrent_identical_codes_accept_exactly_one(db: Db) {
    let f = Fixture::new(db).await;
    f.import_totp(1).await;
    let user = f.user(1);
    f.activate(&f.serial(1), &user).await;
    let (_replica_service, replica) = f.replica().await;
    for round in 0..2 {
        f.clock.advance_ms(30_000);
        let body = json!({"user": user, "code": f.code(0)}).to_string();
        let mut tasks = Vec::new();
        for i in 0..64 {
            // Round 0: all on one router. Round 1: alternating between two replicas.
            let router = if round == 1 && i % 2 == 1 {
                replica.clone()
            } else {
                f.router.clone()
            };
            let body = body.clone();
            tasks.push(tokio::spawn(async move {
                common::call(&router, "POST", "/v1/validate", Some(body), false).await
            }));
        }
        let mut accepted = 0;
        for task in tasks {
            let (status, answer) = task.await.unwrap();
            match status {
                StatusCode::OK => accepted += 1,
                StatusCode::UNAUTHORIZED => assert_eq!(answer["reason"], "replayed"),
                other => panic!("unexpected {other}: {answer}"),
            }
        }
        assert_eq!(accepted, 1, "round {round}");
    }
}

/// Random requests (seeded): no 5xx, no wrong code accepted, counters never move back.
async fn random_requests_keep_the_invariants(db: Db) {
    use rand::{Rng, SeedableRng};
    let f = Fixture::new(db).await;
    f.import_totp(2).await;
    let user = f.user(1);
    f.activate(&f.serial(1), &user).await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x6b6f6465);
    let mut last_used = f.view(&f.serial(1)).await["last_used_at"].clone();
    for i in 0..300 {
        f.clock.advance_ms(rng.gen_range(0..20_000));
        let users = [user.clone(), f.user(2), String::new(), "x".repeat(200)];
        let who = users[rng.gen_range(0..users.len())].clone();
        let right = rng.gen_bool(0.3);
        let code = if right {
            f.code(rng.gen_range(-2..=2))
        } else {
            match rng.gen_range(0..4) {
                0 => format!("{:06}", rng.gen_range(0..1_000_000)),
                1 => (0..rng.gen_range(0..12))
                    .map(|_| char::from(rng.gen_range(b'0'..=b'z')))
                    .collect(),
                2 => "".into(),
                _ => format!("{:07}", rng.gen_range(0..10_000_000)),
            }
        };
        let body = match rng.gen_range(0..10) {
            0 => "{\"user\":".to_owned(),
            1 => json!({"user": who, "code": rng.gen::<u32>()}).to_string(),
            _ => json!({"user": who, "code": code}).to_string(),
        };
        let drift = f.view(&f.serial(1)).await["drift_steps"].as_i64().unwrap();
        let (status, answer) =
            common::call(&f.router, "POST", "/v1/validate", Some(body.clone()), false).await;
        assert!(
            !status.is_server_error(),
            "request {i} {body}: {status} {answer}"
        );
        if status == StatusCode::OK {
            let expected: Vec<String> = (-1..=1).map(|o| f.code(drift + o)).collect();
            assert!(
                who == user && expected.contains(&code),
                "request {i}: accepted {body}"
            );
        }
        let view = f.view(&f.serial(1)).await;
        if status == StatusCode::OK {
            assert!(
                view["last_used_at"].as_str() >= last_used.as_str(),
                "request {i}"
            );
        }
        last_used = view["last_used_at"].clone();
    }
    // The unactivated device is untouched by everything sent to it.
    assert_eq!(f.view(&f.serial(2)).await["state"], "inactive");
}
