//! SDP offer/answer (RFC 4566, RFC 3264) for a G.711 voice line: read the caller's offer,
//! pick PCMU or PCMA and telephone-event, and answer with the offer's own payload type
//! numbers. No usable audio stream means 488 Not Acceptable Here.

use std::fmt::Write as _;
use std::net::IpAddr;

use super::g711::Law;

/// Why an offer cannot be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdpError {
    #[error("SDP line {line}: {problem}")]
    Malformed { line: usize, problem: String },
    #[error("the offer has no audio stream")]
    NoAudio,
    #[error("no offered audio codec is PCMU or PCMA at 8000 Hz (offered: {offered})")]
    NoCodec { offered: String },
    #[error("the audio stream has no connection address (c=)")]
    NoAddress,
}

/// Which way media flows, from the offerer's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

impl Direction {
    /// The answer's direction for an offered one.
    fn answer(self) -> Direction {
        match self {
            Direction::SendRecv => Direction::SendRecv,
            Direction::SendOnly => Direction::RecvOnly,
            Direction::RecvOnly => Direction::SendOnly,
            Direction::Inactive => Direction::Inactive,
        }
    }

    fn attribute(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }
}

/// One m= line of an offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaOffer {
    pub media: String,
    pub port: u16,
    pub protocol: String,
    pub formats: Vec<String>,
    /// payload type → (encoding name, clock rate)
    pub rtpmaps: Vec<(u8, String, u32)>,
    pub address: Option<IpAddr>,
    pub direction: Direction,
}

/// A parsed offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub media: Vec<MediaOffer>,
}

/// What was agreed for the call's audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Negotiated {
    pub law: Law,
    /// The payload type for audio, as the offer numbered it.
    pub payload_type: u8,
    /// The telephone-event payload type, when the caller offered RFC 4733 events.
    pub event_payload_type: Option<u8>,
    /// Where the caller wants its audio.
    pub remote: (IpAddr, u16),
    pub direction: Direction,
    /// Which m= line was answered.
    pub index: usize,
}

fn malformed(line: usize, problem: impl Into<String>) -> SdpError {
    SdpError::Malformed {
        line,
        problem: problem.into(),
    }
}

fn parse_address(line: usize, value: &str) -> Result<Option<IpAddr>, SdpError> {
    let parts: Vec<&str> = value.split_whitespace().collect();
    match parts.as_slice() {
        ["IN", "IP4" | "IP6", address] => {
            // A multicast address may carry "/ttl"; we only take the address.
            let address = address.split('/').next().unwrap_or(address);
            address.parse().map(Some).map_err(|_| {
                malformed(line, format!("c= address {address:?} is not an IP address"))
            })
        }
        _ => Err(malformed(
            line,
            format!("c= must be \"IN IP4 ADDRESS\", got {value:?}"),
        )),
    }
}

