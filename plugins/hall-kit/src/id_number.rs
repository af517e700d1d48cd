//! Chinese resident ID numbers (公民身份号码) per GB 11643-1999: parsing,
//! checksum, birth date, age, sex, region and masking.
//!
//! An ID number is 18 characters: a 6-digit region code, an 8-digit birth
//! date `YYYYMMDD`, a 3-digit sequence code whose last digit is odd for men
//! and even for women, and a check character (`0`-`9` or `X`) computed with
//! ISO 7064 MOD 11-2.

use std::fmt;

/// The weights of the first 17 digits in the MOD 11-2 checksum.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// The check character for each value of (weighted sum mod 11).
const CHECK_CHARS: [u8; 11] = *b"10X98765432";

/// The number of characters of an ID number.
pub const ID_LEN: usize = 18;

/// How many leading characters a masked ID number keeps (the region code).
const KEEP_HEAD: usize = 6;

/// How many trailing characters a masked ID number keeps.
const KEEP_TAIL: usize = 4;

/// A valid 18-character resident ID number, check character normalised to
/// upper-case `X`.
///
/// `Debug` prints the masked form so that an ID number never reaches a log
/// by accident; use [`IdNumber::as_str`] where the full number is needed.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdNumber(String);

/// Why a text is not a valid resident ID number.
///
/// The messages never repeat the number itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdError {
    /// The text does not have exactly 18 characters.
    WrongLength {
        /// How many characters (not bytes) the text has.
        found: usize,
    },
    /// One of the first 17 characters is not an ASCII digit.
    NotADigit {
        /// The 1-based position of the offending character.
        position: usize,
    },
    /// The 18th character is neither an ASCII digit nor `X`/`x`.
    BadCheckChar,
    /// The region code starts with `0`, which no region code does.
    BadRegion,
    /// Characters 7-14 are not a real date between 1900-01-01 and 2100-12-31.
    ImpossibleBirthDate,
    /// The check character does not match the first 17 digits.
    BadCheckDigit {
        /// The check character the first 17 digits call for.
        expected: char,
        /// The check character the text has.
        found: char,
    },
}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WrongLength { found } => write!(
                f,
                "an ID number has 18 characters, this text has {found}"
            ),
            Self::NotADigit { position } => write!(
                f,
                "character {position} of the ID number is not a digit (the first 17 must be 0-9)"
            ),
            Self::BadCheckChar => {
                f.write_str("the last character of the ID number must be 0-9 or X")
            }
            Self::BadRegion => f.write_str("the region code of the ID number cannot start with 0"),
            Self::ImpossibleBirthDate => f.write_str(
                "characters 7-14 of the ID number are not a real birth date between 1900-01-01 and 2100-12-31",
            ),
            Self::BadCheckDigit { expected, found } => write!(
                f,
                "bad check digit: the ID number ends in {found}, the first 17 digits call for {expected}"
            ),
        }
    }
}

impl std::error::Error for IdError {}

/// The sex recorded in an ID number (the parity of its 17th digit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    /// Odd 17th digit.
    Male,
    /// Even 17th digit.
    Female,
}

impl Sex {
    /// The Chinese word, "男" or "女".
    pub fn zh(self) -> &'static str {
        match self {
            Self::Male => "男",
            Self::Female => "女",
        }
    }
}

impl IdNumber {
    /// Parses and validates an ID number.
    ///
    /// Checks, in this order: 18 characters; the first 17 are ASCII digits;
    /// the 18th is a digit or `X`/`x` (normalised to `X`); the region code
    /// does not start with `0`; the birth date is a real date from
    /// 1900-01-01 to 2100-12-31; the check character. The text is not
    /// trimmed.
    pub fn parse(text: &str) -> Result<Self, IdError> {
        let found = text.chars().count();
        if found != ID_LEN {
            return Err(IdError::WrongLength { found });
        }
        // 18 characters; the digit checks below make them ASCII.
        for (index, c) in text.chars().take(ID_LEN - 1).enumerate() {
            if !c.is_ascii_digit() {
                return Err(IdError::NotADigit {
                    position: index + 1,
                });
            }
        }
        let last = text.chars().last().unwrap_or(' ').to_ascii_uppercase();
        if !(last.is_ascii_digit() || last == 'X') {
            return Err(IdError::BadCheckChar);
        }
        let bytes = text.as_bytes();
        if bytes.first() == Some(&b'0') {
            return Err(IdError::BadRegion);
        }
        let (year, month, day) = birth_digits(bytes);
        if !(1900..=2100).contains(&year) || !is_real_date(year, month, day) {
            return Err(IdError::ImpossibleBirthDate);
        }
        let expected = char::from(check_char(bytes));
        if last != expected {
            return Err(IdError::BadCheckDigit {
                expected,
                found: last,
            });
        }
        let mut normalised = String::with_capacity(ID_LEN);
        normalised.push_str(&text[..ID_LEN - 1]);
        normalised.push(last);
        Ok(Self(normalised))
    }

