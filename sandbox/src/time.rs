//! Minimal UTC time helpers: ISO-8601 formatting and parsing without a date library.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn push_num(out: &mut String, v: i64, width: usize) {
    let mut buf = [b'0'; 20];
    let mut n = v.unsigned_abs();
    let mut i = buf.len();
    while n > 0 {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    let digits = buf.len() - i;
    if v < 0 {
        out.push('-');
    }
    for _ in digits..width {
        out.push('0');
    }
    for b in &buf[i..] {
        out.push(char::from(*b));
    }
}

/// Formats epoch milliseconds as `2024-12-15T03:55:00.000Z`.
pub fn iso_ms(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    let mut out = String::with_capacity(24);
    push_num(&mut out, y, 4);
    out.push('-');
    push_num(&mut out, m, 2);
    out.push('-');
    push_num(&mut out, d, 2);
    out.push('T');
    push_num(&mut out, rem / 3_600_000, 2);
    out.push(':');
    push_num(&mut out, (rem / 60_000) % 60, 2);
    out.push(':');
    push_num(&mut out, (rem / 1000) % 60, 2);
    out.push('.');
    push_num(&mut out, rem % 1000, 3);
    out.push('Z');
    out
}

/// Formats epoch milliseconds as an RFC 3339 timestamp with second precision (`…T03:55:00Z`).
pub fn rfc3339_s(ms: i64) -> String {
    let full = iso_ms(ms);
    format!("{}Z", &full[..19])
}

/// Formats epoch milliseconds as a date `2024-12-15`.
pub fn date(ms: i64) -> String {
    let (y, m, d) = civil_from_days(ms.div_euclid(86_400_000));
    format!("{y:04}-{m:02}-{d:02}")
}

/// Epoch milliseconds of a calendar date at midnight UTC.
pub fn ms_of_date(y: i64, m: i64, d: i64) -> i64 {
    days_from_civil(y, m, d) * 86_400_000
}

fn num(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Parses ISO-8601 / RFC 3339 (`2024-01-01`, `2024-01-01T00:00:00Z`, `…00.123+02:00`, `…+0000`)
/// into epoch milliseconds. Returns `None` on anything else.
pub fn parse_iso(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.len() < 10 || !s.is_char_boundary(10) {
        return None;
    }
    let (datepart, rest) = s.split_at(10);
    let mut it = datepart.split('-');
    let y = num(it.next()?)?;
    let m = num(it.next()?)?;
    let d = num(it.next()?)?;
    if it.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let mut ms = days_from_civil(y, m, d) * 86_400_000;
    if rest.is_empty() {
        return Some(ms);
    }
    let rest = rest.strip_prefix('T').or_else(|| rest.strip_prefix(' '))?;
    if rest.len() < 5 || !rest.is_char_boundary(5) {
        return None;
    }
    let (hm, mut tail) = rest.split_at(5);
    let h = num(hm.get(0..2)?)?;
    if hm.as_bytes().get(2) != Some(&b':') {
        return None;
    }
    let mi = num(hm.get(3..5)?)?;
    let mut sec = 0;
    let mut frac_ms = 0;
    if let Some(t) = tail.strip_prefix(':') {
        sec = num(t.get(0..2)?)?;
        tail = t.get(2..)?;
        if let Some(t) = tail.strip_prefix('.') {
            let digits: String = t.chars().take_while(|c| c.is_ascii_digit()).collect();
            if digits.is_empty() {
                return None;
            }
            let padded = format!("{:0<3}", &digits[..digits.len().min(3)]);
            frac_ms = num(&padded)?;
            tail = &t[digits.len()..];
        }
    }
    if h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    ms += h * 3_600_000 + mi * 60_000 + sec * 1000 + frac_ms;
    let offset = match tail {
        "Z" | "z" | "" => 0,
        _ => {
            let sign = match tail.as_bytes().first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return None,
            };
            let body: String = tail[1..].chars().filter(|c| *c != ':').collect();
            if body.len() != 4 {
                return None;
            }
            let oh = num(&body[0..2])?;
            let om = num(&body[2..4])?;
            sign * (oh * 3_600_000 + om * 60_000)
        }
    };
    Some(ms - offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let ms = parse_iso("2024-12-15T03:55:00.123Z").unwrap();
        assert_eq!(iso_ms(ms), "2024-12-15T03:55:00.123Z");
        assert_eq!(date(ms), "2024-12-15");
        assert_eq!(rfc3339_s(ms), "2024-12-15T03:55:00Z");
        assert_eq!(parse_iso("2024-12-15").unwrap(), ms_of_date(2024, 12, 15));
        assert_eq!(
            parse_iso("2024-12-15T05:55:00+02:00").unwrap(),
            parse_iso("2024-12-15T03:55:00Z").unwrap()
        );
        assert_eq!(
            parse_iso("2030-01-01T00:00:00+0000").unwrap(),
            parse_iso("2030-01-01T00:00:00Z").unwrap()
        );
        assert_eq!(iso_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_ms(1_780_272_000_007), "2026-06-01T00:00:00.007Z");
        assert_eq!(iso_ms(-1), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "yesterday",
            "2024-13-01",
            "2024-01-01T",
            "2024-01-01T10",
            "2024-01-01X",
            "2024-01-01T10:00:00Q",
            "éééééééééééé",
        ] {
            assert!(parse_iso(bad).is_none(), "{bad}");
        }
    }
}
