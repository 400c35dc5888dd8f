//! The simulated login host: a login prompt that takes a user id and the code the tester
//! heard, and asks the service — embedded in-process, or over HTTP — whether it is right.
//! Nothing pretends to be a USB keyboard: the tester types what they heard.

use std::fmt;

use anyhow::{Context, Result};
use service::{Service, ServiceError};

/// The service's answer to a login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Accepted,
    /// Refused, with the service's machine-readable reason and its sentence.
    Refused {
        reason: String,
        message: String,
    },
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Accepted => f.write_str("accepted"),
            Verdict::Refused { reason, message } => write!(f, "refused: {reason} ({message})"),
        }
    }
}

/// Where the host asks.
pub enum Checker {
    /// A service in this process.
    Embedded(Service),
    /// A running service at this base URL (e.g. `http://127.0.0.1:8080`).
    Remote(String),
}

impl Checker {
    /// Asks whether `code` logs `user` in. A refusal is a [`Verdict`]; only a service that
    /// cannot be asked is an error.
    pub async fn check(&self, user: &str, code: &str) -> Result<Verdict> {
        match self {
            Checker::Embedded(service) => match service.validate(user, code).await {
                Ok(()) => Ok(Verdict::Accepted),
                Err(error @ (ServiceError::Store(_) | ServiceError::Crypto(_))) => {
                    Err(error).context("the service failed")
                }
                Err(refusal) => Ok(Verdict::Refused {
                    reason: refusal.reason().to_owned(),
                    message: refusal.to_string(),
                }),
            },
            Checker::Remote(base) => {
                let url = format!("{}/v1/validate", base.trim_end_matches('/'));
                let body = serde_json::json!({ "user": user, "code": code });
                let url_for_thread = url.clone();
                // ureq is blocking; keep it off the async executor.
                let answer = tokio::task::spawn_blocking(move || {
                    match ureq::post(&url_for_thread).send_json(body) {
                        Ok(response) => {
                            response.into_json::<serde_json::Value>().map(|v| (true, v))
                        }
                        Err(ureq::Error::Status(_, response)) => response
                            .into_json::<serde_json::Value>()
                            .map(|v| (false, v)),
                        Err(other) => Err(std::io::Error::other(other.to_string())),
                    }
                })
                .await
                .context("the HTTP request did not finish")?
                .with_context(|| format!("asking {url}"))?;
                let (ok, value) = answer;
                let field = |name: &str| {
                    value
                        .get(name)
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                        .to_owned()
                };
                if ok && field("result") == "accepted" {
                    Ok(Verdict::Accepted)
                } else {
                    Ok(Verdict::Refused {
                        reason: field("reason"),
                        message: field("message"),
                    })
                }
            }
        }
    }
}

/// Opens the service in this process, on the service's own default database and key file
/// unless told otherwise, so the host sees the devices `service import` put there.
pub async fn open_embedded(
    db: Option<String>,
    key_file: Option<std::path::PathBuf>,
) -> Result<Service> {
    service::open_local(
        db.as_deref(),
        key_file.as_deref(),
        std::sync::Arc::new(service::SystemClock),
    )
    .await
    .context("opening the embedded service")
}
