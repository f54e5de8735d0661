//! Storm coalescing: incidents sharing a key (their Alertmanager group key) within a
//! window share one decision. The first caller computes it; callers arriving while it is
//! computed wait for it (single flight); callers within the window after it is done get
//! it from a short cache. An alert storm of thousands of alerts of one group therefore
//! costs one model call per window.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::OnceCell;
use tokio::time::Instant;

/// A result shared by the incidents of one key.
#[derive(Debug)]
struct Slot<T> {
    cell: OnceCell<(T, Instant)>,
}

/// Single flight plus a short cache, by key.
#[derive(Debug)]
pub struct Coalescer<T> {
    window: Duration,
    slots: Mutex<HashMap<String, Arc<Slot<T>>>>,
}

impl<T: Clone> Coalescer<T> {
    /// A coalescer keeping results for `window` after they are computed.
    pub fn new(window: Duration) -> Self {
        Coalescer {
            window,
            slots: Mutex::new(HashMap::new()),
        }
    }

    /// The result for `key`: computed by `compute` if no caller computed it within the
    /// window, else the shared one. The flag says whether it was shared.
    pub async fn run<F, Fut>(&self, key: &str, compute: F) -> (T, bool)
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            slots.retain(|_, s| {
                s.cell
                    .get()
                    .is_none_or(|(_, done)| now.duration_since(*done) <= self.window)
            });
            slots
                .entry(key.to_string())
                .or_insert_with(|| Arc::new(Slot { cell: OnceCell::new() }))
                .clone()
        };
        let mut computed_here = false;
        let (value, _) = slot
            .cell
            .get_or_init(|| {
                computed_here = true;
                async move { (compute().await, Instant::now()) }
            })
            .await;
        (value.clone(), !computed_here)
    }

    /// Keys currently held (in flight or cached).
    pub fn len(&self) -> usize {
        self.slots.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn concurrent_callers_share_one_computation_then_the_window_expires() {
        let c = Arc::new(Coalescer::<usize>::new(Duration::from_secs(60)));
        let calls = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..100 {
            let (c, calls) = (c.clone(), calls.clone());
            tasks.push(tokio::spawn(async move {
                c.run("group-a", || async {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    calls.fetch_add(1, Ordering::SeqCst)
                })
                .await
            }));
        }
        let mut shared = 0;
        for t in tasks {
            let (v, was_shared) = t.await.unwrap();
            assert_eq!(v, 0);
            shared += usize::from(was_shared);
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(shared, 99);

        // within the window: cached; another key: computed
        assert_eq!(c.run("group-a", || async { 7 }).await, (0, true));
        assert_eq!(c.run("group-b", || async { 7 }).await, (7, false));
        tokio::time::advance(Duration::from_secs(61)).await;
        assert_eq!(c.run("group-a", || async { 8 }).await, (8, false));
    }
}
