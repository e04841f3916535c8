//! edge-personalize: real-time shopper personalization that runs at the edge.
//!
//! The core is pure Rust: no JS types, no I/O. The clock (`now_ms`) and the
//! randomness (a seeded `fastrand::Rng`) are passed in, so the same inputs give
//! the same outputs natively, in Node, in the browser and in workerd.
//!
//! ```text
//! event ─▶ event::validate ─▶ session::Session (ring, decayed affinities, cart)
//!                                   │
//! request ─▶ decide: candidates ─▶ rules (JsonLogic) ─▶ scorer ─▶ diversity ─▶ fallback
//! ```
//!
//! The `wasm` module is the thin `#[wasm_bindgen]` facade over [`engine::Engine`].

// Panic-freedom: a panic kills the shopper's module, so the library keeps
// `unwrap`, `expect`, panicking indexing, `panic!` and unchecked integer
// arithmetic (overflow, and division or remainder by a possibly-zero integer,
// which panics even in release) out of every path input reaches (`make lint`,
// part of `make test`, denies them). Integer ops are checked, saturating or
// wrapping where input can reach them; each remaining exception carries an
// `#[allow]` with the reason it cannot fail. Float arithmetic cannot panic.
#![cfg_attr(
    not(test),
    warn(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic,
        clippy::arithmetic_side_effects
    )
)]

// The shipped wasm is built for size (opt-level "z"), which keeps even a
// JsonLogic `var` lookup a chain of calls; the nightly build (scripts/
// build-wasm.sh sets `ep_hot_speed`) compiles the evaluator's hot functions
// for speed instead: ~1.5x faster rule evaluation for a few hundred bytes.
#![cfg_attr(ep_hot_speed, feature(optimize_attribute))]

pub mod catalog;
pub mod decide;
pub mod engine;
pub mod error;
pub mod event;
pub mod ids;
pub mod json;
pub mod limits;
pub mod logic;
pub mod model;
pub mod order;
pub mod outbox;
pub mod rules;
pub mod session;

/// The JS facade (wasm builds only). Public so wasm tests can drive it as JS does.
#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use error::{Error, ErrorCode, Result};
pub use json::Value;
