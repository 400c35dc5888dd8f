//! The support view of a caller's device, fetched from the service by serial number
//! (`GET /v1/devices/{serial}`, admin token) behind a small trait so tests can use a fake.
//! The view never holds a secret or a code.

use std::time::Duration;

use crate::ivr::{UnlockRequest, UnlockResult};

use serde::Deserialize;

/// What support may see about a device (the service's `DeviceView`; unknown fields are
/// ignored, so secrets could not slip through even if the service sent them).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DeviceView {
    pub serial: String,
    #[serde(default)]
    pub kind: Option<String>,
    /// "inactive", "active" or "deactivated".
    pub state: String,
    #[serde(default)]
    pub activated_at: Option<String>,
    #[serde(default)]
    pub last_used_at: Option<String>,
    #[serde(default)]
    pub failures: u32,
    #[serde(default)]
    pub blocked_until: Option<String>,
    #[serde(default)]
    pub blocks: u32,
    #[serde(default)]
    pub drift_steps: i64,
    #[serde(default)]
    pub activation_code: Option<ActivationCodeView>,
}

/// An outstanding activation code: that it exists, never its value.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ActivationCodeView {
    pub channel: String,
    pub expires_at: String,
    pub attempts_left: u32,
}

impl DeviceView {
    /// One line per fact, for the console and screen readers.
    pub fn lines(&self) -> Vec<String> {
        let or_never = |v: &Option<String>| v.clone().unwrap_or_else(|| "never".to_owned());
        let mut lines = vec![
            format!("serial: {}", self.serial),
            format!("activation state: {}", self.state),
            format!("activated: {}", or_never(&self.activated_at)),
            format!("last use: {}", or_never(&self.last_used_at)),
            format!("wrong codes in a row: {}", self.failures),
            match &self.blocked_until {
                Some(until) => format!(
                    "BLOCKED until {until} (blocks since last success: {})",
                    self.blocks
                ),
                None => "not blocked".to_owned(),
            },
            format!("clock drift: {} time steps", self.drift_steps),
        ];
        if let Some(kind) = &self.kind {
            lines.insert(1, format!("kind: {kind}"));
        }
        if let Some(code) = &self.activation_code {
            lines.push(format!(
                "activation code by {}: expires {}, {} tries left",
                code.channel, code.expires_at, code.attempts_left
            ));
        }
        lines
    }
}

/// Why a device could not be looked up or changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    #[error("{0}")]
    BadSerial(String),
    #[error("no device with serial number {0}")]
    NotFound(String),
    #[error("person {0} has no active device")]
    NoDeviceFor(String),
    #[error("the service refused the admin token (HTTP {0}); check KODE_ADMIN_TOKEN")]
    Unauthorized(u16),
    #[error("the service answered HTTP {status}: {body}")]
    Service { status: u16, body: String },
    #[error("cannot reach the service at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("the service's answer is not a device view: {0}")]
    BadAnswer(String),
}

/// Where device views come from.
pub trait DeviceDirectory {
    fn device(&self, serial: &str) -> Result<DeviceView, LookupError>;
    /// Lifts a temporary block.
    fn unlock(&self, serial: &str) -> Result<(), LookupError>;
}

/// Checks a serial number by the one rule ([`otp::Serial::parse`]) before it goes into a
/// URL; gives it back in canonical form (letters and digits only, so URL-safe).
pub fn check_serial(serial: &str) -> Result<otp::Serial, LookupError> {
    otp::Serial::parse(serial).map_err(|error| LookupError::BadSerial(error.to_string()))
}

/// The service over HTTP.
#[derive(Clone)]
pub struct HttpDirectory {
    base: String,
    token: String,
    /// The agent named to the service (`X-Kode-Actor`) for its audit log.
    actor: Option<String>,
    agent: ureq::Agent,
}

