//! The audio code reader itself: a pure state machine (keys, timers, power, headphones →
//! screen + speech) with its hardware behind traits. Filled in by the device issue.
