//! What the runtime serves: set once, before the interpreter starts, and read by the
//! importer and the extension loader for the life of the process.

use std::sync::OnceLock;

use pyingot_payload::{Payload, PayloadError};

use crate::settings::Settings;

pub struct State {
    /// The executable's absolute path: the root of every virtual path.
    pub executable: String,
    pub payload: Payload<'static>,
    pub settings: Settings<'static>,
}

static STATE: OnceLock<State> = OnceLock::new();

/// Sets the state; the first call wins (there is one, in `main`).
pub fn install(state: State) -> &'static State {
    STATE.get_or_init(|| state)
}

/// A blob that fails its checksum or does not decode (docs/packed-format.md): the
/// executable was damaged after it was built. It stops at once, with the message that
/// names the entry and status 1, as damage found at start does: an exception could be
/// caught (`try: import x / except ImportError`) and leave the application running on
/// without code it has.
pub fn damaged(e: &PayloadError) -> ! {
    let exe = STATE.get().map_or("pyingot", |s| s.executable.as_str());
    eprintln!("{exe}: cannot continue: {e}");
    // SAFETY: ends the process without running any more of the interpreter.
    unsafe { libc::_exit(1) }
}

/// Unmaps the pages that reading a blob's stored bytes mapped (see [`exe::release`]).
pub fn release(stored: &[u8]) {
    if let Some(s) = STATE.get() {
        crate::exe::release(s.payload.data_section(), stored);
    }
}

pub fn get() -> &'static State {
    STATE
        .get()
        .expect("the runtime used before main set its state")
}
