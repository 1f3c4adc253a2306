//! Turns any bytes into text we can analyse: UTF-8 as is, UTF-16 by its BOM, legacy 8-bit text
//! as Windows-1252, and UTF-8 that was decoded as Windows-1252 or Mac Roman and encoded again
//! ("mojibake", `DescripciÃ³n`) repaired back. Line breaks are never touched, so line numbers in
//! the repaired text are line numbers in the file.

use std::sync::OnceLock;

/// What the decoder found and did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum EncodingReport {
    /// Clean UTF-8 (a BOM, if any, dropped).
    Utf8,
    /// UTF-16 with a byte-order mark, decoded.
    Utf16 { big_endian: bool },
    /// Not valid UTF-8: decoded as Windows-1252 (a superset of Latin-1's printable range).
    Legacy { first_invalid_line: usize },
    /// UTF-8 that had been decoded with a legacy code page and encoded again; repaired.
    DoubleEncoded {
        via: LegacyCodePage,
        repairs: usize,
        example: RepairExample,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum LegacyCodePage {
    #[serde(rename = "Windows-1252")]
    Windows1252,
    #[serde(rename = "Mac Roman")]
    MacRoman,
}

impl std::fmt::Display for LegacyCodePage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LegacyCodePage::Windows1252 => "Windows-1252",
            LegacyCodePage::MacRoman => "Mac Roman",
        })
    }
}

/// The first repair made, to show the user what happened.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RepairExample {
    /// Byte offset in the repaired text.
    pub offset: usize,
    pub broken: String,
    pub repaired: String,
}

/// A file that is not text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("binary file (a NUL or control byte at line {line}, column {column}): not a runbook")]
pub struct BinaryFile {
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone)]
pub struct Decoded {
    pub text: String,
    pub report: EncodingReport,
}

pub fn decode(bytes: &[u8]) -> Result<Decoded, BinaryFile> {
    if let Some((enc, big_endian)) = utf16_bom(bytes) {
        let (text, _, _) = enc.decode(bytes);
        return Ok(Decoded { text: text.into_owned(), report: EncodingReport::Utf16 { big_endian } });
    }
    check_not_binary(bytes)?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(repair_mojibake(text)),
        Err(e) => {
            let first_invalid_line = bytes[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count() + 1;
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
            Ok(Decoded { text: text.into_owned(), report: EncodingReport::Legacy { first_invalid_line } })
        }
    }
}

fn utf16_bom(bytes: &[u8]) -> Option<(&'static encoding_rs::Encoding, bool)> {
    match bytes {
        [0xFF, 0xFE, ..] => Some((encoding_rs::UTF_16LE, false)),
        [0xFE, 0xFF, ..] => Some((encoding_rs::UTF_16BE, true)),
        _ => None,
    }
}

/// A NUL anywhere, or many C0 control bytes, means this is not text in any encoding we read.
fn check_not_binary(bytes: &[u8]) -> Result<(), BinaryFile> {
    let is_control = |b: u8| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0C | 0x1B);
    let head = &bytes[..bytes.len().min(8192)];
    let controls = head.iter().filter(|b| is_control(**b)).count();
    // `contains` is a memchr: most files have no NUL, and this is a pass over every byte.
    let nul = if bytes.contains(&0) { bytes.iter().position(|b| *b == 0) } else { None };
    let bad = nul
        .or_else(|| (controls * 20 > head.len().max(1)).then(|| head.iter().position(|b| is_control(*b)).unwrap_or(0)));
    match bad {
        None => Ok(()),
        Some(at) => {
            let before = &bytes[..at];
            let line = before.iter().filter(|b| **b == b'\n').count() + 1;
            let line_start = before.iter().rposition(|b| *b == b'\n').map_or(0, |p| p + 1);
            let column = String::from_utf8_lossy(&bytes[line_start..at]).chars().count() + 1;
            Err(BinaryFile { line, column })
        }
    }
}

/// For one code page, the byte each character of its upper half came from. Looked up for every
/// non-ASCII character of every file, so characters up to U+00FF are a direct index.
struct ReverseTable {
    latin: [u8; 256],
    /// The rest (`€`, `‚`, `√`, ...), sorted by character.
    other: Vec<(char, u8)>,
}

impl ReverseTable {
    fn get(&self, c: char) -> Option<u8> {
        let code = c as u32;
        if code < 256 {
            // 0 marks "no byte": no character of an upper half comes from byte 0.
            Some(self.latin[code as usize]).filter(|b| *b != 0)
        } else {
            self.other.binary_search_by_key(&c, |(ch, _)| *ch).ok().map(|i| self.other[i].1)
        }
    }
}

fn reverse_table(page: LegacyCodePage) -> &'static ReverseTable {
    static CP1252: OnceLock<ReverseTable> = OnceLock::new();
    static MAC: OnceLock<ReverseTable> = OnceLock::new();
    let (cell, enc) = match page {
        LegacyCodePage::Windows1252 => (&CP1252, encoding_rs::WINDOWS_1252),
        LegacyCodePage::MacRoman => (&MAC, encoding_rs::MACINTOSH),
    };
    cell.get_or_init(|| {
        let mut table = ReverseTable { latin: [0; 256], other: Vec::new() };
        for b in 0x80u8..=0xFF {
            let byte = [b];
            let (s, _, had_errors) = enc.decode(&byte);
            let Some(c) = s.chars().next() else { continue };
            if had_errors {
                continue;
            }
            match u32::from(c) {
                code @ 0..=255 => table.latin[code as usize] = b,
                _ => table.other.push((c, b)),
            }
        }
        table.other.sort();
        table
    })
}

