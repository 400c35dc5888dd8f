//! The support line's self-service unlock over HTTP, on SQLite and PostgreSQL: a blocked
//! device stays blocked after two wrong codes and is unblocked by two consecutive ones;
//! the call needs the admin token and no code reaches the audit log.

mod common;

use axum::http::StatusCode;
use common::{Db, Fixture};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_two_codes_unblock() {
    two_codes_unblock(Db::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_two_codes_unblock() {
    two_codes_unblock(Db::Postgres).await
}

/// One activated TOTP device (serial, user) half a minute on, and a code wrong for it now.
async fn activated(db: Db) -> (Fixture, String, String, &'static str) {
    let f = Fixture::new(db).await;
    f.import_totp(1).await;
    let (serial, user) = (f.serial(1), f.user(1));
    f.activate(&serial, &user).await;
    f.clock.advance_ms(30_000);
    let wrong = if f.code(0) == "000000" {
        "111111"
    } else {
        "000000"
    };
    (f, serial, user, wrong)
}

/// Three wrong codes: the device is blocked.
async fn block(f: &Fixture, serial: &str, user: &str, wrong: &str) {
    for _ in 0..3 {
        f.validate(user, wrong).await;
    }
    assert_ne!(f.view(serial).await["blocked_until"], Value::Null);
}

async fn two_codes_unblock(db: Db) {
    let (f, serial, user, wrong) = activated(db).await;
    block(&f, &serial, &user, wrong).await;
    let unlock = |first: String, second: String, admin: bool| {
        let body = json!({"serial": serial, "first": first, "second": second});
        let f = &f;
        async move {
            f.call("POST", "/v1/support/unlock-with-codes", Some(body), admin)
                .await
        }
    };
    // Without the admin token: refused.
    let (status, _) = unlock(f.code(0), f.code(1), false).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Two wrong codes: still blocked.
    let (status, body) = unlock(wrong.into(), wrong.into(), true).await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("wrong_code"))
    );
    assert_ne!(f.view(&serial).await["blocked_until"], Value::Null);
    // Two right codes in the wrong order: still blocked.
    let (status, _) = unlock(f.code(1), f.code(0), true).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_ne!(f.view(&serial).await["blocked_until"], Value::Null);
    // The current code and the next: unblocked, and the next code after them works.
    let (first, second) = (f.code(0), f.code(1));
    let (status, body) = unlock(first.clone(), second.clone(), true).await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({"status": "unlocked"}))
    );
    let view = f.view(&serial).await;
    assert_eq!(
        (view["blocked_until"].clone(), view["failures"].clone()),
        (Value::Null, json!(0))
    );
    f.clock.advance_ms(60_000);
    let (status, body) = f.validate(&user, &f.code(0)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Neither code is in the audit log.
    let audit = f.service.store().audit_log(100).await.unwrap();
    let text: String = audit
        .iter()
        .map(|e| format!("{} {} {} {}\n", e.actor, e.action, e.subject, e.result))
        .collect();
    assert!(text.contains("support-line unlock_with_codes"), "{text}");
    for code in [wrong, &first, &second] {
        assert!(!text.contains(code), "a code in the audit log:\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_agent_named_in_the_audit_log_and_look_up_by_user() {
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    let f = Fixture::new(Db::Sqlite).await;
    f.import_totp(1).await;
    let (serial, user) = (f.serial(1), f.user(1));
    f.activate(&serial, &user).await;
    let send = |uri: String, method: &str, actor: Option<&str>| {
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", format!("Bearer {}", common::ADMIN_TOKEN));
        if let Some(actor) = actor {
            request = request.header("x-kode-actor", actor);
        }
        let request = request.body(Body::empty()).unwrap();
        let router = f.router.clone();
        async move {
            let response = router.oneshot(request).await.unwrap();
            let status = response.status();
            let bytes = response.into_body().collect().await.unwrap().to_bytes();
            (status, serde_json::from_slice::<Value>(&bytes).unwrap())
        }
    };
    // Looked up by the person's id, for agent "alice": the device, and alice in the log.
    let (status, view) = send(format!("/v1/users/{user}/device"), "GET", Some("alice")).await;
    assert_eq!(
        (status, view["serial"].as_str()),
        (StatusCode::OK, Some(serial.as_str()))
    );
    let (status, _) = send(
        format!("/v1/devices/{serial}/unlock"),
        "POST",
        Some("bob.b"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = send(format!("/v1/users/nobody-{}/device", f.tag), "GET", None).await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (StatusCode::NOT_FOUND, Some("unknown_user"))
    );
    // A name that is not a name is refused before anything happens.
    let (status, _) = send(format!("/v1/devices/{serial}/unlock"), "POST", Some("a b")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let audit = f.service.store().audit_log(100).await.unwrap();
    let rows: Vec<(String, String)> = audit
        .iter()
        .filter(|e| e.action == "view_device" || e.action == "unlock")
        .map(|e| (e.actor.clone(), e.action.clone()))
        .collect();
    assert!(
        rows.contains(&("admin:alice".into(), "view_device".into())),
        "{rows:?}"
    );
    assert!(
        rows.contains(&("admin:bob.b".into(), "unlock".into())),
        "{rows:?}"
    );
    assert_eq!(
        rows.iter().filter(|(_, a)| a == "unlock").count(),
        1,
        "{rows:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_serial_keyed_on_a_keypad() {
    serial_keyed_on_a_keypad(Db::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_serial_keyed_on_a_keypad() {
    serial_keyed_on_a_keypad(Db::Postgres).await
}

/// A serial with letters is keyed on the keys that carry them (`KR…` as `57…`); when two
/// serials are keyed alike the entry names neither, and nothing is unlocked.
async fn serial_keyed_on_a_keypad(db: Db) {
    let (f, serial, user, wrong) = activated(db).await;
    block(&f, &serial, &user, wrong).await;
    let keyed = otp::Serial::parse(&serial).unwrap().keypad();
    assert!(keyed.starts_with("57"), "{keyed}");
    let unlock = |first: String, second: String| {
        let body = json!({"serial": keyed, "first": first, "second": second});
        let f = &f;
        async move {
            f.call("POST", "/v1/support/unlock-with-codes", Some(body), true)
                .await
        }
    };
    // The support view finds the device by what the caller keyed, for the agent's hand-over.
    assert_eq!(f.view(&keyed).await["serial"], json!(serial));
    let (status, body) = unlock(f.code(0), f.code(1)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(f.view(&serial).await["blocked_until"], Value::Null);

    // A second device keyed the same way (J and K share key 5): the entry is ambiguous.
    f.clock.advance_ms(120_000);
    block(&f, &serial, &user, wrong).await;
    let twin = format!("J{}", &serial[1..]);
    let line = format!(
        "{twin} otpauth://totp/MitID:{twin}?secret={}\n",
        common::SECRET_B32
    );
    assert_eq!(f.service.import(&line, None, "test").await.unwrap(), 1);
    let (status, _) = unlock(f.code(0), f.code(1)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_ne!(f.view(&serial).await["blocked_until"], Value::Null);
    let audit = f.service.store().audit_log(100).await.unwrap();
    assert!(audit
        .iter()
        .any(|e| e.action == "unlock_with_codes" && e.result == "ambiguous_keyed_serial"));
    // The support view finds neither twin by the shared keyed form, and says why.
    let (status, _) = f
        .call("GET", &format!("/v1/devices/{keyed}"), None, true)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let audit = f.service.store().audit_log(100).await.unwrap();
    assert!(audit
        .iter()
        .any(|e| e.action == "view_device" && e.result == "ambiguous_keyed_serial"));
}
