//! Real-time factor and time-to-first-sample of every voice (espeak-ng, the packs cut from
//! it, the Piper-built English pack en-joe), against the `espeak-ng`
//! command saying the same text, all measured in one run:
//! `cargo bench -p speech --bench speed`. Figures are medians; ratios compare with the
//! command measured just before, on the same machine.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use speech::audio::{Sink, SinkError};
use speech::espeak::EspeakParams;
use speech::{Catalogue, Espeak, Lang, Settings, Utterance, Voice};

const ROUNDS: usize = 40;

/// Counts samples and notes when the first one arrived.
struct Timed {
    start: Instant,
    first: Option<Duration>,
    samples: usize,
}

impl Sink for Timed {
    fn write(&mut self, samples: &[i16]) -> Result<(), SinkError> {
        if self.first.is_none() && !samples.is_empty() {
            self.first = Some(self.start.elapsed());
        }
        self.samples += samples.len();
        Ok(())
    }
}

struct Figures {
    total: Duration,
    first: Duration,
    audio_secs: f64,
}

fn median(mut runs: Vec<Figures>) -> Figures {
    runs.sort_by_key(|f| f.total);
    let mut firsts: Vec<Duration> = runs.iter().map(|f| f.first).collect();
    firsts.sort();
    let mid = runs.len() / 2;
    Figures {
        first: firsts[mid],
        ..runs.swap_remove(mid)
    }
}

fn measure(mut run: impl FnMut() -> Figures) -> Figures {
    run(); // warm-up (loads voices, fills caches)
    median((0..ROUNDS).map(|_| run()).collect())
}

fn command(voice: &str, wpm: u32, text: &str) -> Figures {
    let start = Instant::now();
    let mut child = Command::new("espeak-ng")
        .args(["-v", voice, "-s", &wpm.to_string(), "--stdout", text])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the espeak-ng command (apt-get install espeak-ng)");
    let mut out = child.stdout.take().expect("piped stdout");
    let mut bytes = Vec::new();
    let mut buffer = [0u8; 4096];
    let mut first = None;
    loop {
        let n = out.read(&mut buffer).expect("reading espeak-ng output");
        if n == 0 {
            break;
        }
        bytes.extend_from_slice(&buffer[..n]);
        // The first sample is the first byte after the 44-byte WAV header.
        if first.is_none() && bytes.len() > 44 {
            first = Some(start.elapsed());
        }
    }
    child.wait().expect("espeak-ng exits");
    let total = start.elapsed();
    Figures {
        total,
        first: first.unwrap_or(total),
        audio_secs: (bytes.len().saturating_sub(44) / 2) as f64 / 22050.0,
    }
}

fn line(name: &str, f: &Figures, baseline: &Figures) {
    let rtf = f.audio_secs / f.total.as_secs_f64();
    println!(
        "{name:<34} {:>9.3} ms {:>6.2} s {:>9.0}x {:>9.3} ms {:>9.1}x {:>9.1}x",
        f.total.as_secs_f64() * 1e3,
        f.audio_secs,
        rtf,
        f.first.as_secs_f64() * 1e3,
        baseline.total.as_secs_f64() / f.total.as_secs_f64(),
        baseline.first.as_secs_f64() / f.first.as_secs_f64(),
    );
}

fn main() {
    let catalogue = Catalogue::embedded().expect("catalogue");
    let espeak = Espeak::new().expect("espeak-ng");
    let params = EspeakParams::default();
    let packs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../voice-packs");
    println!(
        "{:<34} {:>12} {:>8} {:>10} {:>12} {:>10} {:>10}",
        "speaking \"your code is\" + 482079",
        "synthesis",
        "audio",
        "realtime",
        "1st sample",
        "speed/cmd",
        "1st/cmd"
    );
    for lang in Lang::ALL {
        let settings = Settings {
            lang,
            ..Settings::default()
        };
        let utterance =
            Utterance::prompt("your-code-is").then_code(otp::Code::from_digits("482079").unwrap());
        let script = catalogue.render(&utterance, settings).expect("renders");
        let prompt = catalogue.format(lang, "your-code-is", &[]).expect("prompt");
        let text = format!("{prompt}: 4, 8, 2, 0, 7, 9");
        let wpm = params.wpm_at(settings.rate);

        let baseline = measure(|| command(lang.code(), wpm, &text));
        let ffi = measure(|| {
            let mut sink = Timed {
                start: Instant::now(),
                first: None,
                samples: 0,
            };
            espeak
                .synthesize(lang.code(), wpm, &params, &text, &mut |chunk| {
                    sink.write(chunk).is_ok()
                })
                .expect("synthesizes");
            Figures {
                total: sink.start.elapsed(),
                first: sink.first.unwrap_or_default(),
                audio_secs: sink.samples as f64 / 22050.0,
            }
        });
        let mut voices = vec![(
            "espeak voice (tokens, pauses)".to_owned(),
            Voice::espeak().expect("espeak"),
        )];
        // The packs of this language: cut from espeak-ng, and for English the Piper-built
        // en-joe (the English default).
        let pack_names: &[&str] = match lang {
            Lang::Da => &["da"],
            Lang::En => &["en", "en-joe"],
        };
        for name in pack_names {
            match Voice::pack(&packs.join(name)) {
                Ok(voice) => voices.push((format!("voice pack {name}"), voice)),
                Err(error) => println!("voice pack {name}: {error}"),
            }
        }
        println!("-- {lang}: {text:?}");
        line("espeak-ng command (baseline)", &baseline, &baseline);
        line("espeak-ng FFI, one call", &ffi, &baseline);
        for (name, mut voice) in voices {
            let figures = measure(|| {
                let mut sink = Timed {
                    start: Instant::now(),
                    first: None,
                    samples: 0,
                };
                voice.speak(&script, &mut sink).expect("speaks");
                Figures {
                    total: sink.start.elapsed(),
                    first: sink.first.unwrap_or_default(),
                    audio_secs: sink.samples as f64 / f64::from(voice.sample_rate()),
                }
            });
            line(&name, &figures, &baseline);
        }
        // Slow rate with a freshly loaded pack: the clips are time-stretched on first use.
        let slow = catalogue
            .render(
                &utterance,
                Settings {
                    rate: speech::Rate::Slow,
                    ..settings
                },
            )
            .expect("renders");
        let cold = measure(|| {
            let mut voice = Voice::pack(&packs.join(lang.code())).expect("pack loads");
            let mut sink = Timed {
                start: Instant::now(),
                first: None,
                samples: 0,
            };
            voice.speak(&slow, &mut sink).expect("speaks");
            Figures {
                total: sink.start.elapsed(),
                first: sink.first.unwrap_or_default(),
                audio_secs: sink.samples as f64 / f64::from(voice.sample_rate()),
            }
        });
        line("voice pack, slow, cold (stretching)", &cold, &baseline);
    }
    println!(
        "realtime = audio length / synthesis time; speed/cmd and 1st/cmd = how many times faster than the espeak-ng command ({ROUNDS} rounds, medians)"
    );
}