/// A new activation code, on its way to the person by paper or SMS. Its value is never
/// printed (`Debug` leaves it out) and never shown to an agent.
pub struct IssuedCode {
    pub value: String,
    pub expires_at: String,
}

impl std::fmt::Debug for IssuedCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedCode")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl Drop for IssuedCode {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.value);
    }
}

/// `text` as one URL path segment: unreserved characters kept, the rest percent-encoded.
pub fn path_segment(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~@".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

impl HttpDirectory {
    /// `base` like `http://127.0.0.1:8080`; `token` is the admin token.
    pub fn new(base: &str, token: String) -> Self {
        HttpDirectory {
            base: base.trim_end_matches('/').to_owned(),
            token,
            actor: None,
            agent: ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(5))
                .build(),
        }
    }

    /// The same service, naming `agent` as the one acting (the service audits `admin:NAME`).
    pub fn acting_for(&self, agent: &str) -> HttpDirectory {
        HttpDirectory {
            actor: Some(agent.to_owned()),
            ..self.clone()
        }
    }

    fn authorized(&self, request: ureq::Request) -> ureq::Request {
        let request = request.set("Authorization", &format!("Bearer {}", self.token));
        match &self.actor {
            Some(actor) => request.set("X-Kode-Actor", actor),
            None => request,
        }
    }

    /// The support view of the person `user`'s active device.
    pub fn device_of_user(&self, user: &str) -> Result<DeviceView, LookupError> {
        let user = user.trim();
        if user.is_empty() || user.len() > 128 {
            return Err(LookupError::BadSerial(
                "a person's id must have 1–128 characters".to_owned(),
            ));
        }
        let path = format!("/v1/users/{}/device", path_segment(user));
        let response = self.call("GET", &path, user).map_err(|e| match e {
            LookupError::NotFound(_) => LookupError::NoDeviceFor(user.to_owned()),
            other => other,
        })?;
        response
            .into_json()
            .map_err(|e| LookupError::BadAnswer(e.to_string()))
    }

    /// Issues a new activation code for `serial` and person `user` by `channel` ("paper"
    /// or "sms"): `POST /v1/activation-codes`.
    pub fn issue_activation_code(
        &self,
        serial: &str,
        user: &str,
        channel: &str,
    ) -> Result<IssuedCode, LookupError> {
        let serial = check_serial(serial)?;
        let url = format!("{}/v1/activation-codes", self.base);
        let body = serde_json::json!({"serial": serial.as_str(), "user": user, "channel": channel});
        let response = self
            .authorized(self.agent.post(&url))
            .send_json(body)
            .map_err(|e| self.error(e, serial.as_str()))?;
        #[derive(Deserialize)]
        struct Issued {
            activation_code: String,
            expires_at: String,
        }
        let issued: Issued = response
            .into_json()
            .map_err(|e| LookupError::BadAnswer(e.to_string()))?;
        Ok(IssuedCode {
            value: issued.activation_code,
            expires_at: issued.expires_at,
        })
    }

    /// The support line's keypad unlock: `POST /v1/support/unlock-with-codes`. The codes
    /// go in the body only and are never logged.
    pub fn unlock_with_codes(&self, request: &UnlockRequest) -> UnlockResult {
        let url = format!("{}/v1/support/unlock-with-codes", self.base);
        let body = serde_json::json!({
            "serial": request.serial,
            "first": request.first,
            "second": request.second,
        });
        match self
            .agent
            .post(&url)
            .set("Authorization", &format!("Bearer {}", self.token))
            .send_json(body)
        {
            Ok(_) => UnlockResult::Unlocked,
            Err(ureq::Error::Status(401, response)) => {
                // 401 is also a wrong admin token: tell them apart by the reason.
                let reason = response
                    .into_json::<serde_json::Value>()
                    .ok()
                    .and_then(|v| v["reason"].as_str().map(str::to_owned));
                match reason.as_deref() {
                    Some("wrong_code") | Some("replayed") => UnlockResult::WrongCodes,
                    other => {
                        tracing::error!("the service refused the support line's token ({other:?})");
                        UnlockResult::Unavailable
                    }
                }
            }
            Err(ureq::Error::Status(404, _)) => UnlockResult::UnknownSerial,
            Err(ureq::Error::Status(400, _)) => UnlockResult::WrongCodes,
            Err(e) => {
                tracing::warn!("self-service unlock: the service did not answer: {e}");
                UnlockResult::Unavailable
            }
        }
    }

    fn call(&self, method: &str, path: &str, serial: &str) -> Result<ureq::Response, LookupError> {
        let url = format!("{}{path}", self.base);
        let request = self.authorized(self.agent.request(method, &url));
        let response = if method == "POST" {
            request.send_string("")
        } else {
            request.call()
        };
        response.map_err(|e| self.error(e, serial))
    }

    fn error(&self, error: ureq::Error, serial: &str) -> LookupError {
        match error {
            ureq::Error::Status(404, _) => LookupError::NotFound(serial.to_owned()),
            ureq::Error::Status(status @ (401 | 403), _) => LookupError::Unauthorized(status),
            ureq::Error::Status(status, response) => {
                // The service's error body: keep its message, which names no secret.
                let body = response.into_string().unwrap_or_default();
                let message = serde_json::from_str::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v["message"].as_str().map(str::to_owned))
                    .unwrap_or(body);
                LookupError::Service {
                    status,
                    body: message,
                }
            }
            ureq::Error::Transport(transport) => LookupError::Unreachable {
                url: self.base.clone(),
                reason: transport.to_string(),
            },
        }
    }
}

