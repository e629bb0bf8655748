//! Suppressions, each with a reason: `# vetlint: ignore[rule, …] reason` comments in YAML (on
//! the finding's line, or alone on the line before it), `# vetlint: ignore-file[rule, …]
//! reason` at the top of a YAML file, and `[[ignore]]` entries of `vetlint.toml` for any file.
//! A suppression without a reason or with an unknown rule is `invalid-ignore` and suppresses
//! nothing; one that suppresses nothing is `unused-ignore`; an entry past its `until` date is
//! `expired-ignore`. Pure: the caller supplies the date.

use std::ops::Range;
use std::path::PathBuf;

use crate::config::{Date, Ignore};
use crate::diagnostic::{Diagnostic, FileReport};
use crate::lang::Lang;
use crate::rules::names;

/// The rules about suppressions themselves, which no suppression can hide.
pub const OWN_RULES: &[&str] = &[
    names::INVALID_IGNORE,
    names::UNUSED_IGNORE,
    names::EXPIRED_IGNORE,
];

/// One `# vetlint: ignore…` comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// Rule names, each with its span in the text.
    pub rules: Vec<(String, Range<usize>)>,
    /// The reason, if one is written.
    pub reason: Option<String>,
    /// Span of the whole comment.
    pub span: Range<usize>,
    /// `ignore-file`: the whole file.
    pub file_level: bool,
    /// The 0-based line whose findings it covers (for `ignore`).
    pub target_line: usize,
    /// Whether only comments, blank lines and directives come before it.
    pub at_top: bool,
}

/// Finds the suppression comments of a YAML text.
pub fn comments(text: &str) -> Vec<Comment> {
    let mut out = Vec::new();
    // Every suppression spells `vetlint:`; most files have none, and a search for it is a
    // small part of scanning each line for where a comment starts.
    if memchr::memmem::find(text.as_bytes(), b"vetlint:").is_none() {
        return out;
    }
    let mut offset = 0;
    let mut at_top = true;
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    for (index, line) in lines.iter().enumerate() {
        let start = offset;
        offset += line.len();
        let body = line.trim_end_matches(['\n', '\r']);
        let trimmed = body.trim_start();
        let Some(hash) = comment_start(body) else {
            if !trimmed.is_empty() && !trimmed.starts_with('%') && trimmed != "---" {
                at_top = false;
            }
            continue;
        };
        let own_line = body[..hash].trim().is_empty();
        if !own_line {
            at_top = false;
        }
        let comment = &body[hash..];
        let Some(parsed) = parse(comment, start + hash) else {
            continue;
        };
        // A comment alone on its line covers the next line that is not a comment.
        let target_line = if own_line {
            lines[index + 1..]
                .iter()
                .position(|l| {
                    let t = l.trim();
                    !t.is_empty() && !t.starts_with('#')
                })
                .map_or(index + 1, |n| index + 1 + n)
        } else {
            index
        };
        out.push(Comment {
            target_line,
            at_top: at_top && own_line,
            ..parsed
        });
    }
    out
}

/// Where a YAML comment starts on a line: a `#` at the start or after whitespace, outside
/// quotes (an approximation that is exact for one-line scalars).
fn comment_start(line: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut previous = ' ';
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '#') if previous.is_whitespace() => return Some(i),
            (None, '"' | '\'') if previous.is_whitespace() || ":[{,-".contains(previous) => {
                quote = Some(c);
            }
            (Some('"'), '\\') => {}
            (Some(q), c) if c == q && !(q == '"' && previous == '\\') => quote = None,
            _ => {}
        }
        previous = if previous == '\\' && c == '\\' {
            ' '
        } else {
            c
        };
    }
    None
}

/// Parses `# vetlint: ignore[a, b] reason` at `at`; `None` when it is another comment.
fn parse(comment: &str, at: usize) -> Option<Comment> {
    let rest = comment.strip_prefix('#')?.trim_start();
    let rest = rest.strip_prefix("vetlint:")?.trim_start();
    let (file_level, rest) = if let Some(r) = rest.strip_prefix("ignore-file") {
        (true, r)
    } else {
        (false, rest.strip_prefix("ignore")?)
    };
    let inside = rest.strip_prefix('[')?;
    let close = inside.find(']')?;
    let list_start = at + (comment.len() - inside.len());
    let mut rules = Vec::new();
    let mut cursor = 0;
    for part in inside[..close].split(',') {
        let lead = part.len() - part.trim_start().len();
        let name = part.trim();
        if !name.is_empty() {
            let from = list_start + cursor + lead;
            rules.push((name.to_owned(), from..from + name.len()));
        }
        cursor += part.len() + 1;
    }
    let reason = inside[close + 1..].trim();
    Some(Comment {
        rules,
        reason: (!reason.is_empty()).then(|| reason.to_owned()),
        span: at..at + comment.len(),
        file_level,
        target_line: 0,
        at_top: false,
    })
}

