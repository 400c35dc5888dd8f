//! privacyIDEA-compatible validation, for the systems that already speak it: FreeRADIUS
//! with privacyIDEA's plugin, privacyidea-pam, the LDAP proxy, SSO plugins.
//!
//! - `GET`/`POST /validate/check` with `user`, `pass` (the code; no PIN prefix), optional
//!   `realm`, `serial`, `transaction_id`/`state`, `client`, as a query string, a form body
//!   or a JSON body. Answers in privacyIDEA's shape: `result.status`, `result.value`,
//!   `result.authentication` and `detail.message`/`serial`/`type`; errors with
//!   `result.status = false` and `result.error {code, message}` (904 unknown user, 905 a
//!   parameter).
//! - `GET`/`POST /validate/radiuscheck`: 204 when accepted, 400 when not.
//! - `POST /validate/rlm_rest`: the same check answered as FreeRADIUS's `rlm_rest` reads it:
//!   204 for Access-Accept, 401 for Access-Reject with a `reply:Reply-Message` that says
//!   why (never echoing the code).
//!
//! All three go through [`crate::http::validate_code`], the code path of `/v1/validate`.
//! Parsing the parameters and shaping the answers are pure functions here.

use std::collections::HashMap;

use axum::http::{header, HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};

use crate::ratelimit::Limited;
use crate::service::{ServiceError, Validated};

/// How a `realm` parameter is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RealmMode {
    /// Accepted and ignored: users are looked up by `user` alone.
    #[default]
    Ignore,
    /// Looked up as `user@realm` when a realm is given.
    Suffix,
}

impl RealmMode {
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "ignore" => Some(RealmMode::Ignore),
            "suffix" => Some(RealmMode::Suffix),
            _ => None,
        }
    }
}

/// The parameters of a check, as sent by a privacyIDEA client (other fields are ignored).
#[derive(
    Debug, Clone, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema, utoipa::IntoParams,
)]
#[into_params(parameter_in = Query)]
pub struct CheckParams {
    /// The login name of the person.
    pub user: Option<String>,
    /// The code as typed (no PIN prefix).
    pub pass: Option<String>,
    /// Accepted; ignored or appended as `user@realm`, as configured.
    pub realm: Option<String>,
    /// When given, the user's active code reader must have this serial.
    pub serial: Option<String>,
    /// Accepted and ignored: there is no challenge-response.
    pub transaction_id: Option<String>,
    /// Accepted and ignored (the RADIUS State attribute).
    pub state: Option<String>,
    /// The end client's address; counted for rate limits only from a trusted proxy.
    pub client: Option<String>,
}

/// A request that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParamError(pub String);

fn scalar(name: &str, value: &serde_json::Value) -> Result<Option<String>, ParamError> {
    match value {
        serde_json::Value::String(text) => Ok(Some(text.clone())),
        serde_json::Value::Number(number) => Ok(Some(number.to_string())),
        serde_json::Value::Bool(flag) => Ok(Some(flag.to_string())),
        serde_json::Value::Null => Ok(None),
        _ => Err(ParamError(format!(
            "parameter {name}: must be a string, not an array or object"
        ))),
    }
}

