//! The API suite for the login systems' side, on SQLite and on PostgreSQL
//! (`KODE_TEST_POSTGRES_URL`): privacyIDEA's `/validate/check` (form, JSON, query; GET and
//! POST) and `/validate/radiuscheck`, the rlm_rest check, the request limits, and the
//! signed webhook with a local receiver that checks every signature.

#[macro_use]
mod common;

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode};
use axum::Router;
use common::{Db, Fixture};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use service::events::{sign, Events, WebhookConfig};
use service::ratelimit::{Limiter, Limits, Rate};
use service::{AdminToken, AppState};
use tower::ServiceExt;

on_both!(
    check_accepts_form_json_and_query_once,
    check_refuses_wrong_blocked_unknown_and_incomplete,
    radiuscheck_and_rlm_rest_answer_as_their_clients_read,
    every_endpoint_shares_one_code_path,
    limits_answer_429_with_retry_after,
    webhook_gets_signed_events_without_codes_and_never_holds_up_a_check,
);

/// One request with a content type of our choosing, from `peer`; status, headers, body.
async fn send(
    router: &Router,
    method: &str,
    uri: &str,
    content_type: Option<&str>,
    body: &str,
    peer: Option<&str>,
) -> (StatusCode, HeaderMap, Value) {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    let mut request = request.body(Body::from(body.to_owned())).unwrap();
    if let Some(peer) = peer {
        let address: IpAddr = peer.parse().unwrap();
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::new(address, 40_000)));
    }
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    (status, headers, value)
}

const FORM: Option<&str> = Some("application/x-www-form-urlencoded");
const JSON: Option<&str> = Some("application/json");

/// `/validate/check` as privacyIDEA's FreeRADIUS plugin sends it: a form POST.
async fn check_form(f: &Fixture, user: &str, pass: &str) -> (StatusCode, HeaderMap, Value) {
    let body = serde_urlencoded::to_string([("user", user), ("pass", pass)]).unwrap();
    send(&f.router, "POST", "/validate/check", FORM, &body, None).await
}

fn wrong_code(f: &Fixture) -> &'static str {
    if f.code(0) == "000000" || f.code(1) == "000000" || f.code(-1) == "000000" {
        "111111"
    } else {
        "000000"
    }
}

async fn check_accepts_form_json_and_query_once(db: Db) {
    let f = Fixture::new(db).await;
    f.import_totp(1).await;
    let (serial, user) = (f.serial(1), f.user(1));
    f.activate(&serial, &user).await;

    // privacyIDEA's FreeRADIUS plugin (privacyidea_radius.pm): form POST with user, pass,
    // client, realm, resConf, state.
    f.clock.advance_ms(30_000);
    let body = serde_urlencoded::to_string([
        ("user", user.as_str()),
        ("pass", f.code(0).as_str()),
        ("client", "192.0.2.10"),
        ("realm", "ignored-realm"),
        ("resConf", "some-resolver"),
        ("state", "ab12"),
    ])
    .unwrap();
    let (status, _, answer) = send(&f.router, "POST", "/validate/check", FORM, &body, None).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["jsonrpc"], "2.0");
    assert_eq!(answer["result"]["status"], true);
    assert_eq!(answer["result"]["value"], true);
    assert_eq!(answer["result"]["authentication"], "ACCEPT");
    assert_eq!(answer["detail"]["serial"], serial.as_str());
    assert_eq!(answer["detail"]["type"], "totp");
    assert!(answer["detail"]["message"].is_string());
    assert!(answer["time"].is_f64() && answer["version"].is_string() && answer["id"].is_u64());

    // The LDAP proxy: form POST of user, realm (empty for the default realm) and pass; it
    // reads result.status and result.value from a 200.
    f.clock.advance_ms(30_000);
    let body = format!("user={user}&realm=&pass={}", f.code(0));
    let (status, _, answer) = send(&f.router, "POST", "/validate/check", FORM, &body, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (
            answer["result"]["status"].clone(),
            answer["result"]["value"].clone()
        ),
        (json!(true), json!(true)),
        "{answer}"
    );

    // A JSON client (the Java client, SSO plugins), with the code as a number.
    f.clock.advance_ms(30_000);
    let code: u64 = f.code(0).parse().unwrap();
    let body = json!({"user": user, "pass": code, "transaction_id": null}).to_string();
    let (status, _, answer) = send(&f.router, "POST", "/validate/check", JSON, &body, None).await;
    assert_eq!(
        (status, answer["result"]["value"].clone()),
        (StatusCode::OK, json!(true)),
        "{answer}"
    );

    // privacyidea-pam's GET: parameters in the query string.
    f.clock.advance_ms(30_000);
    let query =
        serde_urlencoded::to_string([("user", user.as_str()), ("pass", &f.code(0))]).unwrap();
    let uri = format!("/validate/check?{query}");
    let (status, _, answer) = send(&f.router, "GET", &uri, None, "", None).await;
    assert_eq!(
        (status, answer["result"]["authentication"].clone()),
        (StatusCode::OK, json!("ACCEPT")),
        "{answer}"
    );
    // The same code again, by any encoding, is refused as used.
    let (status, _, answer) = send(&f.router, "GET", &uri, None, "", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["result"]["status"], true);
    assert_eq!(answer["result"]["value"], false);
    assert_eq!(answer["result"]["authentication"], "REJECT");
    assert!(
        answer["detail"]["message"]
            .as_str()
            .unwrap()
            .contains("already been used"),
        "{answer}"
    );
    assert!(!answer.to_string().contains(&f.code(0)));
    let view = f.view(&serial).await;
    assert_eq!(view["failures"], 0, "a replay is not a wrong code");
}