impl DeviceDirectory for HttpDirectory {
    fn device(&self, serial: &str) -> Result<DeviceView, LookupError> {
        let serial = check_serial(serial)?;
        let response = self.call("GET", &format!("/v1/devices/{serial}"), serial.as_str())?;
        response
            .into_json()
            .map_err(|e| LookupError::BadAnswer(e.to_string()))
    }

    fn unlock(&self, serial: &str) -> Result<(), LookupError> {
        let serial = check_serial(serial)?;
        self.call(
            "POST",
            &format!("/v1/devices/{serial}/unlock"),
            serial.as_str(),
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_service_view_and_ignores_other_fields() {
        let json = r#"{"serial":"KO-000123","kind":"totp","state":"active","user":"u1",
            "imported_at":"2026-01-01T00:00:00Z","activated_at":"2026-01-02T10:00:00Z",
            "last_used_at":null,"failures":3,"blocked_until":"2026-11-25T08:15:00Z",
            "blocks":1,"drift_steps":-2,"secret":"JBSWY3DPEHPK3PXP",
            "activation_code":{"user":"u1","channel":"sms","expires_at":"2026-11-25T08:30:00Z","attempts_left":2}}"#;
        let view: DeviceView = serde_json::from_str(json).unwrap();
        let text = view.lines().join("\n");
        assert!(text.contains("activation state: active"));
        assert!(text.contains("BLOCKED until 2026-11-25T08:15:00Z"));
        assert!(text.contains("clock drift: -2 time steps"));
        assert!(text.contains("last use: never"));
        assert!(text.contains("activation code by sms: expires 2026-11-25T08:30:00Z, 2 tries left"));
        assert!(!text.contains("JBSWY3DPEHPK3PXP"));
    }

    #[test]
    fn serial_shapes() {
        assert_eq!(check_serial("ko-000123").unwrap().as_str(), "KO000123");
        for bad in ["", "a/b", "../x", "a_b", &"9".repeat(65)] {
            assert!(check_serial(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn unreachable_service_is_a_clear_error() {
        // Port 9 (discard) on localhost is closed on test machines.
        let directory = HttpDirectory::new("http://127.0.0.1:9", "t".to_owned());
        let err = directory.device("KO-1").unwrap_err();
        assert!(matches!(err, LookupError::Unreachable { .. }), "{err}");
    }
}
