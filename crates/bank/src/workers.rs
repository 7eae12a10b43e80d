//! The bank's background work, apart from any request: the SMS outbox's sender, the purge of
//! old pictures, and the reading of uploaded ID fronts. Started together, stopped together.

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::services::Services;

/// The running workers.
pub struct Workers {
    sender: JoinHandle<()>,
    purge: JoinHandle<()>,
    id_reading: JoinHandle<()>,
}

impl Workers {
    /// Starts the workers; they stop when `stop` turns true.
    pub fn start(services: &Services, stop: watch::Receiver<bool>) -> Workers {
        let sender = if services.settings.sms.worker {
            tokio::spawn(services.outbox.clone().run(stop.clone()))
        } else {
            tokio::spawn(async {})
        };
        Workers {
            sender,
            purge: tokio::spawn(crate::evidence::purge::run(services.clone(), stop.clone())),
            id_reading: tokio::spawn(crate::evidence::id_reading::run(services.clone(), stop)),
        }
    }

    /// Waits for each to finish what it was doing (after the stop signal was sent).
    pub async fn finished(self) {
        let _ = self.sender.await;
        let _ = self.purge.await;
        let _ = self.id_reading.await;
    }
}
