//! Owns every conversion between byte offsets, 1-based line/column (Unicode characters) and
//! the 0-based positions of the Language Server Protocol (UTF-16 by default, UTF-8 or UTF-32
//! when negotiated), so no other module counts characters by itself.

/// A 1-based line and column pair, the column counting Unicode scalar values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LineCol {
    /// 1-based line number.
    pub line: u32,
    /// 1-based column in Unicode characters.
    pub column: u32,
}

/// A 0-based line and UTF-16 code unit column, as the Language Server Protocol counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Utf16Pos {
    /// 0-based line number.
    pub line: u32,
    /// 0-based column in UTF-16 code units.
    pub character: u32,
}

/// The unit a Language Server Protocol client counts columns in (`positionEncoding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// Bytes of UTF-8.
    Utf8,
    /// UTF-16 code units (the protocol's default).
    Utf16,
    /// Unicode scalar values.
    Utf32,
}

impl Encoding {
    fn weight(self, c: char) -> usize {
        match self {
            Encoding::Utf8 => c.len_utf8(),
            Encoding::Utf16 => c.len_utf16(),
            Encoding::Utf32 => 1,
        }
    }
}

/// Line starts of one text; answers position questions in O(log lines + line length).
///
/// Lines end at `\n`, `\r\n` or a lone `\r`, the three terminators YAML, JSON and LSP share.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    /// Indexes `text`.
    pub fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => starts.push(i + 1),
                b'\r' if bytes.get(i + 1) != Some(&b'\n') => starts.push(i + 1),
                _ => {}
            }
            i += 1;
        }
        Self {
            starts,
            len: text.len(),
        }
    }

    /// Number of lines (a text ending with a newline has an empty last line).
    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// Byte offset where the 0-based `line` starts, if it exists.
    pub fn line_start(&self, line: usize) -> Option<usize> {
        self.starts.get(line).copied()
    }

    /// The 0-based line that contains `offset` (clamped to the text).
    pub fn line_of(&self, offset: usize) -> usize {
        let offset = offset.min(self.len);
        match self.starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next - 1,
        }
    }

    /// Moves `offset` back onto a character boundary of `text` and into the text.
    pub fn clamp(text: &str, offset: usize) -> usize {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }

    /// 1-based line and character column of a byte offset.
    pub fn line_col(&self, text: &str, offset: usize) -> LineCol {
        let offset = Self::clamp(text, offset);
        let line = self.line_of(offset);
        let start = self.starts[line];
        LineCol {
            line: to_u32(line + 1),
            column: to_u32(text[start..offset].chars().count() + 1),
        }
    }

    /// 0-based line and UTF-16 column of a byte offset.
    pub fn utf16(&self, text: &str, offset: usize) -> Utf16Pos {
        let offset = Self::clamp(text, offset);
        let line = self.line_of(offset);
        let start = self.starts[line];
        Utf16Pos {
            line: to_u32(line),
            character: to_u32(text[start..offset].encode_utf16().count()),
        }
    }

    /// Byte offset of a 1-based line and character column; `None` when out of range.
    pub fn offset_of_line_col(&self, text: &str, pos: LineCol) -> Option<usize> {
        let line = (pos.line as usize).checked_sub(1)?;
        let column = (pos.column as usize).checked_sub(1)?;
        let start = self.line_start(line)?;
        let end = self.line_content_end(text, line);
        nth_boundary(&text[start..end], column, |_| 1).map(|o| start + o)
    }

    /// Byte offset of a 0-based line and UTF-16 column; `None` when out of range or inside a
    /// surrogate pair.
    pub fn offset_of_utf16(&self, text: &str, pos: Utf16Pos) -> Option<usize> {
        let start = self.line_start(pos.line as usize)?;
        let end = self.line_content_end(text, pos.line as usize);
        nth_boundary(&text[start..end], pos.character as usize, char::len_utf16).map(|o| start + o)
    }

    /// 0-based line and column of a byte offset, the column counted in `encoding`.
    pub fn position(&self, text: &str, offset: usize, encoding: Encoding) -> Utf16Pos {
        let offset = Self::clamp(text, offset);
        let line = self.line_of(offset);
        let start = self.starts[line];
        let column: usize = text[start..offset]
            .chars()
            .map(|c| encoding.weight(c))
            .sum();
        Utf16Pos {
            line: to_u32(line),
            character: to_u32(column),
        }
    }

    /// Byte offset of a 0-based line and column counted in `encoding`; `None` when out of
    /// range or inside a character.
    pub fn offset_of_position(
        &self,
        text: &str,
        pos: Utf16Pos,
        encoding: Encoding,
    ) -> Option<usize> {
        let start = self.line_start(pos.line as usize)?;
        let end = self.line_content_end(text, pos.line as usize);
        nth_boundary(&text[start..end], pos.character as usize, |c| {
            encoding.weight(c)
        })
        .map(|o| start + o)
    }

    /// Byte offset of the end of a line's content, before its terminator.
    fn line_content_end(&self, text: &str, line: usize) -> usize {
        let end = self.starts.get(line + 1).copied().unwrap_or(self.len);
        let content = &text[self.starts[line]..end];
        let content = content.strip_suffix('\n').unwrap_or(content);
        let content = content.strip_suffix('\r').unwrap_or(content);
        self.starts[line] + content.len()
    }
}

