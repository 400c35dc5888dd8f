//! One answered call: the voice menu's effects carried out on an RTP stream. Prompts go
//! out as 20 ms G.711 packets on a fixed slot grid; keys come in as RFC 4733 events or
//! in-band tones, joined so a press counts once; a key cuts the prompt (barge-in). Every
//! call ends: the caller hangs up, the menu says goodbye, or a limit is reached.

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use rsipstack::dialog::dialog::{DialogState, DialogStateReceiver};
use tokio::net::UdpSocket;
use tokio::time::{Instant, Interval, MissedTickBehavior};

use crate::dtmf::Detector;
use crate::ivr::{Effect, Input, Ivr, Key, NO_INPUT_TIMEOUT};
use crate::telephony::events::{EventDecoder, KeyJoiner, Source};
use crate::telephony::g711::Law;
use crate::telephony::rtp::{self, Packet, SAMPLES_PER_PACKET};
use crate::telephony::sdp::Negotiated;

use super::prompts::Prompts;
use super::stats::Stats;
use super::Limits;

/// Why the media of a call stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// BYE (or CANCEL, or the dialog otherwise ended) from the caller's side.
    HungUp,
    /// The call reached its hard time limit.
    Limit,
    /// Nothing came from the caller for too long.
    Inactive,
    /// The menu said goodbye.
    MenuHungUp,
    /// Sending failed or a prompt could not be rendered.
    Failed(String),
}

/// Where a call's transcript and record go.
pub struct CallLog {
    pub call_id: String,
    pub transcript: Option<std::fs::File>,
}

impl CallLog {
    fn said(&mut self, lang: speech::Lang, text: &str) {
        if let Some(file) = &mut self.transcript {
            if let Err(e) = writeln!(file, "[{lang}] {text}") {
                tracing::warn!(call = %self.call_id, "cannot write the transcript: {e}");
                self.transcript = None;
            }
        }
    }
}

/// The RTP side of a call.
pub struct Media {
    socket: UdpSocket,
    remote: SocketAddr,
    latched: bool,
    law: Law,
    audio_pt: u8,
    event_pt: Option<u8>,
    sender: rtp::Sender,
    ticker: Interval,
    out: Vec<u8>,
    buf: Vec<u8>,
    silence: Vec<u8>,
    decoder: EventDecoder,
    detector: Detector,
    joiner: KeyJoiner,
    started: Instant,
    last_heard: Instant,
    deadline: Instant,
    inactivity: Duration,
    states: DialogStateReceiver,
    stats: Arc<Stats>,
    answered_at: Instant,
    first_prompt_sent: bool,
    strangers_logged: bool,
    call_id: String,
}

