//! Long lines cut down for display: a finding on a line of megabytes shows a window of that
//! line around its labels, with `…` where text was left out, so a hostile file cannot flood a
//! terminal or a CI log. Offsets map from the file to the shown text and back.

use std::ops::Range;
use std::sync::Arc;

use crate::diagnostic::SourceFile;

/// Lines longer than this many characters are cut to a window of this many characters.
pub const MAX_LINE_CHARS: usize = 160;
/// Characters of a long line kept before the first label on it.
const LEAD_CHARS: usize = 40;
/// What stands for the text left out.
const MARK: &str = "…";

/// One piece of a line left out, and where its mark is in the shown text.
#[derive(Debug, Clone)]
struct Cut {
    original: Range<usize>,
    shown: usize,
}

/// A file as shown: the same lines, long ones cut around the labels.
#[derive(Debug, Clone)]
pub struct Shown {
    /// The text shown (the file itself when nothing was cut).
    pub source: Arc<SourceFile>,
    cuts: Vec<Cut>,
}

impl Shown {
    /// The file with the long lines near `spans` (their lines and one line of context either
    /// side, as the snippets show) cut to a window around the spans.
    pub fn new(file: &Arc<SourceFile>, spans: &[Range<usize>]) -> Self {
        let text = file.text.as_str();
        let lines = file.lines();
        let mut wanted: Vec<(usize, Option<usize>)> = Vec::new();
        for span in spans {
            let first = lines.line_of(span.start);
            let last = lines.line_of(span.end);
            for line in first.saturating_sub(1)..=last + 1 {
                let anchor = (line == first).then_some(span.start);
                wanted.push((line, anchor));
            }
        }
        wanted.sort();
        // One entry per line, with the earliest anchor on it.
        wanted.dedup_by(|later, earlier| {
            if later.0 == earlier.0 {
                earlier.1 = match (earlier.1, later.1) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                true
            } else {
                false
            }
        });
        let mut removed: Vec<Range<usize>> = Vec::new();
        for (line, anchor) in wanted {
            let Some(start) = lines.line_start(line) else {
                continue;
            };
            let end = lines
                .line_start(line + 1)
                .unwrap_or(text.len())
                .min(text.len());
            let body = text[start..end].trim_end_matches(['\n', '\r']);
            if body.len() <= MAX_LINE_CHARS || body.chars().nth(MAX_LINE_CHARS).is_none() {
                continue;
            }
            let end = start + body.len();
            let from = anchor.map_or(start, |a| {
                let lead = text[start..a.clamp(start, end)]
                    .char_indices()
                    .rev()
                    .nth(LEAD_CHARS - 1)
                    .map_or(0, |(i, _)| i);
                start + lead
            });
            let to = text[from..end]
                .char_indices()
                .nth(MAX_LINE_CHARS)
                .map_or(end, |(i, _)| from + i);
            if from > start {
                removed.push(start..from);
            }
            if to < end {
                removed.push(to..end);
            }
        }
        if removed.is_empty() {
            return Self {
                source: file.clone(),
                cuts: Vec::new(),
            };
        }
        let mut shown = String::with_capacity(text.len());
        let mut cuts = Vec::with_capacity(removed.len());
        let mut at = 0;
        for range in removed {
            shown.push_str(&text[at..range.start]);
            cuts.push(Cut {
                original: range.clone(),
                shown: shown.len(),
            });
            shown.push_str(MARK);
            at = range.end;
        }
        shown.push_str(&text[at..]);
        Self {
            source: SourceFile::new(file.path.clone(), shown),
            cuts,
        }
    }

    /// A span of the file in the shown text: a bound inside a cut moves to the mark, so a
    /// label never covers more than the window.
    pub fn span(&self, span: &Range<usize>) -> Range<usize> {
        let start = self.offset(span.start, false);
        let end = self.offset(span.end, true).max(start);
        start..end
    }

    fn offset(&self, offset: usize, end: bool) -> usize {
        let mut delta: isize = 0;
        for cut in &self.cuts {
            let removed = &cut.original;
            if offset <= removed.start {
                break;
            }
            if offset < removed.end {
                return if end {
                    cut.shown + MARK.len()
                } else {
                    cut.shown
                };
            }
            delta += MARK.len() as isize - removed.len() as isize;
        }
        offset.saturating_add_signed(delta)
    }

    /// The offset in the file of an offset of the shown text (a mark maps to where its cut
    /// starts).
    pub fn original(&self, shown: usize) -> usize {
        let mut delta: isize = 0;
        for cut in &self.cuts {
            if shown < cut.shown {
                break;
            }
            if shown < cut.shown + MARK.len() {
                return cut.original.start;
            }
            delta += cut.original.len() as isize - MARK.len() as isize;
        }
        shown.saturating_add_signed(delta)
    }
}

#[cfg(test)]
#[allow(clippy::single_range_in_vec_init)] // one span per test: a list of one range is meant
mod tests {
    use super::*;

    #[test]
    fn short_lines_are_shown_as_they_are() {
        let file = SourceFile::new("a.yaml", "a: 1\nb: 2\n");
        let shown = Shown::new(&file, &[3..4]);
        assert!(Arc::ptr_eq(&shown.source, &file));
        assert_eq!(shown.span(&(3..4)), 3..4);
        assert_eq!(shown.original(3), 3);
    }

    #[test]
    fn a_long_line_is_cut_around_its_label_and_offsets_map_both_ways() {
        let long = "长".repeat(1000);
        let text = format!("a: 1\nb: \"{long}x{long}\"\nc: 3\n");
        let file = SourceFile::new("a.yaml", text.clone());
        let x = text.find('x').unwrap();
        let shown = Shown::new(&file, &[x..x + 1]);
        let shown_text = &shown.source.text;
        let line = shown_text.lines().nth(1).unwrap();
        assert!(line.starts_with('…') && line.ends_with('…'), "{line}");
        assert_eq!(line.chars().count(), MAX_LINE_CHARS + 2);
        let span = shown.span(&(x..x + 1));
        assert_eq!(&shown_text[span.clone()], "x");
        assert_eq!(shown.original(span.start), x);
        // The lines around are untouched, and so are offsets before the cut.
        assert_eq!(shown.span(&(0..1)), 0..1);
        assert!(shown_text.ends_with("\"\nc: 3\n") || shown_text.ends_with("…\nc: 3\n"));
    }

    #[test]
    fn a_span_longer_than_the_window_ends_at_the_mark() {
        let text = format!("k: {}\n", "y".repeat(5000));
        let file = SourceFile::new("a.yaml", text.clone());
        let shown = Shown::new(&file, &[3..text.len() - 1]);
        let span = shown.span(&(3..text.len() - 1));
        assert!(shown.source.text[span].ends_with('…'));
    }
}
