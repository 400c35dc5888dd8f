//! The audio code reader itself: a pure state machine (keys, timers, power, headphones →
//! screen + speech) with its hardware behind traits.
//!
//! Code map: [`keys`] (keypad and key filter) → [`core`] (the state machine) → [`screen`]
//! (what is shown, as a value) → [`framebuffer`] (its pixels).
//!
//! Architecture invariant: [`core`], [`keys`] and [`screen`] do no I/O and read no clock.

pub mod config;
pub mod core;
pub mod framebuffer;
pub mod hw;
pub mod keys;
pub mod provision;
pub mod runtime;
pub mod screen;
pub mod store;

pub use crate::core::{
    Channel, Config, Device, Effect, Event, Now, Record, Settings, Speech, Token,
};
pub use framebuffer::{CodeLayout, Framebuffer, FramebufferError};
pub use keys::{Edge, Key, KeyFilter};
pub use screen::{Fault, Notice, Screen, Silence, Status, View};
