//! A real SIP phone calls the support line: baresip (package baresip-core) dials in over
//! loopback, is driven through its ctrl_tcp interface, presses 1 twice (RFC 4733), hangs
//! up, and records what it heard (sndfile). The recording holds the prompt's speech and
//! each key arrived exactly once.

mod line;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use line::{free_port, stat, Server};

struct Baresip {
    child: Child,
    control: TcpStream,
    events: String,
}

impl Drop for Baresip {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Baresip {
    /// baresip with a config of its own in `dir`: no sound card (a 440 Hz sine as the
    /// microphone, a bridge as the speaker), G.711, sndfile recording into `dir/rec`.
    fn start(dir: &std::path::Path, dial: &str) -> Baresip {
        let control_port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // baresip takes the SIP port and the one above it (TLS).
        let sip_port = loop {
            let port = free_port();
            if TcpListener::bind(("127.0.0.1", port)).is_ok()
                && TcpListener::bind(("127.0.0.1", port + 1)).is_ok()
                && port + 1 != control_port
            {
                break port;
            }
        };
        let rtp = free_port();
        std::fs::create_dir_all(dir.join("rec")).unwrap();
        let config = format!(
            "poll_method epoll\nsip_listen 127.0.0.1:{sip_port}\n\
             audio_player aubridge,nil\naudio_source ausine,440\naudio_alert aubridge,nil\n\
             ausrc_srate 48000\nausrc_channels 2\n\
             rtp_ports {rtp}-{}\n\
             module_path /usr/lib/baresip/modules\n\
             module g711.so\nmodule ausine.so\nmodule aubridge.so\nmodule sndfile.so\n\
             module_app account.so\nmodule_app menu.so\nmodule_app ctrl_tcp.so\n\
             ctrl_tcp_listen 127.0.0.1:{control_port}\nsnd_path {}\n",
            rtp + 1,
            dir.join("rec").display()
        );
        std::fs::write(dir.join("config"), config).unwrap();
        std::fs::write(dir.join("accounts"), "<sip:caller@127.0.0.1>;regint=0\n").unwrap();
        let child = Command::new("baresip")
            .arg("-f")
            .arg(dir)
            .args(["-n", "127.0.0.1", "-e", &format!("/dial {dial}")])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("baresip must be installed (package baresip-core, scripts/install-deps)");
        let end = Instant::now() + Duration::from_secs(10);
        let control = loop {
            match TcpStream::connect(("127.0.0.1", control_port)) {
                Ok(stream) => break stream,
                Err(e) if Instant::now() > end => panic!("baresip's ctrl_tcp: {e}"),
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        };
        control
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        Baresip {
            child,
            control,
            events: String::new(),
        }
    }

    /// Sends a command as a netstring of JSON.
    fn command(&mut self, command: &str, params: &str) {
        let json =
            serde_json::json!({"command": command, "params": params, "token": "t"}).to_string();
        write!(self.control, "{}:{json},", json.len()).unwrap();
    }

    /// Reads events until one holds `text`.
    fn wait_for(&mut self, text: &str, limit: Duration) -> bool {
        let end = Instant::now() + limit;
        let mut buf = [0u8; 4096];
        while Instant::now() < end {
            if self.events.contains(text) {
                return true;
            }
            if let Ok(n) = self.control.read(&mut buf) {
                self.events.push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        }
        self.events.contains(text)
    }
}

#[test]
fn baresip_hears_the_menu_and_its_keys_arrive_once_each() {
    let server = Server::start(&["--voice", "espeak", "--at", "2026-11-25 12:00"]);
    let dir = tempfile::tempdir().unwrap();
    let mut phone = Baresip::start(dir.path(), &format!("sip:support@{}", server.address()));
    assert!(
        phone.wait_for("CALL_ESTABLISHED", Duration::from_secs(10)),
        "no call: {}\n{}",
        phone.events,
        server.log()
    );
    // Listen to the welcome for a while, then press 1 (setup) and 1 again (unpacked).
    std::thread::sleep(Duration::from_millis(2500));
    phone.command("sndcode", "1");
    std::thread::sleep(Duration::from_millis(1500));
    phone.command("sndcode", "1");
    std::thread::sleep(Duration::from_millis(1500));
    phone.command("hangup", "");
    assert!(
        phone.wait_for("CALL_CLOSED", Duration::from_secs(5)),
        "{}",
        phone.events
    );
    phone.command("quit", "");
    let _ = phone.child.wait();
    assert!(server.wait_for_log("call ended", Duration::from_secs(5)));
    let done = server.stop();
    assert!(
        done.log.contains(
            "stop=HungUp keys=2 path=menu > setup-reader/unpack > setup-reader/headphones"
        ),
        "{}",
        done.log
    );
    assert_eq!(stat(&done.stats, "keys_event"), 2.0);
    assert_eq!(stat(&done.stats, "keys_in_band"), 0.0);

    // What baresip heard: the decoded side of its recording.
    let recording = std::fs::read_dir(dir.path().join("rec"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with("-dec.wav"))
        .expect("sndfile recorded the call");
    let pcm = speech::Pcm::read_wav(&recording).unwrap();
    assert_eq!(pcm.sample_rate, 8000);
    let frames: Vec<f64> = pcm
        .samples
        .chunks(160)
        .map(|c| speech::audio::rms(c) * 32768.0)
        .collect();
    let loud = frames.iter().filter(|r| **r > 500.0).count();
    // Speech for at least 2 of the 2.5 s before the first key (50 frames a second),
    // with pauses between words (not a constant tone).
    assert!(
        loud >= 100,
        "only {loud} loud 20 ms frames of {}",
        frames.len()
    );
    let quiet = frames.iter().filter(|r| **r < 100.0).count();
    assert!(quiet >= 5, "no pauses at all: not speech");
}
