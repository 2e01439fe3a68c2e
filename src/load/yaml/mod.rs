//! YAML that keeps its source spans.
//!
//! serde-based YAML crates throw positions away once a value is built, but every schema
//! error must point at the offending key or value. This module builds a small tree from
//! saphyr-parser's event stream in which every key and value carries its [`Span`], and
//! resolves plain scalars with the YAML 1.2 core schema (so `yes` is a string and `1.10`
//! is a number, exactly as JSON Schema will see them).
//!
//! Accepted: one document, block and flow style, anchors and aliases. Rejected with a
//! located diagnostic: syntax errors, duplicate keys, non-scalar keys, merge keys (`<<`),
//! custom tags, several documents, and aliases that would copy more than
//! [`MAX_ALIAS_EXPANSION`] (a "billion laughs" document, or a big scalar repeated past
//! the input size limit), so the tree built is never much larger than the text.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError};

use crate::diagnostic::{Code, Diagnostic, FileId, LineCol, SourceFile, Span};

mod node;

pub use node::{YamlEntry, YamlNode, YamlValue};

/// How much all the aliases of one file may copy, counted as one per value plus the
/// characters of every string copied: ample for sharing settings, far below what
/// would exhaust memory or time. L109's message says "a million".
pub const MAX_ALIAS_EXPANSION: u64 = 1_000_000;

/// Parses one YAML document. Returns the root (`None` when the text has no usable
/// document) and every problem found.
pub fn parse(file: &SourceFile, id: FileId) -> (Option<YamlNode>, Vec<Diagnostic>) {
    let mut builder = Builder {
        file,
        id,
        diagnostics: Vec::new(),
        anchors: HashMap::new(),
        expanded: 0,
    };
    let root = builder.build();
    (root, builder.diagnostics)
}

struct Builder<'a> {
    file: &'a SourceFile,
    id: FileId,
    diagnostics: Vec<Diagnostic>,
    /// Each anchored node, with what copying it costs (see [`weight`]).
    anchors: HashMap<usize, (YamlNode, u64)>,
    /// What the aliases seen so far copied.
    expanded: u64,
}

/// What is open while events stream in.
enum Frame {
    Seq {
        start: u32,
        anchor: usize,
        items: Vec<YamlNode>,
    },
    Map {
        start: u32,
        anchor: usize,
        entries: Vec<YamlEntry>,
        pending_key: Option<(String, Span)>,
    },
}

