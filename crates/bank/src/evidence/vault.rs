//! Encryption at rest for evidence: AES-256-GCM under a fresh random data key per case, the data
//! key wrapped (AES-256-GCM) by a master key from configuration. Master keys carry an id stored
//! beside each wrapped key, so a new master key can be added and the data keys re-wrapped to it
//! (`reset-server vault rotate`) while cases wrapped by an older key stay readable until then.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};

use crate::rng::{random_bytes, SharedRng};

const NONCE_LEN: usize = 12;
const KEY_LEN: usize = 32;
/// The first byte of every sealed object: the format, so a later one can be told apart.
const FORMAT_V1: u8 = 1;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VaultError {
    /// The master-key text is not `id:64-hex-digits` lines with distinct ids.
    BadKeyText(String),
    NoKey,
    /// A case is wrapped with a master key this server was not given.
    UnknownKeyId(String),
    /// Authentication failed: the ciphertext, its place or its key is not the one it claims.
    Tampered,
}

impl std::fmt::Display for VaultError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VaultError::BadKeyText(why) => write!(f, "evidence master keys: {why}"),
            VaultError::NoKey => f.write_str("no evidence master key is configured"),
            VaultError::UnknownKeyId(id) => {
                write!(f, "evidence master key {id:?} is not configured")
            }
            VaultError::Tampered => f.write_str("evidence failed authentication"),
        }
    }
}

impl std::error::Error for VaultError {}

struct MasterKey {
    id: String,
    cipher: Aes256Gcm,
}

/// The master keys; the last one wraps new data keys.
pub struct Vault {
    keys: Vec<MasterKey>,
}

/// A data key wrapped by a master key, as stored with its case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrappedKey {
    pub key_id: String,
    /// Hex of nonce ‖ ciphertext ‖ tag.
    pub wrapped: String,
}

/// One case's data key. Its bytes are wiped when dropped.
pub struct DataKey {
    cipher: Aes256Gcm,
    bytes: zeroize::Zeroizing<[u8; KEY_LEN]>,
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(<redacted>)")
    }
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|k| k.id.as_str()).collect();
        write!(f, "Vault(keys {ids:?})")
    }
}

/// `id:hex` with a 1–32 character id of letters, digits, `-` and `_`.
fn parse_line(line: &str) -> Result<(String, [u8; KEY_LEN]), VaultError> {
    let (id, hex_key) = line
        .split_once(':')
        .ok_or_else(|| VaultError::BadKeyText("each key is id:hex".into()))?;
    let id = id.trim();
    if id.is_empty()
        || id.len() > 32
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(VaultError::BadKeyText(
            "a key id is 1-32 letters, digits, - or _".into(),
        ));
    }
    let raw = zeroize::Zeroizing::new(
        hex::decode(hex_key.trim())
            .map_err(|_| VaultError::BadKeyText(format!("key {id:?} is not hex")))?,
    );
    let key: [u8; KEY_LEN] = raw.as_slice().try_into().map_err(|_| {
        VaultError::BadKeyText(format!("key {id:?} is not 32 bytes (64 hex digits)"))
    })?;
    Ok((id.to_owned(), key))
}

