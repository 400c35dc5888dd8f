//! The screen's pixels: a one-bit framebuffer drawn with `embedded-graphics`, the same on
//! the Raspberry Pi and in the simulator, with PNG output for snapshot tests.
//!
//! Layout: a status bar (headphones, speaker, battery, volume) on top, the main area in
//! the largest font that fits, and a notice line at the bottom. High contrast only: light
//! on dark, or dark on light when inverted.

use std::convert::Infallible;

use embedded_graphics::pixelcolor::BinaryColor;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::{Line, PrimitiveStyle, Rectangle};
use u8g2_fonts::fonts;
use u8g2_fonts::types::{FontColor, HorizontalAlignment, VerticalPosition};
use u8g2_fonts::FontRenderer;

use crate::screen::{code_groups, Screen, Silence, View};

/// Digit fonts (Logisoso, numbers only), largest first.
static DIGIT_FONTS: [FontRenderer; 19] = [
    FontRenderer::new::<fonts::u8g2_font_logisoso92_tn>(),
    FontRenderer::new::<fonts::u8g2_font_logisoso78_tn>(),
    FontRenderer::new::<fonts::u8g2_font_logisoso62_tn>(),
    FontRenderer::new::<fonts::u8g2_font_logisoso58_tn>(),
    FontRenderer::new::<fonts::u8g2_font_logisoso54_tn>(),
    FontRenderer::new::<fonts::u8g2_font_logisoso50_tn>(),
    FontRenderer::new::<fonts::u8g2_font_logisoso46_tn>(),
    FontRenderer::new::<fonts::u8g2_font_logisoso42_tn>(),
    FontRenderer::new::<fonts::u8g2_font_logisoso38_tn>(),
    FontRenderer::new::<fonts::u8g2_font_logisoso34_tn>(),
    FontRenderer::new::<fonts::u8g2_font_logisoso32_tn>(),
    FontRenderer::new::<fonts::u8g2_font_logisoso30_tn>(),
    FontRenderer::new::<fonts::u8g2_font_logisoso28_tn>(),
    FontRenderer::new::<fonts::u8g2_font_logisoso26_tn>(),
    FontRenderer::new::<fonts::u8g2_font_logisoso24_tn>(),
    FontRenderer::new::<fonts::u8g2_font_logisoso22_tn>(),
    FontRenderer::new::<fonts::u8g2_font_logisoso20_tn>(),
    FontRenderer::new::<fonts::u8g2_font_logisoso18_tn>(),
    FontRenderer::new::<fonts::u8g2_font_logisoso16_tn>(),
];

/// Text fonts (Logisoso with all of Latin-1, so æ, ø and å), largest first.
static TEXT_FONTS: [FontRenderer; 16] = [
    FontRenderer::new::<fonts::u8g2_font_logisoso58_tf>().with_ignore_unknown_chars(true),
    FontRenderer::new::<fonts::u8g2_font_logisoso54_tf>().with_ignore_unknown_chars(true),
    FontRenderer::new::<fonts::u8g2_font_logisoso50_tf>().with_ignore_unknown_chars(true),
    FontRenderer::new::<fonts::u8g2_font_logisoso46_tf>().with_ignore_unknown_chars(true),
    FontRenderer::new::<fonts::u8g2_font_logisoso42_tf>().with_ignore_unknown_chars(true),
    FontRenderer::new::<fonts::u8g2_font_logisoso38_tf>().with_ignore_unknown_chars(true),
    FontRenderer::new::<fonts::u8g2_font_logisoso34_tf>().with_ignore_unknown_chars(true),
    FontRenderer::new::<fonts::u8g2_font_logisoso32_tf>().with_ignore_unknown_chars(true),
    FontRenderer::new::<fonts::u8g2_font_logisoso30_tf>().with_ignore_unknown_chars(true),
    FontRenderer::new::<fonts::u8g2_font_logisoso28_tf>().with_ignore_unknown_chars(true),
    FontRenderer::new::<fonts::u8g2_font_logisoso26_tf>().with_ignore_unknown_chars(true),
    FontRenderer::new::<fonts::u8g2_font_logisoso24_tf>().with_ignore_unknown_chars(true),
    FontRenderer::new::<fonts::u8g2_font_logisoso22_tf>().with_ignore_unknown_chars(true),
    FontRenderer::new::<fonts::u8g2_font_logisoso20_tf>().with_ignore_unknown_chars(true),
    FontRenderer::new::<fonts::u8g2_font_logisoso18_tf>().with_ignore_unknown_chars(true),
    FontRenderer::new::<fonts::u8g2_font_logisoso16_tf>().with_ignore_unknown_chars(true),
];