async fn check_refuses_wrong_blocked_unknown_and_incomplete(db: Db) {
    let f = Fixture::new(db).await;
    f.import_totp(2).await;
    let (serial, user) = (f.serial(1), f.user(1));
    f.activate(&serial, &user).await;
    f.clock.advance_ms(30_000);
    let wrong = wrong_code(&f);

    // Naming another serial refuses without spending or counting anything.
    let body = serde_urlencoded::to_string([
        ("user", user.as_str()),
        ("pass", f.code(0).as_str()),
        ("serial", f.serial(2).as_str()),
    ])
    .unwrap();
    let (status, _, answer) = send(&f.router, "POST", "/validate/check", FORM, &body, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["result"]["value"], false, "{answer}");
    assert_eq!(f.view(&serial).await["failures"], 0);

    for failures in 1..=2 {
        let (status, _, answer) = check_form(&f, &user, wrong).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(answer["result"]["authentication"], "REJECT");
        assert_eq!(answer["detail"]["message"], "wrong otp value");
        assert_eq!(f.view(&serial).await["failures"], failures);
    }
    check_form(&f, &user, wrong).await;
    let until = f.view(&serial).await["blocked_until"]
        .as_str()
        .expect("blocked after the 3rd wrong code")
        .to_owned();
    // Blocked: even the right code is refused, and the answer says until when.
    let (status, headers, answer) = check_form(&f, &user, &f.code(0)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["result"]["value"], false);
    assert_eq!(answer["detail"]["blocked_until"], until.as_str());
    assert_eq!(
        answer["detail"]["message"],
        format!("blocked after repeated wrong codes until {until}")
    );
    assert_eq!(headers["retry-after"], "60");

    // The right code with serial given is accepted once the block is over.
    f.clock.advance_ms(60_000);
    let body = serde_urlencoded::to_string([
        ("user", user.as_str()),
        ("pass", f.code(0).as_str()),
        ("serial", serial.as_str()),
    ])
    .unwrap();
    let (_, _, answer) = send(&f.router, "POST", "/validate/check", FORM, &body, None).await;
    assert_eq!(answer["result"]["value"], true, "{answer}");

    // privacyIDEA's error shape: 904 for a user without a reader, 905 for a parameter.
    let (status, _, answer) = check_form(&f, &f.user(7), "123456").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["result"]["status"], false);
    assert_eq!(answer["result"]["error"]["code"], 904, "{answer}");
    assert!(answer["result"].get("value").is_none());
    for (body, missing) in [
        ("pass=123456", "'user'"),
        ("user=someone", "'pass'"),
        ("serial=KR-1&pass=123456", "serial alone"),
    ] {
        let (status, _, answer) =
            send(&f.router, "POST", "/validate/check", FORM, body, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(answer["result"]["error"]["code"], 905, "{body}");
        assert!(
            answer["result"]["error"]["message"]
                .as_str()
                .unwrap()
                .contains(missing),
            "{answer}"
        );
    }
    let (status, _, answer) = send(
        &f.router,
        "POST",
        "/validate/check",
        JSON,
        "{\"user\":",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["result"]["error"]["code"], 905, "{answer}");
}