    /// The full ID number, check character upper-case.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The birth date as (year, month, day).
    pub fn birth_date(&self) -> (u16, u8, u8) {
        birth_digits(self.0.as_bytes())
    }

    /// The age in whole years on the given date (周岁), 0 for a date before
    /// the birth date.
    ///
    /// The age goes up on the birthday; someone born on 29 February gets
    /// one year older on 1 March in common years.
    pub fn age_on(&self, year: u16, month: u8, day: u8) -> u16 {
        let (birth_year, birth_month, birth_day) = self.birth_date();
        let years = year.saturating_sub(birth_year);
        if (month, day) < (birth_month, birth_day) {
            years.saturating_sub(1)
        } else {
            years
        }
    }

    /// The sex: male when the 17th digit is odd.
    pub fn sex(&self) -> Sex {
        match self.0.as_bytes().get(ID_LEN - 2) {
            // b'0' is even, so a digit byte has the parity of its digit.
            Some(digit) if digit % 2 == 1 => Sex::Male,
            _ => Sex::Female,
        }
    }

    /// The 6-digit administrative region code where the number was issued.
    pub fn region(&self) -> &str {
        &self.0[..KEEP_HEAD]
    }

    /// The masked form: the first 6 and last 4 characters with 8 `*`
    /// between, e.g. `110101********123X`.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("IdNumber").field(&self.masked()).finish()
    }
}

impl std::str::FromStr for IdNumber {
    type Err = IdError;

    fn from_str(text: &str) -> Result<Self, IdError> {
        Self::parse(text)
    }
}

/// Masks an identifier for display.
///
/// An 18-character text (an ID number, valid or not) keeps its first 6 and
/// last 4 characters, with 8 `*` between. Any other text keeps its first
/// and last character with a `*` for each one between; a text of 2
/// characters keeps only the first (`张*`), of 1 none (`*`). Lengths count
/// characters, not bytes, so Chinese names mask as expected (`张*丰`).
pub fn mask(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let len = chars.len();
    let (head, tail) = match len {
        ID_LEN => (KEEP_HEAD, KEEP_TAIL),
        0 | 1 => (0, 0),
        2 => (1, 0),
        _ => (1, 1),
    };
    let mut out = String::with_capacity(text.len());
    for (index, c) in chars.iter().enumerate() {
        if index < head || index >= len - tail {
            out.push(*c);
        } else {
            out.push('*');
        }
    }
    out
}

/// The MOD 11-2 check character of the first 17 bytes, which must be ASCII
/// digits.
pub(crate) fn check_char(digits: &[u8]) -> u8 {
    let sum: u32 = digits
        .iter()
        .zip(WEIGHTS)
        .map(|(digit, weight)| u32::from(digit.wrapping_sub(b'0')) * weight)
        .sum();
    CHECK_CHARS[(sum % 11) as usize]
}

/// Whether `candidate` (exactly 18 bytes: 17 ASCII digits and a digit or
/// `X`/`x`) has the right check character. Used by the scrubber, which
/// masks anything that passes the checksum.
pub(crate) fn passes_checksum(candidate: &[u8]) -> bool {
    match candidate.split_last() {
        Some((last, first)) if candidate.len() == ID_LEN => {
            first.iter().all(u8::is_ascii_digit) && last.to_ascii_uppercase() == check_char(first)
        }
        _ => false,
    }
}

/// Characters 7-14 as numbers; the bytes must be ASCII digits.
fn birth_digits(bytes: &[u8]) -> (u16, u8, u8) {
    let number = |from: usize, to: usize| -> u16 {
        bytes
            .get(from..to)
            .unwrap_or_default()
            .iter()
            .fold(0u16, |acc, digit| {
                acc.wrapping_mul(10)
                    .wrapping_add(u16::from(digit.wrapping_sub(b'0')))
            })
    };
    // Two digits are at most 99, so the casts cannot truncate.
    (number(6, 10), number(10, 12) as u8, number(12, 14) as u8)
}