/// Repairs every UTF-8 sequence that was misread through `page`: the repaired text, the number
/// of repairs and the first one, or `None` when nothing needed repair (the common case, which
/// then costs one pass and no allocation).
fn repair_with(text: &str, page: LegacyCodePage) -> Option<(String, usize, RepairExample)> {
    let table = reverse_table(page);
    let bytes = text.as_bytes();
    let mut out = String::new();
    let mut copied = 0;
    let mut repairs = 0;
    let mut example = None;
    let mut i = 0;
    loop {
        i = next_non_ascii(bytes, i);
        if i >= bytes.len() {
            break;
        }
        let c = text[i..].chars().next().expect("i is on a char boundary");
        match table.get(c).and_then(|lead| try_sequence(&text[i..], lead, table)) {
            Some((ch, used)) => {
                if out.capacity() == 0 {
                    out.reserve(text.len());
                }
                out.push_str(&text[copied..i]);
                if example.is_none() {
                    example = Some(RepairExample {
                        offset: out.len(),
                        broken: text[i..i + used].to_string(),
                        repaired: ch.to_string(),
                    });
                }
                out.push(ch);
                repairs += 1;
                i += used;
                copied = i;
            }
            None => i += c.len_utf8(),
        }
    }
    // Nothing repaired (the common case): no copy of the text.
    let example = example?;
    out.push_str(&text[copied..]);
    Some((out, repairs, example))
}

/// The offset of the first non-ASCII byte at or after `from` (`bytes.len()` if none), eight
/// bytes at a time: Spanish prose is mostly ASCII, and this runs over every file twice.
fn next_non_ascii(bytes: &[u8], from: usize) -> usize {
    const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
    let mut i = from;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        if word & HIGH_BITS != 0 {
            break;
        }
        i += 8;
    }
    while i < bytes.len() && bytes[i].is_ascii() {
        i += 1;
    }
    i
}

/// If `s` starts with a misread UTF-8 sequence whose lead byte is `lead`, the character it
/// encodes and how many bytes of `s` the misread characters span.
fn try_sequence(s: &str, lead: u8, table: &ReverseTable) -> Option<(char, usize)> {
    let len = match lead {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return None,
    };
    let mut chars = s.char_indices().skip(1);
    let mut bytes = [lead, 0, 0, 0];
    for slot in bytes.iter_mut().take(len).skip(1) {
        let (_, c) = chars.next()?;
        let b = table.get(c)?;
        if !(0x80..=0xBF).contains(&b) {
            return None;
        }
        *slot = b;
    }
    let used = chars.next().map_or(s.len(), |(j, _)| j);
    let decoded = std::str::from_utf8(&bytes[..len]).ok()?;
    decoded.chars().next().map(|ch| (ch, used))
}

/// Picks the code page that explains the most damage, and repairs again while repairs happen
/// (text can be double-encoded more than once).
fn repair_mojibake(text: &str) -> Decoded {
    // Fast path: ASCII text cannot hold mojibake.
    if text.is_ascii() {
        return Decoded { text: text.to_string(), report: EncodingReport::Utf8 };
    }
    let mut current = text.to_string();
    let mut total = 0;
    let mut first: Option<(LegacyCodePage, RepairExample)> = None;
    for _ in 0..3 {
        let best = [LegacyCodePage::Windows1252, LegacyCodePage::MacRoman]
            .into_iter()
            .filter_map(|page| repair_with(&current, page).map(|r| (page, r)))
            .max_by_key(|(_, (_, n, _))| *n);
        match best {
            Some((page, (fixed, n, example))) => {
                if first.is_none() {
                    first = Some((page, example));
                }
                total += n;
                current = fixed;
            }
            _ => break,
        }
    }
    match first {
        None => Decoded { text: current, report: EncodingReport::Utf8 },
        Some((via, example)) => Decoded {
            text: current,
            report: EncodingReport::DoubleEncoded { via, repairs: total, example },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_utf8_is_untouched() {
        let d = decode("Descripción del servicio ─ ok ✅\n".as_bytes()).unwrap();
        assert_eq!(d.report, EncodingReport::Utf8);
        assert_eq!(d.text, "Descripción del servicio ─ ok ✅\n");
    }

    #[test]
    fn windows_1252_mojibake_is_repaired() {
        let d = decode("DescripciÃ³n\nâ”€â”€ caja\n".as_bytes()).unwrap();
        assert_eq!(d.text, "Descripción\n── caja\n");
        match d.report {
            EncodingReport::DoubleEncoded { via, repairs, example } => {
                assert_eq!(via, LegacyCodePage::Windows1252);
                assert_eq!(repairs, 3);
                assert_eq!(example.broken, "Ã³");
                assert_eq!(example.repaired, "ó");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn mac_roman_mojibake_is_repaired() {
        let d = decode("recuperaci√≥n r√°pida\n".as_bytes()).unwrap();
        assert_eq!(d.text, "recuperación rápida\n");
        assert!(matches!(d.report, EncodingReport::DoubleEncoded { via: LegacyCodePage::MacRoman, .. }));
    }

    #[test]
    fn latin1_bytes_are_decoded() {
        let d = decode(b"ok\nRecuperaci\xf3n\n").unwrap();
        assert_eq!(d.text, "ok\nRecuperación\n");
        assert_eq!(d.report, EncodingReport::Legacy { first_invalid_line: 2 });
    }

    #[test]
    fn binary_is_refused_with_a_position() {
        let e = decode(b"abc\nde\0f").unwrap_err();
        assert_eq!((e.line, e.column), (2, 3));
    }

    #[test]
    fn utf16_with_bom_is_decoded() {
        let mut b = vec![0xFF, 0xFE];
        for u in "hola\n".encode_utf16() {
            b.extend(u.to_le_bytes());
        }
        assert_eq!(decode(&b).unwrap().text, "hola\n");
    }
}
