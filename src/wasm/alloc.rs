//! The wasm build's allocator: power-of-two size classes, each with a free
//! list of the blocks given back.
//!
//! Why not dlmalloc (Rust's default on wasm32): it is about 6 KB of code that
//! every shopper downloads, for coalescing and trimming that a wasm module
//! cannot use (linear memory never shrinks). This one is a few hundred bytes
//! and faster per call (a list pop or push).
//!
//! - A request rounds up to a power of two (at least 8 bytes and at least its
//!   alignment); that is its class.
//! - A freed block goes on its class's list; the next request of that class
//!   takes it back. Memory therefore plateaus under a steady workload (a
//!   session that tracks and decides for hours); `make bench-soak` checks it.
//! - Classes up to 2 KiB are cut from 4 KiB pages (so every block is aligned
//!   to its size); larger ones are whole 4 KiB-aligned runs. Fresh memory
//!   comes from `memory.grow`.
//! - Costs: up to 2x per block from rounding, no coalescing (a freed class's
//!   blocks serve only that class), alignment above 4 KiB is refused (the
//!   core has no such type).
//!
//! Single-threaded: wasm32 without the atomics feature has one thread, so the
//! state needs no lock.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::UnsafeCell;
use std::ptr::null_mut;

/// Small classes are cut from pages of this size; large blocks align to it.
const PAGE: usize = 4096;
/// 2^3 = 8 bytes: room for a free-list link.
const MIN_CLASS: u32 = 3;
/// Classes 2^0 ..= 2^31 (the lowest three never used).
const CLASSES: usize = 32;
/// `memory.grow` works in 64 KiB pages.
const WASM_PAGE: usize = 65536;

pub struct SizeClasses {
    state: UnsafeCell<State>,
}

struct State {
    /// Head of each class's free list; a free block's first word links to the next.
    free: [*mut u8; CLASSES],
    /// Untouched memory: [next, end).
    next: usize,
    end: usize,
}

// SAFETY: wasm32 without atomics runs one thread, so `state` is never
// accessed concurrently.
unsafe impl Sync for SizeClasses {}

impl SizeClasses {
    pub const fn new() -> Self {
        SizeClasses { state: UnsafeCell::new(State { free: [null_mut(); CLASSES], next: 0, end: 0 }) }
    }
}

impl Default for SizeClasses {
    fn default() -> Self {
        Self::new()
    }
}

/// The class of a request: log2 of its rounded size.
fn class_of(layout: &Layout) -> Option<usize> {
    if layout.align() > PAGE {
        return None;
    }
    let size = layout.size().max(layout.align()).max(1 << MIN_CLASS);
    let class = size.checked_next_power_of_two()?.trailing_zeros() as usize;
    (class < CLASSES).then_some(class)
}

impl State {
    /// `bytes` (a multiple of PAGE) of fresh memory at a PAGE-aligned address.
    fn carve(&mut self, bytes: usize) -> *mut u8 {
        let mut start = self.next.checked_add(PAGE - 1).map_or(usize::MAX, |n| n & !(PAGE - 1));
        if start.checked_add(bytes).is_none_or(|stop| stop > self.end) {
            // Ask for enough that a fresh run fits whatever the old end was.
            let Some(want) = bytes.checked_add(PAGE).and_then(|b| b.checked_add(WASM_PAGE - 1)) else {
                return null_mut();
            };
            let pages = want / WASM_PAGE;
            let previous = grow(pages);
            if previous == usize::MAX {
                return null_mut();
            }
            let base = previous.wrapping_mul(WASM_PAGE);
            if base != self.end {
                // Someone else grew memory in between: start over at the new run.
                self.next = base;
            }
            self.end = base.wrapping_add(pages.wrapping_mul(WASM_PAGE));
            start = self.next.wrapping_add(PAGE - 1) & !(PAGE - 1);
        }
        self.next = start.wrapping_add(bytes);
        start as *mut u8
    }
}

/// Grows linear memory by `pages`; the previous size in pages, or usize::MAX.
fn grow(pages: usize) -> usize {
    core::arch::wasm32::memory_grow(0, pages)
}

// SAFETY: blocks come from `carve` (fresh, PAGE-aligned, never handed out
// twice) or from a free list that only holds blocks given back through
// `dealloc` with a layout of the same class; a block of class c is 2^c bytes
// (>= size and >= align) at an address aligned to min(2^c, PAGE) >= align.
unsafe impl GlobalAlloc for SizeClasses {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some(class) = class_of(&layout) else { return null_mut() };
        // SAFETY: single-threaded (see `Sync` above); no reference outlives this call.
        let state = unsafe { &mut *self.state.get() };
        let Some(head) = state.free.get_mut(class) else { return null_mut() };
        if !head.is_null() {
            let block = *head;
            // SAFETY: a free block's first word is the link written by `dealloc` or below.
            *head = unsafe { *block.cast::<*mut u8>() };
            return block;
        }
        let size = 1usize << class;
        if size >= PAGE {
            return state.carve(size);
        }
        // Cut a page into blocks of this class: hand out the first, list the rest.
        let page = state.carve(PAGE);
        if page.is_null() {
            return page;
        }
        let Some(head) = state.free.get_mut(class) else { return null_mut() };
        let mut offset = size;
        while offset < PAGE {
            // SAFETY: offset < PAGE, inside the page just carved.
            let block = unsafe { page.add(offset) };
            unsafe { *block.cast::<*mut u8>() = *head };
            *head = block;
            offset = offset.wrapping_add(size);
        }
        page
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let Some(class) = class_of(&layout) else { return };
        // SAFETY: single-threaded; `ptr` is a block of this class (GlobalAlloc contract).
        let state = unsafe { &mut *self.state.get() };
        if let Some(head) = state.free.get_mut(class) {
            unsafe { *ptr.cast::<*mut u8>() = *head };
            *head = ptr;
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller guarantees new_size rounded to align does not overflow.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        if class_of(&layout) == class_of(&new_layout) {
            return ptr; // the block already has room
        }
        let new = unsafe { self.alloc(new_layout) };
        if !new.is_null() {
            // SAFETY: both blocks hold at least the smaller size and never overlap.
            unsafe {
                std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
        }
        new
    }
}