impl Offer {
    /// Parses an SDP body; unknown lines and attributes are ignored, broken ones named.
    pub fn parse(text: &str) -> Result<Offer, SdpError> {
        let mut session_address = None;
        let mut session_direction = Direction::SendRecv;
        let mut media: Vec<MediaOffer> = Vec::new();
        let mut saw_version = false;
        for (index, raw) in text.lines().enumerate() {
            let n = index + 1;
            let line = raw.trim_end_matches('\r');
            if line.is_empty() {
                continue;
            }
            let Some((kind, value)) = line.split_once('=') else {
                return Err(malformed(n, format!("{line:?} is not TYPE=VALUE")));
            };
            match kind {
                "v" => {
                    if value != "0" {
                        return Err(malformed(n, format!("version {value:?}, expected 0")));
                    }
                    saw_version = true;
                }
                "c" => {
                    let address = parse_address(n, value)?;
                    match media.last_mut() {
                        Some(m) => m.address = address,
                        None => session_address = address,
                    }
                }
                "m" => {
                    let parts: Vec<&str> = value.split_whitespace().collect();
                    if parts.len() < 3 {
                        return Err(malformed(
                            n,
                            format!("m= needs MEDIA PORT PROTO FORMATS, got {value:?}"),
                        ));
                    }
                    // "PORT/COUNT" is allowed; the count does not matter to us.
                    let port_text = parts[1].split('/').next().unwrap_or(parts[1]);
                    let port = port_text.parse().map_err(|_| {
                        malformed(n, format!("m= port {port_text:?} is not a number"))
                    })?;
                    media.push(MediaOffer {
                        media: parts[0].to_owned(),
                        port,
                        protocol: parts[2].to_owned(),
                        formats: parts[3..].iter().map(|f| (*f).to_owned()).collect(),
                        rtpmaps: Vec::new(),
                        address: session_address,
                        direction: session_direction,
                    });
                }
                "a" => {
                    let (name, argument) = value.split_once(':').unwrap_or((value, ""));
                    let direction = match name {
                        "sendrecv" => Some(Direction::SendRecv),
                        "sendonly" => Some(Direction::SendOnly),
                        "recvonly" => Some(Direction::RecvOnly),
                        "inactive" => Some(Direction::Inactive),
                        _ => None,
                    };
                    if let Some(direction) = direction {
                        match media.last_mut() {
                            Some(m) => m.direction = direction,
                            None => session_direction = direction,
                        }
                    } else if name == "rtpmap" {
                        let Some(m) = media.last_mut() else { continue };
                        let (pt, encoding) = argument.split_once(' ').ok_or_else(|| {
                            malformed(n, format!("rtpmap {argument:?} needs PT NAME/RATE"))
                        })?;
                        let pt: u8 = pt.parse().ok().filter(|pt| *pt < 128).ok_or_else(|| {
                            malformed(n, format!("rtpmap payload type {pt:?} is not 0–127"))
                        })?;
                        let mut fields = encoding.trim().split('/');
                        let name = fields.next().unwrap_or_default().to_owned();
                        let rate = fields.next().and_then(|r| r.parse().ok()).ok_or_else(|| {
                            malformed(n, format!("rtpmap {encoding:?} has no clock rate"))
                        })?;
                        m.rtpmaps.push((pt, name, rate));
                    }
                }
                _ => {}
            }
        }
        if !saw_version {
            return Err(malformed(1, "no v=0 line: not an SDP body"));
        }
        Ok(Offer { media })
    }

    /// Chooses the call's audio: the first usable audio stream, its first G.711 format in
    /// the offer's order of preference, and telephone-event/8000 if offered.
    pub fn negotiate(&self) -> Result<Negotiated, SdpError> {
        let mut offered = Vec::new();
        let mut any_audio = false;
        for (index, m) in self.media.iter().enumerate() {
            if m.media != "audio" || m.port == 0 || !m.protocol.starts_with("RTP/") {
                continue;
            }
            any_audio = true;
            let mut law = None;
            let mut event = None;
            for format in &m.formats {
                let Ok(pt) = format.parse::<u8>() else {
                    continue;
                };
                let mapped = m.rtpmaps.iter().find(|(p, ..)| *p == pt);
                let (name, rate) = match (mapped, pt) {
                    (Some((_, name, rate)), _) => (name.to_ascii_uppercase(), *rate),
                    (None, 0) => ("PCMU".to_owned(), 8000),
                    (None, 8) => ("PCMA".to_owned(), 8000),
                    (None, _) => (format!("PT{pt}"), 0),
                };
                offered.push(format!("{name}/{rate}"));
                match (name.as_str(), rate) {
                    ("PCMU", 8000) if law.is_none() => law = Some((Law::Mu, pt)),
                    ("PCMA", 8000) if law.is_none() => law = Some((Law::A, pt)),
                    ("TELEPHONE-EVENT", 8000) if event.is_none() => event = Some(pt),
                    _ => {}
                }
            }
            if let Some((law, payload_type)) = law {
                let address = m.address.ok_or(SdpError::NoAddress)?;
                return Ok(Negotiated {
                    law,
                    payload_type,
                    event_payload_type: event,
                    remote: (address, m.port),
                    direction: m.direction,
                    index,
                });
            }
        }
        if !any_audio {
            return Err(SdpError::NoAudio);
        }
        Err(SdpError::NoCodec {
            offered: offered.join(" "),
        })
    }

