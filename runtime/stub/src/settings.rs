//! The settings the build hands the runtime: the payload's META entries, read once at
//! start into one record. docs/packed-format.md ("Runtime settings") specifies them; the
//! build writes them from `src/pyingot/payload/settings.py`. No other file of the
//! runtime spells a META name or the grammar of a value, and tests/unit/test_packing.py holds
//! the names below to the spec's table.

mod json;

use std::collections::HashMap;

use pyingot_payload::{Kind, Payload};

// The META names the runtime reads (the others are for `pyingot inspect`).
const META_ENTRY: &str = "entry";
const META_EXTENSION_LIBRARIES: &str = "extension_libraries";
const META_ON_DISK_PATH: &str = "on_disk_path";
const META_DATA_ROOT: &str = "data_root";
const META_DATA_ROOT_PACKAGES: &str = "data_root_packages";
const META_START_EXTENSIONS: &str = "start_extensions";
const META_LIB_DYNLOAD: &str = "lib_dynload";

// The kinds of the `entry` value `kind:target` (`python` alone has no target).
const ENTRY_PYTHON: &str = "python";
const ENTRY_FUNCTION: &str = "function";
const ENTRY_MODULE: &str = "module";
const ENTRY_SCRIPT: &str = "script";

/// What the executable runs: the `entry` setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// Behave like the `python` command (REPL, -c, -m, a script path).
    Python,
    /// Import `module`, call `function` (an attribute path: `Class.method`).
    Function { module: String, function: String },
    /// Run the module as `__main__`, as `python -m` does.
    Module(String),
    /// Run the embedded `__main__`, whose file is `<executable>/<path>`.
    Script(String),
}

impl Entry {
    /// `python`, `function:<module>:<function>`, `module:<module>`, `script:<path>`.
    pub fn parse(text: &str) -> Option<Entry> {
        if text == ENTRY_PYTHON {
            return Some(Entry::Python);
        }
        let (kind, target) = text.split_once(':')?;
        let entry = match kind {
            ENTRY_FUNCTION => {
                let (module, function) = target.split_once(':')?;
                if module.is_empty() || function.is_empty() {
                    return None;
                }
                Entry::Function {
                    module: module.to_owned(),
                    function: function.to_owned(),
                }
            }
            ENTRY_MODULE => Entry::Module(target.to_owned()),
            ENTRY_SCRIPT => Entry::Script(target.to_owned()),
            _ => return None,
        };
        let empty = matches!(&entry, Entry::Module(t) | Entry::Script(t) if t.is_empty());
        (!empty).then_some(entry)
    }
}

/// `data-on-disk`: the real directory beside the executable that holds the data files
/// of some packages, whose modules' paths start there instead of at the executable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataRoot {
    /// Absolute: the executable's directory and `data_root`.
    pub dir: String,
    /// The top-level packages (`data_root_packages`).
    pub packages: Vec<String>,
}

/// Every setting the runtime reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings<'a> {
    pub entry: Entry,
    /// The directory of `on-disk` distributions (absolute), for `sys.path`.
    pub on_disk_dir: Option<String>,
    pub data_root: Option<DataRoot>,
    /// `extension_libraries` as written: parsed when the first extension module is
    /// imported (see `extension_libraries`), so that start-up does not pay for it.
    extension_libraries: Option<&'a str>,
    /// `start_extensions`: the embedded extension modules the program is expected to
    /// import to start, copied to memory from the process's first moment
    /// (`prefetch::at_start`).
    start_extensions: Option<&'a str>,
    /// `lib_dynload`: the top-level extension modules whose files are in the view's
    /// `lib-dynload` directory, as the distribution keeps them (a few at most).
    lib_dynload: Option<&'a str>,
}

impl<'a> Settings<'a> {
    /// Reads the settings of `payload`, whose executable is `executable` (an absolute
    /// path). The error says which setting, in words that follow "cannot start: ".
    pub fn read(payload: &Payload<'a>, executable: &str) -> Result<Settings<'a>, String> {
        let text = |name: &str| -> Result<Option<&'a str>, String> {
            match payload.get(Kind::Meta, name) {
                Ok(None) => Ok(None),
                Ok(Some(e)) => std::str::from_utf8(e.raw_primary().map_err(|e| e.to_string())?)
                    .map(Some)
                    .map_err(|_| damaged(name, "not UTF-8")),
                Err(e) => Err(e.to_string()),
            }
        };
        let entry = match text(META_ENTRY)? {
            None => Entry::Python,
            Some(value) => Entry::parse(value).ok_or_else(|| damaged(META_ENTRY, value))?,
        };
        let exe_dir = executable.rsplit_once('/').map_or("", |(dir, _)| dir);
        let beside = |name: &str| format!("{exe_dir}/{name}");
        let data_root = match (text(META_DATA_ROOT)?, text(META_DATA_ROOT_PACKAGES)?) {
            (Some(dir), Some(packages)) => Some(DataRoot {
                dir: beside(dir),
                packages: packages.lines().map(str::to_owned).collect(),
            }),
            _ => None,
        };
        Ok(Settings {
            entry,
            on_disk_dir: text(META_ON_DISK_PATH)?.map(beside),
            data_root,
            extension_libraries: text(META_EXTENSION_LIBRARIES)?,
            start_extensions: text(META_START_EXTENSIONS)?,
            lib_dynload: text(META_LIB_DYNLOAD)?,
        })
    }

    /// Per extension module, the bundled libraries it needs, in load order (empty
    /// without the setting). The error says the value is damaged.
    pub fn extension_libraries(&self) -> Result<HashMap<String, Vec<String>>, String> {
        match self.extension_libraries {
            None => Ok(HashMap::new()),
            Some(text) => {
                json::string_arrays(text).map_err(|e| damaged(META_EXTENSION_LIBRARIES, &e))
            }
        }
    }

    /// The `lib_dynload` setting's module names (none without it).
    pub fn lib_dynload(&self) -> impl Iterator<Item = &'a str> {
        self.lib_dynload
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.is_empty())
    }

    /// Whether extension module `name` is one of the `lib_dynload` setting's.
    pub fn in_lib_dynload(&self, name: &str) -> bool {
        self.lib_dynload().any(|n| n == name)
    }

    /// The `start_extensions` setting's module names, largest first (none without it).
    pub fn start_extensions(&self) -> Vec<&'a str> {
        self.start_extensions
            .map(|text| text.lines().filter(|l| !l.is_empty()).collect())
            .unwrap_or_default()
    }
}

fn damaged(name: &str, why: &str) -> String {
    format!("payload is damaged: bad {name} setting ({why})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_parse() {
        assert_eq!(Entry::parse("python"), Some(Entry::Python));
        assert_eq!(
            Entry::parse("function:app.cli:Main.run"),
            Some(Entry::Function {
                module: "app.cli".into(),
                function: "Main.run".into()
            })
        );
        assert_eq!(
            Entry::parse("module:app"),
            Some(Entry::Module("app".into()))
        );
        assert_eq!(
            Entry::parse("script:bin/a:b.py"),
            Some(Entry::Script("bin/a:b.py".into()))
        );
        for bad in [
            "",
            "app:main",
            "function:app",
            "function::main",
            "function:app:",
            "module:",
            "script:",
            "python:x",
            "Python",
        ] {
            assert_eq!(Entry::parse(bad), None, "{bad:?}");
        }
    }
}
