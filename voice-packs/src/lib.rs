//! Voice packs: the tools that build a pack from espeak-ng or Piper ([`build`]) and record
//! one from a human voice ([`record`]). The pack format, loading and validation live in
//! [`speech::pack`], because the device loads packs through the speech crate; the
//! `voice-pack` binary wraps all three, and [`compare`]s a rebuilt pack with a shipped
//! one. The shipped packs are `voice-packs/da`, `/en` and `/en-joe` (Piper, the English
//! default).

pub mod build;
pub mod compare;
pub mod mic;
pub mod record;

pub use speech::pack::{Manifest, PackError, PackReport, VoicePack};
