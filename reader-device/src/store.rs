//! Settings and the HOTP counter on storage that survives power cuts: two checksummed
//! slots written alternately, so the newest good copy is never overwritten. A torn write
//! leaves a slot whose checksum fails; loading reports it and uses the other slot.
//!
//! [`FileSlots`] keeps the slots as two files (written, fsynced, directory fsynced);
//! [`MemorySlots`] in memory; [`FaultySlots`] cuts the power at a chosen write step.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use speech::{Grouping, Lang, Rate};

use crate::core::{Record, Settings};

const MAGIC: &[u8; 4] = b"KRD1";
const HEADER: usize = 4 + 8 + 4 + 4;

/// One of the two copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    A,
    B,
}

impl Slot {
    fn other(self) -> Slot {
        match self {
            Slot::A => Slot::B,
            Slot::B => Slot::A,
        }
    }
}

/// Why storage failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{action} {path}: {cause}")]
    Io {
        action: &'static str,
        path: PathBuf,
        cause: io::Error,
    },
    #[error("the power was cut during a write")]
    PowerCut,
    #[error("encoding the state: {0}")]
    Encode(#[from] serde_json::Error),
}

/// Where the two slots live. A successful `write` is durable.
pub trait SlotMedium {
    /// The slot's bytes, or `None` if it was never written.
    fn read(&mut self, slot: Slot) -> Result<Option<Vec<u8>>, StoreError>;
    fn write(&mut self, slot: Slot, bytes: &[u8]) -> Result<(), StoreError>;
}

/// What loading found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    /// The newest good record, or `None` on a fresh device.
    pub record: Option<Record>,
    /// Slots that hold data but fail their checksum or do not decode (a write cut short).
    pub corrupt: Vec<Slot>,
}

/// The crash-safe state file.
#[derive(Debug)]
pub struct StateStore<M> {
    medium: M,
    sequence: u64,
    next: Slot,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Stored {
    lang: String,
    grouping: String,
    rate: String,
    double_strike_ms: u64,
    invert: bool,
    /// Added after the first release: files without it read as "off".
    #[serde(default)]
    always_aloud: bool,
    hotp_next: Option<u64>,
    clock_mark: u64,
}

impl Stored {
    fn from_record(record: &Record) -> Stored {
        let settings = record.settings;
        Stored {
            lang: settings.lang.code().to_owned(),
            grouping: match settings.grouping {
                Grouping::Threes => "threes",
                Grouping::Pairs => "pairs",
                Grouping::Single => "single",
            }
            .to_owned(),
            rate: match settings.rate {
                Rate::Slow => "slow",
                Rate::Normal => "normal",
                Rate::Fast => "fast",
            }
            .to_owned(),
            double_strike_ms: settings.double_strike_ms,
            invert: settings.invert,
            always_aloud: settings.always_aloud,
            hotp_next: record.hotp_next,
            clock_mark: record.clock_mark,
        }
    }

    /// Unknown names fall back to the defaults: a newer file must not brick the device.
    fn into_record(self) -> Record {
        let defaults = Settings::default();
        Record {
            settings: Settings {
                lang: self.lang.parse::<Lang>().unwrap_or(defaults.lang),
                grouping: match self.grouping.as_str() {
                    "pairs" => Grouping::Pairs,
                    "single" => Grouping::Single,
                    _ => Grouping::Threes,
                },
                rate: match self.rate.as_str() {
                    "slow" => Rate::Slow,
                    "fast" => Rate::Fast,
                    _ => Rate::Normal,
                },
                double_strike_ms: self.double_strike_ms.min(5_000),
                invert: self.invert,
                always_aloud: self.always_aloud,
            },
            hotp_next: self.hotp_next,
            clock_mark: self.clock_mark,
        }
    }
}

/// magic | sequence (u64 LE) | length (u32 LE) | CRC-32 of sequence, length, payload | payload
fn encode(sequence: u64, record: &Record) -> Result<Vec<u8>, StoreError> {
    let payload = serde_json::to_vec(&Stored::from_record(record))?;
    let mut checked = Vec::with_capacity(12 + payload.len());
    checked.extend_from_slice(&sequence.to_le_bytes());
    checked.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    checked.extend_from_slice(&payload);
    let crc = crc32fast::hash(&checked);
    let mut bytes = Vec::with_capacity(HEADER + payload.len());
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&checked[..12]);
    bytes.extend_from_slice(&crc.to_le_bytes());
    bytes.extend_from_slice(&payload);
    Ok(bytes)
}

fn decode(bytes: &[u8]) -> Option<(u64, Record)> {
    if bytes.len() < HEADER || &bytes[..4] != MAGIC {
        return None;
    }
    let sequence = u64::from_le_bytes(bytes[4..12].try_into().ok()?);
    let length = u32::from_le_bytes(bytes[12..16].try_into().ok()?) as usize;
    let crc = u32::from_le_bytes(bytes[16..20].try_into().ok()?);
    let payload = bytes.get(HEADER..HEADER.checked_add(length)?)?;
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&bytes[4..16]);
    hasher.update(payload);
    if hasher.finalize() != crc {
        return None;
    }
    let stored: Stored = serde_json::from_slice(payload).ok()?;
    Some((sequence, stored.into_record()))
}

