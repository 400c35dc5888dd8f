//! The support line on SIP: a user agent server (rsipstack on tokio) that answers INVITEs
//! with an SDP answer, rings, answers, and runs one voice menu per call on its own RTP
//! port; OPTIONS keep-alives are answered, CANCEL and BYE end calls, and anything unusable
//! gets a SIP error and a log line. The protocol pieces are the pure modules of
//! [`crate::telephony`]; this is the shell that does the I/O.

pub mod board;
pub mod call;
pub mod config;
pub mod control;
pub mod prompts;
pub mod pump;
pub mod stats;

use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDateTime;
use rsipstack::dialog::dialog::{Dialog, DialogState};
use rsipstack::dialog::dialog_layer::DialogLayer;
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::sip::prelude::HeadersExt;
use rsipstack::sip::{Header, Method, StatusCode};
use rsipstack::transaction::transaction::Transaction;
use rsipstack::transport::{udp::UdpConnection, TransportLayer};
use rsipstack::EndpointBuilder;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::flow::FlowSet;
use crate::ivr::Ivr;
use crate::queue::PhoneNumber;
use crate::rules::hours::copenhagen_now;
use crate::telephony::sdp::Offer;

use call::{CallLog, Media, Stop};
use prompts::Prompts;
use pump::Pump;
use stats::Stats;

/// Every call's limits.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Calls at once; more get 486 Busy Here.
    pub max_calls: u64,
    /// The longest a call may last.
    pub call_limit: Duration,
    /// How long the caller may send nothing (no RTP, no key) before the call ends.
    pub inactivity: Duration,
    /// How long to ring (180) before answering (200).
    pub ring: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_calls: 1000,
            call_limit: Duration::from_secs(30 * 60),
            inactivity: Duration::from_secs(60),
            ring: Duration::from_millis(300),
        }
    }
}

/// How the line runs.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    /// RTP ports, one per call; `0..=0` lets the system choose.
    pub rtp_ports: RangeInclusive<u16>,
    /// The address callers are told to send media and requests to (SDP c=, Contact).
    pub advertise: IpAddr,
    pub limits: Limits,
    /// Write each call's transcript (`[da] words…`) to DIR/call-ID.txt.
    pub transcripts: Option<PathBuf>,
    /// Write counters and histograms as JSON here every second.
    pub stats_file: Option<PathBuf>,
    /// Pretend it is this Copenhagen local time (tests).
    pub fixed_time: Option<NaiveDateTime>,
    /// The validation service for self-service unlock (base URL, admin token).
    pub service: Option<(String, String)>,
    /// Serve the control API for the agents' console here.
    pub control: Option<SocketAddr>,
    /// The control API wants `Authorization: Bearer` this.
    pub control_token: Option<String>,
    /// The menu's languages, the first spoken first.
    pub languages: Vec<speech::Lang>,
    /// When the line takes callers to agents.
    pub hours: crate::rules::hours::OpeningHours,
    pub queue: QueueSettings,
}

/// How the agent queue talks to waiting callers.
#[derive(Debug, Clone)]
pub struct QueueSettings {
    /// The first guess of the wait each caller ahead adds (learnt from waits seen).
    pub wait_per_caller: Duration,
    /// How often a waiting caller hears the place again.
    pub announce_every: Duration,
}

impl Default for QueueSettings {
    fn default() -> Self {
        QueueSettings {
            wait_per_caller: Duration::from_secs(120),
            announce_every: Duration::from_secs(60),
        }
    }
}

struct Line {
    settings: Settings,
    flows: &'static FlowSet,
    prompts: Prompts,
    stats: Arc<Stats>,
    pump: Pump,
    directory: Option<Arc<crate::device::HttpDirectory>>,
    dialogs: Arc<DialogLayer>,
    contact: rsipstack::sip::Uri,
    next_port: AtomicU16,
    calls: AtomicU64,
    board: Arc<board::LineBoard>,
}

