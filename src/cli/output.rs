//! Where reports go: `--format`/`--output` pairs (each `--output` takes the `--format` given
//! just before it; the terminal gets the one format without a file, human by default), and
//! rendering a report in any format.

use std::path::PathBuf;

use super::args::OutputFormat;
use crate::lang::Lang;
use crate::render::{self, RunReport, human};
use crate::rules::RuleSet;

/// One report to write: a format and a file (`None`: standard output).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Format.
    pub format: OutputFormat,
    /// File, or standard output.
    pub file: Option<PathBuf>,
}

/// Pairs formats and files by their positions on the command line (`formats` and `files` with
/// the argument index of each occurrence).
pub fn targets(
    formats: &[(usize, OutputFormat)],
    files: &[(usize, PathBuf)],
) -> Result<Vec<Target>, String> {
    let mut out: Vec<(usize, Target)> = formats
        .iter()
        .map(|(at, format)| {
            (
                *at,
                Target {
                    format: *format,
                    file: None,
                },
            )
        })
        .collect();
    for (at, file) in files {
        let owner = out
            .iter_mut()
            .rev()
            .find(|(f, t)| *f < *at && t.file.is_none());
        match owner {
            Some((_, target)) => target.file = Some(file.clone()),
            None => {
                return Err(format!(
                    "`--output {}` needs a `--format` before it",
                    file.display()
                ));
            }
        }
    }
    let mut targets: Vec<Target> = out.into_iter().map(|(_, t)| t).collect();
    let to_terminal = targets.iter().filter(|t| t.file.is_none()).count();
    if to_terminal > 1 {
        return Err(
            "only one `--format` can go to the terminal; give the others an `--output FILE`"
                .to_owned(),
        );
    }
    if to_terminal == 0 {
        targets.push(Target {
            format: OutputFormat::Human,
            file: None,
        });
    }
    Ok(targets)
}

/// What rendering needs besides the report.
pub struct Context<'a> {
    /// Every rule of the run (SARIF lists them).
    pub rules: &'a RuleSet,
    /// Message language.
    pub lang: Lang,
    /// The human format's look.
    pub style: human::Style,
}

/// The report in `format`.
pub fn render(format: OutputFormat, report: &RunReport, context: &Context<'_>) -> String {
    match format {
        OutputFormat::Human => render::human::render(report, context.style),
        OutputFormat::Short => render::short::render(report),
        OutputFormat::Json => render::json::render(report),
        OutputFormat::Sarif => render::sarif::render(report, context.rules, context.lang),
        OutputFormat::Github => render::github::render(report),
        OutputFormat::Junit => render::junit::render(report),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str) -> PathBuf {
        PathBuf::from(name)
    }

    #[test]
    fn each_output_takes_the_format_before_it() {
        use OutputFormat::*;
        let t = targets(
            &[(1, Sarif), (3, Junit), (5, Short)],
            &[(2, file("a.sarif")), (4, file("b.xml"))],
        )
        .unwrap();
        assert_eq!(
            t,
            vec![
                Target {
                    format: Sarif,
                    file: Some(file("a.sarif"))
                },
                Target {
                    format: Junit,
                    file: Some(file("b.xml"))
                },
                Target {
                    format: Short,
                    file: None
                },
            ]
        );
        // Every format has a file: the terminal gets the human report.
        let t = targets(&[(1, Json)], &[(2, file("a.json"))]).unwrap();
        assert_eq!(
            t[1],
            Target {
                format: Human,
                file: None
            }
        );
        // No format at all: human on the terminal.
        assert_eq!(
            targets(&[], &[]).unwrap(),
            vec![Target {
                format: Human,
                file: None
            }]
        );
    }

    #[test]
    fn mistakes_in_pairing_are_usage_errors() {
        use OutputFormat::*;
        assert!(targets(&[(3, Json)], &[(1, file("a"))]).is_err());
        assert!(targets(&[(1, Json), (2, Short)], &[]).is_err());
    }
}
