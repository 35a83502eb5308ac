//! `payload-dump`: print a payload's entries, or the format's constants, as JSON.
//!
//! ```text
//! payload-dump [--raw] FILE                      one JSON line per entry, in index order
//! payload-dump [--raw] FILE --get KIND NAME      the entry's line, or `null`
//! payload-dump [--raw] FILE --prefix KIND PREFIX the lines of the entries under PREFIX
//! payload-dump [--raw] FILE --verify             every problem (JSON string lines); status 1 if any
//! payload-dump --constants                       every named constant of the format
//! ```
//!
//! FILE is an executable (found by its trailer, index CRC-checked) or, with `--raw`, a
//! bare payload. A damaged file prints `error: <message>` on stderr and exits with
//! status 1. Blobs are read (CRC-checked, decoded) and shown as decoded length and
//! CRC-32, which Python recomputes with `zlib.crc32`, with stored length and codec; the
//! cross-language test (tests/unit/test_packing.py) compares this output with the writer's.

use std::fmt::Write as _;
use std::io::Write;
use std::process::ExitCode;

use pyingot_payload::{
    entry, header, trailer, Entry, Field, Kind, Payload, PayloadError, CODECS, DATA_ALIGNMENT,
    ENTRY_SIZE, FLAGS, FORMAT_VERSION, HEADER_SIZE, MAGIC, PAYLOAD_ALIGNMENT, TRAILER_MAGIC,
    TRAILER_SIZE,
};

const USAGE: &str =
    "usage: payload-dump [--raw] FILE [--get KIND NAME | --prefix KIND PREFIX | --verify]\n       \
                     payload-dump --constants";

/// A JSON string literal.
fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// An entry's line: its blobs read (checked and decoded) and shown as decoded length
/// and CRC-32, with their stored length and codec.
fn entry_json(e: &Entry<'_>) -> Result<String, PayloadError> {
    let (primary, secondary) = (e.primary()?, e.secondary()?);
    Ok(format!(
        "{{\"kind\": {}, \"flags\": {}, \"name\": {}, \"primary_len\": {}, \"primary_crc32\": {}, \
         \"primary_stored\": {}, \"primary_codec\": {}, \
         \"secondary_len\": {}, \"secondary_crc32\": {}, \"secondary_stored\": {}, \
         \"secondary_codec\": {}}}",
        e.kind as u8,
        e.flags,
        json_str(e.name),
        primary.len(),
        crc32fast::hash(&primary),
        e.primary.stored.len(),
        e.primary.codec,
        secondary.len(),
        crc32fast::hash(&secondary),
        e.secondary.stored.len(),
        e.secondary.codec,
    ))
}

fn fields_json(fields: &[Field]) -> String {
    let items: Vec<String> = fields
        .iter()
        .map(|f| format!("[{}, {}, {}]", json_str(f.name), f.offset, f.size))
        .collect();
    format!("[{}]", items.join(", "))
}

fn constants_json() -> String {
    let kinds: Vec<String> = Kind::ALL
        .iter()
        .map(|k| format!("{}: {}", json_str(k.name()), *k as u8))
        .collect();
    let flags: Vec<String> = FLAGS
        .iter()
        .map(|(name, bit)| format!("{}: {}", json_str(name), bit))
        .collect();
    let codecs: Vec<String> = CODECS
        .iter()
        .map(|(name, value)| format!("{}: {}", json_str(name), value))
        .collect();
    format!(
        "{{\"constants\": {{\"MAGIC\": \"{}\", \"FORMAT_VERSION\": {FORMAT_VERSION}, \
         \"TRAILER_MAGIC\": \"{}\", \"HEADER_SIZE\": {HEADER_SIZE}, \
         \"ENTRY_SIZE\": {ENTRY_SIZE}, \"TRAILER_SIZE\": {TRAILER_SIZE}, \
         \"DATA_ALIGNMENT\": {DATA_ALIGNMENT}, \"PAYLOAD_ALIGNMENT\": {PAYLOAD_ALIGNMENT}}}, \
         \"kinds\": {{{}}}, \"flags\": {{{}}}, \"codecs\": {{{}}}, \"header\": {}, \"entry\": {}, \"trailer\": {}}}",
        hex(&MAGIC),
        hex(&TRAILER_MAGIC),
        kinds.join(", "),
        flags.join(", "),
        codecs.join(", "),
        fields_json(&header::ALL),
        fields_json(&entry::ALL),
        fields_json(&trailer::ALL),
    )
}