/// Reads the parameters from the query string and the body (form-encoded, or JSON when
/// the content type says so), the body's winning over the query's, as privacyIDEA does.
pub fn parse_params(
    query: Option<&str>,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<CheckParams, ParamError> {
    let mut all: HashMap<String, String> = HashMap::new();
    if let Some(query) = query {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
            .map_err(|e| ParamError(format!("query string: {e}")))?;
        all.extend(pairs);
    }
    let is_json = content_type
        .map(|t| {
            let t = t.trim().to_ascii_lowercase();
            t.starts_with("application/json")
                || (t.starts_with("application/") && t.contains("+json"))
        })
        .unwrap_or(false);
    if is_json && !body.is_empty() {
        let value: serde_json::Value =
            serde_json::from_slice(body).map_err(|e| ParamError(format!("JSON body: {e}")))?;
        let serde_json::Value::Object(object) = value else {
            return Err(ParamError("JSON body: must be an object".into()));
        };
        for (name, value) in &object {
            if let Some(text) = scalar(name, value)? {
                all.insert(name.clone(), text);
            }
        }
    } else if !body.is_empty() {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
            .map_err(|e| ParamError(format!("form body: {e}")))?;
        all.extend(pairs);
    }
    let mut take = |name: &str| all.remove(name);
    Ok(CheckParams {
        user: take("user"),
        pass: take("pass"),
        realm: take("realm").filter(|r| !r.is_empty()),
        serial: take("serial").filter(|s| !s.is_empty()),
        transaction_id: take("transaction_id"),
        state: take("state"),
        client: take("client"),
    })
}

/// The content type of a request, if any.
pub fn content_type(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
}

/// What a check needs once its parameters are read: who, with which code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    pub user: String,
    pub pass: String,
    pub serial: Option<String>,
}

/// Turns parameters into a login, or says which one is missing (privacyIDEA's 905).
pub fn login(params: &CheckParams, realm_mode: RealmMode) -> Result<Login, ParamError> {
    let user = match (&params.user, &params.serial) {
        (Some(user), _) if !user.is_empty() => user.clone(),
        (_, Some(_)) => {
            return Err(ParamError(
                "ERR905: Missing parameter: 'user' (checking by serial alone is not supported)"
                    .into(),
            ))
        }
        _ => return Err(ParamError("ERR905: Missing parameter: 'user'".into())),
    };
    let pass = params
        .pass
        .clone()
        .ok_or_else(|| ParamError("ERR905: Missing parameter: 'pass'".into()))?;
    let user = match (realm_mode, &params.realm) {
        (RealmMode::Suffix, Some(realm)) => format!("{user}@{realm}"),
        _ => user,
    };
    Ok(Login {
        user,
        pass,
        serial: params.serial.clone(),
    })
}

/// Why a well-formed check did not accept (the refusals a RADIUS client should hear).
#[derive(Debug)]
pub enum Outcome {
    Accepted(Validated),
    /// The user's active reader is not the serial asked for.
    OtherSerial,
    Refused(ServiceError),
    Limited(Limited),
    BadRequest(ParamError),
}

/// privacyIDEA's answer body.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PiResponse {
    /// Always "2.0".
    pub jsonrpc: String,
    pub result: PiResult,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<PiDetail>,
    pub id: u64,
    /// "Kodeoplæser" and the service's version.
    pub version: String,
    /// Seconds since the epoch.
    pub time: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PiResult {
    /// true when the request was handled (accepted or not), false on an error.
    pub status: bool,
    /// Whether the code was accepted (absent on an error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<bool>,
    /// "ACCEPT" or "REJECT" (absent on an error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<PiError>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PiError {
    /// privacyIDEA's error number: 904 unknown user, 905 a parameter, 903 the server;
    /// 429 too many requests (ours; privacyIDEA has no such limit).
    pub code: i64,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PiDetail {
    /// Why, in a sentence: "matching 1 tokens", "wrong otp value", "blocked until …".
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    /// "totp" or "hotp".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Set while the device is blocked (RFC 3339 UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked_until: Option<String>,
}

/// A short sentence for a refusal, as a RADIUS Reply-Message or `detail.message`.
pub fn refusal_message(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Accepted(_) => "accepted".into(),
        Outcome::OtherSerial => "wrong otp value: not this user's code reader".into(),
        Outcome::Refused(ServiceError::WrongCode) => "wrong otp value".into(),
        Outcome::Refused(ServiceError::Replayed) => {
            "wrong otp value: that code has already been used".into()
        }
        Outcome::Refused(ServiceError::Blocked { until_ms, .. }) => format!(
            "blocked after repeated wrong codes until {}",
            crate::clock::rfc3339(*until_ms)
        ),
        Outcome::Refused(ServiceError::UnknownUser) => "no active code reader for this user".into(),
        Outcome::Refused(error @ ServiceError::MalformedCode(_)) => {
            format!("wrong otp value: {error}")
        }
        Outcome::Refused(error @ ServiceError::Invalid { .. }) => error.to_string(),
        Outcome::Refused(ServiceError::Contention) => "busy; try again".into(),
        Outcome::Refused(_) => "internal error; it has been logged".into(),
        Outcome::Limited(limited) => limited.message(),
        Outcome::BadRequest(error) => error.0.clone(),
    }
}

