//! The SIP line's control API as the web console sees it (`phone-support sip --control`):
//! the calls waiting and in progress, a live stream of them, and taking and finishing a
//! call. The types and the event-stream parser are pure; [`LineClient`] does the HTTP
//! (blocking, called from a blocking task) and [`follow`] keeps the latest list in a
//! watch channel, reconnecting while the line is down.

use std::io::{BufRead, BufReader};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::device::path_segment;
use crate::queue::CallState;

/// One call as the line's control API sends it ([`crate::queue::CallView`] on the wire;
/// read back with owned strings, the caller's numbers as the line wrote them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallView {
    pub id: String,
    pub state: CallState,
    /// "da" or "en".
    pub lang: String,
    pub flow: Option<String>,
    #[serde(default)]
    pub steps: Vec<String>,
    pub serial: Option<String>,
    pub caller: Option<String>,
    pub callback: Option<String>,
    #[serde(default)]
    pub in_call_secs: u64,
    pub waited_secs: Option<u64>,
    pub position: Option<u32>,
    pub agent: Option<String>,
}

impl CallView {
    /// Whether an agent can take it now.
    pub fn waiting(&self) -> bool {
        matches!(self.state, CallState::Queued | CallState::Callback)
    }
}

/// `GET /v1/calls` and each `calls` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Calls {
    pub open: bool,
    pub calls: Vec<CallView>,
}

/// What the console knows about the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineState {
    /// Not heard from yet.
    Connecting,
    /// The line does not answer (or answers nonsense); the reason is for the log and page.
    Down(String),
    Up(Calls),
}

impl LineState {
    pub fn call(&self, id: &str) -> Option<&CallView> {
        match self {
            LineState::Up(calls) => calls.calls.iter().find(|c| c.id == id),
            _ => None,
        }
    }
}

/// Reads a `text/event-stream` line by line: an event is complete at a blank line.
#[derive(Debug, Default)]
pub struct EventStreamParser {
    event: Option<String>,
    data: Vec<String>,
}

impl EventStreamParser {
    /// Feeds one line (without its line end); gives `(event, data)` when one is complete.
    pub fn line(&mut self, line: &str) -> Option<(String, String)> {
        if line.is_empty() {
            if self.data.is_empty() && self.event.is_none() {
                return None;
            }
            let event = self.event.take().unwrap_or_else(|| "message".to_owned());
            return Some((event, std::mem::take(&mut self.data).join("\n")));
        }
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => self.event = Some(value.to_owned()),
            "data" => self.data.push(value.to_owned()),
            _ => {}
        }
        None
    }
}

/// Why taking or finishing a call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    #[error("the line has no call {0}")]
    UnknownCall(String),
    #[error("call {0} is not waiting any more")]
    NotWaiting(String),
    #[error("the line cannot be reached: {0}")]
    Unreachable(String),
    #[error("the line answered HTTP {0}")]
    Status(u16),
}

/// The line's control API over HTTP. The bearer token, if any, is sent and never shown.
#[derive(Clone)]
pub struct LineClient {
    base: String,
    token: Option<String>,
    agent: ureq::Agent,
}

