//! Telephone support for the line 33 98 00 10: the rules agents and the voice menu apply,
//! guided flows loaded from files, the keypad voice menu (IVR), the agent console in the
//! terminal and the agents' web console.

pub mod console;
pub mod console_shell;
pub mod device;
pub mod dtmf;
pub mod flow;
pub mod ivr;
pub mod line;
pub mod queue;
pub mod rules;
pub mod sip;
pub mod telephony;
pub mod web;
