//! The subjects of a rule's `each` for the fast path. The plain queries rules use (member
//! names, `*`, indices, lists of names) are walked directly, one reused location for all
//! subjects; `query_located` builds a location per node visited, which cost a course rule more
//! than its expressions. Any other query (filters, `..`, slices) goes through serde_json_path.

use std::ops::ControlFlow;

use serde_json::Value;
use serde_json_path::{JsonPath, PathElement};

/// One segment of a plain query.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    /// `.name`, `['a', 'b']`: these members, in this order.
    Names(Vec<Box<str>>),
    /// `.*`, `[*]`: every element or member value, in order.
    Wild,
    /// `[i]`: one element (negative: from the end).
    Index(i64),
}

/// A rule's `each`, ready to walk.
#[derive(Debug, Default)]
pub struct Walk {
    /// The segments, when the query is a plain one.
    steps: Option<Vec<Step>>,
}

/// A subject's location: member names and list indices from the root.
pub type Location<'a> = [PathElement<'a>];

/// The values a location passes through: the root, then each container below it (one per
/// element of the location, the subject's own container last).
pub type Chain<'a> = [&'a Value];

/// What a walk calls for each subject: its location, the chain to it, and the subject.
pub type Visit<'v, 'a> = dyn FnMut(&Location<'a>, &Chain<'a>, &'a Value) -> ControlFlow<()> + 'v;

impl Walk {
    /// The walk of the query `source` (`None`: the rule has no `each`).
    pub fn new(source: Option<&str>) -> Self {
        Self {
            steps: source.and_then(parse),
        }
    }

    /// Calls `visit` with every node `path` selects in `root` and its location, in the order
    /// of `query_located`, until `visit` breaks.
    pub fn visit<'a>(&self, path: &JsonPath, root: &'a Value, visit: &mut Visit<'_, 'a>) {
        match &self.steps {
            Some(steps) => {
                let mut at = Vec::with_capacity(steps.len());
                let mut chain = Vec::with_capacity(steps.len());
                let _ = walk(steps, root, &mut at, &mut chain, visit);
            }
            None => {
                for node in path.query_located(root).iter() {
                    let at: Vec<PathElement<'a>> = node.location().iter().cloned().collect();
                    let mut chain = Vec::with_capacity(at.len());
                    let mut current = root;
                    for element in &at {
                        chain.push(current);
                        current = match element {
                            PathElement::Name(k) => current.get(*k).unwrap_or(current),
                            PathElement::Index(i) => current.get(*i).unwrap_or(current),
                        };
                    }
                    if visit(&at, &chain, node.node()).is_break() {
                        return;
                    }
                }
            }
        }
    }
}

/// The JSON Pointer of a location.
pub fn pointer(at: &Location<'_>) -> String {
    at.iter().fold(String::new(), |out, element| match element {
        PathElement::Name(name) => crate::pointer::push(&out, name),
        PathElement::Index(i) => crate::pointer::push_index(&out, *i),
    })
}

fn walk<'a>(
    steps: &[Step],
    node: &'a Value,
    at: &mut Vec<PathElement<'a>>,
    chain: &mut Vec<&'a Value>,
    visit: &mut Visit<'_, 'a>,
) -> ControlFlow<()> {
    let Some((step, rest)) = steps.split_first() else {
        return visit(at, chain, node);
    };
    let mut go = |element: PathElement<'a>, child: &'a Value| {
        at.push(element);
        chain.push(node);
        let flow = walk(rest, child, at, chain, visit);
        chain.pop();
        at.pop();
        flow
    };
    match (step, node) {
        (Step::Names(names), Value::Object(map)) => {
            for name in names {
                if let Some((key, child)) = map.get_key_value(&**name) {
                    go(PathElement::Name(key), child)?;
                }
            }
        }
        (Step::Wild, Value::Object(map)) => {
            for (key, child) in map {
                go(PathElement::Name(key), child)?;
            }
        }
        (Step::Wild, Value::Array(items)) => {
            for (i, child) in items.iter().enumerate() {
                go(PathElement::Index(i), child)?;
            }
        }
        (Step::Index(i), Value::Array(items)) => {
            let i = if *i < 0 {
                i.checked_add(items.len() as i64)
            } else {
                Some(*i)
            };
            if let Some(i) = i.and_then(|i| usize::try_from(i).ok())
                && let Some(child) = items.get(i)
            {
                go(PathElement::Index(i), child)?;
            }
        }
        _ => {}
    }
    ControlFlow::Continue(())
}

