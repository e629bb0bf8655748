//! The command line: turns arguments into a run, renders the result, picks the exit code.
//! The only module besides discovery that touches files, stdin and the terminal.

pub mod args;
mod info;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;

use crate::error::Error;
use crate::lang::Lang;
use crate::render::{self, human};
use crate::run::{self, Request};
use crate::setup::{self, ConfigSource};
use args::{CheckArgs, Cli, ColorChoice, Command, OutputFormat};

/// Exit code: no finding at or above the threshold.
pub const EXIT_OK: u8 = 0;
/// Exit code: findings.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code: usage, configuration or internal error.
pub const EXIT_ERROR: u8 = 2;

/// Runs vetlint with the process's arguments.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_ERROR } else { EXIT_OK });
        }
    };
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
    match run(cli, lang) {
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

fn run(cli: Cli, lang: Lang) -> Result<u8, Error> {
    let command = match cli.command {
        Command::Check(args) => return check(args, lang),
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
        Command::Check(args) => check(args, lang),
    }
}

fn current_dir() -> Result<std::path::PathBuf, Error> {
    std::env::current_dir().map_err(|source| Error::Io {
        path: ".".into(),
        source,
    })
}

fn check(args: CheckArgs, lang: Lang) -> Result<u8, Error> {
    let cwd = current_dir()?;
    let config = match (&args.config, args.no_config) {
        (_, true) => ConfigSource::Off,
        (Some(file), false) => ConfigSource::File(file.clone()),
        (None, false) => ConfigSource::Discover,
    };
    let engine = setup::engine(&cwd, &config, lang)?;
    let request = Request {
        paths: args.paths.iter().filter(|p| *p != "-").cloned().collect(),
        stdin: args.paths.iter().any(|p| p == "-").then(|| {
            args.stdin_filename
                .clone()
                .unwrap_or_else(|| "<stdin>".into())
        }),
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0))
        .build()
        .map_err(|e| Error::Usage(format!("cannot start worker threads: {e}")))?;
    let (report, mut warnings) = pool.install(|| run::check(&engine, &request, &cwd));
    if report.files.is_empty() {
        warnings.push(
            lang.pick("没有找到要检查的文档", "no documents to check")
                .to_owned(),
        );
    }
    for warning in warnings {
        eprintln!(
            "{}{warning}",
            lang.pick("vetlint：警告：", "vetlint: warning: ")
        );
    }
    let text = match args.format {
        OutputFormat::Human => render::human::render(
            &report,
            human::Style {
                color: use_color(args.color, &std::io::stdout()),
                width: terminal_width(),
                lang,
            },
        ),
        OutputFormat::Short => render::short::render(&report),
        OutputFormat::Json => render::json::render(&report),
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    Ok(if report.fails(args.fail_on) {
        EXIT_FINDINGS
    } else {
        EXIT_OK
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
