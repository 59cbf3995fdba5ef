//! The top-level modules of `src/` import downwards only: pages and API → features →
//! prospect data → process engine → shared types. This test reads every file of the library,
//! collects each path that names `crate::X` (in `use` trees, expressions, types and macro
//! arguments), builds the graph of top-level modules and fails on any cycle, naming the
//! file and line of one import per edge so the reader sees what to cut. A second check
//! keeps the layers under the features (shared, process, prospect data) from naming
//! anything above them.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use proc_macro2::{TokenStream, TokenTree};
use syn::visit::Visit;

#[test]
fn top_level_modules_import_downwards_only() {
    let graph = module_graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let cycles = strongly_connected_components(&graph)
        .into_iter()
        .filter(|component| component.len() > 1)
        .collect::<Vec<_>>();

    let mut report = String::new();
    for cycle in &cycles {
        describe_cycle(&mut report, &graph, cycle);
    }
    assert!(
        report.is_empty(),
        "\nmodules that must import downwards only are in a cycle. Cut one edge of each \
         cycle below: move the shared piece down to the layer that owns it, or pass a value \
         in instead of reaching up.\n{report}"
    );
}

/// The layers under the features, from the bottom: a module in one may name only modules
/// in it or below it. What sits above (the features, the pages, the API, the scheduler
/// that drives the features, start-up) is kept in order by the cycle check.
const LOWER_LAYERS: &[(&str, &[&str])] = &[
    (
        "shared",
        &[
            "auth", "charts", "config", "error", "input", "mail", "schedule", "search", "state",
            "wakeup", "web",
        ],
    ),
    ("process", &["process"]),
    // The data the features share: who the prospects are, at which accounts. The pages
    // that show a prospect with its plan and opportunities sit above (`prospect_pages`,
    // `account_pages`).
    ("prospect data", &["accounts", "prospects"]),
];

#[test]
fn the_lower_layers_name_nothing_above_them() {
    let graph = module_graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let mut report = String::new();
    let mut allowed = BTreeSet::new();
    for (layer, modules) in LOWER_LAYERS {
        allowed.extend(modules.iter().copied());
        for from in *modules {
            let edges = graph
                .get(*from)
                .unwrap_or_else(|| panic!("no module `{from}` in src/: update LOWER_LAYERS"));
            for (to, site) in edges {
                if !allowed.contains(to.as_str()) {
                    writeln!(
                        report,
                        "  {from} ({layer}) -> {to}   {}:{}",
                        site.file.display(),
                        site.line
                    )
                    .unwrap();
                }
            }
        }
    }
    assert!(
        report.is_empty(),
        "\na lower layer names a module above it; move what it needs down, or pass it in:\n{report}"
    );
}

/// Where one module first names another: the file and line to look at.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Site {
    file: PathBuf,
    line: usize,
}

/// Top-level module → the modules it names → where it first names each.
type Graph = BTreeMap<String, BTreeMap<String, Site>>;

fn describe_cycle(report: &mut String, graph: &Graph, cycle: &BTreeSet<String>) {
    writeln!(report, "\ncycle among {cycle:?}:").unwrap();
    for from in cycle {
        for (to, site) in &graph[from] {
            if cycle.contains(to) {
                writeln!(
                    report,
                    "  {from} -> {to}   {}:{}",
                    site.file.display(),
                    site.line
                )
                .unwrap();
            }
        }
    }
}

/// The library's top-level modules and the edges between them. `main.rs` is the binary,
/// a crate of its own, and `lib.rs` is the root that puts the modules together.
fn module_graph(src: &Path) -> Graph {
    let mut graph = Graph::new();
    let mut files = Vec::new();
    rust_files(src, &mut files);
    for file in files {
        let relative = file.strip_prefix(src).unwrap();
        let Some(module) = module_path(relative) else {
            continue;
        };
        let text = std::fs::read_to_string(&file).unwrap();
        let syntax =
            syn::parse_file(&text).unwrap_or_else(|error| panic!("{}: {error}", file.display()));
        let mut collector = Collector {
            module,
            references: Vec::new(),
        };
        collector.visit_file(&syntax);
        let top = collector.module[0].clone();
        let edges = graph.entry(top.clone()).or_default();
        for (target, line) in collector.references {
            if target != top {
                edges.entry(target).or_insert_with(|| Site {
                    file: Path::new("src").join(relative),
                    line,
                });
            }
        }
    }
    // `crate::routes()` and the like name the root's own items, not a module.
    let modules = graph.keys().cloned().collect::<BTreeSet<_>>();
    for edges in graph.values_mut() {
        edges.retain(|target, _| modules.contains(target));
    }
    graph
}

