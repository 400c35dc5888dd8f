//! The one clock that sends every call's RTP: a thread of its own wakes every millisecond
//! and sends the packets of the calls whose 20 ms slot falls in that millisecond. Calls are
//! spread over the 20 phases, so no wake-up has more than a twentieth of the calls to
//! send, and the thread sleeps with the operating system's high-resolution timer rather
//! than tokio's 1 ms timer wheel. Call tasks only hand it prompts and read back when a
//! prompt has been sent to its end.

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::telephony::g711::Law;
use crate::telephony::rtp::{self, SAMPLES_PER_PACKET};

use super::stats::Stats;

const PHASES: usize = 20;
const FRAME: usize = SAMPLES_PER_PACKET as usize;

/// What a stream sends next.
struct Playing {
    sender: rtp::Sender,
    remote: SocketAddr,
    prompt: Option<Arc<[u8]>>,
    position: usize,
    /// Counts prompts handed over; `finished` catches up when one has been sent.
    generation: u64,
    out: Vec<u8>,
}

/// One call's outgoing media.
pub struct Stream {
    socket: UdpSocket,
    law: Law,
    playing: Mutex<Playing>,
    finished: AtomicU64,
    wake: tokio::sync::Notify,
    closed: AtomicBool,
    answered_at: Instant,
    first_prompt_sent: AtomicBool,
}

impl Stream {
    /// Starts saying `audio` (replacing what was being said); its generation number.
    pub fn say(&self, audio: Arc<[u8]>) -> u64 {
        let mut playing = self.lock();
        playing.generation += 1;
        playing.prompt = if audio.is_empty() { None } else { Some(audio) };
        playing.position = 0;
        if playing.prompt.is_none() {
            self.finished.store(playing.generation, Ordering::Release);
        }
        playing.generation
    }

    /// Stops what is being said at once (barge-in).
    pub fn hush(&self) {
        let mut playing = self.lock();
        playing.prompt = None;
        self.finished.store(playing.generation, Ordering::Release);
    }

    /// Waits until prompt `generation` has been sent to its end (or hushed).
    pub async fn said(&self, generation: u64) {
        loop {
            let notified = self.wake.notified();
            if self.finished.load(Ordering::Acquire) >= generation {
                return;
            }
            notified.await;
        }
    }