/// Binds the SIP port, prints `listening on ADDR` (with the real port when 0 was asked),
/// and answers calls until `shutdown` is cancelled.
pub async fn serve(
    settings: Settings,
    flows: &'static FlowSet,
    prompts: Prompts,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let token = shutdown.child_token();
    let transport = TransportLayer::new(token.clone());
    let connection =
        UdpConnection::create_connection(settings.listen, None, Some(token.child_token()))
            .await
            .with_context(|| format!("binding SIP on {}", settings.listen))?;
    transport.add_transport(connection.into());
    let endpoint = EndpointBuilder::new()
        .with_cancel_token(token.clone())
        .with_transport_layer(transport)
        .with_user_agent("kodeoplaeser-support")
        .build();
    let bound = endpoint
        .get_addrs()
        .first()
        .cloned()
        .context("the SIP transport has no address")?;
    let port = bound
        .addr
        .port
        .map(u16::from)
        .unwrap_or(settings.listen.port());
    let contact = rsipstack::sip::Uri::try_from(
        format!("sip:support@{}:{port}", uri_host(settings.advertise)).as_str(),
    )
    .map_err(|e| anyhow::anyhow!("building the Contact URI: {e}"))?;
    println!(
        "listening on {}",
        SocketAddr::new(settings.listen.ip(), port)
    );
    tracing::info!(
        "SIP on {}:{port} (udp), media advertised at {}",
        settings.listen.ip(),
        settings.advertise
    );

    let incoming = endpoint.incoming_transactions()?;
    let dialogs = Arc::new(DialogLayer::new(endpoint.inner.clone()));
    let stats = Arc::new(Stats::default());
    let pump = Pump::start(stats.clone()).context("starting the RTP thread")?;
    let directory = settings
        .service
        .as_ref()
        .map(|(url, token)| Arc::new(crate::device::HttpDirectory::new(url, token.clone())));
    let board = Arc::new(board::LineBoard::new(
        settings.queue.wait_per_caller,
        settings.queue.announce_every,
    ));
    if let Some(listen) = settings.control {
        let fixed = settings.fixed_time;
        let clock: Arc<dyn Fn() -> NaiveDateTime + Send + Sync> =
            Arc::new(move || fixed.unwrap_or_else(copenhagen_now));
        let board = board.clone();
        let token = token.clone();
        let control_token = settings.control_token.clone();
        let hours = settings.hours;
        tokio::spawn(async move {
            if let Err(e) = control::serve(listen, board, control_token, hours, clock, token).await
            {
                tracing::error!("the control API stopped: {e:#}");
            }
        });
    }
    let line = Arc::new(Line {
        board,
        pump,
        directory,
        next_port: AtomicU16::new(*settings.rtp_ports.start()),
        settings,
        flows,
        prompts,
        stats: stats.clone(),
        dialogs,
        contact,
        calls: AtomicU64::new(0),
    });
    if let Some(path) = line.settings.stats_file.clone() {
        let stats = stats.clone();
        let token = token.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = token.cancelled() => break,
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
                write_stats(&path, &stats);
            }
            write_stats(&path, &stats);
        });
    }
    tokio::select! {
        _ = endpoint.serve() => {}
        _ = accept_requests(line.clone(), incoming) => {}
        _ = token.cancelled() => {}
    }
    if let Some(path) = &line.settings.stats_file {
        write_stats(path, &stats);
    }
    Ok(())
}

