//! The line's configuration file (TOML), read into [`Settings`]: ports, the advertised
//! address, limits, flows, voice. Every field is optional; command-line options win.
//! Errors name the field and what is wrong with it.

use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::prompts::VoiceChoice;
use super::{Limits, QueueSettings, Settings};
use crate::rules::hours::{parse_span, OpeningHours};

/// The file as written.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LineConfig {
    /// "ADDRESS:PORT" for SIP over UDP.
    pub listen: Option<String>,
    /// "FROM-TO", or "0" for ports the system picks.
    pub rtp_ports: Option<String>,
    /// The address callers reach us at (SDP c=, Contact); needed when listening on 0.0.0.0.
    pub advertise: Option<String>,
    pub max_calls: Option<u64>,
    pub call_limit_secs: Option<u64>,
    pub inactivity_secs: Option<u64>,
    pub ring_ms: Option<u64>,
    /// Flow files; empty or absent: the shipped flows.
    pub flows: Option<Vec<PathBuf>>,
    /// "espeak", "none", or the directory of a voice pack.
    pub voice: Option<String>,
    pub transcripts: Option<PathBuf>,
    pub stats_file: Option<PathBuf>,
    /// "ADDRESS:PORT" of the control API for the agents' console; absent: none.
    pub control: Option<String>,
    /// The menu's languages, the first spoken first ("da", "en").
    pub languages: Option<Vec<String>>,
    /// The first guess of the wait each caller ahead in the queue adds, in seconds.
    pub queue_wait_per_caller_secs: Option<u64>,
    /// How often a waiting caller hears the place in the queue, in seconds.
    pub queue_announce_secs: Option<u64>,
    /// Opening hours Monday–Friday, "OPEN-CLOSE" in whole hours (default "8-20").
    pub hours_weekdays: Option<String>,
    /// Opening hours on Saturdays, Sundays and public holidays (default "10-16").
    pub hours_weekends: Option<String>,
}

/// A configuration problem, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct ConfigError {
    pub field: &'static str,
    pub problem: String,
}

fn bad(field: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        field,
        problem: problem.into(),
    }
}

impl LineConfig {
    pub fn parse(text: &str) -> Result<LineConfig, ConfigError> {
        toml::from_str(text).map_err(|e| bad("config", e.to_string()))
    }

    /// Fields set in `over` replace those here.
    pub fn overridden_by(self, over: LineConfig) -> LineConfig {
        LineConfig {
            listen: over.listen.or(self.listen),
            rtp_ports: over.rtp_ports.or(self.rtp_ports),
            advertise: over.advertise.or(self.advertise),
            max_calls: over.max_calls.or(self.max_calls),
            call_limit_secs: over.call_limit_secs.or(self.call_limit_secs),
            inactivity_secs: over.inactivity_secs.or(self.inactivity_secs),
            ring_ms: over.ring_ms.or(self.ring_ms),
            flows: over.flows.filter(|f| !f.is_empty()).or(self.flows),
            voice: over.voice.or(self.voice),
            transcripts: over.transcripts.or(self.transcripts),
            stats_file: over.stats_file.or(self.stats_file),
            control: over.control.or(self.control),
            languages: over.languages.or(self.languages),
            queue_wait_per_caller_secs: over
                .queue_wait_per_caller_secs
                .or(self.queue_wait_per_caller_secs),
            queue_announce_secs: over.queue_announce_secs.or(self.queue_announce_secs),
            hours_weekdays: over.hours_weekdays.or(self.hours_weekdays),
            hours_weekends: over.hours_weekends.or(self.hours_weekends),
        }
    }

