//! The desktop simulator: the device core with a terminal screen, keyboard keys and
//! speakers or WAV files, a scripted headless mode on a virtual clock, and a simulated
//! login host that checks the code you heard against the service.

pub mod script;
