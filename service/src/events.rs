//! Events — a device activated, blocked or unblocked, an import done, repeated wrong
//! codes — sent as signed JSON to a configured webhook in the background, and written to
//! the audit log by [`crate::service`].
//!
//! An event never carries a code, a secret or an activation code: its fields are the
//! serial, the person's opaque id, counts and times. Sending never holds up the request
//! that caused it: [`Events::emit`] only puts the event on a bounded queue; a task of its
//! own posts each one with `X-Kode-Signature: sha256=<hex HMAC-SHA256 of the body>` and
//! retries with doubling back-off. Events that find the queue full are counted and dropped.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;
use tokio::sync::mpsc;

/// Events waiting to be sent before new ones are dropped.
const QUEUE: usize = 10_000;

/// What happened. Serialised with its name in `"event"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A device was bound to a person.
    Activated { serial: String, user: String },
    /// The 3rd wrong code in a row blocked a device until `blocked_until` (RFC 3339);
    /// `blocks` counts the blocks since its last success.
    Blocked {
        serial: String,
        user: String,
        blocked_until: String,
        blocks: u32,
    },
    /// Support lifted a block.
    Unblocked { serial: String, actor: String },
    /// An import committed `devices` devices.
    ImportDone { devices: usize, actor: String },
    /// Wrong codes in a row that did not block yet (one more will).
    RepeatedFailures {
        serial: String,
        user: String,
        failures: u32,
    },
}

impl Event {
    /// The event's name as sent (`"blocked"`, `"import_done"`, …).
    pub fn name(&self) -> &'static str {
        match self {
            Event::Activated { .. } => "activated",
            Event::Blocked { .. } => "blocked",
            Event::Unblocked { .. } => "unblocked",
            Event::ImportDone { .. } => "import_done",
            Event::RepeatedFailures { .. } => "repeated_failures",
        }
    }

    /// The audit line (subject, result) an event adds, when the action behind it is not
    /// already audited: activation, unlock and import each write their own line.
    pub fn audit_line(&self) -> Option<(String, String)> {
        match self {
            Event::Blocked {
                serial,
                user,
                blocked_until,
                blocks,
            } => Some((
                serial.clone(),
                format!("{user} until {blocked_until} (block {blocks})"),
            )),
            Event::RepeatedFailures {
                serial,
                user,
                failures,
            } => Some((
                serial.clone(),
                format!("{user}: {failures} wrong codes in a row"),
            )),
            Event::Activated { .. } | Event::Unblocked { .. } | Event::ImportDone { .. } => None,
        }
    }
}

/// The body posted to the webhook.
#[derive(Debug, Clone, Serialize)]
pub struct Envelope {
    /// Unique per event (a receiver can drop the duplicates that retries may cause).
    pub id: String,
    /// When it happened, RFC 3339 UTC.
    pub at: String,
    #[serde(flatten)]
    pub event: Event,
}

/// HMAC-SHA256 of `body` under `key`, as lowercase hex.
pub fn sign(key: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(body);
    data_encoding::HEXLOWER.encode(&mac.finalize().into_bytes())
}

/// Where and how events are sent.
#[derive(Clone)]
pub struct WebhookConfig {
    /// `http://host:port/path`.
    pub url: String,
    /// The HMAC key; never logged.
    pub key: Arc<zeroize::Zeroizing<Vec<u8>>>,
    /// Attempts per event before it is given up.
    pub attempts: u32,
    /// Wait before the 2nd attempt; doubled for each further one.
    pub first_backoff: Duration,
    /// Longest wait for one answer.
    pub timeout: Duration,
}

impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("url", &self.url)
            .field("key", &"<hidden>")
            .field("attempts", &self.attempts)
            .finish()
    }
}

impl WebhookConfig {
    pub fn new(url: &str, key: &[u8]) -> Self {
        WebhookConfig {
            url: url.to_owned(),
            key: Arc::new(zeroize::Zeroizing::new(key.to_vec())),
            attempts: 8,
            first_backoff: Duration::from_millis(500),
            timeout: Duration::from_secs(5),
        }
    }
}

/// Counts of the webhook's work, for `/metrics` and tests.
#[derive(Debug, Default)]
pub struct EventStats {
    pub sent: AtomicU64,
    pub retried: AtomicU64,
    pub given_up: AtomicU64,
    pub dropped: AtomicU64,
}

