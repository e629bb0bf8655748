//! The command line: turns arguments into a run, renders the result, picks the exit code.
//! The only module besides discovery that touches files, stdin and the terminal.

pub mod args;
mod git;
pub mod info;
pub mod output;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use crate::baseline::Baseline;
use crate::error::Error;
use crate::lang::Lang;
use crate::render::human;
use crate::run::{self, Request};
use crate::setup::{self, ConfigSource};
use crate::stats::{self, Stage};
use args::{CheckArgs, Cli, ColorChoice, Command};

/// Exit code: no finding at or above the threshold.
pub const EXIT_OK: u8 = 0;
/// Exit code: findings.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code: usage, configuration or internal error.
pub const EXIT_ERROR: u8 = 2;

/// Runs vetlint with the process's arguments.
pub fn main() -> ExitCode {
    let parsed = Cli::command()
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m).map(|cli| (cli, m)));
    let (cli, matches) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_ERROR } else { EXIT_OK });
        }
    };
    // Where each `--format` and `--output` stood, to pair them.
    let positions = Positions::of(&matches);
    let lang = cli.lang.unwrap_or_else(Lang::from_env);
    let color = match &cli.command {
        Command::Check(a) => a.color,
        _ => ColorChoice::Auto,
    };
    let style = human::Style {
        color: use_color(color, &std::io::stderr()),
        width: terminal_width(),
        lang,
    };
    match run(cli, lang, &positions) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            let text = match &error {
                Error::Config(reports) => human::render_reports(reports, style),
                other => format!("vetlint: {other}\n"),
            };
            let _ = std::io::stderr().write_all(text.as_bytes());
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// The argument positions of `check --format` and `--output`.
#[derive(Debug, Default)]
struct Positions {
    formats: Vec<usize>,
    outputs: Vec<usize>,
}

impl Positions {
    fn of(matches: &clap::ArgMatches) -> Self {
        let Some(check) = matches.subcommand_matches("check") else {
            return Self::default();
        };
        let at = |id: &str| {
            check
                .indices_of(id)
                .map(|i| i.collect())
                .unwrap_or_default()
        };
        Self {
            formats: at("format"),
            outputs: at("output"),
        }
    }
}

fn run(cli: Cli, lang: Lang, positions: &Positions) -> Result<u8, Error> {
    let command = match cli.command {
        Command::Check(args) => return check(*args, lang, positions),
        Command::Lsp => return Ok(crate::lsp::serve(lang)),
        other => other,
    };
    // `rules` and `explain` include the rule folders of the nearest vetlint.toml.
    let cwd = current_dir()?;
    let engine = setup::engine(&cwd, &ConfigSource::Discover, lang)?;
    let (schemas, rules) = (&engine.schemas, &engine.rules);
    let mut stdout = std::io::stdout().lock();
    match command {
        Command::Rules => {
            let _ = stdout.write_all(info::rules_table(rules, lang).as_bytes());
            Ok(EXIT_OK)
        }
        Command::Explain { rule } => match rules.get(&rule) {
            Some(meta) => {
                let _ = stdout.write_all(info::explain(meta, lang).as_bytes());
                Ok(EXIT_OK)
            }
            None => {
                let guess =
                    crate::schema::report_suggest(&rule, rules.iter().map(|r| r.name.as_str()));
                Err(Error::Usage(match guess {
                    Some(g) => format!("unknown rule `{rule}`; did you mean `{g}`?"),
                    None => format!("unknown rule `{rule}`; `vetlint rules` lists every rule"),
                }))
            }
        },
        Command::Schema { kind } => match info::schema(schemas, &kind) {
            Some(text) => {
                let _ = stdout.write_all(text.as_bytes());
                Ok(EXIT_OK)
            }
            None => {
                let kinds: Vec<&str> = schemas.kinds().collect();
                Err(Error::Usage(format!(
                    "unknown kind `{kind}`; the kinds are: {}",
                    kinds.join(", ")
                )))
            }
        },
        Command::Check(args) => check(*args, lang, positions),
        Command::Lsp => Ok(crate::lsp::serve(lang)),
    }
}

fn current_dir() -> Result<std::path::PathBuf, Error> {
    std::env::current_dir().map_err(|source| Error::Io {
        path: ".".into(),
        source,
    })
}

