//! Whether this process is a child that multiprocessing started: decided once, here,
//! from the command line, before the interpreter starts (a python-like executable must
//! not let CPython parse a child's command line, which it would reject).
//!
//! With `sys.frozen` set, as it is in every pyingot executable, multiprocessing runs
//! `sys.executable` again with one of these command lines:
//!
//! * a `spawn` child (Lib/multiprocessing/spawn.py, `get_command_line`):
//!   `EXE --multiprocessing-fork tracker_fd=N pipe_handle=N`, whatever the entry point;
//! * the resource tracker and the forkserver (resource_tracker.py and forkserver.py,
//!   `ensure_running`): `EXE <interpreter flags> -c CODE`, where CODE is
//!   `from multiprocessing.resource_tracker import main;main(N)` or
//!   `from multiprocessing.forkserver import main; main(N, N, [...], **{...})`, and the
//!   flags (`subprocess._args_from_interpreter_flags`) are ignored. A python-like
//!   executable runs `-c` itself. An application's executable runs CODE only when it is
//!   one import of `main` from one of those two modules and one call of it with literal
//!   arguments; `is_main_call` reads it with a small tokenizer that knows the literals
//!   multiprocessing writes (the `repr` of ints, strings, lists, tuples, dicts; None,
//!   True, False) and rejects everything else, so that no other code runs this way.
//!
//! Any other command line reaches the application unchanged.

/// Which child this process is; `_pyingot_boot` runs it instead of the application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Child {
    /// A `spawn` child: `multiprocessing.spawn.freeze_support()` reads the arguments.
    Spawn,
    /// The resource tracker or the forkserver: the `-c` code, run as `python -c` runs it.
    Command,
}

/// `args` is the whole command line (`args[0]` the executable); `python_like` is whether
/// the executable behaves like `python`, which runs `-c` itself.
pub fn child(args: &[&[u8]], python_like: bool) -> Option<Child> {
    if is_spawn(args) {
        Some(Child::Spawn)
    } else if !python_like && is_command(args) {
        Some(Child::Command)
    } else {
        None
    }
}

/// `EXE --multiprocessing-fork KEY=VALUE...`: only that exact form, with the keys
/// `spawn.get_command_line` writes and a `pipe_handle`.
fn is_spawn(args: &[&[u8]]) -> bool {
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

/// Flags `_args_from_interpreter_flags` writes alone.
const FLAGS: [&[u8]; 7] = [b"-B", b"-S", b"-q", b"-I", b"-E", b"-s", b"-P"];
/// Single-letter flags it may repeat (`-OO`, `-vv`).
const REPEATABLE: &[u8] = b"Odvb";
/// The modules whose `main` multiprocessing runs with `EXE <flags> -c CODE`.
const MAINS: [&str; 2] = ["resource_tracker", "forkserver"];

/// `EXE <flags> -c CODE` with CODE a call of one of `MAINS`' `main`.
fn is_command(args: &[&[u8]]) -> bool {
    let n = args.len();
    if n < 3 || args[n - 2] != b"-c" {
        return false;
    }
    let flags = &args[1..n - 2];
    let mut i = 0;
    while i < flags.len() {
        let flag = flags[i];
        if flag == b"-X" && i + 1 < flags.len() {
            i += 2;
            continue;
        }
        let repeated = flag.len() > 1 && flag[0] == b'-' && flag[1..].iter().all(|c| *c == flag[1]);
        if !(FLAGS.contains(&flag)
            || (flag.starts_with(b"-W") && flag.len() > 2)
            || (repeated && REPEATABLE.contains(&flag[1])))
        {
            return false;
        }
        i += 1;
    }
    std::str::from_utf8(args[n - 1]).is_ok_and(is_main_call)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token<'a> {
    Name(&'a str),
    /// A string or a decimal integer.
    Literal,
    /// `( ) [ ] { } , : ; .`
    Op(u8),
    DoubleStar,
    /// The end of a line outside brackets (a statement separator).
    Newline,
}

/// Brackets nest no deeper (Python's own limit is 200).
const MAX_DEPTH: usize = 64;

/// The tokens of `code`, or None if it holds anything else: comments, continuation
/// lines, indentation, operators, numbers other than decimal integers, string prefixes,
/// triple quotes, escapes other than those `repr` writes.
fn tokens(code: &str) -> Option<Vec<Token<'_>>> {
    let b = code.as_bytes();
    let mut out = Vec::new();
    let (mut i, mut depth, mut line_start) = (0, 0usize, true);
    while i < b.len() {
        let c = b[i];
        let start = i;
        i += 1;
        let token = match c {
            // Indentation is an error in Python; elsewhere, spaces separate tokens.
            b' ' | b'\t' if line_start && depth == 0 => return None,
            b' ' | b'\t' => continue,
            b'\n' if depth > 0 => continue,
            b'\n' => {
                out.push(Token::Newline);
                line_start = true;
                continue;
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return None;
                }
                Token::Op(c)
            }
            b')' | b']' | b'}' => {
                depth = depth.checked_sub(1)?;
                Token::Op(c)
            }
            b'.' if b.get(i).is_some_and(u8::is_ascii_digit) => return None,
            b',' | b':' | b';' | b'.' => Token::Op(c),
            b'*' if b.get(i) == Some(&b'*') => {
                i += 1;
                Token::DoubleStar
            }
            b'\'' | b'"' => {
                i = string_end(b, start)?;
                Token::Literal
            }
            b'0'..=b'9' => {
                while b.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
                let leading_zero = c == b'0' && i - start > 1;
                let more = b.get(i).is_some_and(|n| {
                    n.is_ascii_alphanumeric() || matches!(n, b'_' | b'.' | b'\'' | b'"')
                });
                if leading_zero || more || i - start > 19 {
                    return None;
                }
                Token::Literal
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                while b
                    .get(i)
                    .is_some_and(|n| n.is_ascii_alphanumeric() || *n == b'_')
                {
                    i += 1;
                }
                if matches!(b.get(i), Some(b'\'' | b'"')) {
                    return None; // a string prefix
                }
                Token::Name(&code[start..i])
            }
            _ => return None,
        };
        out.push(token);
        line_start = false;
    }
    (depth == 0).then_some(out)
}