impl Builder<'_> {
    fn offset(&self, marker: saphyr_parser::Marker) -> u32 {
        let position = LineCol {
            line: marker.line() as u32,
            column: marker.col() as u32 + 1,
        };
        self.file.offset_of(position).unwrap_or(self.file.text().len() as u32)
    }

    fn span(&self, span: saphyr_parser::Span) -> Span {
        Span::new(self.id, self.offset(span.start), self.offset(span.end))
    }

    fn syntax_error(&mut self, error: &ScanError) {
        let at = self.offset(*error.marker());
        self.diagnostics.push(
            Diagnostic::error(Code::YamlSyntax, format!("invalid YAML: {}", error.info()))
                .at(Span::new(self.id, at, at))
                .with_help("check the indentation and quoting around this position"),
        );
    }

    fn build(&mut self) -> Option<YamlNode> {
        let parser = Parser::new_from_str(self.file.text());
        let mut stack: Vec<Frame> = Vec::new();
        let mut root: Option<YamlNode> = None;
        let mut documents = 0;
        for event in parser {
            let (event, span) = match event {
                Ok(pair) => pair,
                Err(error) => {
                    self.syntax_error(&error);
                    return None;
                }
            };
            let node = match event {
                Event::DocumentStart(_) => {
                    documents += 1;
                    if documents > 1 {
                        self.diagnostics.push(
                            Diagnostic::error(Code::UnsupportedYaml, "a second YAML document")
                                .at(self.span(span))
                                .with_help("flowc reads one document per file; remove the `---` separator"),
                        );
                        return root;
                    }
                    continue;
                }
                Event::SequenceStart(anchor, tag) => {
                    self.check_tag(tag.as_deref().map(ToString::to_string), span);
                    let start = self.offset(span.start);
                    stack.push(Frame::Seq {
                        start,
                        anchor,
                        items: Vec::new(),
                    });
                    continue;
                }
                Event::MappingStart(anchor, tag) => {
                    self.check_tag(tag.as_deref().map(ToString::to_string), span);
                    let start = self.offset(span.start);
                    stack.push(Frame::Map {
                        start,
                        anchor,
                        entries: Vec::new(),
                        pending_key: None,
                    });
                    continue;
                }
                Event::SequenceEnd => {
                    let Some(Frame::Seq { start, anchor, items }) = stack.pop() else {
                        return None;
                    };
                    let end = items.last().map_or(start, |n| n.span.end).max(self.offset(span.end));
                    self.anchored(
                        anchor,
                        YamlNode {
                            span: Span::new(self.id, start, end),
                            value: YamlValue::Seq(items),
                        },
                    )
                }
                Event::MappingEnd => {
                    let Some(Frame::Map {
                        start, anchor, entries, ..
                    }) = stack.pop()
                    else {
                        return None;
                    };
                    let end = entries
                        .last()
                        .map_or(start, |e| e.value.span.end)
                        .max(self.offset(span.end));
                    self.anchored(
                        anchor,
                        YamlNode {
                            span: Span::new(self.id, start, end),
                            value: YamlValue::Map(entries),
                        },
                    )
                }
                Event::Scalar(text, style, anchor, tag) => {
                    let tag = tag.as_deref().map(ToString::to_string);
                    let value = self.scalar(&text, style, tag.as_deref(), span);
                    self.anchored(
                        anchor,
                        YamlNode {
                            span: self.span(span),
                            value,
                        },
                    )
                }
                Event::Alias(anchor) => self.alias(anchor, span)?,
                Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => continue,
            };
            self.attach(&mut stack, &mut root, node);
        }
        root
    }

    /// Puts a finished node where it belongs: the root, the open sequence, or the
    /// open mapping (as its pending key, or as the value of that key).
    fn attach(&mut self, stack: &mut [Frame], root: &mut Option<YamlNode>, node: YamlNode) {
        match stack.last_mut() {
            None => *root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries, pending_key, ..
            }) => match pending_key.take() {
                None => *pending_key = Some(self.key(&node)),
                Some((key, key_span)) => {
                    if let Some(first) = entries.iter().find(|e| e.key == key) {
                        self.diagnostics.push(
                            Diagnostic::error(Code::DuplicateKey, format!("duplicate key `{key}`"))
                                .at(key_span)
                                .with_label("written again here")
                                .with_secondary(first.key_span, "first written here")
                                .with_help("a mapping may hold each key once; remove or rename one of them"),
                        );
                    } else if key == "<<" {
                        self.diagnostics.push(
                            Diagnostic::error(Code::UnsupportedYaml, "YAML merge keys (`<<`) are not supported")
                                .at(key_span)
                                .with_help(
                                    "write the keys out, or use the flow's `defaults:` for shared task settings",
                                ),
                        );
                    } else {
                        entries.push(YamlEntry {
                            key,
                            key_span,
                            value: node,
                        });
                    }
                }
            },
        }
    }

    fn anchored(&mut self, anchor: usize, node: YamlNode) -> YamlNode {
        if anchor != 0 {
            let cost = weight(&node, MAX_ALIAS_EXPANSION + 1);
            self.anchors.insert(anchor, (node.clone(), cost));
        }
        node
    }

    /// The copy an alias stands for, or `None` (with L109) once the aliases of this
    /// file copy more than [`MAX_ALIAS_EXPANSION`]: nothing more is read from it.
    fn alias(&mut self, anchor: usize, span: saphyr_parser::Span) -> Option<YamlNode> {
        let Some((node, cost)) = self.anchors.get(&anchor) else {
            return Some(YamlNode {
                span: self.span(span),
                value: YamlValue::Null,
            });
        };
        self.expanded = self.expanded.saturating_add(*cost);
        if self.expanded > MAX_ALIAS_EXPANSION {
            self.diagnostics.push(
                Diagnostic::error(
                    Code::AliasExpansionTooLarge,
                    "YAML aliases in this file copy more than a million values and characters",
                )
                .at(self.span(span))
                .with_label("this alias goes past the limit")
                .with_help("write the repeated values out, or share task settings through the flow's `defaults:`"),
            );
            return None;
        }
        Some(YamlNode {
            span: self.span(span),
            value: node.value.clone(),
        })
    }

    /// A mapping key must be a scalar; its text is used as is.
    fn key(&mut self, node: &YamlNode) -> (String, Span) {
        let text = match &node.value {
            YamlValue::String(s) => s.clone(),
            YamlValue::Null => "null".to_owned(),
            YamlValue::Bool(b) => b.to_string(),
            YamlValue::Int(i) => i.to_string(),
            YamlValue::Float(f) => f.to_string(),
            YamlValue::Seq(_) | YamlValue::Map(_) => {
                self.diagnostics.push(
                    Diagnostic::error(Code::UnsupportedYaml, "a mapping key must be a plain value")
                        .at(node.span)
                        .with_help("use a name as the key"),
                );
                String::new()
            }
        };
        // A plain scalar key keeps its source text (`1.10` stays `1.10`, not `1.1`); a
        // rejected collection key is its text too, so two different ones are not
        // taken for the same key.
        let source = self.file.text().get(node.span.range()).unwrap_or_default();
        let keeps_source = matches!(
            node.value,
            YamlValue::Int(_) | YamlValue::Float(_) | YamlValue::Bool(_) | YamlValue::Seq(_) | YamlValue::Map(_)
        );
        let text = if keeps_source { source.to_owned() } else { text };
        (text, node.span)
    }

    fn check_tag(&mut self, tag: Option<String>, span: saphyr_parser::Span) {
        if let Some(tag) = tag
            && !matches!(
                tag.as_str(),
                "tag:yaml.org,2002:seq" | "tag:yaml.org,2002:map" | "!!seq" | "!!map"
            )
        {
            self.unsupported_tag(&tag, span);
        }
    }

    fn unsupported_tag(&mut self, tag: &str, span: saphyr_parser::Span) {
        self.diagnostics.push(
            Diagnostic::error(Code::UnsupportedYaml, format!("unsupported YAML tag `{tag}`"))
                .at(self.span(span))
                .with_help("remove the tag; quote the value if it must be a string"),
        );
    }

    fn scalar(&mut self, text: &str, style: ScalarStyle, tag: Option<&str>, span: saphyr_parser::Span) -> YamlValue {
        match tag {
            None => {}
            Some(t) if t.ends_with(":str") || t == "!!str" => return YamlValue::String(text.to_owned()),
            Some(t) => {
                self.unsupported_tag(t, span);
                return YamlValue::String(text.to_owned());
            }
        }
        if style == ScalarStyle::Plain {
            resolve_plain(text)
        } else {
            YamlValue::String(text.to_owned())
        }
    }
}

