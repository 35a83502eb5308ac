//! The view's tree: what a path under `<executable>/` names, and what a directory holds.
//!
//! A directory is a package (a MODULE or EXTENSION entry flagged package or
//! namespace) or a folder inside one that holds data files; a file is a module's
//! source (`mod.py`, `__init__.py`), an extension module's shared object
//! (`mod.so`, `__init__.so`, the names `paths.rs` gives their `__file__`), or a
//! DATA entry (`package/relative/path`, owned by the deepest package on its path,
//! as `paths::data_file` reads them). Nothing else exists: a module packed without
//! its source has no `.py` file in the view, as an installation without sources
//! has none on disk.

use std::collections::BTreeMap;

use libc::c_int;
use pyingot_payload::{Entry, Kind};

use crate::importer::paths::{LIB_DYNLOAD, TOP_LEVEL_DIR};
use crate::state;

/// One of the view's files: an entry and which of its blobs holds the file's
/// bytes (checked and decoded only when the file is opened).
#[derive(Clone, Copy)]
pub struct File {
    pub entry: Entry<'static>,
    /// The secondary blob (a module's source), else the primary one.
    pub source: bool,
}

impl File {
    /// The file's length: the blob's decoded size, known without reading it.
    pub fn len(&self) -> usize {
        if self.source {
            self.entry.secondary.len()
        } else {
            self.entry.primary.len()
        }
    }

    /// The file's bytes, checked and decoded; None when the blob is damaged.
    pub fn bytes(&self) -> Option<std::borrow::Cow<'static, [u8]>> {
        if self.source {
            self.entry.secondary().ok()
        } else {
            self.entry.primary().ok()
        }
    }
}

/// What a path names.
pub enum Node {
    /// A file.
    File(File),
    /// A directory: `package` (dotted) and the folder `sub` inside it ("" for the
    /// package's own directory).
    Dir { package: String, sub: String },
}

/// A resolved path: the node and the path normalized (`pkg/sub/file`, no `.`,
/// `..` or repeated slashes), which names the node in the view and gives its inode.
pub struct Resolved {
    pub node: Node,
    pub normalized: String,
}

fn entry(kind: Kind, name: &str) -> Option<Entry<'static>> {
    // A damaged entry reads as missing here; the importer reports the damage.
    state::get().payload.get(kind, name).ok().flatten()
}

/// The MODULE or EXTENSION entry of package `name`, if `name` is one.
fn package(name: &str) -> Option<Entry<'static>> {
    [Kind::Module, Kind::Extension]
        .into_iter()
        .filter_map(|k| entry(k, name))
        .find(|e| e.is_package() || e.is_namespace())
}

/// The entry of one of the view's files: its source or its shared object.
/// The one place that finds an entry's bytes for the view.
fn module_file(module: &str, file: &str) -> Option<File> {
    let (stem, ext) = file.rsplit_once('.')?;
    if module.is_empty() && ext == "so" && state::get().settings.in_lib_dynload(stem) {
        // In `lib-dynload/` instead (see `lib_dynload_file`).
        return None;
    }
    let init = stem == "__init__";
    let name = if init {
        module.to_owned()
    } else if module.is_empty() {
        stem.to_owned()
    } else {
        format!("{module}.{stem}")
    };
    if name.is_empty() || (!init && stem.contains('.')) {
        return None;
    }
    let is_package = |e: &Entry<'_>| e.is_package() || e.is_namespace();
    match ext {
        "py" => entry(Kind::Module, &name)
            .filter(|e| init == e.is_package() && !e.is_namespace() && e.has_source())
            .map(|entry| File {
                entry,
                source: true,
            }),
        "so" => entry(Kind::Extension, &name)
            .filter(|e| init == is_package(e))
            .map(|entry| File {
                entry,
                source: false,
            }),
        _ => None,
    }
}

