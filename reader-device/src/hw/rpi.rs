//! The Raspberry Pi's parts (feature `rpi`): keys on GPIO with pull-ups and edge
//! interrupts (rppal), an SPI ST7789 (mipidsi) or I2C SSD1306 screen, a DS3231 RTC and a
//! MAX17048 battery gauge over I2C, and audio through cpal to ALSA devices by name.

use std::time::Duration;

use embedded_graphics::pixelcolor::{Rgb565, RgbColor};
use mipidsi::interface::SpiInterface;
use mipidsi::models::ST7789;
use mipidsi::options::ColorInversion;
use rppal::gpio::{Gpio, InputPin, OutputPin, Trigger};
use rppal::hal::Delay;
use rppal::i2c::I2c;
use rppal::spi::{Bus, Mode, SimpleHalSpiDevice, SlaveSelect, Spi};
use ssd1306::mode::{BufferedGraphicsMode, DisplayConfig};
use ssd1306::prelude::I2CInterface;
use ssd1306::size::DisplaySize128x64;
use ssd1306::{I2CDisplayInterface, Ssd1306};

use super::alsa::CpalAudio;
use super::terminal::SystemRtc;
use super::{failed, unavailable};
use super::{Battery, Display, Hardware, HeadphoneDetect, HwError, Keypad, Mains, Rtc};
use crate::config::{PiConfig, ScreenConfig};
use crate::framebuffer::Framebuffer;
use crate::keys::{Edge, Key};
use crate::screen::Screen;

/// Opens every part named in the config.
pub fn open(config: &PiConfig) -> Result<Hardware, HwError> {
    let gpio = Gpio::new().map_err(|e| unavailable("GPIO")(e.to_string()))?;
    let keys = config.key_pins().map_err(failed("key map"))?;
    let rtc: Box<dyn Rtc> = match config.rtc.as_str() {
        "ds3231" => Box::new(Ds3231::open()?),
        "system" => Box::new(SystemRtc),
        other => {
            return Err(failed("RTC")(format!(
                "unknown rtc {other:?} (ds3231 or system)"
            )))
        }
    };
    let battery: Box<dyn Battery> = match config.battery.as_str() {
        "max17048" => Box::new(Max17048::open()?),
        "mains" => Box::new(Mains),
        other => {
            return Err(failed("battery")(format!(
                "unknown battery {other:?} (max17048 or mains)"
            )))
        }
    };
    let display: Box<dyn Display> = match &config.screen {
        ScreenConfig::St7789 {
            width,
            height,
            chip_select,
            dc_pin,
            reset_pin,
            backlight_pin,
        } => Box::new(St7789Panel::open(
            &gpio,
            *width,
            *height,
            *chip_select,
            *dc_pin,
            *reset_pin,
            *backlight_pin,
        )?),
        ScreenConfig::Ssd1306 { address } => Box::new(Ssd1306Panel::open(*address)?),
    };
    Ok(Hardware {
        keys: Box::new(GpioKeypad::open(&gpio, &keys)?),
        display,
        audio: Box::new(CpalAudio::new(config.audio.clone())),
        headphones: Box::new(JackDetect {
            pin: gpio
                .get(config.headphone_detect_pin)
                .map_err(|e| failed("headphone detect")(e.to_string()))?
                .into_input_pullup(),
            active_low: config.headphone_detect_active_low,
        }),
        battery,
        rtc,
    })
}

/// Keys wired from a GPIO pin to ground, with the internal pull-up: pressed reads low.
pub struct GpioKeypad {
    gpio: Gpio,
    pins: Vec<(Key, InputPin)>,
}

impl GpioKeypad {
    pub fn open(gpio: &Gpio, keys: &[(Key, u8)]) -> Result<Self, HwError> {
        let mut pins = Vec::new();
        for (key, number) in keys {
            let mut pin = gpio
                .get(*number)
                .map_err(|e| failed("keys")(format!("GPIO {number} for key {key}: {e}")))?
                .into_input_pullup();
            // Debounce is the core's job (it is configurable there).
            pin.set_interrupt(Trigger::Both, None)
                .map_err(|e| failed("keys")(format!("interrupt on GPIO {number}: {e}")))?;
            pins.push((*key, pin));
        }
        Ok(GpioKeypad {
            gpio: gpio.clone(),
            pins,
        })
    }
}