async fn radiuscheck_and_rlm_rest_answer_as_their_clients_read(db: Db) {
    let f = Fixture::new(db).await;
    f.import_totp(1).await;
    let (serial, user) = (f.serial(1), f.user(1));
    f.activate(&serial, &user).await;
    f.clock.advance_ms(30_000);
    let code = f.code(0);
    let body =
        serde_urlencoded::to_string([("user", user.as_str()), ("pass", code.as_str())]).unwrap();
    let (status, _, answer) = send(
        &f.router,
        "POST",
        "/validate/radiuscheck",
        FORM,
        &body,
        None,
    )
    .await;
    assert_eq!((status, answer), (StatusCode::NO_CONTENT, Value::Null));
    let (status, _, _) = send(
        &f.router,
        "GET",
        &format!("/validate/radiuscheck?{body}"),
        None,
        "",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a replay");
    let (status, _, _) = send(
        &f.router,
        "GET",
        "/validate/radiuscheck?user=x",
        None,
        "",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "no pass");

    // rlm_rest: 204 accept; 401 reject with a Reply-Message that FreeRADIUS must not expand.
    f.clock.advance_ms(30_000);
    let body = format!("user={user}&pass={}&client=127.0.0.1", f.code(0));
    let (status, _, answer) =
        send(&f.router, "POST", "/validate/rlm_rest", FORM, &body, None).await;
    assert_eq!((status, answer), (StatusCode::NO_CONTENT, Value::Null));
    let (status, _, answer) =
        send(&f.router, "POST", "/validate/rlm_rest", FORM, &body, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer["reply:Reply-Message"]["do_xlat"], false);
    assert_eq!(answer["reply:Reply-Message"]["op"], ":=");
    assert_eq!(
        answer["reply:Reply-Message"]["value"],
        "Kodeoplæser: wrong otp value: that code has already been used"
    );
}

async fn every_endpoint_shares_one_code_path(db: Db) {
    let f = Fixture::new(db).await;
    f.import_totp(1).await;
    let (serial, user) = (f.serial(1), f.user(1));
    f.activate(&serial, &user).await;
    // A code used on one endpoint is spent for every other.
    f.clock.advance_ms(30_000);
    let (status, _) = f.validate(&user, &f.code(0)).await;
    assert_eq!(status, StatusCode::OK);
    let (_, _, answer) = check_form(&f, &user, &f.code(0)).await;
    assert_eq!(answer["result"]["value"], false);
    f.clock.advance_ms(30_000);
    let (_, _, answer) = check_form(&f, &user, &f.code(0)).await;
    assert_eq!(answer["result"]["value"], true);
    let (status, body) = f.validate(&user, &f.code(0)).await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("replayed"))
    );

    // The same code sent at once to all four endpoints is accepted exactly once.
    f.clock.advance_ms(30_000);
    let code = f.code(0);
    let form =
        serde_urlencoded::to_string([("user", user.as_str()), ("pass", code.as_str())]).unwrap();
    let v1 = json!({"user": user, "code": code}).to_string();
    let mut tasks = Vec::new();
    for round in 0..4 {
        for (uri, content_type, body) in [
            ("/v1/validate", JSON, v1.clone()),
            ("/validate/check", FORM, form.clone()),
            ("/validate/radiuscheck", FORM, form.clone()),
            ("/validate/rlm_rest", FORM, form.clone()),
        ] {
            let router = f.router.clone();
            tasks.push(tokio::spawn(async move {
                let (status, _, answer) =
                    send(&router, "POST", uri, content_type, &body, None).await;
                let accepted = match uri {
                    "/validate/check" => answer["result"]["value"] == json!(true),
                    _ => status.is_success(),
                };
                (round, uri, accepted)
            }));
        }
    }
    let mut accepted = Vec::new();
    for task in tasks {
        let (round, uri, ok) = task.await.unwrap();
        if ok {
            accepted.push((round, uri));
        }
    }
    assert_eq!(accepted.len(), 1, "accepted by {accepted:?}");
    let log = f.service.store().audit_log(200).await.unwrap();
    let oks = log
        .iter()
        .filter(|e| e.actor == user && e.action == "validate" && e.result == "ok")
        .count();
    assert_eq!(oks, 3, "every acceptance is audited, once");
}

