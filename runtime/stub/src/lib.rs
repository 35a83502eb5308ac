//! The runtime inside every pyingot executable.
//!
//! `main` maps the executable, checks the payload appended to it (its trailer,
//! bounds and CRC-32, see docs/packed-format.md), reads its settings, decides what
//! this process runs, and starts the interpreter with the payload as its only
//! module source. A damaged executable stops here with a message, before any
//! Python code runs.

// `cargo test` exercises the parts that need no interpreter; the rest is unused there.
#![cfg_attr(test, allow(dead_code, unused_imports))]

mod capi;
mod exe;
mod extensions;
mod importer;
mod interpreter;
mod multiprocessing;
mod prefetch;
mod settings;
mod state;
mod view;

use std::ffi::{c_char, c_int, CStr};

use pyingot_payload::Payload;

use interpreter::Run;
use settings::{Entry, Settings};
use state::State;

/// The process's entry point, called by the C runtime's `_start`.
///
/// # Safety
/// `argv` must hold `argc` valid C strings, as the C runtime guarantees.
// Not in `cargo test`'s binary, whose own `main` runs the unit tests.
#[cfg(not(test))]
#[no_mangle]
pub unsafe extern "C" fn main(argc: c_int, argv: *mut *mut c_char) -> c_int {
    let exe = match exe::Executable::map() {
        Ok(exe) => exe,
        Err(msg) => {
            eprintln!("{msg}");
            return 1;
        }
    };
    let started = Payload::from_executable(exe.bytes)
        .map_err(|e| e.to_string())
        .and_then(|payload| Ok((payload, Settings::read(&payload, &exe.path)?)));
    let (payload, settings) = match started {
        Ok(started) => started,
        Err(e) => {
            eprintln!("{}: cannot start: {e}", exe.path);
            return 1;
        }
    };
    // SAFETY: argv holds argc C strings (the C runtime's promise).
    let args = unsafe { arguments(argc, argv) };
    let child = multiprocessing::child(&args, settings.entry == Entry::Python);
    let state = state::install(State {
        executable: exe.path,
        payload,
        settings,
    });
    view::install(&state.executable);
    prefetch::at_start();
    let run = match child {
        Some(child) => Run::Child(child),
        None => Run::Entry(&state.settings.entry),
    };
    // SAFETY: the C API is used from this thread only, in CPython's documented order.
    interpreter::run(&state.executable, run, argc, argv)
}

/// The command line's arguments, `argv[0]` first.
unsafe fn arguments<'a>(argc: c_int, argv: *mut *mut c_char) -> Vec<&'a [u8]> {
    if argv.is_null() {
        return Vec::new();
    }
    (0..argc.max(0) as usize)
        .map(|i| *argv.add(i))
        .take_while(|p| !p.is_null())
        .map(|p| CStr::from_ptr(p).to_bytes())
        .collect()
}
