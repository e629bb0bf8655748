//! Turns validator errors into schema-rule failures with messages written for people: each
//! JSON Schema keyword maps to a named rule (`schema-required`, `schema-type`, …).

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{JsonType, Validator};
use serde_json::Value;

use super::Schemas;
use super::lookup::{Subschema, at_pointer};
use crate::lang::Lang;
use crate::pointer;
use crate::rules::names;

/// What part of the document a failure points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The value itself.
    Value,
    /// The key of an object member (unknown fields).
    Key,
    /// The object as a whole, shown at its key or first line (missing fields).
    Object,
}

/// One schema failure, ready to become a diagnostic once its span is known.
#[derive(Debug, Clone)]
pub struct SchemaFailure {
    /// Rule name.
    pub rule: &'static str,
    /// JSON Pointer of the value the failure is about.
    pub pointer: String,
    /// Which span to use.
    pub target: Target,
    /// The sentence.
    pub message: String,
    /// Short text under the span.
    pub label: Option<String>,
    /// How to fix it.
    pub help: Option<String>,
    /// The likely intended text for the target (a key or a string value), when there is one.
    pub replacement: Option<String>,
}

pub(super) fn failures(
    schemas: &Schemas,
    root: &Value,
    validator: &Validator,
    value: &Value,
    lang: Lang,
) -> Vec<SchemaFailure> {
    let mut out = Vec::new();
    // Most documents are valid: `is_valid` stops at nothing and builds no error, where
    // `iter_errors` walks with error collection (a tenth of a plan's time).
    if validator.is_valid(value) {
        return out;
    }
    for error in validator.iter_errors(value) {
        let at = error.instance_path().as_str().to_owned();
        let instance = error.instance().as_ref();
        let ctx = Context {
            schemas,
            root,
            lang,
            pointer: &at,
            keyword: error.schema_path().as_str(),
        };
        ctx.push(error.kind(), instance, &error.to_string(), &mut out);
    }
    out
}

struct Context<'a> {
    schemas: &'a Schemas,
    root: &'a Value,
    lang: Lang,
    pointer: &'a str,
    /// Location of the failing keyword inside its schema resource.
    keyword: &'a str,
}

