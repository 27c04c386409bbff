//! What the proxy and the service decide from hostile bytes, checked against the parsers pip
//! reads the same bytes with.
//!
//! * The pages the proxy writes for the installer (`tuf_interpose::pages`), read as pip reads
//!   them: Python's `html.parser` with character references converted, the anchors'
//!   attributes and the first `<base href>` taken as pip's `HTMLLinkParser` takes them. For
//!   hostile pages made by hand and 10,000 made at random from markup's characters, pip sees
//!   exactly the anchors and base our reader reads from the written page, and every link
//!   among them is one the proxy checked: nothing in a written page is left for only a
//!   decoder to see.
//! * The `Requires-Dist` values of core metadata (`tuf_interpose::url_dependencies`), which
//!   the service reads to refuse wheels depending on a URL: for 10,000 metadata files made at
//!   random from header syntax, line ends and white space, they are the values Python's
//!   `email` parser gives (`compat32`, as pip reads `METADATA`).

use std::io::Write;
use std::process::{Command, Stdio};
use tuf_interpose::pages::rewrite_html;
use tuf_interpose::url_dependencies::requires_dist;
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
    generated(0x9e37_79b9_7f4a_7c15, n, &PIECES, 4, 40)
}

/// `n` strings made at random from `seed` (xorshift64), each `min` to `min + spread - 1` of
/// `pieces` end to end.
fn generated(seed: u64, n: usize, pieces: &[&str], min: u64, spread: u64) -> Vec<String> {
    let mut state = seed;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..n)
        .map(|_| {
            let len = min + next() % spread;
            (0..len)
                .map(|_| pieces[(next() % pieces.len() as u64) as usize])
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
    let pip = python_reads(PIP_READS, &written);
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

/// Python's `email` reading of each metadata file: its `Requires-Dist` values, runs of spaces,
/// tabs and line ends made one space, trimmed.
const PIP_READS_METADATA: &str = r#"
import email, json, re, sys
out = []
for text in json.load(sys.stdin):
    values = email.message_from_string(text).get_all("Requires-Dist") or []
    out.append([re.sub(r"[ \t\r\n]+", " ", v).strip(" \t\r\n") for v in values])
json.dump(out, sys.stdout)
"#;

/// `program` run by the test interpreter on `input` as JSON, its output read as JSON.
fn python_reads(program: &str, input: &[String]) -> Vec<serde_json::Value> {
    let mut child = Command::new(common::python())
        .args(["-c", program])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let json = serde_json::to_vec(input).unwrap();
    let feeder = std::thread::spawn(move || stdin.write_all(&json));
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap().unwrap();
    assert!(out.status.success());
    let read: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(read.len(), input.len());
    read
}

#[test]
fn our_requires_dist_values_are_the_ones_pip_reads() {
    const PIECES: [&str; 26] = [
        "Requires-Dist: ",
        "\nRequires-Dist:",
        "\r\nrequires-dist: x @ https://e/x.whl",
        "\rREQUIRES-DIST:",
        "\nName: a",
        "\n",
        "\r",
        "\r\n",
        " ",
        "\t",
        "\n ",
        "\n\t",
        "\nFrom ",
        "x",
        "@",
        "https://e/x.whl",
        ";",
        "\u{e9}",
        "\u{c}",
        "\u{b}",
        "\u{85}",
        "\u{2028}",
        "\u{1c}",
        ":",
        "\n:",
        "\nRequires-Dist :",
    ];
    let inputs = generated(0x2545_f491_4f6c_dd1d, 10_000, &PIECES, 2, 30);
    let pip = python_reads(PIP_READS_METADATA, &inputs);
    let mut values = 0;
    for (input, pip) in inputs.iter().zip(pip) {
        let pip: Vec<String> = serde_json::from_value(pip).unwrap();
        values += pip.len();
        assert_eq!(
            requires_dist(input.as_bytes()),
            pip,
            "pip reads other Requires-Dist values in {input:?}"
        );
    }
    assert!(values > 1_000, "only {values} values were read");
}
