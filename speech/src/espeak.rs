//! espeak-ng in-process through its C library (Debian's libespeak-ng), synthesizing to
//! memory. The library is global and not reentrant: every call goes through one
//! process-wide lock. Audio arrives in chunks of about 20 ms as synthesis proceeds.

use std::ffi::{c_char, c_int, c_short, c_uint, c_void, CStr, CString};
use std::sync::{Mutex, OnceLock};

use crate::Rate;

mod ffi {
    use super::*;

    pub const AUDIO_OUTPUT_SYNCHRONOUS: c_int = 2;
    pub const INITIALIZE_DONT_EXIT: c_int = 0x8000;
    pub const CHARS_UTF8: c_uint = 1;
    pub const POS_CHARACTER: c_int = 1;
    pub const EE_OK: c_int = 0;
    pub const RATE: c_int = 1;
    pub const VOLUME: c_int = 2;
    pub const PITCH: c_int = 3;

    /// `espeak_EVENT` from speak_lib.h; only `user_data` is read.
    #[repr(C)]
    pub struct Event {
        pub kind: c_int,
        pub unique_identifier: c_uint,
        pub text_position: c_int,
        pub length: c_int,
        pub audio_position: c_int,
        pub sample: c_int,
        pub user_data: *mut c_void,
        pub id: usize,
    }

    /// `espeak_VOICE` from speak_lib.h.
    #[repr(C)]
    pub struct Voice {
        pub name: *const c_char,
        pub languages: *const c_char,
        pub identifier: *const c_char,
        pub gender: u8,
        pub age: u8,
        pub variant: u8,
        pub xx1: u8,
        pub score: c_int,
        pub spare: *mut c_void,
    }

    pub type SynthCallback = extern "C" fn(*mut c_short, c_int, *mut Event) -> c_int;

    #[link(name = "espeak-ng")]
    extern "C" {
        pub fn espeak_Initialize(
            output: c_int,
            buflength: c_int,
            path: *const c_char,
            options: c_int,
        ) -> c_int;
        pub fn espeak_SetSynthCallback(callback: SynthCallback);
        pub fn espeak_SetVoiceByName(name: *const c_char) -> c_int;
        pub fn espeak_SetParameter(parameter: c_int, value: c_int, relative: c_int) -> c_int;
        pub fn espeak_Synth(
            text: *const c_void,
            size: usize,
            position: c_uint,
            position_type: c_int,
            end_position: c_uint,
            flags: c_uint,
            unique_identifier: *mut c_uint,
            user_data: *mut c_void,
        ) -> c_int;
        pub fn espeak_Synchronize() -> c_int;
        pub fn espeak_ListVoices(spec: *mut Voice) -> *mut *const Voice;
    }
}

/// What went wrong in espeak-ng.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EspeakError {
    #[error("espeak-ng could not start (is the espeak-ng-data package installed?)")]
    Init,
    #[error("espeak-ng has no voice {0:?} (see `speech voices`)")]
    NoVoice(String),
    #[error("espeak-ng failed to synthesize {text:?} (error {code})")]
    Synth { text: String, code: i32 },
    #[error("text for espeak-ng contains a NUL character")]
    Nul,
}

/// One espeak-ng voice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoiceInfo {
    /// Name to select it by (e.g. "da", "en", "en-us").
    pub name: String,
    /// Its human name (e.g. "Danish").
    pub description: String,
    /// The languages it speaks, best first.
    pub languages: Vec<String>,
}

struct Engine {
    sample_rate: u32,
    voice: String,
    wpm: i32,
    pitch: i32,
    volume: i32,
}

static ENGINE: OnceLock<Result<Mutex<Engine>, EspeakError>> = OnceLock::new();