fn check(args: CheckArgs, lang: Lang, positions: &Positions) -> Result<u8, Error> {
    let started = std::time::Instant::now();
    let formats: Vec<_> = positions
        .formats
        .iter()
        .copied()
        .zip(args.format.clone())
        .collect();
    let files: Vec<_> = positions
        .outputs
        .iter()
        .copied()
        .zip(args.output.clone())
        .collect();
    let targets = output::targets(&formats, &files).map_err(Error::Usage)?;
    let cwd = current_dir()?;
    let config = match (&args.config, args.no_config) {
        (_, true) => ConfigSource::Off,
        (Some(file), false) => ConfigSource::File(file.clone()),
        (None, false) => ConfigSource::Discover,
    };
    if args.stats {
        stats::time_rules();
    }
    // Start-up works on the run's threads too (`--threads` holds from the first step).
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0))
        .build()
        .map_err(|e| Error::Usage(format!("cannot start worker threads: {e}")))?;
    let mut engine =
        pool.install(|| stats::time(Stage::Setup, || setup::engine(&cwd, &config, lang)))?;
    engine.reference = args.reference;
    let baseline = match &args.baseline {
        Some(file) => Some(read_baseline(file)?),
        None => None,
    };
    let only = match &args.changed_since {
        Some(rev) => Some(git::changed_since(rev, &cwd)?),
        None => None,
    };
    let request = Request {
        paths: args.paths.iter().filter(|p| *p != "-").cloned().collect(),
        stdin: args.paths.iter().any(|p| p == "-").then(|| {
            args.stdin_filename
                .clone()
                .unwrap_or_else(|| "<stdin>".into())
        }),
        only,
        hold: args.hold,
    };
    let (mut report, mut warnings) = pool.install(|| run::check(&engine, &request, &cwd));
    if report.files.is_empty() && args.changed_since.is_none() {
        warnings.push(
            lang.pick("没有找到要检查的文档", "no documents to check")
                .to_owned(),
        );
    }
    let mut notes = Vec::new();
    if let Some(file) = &args.write_baseline {
        let recorded = Baseline::of(&report);
        write_file(file, &recorded.to_text())?;
        notes.push(match lang {
            Lang::En => format!(
                "wrote {} findings to the baseline {}",
                recorded.findings.len(),
                file.display()
            ),
            Lang::Zh => format!(
                "已把 {} 个问题写入基线 {}",
                recorded.findings.len(),
                file.display()
            ),
        });
    }
    if let Some(baseline) = &baseline {
        let applied = baseline.apply(&mut report);
        notes.push(match lang {
            Lang::En => format!(
                "{} findings are in the baseline and not shown; {} baseline entries no longer occur",
                applied.baselined, applied.gone
            ),
            Lang::Zh => format!(
                "{} 个问题已在基线中，未显示；基线中有 {} 项已不再出现",
                applied.baselined, applied.gone
            ),
        });
    }
    for warning in warnings {
        eprintln!(
            "{}{warning}",
            lang.pick("vetlint：警告：", "vetlint: warning: ")
        );
    }
    for note in notes {
        eprintln!("vetlint: {note}");
    }
    for target in &targets {
        let color = match target.file {
            None => use_color(args.color, &std::io::stdout()),
            Some(_) => args.color == ColorChoice::Always,
        };
        let context = output::Context {
            rules: &engine.rules,
            lang,
            style: human::Style {
                color,
                width: terminal_width(),
                lang,
            },
        };
        let text = stats::time(Stage::Render, || {
            output::render(target.format, &report, &context)
        });
        match &target.file {
            Some(file) => write_file(file, &text)?,
            None => {
                let _ = std::io::stdout().lock().write_all(text.as_bytes());
            }
        }
    }
    if args.stats {
        let findings = report.files.iter().map(|f| f.diagnostics.len()).sum();
        eprint!(
            "{}",
            stats::report(report.files.len(), findings, started.elapsed())
        );
    }
    let code = if args.write_baseline.is_none() && report.fails(args.fail_on) {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    };
    // The process ends next: freeing the engine's compiled rules and tables and every
    // document would only cost time (about a tenth of a one-file run).
    std::mem::forget(engine);
    std::mem::forget(report);
    Ok(code)
}

fn read_baseline(file: &std::path::Path) -> Result<Baseline, Error> {
    let text = std::fs::read_to_string(file).map_err(|source| Error::Io {
        path: file.display().to_string(),
        source,
    })?;
    Baseline::parse(&text)
        .map_err(|why| Error::Usage(format!("invalid baseline {}: {why}", file.display())))
}

fn write_file(file: &std::path::Path, text: &str) -> Result<(), Error> {
    if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
        let _ = std::fs::create_dir_all(parent);
    }
    std::fs::write(file, text).map_err(|source| Error::Io {
        path: file.display().to_string(),
        source,
    })
}

fn use_color(choice: ColorChoice, stream: &impl IsTerminal) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            stream.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .filter(|w| *w >= 40)
        .unwrap_or(100)
}
