//! One answered call: the voice menu's effects carried out on an RTP stream. Prompts go
//! out as 20 ms G.711 packets on a fixed slot grid (sent by the [`Pump`]); keys come in as RFC 4733 events or
//! in-band tones, joined so a press counts once; a key cuts the prompt (barge-in). Every
//! call ends: the caller hangs up, the menu says goodbye, or a limit is reached.

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use rsipstack::dialog::dialog::{DialogState, DialogStateReceiver};
use tokio::net::UdpSocket;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::device::HttpDirectory;
use crate::dtmf::Detector;
use crate::ivr::{Effect, Ending, Input, Ivr, Key, UnlockResult, NO_INPUT_TIMEOUT};
use crate::telephony::events::{EventDecoder, KeyJoiner, Source};
use crate::telephony::g711::Law;
use crate::telephony::rtp::{self, Packet};
use crate::telephony::sdp::Negotiated;

use super::board::LineBoard;
use super::prompts::Prompts;
use super::pump::{Pump, Stream};
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
    /// The agent who had the call is done with it.
    AgentDone,
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

/// The RTP side of a call: packets out through the [`Pump`]'s stream, packets in here.
pub struct Media {
    socket: UdpSocket,
    stream: Arc<Stream>,
    pump: Pump,
    remote: SocketAddr,
    latched: bool,
    law: Law,
    audio_pt: u8,
    event_pt: Option<u8>,
    buf: Vec<u8>,
    decoder: EventDecoder,
    detector: Detector,
    joiner: KeyJoiner,
    started: Instant,
    last_heard: Instant,
    deadline: Instant,
    inactivity: Duration,
    states: DialogStateReceiver,
    stats: Arc<Stats>,
    strangers_logged: bool,
    call_id: String,
}

impl Drop for Media {
    fn drop(&mut self) {
        self.pump.remove(&self.stream);
    }
}

