//! Admission of plugin calls: an instance slot from the pool, and a share of
//! the host-wide plugin memory budget (`ACCESS_MCP_MEMORY_BUDGET_MIB`).
//!
//! A call is admitted with a reservation (what its plugin needed to start,
//! measured when it was loaded) and grows its share as its instance grows
//! memory; growth the budget cannot cover ends the call as "busy". Calls that
//! cannot be admitted at once wait in a bounded queue for a bounded time, then
//! get the same clear busy answer, so a flood of heavy calls degrades into
//! quick refusals rather than into an unbounded heap.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Accounting unit: one WebAssembly page.
pub const PAGE: usize = 64 * 1024;

/// Why a call was not admitted (or could not grow).
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum Busy {
    #[error("{0} plugin calls are already waiting for capacity")]
    QueueFull(usize),
    #[error("no capacity freed within {0} ms")]
    Timeout(u64),
    #[error("the host is shutting down")]
    Closed,
}

/// The admission settings.
#[derive(Debug, Clone, Copy)]
pub struct AdmissionLimits {
    pub instances: u32,
    pub memory_bytes: usize,
    pub queue: usize,
    pub queue_wait: Duration,
}

/// Instance slots and the memory budget, shared by every call.
pub struct Admission {
    slots: Arc<Semaphore>,
    pages: Arc<Semaphore>,
    total_pages: u32,
    waiting: AtomicUsize,
    limits: AdmissionLimits,
}

impl Admission {
    pub fn new(limits: AdmissionLimits) -> Self {
        let total_pages = u32::try_from(limits.memory_bytes / PAGE)
            .unwrap_or(u32::MAX >> 4)
            .max(1);
        Admission {
            slots: Arc::new(Semaphore::new(limits.instances.max(1) as usize)),
            pages: Arc::new(Semaphore::new(total_pages as usize)),
            total_pages,
            waiting: AtomicUsize::new(0),
            limits,
        }
    }

    pub fn limits(&self) -> &AdmissionLimits {
        &self.limits
    }

    /// Pages of the budget not held by any call now.
    pub fn free_pages(&self) -> usize {
        self.pages.available_permits()
    }

    /// Wait (bounded) for a slot and `reserve_bytes` of the memory budget.
    pub async fn admit(&self, reserve_bytes: usize) -> Result<Admitted, Busy> {
        let reserve = pages_for(reserve_bytes).min(self.total_pages);
        // The fast path takes no queue place.
        if let (Ok(slot), Ok(memory)) = (
            self.slots.clone().try_acquire_owned(),
            self.pages.clone().try_acquire_many_owned(reserve),
        ) {
            return Ok(self.admitted(slot, memory, reserve));
        }
        let queued = self.waiting.fetch_add(1, Ordering::AcqRel);
        let _place = QueuePlace(&self.waiting);
        if queued >= self.limits.queue {
            return Err(Busy::QueueFull(queued));
        }
        let wait = async {
            let slot = self.slots.clone().acquire_owned().await;
            let memory = self.pages.clone().acquire_many_owned(reserve).await;
            (slot, memory)
        };
        match tokio::time::timeout(self.limits.queue_wait, wait).await {
            Err(_) => Err(Busy::Timeout(self.limits.queue_wait.as_millis() as u64)),
            Ok((Ok(slot), Ok(memory))) => Ok(self.admitted(slot, memory, reserve)),
            Ok(_) => Err(Busy::Closed),
        }
    }

    fn admitted(
        &self,
        slot: OwnedSemaphorePermit,
        memory: OwnedSemaphorePermit,
        reserve: u32,
    ) -> Admitted {
        Admitted {
            slot,
            lease: MemoryLease {
                budget: self.pages.clone(),
                held: memory,
                held_pages: reserve,
                used_bytes: 0,
                peak_bytes: 0,
            },
        }
    }
}

fn pages_for(bytes: usize) -> u32 {
    u32::try_from(bytes.div_ceil(PAGE)).unwrap_or(u32::MAX)
}

/// A place in the waiting queue, given back on drop.
struct QueuePlace<'a>(&'a AtomicUsize);

impl Drop for QueuePlace<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// An admitted call: its instance slot and its memory lease (both returned on drop).
pub struct Admitted {
    pub slot: OwnedSemaphorePermit,
    pub lease: MemoryLease,
}

/// A call's share of the memory budget.
pub struct MemoryLease {
    budget: Arc<Semaphore>,
    held: OwnedSemaphorePermit,
    held_pages: u32,
    used_bytes: usize,
    peak_bytes: usize,
}

impl MemoryLease {
    /// Account `delta` more bytes of linear memory; `false` when the budget
    /// cannot cover them (nothing is taken then).
    pub fn grow(&mut self, delta: usize) -> bool {
        let want = self.used_bytes.saturating_add(delta);
        let need = pages_for(want);
        if need > self.held_pages {
            let more = need - self.held_pages;
            match self.budget.clone().try_acquire_many_owned(more) {
                Ok(p) => {
                    self.held.merge(p);
                    self.held_pages = need;
                }
                Err(_) => return false,
            }
        }
        self.used_bytes = want;
        self.peak_bytes = self.peak_bytes.max(want);
        true
    }

    /// The most linear memory the call held at once.
    pub fn peak_bytes(&self) -> usize {
        self.peak_bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admission(memory_pages: usize, instances: u32, queue: usize) -> Admission {
        Admission::new(AdmissionLimits {
            instances,
            memory_bytes: memory_pages * PAGE,
            queue,
            queue_wait: Duration::from_millis(50),
        })
    }

    #[tokio::test]
    async fn growth_is_bounded_by_the_budget_and_returned_on_drop() {
        let a = admission(10, 4, 4);
        let mut first = a.admit(2 * PAGE).await.expect("admitted");
        assert!(first.lease.grow(2 * PAGE), "within the reservation");
        assert!(first.lease.grow(6 * PAGE), "from the budget");
        assert_eq!(a.free_pages(), 2);
        assert!(!first.lease.grow(3 * PAGE), "over the budget");
        assert_eq!(a.free_pages(), 2, "a refused growth takes nothing");
        assert_eq!(first.lease.peak_bytes(), 8 * PAGE);
        // A second call fits its reservation, a third waits, then is refused.
        let second = a.admit(2 * PAGE).await.expect("admitted");
        assert_eq!(a.admit(PAGE).await.err(), Some(Busy::Timeout(50)));
        drop(first);
        drop(second);
        assert_eq!(a.free_pages(), 10);
        assert!(a.admit(PAGE).await.is_ok());
    }

    #[tokio::test]
    async fn the_queue_is_bounded() {
        let a = Arc::new(admission(10, 1, 1));
        let held = a.admit(PAGE).await.expect("admitted");
        let waiter = {
            let a = a.clone();
            tokio::spawn(async move { a.admit(PAGE).await.map(|_| ()) })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(a.admit(PAGE).await.err(), Some(Busy::QueueFull(1)));
        drop(held);
        assert!(waiter.await.expect("join").is_ok());
    }
}