    /// The answer: the chosen stream at our address and port, every other stream refused
    /// with port 0 (an answer has as many m= lines as its offer).
    pub fn answer(&self, chosen: &Negotiated, local: IpAddr, port: u16, session_id: u64) -> String {
        let ip = match local {
            IpAddr::V4(_) => "IP4",
            IpAddr::V6(_) => "IP6",
        };
        let mut sdp = String::new();
        let _ = write!(
            sdp,
            "v=0\r\no=kodeoplaeser {session_id} {session_id} IN {ip} {local}\r\ns=kodeoplaeser support\r\nc=IN {ip} {local}\r\nt=0 0\r\n"
        );
        for (index, m) in self.media.iter().enumerate() {
            if index != chosen.index {
                let first = m.formats.first().map_or("0", String::as_str);
                let _ = write!(sdp, "m={} 0 {} {first}\r\n", m.media, m.protocol);
                continue;
            }
            let _ = write!(sdp, "m=audio {port} {} {}", m.protocol, chosen.payload_type);
            if let Some(event) = chosen.event_payload_type {
                let _ = write!(sdp, " {event}");
            }
            let _ = write!(
                sdp,
                "\r\na=rtpmap:{} {}/8000\r\n",
                chosen.payload_type,
                chosen.law.name()
            );
            if let Some(event) = chosen.event_payload_type {
                let _ = write!(
                    sdp,
                    "a=rtpmap:{event} telephone-event/8000\r\na=fmtp:{event} 0-15\r\n"
                );
            }
            let _ = write!(
                sdp,
                "a=ptime:20\r\na={}\r\n",
                chosen.direction.answer().attribute()
            );
        }
        sdp
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const BARESIP: &str =
        "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
        m=audio 10000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n\
        a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendrecv\r\n";

    #[test]
    fn the_first_g711_codec_and_the_event_type_are_chosen() {
        let offer = Offer::parse(BARESIP).unwrap();
        let chosen = offer.negotiate().unwrap();
        assert_eq!(chosen.law, Law::Mu);
        assert_eq!(chosen.payload_type, 0);
        assert_eq!(chosen.event_payload_type, Some(101));
        assert_eq!(chosen.remote, ("127.0.0.1".parse().unwrap(), 10000));
    }

    #[test]
    fn the_answer_uses_the_offers_payload_type_numbers() {
        // PCMA under a dynamic number, events on 96: the answer says the same numbers.
        let text = "v=0\r\nc=IN IP4 10.0.0.5\r\nm=audio 4000 RTP/AVP 18 97 96\r\n\
            a=rtpmap:18 G729/8000\r\na=rtpmap:97 pcma/8000\r\na=rtpmap:96 telephone-event/8000\r\na=sendonly\r\n";
        let offer = Offer::parse(text).unwrap();
        let chosen = offer.negotiate().unwrap();
        assert_eq!(
            (chosen.law, chosen.payload_type, chosen.event_payload_type),
            (Law::A, 97, Some(96))
        );
        let answer = offer.answer(&chosen, "192.0.2.1".parse().unwrap(), 20002, 7);
        assert!(
            answer.contains("m=audio 20002 RTP/AVP 97 96\r\n"),
            "{answer}"
        );
        assert!(answer.contains("a=rtpmap:97 PCMA/8000\r\n"));
        assert!(answer.contains("a=rtpmap:96 telephone-event/8000\r\n"));
        assert!(answer.contains("c=IN IP4 192.0.2.1\r\n"));
        assert!(answer.contains("a=recvonly\r\n"));
        // And the answer is itself valid SDP that negotiates the same.
        let again = Offer::parse(&answer).unwrap().negotiate().unwrap();
        assert_eq!((again.law, again.payload_type), (Law::A, 97));
    }

    #[test]
    fn other_streams_are_refused_with_port_zero() {
        let text =
            "v=0\r\nc=IN IP4 10.0.0.5\r\nm=video 5000 RTP/AVP 96\r\nm=audio 4000 RTP/AVP 8\r\n";
        let offer = Offer::parse(text).unwrap();
        let chosen = offer.negotiate().unwrap();
        assert_eq!(chosen.index, 1);
        let answer = offer.answer(&chosen, "10.0.0.1".parse().unwrap(), 30000, 1);
        let m_lines: Vec<&str> = answer.lines().filter(|l| l.starts_with("m=")).collect();
        assert_eq!(m_lines, ["m=video 0 RTP/AVP 96", "m=audio 30000 RTP/AVP 8"]);
    }

    #[test]
    fn no_usable_codec_names_what_was_offered() {
        let text = "v=0\r\nc=IN IP4 10.0.0.5\r\nm=audio 4000 RTP/AVP 18 9\r\na=rtpmap:18 G729/8000\r\na=rtpmap:9 G722/8000\r\n";
        assert_eq!(
            Offer::parse(text).unwrap().negotiate(),
            Err(SdpError::NoCodec {
                offered: "G729/8000 G722/8000".into()
            })
        );
        let wideband =
            "v=0\r\nc=IN IP4 10.0.0.5\r\nm=audio 4000 RTP/AVP 96\r\na=rtpmap:96 PCMU/16000\r\n";
        assert!(matches!(
            Offer::parse(wideband).unwrap().negotiate(),
            Err(SdpError::NoCodec { .. })
        ));
        let video = "v=0\r\nc=IN IP4 10.0.0.5\r\nm=video 4000 RTP/AVP 96\r\n";
        assert_eq!(
            Offer::parse(video).unwrap().negotiate(),
            Err(SdpError::NoAudio)
        );
        let refused = "v=0\r\nc=IN IP4 10.0.0.5\r\nm=audio 0 RTP/AVP 0\r\n";
        assert_eq!(
            Offer::parse(refused).unwrap().negotiate(),
            Err(SdpError::NoAudio)
        );
        let no_c = "v=0\r\nm=audio 4000 RTP/AVP 0\r\n";
        assert_eq!(
            Offer::parse(no_c).unwrap().negotiate(),
            Err(SdpError::NoAddress)
        );
    }

    #[test]
    fn broken_lines_are_named() {
        let err = Offer::parse("v=0\r\nm=audio x RTP/AVP 0\r\n").unwrap_err();
        assert_eq!(err.to_string(), "SDP line 2: m= port \"x\" is not a number");
        let err = Offer::parse("v=0\r\nc=IN IP4 nowhere\r\n").unwrap_err();
        assert!(err.to_string().starts_with("SDP line 2: c= address"));
        assert!(Offer::parse("hello").is_err());
        assert!(Offer::parse("").is_err());
    }

    proptest! {
        #[test]
        fn garbage_never_panics(text in "[vcmast=0-9 ./:A-Za-z\r\n]{0,300}") {
            if let Ok(offer) = Offer::parse(&text) {
                if let Ok(chosen) = offer.negotiate() {
                    let answer = offer.answer(&chosen, "127.0.0.1".parse().unwrap(), 1, 1);
                    prop_assert!(Offer::parse(&answer).is_ok());
                }
            }
        }

        /// Whatever numbers the offer gives PCMU/PCMA and telephone-event, the answer
        /// names the same ones.
        #[test]
        fn answers_keep_offered_numbers(audio in 96u8..128, event in 96u8..128, alaw in any::<bool>()) {
            prop_assume!(audio != event);
            let name = if alaw { "PCMA" } else { "PCMU" };
            let text = format!("v=0\r\nc=IN IP4 10.1.1.1\r\nm=audio 7000 RTP/AVP {audio} {event}\r\n\
                a=rtpmap:{audio} {name}/8000\r\na=rtpmap:{event} telephone-event/8000\r\n");
            let offer = Offer::parse(&text).unwrap();
            let chosen = offer.negotiate().unwrap();
            let answer = offer.answer(&chosen, "127.0.0.1".parse().unwrap(), 9000, 1);
            let expected_m_line = format!("m=audio 9000 RTP/AVP {audio} {event}\r\n");
            prop_assert!(answer.contains(&expected_m_line));
        }
    }
}