fn is_leap(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn is_real_date(year: u16, month: u8, day: u8) -> bool {
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    /// Builds a valid ID number from its first 17 digits.
    fn with_check(first17: &str) -> String {
        let check = char::from(check_char(first17.as_bytes()));
        format!("{first17}{check}")
    }

    #[test]
    fn parses_the_standard_example() {
        // The worked example of GB 11643-1999.
        let id = IdNumber::parse("11010519491231002X").unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(id.birth_date(), (1949, 12, 31));
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(id.region(), "110105");
        assert_eq!(id.masked(), "110105********002X");
    }

    #[test]
    fn lower_case_x_is_normalised() {
        let id = IdNumber::parse("11010519491231002x").unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!("11010519491231002x".parse::<IdNumber>().unwrap(), id);
    }

    #[test]
    fn check_digit_mapping_covers_every_remainder() {
        let mut seen = std::collections::BTreeSet::new();
        for seq in 0..1000u32 {
            let id = with_check(&format!("44030519880214{seq:03}"));
            let parsed = IdNumber::parse(&id).unwrap();
            assert_eq!(parsed.as_str(), id);
            seen.insert(id.chars().last().unwrap());
        }
        assert_eq!(seen.into_iter().collect::<String>(), "0123456789X");
        // Remainder 2 maps to X.
        assert_eq!(check_char(b"11010519491231002"), b'X');
    }

    #[test]
    fn wrong_length_counts_characters() {
        assert_eq!(
            IdNumber::parse("1101051949123100"),
            Err(IdError::WrongLength { found: 16 })
        );
        assert_eq!(
            IdNumber::parse("一二三"),
            Err(IdError::WrongLength { found: 3 })
        );
        assert_eq!(IdNumber::parse(""), Err(IdError::WrongLength { found: 0 }));
    }

    #[test]
    fn non_digit_is_reported_with_its_position() {
        assert_eq!(
            IdNumber::parse("1101A519491231002X"),
            Err(IdError::NotADigit { position: 5 })
        );
        // A full-width digit is 18 characters long but not an ASCII digit.
        assert_eq!(
            IdNumber::parse("１1010519491231002X"),
            Err(IdError::NotADigit { position: 1 })
        );
        assert_eq!(
            IdNumber::parse("11010519491231002Y"),
            Err(IdError::BadCheckChar)
        );
    }

    #[test]
    fn bad_check_digit_names_the_expected_one() {
        let err = IdNumber::parse("110105194912310021").unwrap_err();
        assert_eq!(
            err,
            IdError::BadCheckDigit {
                expected: 'X',
                found: '1'
            }
        );
        assert!(err.to_string().contains("call for X"));
        assert!(!err.to_string().contains("110105"));
    }

    #[test]
    fn impossible_birth_dates_are_refused() {
        for first17 in [
            "11010519490230002", // 30 February
            "11010519000229002", // 1900 is not a leap year
            "11010518991231002", // before 1900
            "11010521010101002", // after 2100
            "11010519491300002", // month 13
            "11010519491200002", // day 0
        ] {
            assert_eq!(
                IdNumber::parse(&with_check(first17)),
                Err(IdError::ImpossibleBirthDate),
                "{first17}"
            );
        }
        assert!(IdNumber::parse(&with_check("11010520000229002")).is_ok());
        assert!(IdNumber::parse(&with_check("11010521001231002")).is_ok());
        assert!(IdNumber::parse(&with_check("11010519000101002")).is_ok());
    }

    #[test]
    fn region_may_not_start_with_zero() {
        assert_eq!(
            IdNumber::parse(&with_check("01010519491231002")),
            Err(IdError::BadRegion)
        );
    }

    #[test]
    fn age_goes_up_on_the_birthday() {
        let id = IdNumber::parse(&with_check("32010219900615123")).unwrap();
        assert_eq!(id.age_on(2024, 6, 14), 33);
        assert_eq!(id.age_on(2024, 6, 15), 34);
        assert_eq!(id.age_on(2024, 12, 31), 34);
        assert_eq!(id.age_on(1990, 6, 15), 0);
        assert_eq!(id.age_on(1980, 1, 1), 0);
        let leapling = IdNumber::parse(&with_check("32010220000229123")).unwrap();
        assert_eq!(leapling.age_on(2023, 2, 28), 22);
        assert_eq!(leapling.age_on(2023, 3, 1), 23);
    }

    #[test]
    fn sex_follows_the_17th_digit() {
        assert_eq!(
            IdNumber::parse(&with_check("32010219900615123"))
                .unwrap()
                .sex(),
            Sex::Male
        );
        assert_eq!(
            IdNumber::parse(&with_check("32010219900615124"))
                .unwrap()
                .sex(),
            Sex::Female
        );
        assert_eq!(Sex::Male.zh(), "男");
    }

    #[test]
    fn debug_never_shows_the_full_number() {
        let id = IdNumber::parse("11010519491231002X").unwrap();
        let debug = format!("{id:?}");
        assert_eq!(debug, r#"IdNumber("110105********002X")"#);
    }

    #[test]
    fn mask_handles_every_length() {
        assert_eq!(mask("11010519491231002X"), "110105********002X");
        // Any 18-character text, valid or not.
        assert_eq!(mask("abcdefghijklmnopqr"), "abcdef********opqr");
        assert_eq!(mask("13812345678"), "1*********8");
        assert_eq!(mask("张三丰"), "张*丰");
        assert_eq!(mask("张三"), "张*");
        assert_eq!(mask("张"), "*");
        assert_eq!(mask(""), "");
        let masked = mask("11010519491231002X");
        assert_eq!(masked.chars().filter(|c| *c != '*').count(), 10);
    }

    #[test]
    fn errors_have_messages() {
        assert_eq!(
            IdError::WrongLength { found: 3 }.to_string(),
            "an ID number has 18 characters, this text has 3"
        );
        assert!(
            IdError::NotADigit { position: 4 }
                .to_string()
                .contains("character 4")
        );
        assert!(
            IdError::ImpossibleBirthDate
                .to_string()
                .contains("birth date")
        );
    }
}