impl Vault {
    /// Keys from text: `id:hex` entries separated by newlines or commas; `#` starts a comment.
    /// The last entry is the current key.
    pub fn from_text(text: &str) -> Result<Vault, VaultError> {
        let mut keys: Vec<MasterKey> = Vec::new();
        for entry in text
            .lines()
            .map(|l| l.split('#').next().unwrap_or(""))
            .flat_map(|l| l.split(','))
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            let (id, key) = parse_line(entry)?;
            if keys.iter().any(|k| k.id == id) {
                return Err(VaultError::BadKeyText(format!(
                    "key id {id:?} appears twice"
                )));
            }
            let key = zeroize::Zeroizing::new(key);
            keys.push(MasterKey {
                id,
                cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key[..])),
            });
        }
        if keys.is_empty() {
            return Err(VaultError::NoKey);
        }
        Ok(Vault { keys })
    }

    /// A new `id:hex` line with a random key, for a key file.
    pub fn new_key_line(id: &str, rng: &SharedRng) -> Result<String, VaultError> {
        let line = format!("{id}:{}", hex::encode(random_bytes(rng, KEY_LEN)));
        parse_line(&line)?;
        Ok(line)
    }

    /// The id of the key that wraps new data keys.
    pub fn current_id(&self) -> &str {
        &self.keys[self.keys.len() - 1].id
    }

    pub fn key_ids(&self) -> Vec<String> {
        self.keys.iter().map(|k| k.id.clone()).collect()
    }

    fn key(&self, id: &str) -> Result<&MasterKey, VaultError> {
        self.keys
            .iter()
            .find(|k| k.id == id)
            .ok_or_else(|| VaultError::UnknownKeyId(id.to_owned()))
    }

    /// A fresh data key for `case_id`, and its wrapped form under the current master key.
    pub fn new_data_key(
        &self,
        case_id: &str,
        rng: &SharedRng,
    ) -> Result<(DataKey, WrappedKey), VaultError> {
        let mut bytes = zeroize::Zeroizing::new([0u8; KEY_LEN]);
        bytes.copy_from_slice(&random_bytes(rng, KEY_LEN));
        let data_key = DataKey::from_bytes(bytes);
        let wrapped = self.wrap(&data_key, case_id, self.current_id(), rng)?;
        Ok((data_key, wrapped))
    }

    fn wrap(
        &self,
        data_key: &DataKey,
        case_id: &str,
        key_id: &str,
        rng: &SharedRng,
    ) -> Result<WrappedKey, VaultError> {
        let master = self.key(key_id)?;
        let nonce = random_bytes(rng, NONCE_LEN);
        let aad = wrap_aad(case_id, key_id);
        let ct = master
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &data_key.bytes[..],
                    aad: &aad,
                },
            )
            .map_err(|_| VaultError::Tampered)?;
        Ok(WrappedKey {
            key_id: key_id.to_owned(),
            wrapped: hex::encode([nonce, ct].concat()),
        })
    }

    /// The data key of `case_id` from its stored wrapped form.
    pub fn unwrap(&self, case_id: &str, wrapped: &WrappedKey) -> Result<DataKey, VaultError> {
        let master = self.key(&wrapped.key_id)?;
        let raw = hex::decode(&wrapped.wrapped).map_err(|_| VaultError::Tampered)?;
        if raw.len() <= NONCE_LEN {
            return Err(VaultError::Tampered);
        }
        let (nonce, ct) = raw.split_at(NONCE_LEN);
        let aad = wrap_aad(case_id, &wrapped.key_id);
        let plain = zeroize::Zeroizing::new(
            master
                .cipher
                .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad: &aad })
                .map_err(|_| VaultError::Tampered)?,
        );
        let bytes: [u8; KEY_LEN] = plain
            .as_slice()
            .try_into()
            .map_err(|_| VaultError::Tampered)?;
        Ok(DataKey::from_bytes(zeroize::Zeroizing::new(bytes)))
    }

    /// The same data key wrapped under the current master key (rotation). `None` when it already is.
    pub fn rewrap(
        &self,
        case_id: &str,
        wrapped: &WrappedKey,
        rng: &SharedRng,
    ) -> Result<Option<WrappedKey>, VaultError> {
        if wrapped.key_id == self.current_id() {
            return Ok(None);
        }
        let data_key = self.unwrap(case_id, wrapped)?;
        self.wrap(&data_key, case_id, self.current_id(), rng)
            .map(Some)
    }
}

/// What a wrapped key is bound to: its case and its master key's id, so a wrapped key copied to
/// another case, or relabelled with another id, does not open.
fn wrap_aad(case_id: &str, key_id: &str) -> Vec<u8> {
    format!("reset-data-key:{case_id}:{key_id}").into_bytes()
}

/// What a sealed picture is bound to: its case and its object id, so files swapped between
/// cases or names do not open.
fn object_aad(case_id: &str, object_id: &str) -> Vec<u8> {
    format!("reset-evidence:{case_id}:{object_id}").into_bytes()
}

