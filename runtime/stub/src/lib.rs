//! The runtime inside every pyingot executable.
//!
//! `main` maps the executable, checks the payload appended to it (its trailer,
//! bounds and CRC-32, see docs/packed-format.md), and starts the interpreter
//! with the payload as its only module source. A damaged executable stops here
//! with a message, before any Python code runs.

// `cargo test` exercises the parts that need no interpreter; the rest is unused there.
#![cfg_attr(test, allow(dead_code, unused_imports))]

mod exe;
mod extensions;
mod importer;
mod interpreter;

use std::ffi::{c_char, c_int};

use pyingot_payload::{Kind, Payload};

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
    // SAFETY: argv holds argc C strings (the C runtime's promise).
    let entry = if unsafe { is_spawn_child(argc, argv) } {
        interpreter::Entry::SpawnChild
    } else {
        entry
    };
    let path = exe.path.clone();
    importer::install_state(importer::State {
        executable: exe.path,
        payload,
    });
    // SAFETY: the C API is used from this thread only, in CPython's documented order.
    interpreter::run(&path, entry, argc, argv)
}

/// Whether this process is a child that multiprocessing's `spawn` start method
/// started. With `sys.frozen` set, as it is here, it runs
/// `sys.executable --multiprocessing-fork tracker_fd=N pipe_handle=N`
/// (Lib/multiprocessing/spawn.py, `get_command_line`), whatever the entry
/// point: such a child runs multiprocessing's code instead (`freeze_support`),
/// also in a python-like executable, whose command line parser would reject
/// the option. Only that exact form counts; anything else reaches the app.
unsafe fn is_spawn_child(argc: c_int, argv: *mut *mut c_char) -> bool {
    if argc < 3 || argv.is_null() {
        return false;
    }
    let args: Vec<&[u8]> = (0..argc as usize)
        .map(|i| *argv.add(i))
        .take_while(|p| !p.is_null())
        .map(|p| std::ffi::CStr::from_ptr(p).to_bytes())
        .collect();
    args.len() >= 3
        && args[1] == b"--multiprocessing-fork"
        && args[2..].iter().any(|arg| arg.starts_with(b"pipe_handle="))
        && args[2..].iter().all(|arg| {
            let mut kv = arg.splitn(2, |b| *b == b'=');
            let (key, value) = (kv.next().unwrap_or_default(), kv.next().unwrap_or_default());
            matches!(key, b"tracker_fd" | b"pipe_handle" | b"parent_pid")
                && (value == b"None" || (!value.is_empty() && value.iter().all(u8::is_ascii_digit)))
        })
}
