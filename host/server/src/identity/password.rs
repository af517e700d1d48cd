//! Password hashing (argon2id), the password policy and generated passwords.

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::Rng;
use rand::rngs::OsRng;

use super::IdentityError;

/// Shortest accepted password, in characters.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest accepted password, in bytes (bounds hashing work on hostile input).
pub const MAX_PASSWORD_BYTES: usize = 256;

/// argon2id cost parameters. The default is the argon2 crate's (OWASP's) recommendation:
/// 19 MiB, 2 passes, 1 lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for PasswordParams {
    fn default() -> PasswordParams {
        PasswordParams {
            memory_kib: Params::DEFAULT_M_COST,
            iterations: Params::DEFAULT_T_COST,
            parallelism: Params::DEFAULT_P_COST,
        }
    }
}

impl PasswordParams {
    /// The cheapest parameters argon2 accepts. For tests only: never configure a
    /// running host with these.
    pub const fn insecure_fast_for_tests() -> PasswordParams {
        PasswordParams {
            memory_kib: Params::MIN_M_COST,
            iterations: 1,
            parallelism: 1,
        }
    }
}

/// Hashes and verifies passwords with fixed argon2id parameters.
#[derive(Clone)]
pub(crate) struct Hasher {
    argon: Argon2<'static>,
    params: Params,
}

impl Hasher {
    pub(crate) fn new(params: &PasswordParams) -> Result<Hasher, IdentityError> {
        let params = Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            None,
        )
        .map_err(|e| IdentityError::Invalid(format!("argon2 parameters: {e}")))?;
        Ok(Hasher {
            argon: Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone()),
            params,
        })
    }

    /// A PHC string (`$argon2id$v=19$m=…`) with a fresh random salt.
    pub(crate) fn hash(&self, password: &str) -> Result<String, IdentityError> {
        let salt = SaltString::generate(&mut OsRng);
        self.argon
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| IdentityError::Internal(format!("hashing password: {e}")))
    }

    /// Checks `password` against a stored PHC string, with the parameters recorded in it.
    /// The comparison is constant-time (password-hash's `Output` equality).
    pub(crate) fn verify(&self, password: &str, phc: &str) -> Result<bool, IdentityError> {
        let parsed = PasswordHash::new(phc)
            .map_err(|e| IdentityError::Internal(format!("stored password hash: {e}")))?;
        match self.argon.verify_password(password.as_bytes(), &parsed) {
            Ok(()) => Ok(true),
            Err(argon2::password_hash::Error::Password) => Ok(false),
            Err(e) => Err(IdentityError::Internal(format!("verifying password: {e}"))),
        }
    }
}

impl Hasher {
    /// Whether a stored hash was made with other parameters (or another algorithm) than the
    /// configured ones, so it should be re-hashed at the next successful login.
    pub(crate) fn needs_rehash(&self, phc: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(phc) else {
            return true;
        };
        if parsed.algorithm != Algorithm::Argon2id.ident() {
            return true;
        }
        match Params::try_from(&parsed) {
            Ok(p) => {
                (p.m_cost(), p.t_cost(), p.p_cost())
                    != (
                        self.params.m_cost(),
                        self.params.t_cost(),
                        self.params.p_cost(),
                    )
            }
            Err(_) => true,
        }
    }
}

/// Checks the password policy: at least 10 characters, at most 256 bytes, at least three
/// of the four classes (lower-case, upper-case, digit, other), and not the username.
/// Returns the reason it is rejected.
pub fn check_password_policy(username: &str, password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(format!(
            "the password must have at least {MIN_PASSWORD_CHARS} characters"
        ));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(format!(
            "the password must be at most {MAX_PASSWORD_BYTES} bytes long"
        ));
    }
    if character_classes(password) < 3 {
        return Err(
            "the password must mix at least three of: lower-case letters, upper-case letters, \
             digits, other characters"
                .to_owned(),
        );
    }
    if password.trim().to_lowercase() == username.trim().to_lowercase() {
        return Err("the password must not be the username".to_owned());
    }
    Ok(())
}

fn character_classes(password: &str) -> usize {
    let lower = password.chars().any(|c| c.is_lowercase());
    let upper = password.chars().any(|c| c.is_uppercase());
    let digit = password.chars().any(|c| c.is_ascii_digit());
    let other = password
        .chars()
        .any(|c| !c.is_lowercase() && !c.is_uppercase() && !c.is_ascii_digit());
    [lower, upper, digit, other]
        .into_iter()
        .filter(|b| *b)
        .count()
}

/// A random 20-character password with all four classes, from the OS RNG, avoiding
/// look-alike characters. Used for the bootstrap administrator and admin resets.
pub fn generate_password() -> String {
    const CLASSES: [&[u8]; 4] = [
        b"abcdefghijkmnopqrstuvwxyz",
        b"ABCDEFGHJKLMNPQRSTUVWXYZ",
        b"23456789",
        b"!#%+-=?@^_",
    ];
    const LEN: usize = 20;
    let mut rng = OsRng;
    loop {
        let mut out = String::with_capacity(LEN);
        for _ in 0..LEN {
            let class = CLASSES[rng.gen_range(0..CLASSES.len())];
            out.push(char::from(class[rng.gen_range(0..class.len())]));
        }
        if character_classes(&out) == 4 {
            return out;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy() {
        assert!(check_password_policy("alice", "short1A").is_err());
        assert!(check_password_policy("alice", "alllowercaseletters").is_err());
        assert!(check_password_policy("alice", "lowercase1234").is_err());
        assert!(check_password_policy("alice", "Lowercase1234").is_ok());
        assert!(check_password_policy("alice", "lower-case-1234").is_ok());
        assert!(check_password_policy("Alice-2024x", "alice-2024X").is_err());
        assert!(check_password_policy("bob", &"Aa1!".repeat(100)).is_err());
        assert!(check_password_policy("bob", "办通政务服务中心Aa1").is_ok());
    }

    #[test]
    fn generated_passwords_pass_the_policy() {
        for _ in 0..50 {
            let p = generate_password();
            assert_eq!(p.chars().count(), 20);
            check_password_policy("admin", &p).unwrap();
        }
    }

    #[test]
    fn hash_and_verify() {
        let h = Hasher::new(&PasswordParams::insecure_fast_for_tests()).unwrap();
        let phc = h.hash("Correct-Horse-9").unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(h.verify("Correct-Horse-9", &phc).unwrap());
        assert!(!h.verify("Correct-Horse-8", &phc).unwrap());
        assert!(h.verify("x", "not a hash").is_err());
        assert!(!h.needs_rehash(&phc));
        let stronger = Hasher::new(&PasswordParams::default()).unwrap();
        assert!(stronger.needs_rehash(&phc));
        assert!(
            stronger.verify("Correct-Horse-9", &phc).unwrap(),
            "old hashes still verify"
        );
    }
}
