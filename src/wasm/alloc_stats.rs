//! Allocation counters for the soak benchmark (`make bench-soak`), only in
//! builds with the `alloc-stats` feature: never in the shipped wasm.
//!
//! Linear memory never shrinks, so `memory.buffer.byteLength` is only the
//! allocator's high-water mark, and a slow leak can hide in memory freed
//! earlier. Counting the bytes handed out and given back shows what is live.

use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicUsize, Ordering};

use wasm_bindgen::prelude::*;

/// Bytes currently allocated (requested sizes, not the allocator's overhead).
static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);

/// The shipped allocator (`super::alloc`), counting as it goes.
struct Counting;

static INNER: super::alloc::SizeClasses = super::alloc::SizeClasses::new();

// SAFETY: every call forwards to `INNER` with the caller's arguments
// unchanged; the counters only observe sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { INNER.alloc(layout) };
        if !p.is_null() {
            LIVE_BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { INNER.alloc_zeroed(layout) };
        if !p.is_null() {
            LIVE_BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { INNER.dealloc(ptr, layout) };
        LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { INNER.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
            LIVE_BYTES.fetch_add(new_size, Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Bytes the core currently holds on the heap (`alloc-stats` builds only).
#[wasm_bindgen(js_name = liveHeapBytes)]
pub fn live_heap_bytes() -> f64 {
    LIVE_BYTES.load(Ordering::Relaxed) as f64
}
