//! PNG snapshots of the main screens, drawn from the real core's screens. A changed
//! drawing fails the test; `UPDATE_GOLDEN=1 cargo test -p reader-device --test screens`
//! rewrites the files in tests/golden (look at them before committing).

use std::path::PathBuf;

use reader_device::screen::{Fault, Notice, Screen, Silence, Status, View};
use reader_device::Framebuffer;
use speech::{Grouping, Lang};

fn screen(view: View) -> Screen {
    Screen {
        view,
        notice: None,
        status: Status {
            headphones: true,
            speaker_on: false,
            battery_percent: Some(80),
            volume: 4,
            silence: None,
        },
        lang: Lang::Da,
        grouping: Grouping::Threes,
        invert: false,
    }
}

fn cases() -> Vec<(&'static str, Screen, (u32, u32))> {
    let code = || {
        screen(View::Code {
            code: otp::Code::from_digits("482079").unwrap(),
        })
    };
    let mut pairs = code();
    pairs.grouping = Grouping::Pairs;
    let mut single = code();
    single.grouping = Grouping::Single;
    let mut inverted = code();
    inverted.invert = true;
    let mut no_headphones = code();
    no_headphones.status.headphones = false;
    no_headphones.notice = Some(Notice::ConnectHeadphones);
    let mut silent = code();
    silent.status.silence = Some(Silence::NoAudioDevice);
    let mut english = screen(View::Ready);
    english.lang = Lang::En;
    let mut low = screen(View::Ready);
    low.status.battery_percent = Some(12);
    low.notice = Some(Notice::BatteryLow(12));
    vec![
        ("ready", screen(View::Ready), (240, 240)),
        ("ready-en", english, (240, 240)),
        ("code-threes", code(), (240, 240)),
        ("code-pairs", pairs, (240, 240)),
        ("code-single", single, (240, 240)),
        ("code-inverted", inverted, (240, 240)),
        ("code-no-headphones", no_headphones, (240, 240)),
        ("code-silent", silent, (240, 240)),
        ("code-320x240", code(), (320, 240)),
        ("code-ssd1306", code(), (128, 64)),
        (
            "clock-wrong",
            screen(View::Fault(Fault::ClockWrong)),
            (240, 240),
        ),
        ("menu", screen(View::Menu), (240, 240)),
        (
            "activation",
            screen(View::Activation {
                serial: otp::Serial::parse("KP2026000001").unwrap(),
            }),
            (240, 240),
        ),
        ("battery-low", low, (240, 240)),
    ]
}

#[test]
fn main_screens_match_their_snapshots() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut mismatches = Vec::new();
    for (name, screen, (width, height)) in cases() {
        let mut framebuffer = Framebuffer::new(width, height).unwrap();
        framebuffer.draw(&screen);
        let path = dir.join(format!("{name}.png"));
        if update {
            std::fs::write(&path, framebuffer.to_png().unwrap()).unwrap();
            continue;
        }
        let golden = std::fs::read(&path).unwrap_or_else(|error| {
            panic!("{}: {error} (run with UPDATE_GOLDEN=1)", path.display())
        });
        let golden = Framebuffer::from_png(&golden).unwrap();
        if golden != framebuffer {
            let actual = dir.join(format!("{name}.actual.png"));
            std::fs::write(&actual, framebuffer.to_png().unwrap()).unwrap();
            mismatches.push(format!("{name} (see {})", actual.display()));
        }
    }
    assert!(mismatches.is_empty(), "screens changed: {mismatches:?}");
}
