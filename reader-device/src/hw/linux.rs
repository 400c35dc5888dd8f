//! Any Linux board through the kernel's standard interfaces (feature `linux`): keys from
//! evdev input devices (a USB keypad, or GPIO buttons through the `gpio-keys` overlay),
//! the screen on an fbdev framebuffer (a panel driver, or DRM's fbdev emulation), wall
//! time from the RTC's sysfs folder, headphones from an input switch
//! (SW_HEADPHONE_INSERT), and audio through cpal to ALSA.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, Instant};

use evdev::{EventSummary, KeyCode, SwitchCode};

use super::alsa::CpalAudio;
use super::terminal::SystemRtc;
use super::{failed, unavailable};
use super::{Display, Hardware, HeadphoneDetect, HwError, Keypad, Mains, Rtc};
use crate::config::LinuxConfig;
use crate::framebuffer::Framebuffer;
use crate::keys::{Edge, Key};
use crate::screen::Screen;

/// Opens every part named in the config.
pub fn open(config: &LinuxConfig) -> Result<Hardware, HwError> {
    let map = config.key_codes().map_err(failed("key map"))?;
    let mut codes = Vec::new();
    for (name, key) in map {
        let code = KeyCode::from_str(&name)
            .map_err(|_| failed("key map")(format!("{name:?} is not an evdev key code")))?;
        codes.push((code, key));
    }
    let rtc: Box<dyn Rtc> = if config.rtc == "system" {
        Box::new(SystemRtc)
    } else {
        Box::new(SysfsRtc::open(Path::new(&config.rtc))?)
    };
    let headphones: Box<dyn HeadphoneDetect> = match config.headphones.as_str() {
        "plugged" => Box::new(Fixed(true)),
        "unplugged" => Box::new(Fixed(false)),
        _ => Box::new(JackSwitch::find()?),
    };
    Ok(Hardware {
        keys: Box::new(EvdevKeypad::open(codes)),
        display: Box::new(FbScreen::open(&config.framebuffer)?),
        audio: Box::new(CpalAudio::new(config.audio.clone())),
        headphones,
        battery: Box::new(Mains),
        rtc,
    })
}

/// Keys from every evdev device that has one of the mapped key codes. Devices are looked
/// for again while none is open (a USB keypad plugged in later).
pub struct EvdevKeypad {
    codes: Vec<(KeyCode, Key)>,
    devices: Vec<evdev::Device>,
    pending: VecDeque<(Key, Edge)>,
    last_scan: Option<Instant>,
}

/// How often to look for a keypad while none is attached.
const RESCAN: Duration = Duration::from_secs(1);

impl EvdevKeypad {
    pub fn open(codes: Vec<(KeyCode, Key)>) -> Self {
        let mut keypad = EvdevKeypad {
            codes,
            devices: Vec::new(),
            pending: VecDeque::new(),
            last_scan: None,
        };
        keypad.scan();
        keypad
    }

    fn scan(&mut self) {
        self.last_scan = Some(Instant::now());
        for (path, device) in evdev::enumerate() {
            let has_a_key = device
                .supported_keys()
                .is_some_and(|keys| self.codes.iter().any(|(code, _)| keys.contains(*code)));
            if !has_a_key {
                continue;
            }
            if let Err(error) = device.set_nonblocking(true) {
                tracing::warn!("keys: {}: {error}", path.display());
                continue;
            }
            tracing::info!(
                "keys from {} ({})",
                path.display(),
                device.name().unwrap_or("unnamed")
            );
            self.devices.push(device);
        }
    }

    fn key(&self, code: KeyCode) -> Option<Key> {
        self.codes
            .iter()
            .find(|(mapped, _)| *mapped == code)
            .map(|(_, key)| *key)
    }

