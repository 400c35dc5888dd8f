//! The agents' web console (`phone-support web`): per-agent sign-in, the calls from the
//! SIP line, a device's state with unlock and new activation codes, and the guided flows
//! with the rules checks inline, in Danish and English from the Fluent catalogue.
//!
//! `auth` (accounts, argon2, lockout, rights), `session` (sessions, CSRF tokens, cookies)
//! and `page` (HTML) are pure; `line` speaks the SIP line's control API; `server` is the
//! axum shell. It reuses the `flow` and `rules` modules and the console's rules lines,
//! and the service's support view through [`crate::device::HttpDirectory`].

pub mod auth;
pub mod line;
pub mod page;
pub mod server;
pub mod session;

pub use server::{app, run, WebConfig, WebState};