impl Context<'_> {
    fn sub(&self, pointer: &str) -> Option<Subschema<'_>> {
        at_pointer(self.schemas, self.root, pointer)
    }

    fn failure(&self, rule: &'static str, message: String) -> SchemaFailure {
        SchemaFailure {
            rule,
            pointer: self.pointer.to_owned(),
            target: Target::Value,
            message,
            label: None,
            help: None,
            replacement: None,
        }
    }

    /// The field as people name it: `` `credits` `` or `` item 3 of `courses` ``.
    fn field(&self) -> String {
        field_name(self.pointer, self.lang)
    }

    /// The field's schema title in the current language, when it has one.
    fn title(&self) -> Option<String> {
        self.sub(self.pointer)
            .and_then(|s| s.title())
            .map(|t| bilingual(t, self.lang).to_owned())
    }

    /// The nearest `description` around the failing keyword (e.g. on the `then` branch that
    /// holds a `const`), which says why the schema insists.
    fn keyword_description(&self) -> Option<String> {
        let mut at = self.keyword;
        for _ in 0..4 {
            at = pointer::parent(at)?;
            // The keyword's resource is the kind's schema or a shared one; try the kind first.
            let node = self
                .root
                .pointer(at)
                .or_else(|| self.schemas.files().find_map(|f| f.value.pointer(at)))?;
            if let Some(d) = node.get("description").and_then(Value::as_str) {
                return Some(bilingual(d, self.lang).to_owned());
            }
        }
        None
    }

    fn push(
        &self,
        kind: &ValidationErrorKind,
        instance: &Value,
        raw: &str,
        out: &mut Vec<SchemaFailure>,
    ) {
        let lang = self.lang;
        let field = self.field();
        let shown = show(instance);
        use ValidationErrorKind as K;
        let failure = match kind {
            K::Required { property } => {
                let name = property.as_str().unwrap_or_default();
                let mut f = self.failure(
                    names::SCHEMA_REQUIRED,
                    match lang {
                        Lang::En => format!("missing required field `{name}`"),
                        Lang::Zh => format!("缺少必填字段 `{name}`"),
                    },
                );
                f.target = Target::Object;
                f.label = Some(match lang {
                    Lang::En => format!("`{name}` is missing here"),
                    Lang::Zh => format!("此处缺少 `{name}`"),
                });
                f.help = self
                    .sub(&pointer::push(self.pointer, name))
                    .and_then(|s| s.description())
                    .map(|d| format!("`{name}`: {}", bilingual(d, lang)));
                f
            }
            K::AdditionalProperties { unexpected } | K::UnevaluatedProperties { unexpected } => {
                let allowed = self
                    .sub(self.pointer)
                    .map(|s| s.property_names())
                    .unwrap_or_default();
                let present: Vec<&str> = instance
                    .as_object()
                    .map(|o| o.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                for key in unexpected {
                    let candidates = allowed.iter().copied().filter(|a| !present.contains(a));
                    let guess = suggest(key, candidates);
                    let message = match (lang, guess) {
                        (Lang::En, Some(g)) => {
                            format!("unknown field `{key}`; did you mean `{g}`?")
                        }
                        (Lang::En, None) => format!("unknown field `{key}`"),
                        (Lang::Zh, Some(g)) => format!("未知字段 `{key}`；是否想写 `{g}`？"),
                        (Lang::Zh, None) => format!("未知字段 `{key}`"),
                    };
                    let list = allowed
                        .iter()
                        .map(|a| format!("`{a}`"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    out.push(SchemaFailure {
                        rule: names::SCHEMA_ADDITIONAL_PROPERTIES,
                        pointer: pointer::push(self.pointer, key),
                        target: Target::Key,
                        message,
                        label: Some(lang.pick("未知字段", "unknown field").to_owned()),
                        help: (!allowed.is_empty()).then(|| match lang {
                            Lang::En => format!("allowed fields here: {list}"),
                            Lang::Zh => format!("此处允许的字段：{list}"),
                        }),
                        replacement: guess.map(str::to_owned),
                    });
                }
                return;
            }
            K::Type { kind } => {
                let expected = match kind {
                    TypeKind::Single(t) => type_name(*t, lang).to_owned(),
                    TypeKind::Multiple(set) => set
                        .iter()
                        .map(|t| type_name(t, lang))
                        .collect::<Vec<_>>()
                        .join(lang.pick("或", " or ")),
                };
                let actual = value_type_name(instance, lang);
                let mut f = self.failure(
                    names::SCHEMA_TYPE,
                    match lang {
                        Lang::En => format!("{field} must be {expected}, found {actual} {shown}"),
                        Lang::Zh => format!("{field} 应为{expected}，实际是{actual} {shown}"),
                    },
                );
                f.label = Some(match lang {
                    Lang::En => format!("expected {expected}"),
                    Lang::Zh => format!("应为{expected}"),
                });
                if instance.is_string()
                    && matches!(kind, TypeKind::Single(JsonType::Number | JsonType::Integer))
                {
                    f.help = Some(
                        lang.pick(
                            "去掉引号和单位，只写数字",
                            "write the bare number, without quotes or units",
                        )
                        .to_owned(),
                    );
                }
                f
            }
            K::Enum { options } => {
                let options: Vec<String> = options
                    .as_array()
                    .map(|a| a.iter().map(plain).collect())
                    .unwrap_or_default();
                let text = plain(instance);
                let guess = suggest(&text, options.iter().map(String::as_str));
                let list = options.join(lang.pick("、", ", "));
                let mut f = self.failure(
                    names::SCHEMA_ENUM,
                    match lang {
                        Lang::En => {
                            format!("{field} has the value {shown}, which is not one of: {list}")
                        }
                        Lang::Zh => format!("{field} 的值 {shown} 不在可选范围内：{list}"),
                    },
                );
                f.label = Some(lang.pick("不允许的值", "not an allowed value").to_owned());
                f.help = guess.map(|g| match lang {
                    Lang::En => format!("did you mean `{g}`?"),
                    Lang::Zh => format!("是否想写 `{g}`？"),
                });
                if instance.is_string() {
                    f.replacement = guess.map(str::to_owned);
                }
                f
            }
            K::Pattern { pattern } => {
                let what = self.title().unwrap_or_else(|| field.clone());
                let mut f = self.failure(
                    names::SCHEMA_PATTERN,
                    match lang {
                        Lang::En => {
                            format!("{shown} is not a valid {what}: it must match `{pattern}`")
                        }
                        Lang::Zh => format!("{shown} 不是合法的{what}：应符合 `{pattern}`"),
                    },
                );
                f.label = Some(lang.pick("格式不对", "wrong shape").to_owned());
                f
            }
            K::Format { format } => {
                let expected = match (format.as_str(), lang) {
                    ("date", Lang::En) => "date (YYYY-MM-DD)".to_owned(),
                    ("date", Lang::Zh) => "日期（YYYY-MM-DD）".to_owned(),
                    (other, _) => other.to_owned(),
                };
                let mut f = self.failure(
                    names::SCHEMA_FORMAT,
                    match lang {
                        Lang::En => format!("{shown} is not a valid {expected}"),
                        Lang::Zh => format!("{shown} 不是合法的{expected}"),
                    },
                );
                f.label = Some(lang.pick("格式不对", "wrong format").to_owned());
                f
            }
            K::Minimum { limit } => self.range(&field, &shown, ("at least", "不能小于"), limit),
            K::Maximum { limit } => self.range(&field, &shown, ("at most", "不能大于"), limit),
            K::ExclusiveMinimum { limit } => {
                self.range(&field, &shown, ("greater than", "必须大于"), limit)
            }
            K::ExclusiveMaximum { limit } => {
                self.range(&field, &shown, ("less than", "必须小于"), limit)
            }
            K::MultipleOf { multiple_of, .. } => self.range(
                &field,
                &shown,
                ("a multiple of", "必须是此数的整数倍："),
                &Value::from(*multiple_of),
            ),
            K::MinLength { limit: 1 } => self.failure(
                names::SCHEMA_LENGTH,
                match lang {
                    Lang::En => format!("{field} must not be empty"),
                    Lang::Zh => format!("{field} 不能为空"),
                },
            ),
            K::MinLength { limit } => {
                self.count(names::SCHEMA_LENGTH, &field, instance, *limit, true)
            }
            K::MaxLength { limit } => {
                self.count(names::SCHEMA_LENGTH, &field, instance, *limit, false)
            }
            K::MinItems { limit } => {
                self.count(names::SCHEMA_ITEMS, &field, instance, *limit, true)
            }
            K::MaxItems { limit } => {
                let mut f = self.count(names::SCHEMA_ITEMS, &field, instance, *limit, false);
                // Point at the first item too many rather than the whole list.
                f.pointer = pointer::push_index(self.pointer, usize::try_from(*limit).unwrap_or(0));
                f.label = Some(
                    lang.pick("从这一项起超出上限", "one item too many from here")
                        .to_owned(),
                );
                f
            }
            K::MinProperties { limit } | K::MaxProperties { limit } => {
                let found = instance.as_object().map_or(0, |o| o.len());
                let min = matches!(kind, K::MinProperties { .. });
                self.failure(
                    names::SCHEMA_INVALID,
                    match (lang, min) {
                        (Lang::En, true) => {
                            format!("{field} must have at least {limit} field(s), found {found}")
                        }
                        (Lang::En, false) => {
                            format!("{field} must have at most {limit} field(s), found {found}")
                        }
                        (Lang::Zh, true) => {
                            format!("{field} 至少需要 {limit} 个字段，实际 {found} 个")
                        }
                        (Lang::Zh, false) => {
                            format!("{field} 最多 {limit} 个字段，实际 {found} 个")
                        }
                    },
                )
            }
            K::UniqueItems => {
                let mut f = self.failure(
                    names::SCHEMA_ITEMS,
                    match lang {
                        Lang::En => format!("{field} must not contain duplicate items"),
                        Lang::Zh => format!("{field} 不能包含重复项"),
                    },
                );
                if let Some(again) = first_repeat(instance) {
                    f.pointer = pointer::push_index(self.pointer, again);
                    f.label = Some(lang.pick("重复项", "repeated item").to_owned());
                }
                f
            }
            K::Contains => self.failure(
                names::SCHEMA_ITEMS,
                match lang {
                    Lang::En => format!("{field} has no item that matches the schema"),
                    Lang::Zh => format!("{field} 中没有符合要求的项"),
                },
            ),
            K::Constant { expected_value } => {
                let expected = match expected_value.as_ref() {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let mut f = self.failure(
                    names::SCHEMA_CONST,
                    match lang {
                        Lang::En => format!("{field} must be `{expected}`, found {shown}"),
                        Lang::Zh => format!("{field} 必须是 `{expected}`，实际是 {shown}"),
                    },
                );
                f.help = self.keyword_description();
                f
            }
            _ => self.failure(
                names::SCHEMA_INVALID,
                match lang {
                    Lang::En => format!("{field} does not match the schema: {raw}"),
                    Lang::Zh => format!("{field} 不符合模式：{raw}"),
                },
            ),
        };
        out.push(failure);
    }

    fn range(&self, field: &str, shown: &str, words: (&str, &str), limit: &Value) -> SchemaFailure {
        let mut f = self.failure(
            names::SCHEMA_RANGE,
            match self.lang {
                Lang::En => format!("{field} must be {} {limit}, found {shown}", words.0),
                Lang::Zh => format!("{field} {} {limit}，实际是 {shown}", words.1),
            },
        );
        f.label = Some(self.lang.pick("超出范围", "out of range").to_owned());
        f
    }

    fn count(
        &self,
        rule: &'static str,
        field: &str,
        instance: &Value,
        limit: u64,
        min: bool,
    ) -> SchemaFailure {
        let (found, unit_en, unit_zh) = match instance {
            Value::Array(a) => (a.len(), "item", "项"),
            Value::String(s) => (s.chars().count(), "character", "个字符"),
            _ => (0, "item", "项"),
        };
        let plural = if limit == 1 { "" } else { "s" };
        self.failure(
            rule,
            match (self.lang, min) {
                (Lang::En, true) => {
                    format!("{field} must have at least {limit} {unit_en}{plural}, found {found}")
                }
                (Lang::En, false) => {
                    format!("{field} must have at most {limit} {unit_en}{plural}, found {found}")
                }
                (Lang::Zh, true) => {
                    format!("{field} 至少需要 {limit} {unit_zh}，实际 {found} {unit_zh}")
                }
                (Lang::Zh, false) => {
                    format!("{field} 最多 {limit} {unit_zh}，实际 {found} {unit_zh}")
                }
            },
        )
    }
}

/// The Chinese or English half of a bilingual `中文 / English` text.
pub fn bilingual(text: &str, lang: Lang) -> &str {
    match text.split_once(" / ") {
        Some((zh, en)) => lang.pick(zh.trim(), en.trim()),
        None => text,
    }
}

/// How a field is named in messages.
fn field_name(at: &str, lang: Lang) -> String {
    let tokens = pointer::tokens(at);
    let Some(last) = tokens.last() else {
        return lang.pick("文档", "the document").to_owned();
    };
    if let Ok(index) = last.parse::<usize>() {
        let parent = tokens
            .len()
            .checked_sub(2)
            .map(|i| tokens[i].as_str())
            .unwrap_or("");
        return match lang {
            Lang::En => format!("item {} of `{parent}`", index + 1),
            Lang::Zh => format!("`{parent}` 的第 {} 项", index + 1),
        };
    }
    format!("`{last}`")
}

/// The closest name to `typo` among `candidates`, if one is close enough to be a typo.
pub fn suggest<'c>(typo: &str, candidates: impl Iterator<Item = &'c str>) -> Option<&'c str> {
    // A third of the length, so one- and two-character values (CJK words) get no guesses.
    let limit = (typo.chars().count() / 3).min(3);
    if limit == 0 {
        return None;
    }
    candidates
        .map(|c| (strsim::damerau_levenshtein(typo, c), c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c)
}

/// A value as shown inside messages: in backticks, on one line, long ones cut.
fn show(value: &Value) -> String {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut cut = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == 40 {
            cut.push('…');
            break;
        }
        match c {
            '\n' => cut.push_str("\\n"),
            '\r' => cut.push_str("\\r"),
            '\t' => cut.push_str("\\t"),
            c if c.is_control() => cut.push('�'),
            c => cut.push(c),
        }
    }
    format!("`{cut}`")
}

/// Index of the first item that equals an earlier one.
fn first_repeat(list: &Value) -> Option<usize> {
    let items = list.as_array()?;
    (1..items.len()).find(|&i| items[..i].contains(&items[i]))
}

/// A scalar's text without JSON quotes.
fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn type_name(t: JsonType, lang: Lang) -> &'static str {
    match (t, lang) {
        (JsonType::String, Lang::En) => "a string",
        (JsonType::String, Lang::Zh) => "文本",
        (JsonType::Number, Lang::En) => "a number",
        (JsonType::Number, Lang::Zh) => "数字",
        (JsonType::Integer, Lang::En) => "a whole number",
        (JsonType::Integer, Lang::Zh) => "整数",
        (JsonType::Boolean, Lang::En) => "true or false",
        (JsonType::Boolean, Lang::Zh) => "布尔值（true/false）",
        (JsonType::Null, Lang::En) => "empty (null)",
        (JsonType::Null, Lang::Zh) => "空值（null）",
        (JsonType::Array, Lang::En) => "a list",
        (JsonType::Array, Lang::Zh) => "列表",
        (JsonType::Object, Lang::En) => "a mapping",
        (JsonType::Object, Lang::Zh) => "映射（对象）",
    }
}

fn value_type_name(value: &Value, lang: Lang) -> &'static str {
    let t = match value {
        Value::Null => JsonType::Null,
        Value::Bool(_) => JsonType::Boolean,
        Value::Number(n) if n.is_i64() || n.is_u64() => JsonType::Integer,
        Value::Number(_) => return lang.pick("小数", "a fractional number"),
        Value::String(_) => JsonType::String,
        Value::Array(_) => JsonType::Array,
        Value::Object(_) => JsonType::Object,
    };
    type_name(t, lang)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_catch_typos_only() {
        let names = ["work_areas", "tasks", "code", "name"];
        assert_eq!(suggest("wrok_areas", names.into_iter()), Some("work_areas"));
        assert_eq!(suggest("nmae", names.into_iter()), Some("name"));
        assert_eq!(suggest("organisation", names.into_iter()), None);
    }

    #[test]
    fn fields_are_named_for_people() {
        assert_eq!(field_name("/courses/2", Lang::En), "item 3 of `courses`");
        assert_eq!(field_name("/courses/2/credits", Lang::Zh), "`credits`");
        assert_eq!(bilingual("等级 / Level", Lang::En), "Level");
    }
}