/// Why a framebuffer cannot be made or written.
#[derive(Debug, thiserror::Error)]
pub enum FramebufferError {
    #[error("screen size {width}x{height} is too small (at least 96x48)")]
    TooSmall { width: u32, height: u32 },
    #[error("PNG encoding failed: {0}")]
    Png(#[from] png::EncodingError),
    #[error("PNG decoding failed: {0}")]
    PngDecode(#[from] png::DecodingError),
    #[error("PNG is {found}, expected an 8-bit grey image")]
    PngFormat { found: String },
}

/// A one-bit image of the screen: `true` is a light pixel.
#[derive(Clone, PartialEq, Eq)]
pub struct Framebuffer {
    width: u32,
    height: u32,
    light: Vec<bool>,
}

impl std::fmt::Debug for Framebuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Framebuffer({}x{})", self.width, self.height)
    }
}

/// Where the code's digits went: the font size chosen and how many lines it took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeLayout {
    /// The digit height in pixels.
    pub digit_height: u32,
    pub lines: usize,
}

impl Framebuffer {
    /// A dark framebuffer. ST7789 panels are 240x240 or 320x240; SSD1306 128x64.
    pub fn new(width: u32, height: u32) -> Result<Self, FramebufferError> {
        if width < 96 || height < 48 {
            return Err(FramebufferError::TooSmall { width, height });
        }
        Ok(Framebuffer {
            width,
            height,
            light: vec![false; (width * height) as usize],
        })
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }

    /// Whether the pixel at (x, y) is light; `false` outside the screen.
    pub fn is_light(&self, x: u32, y: u32) -> bool {
        x < self.width && y < self.height && self.light[(y * self.width + x) as usize]
    }

    /// The pixels row by row, `true` for light.
    pub fn pixels(&self) -> &[bool] {
        &self.light
    }

    /// Draws a whole screen, replacing what was there; returns the code's layout if a
    /// code is shown.
    pub fn draw(&mut self, screen: &Screen) -> Option<CodeLayout> {
        let (fg, bg) = if screen.invert {
            (BinaryColor::Off, BinaryColor::On)
        } else {
            (BinaryColor::On, BinaryColor::Off)
        };
        if screen.view == View::Off {
            self.fill(false);
            return None;
        }
        self.fill(bg == BinaryColor::On);
        let status_h = (self.height / 8).max(14);
        let notice = screen.notice_line().or_else(|| {
            screen.status.silence.map(|silence| {
                match (silence, screen.lang) {
                    (Silence::NoAudioDevice, speech::Lang::Da) => "Ingen lyd: lydenhed mangler",
                    (Silence::NoAudioDevice, speech::Lang::En) => "No sound: no audio device",
                    (Silence::VoiceBroken, speech::Lang::Da) => "Ingen lyd: stemmefejl",
                    (Silence::VoiceBroken, speech::Lang::En) => "No sound: voice error",
                }
                .to_owned()
            })
        });
        // A notice too long for one line at a readable size takes two.
        let one_line_h = (self.height / 7).max(14);
        let notice_lines = notice.map(|text| {
            if fitting_font(std::slice::from_ref(&text), self.width - 4, one_line_h - 2).is_some() {
                vec![text]
            } else {
                wrap_in_two(&text)
            }
        });
        let notice_h = match &notice_lines {
            Some(lines) if lines.len() > 1 => (self.height / 4).max(28),
            _ => one_line_h,
        };
        self.draw_status(screen, status_h, fg);
        let main = Rectangle::new(
            Point::new(4, status_h as i32 + 2),
            Size::new(self.width - 8, self.height - status_h - notice_h - 4),
        );
        let layout = match &screen.view {
            View::Code { code } => Some(self.draw_code(code, screen, main, fg)),
            _ => {
                self.draw_text_lines(&screen.main_lines(), main, fg);
                None
            }
        };
        if let Some(lines) = notice_lines {
            let area = Rectangle::new(
                Point::new(2, (self.height - notice_h) as i32),
                Size::new(self.width - 4, notice_h - 2),
            );
            let _ = Line::new(
                Point::new(0, area.top_left.y - 2),
                Point::new(self.width as i32 - 1, area.top_left.y - 2),
            )
            .into_styled(PrimitiveStyle::with_stroke(fg, 1))
            .draw(self);
            self.draw_text_lines(&lines, area, fg);
        }
        layout
    }

