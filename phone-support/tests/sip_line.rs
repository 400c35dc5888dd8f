//! The support line over SIP against sipp on loopback: a walk through the setup flow with
//! RFC 4733 keys ends as the golden transcript says, keys as in-band tones are heard, and
//! CANCEL, BYE mid-prompt, no usable codec, keep-alives and garbage all end cleanly.
//! Needs `sipp` (package sip-tester), `sox` and espeak-ng, installed by scripts/install-deps.

mod line;

use std::process::Command;
use std::time::Duration;

use line::{sipp, stat, Server};

const OPEN: &str = "2026-11-25 12:00";

#[test]
fn rfc4733_keys_walk_the_setup_flow_to_the_golden_end() {
    let server = Server::start(&["--voice", "none", "--at", OPEN]);
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("keys.csv"), "SEQUENTIAL\n111111111;\n").unwrap();
    let keys = work.path().join("keys.csv");
    sipp(
        &server,
        "walk.xml",
        &["-inf", keys.to_str().unwrap()],
        work.path(),
    )
    .unwrap();
    let done = server.stop();
    assert_eq!(done.transcripts.len(), 1, "{}", done.log);
    let golden = include_str!("golden/setup-walk-da.txt");
    assert_eq!(
        done.transcripts[0], golden,
        "the call's words differ from the golden walk"
    );
    // Nine presses, each heard once, and the menu hung up itself.
    assert!(done.log.contains("stop=MenuHungUp keys=9"), "{}", done.log);
    assert_eq!(stat(&done.stats, "keys_event"), 9.0);
    assert_eq!(stat(&done.stats, "keys_in_band"), 0.0);
}

/// "9" switches to English and back again: a key counted twice would show as extra menus.
#[test]
fn rfc4733_keys_in_english_count_once_each() {
    let server = Server::start(&["--voice", "none", "--at", OPEN]);
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("keys.csv"), "SEQUENTIAL\n9111111111;\n").unwrap();
    let keys = work.path().join("keys.csv");
    sipp(
        &server,
        "walk.xml",
        &["-inf", keys.to_str().unwrap()],
        work.path(),
    )
    .unwrap();
    let done = server.stop();
    assert_eq!(done.transcripts.len(), 1, "{}", done.log);
    assert_eq!(
        done.transcripts[0],
        include_str!("golden/setup-walk-en.txt")
    );
    assert!(done.log.contains("stop=MenuHungUp keys=10"), "{}", done.log);
}

#[test]
fn keys_as_tones_in_pcmu_are_heard() {
    let server = Server::start(&["--voice", "none", "--at", OPEN]);
    let work = tempfile::tempdir().unwrap();
    // "1" twice as DTMF tones (697 + 1209 Hz, 120 ms) after 1 s of silence each, made by
    // sox as raw µ-law for sipp's rtp_stream.
    let tone = work.path().join("one.wav");
    let status = Command::new("sox")
        .args(["-n", "-r", "8000", "-c", "1"])
        .arg(&tone)
        .args([
            "synth", "0.12", "sine", "697", "synth", "0.12", "sine", "mix", "1209",
        ])
        .args(["vol", "0.5", "pad", "1", "0.4"])
        .status()
        .expect("sox must be installed");
    assert!(status.success());
    let status = Command::new("sox")
        .arg(&tone)
        .arg(&tone)
        .args(["-t", "ul", "-r", "8000", "-c", "1"])
        .arg(work.path().join("in-band-keys.ul"))
        .status()
        .unwrap();
    assert!(status.success());
    sipp(&server, "in-band.xml", &[], work.path()).unwrap();
    let done = server.stop();
    assert!(
        done.log
            .contains("keys=2 path=menu > setup-reader/unpack > setup-reader/headphones"),
        "{}",
        done.log
    );
    assert_eq!(stat(&done.stats, "keys_in_band"), 2.0);
    assert_eq!(stat(&done.stats, "keys_event"), 0.0);
}

#[test]
fn a_cancel_while_ringing_ends_the_call_unanswered() {
    let server = Server::start(&["--voice", "none", "--ring-ms", "5000"]);
    let work = tempfile::tempdir().unwrap();
    sipp(&server, "cancel.xml", &[], work.path()).unwrap();
    assert!(server.wait_for_log("caller gave up before the answer", Duration::from_secs(5)));
    let done = server.stop();
    assert!(!done.log.contains("answered"), "{}", done.log);
    assert_eq!(stat(&done.stats, "calls_active"), 0.0);
    assert!(done.transcripts.is_empty());
}

#[test]
fn a_bye_in_the_middle_of_a_prompt_ends_the_call() {
    // A real voice, so the welcome takes a few seconds; the caller hangs up after 1.5 s.
    let server = Server::start(&["--voice", "espeak", "--at", OPEN]);
    let work = tempfile::tempdir().unwrap();
    sipp(&server, "bye.xml", &[], work.path()).unwrap();
    assert!(server.wait_for_log("call ended", Duration::from_secs(5)));
    let done = server.stop();
    assert!(
        done.log.contains("stop=HungUp keys=0 path=menu"),
        "{}",
        done.log
    );
    // Only the welcome was begun: the call ended inside it.
    assert_eq!(done.transcripts.len(), 1);
    assert_eq!(
        done.transcripts[0],
        "[da] Velkommen til support for MitID kodeoplæser.\n"
    );
    let sent = stat(&done.stats, "packets_sent");
    assert!(
        (50.0..150.0).contains(&sent),
        "{sent} packets in about 1.5 s"
    );
    assert_eq!(stat(&done.stats, "first_prompt_ms.count"), 1.0);
    assert_eq!(stat(&done.stats, "calls_active"), 0.0);
}

#[test]
fn an_offer_without_pcmu_or_pcma_gets_488() {
    let server = Server::start(&["--voice", "none"]);
    let work = tempfile::tempdir().unwrap();
    sipp(&server, "no-codec.xml", &[], work.path()).unwrap();
    let done = server.stop();
    assert!(
        done.log.contains("refusing the call with 488: no offered audio codec is PCMU or PCMA at 8000 Hz (offered: G729/8000 G722/8000)"),
        "{}",
        done.log
    );
    assert_eq!(stat(&done.stats, "calls_total"), 0.0);
}

#[test]
fn garbage_is_survived_and_keep_alives_answered() {
    let server = Server::start(&["--voice", "none"]);
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let junk: [&[u8]; 5] = [
        b"",
        b"\x00\x01\x02\xff\xfe",
        b"INVITE sip:support@127.0.0.1 SIP/2.0\r\n\r\n",
        b"SIP/2.0 200 OK\r\nVia: nonsense\r\n\r\n",
        b"INVITE sip:x SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKx\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: junk\r\nCSeq: 1 INVITE\r\nContent-Length: 9\r\n\r\nv=0\r\nm=au",
    ];
    for datagram in junk {
        socket.send_to(datagram, server.address()).unwrap();
    }
    let work = tempfile::tempdir().unwrap();
    sipp(&server, "options.xml", &[], work.path()).unwrap();
    let done = server.stop();
    assert!(
        done.log.contains("INVITE with a bad SDP offer"),
        "{}",
        done.log
    );
}
