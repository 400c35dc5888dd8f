//! One-time codes for Kodeoplæser: HOTP (RFC 4226), TOTP (RFC 6238), their secrets, and
//! `otpauth://` Key URIs.
//!
//! Architecture invariant: this crate does no I/O, reads no clock and spawns nothing —
//! callers pass the counter or the Unix time in.
//!
//! ```
//! use otp::{Secret, Totp};
//! let secret = Secret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
//! assert_eq!(Totp::mitid(&secret).code_at(59).unwrap().to_string(), "287082");
//! ```

pub mod hotp;
pub mod pskc;
pub mod secret;
pub mod serial;
pub mod totp;
pub mod uri;

pub use hotp::{Algorithm, Code, CodeError, Digits, Hotp, Window};
pub use pskc::{KeyPackage, PskcError};
pub use secret::{Secret, SecretError};
pub use serial::{Serial, SerialError};
pub use totp::{Totp, TotpError, DEFAULT_PERIOD};
pub use uri::{KeyUri, OtpKind, UriError};