/// Where the one-line string literal starting at `start` (its quote) ends.
fn string_end(b: &[u8], start: usize) -> Option<usize> {
    let quote = b[start];
    let mut i = start + 1;
    if b.get(i) == Some(&quote) {
        // `''`, unless it opens a triple-quoted string.
        return (b.get(i + 1) != Some(&quote)).then_some(i + 1);
    }
    loop {
        let c = *b.get(i)?;
        i += 1;
        if c == quote {
            return Some(i);
        }
        match c {
            b'\n' | b'\r' => return None,
            b'\\' => {
                let escape = *b.get(i)?;
                i += 1;
                let digits = match escape {
                    b'\\' | b'\'' | b'"' | b'n' | b'r' | b't' => 0,
                    b'x' => 2,
                    b'u' => 4,
                    b'U' => 8,
                    _ => return None,
                };
                let hex = b.get(i..i + digits)?;
                if !hex.iter().all(u8::is_ascii_hexdigit) {
                    return None;
                }
                let value = hex.iter().fold(0u64, |v, d| {
                    v * 16 + u64::from((*d as char).to_digit(16).unwrap_or(0))
                });
                if value > 0x10FFFF {
                    return None;
                }
                i += digits;
            }
            _ => {}
        }
    }
}

/// Whether `code` is `from multiprocessing.<one of MAINS> import main`, then, as a
/// statement of its own, `main(<literals>)`.
fn is_main_call(code: &str) -> bool {
    let Some(tokens) = tokens(code) else {
        return false;
    };
    let mut p = Parser {
        tokens: &tokens,
        i: 0,
    };
    p.blank_lines();
    let import = p.name("from")
        && p.name("multiprocessing")
        && p.eat(Token::Op(b'.'))
        && MAINS.iter().any(|m| p.name(m))
        && p.name("import")
        && p.name("main");
    // `;` (then maybe blank lines) or line breaks between the two statements.
    let separated = if p.eat(Token::Op(b';')) {
        p.blank_lines();
        true
    } else {
        p.blank_lines()
    };
    if !(import && separated && p.name("main") && p.eat(Token::Op(b'(')) && p.arguments()) {
        return false;
    }
    p.eat(Token::Op(b';'));
    p.blank_lines();
    p.i == tokens.len()
}

struct Parser<'t, 'a> {
    tokens: &'t [Token<'a>],
    i: usize,
}

impl Parser<'_, '_> {
    fn eat(&mut self, token: Token<'_>) -> bool {
        let found = self.tokens.get(self.i) == Some(&token);
        self.i += usize::from(found);
        found
    }

    fn name(&mut self, name: &str) -> bool {
        self.eat(Token::Name(name))
    }

    /// Skips line breaks; whether there were any.
    fn blank_lines(&mut self) -> bool {
        let start = self.i;
        while self.eat(Token::Newline) {}
        self.i > start
    }

    /// The arguments after `main(`, through `)`: literals, then `**` literals.
    fn arguments(&mut self) -> bool {
        let mut unpacking = false;
        loop {
            if self.eat(Token::Op(b')')) {
                return true;
            }
            if self.eat(Token::DoubleStar) {
                unpacking = true;
            } else if unpacking {
                return false; // a positional argument after `**`: a syntax error
            }
            if !self.literal() {
                return false;
            }
            if !self.eat(Token::Op(b',')) {
                return self.eat(Token::Op(b')'));
            }
        }
    }

