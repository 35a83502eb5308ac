//! Where embedded modules say they are: virtual paths. A module's path is the
//! executable's path followed by the module's path in a source tree, like zipimport's
//! `archive.zip/pkg/mod.py` (`.so` for an extension module, see the top of mod.rs);
//! `get_data` reads package data files back by such paths. The packages of
//! `data-on-disk` distributions (the `data_root` setting) have theirs under the real
//! data directory beside the executable instead.

use std::borrow::Cow;

use pyingot_payload::{Entry, Kind};

use super::lookup;
use crate::state;

/// Where a module's paths start: the executable, or for the packages of `data-on-disk`
/// distributions the real data directory beside it, so that
/// `os.path.dirname(__file__)` names a directory holding their data files.
fn root_of(name: &str) -> &'static str {
    let state = state::get();
    let top = name.split('.').next().unwrap_or(name);
    match &state.settings.data_root {
        Some(root) if root.packages.iter().any(|p| p == top) => root.dir.as_str(),
        _ => state.executable.as_str(),
    }
}

/// The view's directory of the distribution's own shared-library extension modules
/// (the `lib_dynload` setting: CPython's test modules, `_testcapi`...), where python
/// finds them: `<executable>/lib-dynload/<name>.so`.
pub const LIB_DYNLOAD: &str = "lib-dynload";

/// The view's directory of the executable's top-level modules and packages, the
/// executable's contents as a directory: the executable itself is a regular file,
/// which importlib's FileFinder cannot search. A sub-interpreter, which starts with
/// CPython's own finders only, imports `encodings` and the rest from here, by their
/// sources (see `interpreter.rs`).
pub const TOP_LEVEL_DIR: &str = "lib-python";

/// The virtual path of module `name` (its `__file__`); `extension` for a compiled one.
pub fn module_path(name: &str, entry: &Entry<'_>, extension: bool) -> String {
    if extension && state::get().settings.in_lib_dynload(name) {
        return format!("{}/{LIB_DYNLOAD}/{name}.so", state::get().executable);
    }
    let rel = name.replace('.', "/");
    let root = root_of(name);
    let suffix = if extension { "so" } else { "py" };
    if entry.is_namespace() {
        format!("{root}/{rel}")
    } else if entry.is_package() {
        format!("{root}/{rel}/__init__.{suffix}")
    } else {
        format!("{root}/{rel}.{suffix}")
    }
}

/// The virtual directory of package `name` (its `__path__` entry).
pub fn package_dir(name: &str) -> String {
    format!("{}/{}", root_of(name), name.replace('.', "/"))
}

/// What a path given to `get_data` names.
pub enum DataPath {
    /// A file under the data root: a real file on disk.
    OnDisk,
    /// A DATA entry's bytes.
    Embedded(Cow<'static, [u8]>),
    Missing,
}

/// The package data file at virtual path `path`
/// (`<executable>/<package directories>/<file>`). The file belongs to the deepest
/// package on its path, as the DATA entries are named.
pub fn data_file(path: &str) -> Result<DataPath, String> {
    let state = state::get();
    if let Some(root) = &state.settings.data_root {
        if path.starts_with(&format!("{}/", root.dir)) {
            return Ok(DataPath::OnDisk);
        }
    }
    let rel = path
        .strip_prefix(state.executable.as_str())
        .and_then(|r| r.strip_prefix('/'))
        .unwrap_or("");
    let parts: Vec<&str> = rel.split('/').collect();
    for split in (1..parts.len()).rev() {
        let package = parts[..split].join(".");
        let found = match lookup(Kind::Module, &package)? {
            None => lookup(Kind::Extension, &package)?,
            some => some,
        };
        if found.is_some_and(|e| e.is_package() || e.is_namespace()) {
            let key = format!("{package}/{}", parts[split..].join("/"));
            return Ok(match lookup(Kind::Data, &key)? {
                Some(d) => DataPath::Embedded(d.primary().unwrap_or_else(|e| state::damaged(&e))),
                None => DataPath::Missing,
            });
        }
    }
    Ok(DataPath::Missing)
}
