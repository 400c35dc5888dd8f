//! The device program's config file (TOML): identity and files, the core's timings, and
//! which hardware to drive — a text terminal, or the Raspberry Pi with its pin map.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::core::Config as CoreConfig;
use crate::keys::Key;

/// Why a config file was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("reading config {path}: {cause}")]
    Read {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("config {path}: {cause}")]
    Parse {
        path: PathBuf,
        cause: toml::de::Error,
    },
    #[error("config {path}: {problem}")]
    Invalid { path: PathBuf, problem: String },
}

/// A serial number, checked where it is read (the one check, [`otp::Serial::parse`]).
fn serial<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<otp::Serial, D::Error> {
    let text = <String as serde::Deserialize>::deserialize(deserializer)?;
    otp::Serial::parse(&text).map_err(serde::de::Error::custom)
}

/// The whole file.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceConfig {
    /// The serial number printed on the device (letters and digits; spaces and hyphens
    /// only group it), shown and spoken in the activation menu.
    #[serde(deserialize_with = "serial")]
    pub serial: otp::Serial,
    /// The otpauth:// URI or PSKC file with the secret (kept 0600).
    pub provisioning: PathBuf,
    /// A file holding the PSKC pre-shared key in hex, if the PSKC file is encrypted.
    #[serde(default)]
    pub pskc_key_file: Option<PathBuf>,
    /// Where the crash-safe state slots live.
    pub state_dir: PathBuf,
    /// Voice-pack directories, at most one per language (e.g. the Danish pack and the
    /// English en-joe pack); espeak-ng speaks a language whose pack is missing or broken.
    #[serde(default)]
    pub voice_packs: Vec<PathBuf>,
    /// The core's timings and limits.
    #[serde(default)]
    pub device: CoreConfig,
    pub hardware: HardwareConfig,
}

/// Which hardware to drive.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum HardwareConfig {
    /// Keys as lines on stdin, the screen as text on stdout, speech to WAV files.
    Terminal {
        #[serde(default = "default_width")]
        width: u32,
        #[serde(default = "default_height")]
        height: u32,
        /// Each utterance is written here as a WAV file; without it the device is silent.
        #[serde(default)]
        wav_dir: Option<PathBuf>,
        /// Print the framebuffer as half-block characters too.
        #[serde(default)]
        draw_pixels: bool,
        /// The wall time at start, in Unix seconds: the clock starts there and runs at
        /// real speed (tests and demos that must know the code). Default: the system clock.
        #[serde(default)]
        start: Option<u64>,
    },
    /// A Raspberry Pi driven through rppal (needs the `rpi` build feature).
    Pi(PiConfig),
    /// Any Linux board through the kernel's standard interfaces: evdev keys, an fbdev
    /// screen, an RTC, ALSA (needs the `linux` build feature).
    Linux(LinuxConfig),
}

fn default_width() -> u32 {
    240
}

fn default_height() -> u32 {
    240
}

/// The Raspberry Pi's wiring. Pins are BCM GPIO numbers.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PiConfig {
    /// Key name ("0"–"9", "function") → GPIO pin; keys pull the pin to ground.
    pub keys: BTreeMap<String, u8>,
    pub screen: ScreenConfig,
    pub audio: AudioConfig,
    /// GPIO pin of the jack's detect switch.
    pub headphone_detect_pin: u8,
    /// Whether the detect pin reads low when headphones are in.
    #[serde(default = "yes")]
    pub headphone_detect_active_low: bool,
    /// "max17048" (I2C fuel gauge at 0x36) or "mains" (no battery).
    #[serde(default = "default_battery")]
    pub battery: String,
    /// "ds3231" (I2C at 0x68) or "system" (the kernel's clock, e.g. with an rtc overlay).
    #[serde(default = "default_rtc")]
    pub rtc: String,
}

fn yes() -> bool {
    true
}

fn default_battery() -> String {
    "max17048".into()
}

fn default_rtc() -> String {
    "ds3231".into()
}

/// A board driven through the kernel's standard interfaces (the Pi with its device-tree
/// overlays, or the emulated arm64 machine under `reader-device/qemu/`).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinuxConfig {
    /// The key map: evdev key code name ("KEY_KPENTER", "KEY_1", "BTN_0" …) → device key
    /// ("0"–"9", "function"). Several codes may name one key; every key needs one.
    pub keys: BTreeMap<String, String>,
    /// The framebuffer device the screen is drawn on (fbdev, or DRM's fbdev emulation).
    #[serde(default = "default_fbdev")]
    pub framebuffer: PathBuf,
    /// The screen's size in pixels (drawn at the framebuffer's top left corner).
    #[serde(default = "default_width")]
    pub width: u32,
    #[serde(default = "default_height")]
    pub height: u32,
    /// The RTC's sysfs folder (its `since_epoch` is read once at start, then the
    /// monotonic clock runs from there), or "system" for the kernel's clock.
    #[serde(default = "default_rtc_path")]
    pub rtc: String,
    /// How headphones are detected: "switch" (an input device reporting
    /// SW_HEADPHONE_INSERT: a codec's jack detect, or a GPIO through `gpio-keys` with
    /// `linux,input-type = <5>`), "plugged" or "unplugged" (fixed).
    #[serde(default = "default_headphones")]
    pub headphones: String,
    pub audio: AudioConfig,
}

