//! Message templates: literal text with `{{ CEL }}` placeholders.

use super::cel::{self, Bindings, EvalError, ExprError, Expression, Runtime};

/// One piece of a template.
#[derive(Debug)]
pub enum Part {
    /// Text as written.
    Text(String),
    /// A placeholder, and the character offset of its expression in the template.
    Expr(Expression, usize),
}

/// A parsed template.
#[derive(Debug)]
pub struct Template {
    /// Its pieces in order.
    pub parts: Vec<Part>,
}

impl Template {
    /// Parses `text`; errors carry character offsets into `text`.
    pub fn parse(text: &str) -> Result<Self, ExprError> {
        let mut parts = Vec::new();
        let mut rest = text;
        let mut consumed = 0; // characters of `text` before `rest`
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_owned()));
            }
            let after = &rest[open + 2..];
            let start = consumed + rest[..open + 2].chars().count();
            let Some(close) = after.find("}}") else {
                return Err(ExprError {
                    message: "`{{` without a closing `}}`".into(),
                    chars: start - 2..start,
                });
            };
            let source = &after[..close];
            let leading = source.chars().count() - source.trim_start().chars().count();
            let expr = cel::compile(source.trim()).map_err(|mut e| {
                e.chars = e.chars.start + start + leading..e.chars.end + start + leading;
                e
            })?;
            parts.push(Part::Expr(expr, start + leading));
            consumed = start + after[..close + 2].chars().count();
            rest = &after[close + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        Ok(Self { parts })
    }

    /// The expressions of the placeholders with their offsets.
    pub fn expressions(&self) -> impl Iterator<Item = (&Expression, usize)> {
        self.parts.iter().filter_map(|p| match p {
            Part::Expr(e, at) => Some((e, *at)),
            Part::Text(_) => None,
        })
    }

    /// Fills the placeholders; lists are joined with `separator`.
    pub fn render(
        &self,
        runtime: &Runtime,
        bindings: &Bindings,
        separator: &str,
    ) -> Result<String, (EvalError, &Expression)> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Expr(e, _) => {
                    let value = runtime.eval(e, bindings).map_err(|err| (err, e))?;
                    out.push_str(&cap(cel::display(value.as_ref(), separator)));
                }
            }
        }
        Ok(out)
    }
}

/// Most characters one placeholder adds to a message: a document's value can be megabytes.
const MAX_PLACEHOLDER_CHARS: usize = 300;

/// A placeholder's text, cut with `…` when longer than [`MAX_PLACEHOLDER_CHARS`].
fn cap(text: String) -> String {
    match text.char_indices().nth(MAX_PLACEHOLDER_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_placeholder_values_are_cut() {
        assert_eq!(cap("短".repeat(3)), "短短短");
        let long = cap("长".repeat(MAX_PLACEHOLDER_CHARS + 1));
        assert_eq!(long.chars().count(), MAX_PLACEHOLDER_CHARS + 1);
        assert!(long.ends_with('…'));
    }

    #[test]
    fn placeholders_and_their_offsets() {
        let t = Template::parse("证书 {{ self.standard }} 转换 {{total}} 学分").unwrap();
        let exprs: Vec<(String, usize)> = t
            .expressions()
            .map(|(e, at)| (e.source.clone(), at))
            .collect();
        assert_eq!(
            exprs,
            vec![("self.standard".into(), 6), ("total".into(), 28)]
        );
        let err = Template::parse("a {{ b").unwrap_err();
        assert_eq!(err.chars, 2..4);
        let err = Template::parse("{{ 1 + }}").unwrap_err();
        assert!(err.chars.start >= 3, "{err:?}");
    }
}