impl Media {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        socket: UdpSocket,
        negotiated: &Negotiated,
        states: DialogStateReceiver,
        limits: &Limits,
        stats: Arc<Stats>,
        answered_at: Instant,
        seed: u64,
        call_id: String,
    ) -> Media {
        let now = Instant::now();
        let mut ticker = tokio::time::interval_at(now, rtp::PACKET_INTERVAL);
        // Late packets are sent at once to catch up with the grid (the timestamp already
        // says when they belong), never skipped.
        ticker.set_missed_tick_behavior(MissedTickBehavior::Burst);
        Media {
            socket,
            remote: SocketAddr::new(negotiated.remote.0, negotiated.remote.1),
            latched: false,
            law: negotiated.law,
            audio_pt: negotiated.payload_type,
            event_pt: negotiated.event_payload_type,
            sender: rtp::Sender::new(
                negotiated.payload_type,
                (seed >> 32) as u32 ^ seed as u32,
                (seed >> 16) as u16,
                seed as u32,
            ),
            ticker,
            out: Vec::with_capacity(200),
            buf: vec![0; 2048],
            silence: vec![negotiated.law.silence(); SAMPLES_PER_PACKET as usize],
            decoder: EventDecoder::new(),
            detector: Detector::new(8000),
            joiner: KeyJoiner::new(),
            started: now,
            last_heard: now,
            deadline: now + limits.call_limit,
            inactivity: limits.inactivity,
            states,
            stats,
            answered_at,
            first_prompt_sent: false,
            strangers_logged: false,
            call_id,
        }
    }

    /// Sends `audio` (may be empty) paced in real time, then silence until `then_wait`
    /// has passed (`None`: until the call ends). Returns the first key heard, which cuts
    /// the audio short.
    pub async fn play(
        &mut self,
        audio: &[u8],
        then_wait: Option<Duration>,
    ) -> Result<Option<Key>, Stop> {
        if audio.is_empty() && then_wait == Some(Duration::ZERO) {
            return Ok(None);
        }
        let mut position = 0;
        let mut wait_until: Option<Instant> = None;
        loop {
            tokio::select! {
                biased;
                state = self.states.recv() => self.on_dialog_state(state).await?,
                slot = self.ticker.tick() => {
                    self.check_limits(slot)?;
                    let frame_end = (position + SAMPLES_PER_PACKET as usize).min(audio.len());
                    let prompt = position < audio.len();
                    if prompt {
                        let frame = &audio[position..frame_end];
                        if frame.len() < SAMPLES_PER_PACKET as usize {
                            let mut padded = frame.to_vec();
                            padded.resize(SAMPLES_PER_PACKET as usize, self.law.silence());
                            self.send(&padded, slot).await?;
                        } else {
                            self.send(frame, slot).await?;
                        }
                        if !self.first_prompt_sent {
                            self.first_prompt_sent = true;
                            self.stats.first_prompt.record(self.answered_at.elapsed());
                        }
                        position = frame_end;
                    } else {
                        let silence = std::mem::take(&mut self.silence);
                        let sent = self.send(&silence, slot).await;
                        self.silence = silence;
                        sent?;
                    }
                    if position >= audio.len() {
                        if let Some(wait) = then_wait {
                            let until = *wait_until.get_or_insert(slot + wait);
                            if slot >= until {
                                return Ok(None);
                            }
                        }
                    }
                }
                received = self.socket.recv_from(&mut self.buf) => {
                    match received {
                        Ok((len, from)) => {
                            if let Some(key) = self.on_datagram(len, from) {
                                return Ok(Some(key));
                            }
                        }
                        // ICMP port unreachable and the like: the caller's side is gone
                        // or not there yet; inactivity will end the call if it stays so.
                        Err(e) => tracing::debug!(call = %self.call_id, "RTP receive: {e}"),
                    }
                }
            }
        }
    }

    async fn send(&mut self, payload: &[u8], slot: Instant) -> Result<(), Stop> {
        self.sender.next_into(payload, &mut self.out);
        let late = Instant::now().saturating_duration_since(slot);
        self.stats.lateness.record(late);
        self.stats.packets_sent.fetch_add(1, Ordering::Relaxed);
        match self.socket.send_to(&self.out, self.remote).await {
            Ok(_) => Ok(()),
            // A refused datagram (the peer's port closed for a moment) is not fatal.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => Ok(()),
            Err(e) => Err(Stop::Failed(format!("sending RTP to {}: {e}", self.remote))),
        }
    }

    fn check_limits(&self, now: Instant) -> Result<(), Stop> {
        if now >= self.deadline {
            return Err(Stop::Limit);
        }
        if now.saturating_duration_since(self.last_heard) >= self.inactivity {
            return Err(Stop::Inactive);
        }
        Ok(())
    }

    async fn on_dialog_state(&mut self, state: Option<DialogState>) -> Result<(), Stop> {
        match state {
            None | Some(DialogState::Terminated(..)) => Err(Stop::HungUp),
            // In-dialog OPTIONS (keep-alive) and INFO: acknowledged, nothing to do.
            Some(DialogState::Options(_, _, handle)) | Some(DialogState::Info(_, _, handle)) => {
                let _ = handle.reply(rsipstack::sip::StatusCode::OK).await;
                self.last_heard = Instant::now();
                Ok(())
            }
            Some(DialogState::Updated(_, _, handle)) => {
                // A re-INVITE or UPDATE changing the media is not supported mid-call.
                tracing::warn!(call = %self.call_id, "refusing a mid-call session change with 488");
                let _ = handle
                    .reply(rsipstack::sip::StatusCode::NotAcceptableHere)
                    .await;
                Ok(())
            }
            Some(_) => Ok(()),
        }
    }

    /// One datagram from the media port: a key, or nothing.
    fn on_datagram(&mut self, len: usize, from: SocketAddr) -> Option<Key> {
        if from != self.remote {
            // Symmetric RTP: a caller behind NAT sends from another port of the same
            // address; follow it once. Anything else is someone else's traffic.
            if from.ip() == self.remote.ip() && !self.latched {
                tracing::info!(call = %self.call_id, "RTP comes from {from}, not {}: answering there", self.remote);
                self.remote = from;
                self.latched = true;
            } else {
                if !self.strangers_logged {
                    self.strangers_logged = true;
                    tracing::warn!(call = %self.call_id, "ignoring RTP from unexpected source {from} (expected {})", self.remote);
                }
                self.stats.bad_packets.fetch_add(1, Ordering::Relaxed);
                return None;
            }
        }
        self.latched = true;
        let packet = match Packet::parse(&self.buf[..len]) {
            Ok(packet) => packet,
            Err(e) => {
                tracing::debug!(call = %self.call_id, "ignoring a bad RTP packet from {from}: {e}");
                self.stats.bad_packets.fetch_add(1, Ordering::Relaxed);
                return None;
            }
        };
        self.last_heard = Instant::now();
        let now = self.started.elapsed();
        if Some(packet.payload_type) == self.event_pt {
            match self
                .decoder
                .push(packet.ssrc, packet.timestamp, packet.payload)
            {
                Ok(Some(key)) => {
                    let key = self.joiner.push(key, Source::Event, now);
                    if key.is_some() {
                        self.stats.keys_event.fetch_add(1, Ordering::Relaxed);
                    }
                    return key;
                }
                Ok(None) => return None,
                Err(e) => {
                    tracing::debug!(call = %self.call_id, "ignoring a telephone-event: {e}");
                    return None;
                }
            }
        }
        if packet.payload_type != self.audio_pt {
            tracing::debug!(call = %self.call_id, pt = packet.payload_type, "ignoring RTP of a payload type not negotiated");
            return None;
        }
        let mut heard = None;
        for byte in packet.payload {
            if let Some(key) = self.detector.push(self.law.decode(*byte)) {
                if let Some(key) = self.joiner.push(key, Source::InBand, now) {
                    self.stats.keys_in_band.fetch_add(1, Ordering::Relaxed);
                    heard = heard.or(Some(key));
                }
            }
        }
        heard
    }
}

