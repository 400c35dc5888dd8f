//! The web console's world for end-to-end tests: the real `service` with one device
//! activated for a person, the real `phone-support web` in front of it with three agents
//! (alice may do everything, bob only look up, carol nothing), and a [`FakeLine`]. Plus a
//! small browser-less client that keeps cookies and reads CSRF tokens from forms.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

use crate::fake_line::FakeLine;
use crate::{binary, import_totp, run, start_listening, stderr, stdout, store_args, KillOnDrop};

pub const ADMIN_TOKEN: &str = "web-console-e2e-token";
pub const LINE_TOKEN: &str = "line-e2e-token";
pub const SERIAL: &str = "KO000901";
pub const USER: &str = "person-901";
pub const SECRET_B32: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
pub const PASSWORD: &str = "correct horse battery";

/// Everything running for one test.
pub struct World {
    pub dir: tempfile::TempDir,
    pub service_url: String,
    pub console_url: String,
    pub data: PathBuf,
    pub line: FakeLine,
    service: PathBuf,
    _service: KillOnDrop,
    _console: KillOnDrop,
}

impl World {
    pub fn start() -> World {
        let service = binary("service", "service");
        let phone = binary("phone-support", "phone-support");
        let dir = tempfile::tempdir().unwrap();
        let store = store_args(dir.path());
        import_totp(&service, dir.path(), SERIAL, SECRET_B32);
        let (service_child, service_url) = start_listening(
            Command::new(&service)
                .args(["serve", "--listen", "127.0.0.1:0"])
                .args(&store)
                .env("KODE_ADMIN_TOKEN", ADMIN_TOKEN),
            "the service",
        );

        // The person activates the device (support issues the code over the API here).
        let issued: Value = ureq::post(&format!("{service_url}/v1/activation-codes"))
            .set("Authorization", &format!("Bearer {ADMIN_TOKEN}"))
            .send_json(json!({"serial": SERIAL, "user": USER, "channel": "sms"}))
            .expect("issuing an activation code")
            .into_json()
            .unwrap();
        ureq::post(&format!("{service_url}/v1/activate"))
            .send_json(json!({
                "serial": SERIAL, "user": USER,
                "activation_code": issued["activation_code"], "code": crate::code_now(SECRET_B32, 0)
            }))
            .expect("activating");

        let data = dir.path().join("console");
        for (name, rights) in [
            ("alice", "lookup,unlock,activation"),
            ("bob", "lookup"),
            ("carol", ""),
        ] {
            let mut child = Command::new(&phone)
                .args(["agents", "--data"])
                .arg(&data)
                .args(["add", name, "--rights", rights])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            use std::io::Write as _;
            writeln!(child.stdin.take().unwrap(), "{PASSWORD}").unwrap();
            let output = child.wait_with_output().unwrap();
            assert!(output.status.success(), "agents add: {}", stderr(&output));
        }

        let line = FakeLine::start(Some(LINE_TOKEN));
        let (console_child, console_url) = start_console(&phone, &service_url, line.url(), &data);
        World {
            dir,
            service_url,
            console_url,
            data,
            line,
            service,
            _service: service_child,
            _console: console_child,
        }
    }

    /// Another console on the same service and data, with `line` as its line.
    pub fn second_console(&self, line: &str) -> (KillOnDrop, String) {
        let phone = binary("phone-support", "phone-support");
        start_console(&phone, &self.service_url, line, &self.data)
    }

    /// Three wrong codes: the device is blocked.
    pub fn block_device(&self) {
        for wrong in ["000000", "000001", "000002"] {
            let code = if wrong == crate::code_now(SECRET_B32, 0) {
                "999999"
            } else {
                wrong
            };
            let _ = self.validate(code);
        }
        assert!(self.blocked(), "three wrong codes block the device");
    }

    /// `POST /v1/validate`: the HTTP status.
    pub fn validate(&self, code: &str) -> u16 {
        match ureq::post(&format!("{}/v1/validate", self.service_url))
            .send_json(json!({"user": USER, "code": code}))
        {
            Ok(response) => response.status(),
            Err(ureq::Error::Status(status, _)) => status,
            Err(e) => panic!("validating: {e}"),
        }
    }

    /// Whether the service says the device is blocked (read with the service's CLI, so no
    /// look-up by the admin shows in the audit log between the steps of a test).
    pub fn blocked(&self) -> bool {
        let output = run(Command::new(&self.service)
            .args(["status", SERIAL])
            .args(store_args(self.dir.path())));
        assert!(output.status.success(), "status: {}", stderr(&output));
        let view: Value = serde_json::from_str(&stdout(&output)).unwrap();
        !view["blocked_until"].is_null()
    }

