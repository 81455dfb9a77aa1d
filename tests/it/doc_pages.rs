//! The README and the pages under docs/ agree with the command line: every `pharo-ctl`
//! command line they show uses options its command has, every command is in the operator's
//! guide, and every link between the pages leads to a page and a heading that exist.

use crate::harness::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

fn project() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// README.md and docs/*.md, by path, with their text.
fn pages() -> Vec<(PathBuf, String)> {
    let mut pages = vec![project().join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(project().join("docs"))
        .expect("docs/ exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    pages.extend(docs);
    pages
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect()
}

/// The lines inside the page's ``` blocks.
fn code_lines(text: &str) -> Vec<&str> {
    let mut inside = false;
    let mut lines = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            inside = !inside;
        } else if inside {
            lines.push(line);
        }
    }
    lines
}

/// The visible subcommands, as `pharo-ctl --help` lists them.
fn subcommands(env: &Env) -> Vec<String> {
    let out = env.cmd().args(["--help"]).run();
    out.success();
    out.stdout
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        // A description's further lines are indented further.
        .filter(|l| !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .filter(|c| c != "help")
        .collect()
}

#[test]
fn every_command_line_shown_uses_options_its_command_has() {
    let env = Env::new();
    let commands = subcommands(&env);
    assert!(commands.contains(&"stop".to_string()), "{commands:?}");
    let mut help: HashMap<String, String> = HashMap::new();
    let mut checked = 0;
    for (page, text) in pages() {
        for line in code_lines(&text) {
            let words: Vec<&str> = line
                .split(|c: char| c.is_whitespace() || "\"[],`".contains(c))
                .filter(|w| !w.is_empty())
                .collect();
            let Some(at) = words
                .iter()
                .position(|w| *w == "pharo-ctl" || w.ends_with("/pharo-ctl"))
            else {
                continue;
            };
            // The command line ends where the shell goes on with another.
            let words: Vec<&str> = words[at + 1..]
                .iter()
                .take_while(|w| !["|", "&&", ">", "#", ";", "||"].contains(w))
                .copied()
                .collect();
            let Some(command) = words.iter().find(|w| commands.iter().any(|c| c == *w)) else {
                continue;
            };
            let text = help.entry(command.to_string()).or_insert_with(|| {
                let out = env.cmd().args([command, "--help"]).run();
                out.success();
                out.stdout.clone()
            });
            for option in words.iter().filter(|w| w.starts_with("--")) {
                let option = option.split('=').next().unwrap();
                let offered = text.match_indices(option).any(|(i, _)| {
                    !text[i + option.len()..]
                        .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '-')
                });
                assert!(
                    offered,
                    "{}: `{}` uses {option}, which `pharo-ctl {command}` does not have",
                    page.display(),
                    line.trim()
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 40, "only {checked} options were checked");
}

#[test]
fn the_operators_guide_lists_every_command() {
    let env = Env::new();
    let guide = std::fs::read_to_string(project().join("docs/guide.md")).unwrap();
    let listed: Vec<&str> = code_lines(&guide)
        .into_iter()
        .filter_map(|l| l.strip_prefix("pharo-ctl "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    for command in subcommands(&env) {
        assert!(
            listed.contains(&command.as_str()),
            "docs/guide.md's list of commands lacks {command}"
        );
    }
}

/// GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn anchors(text: &str) -> Vec<String> {
    let mut inside = false;
    let mut found = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            inside = !inside;
        } else if !inside && line.starts_with('#') {
            found.push(anchor(line.trim_start_matches('#')));
        }
    }
    found
}

#[test]
fn every_link_between_the_pages_leads_somewhere() {
    let mut checked = 0;
    for (page, text) in pages() {
        let dir = page.parent().unwrap();
        for (i, _) in text.match_indices("](") {
            let rest = &text[i + 2..];
            let Some(end) = rest.find(')') else { continue };
            let target = rest[..end].replace('\n', "");
            if target.starts_with("http") || target.contains(' ') {
                continue;
            }
            let (file, fragment) = target.split_once('#').unwrap_or((&target, ""));
            let path = if file.is_empty() {
                page.clone()
            } else {
                dir.join(file)
            };
            assert!(
                path.exists(),
                "{}: the link {target} leads to no file",
                page.display()
            );
            if !fragment.is_empty() && path.extension().is_some_and(|e| e == "md") {
                let headings = anchors(&std::fs::read_to_string(&path).unwrap());
                assert!(
                    headings.iter().any(|h| h == fragment),
                    "{}: the link {target} leads to no heading of {} ({headings:?})",
                    page.display(),
                    Path::new(file).display()
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 10, "only {checked} links were checked");
}

#[test]
fn the_readme_is_a_front_door() {
    let readme = std::fs::read_to_string(project().join("README.md")).unwrap();
    let lines = readme.lines().count();
    assert!(
        lines <= 300,
        "README.md has {lines} lines: move detail to docs/"
    );
    for section in [
        "## Install",
        "## A first instance",
        "## Coming from `pharo-ctl.sh`",
        "## Saving the image",
        "## Exit codes",
        "## Set-up",
    ] {
        assert!(readme.contains(section), "README.md lacks {section}");
    }
    // CI runs the README's set-up commands.
    assert!(readme.contains("cargo build --release --bins --examples && scripts/demo.sh"));
    assert!(readme.contains("\ncargo test "));
    assert!(readme.contains("scripts/package.sh"));
}
