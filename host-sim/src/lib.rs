//! The desktop simulator: the device core with a terminal screen, keyboard keys and
//! speakers or WAV files, a scripted headless mode and a simulated login host. Filled in by
//! the simulator issue.
