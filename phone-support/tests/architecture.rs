//! Architecture invariant: the telephone line's protocol modules (`telephony/`) and the
//! voice menu (`ivr.rs`) do no I/O, read no clock and spawn nothing; the SIP shell
//! (`sip/`) does that for them. This test fails when one of them starts to.

use std::path::Path;

/// Addresses (`std::net::IpAddr`) are plain values; sockets are not.
const FORBIDDEN: [&str; 11] = [
    "UdpSocket",
    "TcpStream",
    "TcpListener",
    "std::fs",
    "std::thread",
    "std::process",
    "tokio",
    "rsipstack",
    "Instant::now",
    "SystemTime",
    "copenhagen_now",
];

#[test]
fn the_protocol_modules_and_the_menu_stay_pure() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files: Vec<_> = std::fs::read_dir(src.join("telephony"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.push(src.join("ivr.rs"));
    assert!(files.len() >= 6, "{files:?}");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for word in FORBIDDEN {
            assert!(
                !text.contains(word),
                "{} uses {word}: keep I/O and clocks in sip/",
                file.display()
            );
        }
    }
}

/// Architecture invariant: the web console's sessions, CSRF checks and pages are pure
/// (tokens and the time come in as values); `web/server.rs` does the I/O for them.
#[test]
fn the_web_console_s_sessions_and_pages_stay_pure() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web");
    for name in ["session.rs", "page.rs"] {
        let text = std::fs::read_to_string(src.join(name)).unwrap();
        for word in FORBIDDEN
            .iter()
            .chain(&["rand::", "Utc::now", "axum", "ureq"])
        {
            assert!(
                !text.contains(word),
                "web/{name} uses {word}: keep I/O, randomness and clocks in web/server.rs"
            );
        }
    }
}