fn parse_kind(s: &str) -> Result<Kind, String> {
    Kind::from_name(s).ok_or_else(|| format!("unknown kind {s:?}"))
}

enum Query {
    All,
    Verify,
    Get(Kind, String),
    Prefix(Kind, String),
}

/// Why a dump stopped early.
enum Stop {
    /// The payload is damaged: the message goes to stderr, status 1.
    Damaged(PayloadError),
    /// Standard output went away (`payload-dump FILE | head`): status 0, nothing said.
    Closed,
    /// Standard output cannot be written (a full disk): the error, status 1.
    Output(std::io::Error),
}

impl From<PayloadError> for Stop {
    fn from(e: PayloadError) -> Self {
        Stop::Damaged(e)
    }
}

/// Writes one line to `out`.
fn line(out: &mut impl Write, text: &str) -> Result<(), Stop> {
    writeln!(out, "{text}").map_err(|e| match e.kind() {
        std::io::ErrorKind::BrokenPipe => Stop::Closed,
        _ => Stop::Output(e),
    })
}

fn dump(payload: &Payload<'_>, query: &Query, out: &mut impl Write) -> Result<(), Stop> {
    match query {
        Query::All => {
            for e in payload.entries() {
                line(out, &entry_json(&e?)?)?;
            }
        }
        Query::Verify => {
            let problems = payload.verify();
            for p in &problems {
                line(out, &json_str(&p.to_string()))?;
            }
            if let Some(first) = problems.into_iter().next() {
                return Err(Stop::Damaged(first));
            }
        }
        Query::Get(kind, name) => match payload.get(*kind, name)? {
            Some(e) => line(out, &entry_json(&e)?)?,
            None => line(out, "null")?,
        },
        Query::Prefix(kind, prefix) => {
            for e in payload.iter_prefix(*kind, prefix) {
                line(out, &entry_json(&e?)?)?;
            }
        }
    }
    out.flush().map_err(|e| match e.kind() {
        std::io::ErrorKind::BrokenPipe => Stop::Closed,
        _ => Stop::Output(e),
    })
}

fn run(args: &[String]) -> Result<ExitCode, String> {
    let mut raw = false;
    let mut file = None;
    let mut query = Query::All;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--constants" => {
                println!("{}", constants_json());
                return Ok(ExitCode::SUCCESS);
            }
            "--raw" => raw = true,
            "--verify" => query = Query::Verify,
            "--get" | "--prefix" => {
                let (Some(kind), Some(name)) = (args.next(), args.next()) else {
                    return Err(USAGE.to_string());
                };
                let kind = parse_kind(kind)?;
                query = if arg == "--get" {
                    Query::Get(kind, name.clone())
                } else {
                    Query::Prefix(kind, name.clone())
                };
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(ExitCode::SUCCESS);
            }
            _ if file.is_none() && !arg.starts_with("--") => file = Some(arg),
            _ => return Err(USAGE.to_string()),
        }
    }
    let file = file.ok_or_else(|| USAGE.to_string())?;
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read {file}: {e}"))?;
    let parsed = if raw {
        Payload::parse(&bytes)
    } else {
        Payload::from_executable(&bytes)
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match parsed
        .map_err(Stop::Damaged)
        .and_then(|p| dump(&p, &query, &mut out))
    {
        Ok(()) | Err(Stop::Closed) => Ok(ExitCode::SUCCESS),
        Err(Stop::Damaged(e)) => {
            drop(out);
            eprintln!("error: {e}");
            Ok(ExitCode::FAILURE)
        }
        Err(Stop::Output(e)) => {
            eprintln!("payload-dump: cannot write the output: {e}");
            Ok(ExitCode::FAILURE)
        }
    }
}

fn main() -> ExitCode {
    let args: Option<Vec<String>> = std::env::args_os()
        .skip(1)
        .map(|a| a.into_string().ok())
        .collect();
    let Some(args) = args else {
        eprintln!("payload-dump: arguments must be UTF-8");
        return ExitCode::from(2);
    };
    run(&args).unwrap_or_else(|message| {
        eprintln!("payload-dump: {message}");
        ExitCode::from(2)
    })
}