/// Applies the comments of a YAML document to its findings: drops the suppressed ones and adds
/// `invalid-ignore` and `unused-ignore` findings. `line_of` gives the 0-based line of an offset;
/// `known` says whether a rule exists.
pub fn apply_comments(
    diagnostics: Vec<Diagnostic>,
    comments: &[Comment],
    line_of: impl Fn(usize) -> usize,
    known: impl Fn(&str) -> Option<Option<String>>,
    lang: Lang,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    // (comment, rule index) pairs that may suppress, with a use count.
    let mut usable: Vec<(usize, usize, usize)> = Vec::new();
    for (c, comment) in comments.iter().enumerate() {
        if comment.file_level && !comment.at_top {
            problems.push(invalid(
                comment.span.clone(),
                lang.pick(
                    "`ignore-file` 必须写在文件顶部，在任何内容之前",
                    "`ignore-file` must be at the top of the file, before any content",
                ),
                lang,
            ));
            continue;
        }
        if comment.reason.is_none() {
            problems.push(invalid(
                comment.span.clone(),
                lang.pick(
                    "忽略注释必须写明理由：`# vetlint: ignore[规则] 理由`",
                    "a suppression needs a reason: `# vetlint: ignore[rule] reason`",
                ),
                lang,
            ));
            continue;
        }
        if comment.rules.is_empty() {
            problems.push(invalid(
                comment.span.clone(),
                lang.pick(
                    "忽略注释必须列出规则名，如 `ignore[credit-cap]`",
                    "a suppression must name its rules, e.g. `ignore[credit-cap]`",
                ),
                lang,
            ));
            continue;
        }
        for (r, (name, span)) in comment.rules.iter().enumerate() {
            match known(name) {
                None => usable.push((c, r, 0)),
                Some(guess) => problems.push(unknown_rule(name, guess, span.clone(), lang)),
            }
        }
    }
    for d in diagnostics {
        if OWN_RULES.contains(&d.rule.as_str()) {
            out.push(d);
            continue;
        }
        let line = line_of(d.span.start);
        let hit = usable.iter_mut().find(|(c, r, _)| {
            let comment = &comments[*c];
            comment.rules[*r].0 == d.rule && (comment.file_level || comment.target_line == line)
        });
        match hit {
            Some((_, _, uses)) => *uses += 1,
            None => out.push(d),
        }
    }
    for (c, r, uses) in usable {
        if uses == 0 {
            let (name, span) = &comments[c].rules[r];
            let message = match lang {
                Lang::En => format!("the suppression of `{name}` matches no finding"),
                Lang::Zh => format!("对 `{name}` 的忽略没有匹配到任何问题"),
            };
            problems.push(
                Diagnostic::new(names::UNUSED_IGNORE, span.clone(), message)
                    .with_label(lang.pick("未用到的规则名", "nothing to suppress here"))
                    .with_help(lang.pick(
                        "问题已经修复，或者注释不在问题所在行（或上一行）：删除这条忽略",
                        "the finding is fixed, or the comment is not on its line (or the line before): remove the suppression",
                    )),
            );
        }
    }
    out.extend(problems);
    out
}

/// An `invalid-ignore` finding.
pub fn invalid(span: Range<usize>, message: &str, lang: Lang) -> Diagnostic {
    Diagnostic::new(names::INVALID_IGNORE, span, message)
        .with_label(lang.pick("这条忽略不生效", "this suppression does nothing"))
}

/// An `invalid-ignore` finding for an unknown rule name, with a suggestion.
pub fn unknown_rule(
    name: &str,
    guess: Option<String>,
    span: Range<usize>,
    lang: Lang,
) -> Diagnostic {
    let message = match (lang, &guess) {
        (Lang::En, Some(g)) => {
            format!("unknown rule `{name}` in a suppression; did you mean `{g}`?")
        }
        (Lang::En, None) => format!("unknown rule `{name}` in a suppression"),
        (Lang::Zh, Some(g)) => format!("忽略中的规则 `{name}` 不存在；是否想写 `{g}`？"),
        (Lang::Zh, None) => format!("忽略中的规则 `{name}` 不存在"),
    };
    Diagnostic::new(names::INVALID_IGNORE, span, message)
        .with_label(lang.pick("未知规则", "unknown rule"))
        .with_help(lang.pick(
            "`vetlint rules` 列出全部规则",
            "`vetlint rules` lists every rule",
        ))
}

