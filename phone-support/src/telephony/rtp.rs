//! RTP (RFC 3550) packets: parsing what arrives, whatever it is, into a validated view, and
//! building the 20 ms G.711 packets the menu sends (marker on the first, timestamp +160).

/// Samples in one 20 ms packet at 8 kHz.
pub const SAMPLES_PER_PACKET: u32 = 160;
/// The packet interval.
pub const PACKET_INTERVAL: std::time::Duration = std::time::Duration::from_millis(20);
const HEADER_LEN: usize = 12;

/// Why bytes are not an RTP packet we can use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RtpError {
    #[error("{0} bytes is shorter than the 12-byte RTP header")]
    TooShort(usize),
    #[error("RTP version {0}, expected 2")]
    Version(u8),
    #[error("{csrcs} CSRCs and the header extension do not fit in {len} bytes")]
    HeaderOverrun { csrcs: u8, len: usize },
    #[error("padding of {padding} bytes does not fit in a {len}-byte payload")]
    BadPadding { padding: usize, len: usize },
}

/// A parsed RTP packet, borrowing its payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<'a> {
    pub marker: bool,
    pub payload_type: u8,
    pub sequence: u16,
    pub timestamp: u32,
    pub ssrc: u32,
    pub payload: &'a [u8],
}

impl<'a> Packet<'a> {
    /// Parses a datagram; CSRCs, header extensions and padding are skipped.
    pub fn parse(bytes: &'a [u8]) -> Result<Packet<'a>, RtpError> {
        if bytes.len() < HEADER_LEN {
            return Err(RtpError::TooShort(bytes.len()));
        }
        let version = bytes[0] >> 6;
        if version != 2 {
            return Err(RtpError::Version(version));
        }
        let padded = bytes[0] & 0x20 != 0;
        let extended = bytes[0] & 0x10 != 0;
        let csrcs = bytes[0] & 0x0F;
        let mut start = HEADER_LEN + 4 * usize::from(csrcs);
        let overrun = RtpError::HeaderOverrun {
            csrcs,
            len: bytes.len(),
        };
        if extended {
            let words = bytes.get(start + 2..start + 4).ok_or(overrun.clone())?;
            start += 4 + 4 * usize::from(u16::from_be_bytes([words[0], words[1]]));
        }
        if start > bytes.len() {
            return Err(overrun);
        }
        let mut end = bytes.len();
        if padded {
            let padding = usize::from(bytes[end - 1]);
            if padding == 0 || padding > end - start {
                return Err(RtpError::BadPadding {
                    padding,
                    len: end - start,
                });
            }
            end -= padding;
        }
        Ok(Packet {
            marker: bytes[1] & 0x80 != 0,
            payload_type: bytes[1] & 0x7F,
            sequence: u16::from_be_bytes([bytes[2], bytes[3]]),
            timestamp: u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]),
            ssrc: u32::from_be_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]),
            payload: &bytes[start..end],
        })
    }

    /// The packet as bytes (no CSRCs, no extension, no padding).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN + self.payload.len());
        self.write_into(&mut out);
        out
    }

    /// Appends the packet to `out`.
    pub fn write_into(&self, out: &mut Vec<u8>) {
        out.push(0x80);
        out.push(u8::from(self.marker) << 7 | (self.payload_type & 0x7F));
        out.extend_from_slice(&self.sequence.to_be_bytes());
        out.extend_from_slice(&self.timestamp.to_be_bytes());
        out.extend_from_slice(&self.ssrc.to_be_bytes());
        out.extend_from_slice(self.payload);
    }
}

/// The sending side of one RTP stream: numbers packets and stamps them 160 samples apart;
/// the first carries the marker bit.
#[derive(Debug, Clone)]
pub struct Sender {
    payload_type: u8,
    ssrc: u32,
    sequence: u16,
    timestamp: u32,
    first: bool,
}

