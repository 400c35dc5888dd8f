# Generic prompts spoken around codes and serial numbers (owned by the speech crate).
your-code-is = Your code is
repeating = Repeating
serial-number-is = The serial number is
test-phrase = This is a speech test. Can you hear me clearly?
speech-unavailable = Speech is not working right now. The code is shown on the screen.
voice-pack-broken = The voice pack is broken. Using the built-in voice.