impl Keypad for GpioKeypad {
    fn next_edge(&mut self, timeout: Duration) -> Result<Option<(Key, Edge)>, HwError> {
        let refs: Vec<&InputPin> = self.pins.iter().map(|(_, pin)| pin).collect();
        let Some((pin, event)) = self
            .gpio
            .poll_interrupts(&refs, false, Some(timeout))
            .map_err(|e| failed("keys")(e.to_string()))?
        else {
            return Ok(None);
        };
        let key = self
            .pins
            .iter()
            .find(|(_, candidate)| candidate.pin() == pin.pin())
            .map(|(key, _)| *key);
        let edge = match event.trigger {
            Trigger::FallingEdge => Edge::Down,
            _ => Edge::Up,
        };
        Ok(key.map(|key| (key, edge)))
    }
}

/// The jack's detect switch on a GPIO pin.
pub struct JackDetect {
    pin: InputPin,
    active_low: bool,
}

impl HeadphoneDetect for JackDetect {
    fn plugged(&mut self) -> Result<bool, HwError> {
        Ok(self.pin.is_low() == self.active_low)
    }
}

type St7789Display =
    mipidsi::Display<SpiInterface<'static, SimpleHalSpiDevice, OutputPin>, ST7789, OutputPin>;

/// An SPI ST7789 colour panel, drawn white on black (or the inverse) from the framebuffer.
pub struct St7789Panel {
    display: St7789Display,
    backlight: Option<OutputPin>,
    width: u16,
    height: u16,
}

impl St7789Panel {
    pub fn open(
        gpio: &Gpio,
        width: u16,
        height: u16,
        chip_select: u8,
        dc_pin: u8,
        reset_pin: u8,
        backlight_pin: Option<u8>,
    ) -> Result<Self, HwError> {
        let part = "ST7789 screen";
        let select = if chip_select == 1 {
            SlaveSelect::Ss1
        } else {
            SlaveSelect::Ss0
        };
        let spi = Spi::new(Bus::Spi0, select, 40_000_000, Mode::Mode0)
            .map_err(|e| unavailable(part)(e.to_string()))?;
        let pin = |number: u8| {
            gpio.get(number)
                .map(|pin| pin.into_output())
                .map_err(|e| failed(part)(format!("GPIO {number}: {e}")))
        };
        // The panel driver keeps its buffer for the program's whole life.
        let buffer: &'static mut [u8] = Box::leak(vec![0u8; 4096].into_boxed_slice());
        let interface = SpiInterface::new(SimpleHalSpiDevice::new(spi), pin(dc_pin)?, buffer);
        let display = mipidsi::Builder::new(ST7789, interface)
            .display_size(width, height)
            // Most ST7789 modules show true colours only with inversion on.
            .invert_colors(ColorInversion::Inverted)
            .reset_pin(pin(reset_pin)?)
            .init(&mut Delay::new())
            .map_err(|e| failed(part)(format!("{e:?}")))?;
        let mut backlight = backlight_pin.map(pin).transpose()?;
        if let Some(light) = &mut backlight {
            light.set_high();
        }
        Ok(St7789Panel {
            display,
            backlight,
            width,
            height,
        })
    }
}

impl Display for St7789Panel {
    fn show(&mut self, _screen: &Screen, framebuffer: &Framebuffer) -> Result<(), HwError> {
        let (width, height) = (
            self.width.min(framebuffer.width() as u16),
            self.height.min(framebuffer.height() as u16),
        );
        let fb_width = framebuffer.width() as usize;
        let pixels = (0..usize::from(height)).flat_map(|y| {
            (0..usize::from(width)).map(move |x| {
                if framebuffer.pixels()[y * fb_width + x] {
                    Rgb565::WHITE
                } else {
                    Rgb565::BLACK
                }
            })
        });
        self.display
            .set_pixels(0, 0, width - 1, height - 1, pixels)
            .map_err(|e| failed("ST7789 screen")(format!("{e:?}")))
    }

    fn sleep(&mut self, asleep: bool) -> Result<(), HwError> {
        if let Some(light) = &mut self.backlight {
            if asleep {
                light.set_low();
            } else {
                light.set_high();
            }
        }
        let result = if asleep {
            self.display.sleep(&mut Delay::new())
        } else {
            self.display.wake(&mut Delay::new())
        };
        result.map_err(|e| failed("ST7789 screen")(format!("{e:?}")))
    }
}

/// An I2C SSD1306 128x64 monochrome panel.
pub struct Ssd1306Panel {
    display: Ssd1306<I2CInterface<I2c>, DisplaySize128x64, BufferedGraphicsMode<DisplaySize128x64>>,
}

