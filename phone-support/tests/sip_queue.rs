//! The agent queue over SIP, with sipp as the caller and the control API as the agents'
//! console: a caller who asks for an agent hears the place and the expected wait, books
//! a call-back to the number the call came from (confirmed by keypad), and stays listed
//! for an agent; a caller who holds is taken by an agent who sees the menu's hand-over,
//! and the call ends when the agent is done. Needs `sipp` (scripts/install-deps).

mod line;

use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

use line::{sipp, Server};
use serde_json::{json, Value};

const OPEN: &str = "2026-11-25 12:00";

fn get(url: &str) -> Value {
    ureq::get(url).call().unwrap().into_json().unwrap()
}

fn post(url: &str, body: Value) -> Result<Value, u16> {
    match ureq::post(url).send_json(body) {
        Ok(response) => Ok(response.into_json().unwrap()),
        Err(ureq::Error::Status(status, _)) => Err(status),
        Err(e) => panic!("{url}: {e}"),
    }
}

fn keys_file(dir: &std::path::Path, keys: &str) -> String {
    let path = dir.join("keys.csv");
    std::fs::write(&path, format!("SEQUENTIAL\n{keys};\n")).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn a_waiting_caller_books_a_call_back_to_the_number_it_called_from() {
    let mut server = Server::start(&["--voice", "none", "--at", OPEN, "--control", "127.0.0.1:0"]);
    let control = server.control_url();
    let work = tempfile::tempdir().unwrap();
    // 0: an agent; 1: call me back; 1: yes, that number. The line then says goodbye.
    let keys = keys_file(work.path(), "011");
    sipp(&server, "walk.xml", &["-inf", &keys], work.path()).unwrap();

    let calls = get(&format!("{control}/v1/calls"));
    assert_eq!(calls["open"], true);
    let call = &calls["calls"][0];
    assert_eq!(call["state"], "callback", "{calls}");
    assert_eq!(call["callback"], "+4511223344");
    assert_eq!(call["caller"], "+4511223344");
    assert_eq!(call["position"], 1);
    assert_eq!(
        call["steps"],
        json!(["menu", "queue/holding", "queue/callback-confirm"])
    );
    let id = call["id"].as_str().unwrap();
    let taken = post(
        &format!("{control}/v1/calls/{id}/take"),
        json!({"agent": "anna"}),
    )
    .unwrap();
    assert_eq!(
        (taken["state"].as_str(), taken["agent"].as_str()),
        (Some("with_agent"), Some("anna"))
    );
    assert_eq!(
        post(
            &format!("{control}/v1/calls/{id}/take"),
            json!({"agent": "bo"})
        ),
        Err(409)
    );
    post(
        &format!("{control}/v1/calls/{id}/done"),
        json!({"agent": "anna"}),
    )
    .unwrap();
    assert_eq!(get(&format!("{control}/v1/calls"))["calls"], json!([]));

    let done = server.stop();
    let transcript = &done.transcripts[0];
    assert!(
        transcript.contains("Du er nummer 1 i køen. Den forventede ventetid er cirka 2 minutter."),
        "{transcript}"
    );
    assert!(
        transcript.contains("Vi ringer dig op på nummer || 4, 5. 1, 1. 2, 2. 3, 3. 4, 4"),
        "{transcript}"
    );
    assert!(
        transcript.contains("Du beholder din plads i køen"),
        "{transcript}"
    );
    assert!(done.log.contains("call-back booked"), "{}", done.log);
}

#[test]
fn an_agent_takes_a_holding_call_and_sees_what_the_caller_did() {
    let mut server = Server::start(&["--voice", "none", "--at", OPEN, "--control", "127.0.0.1:0"]);
    let control = server.control_url();
    // The console's live feed: the first event comes at once.
    let events = ureq::get(&format!("{control}/v1/calls/events"))
        .call()
        .unwrap();
    assert_eq!(events.content_type(), "text/event-stream");
    let mut events = BufReader::new(events.into_reader());

    let work = tempfile::tempdir().unwrap();
    // 9: English; 0: an agent. Then the caller holds until the line hangs up.
    let keys = keys_file(work.path(), "90");
    let sipp_thread = {
        let (address, dir) = (server.address(), work.path().to_owned());
        std::thread::spawn(move || line::sipp_at(&address, "walk.xml", &["-inf", &keys], &dir))
    };

    // Wait for the call to queue, as the feed tells it.
    let end = Instant::now() + Duration::from_secs(20);
    let call = loop {
        assert!(
            Instant::now() < end,
            "no queued call in the feed:\n{}",
            server.log()
        );
        let mut line = String::new();
        events.read_line(&mut line).unwrap();
        let Some(data) = line.trim().strip_prefix("data:") else {
            continue;
        };
        let snapshot: Value = serde_json::from_str(data.trim()).unwrap();
        if let Some(call) = snapshot["calls"].as_array().and_then(|c| c.first()) {
            if call["state"] == "queued" {
                break call.clone();
            }
        }
    };
    assert_eq!(call["lang"], "en");
    assert_eq!(call["caller"], "+4511223344");
    assert_eq!(call["position"], 1);
    assert_eq!(call["steps"], json!(["menu", "queue/holding"]));
    assert_eq!(call["serial"], Value::Null);
    let id = call["id"].as_str().unwrap();
    post(
        &format!("{control}/v1/calls/{id}/take"),
        json!({"agent": "anna"}),
    )
    .unwrap();
    assert!(server.wait_for_log("an agent took the call", Duration::from_secs(5)));
    // The agent is done: the line hangs up, and sipp's call completes.
    std::thread::sleep(Duration::from_millis(500));
    post(
        &format!("{control}/v1/calls/{id}/done"),
        json!({"agent": "anna"}),
    )
    .unwrap();
    sipp_thread.join().unwrap().unwrap();
    let done = server.stop();
    assert!(done.log.contains("stop=AgentDone"), "{}", done.log);
    let transcript = &done.transcripts[0];
    assert!(
        transcript.contains("[en] You are number 1 in the queue."),
        "{transcript}"
    );
    assert!(
        transcript.contains("[en] An agent is taking your call now."),
        "{transcript}"
    );
}

#[test]
fn the_control_api_wants_the_token_when_one_is_set() {
    let mut server = line::Server::start_with_env(
        &["--voice", "none", "--control", "127.0.0.1:0"],
        &[("KODE_LINE_TOKEN", "line-secret")],
    );
    let control = server.control_url();
    let url = format!("{control}/v1/calls");
    assert!(matches!(
        ureq::get(&url).call(),
        Err(ureq::Error::Status(401, _))
    ));
    let listed: Value = ureq::get(&url)
        .set("Authorization", "Bearer line-secret")
        .call()
        .unwrap()
        .into_json()
        .unwrap();
    assert_eq!(listed["calls"], json!([]));
    server.stop();
}
