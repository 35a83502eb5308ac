//! The one JSON shape the runtime reads (`extension_libraries`): an object whose values are
//! arrays of strings. No JSON crate for one shape.

use std::collections::HashMap;

/// Parses a JSON object whose values are arrays of strings.
pub fn string_arrays(text: &str) -> Result<HashMap<String, Vec<String>>, String> {
    let mut p = Json {
        s: text.as_bytes(),
        i: 0,
    };
    let mut out = HashMap::new();
    p.expect(b'{')?;
    if !p.eat(b'}') {
        loop {
            let key = p.string()?;
            p.expect(b':')?;
            p.expect(b'[')?;
            let mut list = Vec::new();
            if !p.eat(b']') {
                loop {
                    list.push(p.string()?);
                    if p.eat(b']') {
                        break;
                    }
                    p.expect(b',')?;
                }
            }
            out.insert(key, list);
            if p.eat(b'}') {
                break;
            }
            p.expect(b',')?;
        }
    }
    p.ws();
    if p.i != p.s.len() {
        return Err(format!("unexpected text at byte {}", p.i));
    }
    Ok(out)
}

struct Json<'a> {
    s: &'a [u8],
    i: usize,
}

impl Json<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: u8) -> Result<(), String> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(format!("expected '{}' at byte {}", c as char, self.i))
        }
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let digits = self
            .s
            .get(self.i..self.i + 4)
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(|d| u32::from_str_radix(d, 16).ok())
            .ok_or_else(|| format!("bad \\u escape at byte {}", self.i))?;
        self.i += 4;
        Ok(digits)
    }

    fn string(&mut self) -> Result<String, String> {
        self.expect(b'"')?;
        let mut out = Vec::new();
        loop {
            let Some(&c) = self.s.get(self.i) else {
                return Err("unterminated string".into());
            };
            self.i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let Some(&e) = self.s.get(self.i) else {
                        return Err("unterminated string".into());
                    };
                    self.i += 1;
                    let ch = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                if self.s.get(self.i..self.i + 2) != Some(b"\\u") {
                                    return Err(format!("lone surrogate at byte {}", self.i));
                                }
                                self.i += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(format!("lone surrogate at byte {}", self.i));
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            char::from_u32(code)
                                .ok_or_else(|| format!("bad \\u escape at byte {}", self.i))?
                        }
                        _ => return Err(format!("bad escape at byte {}", self.i - 1)),
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                0..=0x1f => {
                    return Err(format!(
                        "control character in a string at byte {}",
                        self.i - 1
                    ))
                }
                _ => out.push(c),
            }
        }
        String::from_utf8(out).map_err(|_| "a string that is not UTF-8".into())
    }
}

#[cfg(test)]
mod tests {
    use super::string_arrays;

    #[test]
    fn parses_the_contract() {
        let n = string_arrays(
            " {\"numpy.core._multiarray_umath\": [\"libgfortran-1.so.5\", \"libopenblas.so\"],\n \"a\\u00e9\\ud83d\\ude00\": [] } ",
        )
        .unwrap();
        assert_eq!(
            n["numpy.core._multiarray_umath"],
            vec!["libgfortran-1.so.5", "libopenblas.so"]
        );
        assert_eq!(n["a\u{e9}\u{1f600}"], Vec::<String>::new());
        assert!(string_arrays("{}").unwrap().is_empty());
    }

    #[test]
    fn rejects_other_shapes() {
        for bad in [
            "",
            "[]",
            "{\"a\": \"b\"}",
            "{\"a\": [1]}",
            "{\"a\": [\"b\",]}",
            "{\"a\": [\"b\"]} x",
            "{\"a\": [\"b\"]",
            "{\"a\\q\": []}",
            "{\"\\ud800\": []}",
        ] {
            assert!(string_arrays(bad).is_err(), "{bad:?}");
        }
    }
}
