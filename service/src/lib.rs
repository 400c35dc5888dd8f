//! The back-end service: imports code readers (PSKC or `SERIAL otpauth://…` lines),
//! activates them for a person, validates their codes, and shows support a device's state.
//!
//! Code map: [`policy`] holds the rules as pure functions (no I/O, time passed in);
//! [`store`] is the database (SQLite by default, PostgreSQL for many replicas), changed
//! only by conditional updates; [`crypto`] seals secrets at rest and hashes tokens;
//! [`service`] joins them; [`http`] is the JSON API; [`import`] reads vendor files;
//! [`privacyidea`] answers privacyIDEA's `/validate/check` and RADIUS checks;
//! [`ratelimit`] holds the per-client and per-user request limits; [`events`] sends
//! signed webhook events.
//!
//! Embedding in-process (as the simulator does), with SQLite in a temporary directory:
//!
//! ```no_run
//! # async fn demo() -> Result<(), service::ServiceError> {
//! use std::sync::Arc;
//! use service::{Channel, ManualClock, SecretBox, Service};
//! let dir = std::env::temp_dir().join("kode-demo");
//! let clock = ManualClock::at_ms(1_700_000_000_000);
//! let sealer = SecretBox::from_key_file(&dir.join("secret.key"))?;
//! let url = format!("sqlite://{}", dir.join("kode.db").display());
//! let service = Service::open(&url, sealer, Arc::new(clock.clone())).await?;
//! service.import("KR-1 otpauth://totp/MitID:KR-1?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", None, "sim").await?;
//! let issued = service.issue_activation_code("KR-1", "person-1", Channel::Sms, "sim").await?;
//! let code = "123456"; // what the device shows now
//! service.activate("KR-1", "person-1", &issued.activation_code, code).await?;
//! service.validate("person-1", code).await?; // Err(ServiceError::Replayed): already used
//! # Ok(()) }
//! ```
//!
//! [`open_local`] opens the same default database as the `service` binary (SQLite and the
//! at-rest key in the user's data directory) unless given a URL and key file.
//!
//! To serve HTTP: [`http::app`] gives the `axum::Router` (test it with
//! `tower::ServiceExt::oneshot`), and [`http::run`] serves it on a bound listener until a
//! shutdown future completes.

pub mod clock;
pub mod crypto;
pub mod events;
mod group_commit;
pub mod http;
pub mod import;
pub mod local;
pub mod policy;
pub mod privacyidea;
pub mod ratelimit;
pub mod service;
pub mod store;
pub mod support;

pub use clock::{Clock, ManualClock, SystemClock};
pub use crypto::{AdminToken, SecretBox};
pub use http::{app, run, AppState};
pub use local::{data_dir, open_local};
pub use policy::Channel;
pub use service::{DeviceView, Service, ServiceError};
pub use store::{Backend, Store};
