//! The salt length an RSASSA-PSS signature encodes (RFC 8017 section 9.1.2, steps 1-10), so
//! that a signature made with any salt length can be checked by the rsa crate's verifier.

use rsa::BigUint;
use rsa::traits::PublicKeyParts;
use sha2::{Digest, Sha256};

/// MGF1 with SHA-256 (RFC 8017 appendix B.2.1), XORed into `out`.
fn mgf1_xor(seed: &[u8], out: &mut [u8]) {
    for (counter, block) in (0u32..).zip(out.chunks_mut(Sha256::output_size())) {
        let mask = Sha256::new()
            .chain_update(seed)
            .chain_update(counter.to_be_bytes())
            .finalize();
        for (b, m) in block.iter_mut().zip(mask.iter()) {
            *b ^= m;
        }
    }
}

/// Opens `signature` with the public key and reads the salt length from the encoded message:
/// the zero padding of the data block ends with one `0x01` byte, and the salt is what
/// follows. `None` when the signature cannot be a PSS signature with this key (wrong length,
/// out of range, no `0xbc` trailer, no `0x01` separator). The caller still verifies with the
/// returned length; this only chooses which length to try.
pub(crate) fn encoded_salt_len(key: &rsa::RsaPublicKey, signature: &[u8]) -> Option<usize> {
    let h_len = Sha256::output_size();
    let mod_bits = key.n().bits();
    let k = mod_bits.div_ceil(8);
    if signature.len() != k {
        return None;
    }
    let s = BigUint::from_bytes_be(signature);
    if &s >= key.n() {
        return None;
    }
    let m = s.modpow(key.e(), key.n()).to_bytes_be();
    // EM is emLen = ceil((modBits - 1) / 8) octets, left-padded with zeros.
    let em_bits = mod_bits - 1;
    let em_len = em_bits.div_ceil(8);
    if m.len() > em_len || em_len < h_len + 2 {
        return None;
    }
    let mut em = vec![0u8; em_len - m.len()];
    em.extend_from_slice(&m);
    if em.last() != Some(&0xbc) {
        return None;
    }
    let (masked_db, rest) = em.split_at_mut(em_len - h_len - 1);
    let h = &rest[..h_len];
    mgf1_xor(h, masked_db);
    let unused_bits = 8 * em_len - em_bits;
    masked_db[0] &= 0xff >> unused_bits;
    let one = masked_db.iter().position(|&b| b != 0)?;
    (masked_db[one] == 0x01).then(|| masked_db.len() - one - 1)
}
