//! PEM text as keys are written in the field, brought to the one layout the strict RFC 7468
//! parser takes.

/// Rewrites a PEM document with any base64 line length (RFC 7468 section 2 lets parsers accept
/// other lengths; keys written on one line are common), CRLF or LF line ends, and with or
/// without a final newline, as `-----BEGIN L-----`, 64-character lines and `-----END L-----`.
/// The label and the base64 characters are kept as they are; the strict parser then checks
/// the label, the base64 and the DER.
pub(crate) fn normalise(text: &str) -> Result<String, &'static str> {
    const BEGIN: &str = "-----BEGIN ";
    const DASHES: &str = "-----";
    let trimmed = text.trim_matches(|c: char| c.is_ascii_whitespace());
    let rest = trimmed
        .strip_prefix(BEGIN)
        .ok_or("PEM must start with -----BEGIN")?;
    let (label, rest) = rest
        .split_once(DASHES)
        .ok_or("PEM BEGIN line is not closed by -----")?;
    if label.is_empty() || !label.bytes().all(|b| b.is_ascii_uppercase() || b == b' ') {
        return Err("PEM label must be upper-case letters and spaces");
    }
    let end = format!("-----END {label}-----");
    let body = rest
        .strip_suffix(end.as_str())
        .ok_or("PEM must end with the END line of its label")?;
    let b64: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if b64.is_empty() {
        return Err("PEM body is empty");
    }
    if !b64
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
    {
        return Err("PEM body is not base64");
    }
    let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 2 * end.len() + 4);
    out.push_str(BEGIN);
    out.push_str(label);
    out.push_str(DASHES);
    out.push('\n');
    for line in b64.as_bytes().chunks(64) {
        // The body is ASCII, so every chunk is valid UTF-8.
        out.push_str(std::str::from_utf8(line).map_err(|_| "PEM body is not base64")?);
        out.push('\n');
    }
    out.push_str(&end);
    out.push('\n');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::normalise;

    const BODY: &str = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEXsz3SZXFb8jMV42j6pJlyjbjR8K\
                        N3Bwocexq6LMIb5qsWKOQvLN16NUefLc4HswOoumRsVVaajSpQS6fobkRw==";

    #[test]
    fn every_layout_gives_the_same_text() {
        let one_line = format!("-----BEGIN PUBLIC KEY-----\n{BODY}\n-----END PUBLIC KEY-----");
        let wrapped = normalise(&one_line).unwrap();
        let crlf = wrapped.replace('\n', "\r\n");
        let short_lines: String = BODY
            .as_bytes()
            .chunks(10)
            .map(|c| format!("{}\n", std::str::from_utf8(c).unwrap()))
            .collect();
        let short =
            format!("-----BEGIN PUBLIC KEY-----\n{short_lines}-----END PUBLIC KEY-----\n\n");
        let inline = format!("-----BEGIN PUBLIC KEY-----{BODY}-----END PUBLIC KEY-----");
        for text in [&one_line, &wrapped, &crlf, &short, &inline] {
            assert_eq!(normalise(text).unwrap(), wrapped, "{text:?}");
        }
        assert!(wrapped.lines().all(|l| l.len() <= 64));
    }

    #[test]
    fn malformed_pem_is_refused() {
        for bad in [
            "",
            "MFkw",
            "-----BEGIN PUBLIC KEY-----\nMFkw\n",
            "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PRIVATE KEY-----",
            "-----BEGIN PUBLIC KEY-----\n\n-----END PUBLIC KEY-----",
            "-----BEGIN PUBLIC KEY-----\nMF*w\n-----END PUBLIC KEY-----",
            "-----BEGIN public key-----\nMFkw\n-----END public key-----",
            "junk-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----",
        ] {
            assert!(normalise(bad).is_err(), "{bad:?}");
        }
    }
}