fn default_fbdev() -> PathBuf {
    PathBuf::from("/dev/fb0")
}

fn default_rtc_path() -> String {
    "/sys/class/rtc/rtc0".into()
}

fn default_headphones() -> String {
    "switch".into()
}

impl LinuxConfig {
    /// The key map checked: evdev code name → key, every key named at least once.
    pub fn key_codes(&self) -> Result<Vec<(String, Key)>, String> {
        let mut codes = Vec::new();
        for (code, name) in &self.keys {
            let valid = (code.starts_with("KEY_") || code.starts_with("BTN_"))
                && code.len() > 4
                && code
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
            if !valid {
                return Err(format!(
                    "[hardware.keys] {code:?} is not an evdev key code name (like \"KEY_KP1\")"
                ));
            }
            let key = name
                .parse::<Key>()
                .map_err(|error| format!("[hardware.keys] {code}: {error}"))?;
            codes.push((code.clone(), key));
        }
        for key in Key::ALL {
            if !codes.iter().any(|(_, mapped)| *mapped == key) {
                return Err(format!(
                    "[hardware.keys] no key code is mapped to key {:?}",
                    key.name()
                ));
            }
        }
        match self.headphones.as_str() {
            "switch" | "plugged" | "unplugged" => Ok(codes),
            other => Err(format!(
                "[hardware] headphones = {other:?}: expected \"switch\", \"plugged\" or \"unplugged\""
            )),
        }
    }
}

/// The panel.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(tag = "driver", rename_all = "lowercase", deny_unknown_fields)]
pub enum ScreenConfig {
    /// SPI ST7789 colour panel through `mipidsi`.
    St7789 {
        width: u16,
        height: u16,
        /// SPI0 chip select 0 or 1.
        #[serde(default)]
        chip_select: u8,
        dc_pin: u8,
        reset_pin: u8,
        #[serde(default)]
        backlight_pin: Option<u8>,
    },
    /// I2C SSD1306 128x64 monochrome panel.
    Ssd1306 {
        #[serde(default = "ssd1306_address")]
        address: u8,
    },
}

fn ssd1306_address() -> u8 {
    0x3c
}

/// ALSA devices by name (as `aplay -L` lists them).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AudioConfig {
    pub headphones_device: String,
    pub speaker_device: String,
}

impl ScreenConfig {
    /// The panel's size in pixels.
    pub fn size(&self) -> (u32, u32) {
        match self {
            ScreenConfig::St7789 { width, height, .. } => (u32::from(*width), u32::from(*height)),
            ScreenConfig::Ssd1306 { .. } => (128, 64),
        }
    }
}

impl PiConfig {
    /// The key map as keys, checked: every key has exactly one pin.
    pub fn key_pins(&self) -> Result<Vec<(Key, u8)>, String> {
        let mut pins = Vec::new();
        for (name, pin) in &self.keys {
            let key = name
                .parse::<Key>()
                .map_err(|error| format!("[hardware.keys] {error}"))?;
            if let Some((other, _)) = pins.iter().find(|(_, used)| used == pin) {
                return Err(format!(
                    "[hardware.keys] pin {pin} is used by both {other} and {key}"
                ));
            }
            pins.push((key, *pin));
        }
        for key in Key::ALL {
            if !pins.iter().any(|(mapped, _)| *mapped == key) {
                return Err(format!(
                    "[hardware.keys] key {key:?} has no pin",
                    key = key.name()
                ));
            }
        }
        Ok(pins)
    }
}

