# Generic prompts spoken around codes and serial numbers (owned by the speech crate).
your-code-is = Din kode er
repeating = Jeg gentager
serial-number-is = Serienummeret er
test-phrase = Dette er en prøve på talen. Kan du høre mig tydeligt?
speech-unavailable = Talen virker ikke lige nu. Koden står på skærmen.
voice-pack-broken = Stemmepakken er defekt. Jeg bruger den indbyggede stemme.