impl DataKey {
    fn from_bytes(bytes: zeroize::Zeroizing<[u8; KEY_LEN]>) -> DataKey {
        DataKey {
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&bytes[..])),
            bytes,
        }
    }

    /// Encrypts a picture: format byte ‖ nonce ‖ ciphertext ‖ tag.
    pub fn seal(
        &self,
        case_id: &str,
        object_id: &str,
        plain: &[u8],
        rng: &SharedRng,
    ) -> Result<Vec<u8>, VaultError> {
        let nonce = random_bytes(rng, NONCE_LEN);
        let aad = object_aad(case_id, object_id);
        let ct = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: &aad,
                },
            )
            .map_err(|_| VaultError::Tampered)?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ct.len());
        out.push(FORMAT_V1);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// Decrypts what [`DataKey::seal`] made for the same case and object id.
    pub fn open(
        &self,
        case_id: &str,
        object_id: &str,
        sealed: &[u8],
    ) -> Result<Vec<u8>, VaultError> {
        if sealed.len() <= 1 + NONCE_LEN || sealed[0] != FORMAT_V1 {
            return Err(VaultError::Tampered);
        }
        let (nonce, ct) = sealed[1..].split_at(NONCE_LEN);
        let aad = object_aad(case_id, object_id);
        self.cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad: &aad })
            .map_err(|_| VaultError::Tampered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::os_rng;

    const K1: &str = "k1:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    const K2: &str = "k2:1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100";

    #[test]
    fn round_trip_and_tampering() {
        let rng = os_rng();
        let vault = Vault::from_text(K1).unwrap();
        let (key, wrapped) = vault.new_data_key("case1", &rng).unwrap();
        assert_eq!(wrapped.key_id, "k1");
        let sealed = key.seal("case1", "obj1", b"\xFF\xD8picture", &rng).unwrap();
        assert!(
            !sealed.windows(7).any(|w| w == b"picture"),
            "ciphertext hides the bytes"
        );
        let again = vault.unwrap("case1", &wrapped).unwrap();
        assert_eq!(
            again.open("case1", "obj1", &sealed).unwrap(),
            b"\xFF\xD8picture"
        );

        // Any flipped bit, another place, another case: refused.
        for i in [0, 1, 13, sealed.len() - 1] {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            assert_eq!(
                again.open("case1", "obj1", &bad),
                Err(VaultError::Tampered),
                "byte {i}"
            );
        }
        assert_eq!(
            again.open("case1", "obj2", &sealed),
            Err(VaultError::Tampered)
        );
        assert_eq!(
            again.open("case2", "obj1", &sealed),
            Err(VaultError::Tampered)
        );
        assert_eq!(
            again.open("case1", "obj1", &sealed[..20]),
            Err(VaultError::Tampered)
        );
        assert!(matches!(
            vault.unwrap("case2", &wrapped),
            Err(VaultError::Tampered)
        ));
        let mut bad_wrap = wrapped.clone();
        bad_wrap.wrapped.replace_range(30..32, "00");
        if bad_wrap != wrapped {
            assert!(matches!(
                vault.unwrap("case1", &bad_wrap),
                Err(VaultError::Tampered)
            ));
        }
    }

    #[test]
    fn rotation_rewraps_and_old_ids_stay_readable_until_then() {
        let rng = os_rng();
        let old = Vault::from_text(K1).unwrap();
        let (key, wrapped) = old.new_data_key("c", &rng).unwrap();
        let sealed = key.seal("c", "o", b"evidence", &rng).unwrap();

        let both = Vault::from_text(&format!("{K1}\n{K2}\n")).unwrap();
        assert_eq!(both.current_id(), "k2");
        // Not yet rotated: still readable with the old key present.
        let k = both.unwrap("c", &wrapped).unwrap();
        assert_eq!(k.open("c", "o", &sealed).unwrap(), b"evidence");
        let rotated = both
            .rewrap("c", &wrapped, &rng)
            .unwrap()
            .expect("re-wrapped");
        assert_eq!(rotated.key_id, "k2");
        assert_eq!(both.rewrap("c", &rotated, &rng).unwrap(), None);
        // Relabelling a wrapped key with another id does not open it.
        let relabelled = WrappedKey {
            key_id: "k1".into(),
            wrapped: rotated.wrapped.clone(),
        };
        assert!(both.unwrap("c", &relabelled).is_err());

        // After the old key is dropped, rotated cases open and unrotated ones name the key.
        let new_only = Vault::from_text(K2).unwrap();
        let k = new_only.unwrap("c", &rotated).unwrap();
        assert_eq!(k.open("c", "o", &sealed).unwrap(), b"evidence");
        assert_eq!(
            new_only.unwrap("c", &wrapped).unwrap_err(),
            VaultError::UnknownKeyId("k1".into())
        );
    }

    #[test]
    fn key_text_is_checked() {
        assert_eq!(
            Vault::from_text("  # nothing\n").unwrap_err(),
            VaultError::NoKey
        );
        for bad in [
            "k1",
            "k1:abcd",
            "k 1:00",
            &format!("{K1},{K1}"),
            "bad/id:00",
        ] {
            assert!(
                matches!(Vault::from_text(bad), Err(VaultError::BadKeyText(_))),
                "{bad}"
            );
        }
        let v = Vault::from_text(&format!("{K1}, {K2} # two")).unwrap();
        assert_eq!(v.key_ids(), vec!["k1".to_owned(), "k2".to_owned()]);
        let line = Vault::new_key_line("2026-11", &os_rng()).unwrap();
        assert_eq!(Vault::from_text(&line).unwrap().current_id(), "2026-11");
        assert!(!format!("{v:?}").contains("0001"));
    }
}
