//! `mib_ed25519`: Ed25519 signing and (batch) verification for the registry's label URLs.
//!
//! A thin wrapper around `ed25519-dalek` 2.x.  The Python side (`signing/ed25519.py`) chooses between this
//! module and `cryptography`; nothing else imports it.  Verification rules (see docs/formats.md):
//!
//! * `VerifyingKey.verify` is dalek's `verify_strict`: canonical `s`, cofactorless equation compared on the
//!   encoding of `R`, and small-order `R` or `A` refused.  It accepts a subset of what OpenSSL accepts.
//! * `verify_batch` checks many signatures with one random linear combination (dalek's `verify_batch`,
//!   randomness derived from all inputs).  Signatures whose `R` is non-canonical or of small order, and keys
//!   that are weak or carry a torsion component, never enter a batch: they are checked one by one.  When a
//!   batch fails, each of its signatures is checked one by one, so the answer says exactly which ones fail.

use ed25519_dalek::{Signature, Signer, SigningKey as DalekSigningKey, VerifyingKey as DalekVerifyingKey};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// Signatures checked together; a failing chunk is re-checked one by one, so a bad signature costs at most
/// one chunk of extra work.
const BATCH_CHUNK: usize = 128;

/// An Ed25519 private key (RFC 8032 32-byte seed); the seed is wiped from memory when the key is dropped.
#[pyclass(frozen, module = "mib_ed25519")]
struct SigningKey {
    inner: DalekSigningKey,
}

#[pymethods]
impl SigningKey {
    #[new]
    fn new(secret: &[u8]) -> PyResult<Self> {
        let seed: [u8; 32] = secret
            .try_into()
            .map_err(|_| PyValueError::new_err("an Ed25519 private key is 32 bytes"))?;
        Ok(Self { inner: DalekSigningKey::from_bytes(&seed) })
    }

    /// The 32-byte public key.
    fn public_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.verifying_key().as_bytes())
    }

    /// The 64-byte signature of `message` (deterministic, RFC 8032 section 5.1.6).
    fn sign<'py>(&self, py: Python<'py>, message: &[u8]) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.sign(message).to_bytes())
    }

    /// The signatures of many messages (a list of `bytes`), computed without holding the GIL.
    fn sign_many<'py>(
        &self,
        py: Python<'py>,
        messages: Vec<Bound<'py, PyBytes>>,
    ) -> Vec<Bound<'py, PyBytes>> {
        let slices: Vec<&[u8]> = messages.iter().map(|m| m.as_bytes()).collect();
        let key = &self.inner;
        let signatures: Vec<[u8; 64]> =
            py.allow_threads(|| slices.iter().map(|m| key.sign(m).to_bytes()).collect());
        signatures.iter().map(|s| PyBytes::new(py, s)).collect()
    }

    fn __repr__(&self) -> String {
        "<mib_ed25519.SigningKey>".to_owned() // never the seed
    }
}

/// An Ed25519 public key (32 bytes, RFC 8032 encoding).
#[pyclass(frozen, module = "mib_ed25519")]
struct VerifyingKey {
    inner: DalekVerifyingKey,
    /// Neither of small order nor with a torsion component: safe to put in a batch.
    batchable: bool,
}

#[pymethods]
impl VerifyingKey {
    #[new]
    fn new(public: &[u8]) -> PyResult<Self> {
        let bytes: [u8; 32] = public
            .try_into()
            .map_err(|_| PyValueError::new_err("an Ed25519 public key is 32 bytes"))?;
        let inner = DalekVerifyingKey::from_bytes(&bytes)
            .map_err(|_| PyValueError::new_err("not an Ed25519 public key (not a curve point)"))?;
        let batchable = !inner.is_weak() && inner.to_edwards().is_torsion_free();
        Ok(Self { inner, batchable })
    }

    /// The 32-byte public key.
    fn public_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.as_bytes())
    }

    /// True if `signature` is a valid signature of `message` under the strict rules; never raises.
    fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        verify_one(&self.inner, message, signature)
    }

    fn __repr__(&self) -> String {
        format!("<mib_ed25519.VerifyingKey {}>", hex(self.inner.as_bytes()))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn parse_signature(signature: &[u8]) -> Option<Signature> {
    let bytes: [u8; 64] = signature.try_into().ok()?;
    Some(Signature::from_bytes(&bytes))
}

fn verify_one(key: &DalekVerifyingKey, message: &[u8], signature: &[u8]) -> bool {
    match parse_signature(signature) {
        Some(signature) => key.verify_strict(message, &signature).is_ok(),
        None => false,
    }
}

/// `R` is the canonical encoding of a point that is not of small order (what `verify_strict` demands of it,
/// apart from the full equation).
fn r_fits_batch(signature: &Signature) -> bool {
    let r = signature.r_bytes();
    // y must be below p = 2^255 - 19: the only non-canonical values are 2^255 - 19 ..= 2^255 - 1.
    let y_high_all_ones = r[1..31].iter().all(|&b| b == 0xff) && (r[31] & 0x7f) == 0x7f;
    if y_high_all_ones && r[0] >= 0xed {
        return false;
    }
    match curve25519_dalek::edwards::CompressedEdwardsY(*r).decompress() {
        Some(point) => !point.is_small_order(),
        None => false,
    }
}

struct Item<'a> {
    key: &'a DalekVerifyingKey,
    batchable: bool,
    message: &'a [u8],
    signature: Option<Signature>,
}

fn verify_chunk(items: &[Item<'_>], out: &mut [bool]) {
    let mut index = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match &item.signature {
            None => out[i] = false,
            Some(signature) if item.batchable && r_fits_batch(signature) => index.push(i),
            Some(signature) => out[i] = item.key.verify_strict(item.message, signature).is_ok(),
        }
    }
    if index.is_empty() {
        return;
    }
    let messages: Vec<&[u8]> = index.iter().map(|&i| items[i].message).collect();
    let signatures: Vec<Signature> = index.iter().map(|&i| items[i].signature.unwrap()).collect();
    let keys: Vec<DalekVerifyingKey> = index.iter().map(|&i| *items[i].key).collect();
    if ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_ok() {
        for &i in &index {
            out[i] = true;
        }
    } else {
        for &i in &index {
            let item = &items[i];
            out[i] = item.key.verify_strict(item.message, item.signature.as_ref().unwrap()).is_ok();
        }
    }
}

/// Verify many `(VerifyingKey, message, signature)` triples at once, without holding the GIL.
///
/// Returns one bool per triple, in order: exactly the triples that fail are `False`.
#[pyfunction]
fn verify_batch<'py>(
    py: Python<'py>,
    items: Vec<(Bound<'py, VerifyingKey>, Bound<'py, PyBytes>, Bound<'py, PyBytes>)>,
) -> Vec<bool> {
    let parsed: Vec<Item<'_>> = items
        .iter()
        .map(|(key, message, signature)| {
            let key = key.get();
            Item {
                key: &key.inner,
                batchable: key.batchable,
                message: message.as_bytes(),
                signature: parse_signature(signature.as_bytes()),
            }
        })
        .collect();
    py.allow_threads(|| {
        let mut out = vec![false; parsed.len()];
        for (chunk, results) in parsed.chunks(BATCH_CHUNK).zip(out.chunks_mut(BATCH_CHUNK)) {
            verify_chunk(chunk, results);
        }
        out
    })
}

#[pymodule]
fn mib_ed25519(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<SigningKey>()?;
    module.add_class::<VerifyingKey>()?;
    module.add_function(wrap_pyfunction!(verify_batch, module)?)?;
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