    /// Reads what the ready devices have; drops a device that is gone.
    fn read(&mut self, ready: &[bool]) {
        let mut gone = Vec::new();
        let mut edges = Vec::new();
        for (index, device) in self.devices.iter_mut().enumerate() {
            if !ready[index] {
                continue;
            }
            match device.fetch_events() {
                Ok(events) => {
                    for event in events {
                        // Value 2 is the kernel's autorepeat: the core times holds itself.
                        if let EventSummary::Key(_, code, value @ 0..=1) = event.destructure() {
                            edges.push((code, if value == 1 { Edge::Down } else { Edge::Up }));
                        }
                    }
                }
                Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(error) => {
                    tracing::warn!("keys: {error}; closing that input device");
                    gone.push(index);
                }
            }
        }
        for index in gone.into_iter().rev() {
            self.devices.remove(index);
        }
        for (code, edge) in edges {
            if let Some(key) = self.key(code) {
                self.pending.push_back((key, edge));
            }
        }
    }
}

impl Keypad for EvdevKeypad {
    fn next_edge(&mut self, timeout: Duration) -> Result<Option<(Key, Edge)>, HwError> {
        if let Some(edge) = self.pending.pop_front() {
            return Ok(Some(edge));
        }
        if self.devices.is_empty() {
            if self.last_scan.is_none_or(|last| last.elapsed() >= RESCAN) {
                self.scan();
            }
            if self.devices.is_empty() {
                std::thread::sleep(timeout);
                return Ok(None);
            }
        }
        let mut fds: Vec<libc::pollfd> = self
            .devices
            .iter()
            .map(|device| libc::pollfd {
                fd: device.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            })
            .collect();
        let millis = libc::c_int::try_from(timeout.as_millis()).unwrap_or(libc::c_int::MAX);
        // SAFETY: `fds` is a valid array of `fds.len()` pollfd structs for the whole call.
        let count = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, millis) };
        if count < 0 {
            let error = std::io::Error::last_os_error();
            if error.kind() == std::io::ErrorKind::Interrupted {
                return Ok(None);
            }
            return Err(failed("keys")(format!("poll: {error}")));
        }
        let ready: Vec<bool> = fds.iter().map(|fd| fd.revents != 0).collect();
        self.read(&ready);
        Ok(self.pending.pop_front())
    }
}

/// The jack's detect switch as the kernel reports it: an input device with
/// SW_HEADPHONE_INSERT (an audio codec's jack detect, or a GPIO through `gpio-keys`).
pub struct JackSwitch {
    device: evdev::Device,
}

impl JackSwitch {
    /// The first input device that reports SW_HEADPHONE_INSERT.
    pub fn find() -> Result<Self, HwError> {
        evdev::enumerate()
            .find(|(_, device)| {
                device
                    .supported_switches()
                    .is_some_and(|switches| switches.contains(SwitchCode::SW_HEADPHONE_INSERT))
            })
            .map(|(path, device)| {
                tracing::info!("headphone detect from {}", path.display());
                JackSwitch { device }
            })
            .ok_or_else(|| {
                unavailable("headphone detect")(
                    "no input device reports SW_HEADPHONE_INSERT (set headphones = \"plugged\" \
                     or \"unplugged\" for a board without one)"
                        .into(),
                )
            })
    }
}

impl HeadphoneDetect for JackSwitch {
    fn plugged(&mut self) -> Result<bool, HwError> {
        self.device
            .get_switch_state()
            .map(|state| state.contains(SwitchCode::SW_HEADPHONE_INSERT))
            .map_err(|error| failed("headphone detect")(error.to_string()))
    }
}

impl Drop for FbScreen {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `open`, unmapped once.
        unsafe {
            libc::munmap(self.map.cast(), self.map_len);
        }
    }
}

/// A jack that is always plugged or never (a board without a detect switch).
pub struct Fixed(pub bool);

impl HeadphoneDetect for Fixed {
    fn plugged(&mut self) -> Result<bool, HwError> {
        Ok(self.0)
    }
}

/// The wall time read once from the RTC's sysfs folder (`since_epoch`), then kept by the
/// monotonic clock. An RTC whose time the kernel calls invalid (a DS3231 that lost power)
/// reads as 0, which the core treats as a wrong clock.
pub struct SysfsRtc {
    start_ms: u64,
    started: Instant,
}

