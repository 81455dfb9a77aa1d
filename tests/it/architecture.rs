//! The layout's one rule, checked: the top-level modules of `src/` (a folder counts as one)
//! import one another one way only. A module's imports are the `crate::NAME` paths in its
//! files, tests included.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The top-level modules and whom each imports.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in rust_files(&src) {
        let relative = file.strip_prefix(&src).unwrap();
        let first = relative.components().next().unwrap().as_os_str();
        let module = first.to_str().unwrap().trim_end_matches(".rs").to_string();
        if matches!(module.as_str(), "lib" | "main") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let used = graph.entry(module.clone()).or_default();
        for (at, _) in text.match_indices("crate::") {
            let name: String = text[at + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            // `use crate::{a, b}` names several.
            if name.is_empty() && text[at + "crate::".len()..].starts_with('{') {
                let group = &text[at + "crate::{".len()..];
                let group = &group[..group.find('}').unwrap_or(0)];
                for part in group.split(',') {
                    let part: String = part
                        .trim()
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if !part.is_empty() && part != module {
                        used.insert(part);
                    }
                }
            } else if !name.is_empty() && name != module {
                used.insert(name);
            }
        }
    }
    graph
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// A cycle of the graph, if it has one, as the modules on it.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        marks: &mut BTreeMap<String, Mark>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        marks.insert(node.to_string(), Mark::Open);
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            match marks.get(next.as_str()).copied().unwrap_or(Mark::New) {
                Mark::Open => {
                    let from = path.iter().position(|n| n == next).unwrap();
                    let mut found = path[from..].to_vec();
                    found.push(next.clone());
                    return Some(found);
                }
                Mark::New if graph.contains_key(next) => {
                    if let Some(found) = visit(next, graph, marks, path) {
                        return Some(found);
                    }
                }
                _ => {}
            }
        }
        path.pop();
        marks.insert(node.to_string(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for node in graph.keys() {
        if marks.get(node).copied().unwrap_or(Mark::New) == Mark::New
            && let Some(found) = visit(node, graph, &mut marks, &mut Vec::new())
        {
            return Some(found);
        }
    }
    None
}

#[test]
fn the_modules_import_one_another_one_way() {
    let graph = imports();
    assert!(graph.len() > 5, "too few modules found: {graph:?}");
    if let Some(found) = cycle(&graph) {
        panic!("an import cycle: {}", found.join(" -> "));
    }
}

#[test]
fn the_check_finds_a_cycle() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec!["a"]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(
        cycle(&graph).unwrap(),
        ["a", "b", "c", "a"].map(String::from).to_vec()
    );
    let mut acyclic = graph.clone();
    acyclic.get_mut("c").unwrap().clear();
    assert_eq!(cycle(&acyclic), None);
}

/// A module of the drawing, with the modules it may import (`None`: any).
type Drawn = (String, Option<BTreeSet<String>>);

/// The layout the README's Development section draws: each top-level module, in the order
/// drawn, and the leaves any module may import.
fn drawn() -> (Vec<Drawn>, BTreeSet<String>) {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let section = &readme[readme
        .find("## Development")
        .expect("README: ## Development")..];
    let block = section
        .split("```")
        .nth(1)
        .expect("the Development section's drawing");
    let bare = |name: &str| {
        name.trim()
            .trim_end_matches('/')
            .trim_end_matches(".rs")
            .to_string()
    };
    // Each entry: its names, and the text after its arrow (on its line or the next).
    let mut entries: Vec<(Vec<String>, String)> = Vec::new();
    let mut leaves = BTreeSet::new();
    for line in block.lines().filter(|l| !l.trim().is_empty()) {
        let arrow = line.split_once("->").map(|(_, to)| to.trim().to_string());
        if line.starts_with(' ') {
            if let (Some(entry), Some(to)) = (entries.last_mut(), arrow) {
                entry.1 = to;
            }
            continue;
        }
        let names = line.split("  ").next().unwrap();
        let names: Vec<String> = names.split(',').map(bare).collect();
        if line.contains("leaves") {
            leaves.extend(names);
        } else {
            entries.push((names, arrow.unwrap_or_default()));
        }
    }
    let order: Vec<String> = entries.iter().flat_map(|(n, _)| n.clone()).collect();
    let mut layout = Vec::new();
    for (names, to) in &entries {
        let allowed = match to.as_str() {
            "everything" => None,
            "all below" => {
                let after = order
                    .iter()
                    .position(|n| n == names.last().unwrap())
                    .unwrap();
                Some(order[after + 1..].iter().cloned().collect())
            }
            to => Some(
                to.split(',')
                    .map(|m| m.split('(').next().unwrap().trim().to_string())
                    .filter(|m| !m.is_empty())
                    .collect(),
            ),
        };
        for name in names {
            layout.push((name.clone(), allowed.clone()));
        }
    }
    (layout, leaves)
}

#[test]
fn the_readme_draws_every_module_and_what_it_imports() {
    let graph = imports();
    let (layout, leaves) = drawn();
    let drawn: BTreeMap<&str, &Option<BTreeSet<String>>> = layout
        .iter()
        .map(|(name, to)| (name.as_str(), to))
        .collect();
    let mut wrong = Vec::new();
    // Imports go down the drawing: what a module may import is drawn below it.
    for (at, (module, allowed)) in layout.iter().enumerate() {
        for up in allowed.iter().flatten() {
            if !layout[at + 1..].iter().any(|(below, _)| below == up) {
                wrong.push(format!(
                    "the README draws {module} importing {up}, not below it"
                ));
            }
        }
    }
    for (module, used) in &graph {
        if leaves.contains(module) {
            continue;
        }
        let Some(allowed) = drawn.get(module.as_str()) else {
            wrong.push(format!(
                "the README's Development section does not draw src/{module}"
            ));
            continue;
        };
        if let Some(allowed) = allowed {
            let beyond: Vec<&String> = used
                .iter()
                .filter(|m| !allowed.contains(*m) && !leaves.contains(*m) && graph.contains_key(*m))
                .collect();
            if !beyond.is_empty() {
                wrong.push(format!(
                    "src/{module} imports {beyond:?}, which the README's drawing does not let it"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    for (name, _) in &layout {
        assert!(
            graph.contains_key(name) || matches!(name.as_str(), "main" | "lib"),
            "the README draws {name}, which src/ does not have"
        );
    }
}
