//! The page: `assets/docs/page.html` with its style, script, title and data put in.

use super::Catalog;

const SKELETON: &str = include_str!("../../assets/docs/page.html");
const STYLE: &str = include_str!("../../assets/docs/page.css");
const SCRIPT: &str = include_str!("../../assets/docs/page.js");

/// The whole HTML file of a catalog.
pub fn page(catalog: &Catalog) -> String {
    let title = format!("{} — data catalog", catalog.project);
    let data = script_safe_json(catalog);
    let mut page = String::with_capacity(SKELETON.len() + STYLE.len() + SCRIPT.len() + data.len());
    let mut rest = SKELETON;
    // Each marker of the skeleton is filled once, left to right; text put in is never
    // looked at for markers again.
    while let Some(at) = rest.find("{{") {
        page.push_str(&rest[..at]);
        let after = &rest[at..];
        let filled = [
            ("{{title}}", escape_html(&title)),
            ("{{style}}", STYLE.to_owned()),
            ("{{script}}", SCRIPT.to_owned()),
            ("{{data}}", data.clone()),
        ]
        .into_iter()
        .find(|(marker, _)| after.starts_with(marker));
        if let Some((marker, text)) = filled {
            page.push_str(&text);
            rest = &after[marker.len()..];
        } else {
            page.push_str("{{");
            rest = &after[2..];
        }
    }
    page.push_str(rest);
    page
}

/// The catalog as JSON that cannot end the `<script>` element it sits in, nor open a
/// comment or CDATA section: `<`, `>` and `&` (which JSON only has inside strings)
/// written as `\u` escapes.
fn script_safe_json(catalog: &Catalog) -> String {
    // Serialising plain data with string keys cannot fail.
    let json = serde_json::to_string(catalog).unwrap_or_else(|_| "null".to_owned());
    let mut safe = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => safe.push_str("\\u003c"),
            '>' => safe.push_str("\\u003e"),
            '&' => safe.push_str("\\u0026"),
            c => safe.push(c),
        }
    }
    safe
}

fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '&' => escaped.push_str("&amp;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog(project: &str) -> Catalog {
        Catalog {
            version: 1,
            project: project.to_owned(),
            environment: "prod".to_owned(),
            revision: None,
            teams: Vec::new(),
            flows: Vec::new(),
            tasks: Vec::new(),
            tables: Vec::new(),
            lineage: Vec::new(),
            indirect: Vec::new(),
        }
    }

    #[test]
    fn repository_text_cannot_end_the_script_or_the_title() {
        let hostile = "</script><script>alert(1)</script><!--";
        let page = page(&catalog(hostile));
        assert!(!page.contains(hostile));
        assert_eq!(page.matches("</script>").count(), SKELETON.matches("</script>").count());
        assert!(page.contains("\\u003c/script\\u003e\\u003cscript\\u003ealert(1)"));
        assert!(page.contains("&lt;/script&gt;&lt;script&gt;alert(1)"));
    }

    #[test]
    fn every_marker_is_filled_and_the_data_parses_back() {
        let page = page(&catalog("wingpay"));
        for marker in ["{{title}}", "{{style}}", "{{script}}", "{{data}}"] {
            assert!(!page.contains(marker), "{marker} left in the page");
        }
        let start = page
            .find("id=\"flowc-data\">")
            .map(|at| at + "id=\"flowc-data\">".len());
        let start = start.expect("the data element");
        let end = start + page[start..].find("</script>").expect("its end");
        let data: serde_json::Value = serde_json::from_str(&page[start..end]).expect("JSON");
        assert_eq!(data["project"], "wingpay");
        assert_eq!(data["version"], 1);
    }
}
