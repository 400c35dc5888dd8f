//! espeak-ng in-process through its C library (Debian's libespeak-ng), synthesizing to
//! memory. The library is global and not re-entrant: every call goes through one
//! process-wide lock, and a call made from inside a synthesis (a chunk handler that
//! speaks) is refused with [`EspeakError::Reentrant`] instead of deadlocking. Audio
//! arrives in chunks of about 20 ms as synthesis proceeds; a panic in the chunk handler
//! is caught at the C boundary and raised again once `espeak_Synth` has returned.

use std::any::Any;
use std::cell::Cell;
use std::ffi::{c_char, c_int, c_short, c_uint, c_void, CStr, CString};
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::{Mutex, OnceLock};

use super::{EspeakError, EspeakParams, VoiceInfo};

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

    /// `espeak_EVENT` from speak_lib.h; only `user_data` is read. espeak-ng hands an
    /// array of them, so the size must match C's too.
    #[repr(C)]
    pub struct Event {
        pub kind: c_int,
        pub unique_identifier: c_uint,
        pub text_position: c_int,
        pub length: c_int,
        pub audio_position: c_int,
        pub sample: c_int,
        pub user_data: *mut c_void,
        pub id: EventId,
    }

    /// The `id` union of `espeak_EVENT`. Its `char[8]` arm makes it 8 bytes on every
    /// target: on 32-bit ones (the Pi's 32-bit builds) a pointer-sized field would be 4,
    /// and every event after the first would be read at the wrong place.
    #[repr(C)]
    pub union EventId {
        pub number: c_int,
        pub name: *const c_char,
        pub string: [c_char; 8],
    }

    const _: () = assert!(std::mem::size_of::<EventId>() == 8);

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

/// What the callback writes into: the caller's chunk handler, whether it said stop, and
/// what it panicked with (unwinding into C would abort the process).
struct CallbackTarget<'a> {
    on_chunk: &'a mut dyn FnMut(&[i16]) -> bool,
    stopped: bool,
    panic: Option<Box<dyn Any + Send>>,
}

thread_local! {
    /// Whether this thread is inside espeak-ng (a synthesis or a voice listing).
    static INSIDE: Cell<bool> = const { Cell::new(false) };
}

/// Marks this thread as inside espeak-ng until dropped; refuses a second entry (from a
/// chunk handler), which would otherwise wait forever for the lock its caller holds.
struct Inside;

impl Inside {
    fn enter() -> Result<Inside, EspeakError> {
        if INSIDE.with(|inside| inside.replace(true)) {
            return Err(EspeakError::Reentrant);
        }
        Ok(Inside)
    }
}

