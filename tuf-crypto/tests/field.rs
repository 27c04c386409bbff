//! What keys, signatures and hashes from other signers and repositories look like in the
//! field: RSA-PSS with any salt length, PEM in any layout, BLAKE2b digests (PyPI, RSTUF), and
//! hash lists naming algorithms this crate does not know.

use rsa::pkcs8::{EncodePublicKey, LineEnding};
use rsa::rand_core::OsRng;
use sha2::{Digest, Sha256};
use tuf_crypto::{CryptoError, HashAlgorithm, KeyAlgorithm, PrivateKey, PublicKey, StreamVerifier};

fn rsa_key(bits: usize) -> (rsa::RsaPrivateKey, String) {
    let key = rsa::RsaPrivateKey::new(&mut OsRng, bits).unwrap();
    let pem = key
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    (key, pem)
}

fn pss_sign(key: &rsa::RsaPrivateKey, msg: &[u8], salt: usize) -> Vec<u8> {
    let digest = Sha256::digest(msg);
    key.sign_with_rng(&mut OsRng, rsa::Pss::new_with_salt::<Sha256>(salt), &digest)
        .unwrap()
}

#[test]
fn rsa_pss_signatures_verify_with_any_salt_length() {
    let (key, pem) = rsa_key(2048);
    let public = PublicKey::from_tuf("rsa", "rsassa-pss-sha256", &pem).unwrap();
    let msg = b"{\"_type\":\"timestamp\"}";
    // 0 and 20 (other signing stacks), 32 (securesystemslib), 64, and the maximum
    // (OpenSSL's default): 256 - 32 - 2.
    for salt in [0, 1, 20, 32, 64, 222] {
        let sig = pss_sign(&key, msg, salt);
        public
            .verify(msg, &sig)
            .unwrap_or_else(|e| panic!("salt {salt}: {e}"));
        assert!(public.verify(b"other", &sig).is_err(), "salt {salt}");
        let mut bad = sig.clone();
        bad[100] ^= 1;
        assert!(public.verify(msg, &bad).is_err(), "salt {salt}");
    }
    // A 3072-bit key (emLen is not a multiple of the hash), salt 0 and maximum.
    let (key, pem) = rsa_key(3072);
    let public = PublicKey::from_tuf("rsa", "rsassa-pss-sha256", &pem).unwrap();
    for salt in [0, 384 - 32 - 2] {
        public.verify(msg, &pss_sign(&key, msg, salt)).unwrap();
    }
}

#[test]
fn rsa_pss_hostile_signatures_give_typed_errors() {
    let (key, pem) = rsa_key(2048);
    let public = PublicKey::from_tuf("rsa", "rsassa-pss-sha256", &pem).unwrap();
    let msg = b"m";
    let n = rsa::traits::PublicKeyParts::n(&key.to_public_key()).to_bytes_be();
    // Empty, short, long, all zeros, all ones (above the modulus), the modulus itself.
    for sig in [
        vec![],
        vec![1; 255],
        vec![1; 257],
        vec![0; 256],
        vec![0xff; 256],
        n,
    ] {
        assert!(matches!(
            public.verify(msg, &sig),
            Err(CryptoError::BadSignature { .. })
        ));
    }
    // PKCS#1 v1.5 is not PSS.
    let digest = Sha256::digest(msg);
    let v15 = key
        .sign(rsa::Pkcs1v15Sign::new::<Sha256>(), &digest)
        .unwrap();
    assert!(public.verify(msg, &v15).is_err());
}

#[test]
fn rsa_keys_under_2048_bits_are_still_refused() {
    let (_, pem) = rsa_key(1024);
    assert!(matches!(
        PublicKey::from_tuf("rsa", "rsassa-pss-sha256", &pem),
        Err(CryptoError::InvalidPublicKey { .. })
    ));
}

/// The base64 of a PEM public key, and the key parsed from the canonical layout.
fn pem_body(algorithm: KeyAlgorithm) -> (PrivateKey, String, String) {
    let signer = PrivateKey::generate(algorithm).unwrap();
    let public = tuf_crypto::Signer::public_key(&signer);
    let pem = public.public().to_owned();
    let body: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .concat();
    (signer, pem, body)
}

