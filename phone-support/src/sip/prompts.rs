//! What the menu says, as 8 kHz G.711 ready to send: one synthesis thread (the voice is not
//! shared between threads) renders each utterance once, resamples it to 8 kHz and encodes
//! it both ways; every call after that gets the cached audio at once.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use speech::{Catalogue, Lang, Pcm, Settings, Utterance, Voice};
use tokio::sync::oneshot;

use crate::telephony::g711::Law;
use crate::telephony::resample::{to_line_rate, LINE_RATE};

/// Which voice says the prompts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VoiceChoice {
    /// espeak-ng, in-process.
    Espeak,
    /// A recorded voice pack (espeak-ng for what it lacks).
    Pack(PathBuf),
    /// No audio: prompts are only written to transcripts (tests, text relays).
    Silent,
}

/// A prompt ready for the line.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The words, as in transcripts.
    pub text: String,
    mu: Arc<[u8]>,
    a: Arc<[u8]>,
}

impl Rendered {
    /// The prompt encoded with a law, 8000 bytes a second.
    pub fn audio(&self, law: Law) -> Arc<[u8]> {
        match law {
            Law::Mu => self.mu.clone(),
            Law::A => self.a.clone(),
        }
    }
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("cannot render the prompt: {0}")]
pub struct PromptError(pub String);

struct Request {
    lang: Lang,
    words: Utterance,
    reply: oneshot::Sender<Result<Rendered, PromptError>>,
}

/// The handle calls use to get prompts.
#[derive(Clone)]
pub struct Prompts {
    requests: std::sync::mpsc::Sender<Request>,
}

impl Prompts {
    /// Starts the synthesis thread; fails when the voice cannot be opened.
    pub fn start(choice: VoiceChoice) -> Result<Prompts, PromptError> {
        let (requests, incoming) = std::sync::mpsc::channel::<Request>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("prompts".into())
            .spawn(move || {
                let opened = open(&choice);
                let (catalogue, mut voice) = match opened {
                    Ok(pair) => {
                        let _ = ready_tx.send(Ok(()));
                        pair
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                let mut cache: HashMap<(Lang, String), Rendered> = HashMap::new();
                for request in incoming {
                    let result = render(
                        &catalogue,
                        voice.as_mut(),
                        &mut cache,
                        request.lang,
                        &request.words,
                    );
                    let _ = request.reply.send(result);
                }
            })
            .map_err(|e| PromptError(format!("cannot start the prompt thread: {e}")))?;
        ready_rx
            .recv()
            .map_err(|_| PromptError("the prompt thread stopped".into()))??;
        Ok(Prompts { requests })
    }

    pub async fn render(&self, lang: Lang, words: &Utterance) -> Result<Rendered, PromptError> {
        let (reply, answer) = oneshot::channel();
        self.requests
            .send(Request {
                lang,
                words: words.clone(),
                reply,
            })
            .map_err(|_| PromptError("the prompt thread stopped".into()))?;
        answer
            .await
            .map_err(|_| PromptError("the prompt thread stopped".into()))?
    }
}

fn open(choice: &VoiceChoice) -> Result<(Catalogue, Option<Voice>), PromptError> {
    let catalogue = Catalogue::embedded().map_err(|e| PromptError(e.to_string()))?;
    let voice = match choice {
        VoiceChoice::Silent => None,
        VoiceChoice::Espeak => {
            Some(Voice::espeak().map_err(|e| PromptError(format!("espeak-ng: {e}")))?)
        }
        VoiceChoice::Pack(dir) => Some(
            Voice::pack(dir)
                .map_err(|e| PromptError(format!("voice pack {}: {e}", dir.display())))?,
        ),
    };
    Ok((catalogue, voice))
}

fn render(
    catalogue: &Catalogue,
    voice: Option<&mut Voice>,
    cache: &mut HashMap<(Lang, String), Rendered>,
    lang: Lang,
    words: &Utterance,
) -> Result<Rendered, PromptError> {
    let settings = Settings {
        lang,
        ..Settings::default()
    };
    let script = catalogue
        .render(words, settings)
        .map_err(|e| PromptError(e.to_string()))?;
    let text = script.words_line();
    let key = (lang, text.clone());
    if let Some(hit) = cache.get(&key) {
        return Ok(hit.clone());
    }
    let samples = match voice {
        None => Vec::new(),
        Some(voice) => {
            let mut pcm = Pcm::new(voice.sample_rate());
            voice
                .speak(&script, &mut pcm)
                .map_err(|e| PromptError(e.to_string()))?;
            to_line_rate(&pcm.samples, pcm.sample_rate).map_err(|e| PromptError(e.to_string()))?
        }
    };
    debug_assert_eq!(LINE_RATE, 8000);
    let rendered = Rendered {
        text,
        mu: Law::Mu.encode_all(&samples).into(),
        a: Law::A.encode_all(&samples).into(),
    };
    cache.insert(key, rendered.clone());
    Ok(rendered)
}
