//! Any bytes as an .xlsx, .ods or .xls roster: reading must stay within a memory bound.
//! A few kilobytes used to make calamine allocate hundreds of gigabytes (one value in
//! `XFD1048576`, a cell repeated over 16,384 columns): the reader now measures a
//! workbook's used area before calamine allocates it.
//!
//! A counting allocator keeps the peak of live bytes while one input is read; a peak over
//! `LIMIT`, or a single request over it, is a crash (the request is refused by aborting
//! at once, before the system is asked for it, so that the run reports the input instead
//! of the machine running out of memory).

#![no_main]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};

use libfuzzer_sys::fuzz_target;

/// Above what the largest workbook the bounds accept needs (1,500,000 cells and 16 MiB
/// of text: about 250 MiB), far below what the hostile shapes claimed (up to 512 GiB).
const LIMIT: usize = 512 * 1024 * 1024;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed on to the system allocator with the same layout; the
// counters only observe sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

fn count(size: usize) {
    let live = LIVE.fetch_add(size, Ordering::Relaxed).saturating_add(size);
    PEAK.fetch_max(live, Ordering::Relaxed);
    if size > LIMIT || live > LIMIT {
        eprintln!("roster_memory: {size} bytes requested, {live} bytes live (limit {LIMIT})");
        std::process::abort();
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

static PANIC_HOOK: Once = Once::new();

fuzz_target!(|data: &[u8]| {
    // As in `roster_file`: the reader catches calamine's panics on purpose.
    PANIC_HOOK.call_once(|| drop(std::panic::take_hook()));
    for name in ["roster.xlsx", "roster.ods", "roster.xls"] {
        let before = LIVE.load(Ordering::Relaxed);
        PEAK.store(before, Ordering::Relaxed);
        let _ = territoires_sync::fuzzing::check_file(data, name, 50_000);
        let peak = PEAK.load(Ordering::Relaxed).saturating_sub(before);
        assert!(peak <= LIMIT, "{name}: {peak} bytes at the peak");
    }
});