impl Ssd1306Panel {
    pub fn open(address: u8) -> Result<Self, HwError> {
        let part = "SSD1306 screen";
        let i2c = I2c::new().map_err(|e| unavailable(part)(e.to_string()))?;
        let interface = I2CDisplayInterface::new_custom_address(i2c, address);
        let mut display = Ssd1306::new(
            interface,
            DisplaySize128x64,
            ssd1306::prelude::DisplayRotation::Rotate0,
        )
        .into_buffered_graphics_mode();
        display.init().map_err(|e| failed(part)(format!("{e:?}")))?;
        Ok(Ssd1306Panel { display })
    }
}

impl Display for Ssd1306Panel {
    fn show(&mut self, _screen: &Screen, framebuffer: &Framebuffer) -> Result<(), HwError> {
        for y in 0..framebuffer.height().min(64) {
            for x in 0..framebuffer.width().min(128) {
                self.display.set_pixel(x, y, framebuffer.is_light(x, y));
            }
        }
        self.display
            .flush()
            .map_err(|e| failed("SSD1306 screen")(format!("{e:?}")))
    }

    fn sleep(&mut self, asleep: bool) -> Result<(), HwError> {
        self.display
            .set_display_on(!asleep)
            .map_err(|e| failed("SSD1306 screen")(format!("{e:?}")))
    }
}

/// A DS3231 real-time clock at I2C address 0x68. A set oscillator-stop flag means it lost
/// power: its time is reported as 0 so the core refuses to make codes.
pub struct Ds3231 {
    i2c: I2c,
}

impl Ds3231 {
    pub fn open() -> Result<Self, HwError> {
        let mut i2c = I2c::new().map_err(|e| unavailable("DS3231 clock")(e.to_string()))?;
        i2c.set_slave_address(0x68)
            .map_err(|e| failed("DS3231 clock")(e.to_string()))?;
        Ok(Ds3231 { i2c })
    }
}

fn bcd(byte: u8) -> u32 {
    u32::from(byte >> 4) * 10 + u32::from(byte & 0x0f)
}

impl Rtc for Ds3231 {
    fn unix_ms(&mut self) -> Result<u64, HwError> {
        let part = "DS3231 clock";
        let mut status = [0u8; 1];
        self.i2c
            .write_read(&[0x0f], &mut status)
            .map_err(|e| failed(part)(e.to_string()))?;
        if status[0] & 0x80 != 0 {
            return Ok(0);
        }
        let mut regs = [0u8; 7];
        self.i2c
            .write_read(&[0x00], &mut regs)
            .map_err(|e| failed(part)(e.to_string()))?;
        let second = bcd(regs[0] & 0x7f);
        let minute = bcd(regs[1] & 0x7f);
        let hour = if regs[2] & 0x40 != 0 {
            // 12-hour mode: bit 5 is PM.
            bcd(regs[2] & 0x1f) % 12 + if regs[2] & 0x20 != 0 { 12 } else { 0 }
        } else {
            bcd(regs[2] & 0x3f)
        };
        let day = bcd(regs[4] & 0x3f);
        let month = bcd(regs[5] & 0x1f);
        let year = 2000 + bcd(regs[6]) as i32 + if regs[5] & 0x80 != 0 { 100 } else { 0 };
        let time = chrono::NaiveDate::from_ymd_opt(year, month, day)
            .and_then(|date| date.and_hms_opt(hour, minute, second))
            .ok_or_else(|| {
                failed(part)(format!(
                    "invalid time {year}-{month}-{day} {hour}:{minute}:{second}"
                ))
            })?;
        Ok(u64::try_from(time.and_utc().timestamp_millis()).unwrap_or(0))
    }
}

/// A MAX17048 fuel gauge at I2C address 0x36 (state of charge in register 0x04).
pub struct Max17048 {
    i2c: I2c,
}

impl Max17048 {
    pub fn open() -> Result<Self, HwError> {
        let mut i2c = I2c::new().map_err(|e| unavailable("battery gauge")(e.to_string()))?;
        i2c.set_slave_address(0x36)
            .map_err(|e| failed("battery gauge")(e.to_string()))?;
        Ok(Max17048 { i2c })
    }
}

impl Battery for Max17048 {
    fn percent(&mut self) -> Result<u8, HwError> {
        let mut soc = [0u8; 2];
        self.i2c
            .write_read(&[0x04], &mut soc)
            .map_err(|e| failed("battery gauge")(e.to_string()))?;
        Ok(soc[0].min(100))
    }
}