/// Where the service puts its events: nowhere, or the queue of a webhook sender.
#[derive(Clone, Default)]
pub struct Events {
    queue: Option<mpsc::Sender<Envelope>>,
    stats: Arc<EventStats>,
}

impl Events {
    /// No webhook: events go only to the audit log.
    pub fn none() -> Self {
        Events::default()
    }

    /// Starts the sender task on the current tokio runtime.
    pub fn webhook(config: WebhookConfig) -> Self {
        let (queue, receiver) = mpsc::channel(QUEUE);
        let stats = Arc::new(EventStats::default());
        tokio::spawn(deliver(config, receiver, stats.clone()));
        Events {
            queue: Some(queue),
            stats,
        }
    }

    pub fn stats(&self) -> &EventStats {
        &self.stats
    }

    /// Queues `event` for the webhook without waiting; a full queue drops it.
    pub fn emit(&self, event: Event, now_ms: i64) {
        let Some(queue) = &self.queue else { return };
        let mut id = [0u8; 12];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut id);
        let envelope = Envelope {
            id: data_encoding::HEXLOWER.encode(&id),
            at: crate::clock::rfc3339(now_ms),
            event,
        };
        if queue.try_send(envelope).is_err() {
            self.stats.dropped.fetch_add(1, Ordering::Relaxed);
            tracing::warn!("webhook queue full or closed: an event was dropped");
        }
    }
}

async fn deliver(
    config: WebhookConfig,
    mut receiver: mpsc::Receiver<Envelope>,
    stats: Arc<EventStats>,
) {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Full<bytes::Bytes>>();
    while let Some(envelope) = receiver.recv().await {
        let body = match serde_json::to_vec(&envelope) {
            Ok(body) => bytes::Bytes::from(body),
            Err(error) => {
                tracing::error!(%error, "cannot encode an event");
                continue;
            }
        };
        let signature = format!("sha256={}", sign(&config.key, &body));
        let mut backoff = config.first_backoff;
        let mut delivered = false;
        for attempt in 1..=config.attempts.max(1) {
            let request = hyper::Request::post(&config.url)
                .header("content-type", "application/json")
                .header("x-kode-event", envelope.event.name())
                .header("x-kode-signature", &signature)
                .body(http_body_util::Full::new(body.clone()));
            let request = match request {
                Ok(request) => request,
                Err(error) => {
                    tracing::error!(%error, "webhook URL is not usable");
                    break;
                }
            };
            let outcome = tokio::time::timeout(config.timeout, client.request(request)).await;
            match outcome {
                Ok(Ok(response)) if response.status().is_success() => {
                    delivered = true;
                    break;
                }
                Ok(Ok(response)) => {
                    tracing::warn!(status = %response.status(), attempt, event = envelope.event.name(), "webhook refused an event");
                }
                Ok(Err(error)) => {
                    tracing::warn!(%error, attempt, event = envelope.event.name(), "webhook not reached");
                }
                Err(_) => {
                    tracing::warn!(attempt, event = envelope.event.name(), "webhook timed out");
                }
            }
            if attempt < config.attempts {
                stats.retried.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(backoff).await;
                backoff = backoff.saturating_mul(2).min(Duration::from_secs(300));
            }
        }
        if delivered {
            stats.sent.fetch_add(1, Ordering::Relaxed);
        } else {
            stats.given_up.fetch_add(1, Ordering::Relaxed);
            tracing::error!(
                event = envelope.event.name(),
                id = envelope.id,
                "webhook event given up"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_rfc4231_hmac_sha256() {
        // RFC 4231 test case 2.
        assert_eq!(
            sign(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn events_serialise_with_their_name_and_no_more() {
        let envelope = Envelope {
            id: "abc".into(),
            at: "2027-01-15T08:00:00Z".into(),
            event: Event::Blocked {
                serial: "KR-1".into(),
                user: "person-1".into(),
                blocked_until: "2027-01-15T08:01:00Z".into(),
                blocks: 1,
            },
        };
        assert_eq!(
            serde_json::to_value(&envelope).unwrap(),
            serde_json::json!({"id": "abc", "at": "2027-01-15T08:00:00Z", "event": "blocked",
                "serial": "KR-1", "user": "person-1", "blocked_until": "2027-01-15T08:01:00Z",
                "blocks": 1})
        );
        let config = WebhookConfig::new("http://127.0.0.1:1/x", b"very secret key");
        assert!(!format!("{config:?}").contains("very secret"));
    }
}