/// How a call went, for the log.
#[derive(Debug)]
pub struct Outcome {
    pub stop: Stop,
    pub visited: Vec<String>,
    pub keys: usize,
}

/// Runs the voice menu on the call's media until the call ends.
pub async fn run_menu(
    ivr: &mut Ivr<'_>,
    media: &mut Media,
    prompts: &Prompts,
    log: &mut CallLog,
    clock: impl Fn() -> chrono::NaiveDateTime,
) -> Outcome {
    let mut keys = 0;
    let stop = drive(ivr, media, prompts, log, &clock, &mut keys).await;
    Outcome {
        stop,
        visited: ivr.visited().to_vec(),
        keys,
    }
}

async fn drive(
    ivr: &mut Ivr<'_>,
    media: &mut Media,
    prompts: &Prompts,
    log: &mut CallLog,
    clock: &impl Fn() -> chrono::NaiveDateTime,
    keys: &mut usize,
) -> Stop {
    let mut effects = ivr.start();
    loop {
        let mut listen = false;
        let mut pending: Option<Key> = None;
        let mut queued = false;
        for effect in effects {
            match effect {
                // The caller has already answered: the rest of this turn's words are skipped.
                Effect::Say(..) if pending.is_some() => {}
                Effect::Say(lang, words) => {
                    let rendered = match prompts.render(lang, &words).await {
                        Ok(rendered) => rendered,
                        Err(e) => return Stop::Failed(e.to_string()),
                    };
                    log.said(lang, &rendered.text);
                    match media
                        .play(&rendered.audio(media.law), Some(Duration::ZERO))
                        .await
                    {
                        Ok(key) => pending = key,
                        Err(stop) => return stop,
                    }
                }
                Effect::Listen => listen = true,
                Effect::Queue => queued = true,
                Effect::HangUp => return Stop::MenuHungUp,
            }
        }
        if queued {
            // The caller waits for an agent: the line stays open until they hang up or a
            // limit ends the call.
            tracing::info!(call = %log.call_id, "queued for an agent");
            loop {
                match media.play(&[], None).await {
                    Ok(_) => continue,
                    Err(stop) => return stop,
                }
            }
        }
        if !listen {
            return Stop::MenuHungUp;
        }
        let key = match pending {
            Some(key) => Some(key),
            None => match media.play(&[], Some(NO_INPUT_TIMEOUT)).await {
                Ok(key) => key,
                Err(stop) => return stop,
            },
        };
        let input = match key {
            Some(key) => {
                *keys += 1;
                Input::Key(key)
            }
            None => Input::Silence,
        };
        effects = ivr.handle(input, clock());
    }
}
