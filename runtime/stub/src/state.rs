//! What the runtime serves: set once, before the interpreter starts, and read by the
//! importer and the extension loader for the life of the process.

use std::sync::OnceLock;

use pyingot_payload::Payload;

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

pub fn get() -> &'static State {
    STATE
        .get()
        .expect("the runtime used before main set its state")
}
