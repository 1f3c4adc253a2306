//! Calendar dates as runbooks write them: `2025-03-01`, `1 de marzo de 2025`, `March 1, 2025`,
//! `1 March 2025`, `01/03/2025` (day first, as in Spain and most of Europe).

use jiff::civil::Date;

const MONTHS: &[(&str, i8)] = &[
    ("enero", 1),
    ("febrero", 2),
    ("marzo", 3),
    ("abril", 4),
    ("mayo", 5),
    ("junio", 6),
    ("julio", 7),
    ("agosto", 8),
    ("septiembre", 9),
    ("setiembre", 9),
    ("octubre", 10),
    ("noviembre", 11),
    ("diciembre", 12),
    ("january", 1),
    ("february", 2),
    ("march", 3),
    ("april", 4),
    ("may", 5),
    ("june", 6),
    ("july", 7),
    ("august", 8),
    ("september", 9),
    ("october", 10),
    ("november", 11),
    ("december", 12),
    ("jan", 1),
    ("feb", 2),
    ("mar", 3),
    ("apr", 4),
    ("jun", 6),
    ("jul", 7),
    ("aug", 8),
    ("sep", 9),
    ("sept", 9),
    ("oct", 10),
    ("nov", 11),
    ("dec", 12),
];

fn month(word: &str) -> Option<i8> {
    let w = word.trim_end_matches('.').to_lowercase();
    MONTHS.iter().find(|(name, _)| *name == w).map(|(_, m)| *m)
}

fn number(s: &str) -> Option<i32> {
    (!s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
}

fn ymd(y: i32, m: i32, d: i32) -> Option<Date> {
    Date::new(i16::try_from(y).ok()?, i8::try_from(m).ok()?, i8::try_from(d).ok()?).ok()
}

/// The first date in `text`, with its byte range.
pub fn find_date(text: &str) -> Option<(Date, std::ops::Range<usize>)> {
    // Tokens: runs of letters/digits with their offsets.
    let tokens: Vec<(usize, &str)> = text
        .split_terminator(|c: char| !(c.is_alphanumeric() || c == '-' || c == '/' || c == '.'))
        .scan(0usize, |pos, piece| {
            let start = text[*pos..].find(piece).map_or(*pos, |i| *pos + i);
            *pos = start + piece.len();
            Some((start, piece))
        })
        .filter(|(_, t)| !t.is_empty())
        .collect();
    for (i, &(start, tok)) in tokens.iter().enumerate() {
        let tok_clean = tok.trim_end_matches('.');
        // 2025-03-01
        let parts: Vec<&str> = tok_clean.split('-').collect();
        if parts.len() == 3 && parts[0].len() == 4 {
            if let (Some(y), Some(m), Some(d)) = (number(parts[0]), number(parts[1]), number(parts[2])) {
                if let Some(date) = ymd(y, m, d) {
                    return Some((date, start..start + tok_clean.len()));
                }
            }
        }
        // 01/03/2025 or 01.03.2025, day first.
        for sep in ['/', '.'] {
            let parts: Vec<&str> = tok_clean.split(sep).collect();
            if parts.len() == 3 && parts[2].len() == 4 {
                if let (Some(d), Some(m), Some(y)) = (number(parts[0]), number(parts[1]), number(parts[2])) {
                    if let Some(date) = ymd(y, m, d) {
                        return Some((date, start..start + tok_clean.len()));
                    }
                }
            }
        }
        let next = |k: usize| tokens.get(i + k).map(|(s, t)| (*s, t.trim_end_matches('.')));
        // 1 de marzo de 2025 / 1 March 2025
        if let Some(d) = number(tok_clean).filter(|d| (1..=31).contains(d)) {
            let mut k = 1;
            if next(k).is_some_and(|(_, t)| t.eq_ignore_ascii_case("de")) {
                k += 1;
            }
            if let Some(m) = next(k).and_then(|(_, t)| month(t)) {
                k += 1;
                if next(k).is_some_and(|(_, t)| t.eq_ignore_ascii_case("de") || t.eq_ignore_ascii_case("del")) {
                    k += 1;
                }
                if let Some((ys, yt)) = next(k) {
                    if let Some(y) = number(yt).filter(|y| *y >= 1990) {
                        if let Some(date) = ymd(y, m.into(), d) {
                            return Some((date, start..ys + yt.len()));
                        }
                    }
                }
            }
        }
        // March 1, 2025 / marzo 2025 (first of the month)
        if let Some(m) = month(tok_clean) {
            if let Some((_, dt)) = next(1) {
                if let Some(d) = number(dt).filter(|d| (1..=31).contains(d)) {
                    if let Some((ys, yt)) = next(2) {
                        if let Some(y) = number(yt).filter(|y| *y >= 1990) {
                            if let Some(date) = ymd(y, m.into(), d) {
                                return Some((date, start..ys + yt.len()));
                            }
                        }
                    }
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn finds_dates_in_both_languages() {
        assert_eq!(find_date("Next review: 2025-03-01").unwrap().0, date(2025, 3, 1));
        assert_eq!(find_date("Próxima revisión: 1 de marzo de 2025").unwrap().0, date(2025, 3, 1));
        assert_eq!(find_date("Review by March 1, 2025.").unwrap().0, date(2025, 3, 1));
        assert_eq!(find_date("revisar el 15/09/2026").unwrap().0, date(2026, 9, 15));
        assert_eq!(find_date("on 1 March 2027").unwrap().0, date(2027, 3, 1));
        let text = "Próxima revisión: 1 de marzo de 2025 (equipo SRE)";
        let (_, r) = find_date(text).unwrap();
        assert_eq!(&text[r], "1 de marzo de 2025");
        assert!(find_date("cada 6 horas").is_none());
        assert!(find_date("versión 2.4.1").is_none());
    }
}