    /// Sends from now on to another address (symmetric RTP).
    pub fn redirect(&self, remote: SocketAddr) {
        self.lock().remote = remote;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Playing> {
        self.playing
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Sends this slot's packet (called by the pump).
    fn tick(&self, slot: Instant, stats: &Stats, silence: &[u8; FRAME]) {
        let mut guard = self.lock();
        let playing = &mut *guard;
        let mut frame = [0u8; FRAME];
        let mut prompt_frame = false;
        match &playing.prompt {
            Some(prompt) => {
                let end = (playing.position + FRAME).min(prompt.len());
                let chunk = &prompt[playing.position..end];
                frame[..chunk.len()].copy_from_slice(chunk);
                frame[chunk.len()..].fill(self.law.silence());
                playing.position = end;
                prompt_frame = true;
                if end >= prompt.len() {
                    playing.prompt = None;
                    self.finished.store(playing.generation, Ordering::Release);
                    self.wake.notify_one();
                }
            }
            None => frame.copy_from_slice(silence),
        }
        playing.sender.next_into(&frame, &mut playing.out);
        let late = Instant::now().saturating_duration_since(slot);
        stats.lateness.record(late);
        stats.packets_sent.fetch_add(1, Ordering::Relaxed);
        if let Err(e) = self.socket.send_to(&playing.out, playing.remote) {
            if e.kind() != std::io::ErrorKind::ConnectionRefused {
                stats.send_errors.fetch_add(1, Ordering::Relaxed);
            }
        }
        if prompt_frame && !self.first_prompt_sent.swap(true, Ordering::Relaxed) {
            stats.first_prompt.record(self.answered_at.elapsed());
        }
    }
}

struct Phases {
    streams: [Mutex<Vec<Arc<Stream>>>; PHASES],
}

/// The sending thread and the calls it serves.
#[derive(Clone)]
pub struct Pump {
    phases: Arc<Phases>,
    stats: Arc<Stats>,
}

impl Pump {
    /// Starts the thread; it runs for the life of the process.
    pub fn start(stats: Arc<Stats>) -> std::io::Result<Pump> {
        let phases = Arc::new(Phases {
            streams: std::array::from_fn(|_| Mutex::new(Vec::new())),
        });
        let pump = Pump { phases, stats };
        let running = pump.clone();
        std::thread::Builder::new()
            .name("rtp-pump".into())
            .spawn(move || running.run())?;
        Ok(pump)
    }

    /// Adds a call's stream, in the phase with fewest calls.
    pub fn add(
        &self,
        socket: UdpSocket,
        law: Law,
        sender: rtp::Sender,
        remote: SocketAddr,
        answered_at: Instant,
    ) -> Arc<Stream> {
        let stream = Arc::new(Stream {
            socket,
            law,
            playing: Mutex::new(Playing {
                sender,
                remote,
                prompt: None,
                position: 0,
                generation: 0,
                out: Vec::with_capacity(200),
            }),
            finished: AtomicU64::new(0),
            wake: tokio::sync::Notify::new(),
            closed: AtomicBool::new(false),
            answered_at,
            first_prompt_sent: AtomicBool::new(false),
        });
        let quietest = (0..PHASES).min_by_key(|p| self.lock(*p).len()).unwrap_or(0);
        self.lock(quietest).push(stream.clone());
        stream
    }

    /// Stops sending a stream.
    pub fn remove(&self, stream: &Arc<Stream>) {
        stream.closed.store(true, Ordering::Relaxed);
        for phase in 0..PHASES {
            self.lock(phase).retain(|s| !Arc::ptr_eq(s, stream));
        }
    }

    fn lock(&self, phase: usize) -> std::sync::MutexGuard<'_, Vec<Arc<Stream>>> {
        self.phases.streams[phase]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn run(&self) {
        match raise_priority() {
            Ok(()) => tracing::info!("RTP thread runs at real-time priority {REALTIME_PRIORITY} (SCHED_FIFO)"),
            Err(e) => tracing::warn!(
                "RTP thread at normal priority ({e}); packets may leave late when the machine is busy (give the service LimitRTPRIO={REALTIME_PRIORITY} or CAP_SYS_NICE)"
            ),
        }
        let start = Instant::now();
        let mut tick: u64 = 0;
        let mut batch: Vec<Arc<Stream>> = Vec::new();
        let mut silences: Vec<(Law, [u8; FRAME])> = Vec::new();
        for law in [Law::Mu, Law::A] {
            silences.push((law, [law.silence(); FRAME]));
        }
        loop {
            let slot = start + Duration::from_millis(tick);
            let now = Instant::now();
            if slot > now {
                std::thread::sleep(slot - now);
            }
            self.stats
                .wake
                .record(Instant::now().saturating_duration_since(slot));
            batch.clear();
            batch.extend(self.lock((tick % PHASES as u64) as usize).iter().cloned());
            for stream in &batch {
                if stream.closed.load(Ordering::Relaxed) {
                    continue;
                }
                let silence = &silences
                    .iter()
                    .find(|(law, _)| *law == stream.law)
                    .map(|(_, s)| *s)
                    .unwrap_or([0; FRAME]);
                stream.tick(slot, &self.stats, silence);
            }
            tick += 1;
        }
    }
}

/// The SCHED_FIFO priority of the sending thread: above every normal thread, far below
/// the kernel's own (1–99).
pub const REALTIME_PRIORITY: i32 = 10;

/// Puts the calling thread in the real-time FIFO class, so packets leave on time on a busy
/// machine. Allowed for root, with CAP_SYS_NICE, or up to RLIMIT_RTPRIO.
fn raise_priority() -> std::io::Result<()> {
    let param = libc::sched_param {
        sched_priority: REALTIME_PRIORITY,
    };
    // SAFETY: pthread_self() is always a valid handle for the calling thread, and `param`
    // is a valid sched_param that outlives the call.
    let result =
        unsafe { libc::pthread_setschedparam(libc::pthread_self(), libc::SCHED_FIFO, &param) };
    if result == 0 {
        Ok(())
    } else {
        Err(std::io::Error::from_raw_os_error(result))
    }
}