/// What `rel` (the path after `<executable>/`) names, or the errno a file
/// system would give for it.
pub fn resolve(rel: &[u8]) -> Result<Resolved, c_int> {
    let rel = std::str::from_utf8(rel).map_err(|_| libc::ENOENT)?;
    let mut parts: Vec<&str> = Vec::new();
    for part in rel.split('/') {
        match part {
            "" | "." => {}
            // `<executable>/..` goes through a regular file: the kernel says ENOTDIR.
            ".." => {
                parts.pop().ok_or(libc::ENOTDIR)?;
            }
            _ => parts.push(part),
        }
    }
    if parts.is_empty() {
        return Err(libc::ENOTDIR);
    }
    let normalized = parts.join("/");
    let node = find(&parts)?;
    if rel.ends_with('/') && matches!(node, Node::File(_)) {
        return Err(libc::ENOTDIR);
    }
    Ok(Resolved { node, normalized })
}

/// `lib-dynload/<name>.so`: the shared object of a `lib_dynload` extension module.
fn lib_dynload_file(file: &str) -> Option<File> {
    let name = file.strip_suffix(".so")?;
    if !state::get().settings.in_lib_dynload(name) {
        return None;
    }
    entry(Kind::Extension, name).map(|entry| File {
        entry,
        source: false,
    })
}

fn find(parts: &[&str]) -> Result<Node, c_int> {
    if parts[0] == TOP_LEVEL_DIR {
        return match parts {
            [_] => Ok(Node::Dir {
                package: String::new(),
                sub: TOP_LEVEL_DIR.to_owned(),
            }),
            [_, first, ..] if *first == TOP_LEVEL_DIR || *first == LIB_DYNLOAD => Err(libc::ENOENT),
            _ => find(&parts[1..]),
        };
    }
    if parts[0] == LIB_DYNLOAD && state::get().settings.lib_dynload().next().is_some() {
        return match parts {
            [_] => Ok(Node::Dir {
                package: String::new(),
                sub: LIB_DYNLOAD.to_owned(),
            }),
            [_, file] => lib_dynload_file(file).map(Node::File).ok_or(libc::ENOENT),
            [_, file, ..] if lib_dynload_file(file).is_some() => Err(libc::ENOTDIR),
            _ => Err(libc::ENOENT),
        };
    }
    let mut below_namespace: Option<(String, usize)> = None;
    for split in (1..=parts.len()).rev() {
        let name = parts[..split].join(".");
        let Some(found) = package(&name) else {
            continue;
        };
        // The deepest package on the path owns what is below it; but for a
        // namespace package's folder inside a package, whose data files the
        // enclosing package owns (a folder of data with no module is one).
        let rest = &parts[split..];
        if rest.is_empty() {
            return Ok(Node::Dir {
                package: name,
                sub: String::new(),
            });
        }
        if let [file] = rest {
            if let Some(f) = module_file(&name, file) {
                return Ok(Node::File(f));
            }
        }
        let key = format!("{name}/{}", rest.join("/"));
        if let Some(data) = entry(Kind::Data, &key) {
            return Ok(Node::File(File {
                entry: data,
                source: false,
            }));
        }
        let folder = format!("{key}/");
        if state::get()
            .payload
            .iter_prefix(Kind::Data, &folder)
            .next()
            .is_some()
        {
            return Ok(Node::Dir {
                package: name,
                sub: rest.join("/"),
            });
        }
        if found.is_namespace() {
            below_namespace.get_or_insert((name, split));
            continue;
        }
        return Err(through_file(&name, rest));
    }
    if let Some((name, split)) = below_namespace {
        return Err(through_file(&name, &parts[split..]));
    }
    // No package on the path: a top-level module's file, or nothing.
    match parts {
        [file] => match module_file("", file) {
            Some(f) => Ok(Node::File(f)),
            None => Err(through_file("", parts)),
        },
        _ => Err(through_file("", parts)),
    }
}

