//! The telephone line's protocols as pure code: SDP offer/answer, RTP packets, G.711,
//! RFC 4733 telephone-events and the joining of keys heard two ways, resampling to 8 kHz.
//! No sockets and no clock here; the SIP shell (`crate::sip`) does the I/O.

pub mod events;
pub mod g711;
pub mod resample;
pub mod rtp;
pub mod sdp;