    /// The service's audit log, one tab-separated line each.
    pub fn service_audit(&self) -> String {
        let output = run(Command::new(&self.service)
            .args(["audit", "--last", "500"])
            .args(store_args(self.dir.path())));
        assert!(output.status.success(), "audit: {}", stderr(&output));
        stdout(&output)
    }

    /// The console's own audit log.
    pub fn console_audit(&self) -> String {
        std::fs::read_to_string(self.data.join("audit.log")).unwrap_or_default()
    }

    /// Everything in the console's outbox (new activation codes for the printer or SMS).
    pub fn outbox(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.data.join("outbox")) else {
            return Vec::new();
        };
        entries
            .flatten()
            .map(|e| std::fs::read_to_string(e.path()).unwrap())
            .collect()
    }
}

fn start_console(phone: &Path, service: &str, line: &str, data: &Path) -> (KillOnDrop, String) {
    start_listening(
        Command::new(phone)
            .args([
                "web",
                "--listen",
                "127.0.0.1:0",
                "--service",
                service,
                "--line",
                line,
            ])
            .arg("--data")
            .arg(data)
            .env("KODE_ADMIN_TOKEN", ADMIN_TOKEN)
            .env("KODE_LINE_TOKEN", LINE_TOKEN)
            .env("RUST_LOG", "warn"),
        "the web console",
    )
}

/// An HTTP answer: status, headers' Set-Cookie values, Location, body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub set_cookies: Vec<String>,
    pub location: Option<String>,
    pub body: String,
}

impl Answer {
    /// The first form's CSRF token on the page.
    pub fn csrf(&self) -> String {
        let marker = "name=\"csrf\" value=\"";
        let start = self
            .body
            .find(marker)
            .unwrap_or_else(|| panic!("no CSRF field on the page:\n{}", self.body))
            + marker.len();
        self.body[start..]
            .split('"')
            .next()
            .unwrap_or_default()
            .to_owned()
    }
}

/// A browser-less agent: keeps its cookies (name=value) and follows no redirects.
pub struct Client {
    base: String,
    agent: ureq::Agent,
    pub cookies: Vec<(String, String)>,
}

impl Client {
    pub fn new(base: &str) -> Client {
        Client {
            base: base.to_owned(),
            agent: ureq::AgentBuilder::new()
                .redirects(0)
                .timeout(Duration::from_secs(20))
                .build(),
            cookies: Vec::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep(&mut self, answer: &Answer) {
        for cookie in &answer.set_cookies {
            let pair = cookie.split(';').next().unwrap_or("");
            if let Some((name, value)) = pair.split_once('=') {
                self.cookies.retain(|(k, _)| k != name);
                if !value.is_empty() {
                    self.cookies.push((name.to_owned(), value.to_owned()));
                }
            }
        }
    }

    fn answer(result: Result<ureq::Response, ureq::Error>) -> Answer {
        let response = match result {
            Ok(response) => response,
            Err(ureq::Error::Status(_, response)) => response,
            Err(e) => panic!("the console did not answer: {e}"),
        };
        Answer {
            status: response.status(),
            set_cookies: response
                .all("set-cookie")
                .into_iter()
                .map(str::to_owned)
                .collect(),
            location: response.header("location").map(str::to_owned),
            body: response.into_string().unwrap_or_default(),
        }
    }

    pub fn get(&mut self, path: &str) -> Answer {
        let mut request = self.agent.get(&format!("{}{path}", self.base));
        if !self.cookies.is_empty() {
            request = request.set("Cookie", &self.cookie_header());
        }
        let answer = Self::answer(request.call());
        self.keep(&answer);
        answer
    }

    pub fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Answer {
        let mut request = self.agent.post(&format!("{}{path}", self.base));
        if !self.cookies.is_empty() {
            request = request.set("Cookie", &self.cookie_header());
        }
        let answer = Self::answer(request.send_form(form));
        self.keep(&answer);
        answer
    }

    /// Signs in; gives the answer to the sign-in post.
    pub fn sign_in(&mut self, name: &str, password: &str) -> Answer {
        let form = self.get("/signin");
        let csrf = form.csrf();
        self.post(
            "/signin",
            &[
                ("csrf", &csrf),
                ("lang", "en"),
                ("name", name),
                ("password", password),
            ],
        )
    }
}
