//! Writing a verified index page again for the installer (`tuf_interpose::pages`), as the
//! proxy and `tuf-cli serve` do on every page they answer: a page of PyPI's shape for a project
//! with 5,000 files (absolute links to files.pythonhosted.org with a sha256 fragment,
//! `data-requires-python` with an escaped `>=`, `data-dist-info-metadata`), as PEP 503 HTML
//! and as PEP 691 JSON. Criterion prints the time per page and the bytes per second.

// criterion_group! makes an undocumented function.
#![allow(missing_docs)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use tuf_interpose::pages::{rewrite_html, rewrite_json};

const FILES: usize = 5_000;
const HOSTS: [&str; 2] = ["pypi.org", "files.pythonhosted.org"];
const BASE: &str = "http://127.0.0.1:3141";

fn file(i: usize) -> (String, String) {
    let name = format!("botocore-1.{}.{}-py3-none-any.whl", i / 100, i % 100);
    let url = format!(
        "https://files.pythonhosted.org/packages/{:02x}/{:02x}/{:060x}/{name}",
        i % 256,
        (i * 7) % 256,
        i * 7919
    );
    (name, url)
}

fn html_page() -> Vec<u8> {
    let mut page = String::from(
        "<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"1.1\">\n    <title>Links for botocore</title>\n  </head>\n  <body>\n    <h1>Links for botocore</h1>\n",
    );
    for i in 0..FILES {
        let (name, url) = file(i);
        page.push_str(&format!(
            "    <a href=\"{url}#sha256={:064x}\" data-requires-python=\"&gt;= 3.8\" data-dist-info-metadata=\"sha256={:064x}\" data-core-metadata=\"sha256={:064x}\">{name}</a><br />\n",
            i, i + 1, i + 1
        ));
    }
    page.push_str("  </body>\n</html>\n");
    page.into_bytes()
}

fn json_page() -> Vec<u8> {
    let files: Vec<serde_json::Value> = (0..FILES)
        .map(|i| {
            let (name, url) = file(i);
            serde_json::json!({
                "filename": name,
                "url": url,
                "hashes": {"sha256": format!("{i:064x}")},
                "requires-python": ">= 3.8",
                "core-metadata": {"sha256": format!("{:064x}", i + 1)},
                "yanked": false,
                "size": 12_345_678 + i,
                "upload-time": "2026-12-01T12:00:00.000000Z",
            })
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "meta": {"api-version": "1.1", "_last-serial": 123_456_789},
        "name": "botocore",
        "versions": (0..FILES / 10).map(|v| format!("1.{v}.0")).collect::<Vec<_>>(),
        "files": files,
    }))
    .unwrap()
}

fn pages(c: &mut Criterion) {
    let mut group = c.benchmark_group("pages");
    let html = html_page();
    group.throughput(Throughput::Bytes(html.len() as u64));
    group.bench_function("rewrite_html 5,000 files", |b| {
        b.iter(|| rewrite_html(black_box(&html), &HOSTS, BASE))
    });
    let json = json_page();
    group.throughput(Throughput::Bytes(json.len() as u64));
    group.bench_function("rewrite_json 5,000 files", |b| {
        b.iter(|| rewrite_json(black_box(&json), &HOSTS, BASE).unwrap())
    });
    group.finish();
}

criterion_group!(benches, pages);
criterion_main!(benches);