/// Byte offset in `line` after `units` units, where each character weighs `weight(c)`.
fn nth_boundary(line: &str, units: usize, weight: impl Fn(char) -> usize) -> Option<usize> {
    let mut seen = 0;
    for (offset, c) in line.char_indices() {
        if seen == units {
            return Some(offset);
        }
        seen += weight(c);
        if seen > units {
            return None;
        }
    }
    (seen == units).then_some(line.len())
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Byte offsets of every character index of `text`, plus the end; maps the character indices
/// that saphyr's markers report to byte offsets.
pub fn char_to_byte_table(text: &str) -> Vec<usize> {
    let mut table: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
    table.push(text.len());
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "a: 中文 𠀀 x\r\nb: y\rc\n";

    #[test]
    fn columns_count_characters_and_utf16_units() {
        let index = LineIndex::new(TEXT);
        let x = TEXT.find('x').unwrap();
        assert_eq!(x, 15, "byte offset: 3 + 3 * 2 + 1 + 4 + 1");
        assert_eq!(index.line_col(TEXT, x), LineCol { line: 1, column: 9 });
        assert_eq!(
            index.utf16(TEXT, x),
            Utf16Pos {
                line: 0,
                character: 9
            }
        );
        let y = TEXT.find('y').unwrap();
        assert_eq!(index.line_col(TEXT, y), LineCol { line: 2, column: 4 });
        let c = TEXT.find('c').unwrap();
        assert_eq!(index.line_col(TEXT, c), LineCol { line: 3, column: 1 });
        assert_eq!(index.line_count(), 4);
    }

    #[test]
    fn conversions_round_trip_on_every_boundary() {
        let index = LineIndex::new(TEXT);
        for (offset, _) in TEXT.char_indices() {
            let lc = index.line_col(TEXT, offset);
            let u = index.utf16(TEXT, offset);
            if TEXT[offset..].starts_with('\n')
                && offset > 0
                && TEXT.as_bytes()[offset - 1] == b'\r'
            {
                continue; // the \n of \r\n is not addressable by column
            }
            assert_eq!(index.offset_of_line_col(TEXT, lc), Some(offset), "{lc:?}");
            assert_eq!(index.offset_of_utf16(TEXT, u), Some(offset), "{u:?}");
        }
    }

    #[test]
    fn inside_a_surrogate_pair_is_rejected_and_offsets_clamp() {
        let index = LineIndex::new(TEXT);
        let pos = Utf16Pos {
            line: 0,
            character: 7,
        };
        assert_eq!(index.offset_of_utf16(TEXT, pos), None);
        let inside_cjk = TEXT.find('中').unwrap() + 1;
        assert_eq!(index.line_col(TEXT, inside_cjk).column, 4);
        assert_eq!(index.line_col(TEXT, 10_000).line, 4);
    }

    #[test]
    fn char_table_maps_character_indices() {
        let table = char_to_byte_table("中a𠀀");
        assert_eq!(table, vec![0, 3, 4, 8]);
    }
}

#[cfg(test)]
mod encoding_tests {
    use super::*;

    #[test]
    fn positions_in_every_encoding_round_trip() {
        let text = "名称: 😀x\nb\r\nc";
        let index = LineIndex::new(text);
        let x = text.find('x').unwrap();
        for (encoding, column) in [
            (Encoding::Utf8, 12),
            (Encoding::Utf16, 6),
            (Encoding::Utf32, 5),
        ] {
            let pos = index.position(text, x, encoding);
            assert_eq!((pos.line, pos.character), (0, column), "{encoding:?}");
            assert_eq!(index.offset_of_position(text, pos, encoding), Some(x));
        }
        let c = text.find('c').unwrap();
        let pos = index.position(text, c, Encoding::Utf16);
        assert_eq!((pos.line, pos.character), (2, 0));
        // Inside the emoji (UTF-16 surrogate pair) is no position.
        let inside = Utf16Pos {
            line: 0,
            character: 5,
        };
        assert_eq!(
            index.offset_of_position(text, inside, Encoding::Utf16),
            None
        );
    }
}
