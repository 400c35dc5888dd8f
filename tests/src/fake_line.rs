//! A stand-in for the SIP line's control API (`phone-support sip --control`), on plain
//! std threads, for the web console's tests: `GET /v1/calls`, the `calls` event stream,
//! `POST /v1/calls/{id}/take` and `/done`, with the bearer token checked when set. Tests
//! (and the browser tests, over HTTP) change the calls with `POST /test/calls` and read
//! what the console asked with `GET /test/requests`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

#[derive(Default)]
struct State {
    open: bool,
    calls: Vec<Value>,
    version: u64,
    requests: Vec<String>,
}

type Shared = Arc<(Mutex<State>, Condvar)>;

/// The fake line, serving until the test process ends.
pub struct FakeLine {
    url: String,
    shared: Shared,
}

impl FakeLine {
    /// Starts on a free loopback port; with `token`, every call must carry it.
    pub fn start(token: Option<&str>) -> FakeLine {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding the fake line");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let shared: Shared = Arc::new((
            Mutex::new(State {
                open: true,
                ..State::default()
            }),
            Condvar::new(),
        ));
        let for_server = shared.clone();
        let token = token.map(str::to_owned);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let shared = for_server.clone();
                let token = token.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, &shared, token.as_deref());
                });
            }
        });
        FakeLine { url, shared }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Replaces the list of calls (each a CallView as JSON) and tells every stream.
    pub fn set_calls(&self, calls: Vec<Value>) {
        let (state, changed) = &*self.shared;
        let mut state = state.lock().unwrap();
        state.calls = calls;
        state.version += 1;
        changed.notify_all();
    }

    /// What the console asked so far: "METHOD PATH BODY" per request (streams and reads
    /// of the list left out).
    pub fn requests(&self) -> Vec<String> {
        self.shared.0.lock().unwrap().requests.clone()
    }
}

/// A waiting call in the contract's shape.
pub fn queued_call(id: &str, serial: Option<&str>) -> Value {
    json!({
        "id": id, "state": "queued", "lang": "da", "flow": "code-refused",
        "steps": ["what-happened"], "serial": serial, "caller": "sip:caller@127.0.0.1",
        "callback": null, "in_call_secs": 42, "waited_secs": 30, "position": 1, "agent": null
    })
}

fn respond(stream: &mut TcpStream, status: &str, body: &str) -> std::io::Result<()> {
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn snapshot(state: &State) -> String {
    json!({"open": state.open, "calls": state.calls}).to_string()
}

fn serve(stream: TcpStream, shared: &Shared, token: Option<&str>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut stream = stream;
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut length = 0usize;
    let mut authorized = token.is_none();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
            if name == "content-length" {
                length = value.parse().unwrap_or(0);
            }
            if name == "authorization"
                && Some(value) == token.map(|t| format!("Bearer {t}")).as_deref()
            {
                authorized = true;
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let body = String::from_utf8_lossy(&body).into_owned();
    let mut parts = request_line.split_whitespace();
    let (method, path) = (
        parts.next().unwrap_or("").to_owned(),
        parts.next().unwrap_or("").to_owned(),
    );
    let (state_lock, changed) = &**shared;
    if path.starts_with("/test/") {
        return match (method.as_str(), path.as_str()) {
            ("POST", "/test/calls") => {
                let calls: Vec<Value> = serde_json::from_str(&body).unwrap_or_default();
                let mut state = state_lock.lock().unwrap();
                state.calls = calls;
                state.version += 1;
                changed.notify_all();
                respond(&mut stream, "200 OK", "{}")
            }
            ("GET", "/test/requests") => {
                let requests = state_lock.lock().unwrap().requests.clone();
                respond(&mut stream, "200 OK", &json!(requests).to_string())
            }
            _ => respond(&mut stream, "404 Not Found", "{}"),
        };
    }
    if !authorized {
        return respond(&mut stream, "401 Unauthorized", "{}");
    }
    match (method.as_str(), path.as_str()) {
        ("GET", "/v1/calls") => {
            let text = snapshot(&state_lock.lock().unwrap());
            respond(&mut stream, "200 OK", &text)
        }
        ("GET", "/v1/calls/events") => {
            write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n"
            )?;
            let mut seen = u64::MAX;
            loop {
                let (text, version) = {
                    let mut state = state_lock.lock().unwrap();
                    while state.version == seen {
                        let (next, timeout) =
                            changed.wait_timeout(state, Duration::from_secs(5)).unwrap();
                        state = next;
                        if timeout.timed_out() {
                            break;
                        }
                    }
                    (snapshot(&state), state.version)
                };
                if version == seen {
                    // A comment keeps the connection checked.
                    stream.write_all(b": keep-alive\n\n")?;
                } else {
                    write!(stream, "event: calls\ndata: {text}\n\n")?;
                    seen = version;
                }
                stream.flush()?;
            }
        }
        ("POST", path) if path.starts_with("/v1/calls/") => {
            let rest = &path["/v1/calls/".len()..];
            let (id, action) = rest.rsplit_once('/').unwrap_or((rest, ""));
            let agent = serde_json::from_str::<Value>(&body)
                .ok()
                .and_then(|v| v["agent"].as_str().map(str::to_owned))
                .unwrap_or_default();
            let mut state = state_lock.lock().unwrap();
            state.requests.push(format!("POST {path} {body}"));
            let Some(index) = state.calls.iter().position(|c| c["id"] == id) else {
                return respond(&mut stream, "404 Not Found", "{}");
            };
            let answer = match action {
                "take" => {
                    let call = &mut state.calls[index];
                    if call["state"] == "queued" || call["state"] == "callback" {
                        call["state"] = json!("with_agent");
                        call["agent"] = json!(agent);
                        call["position"] = Value::Null;
                        Some(call.to_string())
                    } else {
                        None
                    }
                }
                "done" => {
                    state.calls.remove(index);
                    Some("{}".to_owned())
                }
                _ => return respond(&mut stream, "404 Not Found", "{}"),
            };
            match answer {
                Some(text) => {
                    state.version += 1;
                    changed.notify_all();
                    drop(state);
                    respond(&mut stream, "200 OK", &text)
                }
                None => {
                    drop(state);
                    respond(&mut stream, "409 Conflict", "{}")
                }
            }
        }
        _ => respond(&mut stream, "404 Not Found", "{}"),
    }
}