fn uri_host(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

fn write_stats(path: &std::path::Path, stats: &Stats) {
    let text = stats.to_json().to_string();
    let temporary = path.with_extension("tmp");
    if let Err(e) =
        std::fs::write(&temporary, text).and_then(|()| std::fs::rename(&temporary, path))
    {
        tracing::warn!("cannot write stats to {}: {e}", path.display());
    }
}

async fn accept_requests(
    line: Arc<Line>,
    mut incoming: rsipstack::transaction::TransactionReceiver,
) {
    while let Some(mut tx) = incoming.recv().await {
        let method = tx.original.method;
        let in_dialog = tx
            .original
            .to_header()
            .ok()
            .and_then(|to| to.tag().ok().flatten())
            .is_some();
        match method {
            Method::Invite if !in_dialog => {
                let line = line.clone();
                tokio::spawn(async move { new_call(line, tx).await });
            }
            Method::Options if !in_dialog => {
                // Keep-alive / capability probe.
                let _ = tx.reply(StatusCode::OK).await;
            }
            _ => match line.dialogs.match_dialog(&tx) {
                Some(Dialog::Invite(mut dialog)) => {
                    tokio::spawn(async move {
                        if let Err(e) = dialog.handle(&mut tx).await {
                            tracing::debug!("in-dialog {method}: {e}");
                        }
                    });
                }
                _ if method == Method::Ack => {}
                _ => {
                    tracing::info!("{method} for no call we know: 481");
                    let _ = tx.reply(StatusCode::CallTransactionDoesNotExist).await;
                }
            },
        }
    }
}

/// Finds a free RTP port in the range (or lets the system pick one).
fn bind_rtp(line: &Line) -> std::io::Result<std::net::UdpSocket> {
    let ip = line.settings.listen.ip();
    let range = line.settings.rtp_ports.clone();
    if *range.start() == 0 {
        return std::net::UdpSocket::bind(SocketAddr::new(ip, 0));
    }
    let size = u32::from(range.end() - range.start()) + 1;
    // Even ports only: RTCP conventionally takes the odd one above.
    for _ in 0..size {
        let offset = line
            .next_port
            .fetch_add(2, Ordering::Relaxed)
            .wrapping_sub(*range.start());
        let port = range.start() + (offset % size as u16) / 2 * 2;
        if let Ok(socket) = std::net::UdpSocket::bind(SocketAddr::new(ip, port)) {
            return Ok(socket);
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::AddrInUse,
        format!("no free RTP port in {range:?}"),
    ))
}

async fn new_call(line: Arc<Line>, mut tx: Transaction) {
    let call_id = tx
        .original
        .call_id_header()
        .map(|c| c.value().to_string())
        .unwrap_or_else(|_| "?".into());
    let body = String::from_utf8_lossy(&tx.original.body).into_owned();
    let offer = match Offer::parse(&body) {
        Ok(offer) => offer,
        Err(e) if body.trim().is_empty() => {
            // An INVITE without an offer would need our offer in the 200 and the answer
            // in the ACK; the line does not do that.
            tracing::warn!(call = %call_id, "INVITE without SDP offer ({e}): 488");
            let _ = tx.reply(StatusCode::NotAcceptableHere).await;
            return;
        }
        Err(e) => {
            tracing::warn!(call = %call_id, "INVITE with a bad SDP offer: {e}: 400");
            let _ = tx.reply(StatusCode::BadRequest).await;
            return;
        }
    };
    let negotiated = match offer.negotiate() {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(call = %call_id, "refusing the call with 488: {e}");
            let _ = tx
                .reply_with(
                    StatusCode::NotAcceptableHere,
                    vec![Header::Other(
                        "Warning".into(),
                        format!("304 kodeoplaeser \"{e}\""),
                    )],
                    None,
                )
                .await;
            return;
        }
    };
    // The caller's number, for the agents and a call-back: the From URI's user part.
    let caller = tx
        .original
        .from_header()
        .ok()
        .and_then(|from| from.uri().ok())
        .and_then(|uri| uri.user().map(str::to_owned))
        .and_then(|user| PhoneNumber::parse(&user));
    let stats = line.stats.clone();
    if stats.calls_active.load(Ordering::Relaxed) >= line.settings.limits.max_calls {
        stats.calls_refused.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(call = %call_id, "{} calls already: 486 Busy Here", line.settings.limits.max_calls);
        let _ = tx.reply(StatusCode::BusyHere).await;
        return;
    }
    let socket = match bind_rtp(&line) {
        Ok(socket) => socket,
        Err(e) => {
            tracing::error!(call = %call_id, "no RTP port: {e}: 503");
            let _ = tx.reply(StatusCode::ServiceUnavailable).await;
            return;
        }
    };
    let rtp_port = socket.local_addr().map(|a| a.port()).unwrap_or(0);
    let (state_sender, mut states) = line.dialogs.new_dialog_state_channel();
    let dialog = match line
        .dialogs
        .get_or_create_server_invite(&tx, state_sender, None, Some(line.contact.clone()))
        .map_err(|e| e.to_string())
    {
        Ok(dialog) => dialog,
        Err(e) => {
            tracing::warn!(call = %call_id, "cannot make a dialog: {e}: 400");
            let _ = tx.reply(StatusCode::BadRequest).await;
            return;
        }
    };
    let id = dialog.id();
    let number = line.calls.fetch_add(1, Ordering::Relaxed);
    stats.calls_active.fetch_add(1, Ordering::Relaxed);
    stats.calls_total.fetch_add(1, Ordering::Relaxed);
    // The INVITE transaction: 100 Trying, then it waits for the ACK or a CANCEL.
    let mut handler = dialog.clone();
    tokio::spawn(async move {
        if let Err(e) = handler.handle(&mut tx).await {
            tracing::debug!("INVITE transaction: {e}");
        }
    });
    let stop = answer_and_run(
        &line,
        &dialog,
        &mut states,
        &offer,
        &negotiated,
        socket,
        rtp_port,
        &call_id,
        number,
        caller,
    )
    .await;
    match &stop {
        Stop::HungUp => {}
        Stop::Failed(e) => {
            tracing::error!(call = %call_id, "call failed: {e}");
            let _ = dialog.bye().await;
        }
        _ => {
            let _ = dialog.bye().await;
        }
    }
    line.dialogs.remove_dialog(&id);
    stats.calls_active.fetch_sub(1, Ordering::Relaxed);
}