impl DeviceConfig {
    /// Reads and checks a config file; paths in it are relative to the file's folder.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|cause| ConfigError::Read {
            path: path.to_owned(),
            cause,
        })?;
        Self::parse(&text, path)
    }

    /// Checks a config's text, without I/O: `path` names it in errors, and relative paths
    /// in it are taken from its folder.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let mut config: DeviceConfig =
            toml::from_str(text).map_err(|cause| ConfigError::Parse {
                path: path.to_owned(),
                cause,
            })?;
        let base = path.parent().unwrap_or(Path::new("."));
        let resolve = |file: &mut PathBuf| {
            if file.is_relative() {
                *file = base.join(&*file);
            }
        };
        resolve(&mut config.provisioning);
        resolve(&mut config.state_dir);
        config.pskc_key_file.as_mut().map(resolve);
        config.voice_packs.iter_mut().for_each(resolve);
        if let HardwareConfig::Terminal {
            wav_dir: Some(dir), ..
        } = &mut config.hardware
        {
            resolve(dir);
        }
        let invalid = |problem: String| ConfigError::Invalid {
            path: path.to_owned(),
            problem,
        };
        let core = &config.device;
        if core.default_volume == 0 || core.default_volume > core.max_volume {
            return Err(invalid(format!(
                "[device] default_volume {} must be between 1 and max_volume {}",
                core.default_volume, core.max_volume
            )));
        }
        if core
            .auto_off_s
            .is_some_and(|off| off < core.auto_off_warning_s + 10)
        {
            return Err(invalid(
                "[device] auto_off_s must leave time after the warning (auto_off_warning_s + 10 s)"
                    .into(),
            ));
        }
        if core.auto_off_warning_s < 20 {
            return Err(invalid(
                "[device] auto_off_warning_s must be at least 20 (WCAG 2.2.1)".into(),
            ));
        }
        match &config.hardware {
            HardwareConfig::Pi(pi) => {
                pi.key_pins().map_err(invalid)?;
            }
            HardwareConfig::Linux(linux) => {
                linux.key_codes().map_err(invalid)?;
            }
            HardwareConfig::Terminal { .. } => {}
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_configs_load() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
        for name in [
            "pi.toml",
            "terminal.toml",
            "linux.toml",
            "../qemu/device.toml",
        ] {
            let config = DeviceConfig::load(&dir.join(name))
                .unwrap_or_else(|error| panic!("{name}: {error}"));
            assert!(config.provisioning.is_absolute());
        }
    }

    /// The Pi config's voice packs are in the .deb (cargo-deb assets in Cargo.toml), each
    /// validates, and they are the shipped defaults: Danish from voice-packs/da, English
    /// from voice-packs/en-joe (the most intelligible English voice, speech/README.md).
    #[test]
    fn the_shipped_voice_packs_are_packaged() {
        let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let config = DeviceConfig::load(&crate_dir.join("config/pi.toml")).unwrap();
        let manifest: toml::Value =
            toml::from_str(&std::fs::read_to_string(crate_dir.join("Cargo.toml")).unwrap())
                .unwrap();
        let assets = manifest["package"]["metadata"]["deb"]["assets"]
            .as_array()
            .unwrap();
        let mut by_lang = std::collections::BTreeMap::new();
        for installed in &config.voice_packs {
            let dest = format!("{}/", installed.strip_prefix("/").unwrap().display());
            let source = assets
                .iter()
                .find(|asset| asset[1].as_str() == Some(dest.as_str()))
                .unwrap_or_else(|| panic!("{} is not in the .deb's assets", installed.display()))
                [0]
            .as_str()
            .unwrap()
            .strip_suffix("/*")
            .expect("a pack is packaged as DIR/*")
            .to_owned();
            let pack = speech::pack::VoicePack::load(&crate_dir.join(&source))
                .unwrap_or_else(|error| panic!("{source}: {error}"));
            by_lang.insert(pack.lang.code(), source);
        }
        assert_eq!(
            by_lang.into_iter().collect::<Vec<_>>(),
            [
                ("da", "../voice-packs/da".to_owned()),
                ("en", "../voice-packs/en-joe".to_owned())
            ]
        );
    }

    #[test]
    fn errors_name_the_file_and_the_problem() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.toml");
        std::fs::write(
            &path,
            "serial = \"KR1\"\nprovisioning = \"s\"\nstate_dir = \"st\"\n[device]\ndefault_volume = 0\n[hardware]\nkind = \"terminal\"\n",
        )
        .unwrap();
        let message = DeviceConfig::load(&path).unwrap_err().to_string();
        assert!(
            message.contains("bad.toml") && message.contains("default_volume"),
            "{message}"
        );
        std::fs::write(&path, "serial = 3").unwrap();
        assert!(matches!(
            DeviceConfig::load(&path),
            Err(ConfigError::Parse { .. })
        ));
        let linux = "serial = \"KR1\"\nprovisioning = \"s\"\nstate_dir = \"st\"\n[hardware]\nkind = \"linux\"\n[hardware.audio]\nheadphones_device = \"default\"\nspeaker_device = \"default\"\n[hardware.keys]\n";
        let all_but_red: String = (0..10).map(|d| format!("KEY_KP{d} = \"{d}\"\n")).collect();
        std::fs::write(&path, format!("{linux}{all_but_red}")).unwrap();
        let message = DeviceConfig::load(&path).unwrap_err().to_string();
        assert!(message.contains("key \"function\""), "{message}");
        std::fs::write(&path, format!("{linux}{all_but_red}kp_enter = \"f\"\n")).unwrap();
        let message = DeviceConfig::load(&path).unwrap_err().to_string();
        assert!(
            message.contains("\"kp_enter\" is not an evdev key"),
            "{message}"
        );
        std::fs::write(&path, format!("{linux}{all_but_red}KEY_KPENTER = \"11\"\n")).unwrap();
        let message = DeviceConfig::load(&path).unwrap_err().to_string();
        assert!(
            message.contains("KEY_KPENTER") && message.contains("11"),
            "{message}"
        );
        std::fs::write(
            &path,
            format!("{linux}{all_but_red}KEY_KPENTER = \"red\"\n"),
        )
        .unwrap();
        DeviceConfig::load(&path).unwrap();
        std::fs::write(&path, "serial = \"KP20,26\"").unwrap();
        let message = DeviceConfig::load(&path).unwrap_err().to_string();
        assert!(message.contains("',' at position 5"), "{message}");
    }
}
