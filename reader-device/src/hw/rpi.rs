//! Raspberry Pi hardware (feature `rpi`).