fn rust_files(dir: &Path, files: &mut Vec<PathBuf>) {
    let mut entries = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect::<Vec<_>>();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, files);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            files.push(path);
        }
    }
}

/// The module a file defines, from its path under `src/`: `prospects/db.rs` is
/// `prospects::db`, `prospects/mod.rs` is `prospects`. None for the crate roots.
fn module_path(relative: &Path) -> Option<Vec<String>> {
    let mut module = relative
        .with_extension("")
        .components()
        .map(|part| part.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>();
    if module.last().is_some_and(|last| last == "mod") {
        module.pop();
    }
    match module.as_slice() {
        [] => None,
        [root] if root == "lib" || root == "main" => None,
        [first, ..] if first == "bin" => None,
        _ => Some(module),
    }
}

/// Collects the top-level module named by every `crate::` path (and every `super::` path
/// that climbs to the crate root) in one file, with its line.
struct Collector {
    /// The module being read, inline `mod` blocks included.
    module: Vec<String>,
    references: Vec<(String, usize)>,
}

impl Collector {
    /// The top-level module a path starting with these segments names, if it leaves
    /// the current one through the crate root.
    fn resolve<'a>(&self, mut segments: impl Iterator<Item = &'a str>) -> Option<String> {
        let mut module = self.module.clone();
        loop {
            match segments.next()? {
                "crate" => module.clear(),
                "super" => {
                    module.pop()?;
                }
                "self" => {}
                name if module.is_empty() => return Some(name.to_string()),
                _ => return None,
            }
        }
    }

    fn record(&mut self, target: Option<String>, span: proc_macro2::Span) {
        if let Some(target) = target {
            self.references.push((target, span.start().line));
        }
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(path) => {
                let segment = path.ident.to_string();
                if matches!(segment.as_str(), "crate" | "super" | "self") {
                    prefix.push(segment);
                    self.use_tree(prefix, &path.tree);
                    prefix.pop();
                } else {
                    // The first name after `crate::` is the module; what follows stays in it.
                    prefix.push(segment);
                    self.record(
                        self.resolve(prefix.iter().map(String::as_str)),
                        path.ident.span(),
                    );
                    prefix.pop();
                }
            }
            syn::UseTree::Name(name) => {
                prefix.push(name.ident.to_string());
                self.record(
                    self.resolve(prefix.iter().map(String::as_str)),
                    name.ident.span(),
                );
                prefix.pop();
            }
            syn::UseTree::Rename(rename) => {
                prefix.push(rename.ident.to_string());
                self.record(
                    self.resolve(prefix.iter().map(String::as_str)),
                    rename.ident.span(),
                );
                prefix.pop();
            }
            // `use crate::x::*` was seen at `x`; a glob names no module of its own.
            syn::UseTree::Glob(_) => {}
            syn::UseTree::Group(group) => {
                for tree in &group.items {
                    self.use_tree(prefix, tree);
                }
            }
        }
    }

    /// Macro arguments are tokens, not syntax: look for `crate :: name` in them.
    fn tokens(&mut self, tokens: TokenStream) {
        let tokens = tokens.into_iter().collect::<Vec<_>>();
        for (index, token) in tokens.iter().enumerate() {
            match token {
                TokenTree::Group(group) => self.tokens(group.stream()),
                TokenTree::Ident(ident) if ident == "crate" => {
                    if let [
                        TokenTree::Punct(a),
                        TokenTree::Punct(b),
                        TokenTree::Ident(name),
                        ..,
                    ] = &tokens[index + 1..]
                        && a.as_char() == ':'
                        && b.as_char() == ':'
                    {
                        self.references
                            .push((name.to_string(), ident.span().start().line));
                    }
                }
                _ => {}
            }
        }
    }
}

impl<'ast> Visit<'ast> for Collector {
    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        self.module.push(item.ident.to_string());
        syn::visit::visit_item_mod(self, item);
        self.module.pop();
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &item.tree);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        if path.leading_colon.is_none() {
            let names = path
                .segments
                .iter()
                .map(|segment| segment.ident.to_string())
                .collect::<Vec<_>>();
            let target = self.resolve(names.iter().map(String::as_str));
            self.record(target, path.segments[0].ident.span());
        }
        syn::visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.tokens(mac.tokens.clone());
        syn::visit::visit_macro(self, mac);
    }
}