/// The segments of a plain query, or `None` for anything else.
fn parse(source: &str) -> Option<Vec<Step>> {
    let mut rest = source.strip_prefix('$')?;
    let mut steps = Vec::new();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix(".*") {
            steps.push(Step::Wild);
            rest = after;
        } else if let Some(after) = rest.strip_prefix('.') {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            let name = &after[..end];
            if !name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
                return None;
            }
            steps.push(Step::Names(vec![name.into()]));
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']')?;
            steps.push(selectors(&after[..end])?);
            rest = &after[end + 1..];
        } else {
            return None;
        }
    }
    Some(steps)
}

/// The inside of `[…]`: `*`, an index, or names quoted without escapes.
fn selectors(inside: &str) -> Option<Step> {
    let inside = inside.trim_matches(' ');
    if inside == "*" {
        return Some(Step::Wild);
    }
    let digits = inside.strip_prefix('-').unwrap_or(inside);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        let canonical = digits == "0" && inside == "0" || !digits.starts_with('0');
        return canonical.then(|| inside.parse().ok().map(Step::Index))?;
    }
    let mut names = Vec::new();
    for part in inside.split(',') {
        let part = part.trim_matches(' ');
        let quote = part.chars().next().filter(|c| *c == '\'' || *c == '"')?;
        let name = part.strip_prefix(quote)?.strip_suffix(quote)?;
        if name.contains(['\'', '"', '\\']) || name.chars().any(char::is_control) {
            return None;
        }
        names.push(name.into());
    }
    Some(Step::Names(names))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn both(path: &str, value: &Value) -> (Vec<String>, Vec<String>) {
        let query = JsonPath::parse(path).unwrap();
        let walk = Walk::new(Some(path));
        let mut walked = Vec::new();
        walk.visit(&query, value, &mut |at, chain, node| {
            assert_eq!(at.len(), chain.len());
            // Each container of the chain holds the next (the last holds the subject).
            let mut held = chain.iter().skip(1).copied().chain([node]);
            for (element, container) in at.iter().zip(chain) {
                let child = match element {
                    PathElement::Name(k) => container.get(*k),
                    PathElement::Index(i) => container.get(*i),
                };
                assert!(std::ptr::eq(child.unwrap(), held.next().unwrap()));
            }
            walked.push(format!("{} {node}", pointer(at)));
            ControlFlow::Continue(())
        });
        let located = query
            .query_located(value)
            .iter()
            .map(|n| format!("{} {}", n.location().to_json_pointer(), n.node()))
            .collect();
        (walked, located)
    }

    #[test]
    fn plain_queries_walk_like_query_located() {
        let value = json!({
            "courses": [{"code": "A", "x/y": 1}, {"code": "B"}, 3],
            "certificates": [{"matrix": [{"tasks": ["1.1", "1.2"]}, {"tasks": "no"}]}, {"matrix": {}}],
            "major": {"code": "530701", "name": "电子商务", "tier": "高职"},
            "majors": {"5307": ["a", "b"], "5308": []},
            "total_credits": 1, "total_hours": 2,
            "x/y": {"~": [0]},
        });
        let paths = [
            "$.courses[*]",
            "$.certificates[*].matrix[*].tasks[*]",
            "$.certificates[*].matrix[*]",
            "$.major['code', 'name', 'tier']",
            "$.major[\"tier\",'code','tier']",
            "$.majors[*][*]",
            "$['total_credits', 'total_hours']",
            "$.major",
            "$.*",
            "$.courses[1]",
            "$.courses[-1]",
            "$.courses[-4]",
            "$.courses[7]",
            "$['x/y']['~'][0]",
            "$.courses[*].code",
            "$.missing[*]",
            "$",
        ];
        for path in paths {
            assert!(parse(path).is_some(), "{path} is plain");
            let (walked, located) = both(path, &value);
            assert_eq!(walked, located, "{path}");
        }
    }

    #[test]
    fn other_queries_go_through_serde_json_path() {
        let value = json!({"levels": [{"code": "1", "work_areas": [{"code": "1.1"}]}]});
        for path in [
            "$.levels[*]..[?@.code]",
            "$..code",
            "$.levels[0:1]",
            "$['a\\'b']",
            "$.levels[?@.code == '1']",
        ] {
            assert!(parse(path).is_none(), "{path} is not plain");
            let (walked, located) = both(path, &value);
            assert_eq!(walked, located, "{path}");
        }
    }
}
