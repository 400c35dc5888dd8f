//! Voice packs: the tools that build a pack from espeak-ng ([`build`]) and record one from a
//! human voice ([`record`]). The pack format, loading and validation live in
//! [`speech::pack`], because the device loads packs through the speech crate; the
//! `voice-pack` binary wraps all three. The shipped packs are `voice-packs/da` and `/en`.

pub mod build;
pub mod mic;
pub mod record;

pub use speech::pack::{Manifest, PackError, PackReport, VoicePack};
