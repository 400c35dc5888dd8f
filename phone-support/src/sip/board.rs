//! The line's one [`Board`] (the pure queue), shared by the calls and the control API:
//! a lock, a clock in milliseconds since the line started, and a watch channel that ticks
//! on every change so the agents' console can be told at once.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::queue::{Board, CallView};

pub struct LineBoard {
    board: Mutex<Board>,
    changes: watch::Sender<u64>,
    epoch: Instant,
    /// How often a waiting caller is told the place in the queue again.
    pub announce_every: Duration,
}

impl LineBoard {
    pub fn new(wait_per_caller: Duration, announce_every: Duration) -> LineBoard {
        let wait_ms = u64::try_from(wait_per_caller.as_millis()).unwrap_or(u64::MAX);
        LineBoard {
            board: Mutex::new(Board::new(wait_ms)),
            changes: watch::channel(0).0,
            epoch: Instant::now(),
            announce_every,
        }
    }

    pub fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Runs `change` on the board at the current time; watchers hear of any change.
    pub fn with<R>(&self, change: impl FnOnce(&mut Board, u64) -> R) -> R {
        let now = self.now_ms();
        let mut board = self
            .board
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let before = board.version();
        let result = change(&mut board, now);
        let after = board.version();
        drop(board);
        if after != before {
            self.changes.send_replace(after);
        }
        result
    }

    pub fn views(&self) -> Vec<CallView> {
        self.with(|board, now| board.views(now))
    }

    /// Ticks on every change.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }
}