#[allow(clippy::too_many_arguments)]
async fn answer_and_run(
    line: &Line,
    dialog: &InviteDialog,
    states: &mut rsipstack::dialog::dialog::DialogStateReceiver,
    offer: &Offer,
    negotiated: &crate::telephony::sdp::Negotiated,
    socket: std::net::UdpSocket,
    rtp_port: u16,
    call_id: &str,
    number: u64,
    caller: Option<PhoneNumber>,
) -> Stop {
    if dialog.ringing(None, None).is_err() {
        return Stop::HungUp;
    }
    // Ring, unless the caller gives up (CANCEL) first.
    let ring_end = Instant::now() + line.settings.limits.ring;
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(ring_end) => break,
            state = states.recv() => match state {
                None | Some(DialogState::Terminated(..)) => {
                    tracing::info!(call = %call_id, "caller gave up before the answer");
                    return Stop::HungUp;
                }
                Some(_) => {}
            }
        }
    }
    let seed = rand_seed(number);
    let answer = offer.answer(negotiated, line.settings.advertise, rtp_port, seed >> 1);
    let headers = vec![Header::ContentType("application/sdp".into())];
    if let Err(e) = dialog.accept(Some(headers), Some(answer.into_bytes())) {
        return Stop::Failed(format!("sending 200 OK: {e}"));
    }
    let answered_at = Instant::now();
    let answered_clock = std::time::Instant::now();
    // Wait for the ACK (the transaction retransmits the 200 meanwhile).
    let ack_deadline = answered_at + Duration::from_secs(32);
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(ack_deadline) => return Stop::Failed("no ACK for the 200 OK".into()),
            state = states.recv() => match state {
                Some(DialogState::Confirmed(..)) => break,
                None | Some(DialogState::Terminated(..)) => return Stop::HungUp,
                Some(_) => {}
            }
        }
    }
    tracing::info!(call = %call_id, law = negotiated.law.name(), events = negotiated.event_payload_type.is_some(), "answered");
    let transcript = line.settings.transcripts.as_ref().and_then(|dir| {
        let name: String = call_id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let path = dir.join(format!("call-{name}.txt"));
        std::fs::File::create(&path)
            .map_err(|e| tracing::warn!("cannot create {}: {e}", path.display()))
            .ok()
    });
    let mut log = CallLog {
        call_id: call_id.to_owned(),
        transcript,
    };
    let states = std::mem::replace(states, line.dialogs.new_dialog_state_channel().1);
    let mut media = match Media::new(
        socket,
        &line.pump,
        negotiated,
        states,
        &line.settings.limits,
        line.stats.clone(),
        answered_clock,
        seed,
        call_id.to_owned(),
    ) {
        Ok(media) => media,
        Err(e) => return Stop::Failed(format!("setting up RTP: {e}")),
    };
    let mut ivr = Ivr::new(line.flows)
        .with_languages(&line.settings.languages)
        .with_hours(line.settings.hours)
        .with_caller(caller);
    let board_id = line
        .board
        .with(|board, now| board.arrive(ivr.context(), now));
    let fixed = line.settings.fixed_time;
    let outcome = call::run_menu(
        &mut ivr,
        &mut media,
        &line.prompts,
        &mut log,
        line.directory.as_ref(),
        || fixed.unwrap_or_else(copenhagen_now),
        &call::OnBoard {
            board: &line.board,
            id: board_id,
        },
    )
    .await;
    tracing::info!(
        call = %call_id,
        stop = ?outcome.stop,
        keys = outcome.keys,
        path = %outcome.visited.join(" > "),
        "call ended"
    );
    outcome.stop
}

/// A per-call seed for SSRC, first sequence number and timestamp: not secret, only
/// different per call and per run.
fn rand_seed(number: u64) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(number);
    hasher.finish()
}