impl<M: SlotMedium> StateStore<M> {
    /// Reads both slots and keeps the newest good one.
    pub fn open(mut medium: M) -> Result<(Self, Loaded), StoreError> {
        let mut best: Option<(u64, Slot, Record)> = None;
        let mut corrupt = Vec::new();
        for slot in [Slot::A, Slot::B] {
            let Some(bytes) = medium.read(slot)? else {
                continue;
            };
            match decode(&bytes) {
                Some((sequence, record)) => {
                    let newer = match &best {
                        Some((newest, _, _)) => sequence > *newest,
                        None => true,
                    };
                    if newer {
                        best = Some((sequence, slot, record));
                    }
                }
                None => corrupt.push(slot),
            }
        }
        let (sequence, next) = match &best {
            Some((sequence, slot, _)) => (*sequence, slot.other()),
            None => (0, Slot::A),
        };
        let loaded = Loaded {
            record: best.map(|(_, _, record)| record),
            corrupt,
        };
        Ok((
            StateStore {
                medium,
                sequence,
                next,
            },
            loaded,
        ))
    }

    /// Writes `record` into the slot that does not hold the newest good copy. When this
    /// returns `Ok` the record is durable.
    pub fn save(&mut self, record: &Record) -> Result<(), StoreError> {
        let sequence = self.sequence + 1;
        let bytes = encode(sequence, record)?;
        self.medium.write(self.next, &bytes)?;
        self.sequence = sequence;
        self.next = self.next.other();
        Ok(())
    }

    pub fn medium(&self) -> &M {
        &self.medium
    }

    pub fn into_medium(self) -> M {
        self.medium
    }
}

/// The slots as two files `state-a.bin` and `state-b.bin` in a directory (mode 0600).
#[derive(Debug, Clone)]
pub struct FileSlots {
    dir: PathBuf,
}

impl FileSlots {
    /// Creates the directory (0700) if needed.
    pub fn new(dir: &Path) -> Result<Self, StoreError> {
        fs::create_dir_all(dir).map_err(|cause| StoreError::Io {
            action: "creating state directory",
            path: dir.to_owned(),
            cause,
        })?;
        Ok(FileSlots {
            dir: dir.to_owned(),
        })
    }

    fn path(&self, slot: Slot) -> PathBuf {
        self.dir.join(match slot {
            Slot::A => "state-a.bin",
            Slot::B => "state-b.bin",
        })
    }
}

impl SlotMedium for FileSlots {
    fn read(&mut self, slot: Slot) -> Result<Option<Vec<u8>>, StoreError> {
        let path = self.path(slot);
        let io_error = |cause| StoreError::Io {
            action: "reading",
            path: path.clone(),
            cause,
        };
        match File::open(&path) {
            Ok(mut file) => {
                let mut bytes = Vec::new();
                file.read_to_end(&mut bytes).map_err(io_error)?;
                Ok(Some(bytes))
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(io_error(error)),
        }
    }

    fn write(&mut self, slot: Slot, bytes: &[u8]) -> Result<(), StoreError> {
        let path = self.path(slot);
        let io_error = |action| {
            let path = path.clone();
            move |cause| StoreError::Io {
                action,
                path,
                cause,
            }
        };
        let existed = path.exists();
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&path)
            .map_err(io_error("opening"))?;
        file.write_all(bytes).map_err(io_error("writing"))?;
        file.sync_all().map_err(io_error("syncing"))?;
        if !existed {
            // A new file's directory entry must be durable too.
            File::open(&self.dir)
                .and_then(|dir| dir.sync_all())
                .map_err(io_error("syncing directory of"))?;
        }
        Ok(())
    }
}

/// Slots in memory (tests, the simulator).
#[derive(Debug, Clone, Default)]
pub struct MemorySlots {
    slots: [Option<Vec<u8>>; 2],
}

impl MemorySlots {
    fn index(slot: Slot) -> usize {
        match slot {
            Slot::A => 0,
            Slot::B => 1,
        }
    }
}

impl SlotMedium for MemorySlots {
    fn read(&mut self, slot: Slot) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.slots[Self::index(slot)].clone())
    }

    fn write(&mut self, slot: Slot, bytes: &[u8]) -> Result<(), StoreError> {
        self.slots[Self::index(slot)] = Some(bytes.to_vec());
        Ok(())
    }
}

/// Memory slots that lose power at write step `cut_at`, counting every `chunk`-byte piece
/// of every write as a step (and the final sync as one more). A cut leaves the slot
/// truncated to what was written so far — optionally followed by garbage — and fails
/// every later operation until [`FaultySlots::reboot`].
#[derive(Debug, Clone)]
pub struct FaultySlots {
    inner: MemorySlots,
    chunk: usize,
    steps: u64,
    cut_at: Option<u64>,
    garbage_tail: bool,
    dead: bool,
}