/// Resolves a plain scalar by the YAML 1.2 core schema.
fn resolve_plain(text: &str) -> YamlValue {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return YamlValue::Null,
        "true" | "True" | "TRUE" => return YamlValue::Bool(true),
        "false" | "False" | "FALSE" => return YamlValue::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return YamlValue::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return YamlValue::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return YamlValue::Float(f64::NAN),
        _ => {}
    }
    if let Some(int) = resolve_int(text) {
        return YamlValue::Int(int);
    }
    if is_core_float(text)
        && let Ok(float) = text.parse::<f64>()
    {
        return YamlValue::Float(float);
    }
    YamlValue::String(text.to_owned())
}

fn resolve_int(text: &str) -> Option<i64> {
    if let Some(octal) = text.strip_prefix("0o") {
        return i64::from_str_radix(octal, 8).ok();
    }
    if let Some(hex) = text.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16).ok();
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().ok();
    }
    None
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
fn is_core_float(text: &str) -> bool {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            int.bytes().all(|b| b.is_ascii_digit())
                && frac.bytes().all(|b| b.is_ascii_digit())
                && !(int.is_empty() && frac.is_empty())
        }
        None => !mantissa.is_empty() && mantissa.bytes().all(|b| b.is_ascii_digit()),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
    });
    mantissa_ok && exponent_ok
}