/// Tarjan's algorithm: the strongly connected components of the graph, each a set of
/// modules that all reach one another. A module in no cycle is a component of one.
fn strongly_connected_components(graph: &Graph) -> Vec<BTreeSet<String>> {
    struct Search<'g> {
        graph: &'g Graph,
        next_index: usize,
        index: BTreeMap<&'g str, usize>,
        lowlink: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        components: Vec<BTreeSet<String>>,
    }

    impl<'g> Search<'g> {
        fn visit(&mut self, node: &'g str) {
            self.index.insert(node, self.next_index);
            self.lowlink.insert(node, self.next_index);
            self.next_index += 1;
            self.stack.push(node);
            self.on_stack.insert(node);
            let successors = self.graph.get(node).into_iter().flat_map(BTreeMap::keys);
            for next in successors {
                let next = next.as_str();
                if !self.index.contains_key(next) {
                    self.visit(next);
                    let low = self.lowlink[node].min(self.lowlink[next]);
                    self.lowlink.insert(node, low);
                } else if self.on_stack.contains(next) {
                    let low = self.lowlink[node].min(self.index[next]);
                    self.lowlink.insert(node, low);
                }
            }
            if self.lowlink[node] == self.index[node] {
                let mut component = BTreeSet::new();
                loop {
                    let member = self.stack.pop().unwrap();
                    self.on_stack.remove(member);
                    component.insert(member.to_string());
                    if member == node {
                        break;
                    }
                }
                self.components.push(component);
            }
        }
    }

    let mut search = Search {
        graph,
        next_index: 0,
        index: BTreeMap::new(),
        lowlink: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        components: Vec::new(),
    };
    for node in graph.keys() {
        if !search.index.contains_key(node.as_str()) {
            search.visit(node);
        }
    }
    search.components
}

mod graph {
    //! The graph and component code, on graphs small enough to check by eye.

    use super::*;

    fn graph(edges: &[(&str, &str)]) -> Graph {
        let mut graph = Graph::new();
        for (line, (from, to)) in edges.iter().enumerate() {
            graph.entry(to.to_string()).or_default();
            graph.entry(from.to_string()).or_default().insert(
                to.to_string(),
                Site {
                    file: PathBuf::from("src/x.rs"),
                    line: line + 1,
                },
            );
        }
        graph
    }

    fn cycles(graph: &Graph) -> Vec<Vec<&str>> {
        let mut cycles = strongly_connected_components(graph)
            .into_iter()
            .filter(|component| component.len() > 1)
            .map(|component| {
                component
                    .into_iter()
                    .map(|module| graph.get_key_value(&module).unwrap().0.as_str())
                    .collect::<Vec<_>>()
            })
            .collect::<Vec<_>>();
        cycles.sort();
        cycles
    }

    #[test]
    fn layered_graph_has_no_cycle() {
        let layered = graph(&[
            ("pages", "features"),
            ("pages", "web"),
            ("features", "engine"),
            ("features", "web"),
            ("engine", "web"),
        ]);
        assert!(cycles(&layered).is_empty());
    }

    #[test]
    fn cycles_are_found_and_kept_apart() {
        // web ⇄ error is a cycle; pages → features → engine → features another, and
        // pages, which only reaches into it, is in neither.
        let tangled = graph(&[
            ("pages", "features"),
            ("features", "engine"),
            ("engine", "features"),
            ("engine", "web"),
            ("web", "error"),
            ("error", "web"),
        ]);
        assert_eq!(
            cycles(&tangled),
            vec![vec!["engine", "features"], vec!["error", "web"]]
        );
    }

    #[test]
    fn a_cycle_report_names_each_edge_with_its_line() {
        let tangled = graph(&[("web", "error"), ("error", "web"), ("web", "config")]);
        let cycle = BTreeSet::from(["error".to_string(), "web".to_string()]);
        let mut report = String::new();
        describe_cycle(&mut report, &tangled, &cycle);
        assert_eq!(
            report,
            "\ncycle among {\"error\", \"web\"}:\n  \
             error -> web   src/x.rs:2\n  \
             web -> error   src/x.rs:1\n"
        );
    }

    #[test]
    fn paths_are_read_from_use_trees_expressions_types_and_macros() {
        let source = "
            use crate::{web::{self, Page}, error::AppError as E};
            use super::sibling;
            mod inner { use super::super::super::mail; }
            fn f() -> crate::state::AppState {
                crate::notify::wake(x);
                tracing::info!(\"{}\", crate::config::NAME);
                self::local();
            }
        ";
        let mut collector = Collector {
            module: vec!["feature".to_string(), "handlers".to_string()],
            references: Vec::new(),
        };
        collector.visit_file(&syn::parse_file(source).unwrap());
        let named = collector
            .references
            .iter()
            .map(|(module, _)| module.as_str())
            .collect::<BTreeSet<_>>();
        assert_eq!(
            named,
            BTreeSet::from(["config", "error", "mail", "notify", "state", "web"])
        );
    }
}
