//! Text with a line index, and snippets of it that remember where each byte came from.
//!
//! Every diagnostic is a byte range in the decoded text; this is where it becomes a line and column.

use std::ops::Range;

/// The decoded text of one runbook, with the byte offset where each line starts.
#[derive(Debug, Clone)]
pub struct SourceText {
    text: String,
    line_starts: Vec<usize>,
}

/// A 1-based line and column; the column counts characters, not bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

impl SourceText {
    pub fn new(text: String) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self { text, line_starts }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn len(&self) -> usize {
        self.text.len()
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    pub fn line_count(&self) -> usize {
        // A trailing newline does not open a new line.
        if self.text.ends_with('\n') {
            self.line_starts.len() - 1
        } else {
            self.line_starts.len()
        }
        .max(1)
    }

    /// The 0-based index of the line holding `offset`.
    pub fn line_index(&self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    pub fn line_col(&self, offset: usize) -> LineCol {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_index(offset);
        let start = self.line_starts[line];
        let column = self.text[start..offset].chars().count() + 1;
        LineCol { line: line + 1, column }
    }

    /// Byte range of the 0-based line `index`, without its line break.
    pub fn line_span(&self, index: usize) -> Range<usize> {
        let start = self.line_starts[index.min(self.line_starts.len() - 1)];
        let end = self.text[start..].find('\n').map_or(self.text.len(), |i| start + i);
        let end = if end > start && self.text.as_bytes()[end - 1] == b'\r' { end - 1 } else { end };
        start..end
    }

    pub fn line(&self, index: usize) -> &str {
        &self.text[self.line_span(index)]
    }

    /// Start offsets of all lines, for iteration.
    pub fn line_starts(&self) -> &[usize] {
        &self.line_starts
    }
}

/// A piece of text cut out of a runbook (a code block's body, a `psql -c` string, a decoded
/// URL parameter) with a map back to byte offsets in the runbook.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snippet {
    pub text: String,
    segments: Vec<Segment>,
}

/// A run of snippet bytes starting at `text` that came from `source`: copied byte for byte, or
/// (synthetic) standing as a whole for the source bytes there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Segment {
    text: usize,
    source: usize,
    synthetic: bool,
}

impl Snippet {
    /// A snippet that is a verbatim copy of `source[start..start + text.len()]`.
    pub fn verbatim(text: impl Into<String>, start: usize) -> Self {
        let mut s = Self::default();
        s.push(&text.into(), start);
        s
    }

    /// Appends text that was copied from `source_start` in the runbook.
    pub fn push(&mut self, text: &str, source_start: usize) {
        self.push_segment(text, source_start, false);
    }

    /// Appends text that stands for the source bytes at `source_start` but is not a copy of them
    /// (a decoded `%5B`, a joined line); every byte of it maps to `source_start`.
    pub fn push_synthetic(&mut self, text: &str, source_start: usize) {
        self.push_segment(text, source_start, true);
    }

    fn push_segment(&mut self, text: &str, source: usize, synthetic: bool) {
        if text.is_empty() {
            return;
        }
        self.segments.push(Segment { text: self.text.len(), source, synthetic });
        self.text.push_str(text);
    }

    fn segment_at(&self, offset: usize) -> Option<&Segment> {
        let i = self.segments.partition_point(|s| s.text <= offset);
        self.segments.get(i.checked_sub(1)?)
    }

    /// Maps an offset in the snippet back to an offset in the runbook.
    pub fn source_offset(&self, offset: usize) -> usize {
        match self.segment_at(offset) {
            Some(seg) if seg.synthetic => seg.source,
            Some(seg) => seg.source + (offset - seg.text),
            None => self.segments.first().map_or(0, |s| s.source),
        }
    }

    /// Maps a range in the snippet back to a range in the runbook.
    pub fn source_range(&self, range: std::ops::Range<usize>) -> std::ops::Range<usize> {
        let start = self.source_offset(range.start);
        if range.end <= range.start {
            return start..start;
        }
        let end = self.source_offset(range.end - 1) + 1;
        start..end.max(start + 1)
    }