    fn fill(&mut self, light: bool) {
        self.light.iter_mut().for_each(|pixel| *pixel = light);
    }

    /// The code in the largest digits that fit, its groups on one line or split over more.
    fn draw_code(
        &mut self,
        code: &otp::Code,
        screen: &Screen,
        area: Rectangle,
        fg: BinaryColor,
    ) -> CodeLayout {
        let groups = code_groups(code, screen.grouping);
        let groups: Vec<&str> = groups.iter().map(String::as_str).collect();
        for font in &DIGIT_FONTS {
            let height = font.get_ascent().max(1) as u32;
            let gap = height / 3;
            let line_gap = height / 4;
            for line_count in 1..=groups.len() {
                let lines = split_evenly(&groups, line_count);
                let widths: Vec<u32> = lines
                    .iter()
                    .map(|line| {
                        line.iter()
                            .map(|group| text_width(font, group))
                            .sum::<u32>()
                            + gap * (line.len() as u32 - 1)
                    })
                    .collect();
                let total_h = height * lines.len() as u32 + line_gap * (lines.len() as u32 - 1);
                if widths.iter().all(|w| *w <= area.size.width) && total_h <= area.size.height {
                    let mut y = area.top_left.y + ((area.size.height - total_h) / 2) as i32;
                    for (line, width) in lines.iter().zip(&widths) {
                        let mut x = area.top_left.x + ((area.size.width - width) / 2) as i32;
                        for group in line.iter() {
                            let _ = font.render(
                                *group,
                                Point::new(x, y),
                                VerticalPosition::Top,
                                FontColor::Transparent(fg),
                                self,
                            );
                            x += (text_width(font, group) + gap) as i32;
                        }
                        y += (height + line_gap) as i32;
                    }
                    return CodeLayout {
                        digit_height: height,
                        lines: lines.len(),
                    };
                }
            }
        }
        // Smaller than the smallest font cannot happen at 96x48 and up; draw as text.
        self.draw_text_lines(&[groups.join(" ")], area, fg);
        CodeLayout {
            digit_height: 0,
            lines: 1,
        }
    }

    /// Lines of text, centred, in the largest text font that fits all of them.
    fn draw_text_lines(&mut self, lines: &[String], area: Rectangle, fg: BinaryColor) {
        if lines.is_empty() {
            return;
        }
        let font = fitting_font(lines, area.size.width, area.size.height)
            .unwrap_or(&TEXT_FONTS[TEXT_FONTS.len() - 1]);
        let line_h = (font.get_ascent() - font.get_descent()).max(1) as u32;
        let total = line_h * lines.len() as u32;
        let mut y = area.top_left.y + (area.size.height.saturating_sub(total) / 2) as i32;
        let centre = area.top_left.x + area.size.width as i32 / 2;
        for line in lines {
            let _ = font.render_aligned(
                line.as_str(),
                Point::new(centre, y),
                VerticalPosition::Top,
                HorizontalAlignment::Center,
                FontColor::Transparent(fg),
                self,
            );
            y += line_h as i32;
        }
    }