impl Drop for Inside {
    fn drop(&mut self) {
        INSIDE.with(|inside| inside.set(false));
    }
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
        match catch_unwind(AssertUnwindSafe(|| (target.on_chunk)(chunk))) {
            Ok(true) => {}
            Ok(false) => {
                target.stopped = true;
                return 1;
            }
            Err(panic) => {
                // Stop here; the panic goes on in the caller, outside C.
                target.panic = Some(panic);
                target.stopped = true;
                return 1;
            }
        }
    }
    0
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
    /// `on_chunk` must not use espeak-ng itself ([`EspeakError::Reentrant`]); if it
    /// panics, synthesis stops and the panic continues here.
    pub fn synthesize(
        &self,
        voice: &str,
        wpm: u32,
        params: &EspeakParams,
        text: &str,
        on_chunk: &mut dyn FnMut(&[i16]) -> bool,
    ) -> Result<bool, EspeakError> {
        let text_c = CString::new(text).map_err(|_| EspeakError::Nul)?;
        let _inside = Inside::enter()?;
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
            panic: None,
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
        if code == ffi::EE_OK {
            // SAFETY: under the lock.
            unsafe { ffi::espeak_Synchronize() };
        }
        drop(engine);
        if let Some(panic) = target.panic {
            resume_unwind(panic);
        }
        if code != ffi::EE_OK {
            return Err(EspeakError::Synth {
                text: text.to_owned(),
                code,
            });
        }
        Ok(!target.stopped)
    }

    /// Every voice espeak-ng has, sorted by name.
    pub fn voices(&self) -> Result<Vec<VoiceInfo>, EspeakError> {
        let _inside = Inside::enter()?;
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

    /// A panic in the chunk handler reaches the caller as a panic (it used to unwind
    /// into C, which aborts the process), and the engine works afterwards.
    #[test]
    fn a_panic_in_the_chunk_handler_is_raised_after_synthesis() {
        let espeak = Espeak::new().unwrap();
        let caught = std::panic::catch_unwind(|| {
            espeak.synthesize(
                "da",
                165,
                &EspeakParams::default(),
                "fire otte to",
                &mut |_| panic!("the sink broke"),
            )
        })
        .expect_err("the panic was lost");
        assert_eq!(caught.downcast_ref::<&str>(), Some(&"the sink broke"));
        assert!(!say("da", "fem").is_empty());
    }

    /// A chunk handler that speaks gets an error at once (it used to wait forever for
    /// the lock its own caller held).
    #[test]
    fn speaking_from_inside_a_synthesis_is_an_error_not_a_deadlock() {
        let (done, result) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let espeak = Espeak::new().unwrap();
            let mut inner = Vec::new();
            let outer = espeak.synthesize("da", 165, &EspeakParams::default(), "fire", &mut |_| {
                let params = EspeakParams::default();
                inner.push(
                    espeak
                        .synthesize("da", 165, &params, "to", &mut |_| true)
                        .err(),
                );
                inner.push(espeak.voices().err());
                false
            });
            let _ = done.send((outer, inner));
        });
        let (outer, inner) = result
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("a re-entrant call deadlocked");
        assert_eq!(outer, Ok(false));
        assert_eq!(
            inner,
            [Some(EspeakError::Reentrant), Some(EspeakError::Reentrant)]
        );
        assert!(!say("da", "seks").is_empty());
    }

    /// `Event` and `Voice` have the C layout of speak_lib.h, as the C compiler sees it
    /// (needs a C compiler and libespeak-ng-dev, which scripts/install-deps installs).
    #[test]
    fn structs_match_the_c_layout() {
        use std::mem::{offset_of, size_of};
        let checks = [
            ("sizeof(espeak_EVENT)", size_of::<ffi::Event>()),
            (
                "offsetof(espeak_EVENT, unique_identifier)",
                offset_of!(ffi::Event, unique_identifier),
            ),
            (
                "offsetof(espeak_EVENT, sample)",
                offset_of!(ffi::Event, sample),
            ),
            (
                "offsetof(espeak_EVENT, user_data)",
                offset_of!(ffi::Event, user_data),
            ),
            ("offsetof(espeak_EVENT, id)", offset_of!(ffi::Event, id)),
            ("sizeof(((espeak_EVENT *)0)->id)", size_of::<ffi::EventId>()),
            ("sizeof(espeak_VOICE)", size_of::<ffi::Voice>()),
            (
                "offsetof(espeak_VOICE, gender)",
                offset_of!(ffi::Voice, gender),
            ),
            (
                "offsetof(espeak_VOICE, score)",
                offset_of!(ffi::Voice, score),
            ),
            (
                "offsetof(espeak_VOICE, spare)",
                offset_of!(ffi::Voice, spare),
            ),
        ];
        let mut source = String::from("#include <stddef.h>\n#include <espeak-ng/speak_lib.h>\n");
        for (expression, rust) in checks {
            source.push_str(&format!(
                "_Static_assert({expression} == {rust}, \"{expression} is not {rust} as in Rust\");\n"
            ));
        }
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("layout.c");
        std::fs::write(&file, &source).unwrap();
        let output = std::process::Command::new("cc")
            .arg("-fsyntax-only")
            .arg(&file)
            .output()
            .expect("a C compiler (cc)");
        assert!(
            output.status.success(),
            "{}\n{source}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
