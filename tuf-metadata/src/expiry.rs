//! Expiry dates: `YYYY-MM-DDTHH:MM:SSZ`, UTC, to the second (spec 4.3, `expires`).

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A point in time as TUF metadata writes it: UTC, whole seconds, `2030-01-01T00:00:00Z`.
///
/// ```
/// use tuf_metadata::Expiry;
///
/// let e = Expiry::parse("2030-01-01T00:00:00Z").unwrap();
/// assert_eq!(e.unix_seconds(), 1_893_456_000);
/// assert_eq!(e.to_string(), "2030-01-01T00:00:00Z");
/// assert!(Expiry::parse("2030-01-01T00:00:00+01:00").is_none());
/// assert!(Expiry::parse("2030-02-30T00:00:00Z").is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Expiry(i64);

const MIN_SECONDS: i64 = -62_135_596_800; // 0001-01-01T00:00:00Z
const MAX_SECONDS: i64 = 253_402_300_799; // 9999-12-31T23:59:59Z

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

impl Expiry {
    /// Parses exactly `YYYY-MM-DDTHH:MM:SSZ` (what python-tuf reads and writes); anything else,
    /// including offsets other than `Z`, fractions of a second and impossible dates, is `None`.
    pub fn parse(s: &str) -> Option<Expiry> {
        let b = s.as_bytes();
        if b.len() != 20
            || b[4] != b'-'
            || b[7] != b'-'
            || b[10] != b'T'
            || b[13] != b':'
            || b[16] != b':'
            || b[19] != b'Z'
        {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<i64> {
            let part = &b[r];
            if !part.iter().all(u8::is_ascii_digit) {
                return None;
            }
            Some(
                part.iter()
                    .fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0')),
            )
        };
        let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if y < 1 || !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) {
            return None;
        }
        if h > 23 || mi > 59 || sec > 59 {
            return None;
        }
        Some(Expiry(
            days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + sec,
        ))
    }

    /// The expiry `secs` seconds after 1970-01-01T00:00:00Z, if it is within years 1 to 9999.
    pub fn from_unix_seconds(secs: i64) -> Option<Expiry> {
        (MIN_SECONDS..=MAX_SECONDS)
            .contains(&secs)
            .then_some(Expiry(secs))
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    pub fn unix_seconds(self) -> i64 {
        self.0
    }

    /// The current time, truncated to the second.
    pub fn now() -> Expiry {
        Expiry::from_system_time(SystemTime::now())
    }

    /// Converts a system time (truncated to the second, clamped to years 1 to 9999).
    pub fn from_system_time(t: SystemTime) -> Expiry {
        let secs = match t.duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            Err(e) => -i64::try_from(e.duration().as_secs().saturating_add(1)).unwrap_or(i64::MAX),
        };
        Expiry(secs.clamp(MIN_SECONDS, MAX_SECONDS))
    }

    /// This time plus `d` (clamped to the year 9999).
    pub fn after(self, d: Duration) -> Expiry {
        let add = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
        Expiry(self.0.saturating_add(add).min(MAX_SECONDS))
    }

    /// Whether metadata with this expiry is expired at `reference` (spec 5.3.10, 5.4.4, 5.5.6,
    /// 5.6.5): expired once the reference time reaches the expiry, as python-tuf decides.
    pub fn is_expired_at(self, reference: Expiry) -> bool {
        reference >= self
    }
}

impl fmt::Display for Expiry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.0.div_euclid(86_400);
        let rem = self.0.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        for (text, secs) in [
            ("1970-01-01T00:00:00Z", 0),
            ("2000-02-29T12:34:56Z", 951_827_696),
            ("2099-01-01T00:00:00Z", 4_070_908_800),
            ("0001-01-01T00:00:00Z", MIN_SECONDS),
            ("9999-12-31T23:59:59Z", MAX_SECONDS),
            ("1969-12-31T23:59:59Z", -1),
        ] {
            let e = Expiry::parse(text).unwrap();
            assert_eq!(e.unix_seconds(), secs, "{text}");
            assert_eq!(e.to_string(), text);
            assert_eq!(Expiry::from_unix_seconds(secs), Some(e));
        }
    }

    #[test]
    fn impossible_or_foreign_forms_are_refused() {
        for bad in [
            "",
            "2030-01-01",
            "2030-01-01T00:00:00",
            "2030-01-01t00:00:00Z",
            "2030-01-01 00:00:00Z",
            "2030-1-01T00:00:00Z",
            "2030-01-01T00:00:00.000Z",
            "2030-01-01T00:00:00+00:00",
            "2031-02-29T00:00:00Z",
            "1900-02-29T00:00:00Z",
            "2030-04-31T00:00:00Z",
            "2030-00-10T00:00:00Z",
            "2030-01-00T00:00:00Z",
            "2030-01-01T24:00:00Z",
            "2030-01-01T00:60:00Z",
            "2030-01-01T00:00:60Z",
            "0000-01-01T00:00:00Z",
            "+030-01-01T00:00:00Z",
            "２030-01-01T00:00:00Z",
        ] {
            assert!(Expiry::parse(bad).is_none(), "{bad}");
        }
        assert!(Expiry::parse("2000-02-29T00:00:00Z").is_some());
    }

    #[test]
    fn expiry_comparison_matches_python_tuf() {
        let e = Expiry::parse("2030-01-01T00:00:00Z").unwrap();
        assert!(e.is_expired_at(e), "expired at the very second");
        assert!(!e.is_expired_at(Expiry::from_unix_seconds(e.unix_seconds() - 1).unwrap()));
        assert_eq!(
            e.after(Duration::from_secs(86_400)).to_string(),
            "2030-01-02T00:00:00Z"
        );
        assert_eq!(e.after(Duration::MAX).unix_seconds(), MAX_SECONDS);
    }

    #[test]
    fn every_day_of_four_centuries_round_trips() {
        let start = Expiry::parse("1900-01-01T00:00:00Z")
            .unwrap()
            .unix_seconds();
        for day in 0..(146_097 + 10) {
            let e = Expiry::from_unix_seconds(start + day * 86_400 + 3_723).unwrap();
            assert_eq!(Expiry::parse(&e.to_string()), Some(e));
        }
    }
}
