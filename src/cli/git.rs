//! `--changed-since REV`: the files git says changed since a revision (committed since,
//! staged, unstaged, or new and not ignored), as absolute paths.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::discover::normalize;
use crate::error::Error;

/// Every file changed since `rev` in the repository around `cwd`.
pub fn changed_since(rev: &str, cwd: &Path) -> Result<HashSet<PathBuf>, Error> {
    let top = git(cwd, &["rev-parse", "--show-toplevel"])?;
    let top = PathBuf::from(top.trim_end_matches(['\n', '\r']));
    let mut changed = HashSet::new();
    let lists = [
        git(
            cwd,
            &["diff", "--name-only", "-z", "--no-renames", rev, "--"],
        )?,
        git(
            cwd,
            &[
                "ls-files",
                "--others",
                "--exclude-standard",
                "-z",
                "--full-name",
            ],
        )?,
    ];
    for list in &lists {
        for name in list.split('\0').filter(|n| !n.is_empty()) {
            changed.insert(normalize(&top.join(name)));
        }
    }
    Ok(changed)
}

fn git(cwd: &Path, args: &[&str]) -> Result<String, Error> {
    let output = Command::new("git")
        .args(args)
        .current_dir(cwd)
        .output()
        .map_err(|e| Error::Usage(format!("--changed-since needs git: {e}")))?;
    if !output.status.success() {
        return Err(Error::Usage(format!(
            "--changed-since: `git {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}