/// The status and body of a `/validate/check` answer, and a Retry-After in seconds.
pub fn check_answer(outcome: &Outcome, now_ms: i64) -> (StatusCode, PiResponse, Option<i64>) {
    let message = refusal_message(outcome);
    let handled = |value: bool, detail: PiDetail| {
        (
            StatusCode::OK,
            PiResult {
                status: true,
                value: Some(value),
                authentication: Some(if value { "ACCEPT" } else { "REJECT" }.into()),
                error: None,
            },
            Some(detail),
        )
    };
    let failed = |status: StatusCode, code: i64, message: String| {
        (
            status,
            PiResult {
                status: false,
                value: None,
                authentication: None,
                error: Some(PiError { code, message }),
            },
            None,
        )
    };
    let plain = |message: String| PiDetail {
        message,
        serial: None,
        kind: None,
        blocked_until: None,
    };
    let mut retry_after = None;
    let (status, result, detail) = match outcome {
        Outcome::Accepted(validated) => handled(
            true,
            PiDetail {
                message: "matching 1 tokens".into(),
                serial: Some(validated.serial.clone()),
                kind: Some(validated.kind.into()),
                blocked_until: None,
            },
        ),
        Outcome::Refused(ServiceError::Blocked {
            until_ms,
            remaining_ms,
        }) => {
            retry_after = Some((remaining_ms + 999) / 1000);
            handled(
                false,
                PiDetail {
                    blocked_until: Some(crate::clock::rfc3339(*until_ms)),
                    ..plain(message)
                },
            )
        }
        Outcome::OtherSerial
        | Outcome::Refused(ServiceError::WrongCode)
        | Outcome::Refused(ServiceError::Replayed)
        | Outcome::Refused(ServiceError::MalformedCode(_)) => handled(false, plain(message)),
        Outcome::Refused(ServiceError::UnknownUser) => {
            failed(StatusCode::BAD_REQUEST, 904, format!("ERR904: {message}"))
        }
        Outcome::Refused(ServiceError::Invalid { .. }) => {
            failed(StatusCode::BAD_REQUEST, 905, format!("ERR905: {message}"))
        }
        Outcome::BadRequest(_) => failed(StatusCode::BAD_REQUEST, 905, message),
        Outcome::Limited(limited) => {
            retry_after = Some((limited.retry_after_ms() + 999) / 1000);
            failed(StatusCode::TOO_MANY_REQUESTS, 429, message)
        }
        Outcome::Refused(ServiceError::Contention) => failed(
            StatusCode::SERVICE_UNAVAILABLE,
            903,
            format!("ERR903: {message}"),
        ),
        Outcome::Refused(_) => failed(
            StatusCode::INTERNAL_SERVER_ERROR,
            903,
            format!("ERR903: {message}"),
        ),
    };
    let body = PiResponse {
        jsonrpc: "2.0".into(),
        result,
        detail,
        id: 1,
        version: format!("Kodeoplæser {}", env!("CARGO_PKG_VERSION")),
        time: now_ms as f64 / 1000.0,
    };
    (status, body, retry_after)
}

/// `/validate/radiuscheck`: 204 accepted, 400 not (as privacyIDEA), 429/5xx as for check.
pub fn radiuscheck_status(outcome: &Outcome) -> (StatusCode, Option<i64>) {
    match outcome {
        Outcome::Accepted(_) => (StatusCode::NO_CONTENT, None),
        other => match check_answer(other, 0) {
            (StatusCode::OK, _, retry_after) => (StatusCode::BAD_REQUEST, retry_after),
            (status, _, retry_after) => (status, retry_after),
        },
    }
}

