//! The desktop simulator: the device core with a terminal screen, keyboard keys and
//! speakers or WAV files, a scripted headless mode on a virtual clock, and a simulated
//! login host that checks the code you heard against the service.
//!
//! Code map: [`script`] parses scripts, [`run`] plays them on a [`sim::Simulator`] (the
//! reader-device core on a virtual clock), [`audio`] is where speech goes, [`host`] is the
//! login side, [`setup`] builds the device and the demo's world, [`demo`] and [`tui`] are
//! the two ways a person uses it.

pub mod audio;
pub mod demo;
pub mod host;
pub mod run;
pub mod script;
pub mod setup;
pub mod sim;
pub mod tui;