fn engine() -> Result<&'static Mutex<Engine>, EspeakError> {
    ENGINE
        .get_or_init(|| {
            // SAFETY: called once, under OnceLock; a null path means the default data dir.
            let rate = unsafe {
                ffi::espeak_Initialize(
                    ffi::AUDIO_OUTPUT_SYNCHRONOUS,
                    20,
                    std::ptr::null(),
                    ffi::INITIALIZE_DONT_EXIT,
                )
            };
            if rate <= 0 {
                return Err(EspeakError::Init);
            }
            // SAFETY: the callback is a plain extern "C" fn valid for the program's life.
            unsafe { ffi::espeak_SetSynthCallback(synth_callback) };
            Ok(Mutex::new(Engine {
                sample_rate: rate as u32,
                voice: String::new(),
                wpm: -1,
                pitch: -1,
                volume: -1,
            }))
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// What the callback writes into: the caller's chunk handler and whether it said stop.
struct CallbackTarget<'a> {
    on_chunk: &'a mut dyn FnMut(&[i16]) -> bool,
    stopped: bool,
}

extern "C" fn synth_callback(wav: *mut c_short, count: c_int, events: *mut ffi::Event) -> c_int {
    if events.is_null() {
        return 0;
    }
    // SAFETY: espeak-ng passes a valid event list whose user_data is the pointer given to
    // espeak_Synth below, which outlives the synchronous call.
    let target = unsafe { (*events).user_data.cast::<CallbackTarget<'_>>() };
    if target.is_null() {
        return 0;
    }
    // SAFETY: see above; only this thread touches the target during espeak_Synth.
    let target = unsafe { &mut *target };
    if target.stopped {
        return 1;
    }
    if !wav.is_null() && count > 0 {
        // SAFETY: espeak-ng hands `count` valid samples at `wav`.
        let chunk = unsafe { std::slice::from_raw_parts(wav, count as usize) };
        if !(target.on_chunk)(chunk) {
            target.stopped = true;
            return 1;
        }
    }
    0
}

/// Speaking parameters for espeak-ng.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EspeakParams {
    /// Words per minute at normal rate (slow and fast scale it); espeak-ng allows 80–450.
    pub wpm: u32,
    /// Base pitch, 0–100 (espeak-ng's default is 50).
    pub pitch: u8,
    /// Volume, 0–200 (100 is normal).
    pub volume: u8,
    /// A voice name to use instead of the listener's language (any `speech voices` name).
    pub voice: Option<String>,
}

impl Default for EspeakParams {
    fn default() -> Self {
        EspeakParams {
            wpm: 165,
            pitch: 50,
            volume: 100,
            voice: None,
        }
    }
}

impl EspeakParams {
    /// Words per minute at a listener's rate.
    pub fn wpm_at(&self, rate: Rate) -> u32 {
        ((self.wpm as f32 / rate.stretch()).round() as u32).clamp(80, 450)
    }
}

/// A handle on the process-wide espeak-ng engine.
#[derive(Debug, Clone)]
pub struct Espeak {
    sample_rate: u32,
}

impl Espeak {
    /// Starts espeak-ng (once per process) and returns a handle.
    pub fn new() -> Result<Espeak, EspeakError> {
        let engine = engine()?;
        let sample_rate = lock(engine).sample_rate;
        Ok(Espeak { sample_rate })
    }

    /// The sample rate espeak-ng produces (22050 Hz for its standard voices).
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Says `text` with a voice and parameters, handing each chunk of samples to
    /// `on_chunk` as soon as it is made. `on_chunk` returns false to stop at once; the
    /// result is then `Ok(false)`, and `Ok(true)` when the text was said to the end.
    pub fn synthesize(
        &self,
        voice: &str,
        wpm: u32,
        params: &EspeakParams,
        text: &str,
        on_chunk: &mut dyn FnMut(&[i16]) -> bool,
    ) -> Result<bool, EspeakError> {
        let text_c = CString::new(text).map_err(|_| EspeakError::Nul)?;
        let mut engine = lock(engine()?);
        if engine.voice != voice {
            let name = CString::new(voice).map_err(|_| EspeakError::Nul)?;
            // SAFETY: engine initialized; under the lock; name is a valid C string.
            if unsafe { ffi::espeak_SetVoiceByName(name.as_ptr()) } != ffi::EE_OK {
                engine.voice.clear();
                return Err(EspeakError::NoVoice(voice.to_owned()));
            }
            engine.voice = voice.to_owned();
            // A new voice resets the parameters.
            engine.wpm = -1;
            engine.pitch = -1;
            engine.volume = -1;
        }
        let wanted = [
            (ffi::RATE, wpm.clamp(80, 450) as i32),
            (ffi::PITCH, i32::from(params.pitch.min(100))),
            (ffi::VOLUME, i32::from(params.volume.min(200))),
        ];
        for (parameter, value) in wanted {
            let current = match parameter {
                ffi::RATE => &mut engine.wpm,
                ffi::PITCH => &mut engine.pitch,
                _ => &mut engine.volume,
            };
            if *current != value {
                // SAFETY: engine initialized; under the lock.
                unsafe { ffi::espeak_SetParameter(parameter, value, 0) };
                *current = value;
            }
        }
        let mut target = CallbackTarget {
            on_chunk,
            stopped: false,
        };
        let bytes = text_c.as_bytes_with_nul();
        // SAFETY: under the lock; text is NUL-terminated UTF-8; `target` lives until
        // espeak_Synth returns, which in synchronous mode is after the last callback.
        let code = unsafe {
            ffi::espeak_Synth(
                bytes.as_ptr().cast(),
                bytes.len(),
                0,
                ffi::POS_CHARACTER,
                0,
                ffi::CHARS_UTF8,
                std::ptr::null_mut(),
                std::ptr::from_mut(&mut target).cast(),
            )
        };
        if code != ffi::EE_OK {
            return Err(EspeakError::Synth {
                text: text.to_owned(),
                code,
            });
        }
        // SAFETY: under the lock.
        unsafe { ffi::espeak_Synchronize() };
        Ok(!target.stopped)
    }

    /// Every voice espeak-ng has, sorted by name.
    pub fn voices(&self) -> Result<Vec<VoiceInfo>, EspeakError> {
        let _engine = lock(engine()?);
        let mut voices = Vec::new();
        // SAFETY: under the lock; a null spec lists all voices; the list is terminated by
        // a null pointer and owned by espeak-ng.
        unsafe {
            let mut entry = ffi::espeak_ListVoices(std::ptr::null_mut());
            while !entry.is_null() && !(*entry).is_null() {
                let voice = &**entry;
                voices.push(VoiceInfo {
                    name: c_text(voice.identifier)
                        .rsplit('/')
                        .next()
                        .unwrap_or_default()
                        .to_owned(),
                    description: c_text(voice.name),
                    languages: languages(voice.languages),
                });
                entry = entry.add(1);
            }
        }
        voices.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(voices)
    }
}

fn lock(engine: &Mutex<Engine>) -> std::sync::MutexGuard<'_, Engine> {
    // A panic while holding the lock leaves espeak-ng itself consistent.
    engine
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// # Safety
/// `text` is null or a valid C string.
unsafe fn c_text(text: *const c_char) -> String {
    if text.is_null() {
        String::new()
    } else {
        // SAFETY: by the function's contract.
        unsafe { CStr::from_ptr(text) }
            .to_string_lossy()
            .into_owned()
    }
}

/// Decodes espeak-ng's language list: (priority byte, NUL-terminated name)*, then NUL.
///
/// # Safety
/// `list` is null or such a list.
unsafe fn languages(list: *const c_char) -> Vec<String> {
    let mut out = Vec::new();
    if list.is_null() {
        return out;
    }
    let mut p = list;
    // SAFETY: walks the list within its terminators, by the function's contract.
    unsafe {
        while *p != 0 {
            let name = CStr::from_ptr(p.add(1));
            out.push(name.to_string_lossy().into_owned());
            p = p.add(1 + name.to_bytes().len() + 1);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn say(voice: &str, text: &str) -> Vec<i16> {
        let espeak = Espeak::new().unwrap();
        let mut samples = Vec::new();
        let finished = espeak
            .synthesize(voice, 165, &EspeakParams::default(), text, &mut |chunk| {
                samples.extend_from_slice(chunk);
                true
            })
            .unwrap();
        assert!(finished);
        samples
    }

    #[test]
    fn speaks_danish_and_english_at_22050() {
        assert_eq!(Espeak::new().unwrap().sample_rate(), 22050);
        for voice in ["da", "en"] {
            let samples = say(voice, "4, 8, 2");
            let secs = samples.len() as f64 / 22050.0;
            assert!((0.5..4.0).contains(&secs), "{voice}: {secs} s");
            assert!(crate::audio::rms(&samples) > 0.01, "{voice} is silent");
        }
    }

    #[test]
    fn chunks_arrive_before_the_end_and_stop_works() {
        let espeak = Espeak::new().unwrap();
        let mut chunks = 0;
        let finished = espeak
            .synthesize(
                "da",
                165,
                &EspeakParams::default(),
                "Din kode er fire otte to nul syv ni",
                &mut |_| {
                    chunks += 1;
                    chunks < 3
                },
            )
            .unwrap();
        assert!(!finished);
        assert_eq!(chunks, 3);
        // The engine is usable again after a stop.
        assert!(!say("da", "fem").is_empty());
    }

    #[test]
    fn unknown_voice_is_a_typed_error() {
        let espeak = Espeak::new().unwrap();
        let err = espeak
            .synthesize(
                "no-such-voice",
                165,
                &EspeakParams::default(),
                "x",
                &mut |_| true,
            )
            .unwrap_err();
        assert_eq!(err, EspeakError::NoVoice("no-such-voice".into()));
        assert!(!say("da", "to").is_empty());
    }

    #[test]
    fn voices_include_danish_and_english() {
        let voices = Espeak::new().unwrap().voices().unwrap();
        assert!(voices.iter().any(|v| v.languages.iter().any(|l| l == "da")));
        assert!(voices.iter().any(|v| v.languages.iter().any(|l| l == "en")));
    }

    #[test]
    fn slower_rate_means_fewer_words_per_minute() {
        let params = EspeakParams::default();
        assert!(params.wpm_at(Rate::Slow) < params.wpm_at(Rate::Normal));
        assert!(params.wpm_at(Rate::Fast) > params.wpm_at(Rate::Normal));
    }
}
