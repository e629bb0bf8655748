//! `vetlint::position::LineIndex` on arbitrary text: offsets clamp onto character boundaries,
//! and offset → line/column → offset and offset → UTF-16 → offset round-trip on every
//! addressable boundary (all of them but the `\n` of a `\r\n`, which has no column of its own);
//! the inverse conversions, given arbitrary positions, only return offsets that convert back to
//! the same position; positions grow with offsets.
//!
//! Input: 2 bytes offset A, 2 bytes offset B, 2 bytes line, 2 bytes column (little endian),
//! then the text (invalid UTF-8 replaced).
#![no_main]

use libfuzzer_sys::fuzz_target;
use vetlint::position::{LineCol, LineIndex, Utf16Pos, char_to_byte_table};

/// Texts up to this length are checked at every character boundary, not only at A and B.
const EXHAUSTIVE: usize = 256;

fn u16_at(data: &[u8], i: usize) -> usize {
    u16::from_le_bytes([data[i], data[i + 1]]) as usize
}

/// Whether `offset` is the `\n` of a `\r\n` pair.
fn inside_crlf(text: &str, offset: usize) -> bool {
    offset > 0 && text[offset..].starts_with('\n') && text.as_bytes()[offset - 1] == b'\r'
}

/// Converts one raw (possibly out-of-range, possibly mid-character) offset and checks every
/// relation; returns the positions of the clamped offset.
fn check_offset(index: &LineIndex, text: &str, raw: usize) -> (usize, LineCol, Utf16Pos) {
    let offset = LineIndex::clamp(text, raw);
    assert!(offset <= text.len(), "clamp({raw}) = {offset} is past the end");
    assert!(text.is_char_boundary(offset), "clamp({raw}) = {offset} is not a boundary");
    assert!(offset <= raw, "clamp({raw}) = {offset} moved forward");
    if raw <= text.len() {
        assert!(raw - offset < 4, "clamp({raw}) = {offset} moved back more than a character");
    }
    assert_eq!(LineIndex::clamp(text, offset), offset, "clamp is not idempotent");

    let lc = index.line_col(text, raw);
    assert_eq!(lc, index.line_col(text, offset), "line_col({raw}) differs from its clamp");
    let u = index.utf16(text, raw);
    assert_eq!(u, index.utf16(text, offset), "utf16({raw}) differs from its clamp");
    assert!(lc.line >= 1 && lc.column >= 1, "line_col({offset}) = {lc:?} is not 1-based");
    assert_eq!(u.line + 1, lc.line, "utf16 and line_col disagree on the line of {offset}");
    let line = index.line_of(offset);
    assert_eq!(line + 1, lc.line as usize, "line_of({offset}) disagrees with line_col");
    let start = index.line_start(line).expect("line_of returned a line that does not exist");
    assert!(start <= offset, "line {line} starts at {start}, after offset {offset}");
    assert!(
        text.is_char_boundary(start),
        "line {line} starts at {start}, inside a character"
    );
    if let Some(next) = index.line_start(line + 1) {
        assert!(offset < next, "offset {offset} is on line {line} but line {} starts at {next}", line + 1);
    }

    if inside_crlf(text, offset) {
        assert_eq!(index.offset_of_line_col(text, lc), None, "\\n of \\r\\n at {offset}: {lc:?}");
    } else {
        assert_eq!(
            index.offset_of_line_col(text, lc),
            Some(offset),
            "offset {offset} → {lc:?} → back"
        );
        assert_eq!(
            index.offset_of_utf16(text, u),
            Some(offset),
            "offset {offset} → {u:?} → back"
        );
    }
    (offset, lc, u)
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 8 {
        return;
    }
    let (a, b, line, column) = (u16_at(data, 0), u16_at(data, 2), u16_at(data, 4), u16_at(data, 6));
    let text = String::from_utf8_lossy(&data[8..]);
    let text = text.as_ref();
    let index = LineIndex::new(text);

    // Line structure.
    assert!(index.line_count() >= 1);
    assert_eq!(index.line_start(0), Some(0));
    assert_eq!(index.line_start(index.line_count()), None);
    assert_eq!(
        index.line_col(text, text.len()).line as usize,
        index.line_count(),
        "the end of the text is not on the last line"
    );
    let table = char_to_byte_table(text);
    assert_eq!(table.len(), text.chars().count() + 1);
    assert_eq!(table.last(), Some(&text.len()));
    assert!(table.iter().all(|&o| text.is_char_boundary(o)));
    assert!(table.windows(2).all(|w| w[0] < w[1]));

    // Two fuzzed offsets (anywhere, even past the end): round trips and monotonicity.
    let (oa, lca, ua) = check_offset(&index, text, a);
    let (ob, lcb, ub) = check_offset(&index, text, b);
    if oa <= ob {
        assert!(lca <= lcb, "{oa} <= {ob} but {lca:?} > {lcb:?}");
        assert!(ua <= ub, "{oa} <= {ob} but {ua:?} > {ub:?}");
    }

    // Arbitrary positions: whatever offset comes back must convert back to the position.
    let pos = LineCol { line: line as u32, column: column as u32 };
    if let Some(o) = index.offset_of_line_col(text, pos) {
        assert!(o <= text.len() && text.is_char_boundary(o), "{pos:?} → {o}: not a boundary");
        assert_eq!(index.line_col(text, o), pos, "{pos:?} → {o} → back");
    }
    let upos = Utf16Pos { line: line as u32, character: column as u32 };
    if let Some(o) = index.offset_of_utf16(text, upos) {
        assert!(o <= text.len() && text.is_char_boundary(o), "{upos:?} → {o}: not a boundary");
        assert_eq!(index.utf16(text, o), upos, "{upos:?} → {o} → back");
    }

    // Short texts: every boundary, in order.
    if text.len() <= EXHAUSTIVE {
        let mut previous: Option<(LineCol, Utf16Pos)> = None;
        for &offset in &table {
            let (_, lc, u) = check_offset(&index, text, offset);
            if let Some((plc, pu)) = previous {
                assert!(plc < lc || inside_crlf(text, offset), "{plc:?} !< {lc:?} at {offset}");
                assert!(pu < u || inside_crlf(text, offset), "{pu:?} !< {u:?} at {offset}");
            }
            previous = Some((lc, u));
        }
    }
});