impl SysfsRtc {
    pub fn open(dir: &Path) -> Result<Self, HwError> {
        let path = dir.join("since_epoch");
        let started = Instant::now();
        let start_ms = match std::fs::read_to_string(&path) {
            Ok(text) => {
                text.trim().parse::<u64>().map_err(|_| {
                    failed("RTC")(format!(
                        "{}: not a number: {:?}",
                        path.display(),
                        text.trim()
                    ))
                })? * 1000
            }
            Err(error) if error.raw_os_error() == Some(libc::EINVAL) => {
                tracing::error!("the RTC's time is invalid (it lost power)");
                0
            }
            Err(error) => return Err(unavailable("RTC")(format!("{}: {error}", path.display()))),
        };
        Ok(SysfsRtc { start_ms, started })
    }
}

impl Rtc for SysfsRtc {
    fn unix_ms(&mut self) -> Result<u64, HwError> {
        if self.start_ms == 0 {
            return Ok(0);
        }
        let elapsed = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        Ok(self.start_ms.saturating_add(elapsed))
    }
}

/// An fbdev framebuffer (`/dev/fb0`), mapped into memory: the device's framebuffer is
/// drawn white on black at its top left corner, in the framebuffer's pixel format (16, 24
/// or 32 bits per pixel). Drivers that keep a shadow copy (DRM's fbdev emulation, fbtft)
/// notice the written pages and send them to the panel.
pub struct FbScreen {
    file: File,
    map: *mut u8,
    map_len: usize,
    sysfs: PathBuf,
    bytes_per_pixel: usize,
    stride: usize,
    width: u32,
    height: u32,
}

impl FbScreen {
    pub fn open(path: &Path) -> Result<Self, HwError> {
        let part = "framebuffer";
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|error| unavailable(part)(format!("{}: {error}", path.display())))?;
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .ok_or_else(|| failed(part)(format!("{} names no device", path.display())))?;
        let sysfs = Path::new("/sys/class/graphics").join(name);
        let attribute = |attribute: &str| {
            let file = sysfs.join(attribute);
            std::fs::read_to_string(&file)
                .map_err(|error| unavailable(part)(format!("{}: {error}", file.display())))
        };
        let number = |text: &str, what: &str| {
            text.trim()
                .parse::<u32>()
                .map_err(|_| failed(part)(format!("{what} {text:?} is not a number")))
        };
        let bits = number(&attribute("bits_per_pixel")?, "bits_per_pixel")?;
        if !matches!(bits, 16 | 24 | 32) {
            return Err(failed(part)(format!(
                "{bits} bits per pixel is not supported (16, 24 or 32)"
            )));
        }
        let stride = number(&attribute("stride")?, "stride")?;
        let size = attribute("virtual_size")?;
        let (width, height) = size
            .trim()
            .split_once(',')
            .ok_or_else(|| failed(part)(format!("virtual_size {size:?} is not WIDTH,HEIGHT")))?;
        let (width, height) = (number(width, "width")?, number(height, "height")?);
        let map_len = stride as usize * height as usize;
        // SAFETY: a shared mapping of the open framebuffer device, `map_len` bytes (the
        // visible and virtual area); unmapped in `drop`.
        let map = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                map_len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                file.as_raw_fd(),
                0,
            )
        };
        if map == libc::MAP_FAILED {
            let error = std::io::Error::last_os_error();
            return Err(failed(part)(format!("mmap {}: {error}", path.display())));
        }
        let screen = FbScreen {
            file,
            map: map.cast(),
            map_len,
            sysfs,
            bytes_per_pixel: bits as usize / 8,
            stride: stride as usize,
            width,
            height,
        };
        screen.activate()?;
        tracing::info!(
            "screen on {} ({}x{}, {bits} bits per pixel)",
            path.display(),
            screen.width,
            screen.height
        );
        Ok(screen)
    }

    /// Sets the framebuffer's mode again, as it is (FBIOPUT_VSCREENINFO with
    /// FB_ACTIVATE_FORCE). A DRM driver's fbdev emulation turns its output on only when
    /// the mode is set, which otherwise waits for the text console to take over the
    /// framebuffer (the kernel defers that until something is written to it).
    fn activate(&self) -> Result<(), HwError> {
        const FBIOGET_VSCREENINFO: libc::c_ulong = 0x4600;
        const FBIOPUT_VSCREENINFO: libc::c_ulong = 0x4601;
        /// `activate` in struct fb_var_screeninfo (160 bytes), as 32-bit words.
        const ACTIVATE_WORD: usize = 21;
        const FB_ACTIVATE_FORCE: u32 = 128;
        let mut var = [0u32; 40];
        let fd = self.file.as_raw_fd();
        // SAFETY: both ioctls read or write one fb_var_screeninfo, which `var` holds.
        let got = unsafe { libc::ioctl(fd, FBIOGET_VSCREENINFO as _, var.as_mut_ptr()) };
        if got < 0 {
            let error = std::io::Error::last_os_error();
            return Err(failed("framebuffer")(format!(
                "FBIOGET_VSCREENINFO: {error}"
            )));
        }
        var[ACTIVATE_WORD] = FB_ACTIVATE_FORCE;
        // SAFETY: as above.
        let put = unsafe { libc::ioctl(fd, FBIOPUT_VSCREENINFO as _, var.as_mut_ptr()) };
        if put < 0 {
            // A panel driver without mode setting may refuse; its output is on anyway.
            let error = std::io::Error::last_os_error();
            tracing::debug!("framebuffer: FBIOPUT_VSCREENINFO: {error}");
        }
        Ok(())
    }

    /// One pixel in the framebuffer's format: white or black.
    fn pixel(&self, light: bool) -> &'static [u8] {
        let value: &'static [u8; 4] = if light {
            &[0xff, 0xff, 0xff, 0x00]
        } else {
            &[0, 0, 0, 0]
        };
        &value[..self.bytes_per_pixel]
    }
}