#[test]
fn pem_keys_in_any_layout_are_the_same_key() {
    for algorithm in [
        KeyAlgorithm::EcdsaP256,
        KeyAlgorithm::EcdsaP384,
        KeyAlgorithm::Rsa(2048),
    ] {
        let (signer, pem, body) = pem_body(algorithm);
        let scheme = tuf_crypto::Signer::public_key(&signer).scheme();
        let keytype = scheme.default_keytype();
        let reference = PublicKey::from_tuf(keytype, scheme.as_str(), &pem).unwrap();
        let sig = tuf_crypto::Signer::sign(&signer, b"msg").unwrap();
        let lines = |n: usize| -> String {
            body.as_bytes()
                .chunks(n)
                .map(|c| std::str::from_utf8(c).unwrap())
                .collect::<Vec<_>>()
                .join("\n")
        };
        let layouts = [
            // One line of base64 (RFC 7468 lets parsers accept any line length).
            format!("-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----\n"),
            // No final newline.
            format!("-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----"),
            // CRLF with 76-character lines (MIME).
            format!(
                "-----BEGIN PUBLIC KEY-----\r\n{}\r\n-----END PUBLIC KEY-----\r\n",
                lines(76).replace('\n', "\r\n")
            ),
            // Short lines and trailing blank lines.
            format!(
                "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n\n",
                lines(16)
            ),
        ];
        for text in &layouts {
            let key = PublicKey::from_tuf(keytype, scheme.as_str(), text)
                .unwrap_or_else(|e| panic!("{algorithm:?} {text:?}: {e}"));
            assert_eq!(key.identity(), reference.identity());
            // The keyid is over the string as listed, as the spec defines it.
            assert_eq!(key.public(), text.as_str());
            key.verify(b"msg", &sig).unwrap();
        }
        // Damaged base64 is still refused.
        let broken = format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            &body[4..]
        );
        assert!(PublicKey::from_tuf(keytype, scheme.as_str(), &broken).is_err());
    }
}

#[test]
fn blake2b_digests_match_python_hashlib() {
    // hashlib.blake2b(b"abc", digest_size=32) and hashlib.blake2b(b"abc").
    let b256 = "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319";
    let b512 = "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1\
                7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923";
    assert_eq!(hex::encode(HashAlgorithm::Blake2b256.digest(b"abc")), b256);
    assert_eq!(hex::encode(HashAlgorithm::Blake2b512.digest(b"abc")), b512);
    assert_eq!(
        HashAlgorithm::from_name("blake2b-256"),
        Some(HashAlgorithm::Blake2b256)
    );
    assert_eq!(
        HashAlgorithm::from_name("blake2b"),
        Some(HashAlgorithm::Blake2b512)
    );
    // Streaming, in uneven chunks.
    let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7) as u8).collect();
    let d = hex::encode(HashAlgorithm::Blake2b256.digest(&data));
    let mut v =
        StreamVerifier::from_hex("f", data.len() as u64, [("blake2b-256", d.as_str())]).unwrap();
    for chunk in data.chunks(4093) {
        v.update(chunk).unwrap();
    }
    v.finish().unwrap();
    let mut wrong = data.clone();
    wrong[5] ^= 1;
    let err = StreamVerifier::from_hex("f", data.len() as u64, [("blake2b-256", d.as_str())])
        .unwrap()
        .verify_reader(&wrong[..])
        .unwrap_err();
    assert!(
        matches!(err, CryptoError::HashMismatch { ref algorithm, .. } if algorithm == "blake2b-256")
    );
}

#[test]
fn unknown_algorithms_are_skipped_only_beside_a_known_one() {
    let data = b"hello";
    let sha = hex::encode(HashAlgorithm::Sha256.digest(data));
    let b2 = hex::encode(HashAlgorithm::Blake2b256.digest(data));
    let len = data.len() as u64;
    // A known algorithm that matches, beside unknown ones: accepted.
    StreamVerifier::from_hex(
        "t",
        len,
        [("sha256", sha.as_str()), ("sha3-256", "00"), ("md5", "zz")],
    )
    .unwrap()
    .verify_reader(&data[..])
    .unwrap();
    // Every known one must match, whatever else is listed.
    let err = StreamVerifier::from_hex(
        "t",
        len,
        [
            ("blake2b-256", b2.as_str()),
            ("sha256", &"00".repeat(32)),
            ("x", "00"),
        ],
    )
    .unwrap()
    .verify_reader(&data[..])
    .unwrap_err();
    assert!(
        matches!(err, CryptoError::HashMismatch { ref algorithm, .. } if algorithm == "sha256")
    );
    // A known algorithm with a malformed digest is refused even beside a good one.
    assert!(matches!(
        StreamVerifier::from_hex("t", len, [("sha256", sha.as_str()), ("blake2b-256", "00")]),
        Err(CryptoError::UnusableHash { .. })
    ));
    // Nothing known: a typed error naming what was listed.
    let err = StreamVerifier::from_hex("t", len, [("sha3-256", "00"), ("md5", "00")]).unwrap_err();
    assert_eq!(
        err,
        CryptoError::NoKnownHash {
            what: "t".into(),
            listed: vec!["sha3-256".into(), "md5".into()],
        }
    );
}