    /// Icons left to right: headphones, speaker (crossed when silent), volume bars;
    /// battery on the right.
    fn draw_status(&mut self, screen: &Screen, height: u32, fg: BinaryColor) {
        let status = &screen.status;
        let stroke = PrimitiveStyle::with_stroke(fg, 2);
        let fill = PrimitiveStyle::with_fill(fg);
        let h = height as i32 - 4;
        let top = 2;
        let mut x = 4;
        if status.headphones {
            // A headband and two ear cups.
            let _ = Line::new(Point::new(x + 2, top + h / 2), Point::new(x + 2, top + 2))
                .into_styled(stroke)
                .draw(self);
            let _ = Line::new(Point::new(x + 2, top + 2), Point::new(x + h - 2, top + 2))
                .into_styled(stroke)
                .draw(self);
            let _ = Line::new(
                Point::new(x + h - 2, top + 2),
                Point::new(x + h - 2, top + h / 2),
            )
            .into_styled(stroke)
            .draw(self);
            let _ = Rectangle::new(Point::new(x, top + h / 2), Size::new(5, (h / 2) as u32))
                .into_styled(fill)
                .draw(self);
            let _ = Rectangle::new(
                Point::new(x + h - 4, top + h / 2),
                Size::new(5, (h / 2) as u32),
            )
            .into_styled(fill)
            .draw(self);
            x += h + 6;
        }
        if status.speaker_on || status.silence.is_some() {
            // A speaker cone; crossed out when the device cannot speak.
            let _ = Rectangle::new(
                Point::new(x, top + h / 3),
                Size::new((h / 3) as u32, (h / 3) as u32),
            )
            .into_styled(fill)
            .draw(self);
            let _ = Line::new(
                Point::new(x + h / 3, top + h / 3),
                Point::new(x + 2 * h / 3, top),
            )
            .into_styled(stroke)
            .draw(self);
            let _ = Line::new(
                Point::new(x + 2 * h / 3, top),
                Point::new(x + 2 * h / 3, top + h),
            )
            .into_styled(stroke)
            .draw(self);
            let _ = Line::new(
                Point::new(x + h / 3, top + 2 * h / 3),
                Point::new(x + 2 * h / 3, top + h),
            )
            .into_styled(stroke)
            .draw(self);
            if status.silence.is_some() {
                let _ = Line::new(Point::new(x, top), Point::new(x + h, top + h))
                    .into_styled(stroke)
                    .draw(self);
                let _ = Line::new(Point::new(x, top + h), Point::new(x + h, top))
                    .into_styled(stroke)
                    .draw(self);
            }
            x += h + 6;
        }
        // Volume: one rising bar per level.
        let bar_w = 3;
        for level in 1..=status.volume.min(10) as i32 {
            let bar_h = (h * level / 10).max(2);
            let _ = Rectangle::new(
                Point::new(x, top + h - bar_h),
                Size::new(bar_w, bar_h as u32),
            )
            .into_styled(fill)
            .draw(self);
            x += bar_w as i32 + 1;
        }
        if let Some(percent) = status.battery_percent {
            let w = h * 2;
            let left = self.width as i32 - w - 8;
            let _ = Rectangle::new(
                Point::new(left, top + 2),
                Size::new(w as u32, (h - 4) as u32),
            )
            .into_styled(stroke)
            .draw(self);
            let _ = Rectangle::new(
                Point::new(left + w, top + h / 3),
                Size::new(3, (h / 3) as u32),
            )
            .into_styled(fill)
            .draw(self);
            let inner = (w - 6) * i32::from(percent.min(100)) / 100;
            let _ = Rectangle::new(
                Point::new(left + 3, top + 5),
                Size::new(inner as u32, (h - 10).max(1) as u32),
            )
            .into_styled(fill)
            .draw(self);
        }
        let _ = Line::new(
            Point::new(0, height as i32),
            Point::new(self.width as i32 - 1, height as i32),
        )
        .into_styled(PrimitiveStyle::with_stroke(fg, 1))
        .draw(self);
    }

    /// The image as an 8-bit grey PNG.
    pub fn to_png(&self) -> Result<Vec<u8>, FramebufferError> {
        let mut bytes = Vec::new();
        let mut encoder = png::Encoder::new(&mut bytes, self.width, self.height);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header()?;
        let data: Vec<u8> = self
            .light
            .iter()
            .map(|light| if *light { 255 } else { 0 })
            .collect();
        writer.write_image_data(&data)?;
        writer.finish()?;
        Ok(bytes)
    }

    /// Reads back an image written by [`Framebuffer::to_png`] (for snapshot tests).
    pub fn from_png(bytes: &[u8]) -> Result<Self, FramebufferError> {
        let decoder = png::Decoder::new(bytes);
        let mut reader = decoder.read_info()?;
        let mut data = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut data)?;
        if info.color_type != png::ColorType::Grayscale || info.bit_depth != png::BitDepth::Eight {
            return Err(FramebufferError::PngFormat {
                found: format!("{:?} {:?}", info.color_type, info.bit_depth),
            });
        }
        let mut framebuffer = Framebuffer::new(info.width, info.height)?;
        for (pixel, value) in framebuffer.light.iter_mut().zip(&data) {
            *pixel = *value >= 128;
        }
        Ok(framebuffer)
    }

    /// The image as text with half-block characters, two pixel rows per line, shrunk by
    /// `scale` (for terminals: the simulator uses this).
    pub fn to_half_blocks(&self, scale: u32) -> String {
        let scale = scale.max(1);
        let sample = |x: u32, y: u32| self.is_light(x * scale, y * scale);
        let (cols, rows) = (self.width / scale, self.height / scale);
        let mut text = String::new();
        for row in (0..rows).step_by(2) {
            for col in 0..cols {
                text.push(match (sample(col, row), sample(col, row + 1)) {
                    (true, true) => '█',
                    (true, false) => '▀',
                    (false, true) => '▄',
                    (false, false) => ' ',
                });
            }
            text.push('\n');
        }
        text
    }
}