impl Media {
    /// Media on `socket` (bound, non-blocking), sending through `pump`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        socket: std::net::UdpSocket,
        pump: &Pump,
        negotiated: &Negotiated,
        states: DialogStateReceiver,
        limits: &Limits,
        stats: Arc<Stats>,
        answered_at: std::time::Instant,
        seed: u64,
        call_id: String,
    ) -> std::io::Result<Media> {
        let now = Instant::now();
        let remote = SocketAddr::new(negotiated.remote.0, negotiated.remote.1);
        let sender = rtp::Sender::new(
            negotiated.payload_type,
            (seed >> 32) as u32 ^ seed as u32,
            (seed >> 16) as u16,
            seed as u32,
        );
        let sending = socket.try_clone()?;
        socket.set_nonblocking(true)?;
        let stream = pump.add(sending, negotiated.law, sender, remote, answered_at);
        Ok(Media {
            socket: UdpSocket::from_std(socket)?,
            stream,
            pump: pump.clone(),
            remote,
            latched: false,
            law: negotiated.law,
            audio_pt: negotiated.payload_type,
            event_pt: negotiated.event_payload_type,
            buf: vec![0; 2048],
            decoder: EventDecoder::new(),
            detector: Detector::new(8000),
            joiner: KeyJoiner::new(),
            started: now,
            last_heard: now,
            deadline: now + limits.call_limit,
            inactivity: limits.inactivity,
            states,
            stats,
            strangers_logged: false,
            call_id,
        })
    }

    /// Says `audio` (may be empty) in real time, then waits `then_wait` (`None`: until
    /// the call ends). Returns the first key heard, which cuts the audio short.
    pub async fn play(
        &mut self,
        audio: Arc<[u8]>,
        then_wait: Option<Duration>,
    ) -> Result<Option<Key>, Stop> {
        self.play_or_wake(audio, then_wait, None).await
    }

    /// As [`Media::play`], and also returns (with no key) as soon as `wake` ticks: a
    /// holding call wakes the moment the line's board changes instead of looking at it
    /// on a timer.
    pub async fn play_or_wake(
        &mut self,
        audio: Arc<[u8]>,
        then_wait: Option<Duration>,
        mut wake: Option<&mut watch::Receiver<u64>>,
    ) -> Result<Option<Key>, Stop> {
        let generation = self.stream.say(audio);
        let stream = self.stream.clone();
        let mut said = false;
        let mut wait_until: Option<Instant> = None;
        loop {
            let limit = self.deadline.min(self.last_heard + self.inactivity);
            let woken = async {
                match wake.as_mut() {
                    Some(wake) => wake.changed().await.is_ok(),
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                biased;
                state = self.states.recv() => self.on_dialog_state(state).await?,
                // Cancel-safe: a change not yet seen stays marked until the next call.
                alive = woken => {
                    if alive {
                        return Ok(None);
                    }
                    // The board is gone (the line is stopping): wait as `play` does.
                    wake = None;
                }
                _ = stream.said(generation), if !said => {
                    said = true;
                    match then_wait {
                        Some(Duration::ZERO) => return Ok(None),
                        Some(wait) => wait_until = Some(Instant::now() + wait),
                        None => {}
                    }
                }
                _ = tokio::time::sleep_until(wait_until.unwrap_or(limit)), if wait_until.is_some() => return Ok(None),
                received = self.socket.recv_from(&mut self.buf) => {
                    match received {
                        Ok((len, from)) => {
                            if let Some(key) = self.on_datagram(len, from) {
                                self.stream.hush();
                                return Ok(Some(key));
                            }
                        }
                        // ICMP port unreachable and the like: the caller's side is gone
                        // or not there yet; inactivity will end the call if it stays so.
                        Err(e) => tracing::debug!(call = %self.call_id, "RTP receive: {e}"),
                    }
                }
                _ = tokio::time::sleep_until(limit) => self.check_limits(Instant::now())?,
            }
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
                self.stream.redirect(from);
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
        self.stats.packets_received.fetch_add(1, Ordering::Relaxed);
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

/// The call's entry on the line's board (the queue and the agents' view).
pub struct OnBoard<'a> {
    pub board: &'a LineBoard,
    pub id: u64,
}

/// Runs the voice menu on the call's media until the call ends.
pub async fn run_menu(
    ivr: &mut Ivr<'_>,
    media: &mut Media,
    prompts: &Prompts,
    log: &mut CallLog,
    unlocker: Option<&Arc<HttpDirectory>>,
    clock: impl Fn() -> chrono::NaiveDateTime,
    on_board: &OnBoard<'_>,
) -> Outcome {
    let mut keys = 0;
    let stop = drive(
        ivr, media, prompts, log, unlocker, &clock, &mut keys, on_board,
    )
    .await;
    on_board.board.with(|board, _| board.hung_up(on_board.id));
    Outcome {
        stop,
        visited: ivr.visited().to_vec(),
        keys,
    }
}

#[allow(clippy::too_many_arguments)]
async fn drive(
    ivr: &mut Ivr<'_>,
    media: &mut Media,
    prompts: &Prompts,
    log: &mut CallLog,
    unlocker: Option<&Arc<HttpDirectory>>,
    clock: &impl Fn() -> chrono::NaiveDateTime,
    keys: &mut usize,
    on_board: &OnBoard<'_>,
) -> Stop {
    let (board, id) = (on_board.board, on_board.id);
    let mut effects = ivr.start();
    let mut next_announcement = Instant::now();
    loop {
        let mut listen = false;
        let mut hold = false;
        let mut pending: Option<Key> = None;
        let mut queued = false;
        let mut answer = None;
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
                        .play(rendered.audio(media.law), Some(Duration::ZERO))
                        .await
                    {
                        Ok(key) => pending = key,
                        Err(stop) => return stop,
                    }
                }
                Effect::Listen => listen = true,
                Effect::Hold => hold = true,
                Effect::Queue => queued = true,
                Effect::Callback(number) => {
                    tracing::info!(call = %log.call_id, "call-back booked");
                    board.with(|board, _| board.book_callback(id, number));
                }
                Effect::HangUp => return Stop::MenuHungUp,
                Effect::Unlock(request) => {
                    answer = Some(match unlocker {
                        Some(directory) => {
                            let directory = directory.clone();
                            tokio::task::spawn_blocking(move || {
                                directory.unlock_with_codes(&request)
                            })
                            .await
                            .unwrap_or(UnlockResult::Unavailable)
                        }
                        None => UnlockResult::Unavailable,
                    });
                    tracing::info!(call = %log.call_id, "self-service unlock: {answer:?}");
                }
            }
        }
        let context = ivr.context();
        board.with(|board, _| board.update(id, context));
        if let Some(result) = answer {
            // Keys pressed while the service was asked do not count.
            effects = ivr.handle(Input::Unlocked(result), clock());
            continue;
        }
        if queued {
            tracing::info!(call = %log.call_id, "queued for an agent");
            let place = board.with(|board, now| board.enqueue(id, now));
            next_announcement = Instant::now() + board.announce_every;
            effects = match place {
                Some(place) => ivr.handle(Input::Queued(place), clock()),
                None => Vec::new(),
            };
            continue;
        }
        if ivr.ending() == Some(Ending::Queued) {
            // An agent has the call: the line stays open until the caller hangs up, the
            // agent is done, or a limit ends it.
            return with_agent(media, board, id).await;
        }
        if hold {
            let input = match hold_for(media, board, id, pending, &mut next_announcement).await {
                Ok(input) => input,
                Err(stop) => return stop,
            };
            if let Input::Key(_) = input {
                *keys += 1;
            }
            effects = ivr.handle(input, clock());
            continue;
        }
        if !listen {
            return Stop::MenuHungUp;
        }
        let key = match pending {
            Some(key) => Some(key),
            None => match media.play(Arc::from(&[][..]), Some(NO_INPUT_TIMEOUT)).await {
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

/// Holding in the queue: the first of a key, an agent taking the call, or the time to tell
/// the caller's place again.
async fn hold_for(
    media: &mut Media,
    board: &LineBoard,
    id: u64,
    pending: Option<Key>,
    next_announcement: &mut Instant,
) -> Result<Input, Stop> {
    if let Some(key) = pending {
        return Ok(Input::Key(key));
    }
    // Subscribed before the board is read, so no change between the two is missed.
    let mut changes = board.subscribe();
    loop {
        if board.with(|board, _| board.agent(id).is_some()) {
            return Ok(Input::AgentTook);
        }
        let now = Instant::now();
        if now >= *next_announcement {
            *next_announcement = now + board.announce_every;
            if let Some(place) = board.with(|board, _| board.place(id)) {
                return Ok(Input::Queued(place));
            }
        }
        let wait = next_announcement.saturating_duration_since(now);
        let silence = Arc::from(&[][..]);
        if let Some(key) = media
            .play_or_wake(silence, Some(wait), Some(&mut changes))
            .await?
        {
            return Ok(Input::Key(key));
        }
    }
}

/// With an agent: hold the call until the caller hangs up or the agent is done with it
/// (woken by the board's change; the limits end it otherwise).
async fn with_agent(media: &mut Media, board: &LineBoard, id: u64) -> Stop {
    let mut changes = board.subscribe();
    loop {
        if board.with(|board, now| board.view(id, now).is_none()) {
            return Stop::AgentDone;
        }
        let silence = Arc::from(&[][..]);
        if let Err(stop) = media.play_or_wake(silence, None, Some(&mut changes)).await {
            return stop;
        }
    }
}