    /// The settings, with defaults for what is not set.
    pub fn settings(&self) -> Result<(Settings, VoiceChoice, Vec<PathBuf>), ConfigError> {
        let listen: SocketAddr = self
            .listen
            .as_deref()
            .unwrap_or("127.0.0.1:5060")
            .parse()
            .map_err(|_| {
                bad(
                    "listen",
                    format!(
                        "{:?} is not ADDRESS:PORT",
                        self.listen.as_deref().unwrap_or_default()
                    ),
                )
            })?;
        let rtp_ports = parse_ports(self.rtp_ports.as_deref().unwrap_or("20000-20999"))?;
        let advertise: IpAddr = match &self.advertise {
            Some(text) => text
                .parse()
                .map_err(|_| bad("advertise", format!("{text:?} is not an IP address")))?,
            None if listen.ip().is_unspecified() => {
                return Err(bad(
                    "advertise",
                    format!(
                        "listening on {} needs the address callers reach (--advertise)",
                        listen.ip()
                    ),
                ))
            }
            None => listen.ip(),
        };
        let defaults = Limits::default();
        let positive = |field: &'static str, value: Option<u64>, default: u64| match value {
            Some(0) => Err(bad(field, "must be more than 0")),
            Some(v) => Ok(v),
            None => Ok(default),
        };
        let limits = Limits {
            max_calls: positive("max_calls", self.max_calls, defaults.max_calls)?,
            call_limit: Duration::from_secs(positive(
                "call_limit_secs",
                self.call_limit_secs,
                defaults.call_limit.as_secs(),
            )?),
            inactivity: Duration::from_secs(positive(
                "inactivity_secs",
                self.inactivity_secs,
                defaults.inactivity.as_secs(),
            )?),
            ring: self.ring_ms.map_or(defaults.ring, Duration::from_millis),
        };
        let voice = match self.voice.as_deref().unwrap_or("espeak") {
            "espeak" => VoiceChoice::Espeak,
            "none" => VoiceChoice::Silent,
            "" => {
                return Err(bad(
                    "voice",
                    "empty: use espeak, none or a voice pack directory",
                ))
            }
            dir => VoiceChoice::Pack(PathBuf::from(dir)),
        };
        let control = match &self.control {
            Some(text) => Some(
                text.parse::<SocketAddr>()
                    .map_err(|_| bad("control", format!("{text:?} is not ADDRESS:PORT")))?,
            ),
            None => None,
        };
        let mut languages = Vec::new();
        for code in self.languages.iter().flatten() {
            let lang: speech::Lang = code
                .parse()
                .map_err(|e: speech::UnknownLang| bad("languages", e.to_string()))?;
            if languages.contains(&lang) {
                return Err(bad("languages", format!("{code:?} is listed twice")));
            }
            languages.push(lang);
        }
        if self.languages.is_some() && languages.is_empty() {
            return Err(bad("languages", "list at least one of \"da\", \"en\""));
        }
        let queue_defaults = QueueSettings::default();
        let queue = QueueSettings {
            wait_per_caller: Duration::from_secs(positive(
                "queue_wait_per_caller_secs",
                self.queue_wait_per_caller_secs,
                queue_defaults.wait_per_caller.as_secs(),
            )?),
            announce_every: Duration::from_secs(positive(
                "queue_announce_secs",
                self.queue_announce_secs,
                queue_defaults.announce_every.as_secs(),
            )?),
        };
        let published = OpeningHours::default();
        let span = |field: &'static str, text: &Option<String>, default| match text {
            Some(text) => parse_span(field, text).map_err(|e| bad(field, e.to_string())),
            None => Ok(default),
        };
        let hours = OpeningHours {
            weekdays: span("hours_weekdays", &self.hours_weekdays, published.weekdays)?,
            weekends: span("hours_weekends", &self.hours_weekends, published.weekends)?,
        };
        let settings = Settings {
            hours,
            control,
            control_token: None,
            languages,
            queue,
            listen,
            rtp_ports,
            advertise,
            limits,
            transcripts: self.transcripts.clone(),
            stats_file: self.stats_file.clone(),
            fixed_time: None,
            service: None,
        };
        Ok((settings, voice, self.flows.clone().unwrap_or_default()))
    }
}

