//! G.711 µ-law and A-law (ITU-T G.711), bit for bit as sox encodes them: the sample is
//! rounded to 14 bits (µ-law) or 13 bits (A-law), then coded as the Sun reference code does.

/// The codecs a telephone line speaks, by their static RTP payload types (RFC 3551).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Law {
    /// PCMU, payload type 0 (North America, Japan).
    Mu,
    /// PCMA, payload type 8 (Europe, Denmark included).
    A,
}

impl Law {
    /// The SDP encoding name.
    pub fn name(self) -> &'static str {
        match self {
            Law::Mu => "PCMU",
            Law::A => "PCMA",
        }
    }

    /// The static payload type of RFC 3551.
    pub fn static_payload_type(self) -> u8 {
        match self {
            Law::Mu => 0,
            Law::A => 8,
        }
    }

    pub fn encode(self, sample: i16) -> u8 {
        match self {
            Law::Mu => ulaw_encode(sample),
            Law::A => alaw_encode(sample),
        }
    }

    pub fn decode(self, byte: u8) -> i16 {
        match self {
            Law::Mu => ulaw_decode(byte),
            Law::A => alaw_decode(byte),
        }
    }

    /// The byte of silence (what decodes to zero or closest to it).
    pub fn silence(self) -> u8 {
        match self {
            Law::Mu => 0xFF,
            Law::A => 0xD5,
        }
    }

    pub fn encode_all(self, samples: &[i16]) -> Vec<u8> {
        samples.iter().map(|s| self.encode(*s)).collect()
    }

    pub fn decode_all(self, bytes: &[u8]) -> Vec<i16> {
        bytes.iter().map(|b| self.decode(*b)).collect()
    }
}

/// The segment of a magnitude: the first end it does not exceed.
fn segment(value: i32, ends: &[i32; 8]) -> usize {
    ends.iter().position(|end| value <= *end).unwrap_or(8)
}

const ULAW_ENDS: [i32; 8] = [0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF];
const ULAW_BIAS: i32 = 0x21;
const ULAW_CLIP: i32 = 8159;

/// One sample to µ-law.
pub fn ulaw_encode(sample: i16) -> u8 {
    // Round to nearest (halves up) 14-bit value, as sox does, rather than truncate.
    let mut pcm = ((i32::from(sample) + 2) >> 2).min(0x1FFF);
    let mask: u8 = if pcm < 0 {
        pcm = -pcm;
        0x7F
    } else {
        0xFF
    };
    pcm = pcm.min(ULAW_CLIP) + ULAW_BIAS;
    let seg = segment(pcm, &ULAW_ENDS);
    if seg >= 8 {
        return 0x7F ^ mask;
    }
    let value = ((seg as i32) << 4) | ((pcm >> (seg + 1)) & 0x0F);
    (value as u8) ^ mask
}

/// One µ-law byte to a 16-bit sample.
pub fn ulaw_decode(byte: u8) -> i16 {
    let u = !byte;
    let mut t = (i32::from(u & 0x0F) << 3) + 0x84;
    t <<= (u & 0x70) >> 4;
    let value = if u & 0x80 != 0 { 0x84 - t } else { t - 0x84 };
    value as i16
}

const ALAW_ENDS: [i32; 8] = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF];

/// One sample to A-law.
pub fn alaw_encode(sample: i16) -> u8 {
    let mut pcm = ((i32::from(sample) + 4) >> 3).min(0xFFF);
    let mask: u8 = if pcm >= 0 {
        0xD5
    } else {
        pcm = -pcm - 1;
        0x55
    };
    let seg = segment(pcm, &ALAW_ENDS);
    if seg >= 8 {
        return 0x7F ^ mask;
    }
    let mantissa = if seg < 2 { pcm >> 1 } else { pcm >> seg } & 0x0F;
    (((seg as i32) << 4 | mantissa) as u8) ^ mask
}

/// One A-law byte to a 16-bit sample.
pub fn alaw_decode(byte: u8) -> i16 {
    let a = byte ^ 0x55;
    let mut t = i32::from(a & 0x0F) << 4;
    let seg = (a & 0x70) >> 4;
    match seg {
        0 => t += 8,
        1 => t += 0x108,
        _ => {
            t += 0x108;
            t <<= seg - 1;
        }
    }
    let value = if a & 0x80 != 0 { t } else { -t };
    value as i16
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn silence_decodes_to_zero_or_next_to_it() {
        assert_eq!(ulaw_decode(Law::Mu.silence()), 0);
        assert_eq!(alaw_decode(Law::A.silence()), 8);
        assert_eq!(ulaw_encode(0), 0xFF);
        assert_eq!(alaw_encode(0), 0xD5);
    }

    #[test]
    fn extremes_encode_to_the_largest_codes() {
        assert_eq!(ulaw_encode(i16::MAX), 0x80);
        assert_eq!(ulaw_encode(i16::MIN), 0x00);
        assert_eq!(alaw_encode(i16::MAX), 0xAA);
        assert_eq!(alaw_encode(i16::MIN), 0x2A);
        assert_eq!(ulaw_decode(0x80), 32124);
        assert_eq!(alaw_decode(0xAA), 32256);
    }

    #[test]
    fn every_code_survives_decode_then_encode() {
        for byte in 0..=255u8 {
            // µ-law has two zeros (0x7F and 0xFF); both decode to 0, which encodes as 0xFF.
            let back = ulaw_encode(ulaw_decode(byte));
            assert!(
                back == byte || (byte == 0x7F && back == 0xFF),
                "µ-law {byte:#04x}"
            );
            assert_eq!(alaw_encode(alaw_decode(byte)), byte, "A-law {byte:#04x}");
        }
    }

    proptest! {
        /// The quantisation error stays within half a step of the segment (about 3 % of
        /// the value, and a few units near zero).
        #[test]
        fn decode_of_encode_is_close(sample in any::<i16>()) {
            for law in [Law::Mu, Law::A] {
                let back = i32::from(law.decode(law.encode(sample)));
                let error = (back - i32::from(sample)).abs();
                let allowed = (i32::from(sample).abs() / 16).max(16) + 8;
                prop_assert!(error <= allowed, "{law:?} {sample} -> {back}");
            }
        }

        /// Louder samples never get quieter codes.
        #[test]
        fn encoding_is_monotonic(a in any::<i16>(), b in any::<i16>()) {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            for law in [Law::Mu, Law::A] {
                prop_assert!(law.decode(law.encode(lo)) <= law.decode(law.encode(hi)));
            }
        }
    }
}