/// The attributes FreeRADIUS's rlm_rest adds to its reply on a reject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RlmRestReply {
    #[serde(rename = "reply:Reply-Message")]
    pub reply_message: RlmRestValue,
}

/// One attribute in rlm_rest's JSON: taken as it is (`do_xlat: false`, so nothing in it
/// is expanded by FreeRADIUS), replacing any earlier value (`op: ":="`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RlmRestValue {
    pub value: String,
    pub do_xlat: bool,
    pub op: String,
}

/// `/validate/rlm_rest`: 204 (rlm_rest: ok, Access-Accept) when accepted; otherwise 401
/// (rlm_rest: reject) with a Reply-Message saying why, or 5xx (rlm_rest: fail) on a fault.
pub fn rlm_rest_answer(outcome: &Outcome) -> (StatusCode, Option<RlmRestReply>) {
    let status = match outcome {
        Outcome::Accepted(_) => return (StatusCode::NO_CONTENT, None),
        Outcome::Refused(ServiceError::Store(_) | ServiceError::Crypto(_)) => {
            StatusCode::INTERNAL_SERVER_ERROR
        }
        Outcome::Refused(ServiceError::Contention) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::UNAUTHORIZED,
    };
    let reply = RlmRestReply {
        reply_message: RlmRestValue {
            value: format!("Kodeoplæser: {}", refusal_message(outcome)),
            do_xlat: false,
            op: ":=".into(),
        },
    };
    (status, Some(reply))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn form_json_and_query_give_the_same_parameters() {
        let expected = CheckParams {
            user: Some("alice".into()),
            pass: Some("123456".into()),
            realm: Some("home".into()),
            ..CheckParams::default()
        };
        let form = parse_params(
            None,
            Some("application/x-www-form-urlencoded"),
            b"user=alice&pass=123456&realm=home&resConf=",
        )
        .unwrap();
        let json = parse_params(
            None,
            Some("application/json; charset=utf-8"),
            br#"{"user":"alice","pass":123456,"realm":"home","client":null}"#,
        )
        .unwrap();
        let query = parse_params(Some("user=alice&pass=123456&realm=home"), None, b"").unwrap();
        assert_eq!(form, expected);
        assert_eq!(json, expected);
        assert_eq!(query, expected);
        // privacyIDEA's FreeRADIUS plugin percent-encodes the user twice over (`%40`).
        let encoded = parse_params(None, None, b"user=fred%40realm&pass=1%202").unwrap();
        assert_eq!(encoded.user.as_deref(), Some("fred@realm"));
        assert_eq!(encoded.pass.as_deref(), Some("1 2"));
    }

    #[test]
    fn bad_bodies_name_what_is_wrong() {
        let error = parse_params(None, Some("application/json"), b"[1]").unwrap_err();
        assert!(error.0.contains("must be an object"), "{error}");
        let error = parse_params(None, Some("application/json"), br#"{"pass":[1]}"#).unwrap_err();
        assert!(error.0.contains("parameter pass"), "{error}");
        let error = parse_params(None, Some("application/json"), b"{").unwrap_err();
        assert!(error.0.starts_with("JSON body"), "{error}");
    }

    #[test]
    fn missing_user_or_pass_is_905() {
        let params = CheckParams {
            pass: Some("1".into()),
            ..CheckParams::default()
        };
        assert!(login(&params, RealmMode::Ignore)
            .unwrap_err()
            .0
            .contains("'user'"));
        let params = CheckParams {
            serial: Some("KR-1".into()),
            pass: Some("1".into()),
            ..CheckParams::default()
        };
        assert!(login(&params, RealmMode::Ignore)
            .unwrap_err()
            .0
            .contains("serial alone"));
        let params = CheckParams {
            user: Some("a".into()),
            ..CheckParams::default()
        };
        assert!(login(&params, RealmMode::Ignore)
            .unwrap_err()
            .0
            .contains("'pass'"));
    }

    #[test]
    fn realm_is_ignored_or_appended() {
        let params = CheckParams {
            user: Some("fred".into()),
            pass: Some("1".into()),
            realm: Some("corp".into()),
            ..CheckParams::default()
        };
        assert_eq!(login(&params, RealmMode::Ignore).unwrap().user, "fred");
        assert_eq!(login(&params, RealmMode::Suffix).unwrap().user, "fred@corp");
    }

    #[test]
    fn answers_have_privacyideas_shape() {
        let accepted = Outcome::Accepted(Validated {
            serial: "KR-1".into(),
            kind: "totp",
        });
        let (status, body, _) = check_answer(&accepted, 1_800_000_000_500);
        let body = serde_json::to_value(body).unwrap();
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["jsonrpc"], "2.0");
        assert_eq!(body["result"]["status"], true);
        assert_eq!(body["result"]["value"], true);
        assert_eq!(body["result"]["authentication"], "ACCEPT");
        assert_eq!(body["detail"]["serial"], "KR-1");
        assert_eq!(body["detail"]["type"], "totp");
        assert_eq!(body["time"], 1_800_000_000.5);

        let blocked = Outcome::Refused(ServiceError::Blocked {
            until_ms: 1_800_000_060_000,
            remaining_ms: 59_001,
        });
        let (status, body, retry) = check_answer(&blocked, 0);
        let body = serde_json::to_value(body).unwrap();
        assert_eq!((status, retry), (StatusCode::OK, Some(60)));
        assert_eq!(body["result"]["value"], false);
        assert_eq!(body["result"]["authentication"], "REJECT");
        assert_eq!(body["detail"]["blocked_until"], "2027-01-15T08:01:00Z");
        assert!(body["detail"]["message"]
            .as_str()
            .unwrap()
            .contains("until 2027-01-15T08:01:00Z"));

        let (status, body, _) = check_answer(&Outcome::Refused(ServiceError::UnknownUser), 0);
        let body = serde_json::to_value(body).unwrap();
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["result"]["status"], false);
        assert_eq!(body["result"]["error"]["code"], 904);
        assert!(body.get("detail").is_none());
        assert!(body["result"].get("value").is_none());

        assert_eq!(radiuscheck_status(&accepted).0, StatusCode::NO_CONTENT);
        assert_eq!(radiuscheck_status(&blocked).0, StatusCode::BAD_REQUEST);
        assert_eq!(rlm_rest_answer(&accepted), (StatusCode::NO_CONTENT, None));
        let (status, reply) = rlm_rest_answer(&blocked);
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let reply = serde_json::to_value(reply.unwrap()).unwrap();
        assert_eq!(reply["reply:Reply-Message"]["do_xlat"], false);
        assert!(reply["reply:Reply-Message"]["value"]
            .as_str()
            .unwrap()
            .contains("blocked"));
    }

    proptest! {
        /// Whatever arrives, parsing answers or names the problem, and never panics.
        #[test]
        fn parsing_never_panics(query in ".{0,40}", body in proptest::collection::vec(any::<u8>(), 0..64), json in any::<bool>()) {
            let content_type = if json { Some("application/json") } else { None };
            let _ = parse_params(Some(&query), content_type, &body);
        }

        /// The answer to a malformed code never contains the code.
        #[test]
        fn answers_never_echo_the_code(code in "[0-9]{3,12}|[0-9]{2,5}[a-z][0-9]{1,5}") {
            let outcome = match crate::service::check_code_shape(&code) {
                Err(error) => Outcome::Refused(error),
                Ok(()) => Outcome::Refused(ServiceError::WrongCode),
            };
            let (_, body, _) = check_answer(&outcome, 0);
            let text = serde_json::to_string(&body).unwrap();
            let (_, reply) = rlm_rest_answer(&outcome);
            let reply = serde_json::to_string(&reply).unwrap();
            prop_assert!(!text.contains(&code), "{text}");
            prop_assert!(!reply.contains(&code), "{reply}");
        }
    }
}