impl Sender {
    /// Starts a stream; `sequence` and `timestamp` should be random (RFC 3550 §5.1).
    pub fn new(payload_type: u8, ssrc: u32, sequence: u16, timestamp: u32) -> Self {
        Sender {
            payload_type,
            ssrc,
            sequence,
            timestamp,
            first: true,
        }
    }

    /// The next packet around 20 ms of encoded audio, written into `out` (cleared first).
    pub fn next_into(&mut self, payload: &[u8], out: &mut Vec<u8>) {
        out.clear();
        Packet {
            marker: self.first,
            payload_type: self.payload_type,
            sequence: self.sequence,
            timestamp: self.timestamp,
            ssrc: self.ssrc,
            payload,
        }
        .write_into(out);
        self.first = false;
        self.sequence = self.sequence.wrapping_add(1);
        self.timestamp = self.timestamp.wrapping_add(SAMPLES_PER_PACKET);
    }

    pub fn next(&mut self, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        self.next_into(payload, &mut out);
        out
    }

    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_stream_marks_its_first_packet_and_steps_160() {
        let mut sender = Sender::new(8, 0xDEAD_BEEF, 65535, u32::MAX - 100);
        let payload = [0xD5u8; 160];
        let first = sender.next(&payload);
        let second = sender.next(&payload);
        let a = Packet::parse(&first).unwrap();
        let b = Packet::parse(&second).unwrap();
        assert_eq!(first.len(), 172);
        assert!(a.marker && !b.marker);
        assert_eq!((a.payload_type, a.ssrc), (8, 0xDEAD_BEEF));
        assert_eq!((a.sequence, b.sequence), (65535, 0));
        assert_eq!(b.timestamp, a.timestamp.wrapping_add(160));
        assert_eq!(b.payload, &payload[..]);
    }

    #[test]
    fn csrcs_extensions_and_padding_are_skipped() {
        let mut bytes = vec![0x80 | 0x20 | 0x10 | 0x01, 101, 0, 7, 0, 0, 0, 9, 0, 0, 0, 5];
        bytes.extend([1, 2, 3, 4]); // one CSRC
        bytes.extend([0xBE, 0xDE, 0, 1, 9, 9, 9, 9]); // an extension of one word
        bytes.extend([0x01, 0x0A, 0x00, 0xA0]); // the payload
        bytes.extend([0, 0, 3]); // three bytes of padding
        let packet = Packet::parse(&bytes).unwrap();
        assert_eq!(packet.payload, &[0x01, 0x0A, 0x00, 0xA0]);
        assert_eq!(
            (packet.payload_type, packet.sequence, packet.timestamp),
            (101, 7, 9)
        );
    }

    #[test]
    fn bad_packets_say_what_is_wrong() {
        assert_eq!(Packet::parse(&[0x80; 5]), Err(RtpError::TooShort(5)));
        assert_eq!(Packet::parse(&[0x40; 12]), Err(RtpError::Version(1)));
        let mut many_csrcs = vec![0x8F, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        many_csrcs.extend([0; 8]);
        assert!(matches!(
            Packet::parse(&many_csrcs),
            Err(RtpError::HeaderOverrun { csrcs: 15, .. })
        ));
        let mut padded = vec![0xA0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2];
        padded.push(9);
        assert!(matches!(
            Packet::parse(&padded),
            Err(RtpError::BadPadding { padding: 9, .. })
        ));
    }

    proptest! {
        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            if let Ok(packet) = Packet::parse(&bytes) {
                prop_assert!(packet.payload.len() <= bytes.len() - HEADER_LEN);
            }
        }

        #[test]
        fn built_packets_parse_back(
            marker in any::<bool>(), payload_type in 0u8..128, sequence in any::<u16>(),
            timestamp in any::<u32>(), ssrc in any::<u32>(),
            payload in proptest::collection::vec(any::<u8>(), 0..200),
        ) {
            let packet = Packet { marker, payload_type, sequence, timestamp, ssrc, payload: &payload };
            let bytes = packet.to_bytes();
            prop_assert_eq!(Packet::parse(&bytes).unwrap(), packet);
        }
    }
}