async fn limits_answer_429_with_retry_after(db: Db) {
    let f = Fixture::new(db).await;
    f.import_totp(2).await;
    let (user, other) = (f.user(1), f.user(2));
    f.activate(&f.serial(1), &user).await;
    f.activate(&f.serial(2), &other).await;
    let state = AppState {
        limiter: Arc::new(Limiter::new(
            Limits {
                per_client: Rate { per_minute: 4 },
                per_user: Rate { per_minute: 2 },
            },
            vec!["127.0.0.1".parse().unwrap()],
        )),
        ..AppState::new(f.service.clone(), AdminToken::new(None))
    };
    let router = service::app(state);
    let wrong = wrong_code(&f);
    let form = |user: &str, client: Option<&str>| {
        let mut pairs = vec![("user", user.to_owned()), ("pass", wrong.to_owned())];
        if let Some(client) = client {
            pairs.push(("client", client.to_owned()));
        }
        serde_urlencoded::to_string(pairs).unwrap()
    };
    let alice = Some("192.0.2.1");
    // Two for one user, then the per-user limit; its Retry-After is half a minute.
    for _ in 0..2 {
        let (status, _, _) = send(
            &router,
            "POST",
            "/validate/check",
            FORM,
            &form(&user, None),
            alice,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, headers, answer) = send(
        &router,
        "POST",
        "/validate/check",
        FORM,
        &form(&user, None),
        alice,
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{answer}");
    assert_eq!(headers["retry-after"], "30");
    assert_eq!(answer["result"]["status"], false);
    assert_eq!(answer["result"]["error"]["code"], 429);
    assert!(answer["result"]["error"]["message"]
        .as_str()
        .unwrap()
        .contains("for this user"));
    let v1 = json!({"user": user, "code": wrong}).to_string();
    let (status, headers, body) = send(&router, "POST", "/v1/validate", JSON, &v1, alice).await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited"))
    );
    assert_eq!(headers["retry-after"], "30");
    // Limited requests never reached the device: two wrong codes counted, not blocked.
    assert_eq!(f.view(&f.serial(1)).await["failures"], 2);
    // Another user from the same address is still let through, up to the client's limit.
    let (status, _, _) = send(
        &router,
        "POST",
        "/validate/check",
        FORM,
        &form(&other, None),
        alice,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, answer) = send(
        &router,
        "POST",
        "/validate/check",
        FORM,
        &form(&other, None),
        alice,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (status, headers, answer) = send(
        &router,
        "POST",
        "/validate/check",
        FORM,
        &form(&f.user(3), None),
        alice,
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{answer}");
    assert!(answer["result"]["error"]["message"]
        .as_str()
        .unwrap()
        .contains("from this client address"));
    assert_eq!(headers["retry-after"], "15");
    // A trusted proxy (FreeRADIUS on 127.0.0.1) names its clients: each has its own allowance;
    // an untrusted peer cannot borrow another address that way.
    let (status, _, _) = send(
        &router,
        "POST",
        "/validate/radiuscheck",
        FORM,
        &form(&f.user(4), Some("198.51.100.1")),
        Some("127.0.0.1"),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "handled (no such user), not limited"
    );
    let (status, _, _) = send(
        &router,
        "POST",
        "/validate/check",
        FORM,
        &form(&f.user(5), Some("198.51.100.1")),
        alice,
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // A minute later everyone is let through again.
    f.clock.advance_ms(60_000);
    let (status, _, _) = send(
        &router,
        "POST",
        "/validate/check",
        FORM,
        &form(&user, None),
        alice,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, body) = f.call("GET", "/metrics", None, false).await;
    assert!(
        body.as_str()
            .unwrap()
            .contains("kode_validations_total{result=\"rate_limited\"} 4"),
        "{body}"
    );
}

/// What the local webhook receiver got: the signature header and the body.
type Received = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// A webhook receiver on a loopback port: the first request waits until `release` is
/// notified and then fails with 500 (so the sender must retry); the rest get 200.
async fn receiver(release: Arc<tokio::sync::Notify>) -> (String, Received) {
    let received: Received = Arc::default();
    let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let app = {
        let received = received.clone();
        Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
                let received = received.clone();
                let calls = calls.clone();
                let release = release.clone();
                async move {
                    let n = calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    if n == 0 {
                        release.notified().await;
                        return StatusCode::INTERNAL_SERVER_ERROR;
                    }
                    let signature = headers
                        .get("x-kode-signature")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    received.lock().unwrap().push((signature, body.to_vec()));
                    StatusCode::OK
                }
            }),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}/hook"), received)
}

async fn webhook_gets_signed_events_without_codes_and_never_holds_up_a_check(db: Db) {
    let f = Fixture::new(db).await;
    let release = Arc::new(tokio::sync::Notify::new());
    let (url, received) = receiver(release.clone()).await;
    let key = b"webhook-test-key";
    let mut config = WebhookConfig::new(&url, key);
    config.first_backoff = Duration::from_millis(20);
    let service = f.service.clone().with_events(Events::webhook(config));
    let router = common::router_for(&service);
    let (serial, user) = (f.serial(1), f.user(1));
    let lines = format!(
        "{serial} otpauth://totp/MitID:{serial}?secret={}\n",
        common::SECRET_B32
    );
    assert_eq!(service.import(&lines, None, "test").await.unwrap(), 1);
    let (_, issued) = common::call(
        &router,
        "POST",
        "/v1/activation-codes",
        Some(json!({"serial": serial, "user": user, "channel": "sms"}).to_string()),
        true,
    )
    .await;
    let activation_code = issued["activation_code"].as_str().unwrap().to_owned();
    let first = f.code(0);
    let (status, _) = common::call(
        &router,
        "POST",
        "/v1/activate",
        Some(json!({"serial": serial, "user": user, "activation_code": activation_code, "code": first}).to_string()),
        false,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // The receiver is stuck on the first event; checks are answered all the same.
    let wrong = wrong_code(&f);
    f.clock.advance_ms(30_000);
    let mut codes = vec![first, activation_code, wrong.to_owned()];
    for _ in 0..3 {
        let (status, _, _) = check_form_on(&router, &user, wrong).await;
        assert_eq!(status, StatusCode::OK);
    }
    let (_, headers, answer) = check_form_on(&router, &user, &f.code(0)).await;
    codes.push(f.code(0));
    assert!(answer["detail"]["blocked_until"].is_string(), "{answer}");
    assert_eq!(headers["retry-after"], "60");
    let (status, _) = common::call(
        &router,
        "POST",
        &format!("/v1/devices/{serial}/unlock"),
        None,
        true,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        received.lock().unwrap().is_empty(),
        "still held by the receiver"
    );
    release.notify_one();

    let expected = [
        "import_done",
        "activated",
        "repeated_failures",
        "blocked",
        "unblocked",
    ];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while received.lock().unwrap().len() < expected.len() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "events: {received:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let received = received.lock().unwrap().clone();
    let mut names = Vec::new();
    for (signature, body) in &received {
        assert_eq!(signature, &format!("sha256={}", sign(key, body)));
        let text = String::from_utf8(body.clone()).unwrap();
        for code in &codes {
            assert!(!text.contains(code.as_str()), "{text}");
        }
        assert!(!text.contains(common::SECRET_B32), "{text}");
        let event: Value = serde_json::from_str(&text).unwrap();
        assert!(
            event["id"].is_string() && event["at"].is_string(),
            "{event}"
        );
        names.push(event["event"].as_str().unwrap().to_owned());
        match event["event"].as_str().unwrap() {
            "blocked" => {
                assert_eq!(event["serial"], serial.as_str());
                assert_eq!(event["user"], user.as_str());
                assert_eq!(event["blocked_until"], answer["detail"]["blocked_until"]);
                assert_eq!(event["blocks"], 1);
            }
            "repeated_failures" => assert_eq!(event["failures"], 2),
            "import_done" => assert_eq!(event["devices"], 1),
            "unblocked" => assert_eq!(event["actor"], "admin"),
            "activated" => assert_eq!(event["user"], user.as_str()),
            other => panic!("unexpected event {other}"),
        }
    }
    assert_eq!(
        names, expected,
        "in order, the first one retried after a 500"
    );
    assert_eq!(
        service
            .events()
            .stats()
            .retried
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
    // The audit log has the block and the warning before it; no code anywhere in it.
    let log = f.service.store().audit_log(500).await.unwrap();
    let mine: Vec<_> = log
        .iter()
        .filter(|e| e.action.starts_with("event:") && e.subject == serial)
        .map(|e| e.action.as_str())
        .rev()
        .collect();
    assert_eq!(mine, ["event:repeated_failures", "event:blocked"]);
    for entry in &log {
        let text = format!(
            "{} {} {} {}",
            entry.actor, entry.action, entry.subject, entry.result
        );
        for code in &codes {
            assert!(!text.contains(code.as_str()), "{text}");
        }
    }
}

async fn check_form_on(router: &Router, user: &str, pass: &str) -> (StatusCode, HeaderMap, Value) {
    let body = serde_urlencoded::to_string([("user", user), ("pass", pass)]).unwrap();
    send(router, "POST", "/validate/check", FORM, &body, None).await
}