impl Display for FbScreen {
    fn show(&mut self, _screen: &Screen, framebuffer: &Framebuffer) -> Result<(), HwError> {
        let width = self.width.min(framebuffer.width());
        let height = self.height.min(framebuffer.height());
        let mut row = Vec::with_capacity(width as usize * self.bytes_per_pixel);
        for y in 0..height {
            row.clear();
            for x in 0..width {
                row.extend_from_slice(self.pixel(framebuffer.is_light(x, y)));
            }
            let offset = y as usize * self.stride;
            assert!(
                offset + row.len() <= self.map_len,
                "row {y} outside the mapping"
            );
            // SAFETY: the row lies inside the mapping (checked above), which lives as long
            // as `self`; nothing else in this process aliases it.
            unsafe {
                std::ptr::copy_nonoverlapping(row.as_ptr(), self.map.add(offset), row.len());
            }
        }
        Ok(())
    }

    fn sleep(&mut self, asleep: bool) -> Result<(), HwError> {
        // fbdev's blanking: 1 powers the panel (or the DRM output) down, 0 up.
        std::fs::write(self.sysfs.join("blank"), if asleep { "1" } else { "0" })
            .map_err(|error| failed("framebuffer")(format!("blank: {error}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{DeviceConfig, HardwareConfig};

    #[test]
    fn the_example_key_maps_name_real_evdev_codes() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        for file in [
            "config/linux.toml",
            "qemu/device.toml",
            "qemu/device-hotp.toml",
        ] {
            let config = DeviceConfig::load(&dir.join(file)).unwrap();
            let HardwareConfig::Linux(linux) = config.hardware else {
                panic!("{file} is not a linux config");
            };
            for (name, _) in linux.key_codes().unwrap() {
                assert!(KeyCode::from_str(&name).is_ok(), "{file}: {name}");
            }
        }
        assert!(KeyCode::from_str("KEY_KP10").is_err());
    }

    #[test]
    fn the_rtc_is_read_from_sysfs_and_runs_on() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("since_epoch"), "1780315200\n").unwrap();
        let mut rtc = SysfsRtc::open(dir.path()).unwrap();
        let now = rtc.unix_ms().unwrap();
        assert!(
            (1_780_315_200_000..1_780_315_205_000).contains(&now),
            "{now}"
        );
        assert!(rtc.unix_ms().unwrap() >= now);

        std::fs::write(dir.path().join("since_epoch"), "soon").unwrap();
        let error = SysfsRtc::open(dir.path()).err().unwrap().to_string();
        assert!(
            error.contains("since_epoch") && error.contains("soon"),
            "{error}"
        );
        let error = SysfsRtc::open(&dir.path().join("rtc9"))
            .err()
            .unwrap()
            .to_string();
        assert!(error.contains("rtc9"), "{error}");
    }
}