    /// Whether each line of the snippet is a copy of one run of the runbook's text: no synthetic
    /// text, and pieces copied from different places meet only after a line break (a code block
    /// in a list loses its indentation there). Then whatever is found within a line of the
    /// snippet is in the runbook's text too, at `source_offset`.
    pub fn lines_are_verbatim(&self) -> bool {
        !self.segments.iter().any(|s| s.synthetic)
            && self.segments.windows(2).all(|w| {
                let contiguous = w[1].source == w[0].source + (w[1].text - w[0].text);
                contiguous || self.text.as_bytes()[w[1].text - 1] == b'\n'
            })
    }

    /// Offset of the first byte of the snippet in the runbook.
    pub fn source_start(&self) -> usize {
        self.source_offset(0)
    }

    /// Lines of the snippet (without line breaks) with their start offsets in the snippet.
    pub fn lines(&self) -> impl Iterator<Item = (usize, &str)> {
        let mut start = 0;
        self.text.split_inclusive('\n').map(move |l| {
            let s = start;
            start += l.len();
            (s, l.trim_end_matches(['\n', '\r']))
        })
    }

    /// A sub-snippet: `range` of this one, with its own map.
    pub fn slice(&self, range: std::ops::Range<usize>) -> Snippet {
        let mut out = Snippet::default();
        let mut pos = range.start;
        while pos < range.end {
            let i = self.segments.partition_point(|s| s.text <= pos);
            let next = self.segments.get(i).map_or(usize::MAX, |s| s.text).min(range.end);
            let piece = &self.text[pos..next];
            match self.segment_at(pos) {
                Some(seg) if seg.synthetic => out.push_synthetic(piece, seg.source),
                _ => out.push(piece, self.source_offset(pos)),
            }
            pos = next;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters() {
        let s = SourceText::new("año\nbé x\n".to_string());
        assert_eq!(s.line_col(0), LineCol { line: 1, column: 1 });
        let x = s.as_str().find('x').unwrap();
        assert_eq!(s.line_col(x), LineCol { line: 2, column: 4 });
        assert_eq!(s.line_count(), 2);
        assert_eq!(s.line(1), "bé x");
    }

    #[test]
    fn snippet_maps_segments_back() {
        let mut sn = Snippet::default();
        sn.push("SELECT 1", 100);
        sn.push("\nFROM t", 200);
        assert_eq!(sn.source_offset(0), 100);
        assert_eq!(sn.source_offset(7), 107);
        assert_eq!(sn.source_offset(8), 200);
        assert_eq!(sn.source_range(9..13), 201..205);
    }

    #[test]
    fn verbatim_lines_only_meet_after_line_breaks() {
        let mut sn = Snippet::default();
        sn.push("docker ps\n", 10);
        sn.push("psql\n", 25);
        assert!(sn.lines_are_verbatim());
        sn.push("psql ", 50);
        sn.push("-c x", 60);
        assert!(!sn.lines_are_verbatim(), "a line made of two distant pieces");
        let mut synthetic = Snippet::verbatim("a\n", 0);
        synthetic.push_synthetic("  ", 2);
        assert!(!synthetic.lines_are_verbatim());
    }

    #[test]
    fn synthetic_text_maps_to_its_origin() {
        let mut sn = Snippet::default();
        sn.push("rate(x", 10);
        sn.push_synthetic("[", 16); // was %5B
        sn.push("5m", 19);
        assert_eq!(sn.text, "rate(x[5m");
        assert_eq!(sn.source_offset(6), 16);
        assert_eq!(sn.source_offset(7), 19);
        let sub = sn.slice(5..9);
        assert_eq!(sub.text, "x[5m");
        assert_eq!(sub.source_offset(0), 15);
        assert_eq!(sub.source_offset(1), 16);
        assert_eq!(sub.source_offset(2), 19);
    }
}