/// "20000-20999" (even-sized ranges of at least two ports) or "0".
pub fn parse_ports(text: &str) -> Result<RangeInclusive<u16>, ConfigError> {
    if text.trim() == "0" {
        return Ok(0..=0);
    }
    let (from, to) = text
        .split_once('-')
        .ok_or_else(|| bad("rtp_ports", format!("{text:?} is not FROM-TO")))?;
    let number = |t: &str| {
        t.trim()
            .parse::<u16>()
            .map_err(|_| bad("rtp_ports", format!("{t:?} is not a port number")))
    };
    let (from, to) = (number(from)?, number(to)?);
    if from == 0 || to <= from {
        return Err(bad("rtp_ports", format!("{text:?}: need 0 < FROM < TO")));
    }
    Ok(from..=to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_config_parses() {
        let text = include_str!("../../config/support-line.toml");
        let config = LineConfig::parse(text).unwrap();
        let (settings, voice, flows) = config.settings().unwrap();
        assert_eq!(settings.listen.port(), 5060);
        assert_eq!(settings.rtp_ports, 20000..=20999);
        assert_eq!(voice, VoiceChoice::Espeak);
        assert!(flows.is_empty());
        assert_eq!(settings.hours, OpeningHours::default());
        assert_eq!(settings.languages, [speech::Lang::Da, speech::Lang::En]);
        assert_eq!(settings.control, Some("127.0.0.1:5070".parse().unwrap()));
    }

    #[test]
    fn hours_languages_and_queue_settings_are_checked() {
        let config = LineConfig::parse(
            "hours_weekdays = \"9-17\"\nlanguages = [\"en\"]\nqueue_announce_secs = 30\n",
        )
        .unwrap();
        let (settings, ..) = config.settings().unwrap();
        assert_eq!(settings.hours.weekdays, (9, 17));
        assert_eq!(settings.hours.weekends, (10, 16));
        assert_eq!(settings.languages, [speech::Lang::En]);
        assert_eq!(settings.queue.announce_every, Duration::from_secs(30));
        for (text, field, problem) in [
            (
                "hours_weekdays = \"20-8\"",
                "hours_weekdays",
                "open before it closes",
            ),
            ("hours_weekends = \"10\"", "hours_weekends", "OPEN-CLOSE"),
            ("hours_weekends = \"10-25\"", "hours_weekends", "0 to 24"),
            ("languages = [\"de\"]", "languages", "unknown language"),
            ("languages = []", "languages", "at least one"),
            ("languages = [\"da\", \"da\"]", "languages", "twice"),
            ("control = \"here\"", "control", "ADDRESS:PORT"),
            (
                "queue_announce_secs = 0",
                "queue_announce_secs",
                "more than 0",
            ),
        ] {
            let error = LineConfig::parse(text).unwrap().settings().unwrap_err();
            assert_eq!(error.field, field, "{text}");
            assert!(error.problem.contains(problem), "{text}: {error}");
        }
    }

    #[test]
    fn options_override_the_file_and_errors_name_the_field() {
        let file =
            LineConfig::parse("listen = \"0.0.0.0:5060\"\nadvertise = \"192.0.2.7\"\n").unwrap();
        let over = LineConfig {
            listen: Some("127.0.0.1:0".into()),
            ..LineConfig::default()
        };
        let (settings, ..) = file.clone().overridden_by(over).settings().unwrap();
        assert_eq!(settings.listen, "127.0.0.1:0".parse().unwrap());
        assert_eq!(settings.advertise, "192.0.2.7".parse::<IpAddr>().unwrap());

        let unspecified = LineConfig::parse("listen = \"0.0.0.0:5060\"").unwrap();
        assert_eq!(unspecified.settings().unwrap_err().field, "advertise");
        assert_eq!(parse_ports("3000-2000").unwrap_err().field, "rtp_ports");
        assert_eq!(parse_ports("0").unwrap(), 0..=0);
        let unknown = LineConfig::parse("lisen = \"x\"").unwrap_err();
        assert!(unknown.problem.contains("unknown field"), "{unknown}");
        let zero = LineConfig::parse("max_calls = 0").unwrap();
        assert_eq!(
            zero.settings().unwrap_err().to_string(),
            "max_calls: must be more than 0"
        );
    }
}
