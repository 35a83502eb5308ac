//! The runtime inside every pyingot executable.
//!
//! `main` maps the executable, checks the payload appended to it (its trailer,
//! bounds and CRC-32, see docs/packed-format.md), and starts the interpreter
//! with the payload as its only module source. A damaged executable stops here
//! with a message, before any Python code runs.

mod exe;
mod importer;
mod interpreter;

use std::ffi::{c_char, c_int};

use pyingot_payload::{Kind, Payload};

/// The process's entry point, called by the C runtime's `_start`.
///
/// # Safety
/// `argv` must hold `argc` valid C strings, as the C runtime guarantees.
#[no_mangle]
pub unsafe extern "C" fn main(argc: c_int, argv: *mut *mut c_char) -> c_int {
    let exe = match exe::Executable::map() {
        Ok(exe) => exe,
        Err(msg) => {
            eprintln!("{msg}");
            return 1;
        }
    };
    let payload = match Payload::from_executable(exe.bytes) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{}: cannot start: {e}", exe.path);
            return 1;
        }
    };
    let entry = match payload.get(Kind::Meta, "entry") {
        Ok(Some(e)) => match std::str::from_utf8(e.primary) {
            Ok("python") => interpreter::Entry::Python,
            Ok(target) => interpreter::Entry::App(target.to_owned()),
            Err(_) => {
                eprintln!(
                    "{}: cannot start: payload is damaged: bad entry setting",
                    exe.path
                );
                return 1;
            }
        },
        Ok(None) => interpreter::Entry::Python,
        Err(e) => {
            eprintln!("{}: cannot start: {e}", exe.path);
            return 1;
        }
    };
    let path = exe.path.clone();
    importer::install_state(importer::State {
        executable: exe.path,
        payload,
    });
    // SAFETY: the C API is used from this thread only, in CPython's documented order.
    interpreter::run(&path, entry, argc, argv)
}