/// ENOTDIR when the path goes on below a file (`pkg/mod.py/x`, `pkg/data.txt/x`),
/// ENOENT otherwise.
fn through_file(package: &str, rest: &[&str]) -> c_int {
    if rest.len() > 1 && module_file(package, rest[0]).is_some() {
        return libc::ENOTDIR;
    }
    if !package.is_empty() {
        for end in 1..rest.len() {
            if entry(Kind::Data, &format!("{package}/{}", rest[..end].join("/"))).is_some() {
                return libc::ENOTDIR;
            }
        }
    }
    libc::ENOENT
}

/// The names in directory `package`/`sub`, each with whether it is a directory.
pub fn list(package: &str, sub: &str) -> BTreeMap<String, bool> {
    let payload = &state::get().payload;
    let mut names = BTreeMap::new();
    if package.is_empty() && sub == LIB_DYNLOAD {
        for name in state::get().settings.lib_dynload() {
            if entry(Kind::Extension, name).is_some() {
                names.insert(format!("{name}.so"), false);
            }
        }
        return names;
    }
    if package.is_empty() {
        // TOP_LEVEL_DIR: what the executable holds at its top, as `<exe>/<name>` reads.
        for kind in [Kind::Module, Kind::Extension] {
            for e in payload.iter_prefix(kind, "").flatten() {
                if e.name.contains('.') {
                    continue;
                }
                let file = match kind {
                    _ if e.is_package() || e.is_namespace() => {
                        names.insert(e.name.to_owned(), true);
                        continue;
                    }
                    Kind::Extension => format!("{}.so", e.name),
                    _ => format!("{}.py", e.name),
                };
                // A module without its source, or in lib-dynload, has no file here.
                if module_file("", &file).is_some() {
                    names.insert(file, false);
                }
            }
        }
        return names;
    }
    if sub.is_empty() {
        if let Some(own) = package_file(package) {
            names.insert(own, false);
        }
        let prefix = format!("{package}.");
        for kind in [Kind::Module, Kind::Extension] {
            for e in payload.iter_prefix(kind, &prefix).flatten() {
                let rest = &e.name[prefix.len()..];
                match rest.split_once('.') {
                    Some((child, _)) => {
                        names.insert(child.to_owned(), true);
                    }
                    None if e.is_package() || e.is_namespace() => {
                        names.insert(rest.to_owned(), true);
                    }
                    None if kind == Kind::Extension => {
                        names.insert(format!("{rest}.so"), false);
                    }
                    None if e.has_source() => {
                        names.insert(format!("{rest}.py"), false);
                    }
                    None => {}
                }
            }
        }
    }
    // Data files below the directory: the package's own, and those of the
    // packages around it when it lies in a namespace package's folder (whose
    // data the enclosing package owns, as `find` reads them).
    let packages: Vec<&str> = package.split('.').collect();
    let subs: Vec<&str> = sub.split('/').filter(|p| !p.is_empty()).collect();
    for split in (1..=packages.len()).rev() {
        let owner = packages[..split].join(".");
        let Some(found) = self::package(&owner) else {
            continue;
        };
        let rest: Vec<&str> = packages[split..].iter().chain(&subs).copied().collect();
        let prefix = if rest.is_empty() {
            format!("{owner}/")
        } else {
            format!("{owner}/{}/", rest.join("/"))
        };
        for e in payload.iter_prefix(Kind::Data, &prefix).flatten() {
            let rest = &e.name[prefix.len()..];
            match rest.split_once('/') {
                Some((folder, _)) => names.insert(folder.to_owned(), true),
                None => names.insert(rest.to_owned(), false),
            };
        }
        if !found.is_namespace() {
            break;
        }
    }
    names
}

/// A package's own file in its directory: `__init__.py` (with source) or `__init__.so`.
fn package_file(package: &str) -> Option<String> {
    ["__init__.py", "__init__.so"]
        .into_iter()
        .find(|f| module_file(package, f).is_some())
        .map(str::to_owned)
}