/// What copying `node` costs: one per value, plus the characters of its strings and
/// keys; counting stops past `cap`.
fn weight(node: &YamlNode, cap: u64) -> u64 {
    let mut total: u64 = 0;
    let mut pending = vec![node];
    while let Some(node) = pending.pop() {
        total += 1;
        match &node.value {
            YamlValue::String(text) => total += text.len() as u64,
            YamlValue::Seq(items) => pending.extend(items),
            YamlValue::Map(entries) => {
                for entry in entries {
                    total += entry.key.len() as u64;
                    pending.push(&entry.value);
                }
            }
            YamlValue::Null | YamlValue::Bool(_) | YamlValue::Int(_) | YamlValue::Float(_) => {}
        }
        if total > cap {
            break;
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use serde_json::Value;

    use super::*;
    use crate::diagnostic::SourceMap;

    fn parse_text(text: &str) -> (Option<YamlNode>, Vec<Diagnostic>, SourceMap) {
        let mut map = SourceMap::new();
        let id = map.add("t.yaml", text);
        let (node, diagnostics) = parse(map.file(id), id);
        (node, diagnostics, map)
    }

    #[test]
    fn values_keep_their_spans() {
        let (node, diagnostics, map) = parse_text("name: pay\ntasks:\n  - name: load\n    sql: load.sql\n");
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let node = node.unwrap();
        let sql = node.pointer("/tasks/0/sql").unwrap();
        assert_eq!(sql.as_str(), Some("load.sql"));
        assert_eq!(map.line_col(sql.span), LineCol { line: 4, column: 10 });
        let key = node.pointer("/tasks/0").unwrap().entry("sql").unwrap();
        assert_eq!(map.line_col(key.key_span), LineCol { line: 4, column: 5 });
    }

    #[test]
    fn plain_scalars_follow_the_core_schema() {
        let (node, _, _) = parse_text("a: 1.10\nb: yes\nc: ~\nd: '3'\ne: 0x1f\nf: 2024-01-01\ng: -2\nh: 1e3\n");
        let json = node.unwrap().to_json();
        assert_eq!(json["a"], serde_json::json!(1.1));
        assert_eq!(json["b"], "yes");
        assert_eq!(json["c"], Value::Null);
        assert_eq!(json["d"], "3");
        assert_eq!(json["e"], 31);
        assert_eq!(json["f"], "2024-01-01");
        assert_eq!(json["g"], -2);
        assert_eq!(json["h"], serde_json::json!(1000.0));
    }

    #[test]
    fn duplicate_keys_point_at_both() {
        let (_, diagnostics, map) = parse_text("name: a\nowner: x\nname: b\n");
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(diagnostics[0].code, Code::DuplicateKey);
        assert_eq!(
            map.line_col(diagnostics[0].span.unwrap()),
            LineCol { line: 3, column: 1 }
        );
        assert_eq!(
            map.line_col(diagnostics[0].labels[0].span),
            LineCol { line: 1, column: 1 }
        );
    }

    #[test]
    fn syntax_errors_are_located() {
        let (node, diagnostics, map) = parse_text("name: a\ntasks:\n  - name: x\n   bad: [\n");
        assert!(node.is_none());
        assert_eq!(diagnostics[0].code, Code::YamlSyntax);
        assert!(map.line_col(diagnostics[0].span.unwrap()).line >= 3);
    }

    #[test]
    fn aliases_copy_the_anchored_value() {
        let (node, diagnostics, _) = parse_text("a: &x {k: 1}\nb: *x\n");
        assert!(diagnostics.is_empty());
        assert_eq!(node.unwrap().to_json()["b"]["k"], 1);
    }

    #[test]
    fn merge_keys_tags_and_second_documents_are_rejected() {
        for text in [
            "a: &x {k: 1}\nb:\n  <<: *x\n",
            "a: !python/object x\n",
            "a: 1\n---\nb: 2\n",
        ] {
            let (_, diagnostics, _) = parse_text(text);
            assert_eq!(diagnostics.len(), 1, "{text}: {diagnostics:?}");
            assert_eq!(diagnostics[0].code, Code::UnsupportedYaml, "{text}");
        }
    }

    #[test]
    fn non_ascii_text_maps_to_byte_offsets() {
        let (node, _, map) = parse_text("description: 支付流水\nname: pay\n");
        let name = node.unwrap().pointer("/name").unwrap().clone();
        assert_eq!(map.file(name.span.file).text().get(name.span.range()), Some("pay"));
    }

    /// A "billion laughs" document: nine levels of nine aliases each.
    fn laughs(levels: usize) -> String {
        let mut text = "l0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n".to_owned();
        for level in 1..levels {
            let items = vec![format!("*a{}", level - 1); 9].join(", ");
            let _ = writeln!(text, "l{level}: &a{level} [{items}]");
        }
        text
    }

    #[test]
    fn alias_expansion_is_bounded_and_located() {
        let text = laughs(10);
        let (node, diagnostics, _) = parse_text(&text);
        assert!(node.is_none());
        let [diagnostic] = diagnostics.as_slice() else {
            panic!("one diagnostic expected: {diagnostics:?}");
        };
        assert_eq!(diagnostic.code, Code::AliasExpansionTooLarge);
        let at = diagnostic.span.expect("located").start as usize;
        assert!(
            text[at..].starts_with("*a"),
            "points at an alias: {:?}",
            &text[at..at + 4]
        );
    }

    #[test]
    fn a_big_scalar_repeated_by_aliases_is_bounded() {
        let mut text = format!("big: &big \"{}\"\ncopies:\n", "A".repeat(400_000));
        for _ in 0..100 {
            text.push_str("  - *big\n");
        }
        let (node, diagnostics, _) = parse_text(&text);
        assert!(node.is_none());
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(diagnostics[0].code, Code::AliasExpansionTooLarge);
    }

    #[test]
    fn small_aliases_are_copied() {
        let (node, diagnostics, _) = parse_text(&laughs(4));
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let json = node.expect("a document").to_json();
        assert_eq!(json["l3"][8][8][8][8], "lol");
    }
}
