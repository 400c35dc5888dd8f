//! Builds the simulated device from a provisioning secret, and the demo's world around it:
//! an embedded service on SQLite in a temporary folder with that device imported and
//! activated for a demo user.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use chrono::NaiveDateTime;
use otp::{KeyUri, OtpKind, Secret, Serial};
use reader_device::provision::{self, Provisioned};
use reader_device::{Config, Record};
use service::{Channel, ManualClock, SecretBox, Service};

use crate::sim::Setup;

/// The secret the simulator uses when none is given: RFC 4226's test key, so that codes
/// can be checked by hand with `otp` or oathtool.
pub const DEFAULT_SECRET_URI: &str =
    "otpauth://totp/Kodeopl%C3%A6ser:demo?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Kodeopl%C3%A6ser";
/// The serial number of the simulated device.
pub const DEFAULT_SERIAL: &str = "KP2026000001";

/// [`DEFAULT_SERIAL`] as a serial number.
pub fn default_serial() -> Serial {
    Serial::parse(DEFAULT_SERIAL).expect("the default serial is valid")
}

/// A device with the secret an otpauth URI provisions.
pub fn device_from_uri(uri: &KeyUri, serial: &Serial) -> Result<Setup> {
    setup(provision::from_uri(uri)?, serial)
}

/// A device provisioned from a file (an otpauth URI or PSKC), as the real device is.
pub fn device_from_file(path: &Path, serial: &Serial) -> Result<Setup> {
    setup(provision::load(path, serial, None)?, serial)
}

fn setup(provisioned: Provisioned, serial: &Serial) -> Result<Setup> {
    let config = Config::default();
    let record = Record {
        hotp_next: provisioned.hotp_start,
        ..Record::fresh(&config)
    };
    Ok(Setup {
        config,
        serial: serial.clone(),
        token: Some(provisioned.token),
        record,
        voice_packs: default_voice_packs(),
    })
}

/// The simulator's voice packs: the English default `voice-packs/en-joe` from this source
/// tree (the most intelligible English voice measured, speech/README.md); Danish is said by
/// espeak-ng. A tree without the pack falls back to espeak-ng.
pub fn default_voice_packs() -> Vec<PathBuf> {
    vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("../voice-packs/en-joe")]
}

/// Parses `YYYY-MM-DD HH:MM:SS UTC` into Unix milliseconds.
pub fn parse_start(text: &str) -> Result<u64> {
    let Some(utc) = text.trim().strip_suffix("UTC") else {
        bail!("start time {text:?}: expected \"YYYY-MM-DD HH:MM:SS UTC\"");
    };
    let time = NaiveDateTime::parse_from_str(utc.trim(), "%Y-%m-%d %H:%M:%S")
        .with_context(|| format!("start time {text:?}: expected \"YYYY-MM-DD HH:MM:SS UTC\""))?;
    u64::try_from(time.and_utc().timestamp_millis())
        .with_context(|| format!("start time {text:?} is before 1970"))
}

/// The demo's world: a service in a temporary folder and one device for one user.
pub struct DemoWorld {
    pub dir: tempfile::TempDir,
    pub service: Service,
    pub clock: ManualClock,
    pub uri: KeyUri,
    pub serial: Serial,
    pub user: String,
    pub activation_code: String,
}

/// Makes the demo's world at wall time `unix_ms`: a fresh random secret written as the
/// device's provisioning file (mode 0600), the device imported into an SQLite service,
/// and an activation code issued on paper for the demo user.
pub async fn demo_world(unix_ms: u64) -> Result<DemoWorld> {
    let dir = tempfile::Builder::new()
        .prefix("kodeoplaeser-demo-")
        .tempdir()
        .context("creating the demo folder")?;
    let mut key = vec![0u8; 20];
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut key);
    let serial = default_serial();
    let uri = KeyUri {
        kind: OtpKind::Totp {
            period: otp::DEFAULT_PERIOD,
        },
        issuer: Some("MitID".to_owned()),
        account: serial.to_string(),
        secret: Secret::new(key),
        algorithm: otp::Algorithm::Sha1,
        digits: otp::Digits::SIX,
    };
    let provisioning = dir.path().join("device.otpauth");
    write_private(&provisioning, &uri.to_uri())?;

    let clock = ManualClock::at_ms(i64::try_from(unix_ms).context("time out of range")?);
    let sealer = SecretBox::from_key_file(&dir.path().join("secret.key"))
        .context("creating the service's at-rest key")?;
    let url = format!("sqlite://{}", dir.path().join("kode.db").display());
    let service = Service::open(&url, sealer, Arc::new(clock.clone()))
        .await
        .context("opening the demo service")?;
    service
        .import(&format!("{serial} {}", uri.to_uri()), None, "demo")
        .await
        .context("importing the demo device")?;
    let user = "demo".to_owned();
    let issued = service
        .issue_activation_code(serial.as_str(), &user, Channel::Paper, "demo")
        .await
        .context("issuing an activation code")?;
    Ok(DemoWorld {
        dir,
        service,
        clock,
        uri,
        serial,
        user,
        activation_code: issued.activation_code,
    })
}

/// Writes a file only its owner can read (the device's secret lives in it).
fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The simulator speaks English with the shipped English default, en-joe, and has no
    /// Danish pack (Danish is espeak-ng's).
    #[test]
    fn the_simulator_speaks_english_with_en_joe() {
        let packs = default_voice_packs();
        let Ok(speech::Voice::Pack { packs, .. }) = speech::Voice::packs(&packs) else {
            panic!("the default voice packs load");
        };
        let langs: Vec<_> = packs.iter().map(|pack| pack.lang).collect();
        assert_eq!(langs, [speech::Lang::En]);
        assert!(packs[0].dir.ends_with("voice-packs/en-joe"));
    }

    #[test]
    fn start_times_parse() {
        assert_eq!(
            parse_start("2009-02-13 23:31:30 UTC").unwrap(),
            1_234_567_890_000
        );
        let message = format!("{:#}", parse_start("2009-02-13").unwrap_err());
        assert!(message.contains("YYYY-MM-DD HH:MM:SS UTC"), "{message}");
    }

    #[test]
    fn the_default_secret_is_a_totp_device() {
        let setup = device_from_uri(
            &KeyUri::parse(DEFAULT_SECRET_URI).unwrap(),
            &default_serial(),
        )
        .unwrap();
        assert!(matches!(setup.token, Some(reader_device::Token::Totp(_))));
        assert_eq!(setup.record.hotp_next, None);
    }
}