/// The largest text font in which all `lines` fit in `width` x `height`.
fn fitting_font(lines: &[String], width: u32, height: u32) -> Option<&'static FontRenderer> {
    TEXT_FONTS.iter().find(|font| {
        let line_h = (font.get_ascent() - font.get_descent()).max(1) as u32;
        line_h * lines.len() as u32 <= height
            && lines.iter().all(|line| text_width(font, line) <= width)
    })
}

/// Breaks a line in two at the space nearest its middle.
fn wrap_in_two(text: &str) -> Vec<String> {
    let middle = text.len() / 2;
    let split = text
        .match_indices(' ')
        .map(|(index, _)| index)
        .min_by_key(|index| index.abs_diff(middle));
    match split {
        Some(index) => vec![text[..index].to_owned(), text[index + 1..].to_owned()],
        None => vec![text.to_owned()],
    }
}

/// Splits groups over `count` lines as evenly as possible, longer lines first.
fn split_evenly<'a, 'b>(groups: &'b [&'a str], count: usize) -> Vec<&'b [&'a str]> {
    let (base, extra) = (groups.len() / count, groups.len() % count);
    let mut lines = Vec::with_capacity(count);
    let mut rest = groups;
    for index in 0..count {
        let (line, tail) = rest.split_at(base + usize::from(index < extra));
        lines.push(line);
        rest = tail;
    }
    lines
}

fn text_width(font: &FontRenderer, text: &str) -> u32 {
    font.get_rendered_dimensions(text, Point::zero(), VerticalPosition::Top)
        .ok()
        .and_then(|dimensions| dimensions.bounding_box)
        .map_or(0, |bounds| {
            (bounds.top_left.x.max(0) as u32) + bounds.size.width
        })
}

impl OriginDimensions for Framebuffer {
    fn size(&self) -> Size {
        Size::new(self.width, self.height)
    }
}

impl DrawTarget for Framebuffer {
    type Color = BinaryColor;
    type Error = Infallible;

    fn draw_iter<I>(&mut self, pixels: I) -> Result<(), Self::Error>
    where
        I: IntoIterator<Item = Pixel<Self::Color>>,
    {
        for Pixel(point, color) in pixels {
            if let (Ok(x), Ok(y)) = (u32::try_from(point.x), u32::try_from(point.y)) {
                if x < self.width && y < self.height {
                    self.light[(y * self.width + x) as usize] = color.is_on();
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::screen::tests::screen;
    use crate::screen::Notice;
    use speech::Grouping;

    fn code_screen(grouping: Grouping) -> Screen {
        Screen {
            grouping,
            ..screen(View::Code {
                code: otp::Code::from_digits("482079").unwrap(),
            })
        }
    }

    #[test]
    fn codes_get_the_largest_digits_that_fit() {
        let mut framebuffer = Framebuffer::new(240, 240).unwrap();
        let threes = framebuffer.draw(&code_screen(Grouping::Threes)).unwrap();
        assert!(threes.digit_height >= 62, "{threes:?}");
        assert_eq!(threes.lines, 2, "two lines of three beat one small line");
        let single = framebuffer.draw(&code_screen(Grouping::Single)).unwrap();
        assert!(single.digit_height >= 38, "{single:?}");
        let mut small = Framebuffer::new(128, 64).unwrap();
        let tiny = small.draw(&code_screen(Grouping::Threes)).unwrap();
        assert!(tiny.digit_height >= 16, "{tiny:?}");
    }

    #[test]
    fn invert_swaps_light_and_dark() {
        let mut plain = Framebuffer::new(240, 240).unwrap();
        let mut inverted = plain.clone();
        let mut screen = code_screen(Grouping::Threes);
        plain.draw(&screen);
        screen.invert = true;
        inverted.draw(&screen);
        let differ = plain
            .pixels()
            .iter()
            .zip(inverted.pixels())
            .all(|(a, b)| a != b);
        assert!(differ);
    }

    #[test]
    fn png_round_trips() {
        let mut framebuffer = Framebuffer::new(240, 240).unwrap();
        let mut screen = code_screen(Grouping::Pairs);
        screen.notice = Some(Notice::ConnectHeadphones);
        framebuffer.draw(&screen);
        let back = Framebuffer::from_png(&framebuffer.to_png().unwrap()).unwrap();
        assert_eq!(back, framebuffer);
        assert!(Framebuffer::new(10, 10).is_err());
        assert_eq!(framebuffer.to_half_blocks(4).lines().count(), 30);
    }
}
