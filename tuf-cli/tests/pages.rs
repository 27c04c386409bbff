//! The pages the proxy writes for the installer (`tuf_interpose::pages`), read as pip reads
//! them: Python's `html.parser` with character references converted, the anchors' attributes
//! and the first `<base href>` taken as pip's `HTMLLinkParser` takes them. For hostile pages
//! made by hand and 10,000 made at random from markup's characters, pip sees exactly the
//! anchors and base our reader reads from the written page, and every link among them is
//! one the proxy checked: the claim that nothing in a written page is left for only a decoder
//! to see, checked against a real decoder.

use std::io::Write;
use std::process::{Command, Stdio};
use tuf_interpose::pages::rewrite_html;
use tuf_pypi::html::read_page;

#[allow(dead_code)]
mod common;

const HOSTS: [&str; 2] = ["pypi.org", "files.pythonhosted.org"];
const BASE: &str = "http://127.0.0.1:1";

/// pip's reading of each page: `{"base": href or null, "anchors": [[[name, value or null]...]...]}`.
const PIP_READS: &str = r#"
import json, sys
from html.parser import HTMLParser

class Links(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.anchors, self.base = [], None
    def handle_starttag(self, tag, attrs):
        if tag == "base" and self.base is None:
            href = dict(attrs).get("href")
            if href is not None:
                self.base = href
        elif tag == "a":
            self.anchors.append(attrs)

out = []
for page in json.load(sys.stdin):
    p = Links()
    p.feed(page)
    p.close()
    out.append({"base": p.base, "anchors": p.anchors})
json.dump(out, sys.stdout)
"#;

/// Pages written by hand to lead a decoder or a URL parser elsewhere.
fn hostile() -> Vec<String> {
    [
        "<a href=\"&#104;ttps://evil.example/a.whl\">a</a>",
        "<a href=\"http&colon;//evil.example/b.whl\">b</a>",
        "<a href=\"/&#9;/evil.example/c.whl\">c</a><a href='/&Tab;/evil.example/c2.whl'>c</a>",
        "<a href=\"/\\evil.example/d.whl\">d</a>",
        "<a href=\"ht\ttp://evil.example/e.whl\">e</a>",
        "<base href=\"&#x2F;&#x2F;evil.example/\"><a href=\"f.whl\">f</a>",
        "<a href=\"g.whl\" href=\"//evil.example/g.whl\">g</a>",
        "<a data-x='\"><a href=//evil.example/h>' href=h.whl>h</a>",
        "<!-- --><a href=i.whl>i</a><!-- <a href=//evil.example/i> -->",
        "<script>x='<a href=//evil.example/j>'</script><a href=j.whl>j</a>",
        "<a href=\"k.whl#sha256=00\" data-requires-python=\"&gt;=3&amp;&lt;4\" data-yanked>k&amp;&#0;</a>",
        "<a href=\"&#x68;&#x74;&#x74;&#x70;&#x3a;&#x2f;&#x2f;files.pythonhosted.org/l.whl\">l</a>",
        "<a href=\"m.whl\" data-provenance=\"&#104;ttps:evil.example/m\">m</a>",
        "<a href=\"javascript&#58;alert(1)\">n</a><a href=\"  https://PyPI.org/o.whl  \">o</a>",
        "<a href=\"p%zz q\u{e9}\u{0}.whl\">p</a><A HREF=Q.WHL>q</A>",
        "<a href=\"r.whl\"\u{a0}data-a=1>r</a><a href=\"s.whl\"/data-b=\"2\">s</a>",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect()
}

/// `n` pages made at random (a fixed seed) from pieces of markup, references and links.
fn random(n: usize) -> Vec<String> {
    const PIECES: [&str; 40] = [
        "<a ",
        "<a href=",
        "<base href=",
        ">",
        "</a>",
        "\"",
        "'",
        "=",
        " ",
        "\t",
        "\n",
        "/",
        "\\",
        "//",
        "http:",
        "https:",
        "HTTPS://",
        "evil.example",
        "pypi.org",
        "x.whl",
        "#",
        "?",
        "&",
        "&amp;",
        "&#104;",
        "&#x2f;",
        "&#47",
        "&colon;",
        "&Tab;",
        "&lt;",
        "<!--",
        "-->",
        "<script>",
        "</script>",
        "data-provenance=",
        "data-yanked",
        "%2e",
        "..",
        "\u{e9}",
        "<",
    ];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..n)
        .map(|_| {
            let len = 4 + next() % 40;
            (0..len)
                .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
                .collect()
        })
        .collect()
}

#[test]
fn pip_reads_in_each_written_page_what_our_reader_reads() {
    let inputs: Vec<String> = hostile().into_iter().chain(random(10_000)).collect();
    let written: Vec<String> = inputs
        .iter()
        .map(|p| String::from_utf8(rewrite_html(p.as_bytes(), &HOSTS, BASE).page).unwrap())
        .collect();
    let mut child = Command::new(common::python())
        .args(["-c", PIP_READS])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let json = serde_json::to_vec(&written).unwrap();
    let feeder = std::thread::spawn(move || stdin.write_all(&json));
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap().unwrap();
    assert!(out.status.success());
    let pip: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(pip.len(), written.len());
    let mut links = 0;
    for ((input, page), pip) in inputs.iter().zip(&written).zip(&pip) {
        let ours = read_page(page);
        let anchors: Vec<Vec<(String, Option<String>)>> =
            serde_json::from_value(pip["anchors"].clone()).unwrap();
        let ours_anchors: Vec<_> = ours.anchors.iter().map(|a| a.attrs.clone()).collect();
        assert_eq!(
            anchors, ours_anchors,
            "pip reads other anchors in the page written for {input:?}:\n{page}"
        );
        assert_eq!(
            pip["base"].as_str(),
            ours.base.as_deref(),
            "pip reads another base in the page written for {input:?}:\n{page}"
        );
        // Every link pip reads is one the proxy wrote: into the proxy, or relative and plain.
        let hrefs = anchors
            .iter()
            .flatten()
            .filter(|(n, _)| n == "href" || n == "data-provenance")
            .filter_map(|(_, v)| v.clone())
            .chain(ours.base.clone());
        for link in hrefs {
            links += 1;
            let into_proxy = link.starts_with(&format!("{BASE}/_host/"));
            assert!(
                into_proxy
                    || (!link.starts_with("//")
                        && !link.contains(|c: char| c <= ' ' || c == '\\')
                        && !link
                            .split(['/', '?', '#'])
                            .next()
                            .is_some_and(|first| first.contains(':'))),
                "pip reads link {link:?} in the page written for {input:?}"
            );
        }
    }
    assert!(links > 2_000, "only {links} links were read");
}
