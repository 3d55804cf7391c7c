//! ITS time: TimestampIts, generationDeltaTime and J2735 DSecond against a receive time.
//!
//! TimestampIts (ETSI TS 102 894-2) counts milliseconds since 2004-01-01T00:00:00Z *including*
//! leap seconds (TAI-like): it is ahead of UTC by the leap seconds inserted since 2004 (5:
//! 2005-12-31, 2008-12-31, 2012-06-30, 2015-06-30, 2016-12-31; none announced since).
//!
//! generationDeltaTime is `TimestampIts mod 65536`. The receiver resolves it to the full time
//! nearest its own receive time: with `d = (gdt - rx) mod 65536` taken in [-32768, 32767], the
//! generation time is `rx + d`. That is exact as long as the true age lies within ±32.768 s;
//! a message delayed longer is resolved to the wrong 65.5-s cycle, but then it is stale (or
//! future-dated) under either reading and gets dropped all the same (max_age_s is ~1 s).
//! J2735's secMark (milliseconds within the UTC minute) is resolved the same way modulo 60000.

/// Unix time (ms) of the ITS epoch 2004-01-01T00:00:00Z.
pub const ITS_EPOCH_UNIX_MS: i64 = 1_072_915_200_000;
/// Leap seconds between 2004 and now, by which TimestampIts runs ahead of UTC.
pub const LEAP_SECONDS_SINCE_2004: i64 = 5;

/// TimestampIts (ms) of a Unix time in ns.
pub fn its_ms_from_unix_ns(unix_ns: i64) -> i64 {
    unix_ns.div_euclid(1_000_000) - ITS_EPOCH_UNIX_MS + LEAP_SECONDS_SINCE_2004 * 1000
}

/// Unix time (ns) of a TimestampIts (ms).
pub fn unix_ns_from_its_ms(its_ms: i64) -> i64 {
    (its_ms + ITS_EPOCH_UNIX_MS - LEAP_SECONDS_SINCE_2004 * 1000).saturating_mul(1_000_000)
}

/// The full TimestampIts (ms) of a generationDeltaTime received at `receive_its_ms`.
pub fn resolve_generation_delta_time(gdt: u16, receive_its_ms: i64) -> i64 {
    receive_its_ms + nearest_delta(i64::from(gdt), receive_its_ms, 65_536)
}

/// The Unix time (ns) of a J2735 secMark received at `receive_unix_ns`; None for the
/// unavailable value 65535 and the leap-second values 60000..65534.
pub fn resolve_sec_mark(sec_mark: u16, receive_unix_ns: i64) -> Option<i64> {
    if sec_mark >= 60_000 {
        return None;
    }
    let rx_ms = receive_unix_ns.div_euclid(1_000_000);
    Some((rx_ms + nearest_delta(i64::from(sec_mark), rx_ms, 60_000)) * 1_000_000)
}

/// `d` with `value ≡ reference + d (mod modulus)` and `-modulus/2 <= d < modulus/2`.
fn nearest_delta(value: i64, reference: i64, modulus: i64) -> i64 {
    let d = (value - reference).rem_euclid(modulus);
    if d >= modulus / 2 {
        d - modulus
    } else {
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2019-11-21T13:27:54.447061Z, the generation time in the VW Golf 8 CAM's TS 103 097
    /// header; its CAM says generationDeltaTime 12476 (fixture sidecar).
    const GOLF_UNIX_NS: i64 = 1_574_342_874_447_061_000;

    #[test]
    fn generation_delta_time_of_the_golf_cam() {
        // time64 in the envelope is TAI-based microseconds since 2004 (501427679447061).
        let its_ms = its_ms_from_unix_ns(GOLF_UNIX_NS);
        assert_eq!(its_ms, 501_427_679_447);
        // The CAM inside says generationDeltaTime 12476: it was generated 27 ms before it was
        // signed. Received at signing time, 150 ms or 30 s later, it resolves to that instant.
        assert_eq!(its_ms % 65_536, 12_503);
        for after_ms in [0, 150, 30_000] {
            assert_eq!(resolve_generation_delta_time(12_476, its_ms + after_ms), its_ms - 27);
        }
        // Received with the receiver's clock 200 ms behind: resolves forward, not 65 s back.
        assert_eq!(resolve_generation_delta_time(12_476, its_ms - 227), its_ms - 27);
        assert_eq!(unix_ns_from_its_ms(its_ms), GOLF_UNIX_NS / 1_000_000 * 1_000_000);
    }

    #[test]
    fn wrap_of_the_16_bit_modulo() {
        // Generated just before the counter wraps, received just after.
        let generated = 65_536 * 1000 + 65_500;
        let received = 65_536 * 1001 + 20;
        assert_eq!(resolve_generation_delta_time(65_500, received), generated);
        // And the other way: generated just after a wrap, received (clock behind) just before.
        assert_eq!(resolve_generation_delta_time(10, 65_536 * 1001 - 30), 65_536 * 1001 + 10);
    }

    #[test]
    fn sec_mark_across_the_minute() {
        let minute = 1_700_000_040_000i64; // a whole minute in Unix ms
        assert_eq!(minute % 60_000, 0);
        // secMark 59900 received 200 ms into the next minute: 300 ms old.
        let rx = (minute + 200) * 1_000_000;
        assert_eq!(resolve_sec_mark(59_900, rx), Some((minute - 100) * 1_000_000));
        assert_eq!(resolve_sec_mark(65_535, rx), None);
    }
}