/// Applies the `[[ignore]]` entries of `vetlint.toml` to the reports of a run: drops what they
/// cover, and returns the findings about the entries themselves (`expired-ignore`, and
/// `unused-ignore` for an entry whose path matched a file of this run but hid nothing), at
/// their place in `vetlint.toml`. `relative` gives a report's path relative to the
/// configuration's folder.
pub fn apply_config(
    files: &mut [FileReport],
    ignores: &[Ignore],
    relative: impl Fn(&FileReport) -> Option<PathBuf>,
    today: Date,
    lang: Lang,
) -> Vec<Diagnostic> {
    let mut in_scope = vec![false; ignores.len()];
    let mut used = vec![0usize; ignores.len()];
    for file in files.iter_mut() {
        let Some(path) = relative(file) else {
            continue;
        };
        let entries: Vec<&Ignore> = ignores
            .iter()
            .filter(|i| i.active(today) && i.matches_path(&path))
            .collect();
        for entry in &entries {
            in_scope[entry.index] = true;
        }
        file.diagnostics.retain(|d| {
            if OWN_RULES.contains(&d.rule.as_str()) {
                return true;
            }
            match entries.iter().find(|i| i.covers(d)) {
                Some(entry) => {
                    used[entry.index] += 1;
                    false
                }
                None => true,
            }
        });
    }
    let mut out = Vec::new();
    for entry in ignores {
        let (en, zh) = (
            format!("the [[ignore]] of `{}` for `{}`", entry.rule, entry.path),
            format!("对 `{}` 中 `{}` 的 [[ignore]]", entry.path, entry.rule),
        );
        let finding = if let Some(until) = entry.until.filter(|_| !entry.active(today)) {
            Diagnostic::new(
                names::EXPIRED_IGNORE,
                entry.span.clone(),
                match lang {
                    Lang::En => format!("{en} expired on {until}; what it hid is reported again"),
                    Lang::Zh => format!("{zh} 已于 {until} 到期，被它隐藏的问题重新报告"),
                },
            )
            .with_label(lang.pick("已到期", "expired"))
            .with_help(lang.pick(
                "修正被隐藏的问题后删除这一项；确需延期时更新 until 并说明理由",
                "fix what it hid and remove the entry; to extend it, update `until` and the reason",
            ))
        } else if in_scope[entry.index] && used[entry.index] == 0 {
            Diagnostic::new(
                names::UNUSED_IGNORE,
                entry.span.clone(),
                match lang {
                    Lang::En => format!("{en} matches no finding"),
                    Lang::Zh => format!("{zh} 没有匹配到任何问题"),
                },
            )
            .with_label(lang.pick("未用到的忽略", "nothing to suppress"))
            .with_help(lang.pick(
                "问题已经修复，或者 rule、pointer 写得不对：删除或修正这一项",
                "the findings are fixed, or `rule` or `pointer` is wrong: remove or correct the entry",
            ))
        } else {
            continue;
        };
        out.push(finding.with_pointer(format!("/ignore/{}", entry.index)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_are_found_with_their_rules_reason_and_target() {
        let text = "# vetlint: ignore-file[code-sequence] 历史编号\nkind: plan\n# vetlint: ignore[credit-cap, task-coverage] 省厅批准\n\ncerts: 1 # vetlint: ignore[x]\nname: \"a # vetlint: ignore[y] z\"\n";
        let found = comments(text);
        assert_eq!(found.len(), 3, "{found:#?}");
        assert!(found[0].file_level && found[0].at_top);
        assert_eq!(found[0].reason.as_deref(), Some("历史编号"));
        assert_eq!(found[1].target_line, 4, "skips the blank line");
        let names: Vec<&str> = found[1].rules.iter().map(|r| r.0.as_str()).collect();
        assert_eq!(names, ["credit-cap", "task-coverage"]);
        let (name, span) = &found[1].rules[1];
        assert_eq!(&text[span.clone()], name);
        assert_eq!(found[2].target_line, 4);
        assert_eq!(found[2].reason, None);
    }

    #[test]
    fn a_hash_inside_quotes_or_a_word_is_not_a_comment() {
        assert_eq!(comment_start("a: 'x # y'"), None);
        assert_eq!(comment_start("a: b#c"), None);
        assert_eq!(comment_start("a: \"q\\\" # r\" # s"), Some(13));
    }
}