    /// A string, an integer, None, True, False, or a list, tuple, set or dict of them.
    fn literal(&mut self) -> bool {
        let Some(&token) = self.tokens.get(self.i) else {
            return false;
        };
        self.i += 1;
        match token {
            Token::Literal => true,
            Token::Name(name) => matches!(name, "None" | "True" | "False"),
            Token::Op(b'[') => self.items(b']', false),
            Token::Op(b'(') => self.items(b')', false),
            Token::Op(b'{') => self.items(b'}', true),
            _ => false,
        }
    }

    /// The items of a display through its `close`; with `braces`, all `key: value` (a
    /// dict) or none (a set).
    fn items(&mut self, close: u8, braces: bool) -> bool {
        let mut pairs = None;
        loop {
            if self.eat(Token::Op(close)) {
                return true;
            }
            if !self.literal() {
                return false;
            }
            if braces {
                let pair = self.eat(Token::Op(b':'));
                if *pairs.get_or_insert(pair) != pair || (pair && !self.literal()) {
                    return false;
                }
            }
            if !self.eat(Token::Op(b',')) {
                return self.eat(Token::Op(close));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv<'a>(args: &[&'a str]) -> Vec<&'a [u8]> {
        std::iter::once("/app")
            .chain(args.iter().copied())
            .map(str::as_bytes)
            .collect()
    }

    const TRACKER: &str = "from multiprocessing.resource_tracker import main;main(5)";
    const FORKSERVER: &str = "from multiprocessing.forkserver import main; main(7, 9, \
        ['__main__'], **{'main_path': '/tmp/caf\u{e9}/app.py', 'sys_path': \
        ['/tmp/x', 'it\\'s \"q\"', '\\x07\\u00e9\\U0001f600\\\\'], 'x': None})";

    #[test]
    fn multiprocessing_command_lines_are_children() {
        let spawn = ["--multiprocessing-fork", "tracker_fd=5", "pipe_handle=7"];
        assert_eq!(child(&argv(&spawn), false), Some(Child::Spawn));
        assert_eq!(child(&argv(&spawn), true), Some(Child::Spawn));
        for code in [TRACKER, FORKSERVER] {
            let flags = ["-B", "-S", "-I", "-OO", "-X", "dev", "-Wignore", "-c", code];
            assert_eq!(child(&argv(&flags), false), Some(Child::Command), "{code}");
            assert_eq!(child(&argv(&["-c", code]), false), Some(Child::Command));
            // A python-like executable runs -c itself.
            assert_eq!(child(&argv(&["-c", code]), true), None);
        }
        for code in [
            "from multiprocessing.resource_tracker import main\nmain(5)\n",
            "from multiprocessing . forkserver import main;\n\nmain(1, (), {}, [], (1,), {1, 2},)",
            "from multiprocessing.forkserver import main;main(**{'a': [True, False]},);",
        ] {
            assert_eq!(
                child(&argv(&["-c", code]), false),
                Some(Child::Command),
                "{code}"
            );
        }
    }

    #[test]
    fn other_command_lines_reach_the_app() {
        for args in [
            &["-c", "print('the app gets its -c')"][..],
            &[
                "-c",
                "from multiprocessing.resource_tracker import main;main(3); print(1)",
            ],
            &[
                "-c",
                "from multiprocessing.resource_tracker import main;main(__import__('os'))",
            ],
            &["-c", "from multiprocessing.spawn import main;main(3)"],
            &["--app-flag", "-c", TRACKER],
            &["--multiprocessing-fork", "pipe_handle=3", "--verbose"],
            &["--multiprocessing-fork", "pipe_handle=three"],
            &["--multiprocessing-fork", "tracker_fd=3"],
            &["-X", "-c", TRACKER],
            &["-c"],
            &[],
        ] {
            assert_eq!(child(&argv(args), false), None, "{args:?}");
        }
        let prefix = "from multiprocessing.resource_tracker import main";
        for call in [
            ";main(-1)", ";main(1.5)", ";main(0x1)", ";main(01)", ";main(b'x')", ";main('''x''')",
            ";main('a' 'b')", ";main('\\N{DASH}')", ";main('\\x+1')", ";main('\\U00110000')",
            ";main(x=1)", ";main(*[1])", ";main(**{}, 1)", ";main({1: 2, 3})", ";main(1,,)",
            ";main(1) # comment", ";main(1", ";main(1))", ";;main(1)", "\n main(1)",
            ";main(1)\\\n", ";main([[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]])",
            " main(1)", ";main (1); x", ";mainx(1)", ";main(None, True, Ellipsis)",
        ] {
            let code = format!("{prefix}{call}");
            assert_eq!(child(&argv(&["-c", &code]), false), None, "{code:?}");
        }
        assert_eq!(
            child(&argv(&["-c", &format!(" {prefix};main(1)")]), false),
            None
        );
    }
}