impl std::fmt::Debug for LineClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LineClient")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl LineClient {
    pub fn new(base: &str, token: Option<String>) -> LineClient {
        LineClient {
            base: base.trim_end_matches('/').to_owned(),
            token: token.filter(|t| !t.is_empty()),
            agent: ureq::AgentBuilder::new()
                .timeout_connect(Duration::from_secs(2))
                .build(),
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    fn request(&self, method: &str, path: &str) -> ureq::Request {
        let request = self
            .agent
            .request(method, &format!("{}{path}", self.base))
            .timeout(Duration::from_secs(5));
        match &self.token {
            Some(token) => request.set("Authorization", &format!("Bearer {token}")),
            None => request,
        }
    }

    /// `GET /v1/calls`.
    pub fn calls(&self) -> Result<Calls, LineError> {
        let response = self.request("GET", "/v1/calls").call().map_err(to_error)?;
        response
            .into_json()
            .map_err(|e| LineError::Unreachable(format!("not a list of calls: {e}")))
    }

    /// `POST /v1/calls/{id}/take` for `agent`.
    pub fn take(&self, id: &str, agent: &str) -> Result<CallView, LineError> {
        let response = self
            .request("POST", &format!("/v1/calls/{}/take", path_segment(id)))
            .send_json(serde_json::json!({ "agent": agent }))
            .map_err(|e| match e {
                ureq::Error::Status(404, _) => LineError::UnknownCall(id.to_owned()),
                ureq::Error::Status(409, _) => LineError::NotWaiting(id.to_owned()),
                other => to_error(other),
            })?;
        response
            .into_json()
            .map_err(|e| LineError::Unreachable(format!("not a call: {e}")))
    }

    /// `POST /v1/calls/{id}/done` for `agent`.
    pub fn done(&self, id: &str, agent: &str) -> Result<(), LineError> {
        self.request("POST", &format!("/v1/calls/{}/done", path_segment(id)))
            .send_json(serde_json::json!({ "agent": agent }))
            .map_err(|e| match e {
                ureq::Error::Status(404, _) => LineError::UnknownCall(id.to_owned()),
                other => to_error(other),
            })?;
        Ok(())
    }

    /// Reads `GET /v1/calls/events` until it ends, handing every list to `on_calls`.
    pub fn stream(&self, mut on_calls: impl FnMut(Calls)) -> Result<(), LineError> {
        let response = self
            .agent
            .request("GET", &format!("{}/v1/calls/events", self.base));
        let response = match &self.token {
            Some(token) => response.set("Authorization", &format!("Bearer {token}")),
            None => response,
        };
        let response = response.call().map_err(to_error)?;
        let mut parser = EventStreamParser::default();
        for line in BufReader::new(response.into_reader()).lines() {
            let line = line.map_err(|e| LineError::Unreachable(e.to_string()))?;
            if let Some((event, data)) = parser.line(line.trim_end_matches('\r')) {
                if event == "calls" {
                    let calls = serde_json::from_str(&data)
                        .map_err(|e| LineError::Unreachable(format!("not a list of calls: {e}")))?;
                    on_calls(calls);
                }
            }
        }
        Err(LineError::Unreachable("the event stream ended".to_owned()))
    }
}

fn to_error(error: ureq::Error) -> LineError {
    match error {
        ureq::Error::Status(status, _) => LineError::Status(status),
        ureq::Error::Transport(transport) => LineError::Unreachable(transport.to_string()),
    }
}

/// Follows the line's event stream for ever on this (blocking) thread, publishing each
/// list, or `Down` while it cannot be reached; retries every `retry`. Ends when every
/// receiver is gone.
pub fn follow(client: LineClient, state: tokio::sync::watch::Sender<LineState>, retry: Duration) {
    loop {
        let result = client.stream(|calls| {
            state.send_replace(LineState::Up(calls));
        });
        if let Err(error) = result {
            let down = LineState::Down(error.to_string());
            state.send_if_modified(|current| {
                let changed = *current != down;
                *current = down.clone();
                changed
            });
        }
        if state.is_closed() {
            return;
        }
        std::thread::sleep(retry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_stream_lines_make_events() {
        let mut parser = EventStreamParser::default();
        let mut events = Vec::new();
        for line in [
            ": keep-alive",
            "event: calls",
            "data: {\"open\":true,",
            "data:\"calls\":[]}",
            "",
            "",
            "data: plain",
            "",
        ] {
            events.extend(parser.line(line));
        }
        assert_eq!(
            events,
            [
                (
                    "calls".to_owned(),
                    "{\"open\":true,\n\"calls\":[]}".to_owned()
                ),
                ("message".to_owned(), "plain".to_owned())
            ]
        );
    }

    #[test]
    fn the_contract_s_json_parses() {
        let json = r#"{"open":true,"calls":[{"id":"c1","state":"queued","lang":"en",
            "flow":"code-refused","steps":["what-happened"],"serial":"KO1","caller":"sip:a@b",
            "callback":null,"in_call_secs":12,"waited_secs":5,"position":1,"agent":null}]}"#;
        let calls: Calls = serde_json::from_str(json).unwrap();
        assert!(calls.calls[0].waiting());
        assert_eq!(calls.calls[0].waited_secs, Some(5));
        assert_eq!(path_segment("a/b c"), "a%2Fb%20c");
    }

    #[test]
    fn a_line_that_is_not_there_is_down() {
        let client = LineClient::new("http://127.0.0.1:9", None);
        assert!(matches!(client.calls(), Err(LineError::Unreachable(_))));
    }
}