impl FaultySlots {
    pub fn new(chunk: usize, cut_at: Option<u64>, garbage_tail: bool) -> Self {
        FaultySlots {
            inner: MemorySlots::default(),
            chunk: chunk.max(1),
            steps: 0,
            cut_at,
            garbage_tail,
            dead: false,
        }
    }

    /// Whether the power has been cut.
    pub fn is_cut(&self) -> bool {
        self.dead
    }

    /// Power comes back: the slots keep what they hold; no further cut is planned.
    pub fn reboot(mut self) -> Self {
        self.dead = false;
        self.cut_at = None;
        self
    }

    /// Write steps taken so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    fn step(&mut self) -> bool {
        self.steps += 1;
        if self.cut_at.is_some_and(|cut| self.steps >= cut) {
            self.dead = true;
        }
        self.dead
    }
}

impl SlotMedium for FaultySlots {
    fn read(&mut self, slot: Slot) -> Result<Option<Vec<u8>>, StoreError> {
        if self.dead {
            return Err(StoreError::PowerCut);
        }
        self.inner.read(slot)
    }

    fn write(&mut self, slot: Slot, bytes: &[u8]) -> Result<(), StoreError> {
        if self.dead {
            return Err(StoreError::PowerCut);
        }
        let index = MemorySlots::index(slot);
        // Opening with truncate empties the slot before the first byte lands.
        self.inner.slots[index] = Some(Vec::new());
        for piece in bytes.chunks(self.chunk) {
            if self.step() {
                if self.garbage_tail {
                    if let Some(torn) = &mut self.inner.slots[index] {
                        torn.extend(piece.iter().map(|byte| byte ^ 0x5a));
                    }
                }
                return Err(StoreError::PowerCut);
            }
            if let Some(written) = &mut self.inner.slots[index] {
                written.extend_from_slice(piece);
            }
        }
        if self.step() {
            // Cut before the sync: the data may or may not have landed; assume it did not.
            self.inner.slots[index] = Some(bytes[..bytes.len() / 2].to_vec());
            return Err(StoreError::PowerCut);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn record(counter: u64) -> Record {
        Record {
            settings: Settings {
                lang: Lang::En,
                grouping: Grouping::Pairs,
                rate: Rate::Slow,
                double_strike_ms: 500,
                invert: true,
                always_aloud: true,
            },
            hotp_next: Some(counter),
            clock_mark: 1_750_000_000,
        }
    }

    #[test]
    fn a_record_written_before_always_aloud_reads_with_it_off() {
        let old = r#"{"lang":"da","grouping":"threes","rate":"normal","double_strike_ms":0,"invert":false,"hotp_next":null,"clock_mark":0}"#;
        let stored: Stored = serde_json::from_str(old).unwrap();
        assert!(!stored.into_record().settings.always_aloud);
    }

    #[test]
    fn saves_alternate_and_the_newest_wins() {
        let (mut store, loaded) = StateStore::open(MemorySlots::default()).unwrap();
        assert_eq!(
            loaded,
            Loaded {
                record: None,
                corrupt: vec![]
            }
        );
        for counter in 1..=5 {
            store.save(&record(counter)).unwrap();
        }
        let (_, loaded) = StateStore::open(store.into_medium()).unwrap();
        assert_eq!(loaded.record, Some(record(5)));
    }

    #[test]
    fn a_torn_slot_is_reported_and_the_other_used() {
        let (mut store, _) = StateStore::open(MemorySlots::default()).unwrap();
        store.save(&record(1)).unwrap();
        store.save(&record(2)).unwrap();
        let mut medium = store.into_medium();
        let mut torn = medium.read(Slot::B).unwrap().unwrap();
        let last = torn.len() - 1;
        torn[last] ^= 1;
        medium.write(Slot::B, &torn).unwrap();
        let (mut store, loaded) = StateStore::open(medium).unwrap();
        assert_eq!(loaded.record, Some(record(1)));
        assert_eq!(loaded.corrupt, [Slot::B]);
        // The next save goes into the torn slot, never over the good one.
        store.save(&record(3)).unwrap();
        let (_, loaded) = StateStore::open(store.into_medium()).unwrap();
        assert_eq!(
            loaded,
            Loaded {
                record: Some(record(3)),
                corrupt: vec![]
            }
        );
    }

    #[test]
    fn files_are_private_and_survive_reopening() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let (mut store, _) = StateStore::open(FileSlots::new(dir.path()).unwrap()).unwrap();
        store.save(&record(7)).unwrap();
        store.save(&record(8)).unwrap();
        let mode = fs::metadata(dir.path().join("state-a.bin"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let (_, loaded) = StateStore::open(FileSlots::new(dir.path()).unwrap()).unwrap();
        assert_eq!(loaded.record, Some(record(8)));
    }

    proptest! {
        /// Garbage in a slot never panics and never decodes as a record.
        #[test]
        fn garbage_is_corrupt(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut medium = MemorySlots::default();
            medium.write(Slot::A, &bytes).unwrap();
            let (_, loaded) = StateStore::open(medium).unwrap();
            prop_assert!(loaded.record.is_none() || bytes.starts_with(MAGIC));
        }
    }
}
