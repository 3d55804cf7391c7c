//! Writes the fuzz seed corpus: messages our own code encodes (samples.rs), one file per
//! message, prefixed with the fuzz target's selector byte.
//!   cargo run -p edgefusion-v2x --example fuzz_seeds -- nodes/v2x/fuzz/seeds

use edgefusion_v2x::samples::{self, spread_objects, Sender};

fn main() -> std::io::Result<()> {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "nodes/v2x/fuzz/seeds".into());
    std::fs::create_dir_all(&dir)?;
    let s = Sender::EXAMPLE;
    let cam = samples::cam(&s);
    let seeds: Vec<(&str, u8, Vec<u8>)> = vec![
        ("gn_cam", 0, samples::geonetworking_shb(&s, 2001, &cam)),
        (
            "gn_cpm_v1",
            0,
            samples::geonetworking_shb(&s, 2009, &samples::cpm_v1(&s, &spread_objects(4))),
        ),
        ("gn_denm", 0, samples::geonetworking_shb(&s, 2002, &samples::denm_v2(&s, 1))),
        ("btp_cam", 1, samples::geonetworking_shb(&s, 2001, &cam)[40..].to_vec()),
        ("cam", 2, cam.clone()),
        ("cpm_v1_1", 3, samples::cpm_v1(&s, &spread_objects(1))),
        ("cpm_v1_16", 3, samples::cpm_v1(&s, &spread_objects(16))),
        ("cpm_v2_1", 3, samples::cpm_v2(&s, &spread_objects(1))),
        ("cpm_v2_16", 3, samples::cpm_v2(&s, &spread_objects(16))),
        ("denm_v2", 4, samples::denm_v2(&s, 9)),
        ("bsm", 5, samples::bsm(0x0102_0304, 12_345, 490_110_000, 84_237_000, 500, 7200)),
        (
            "bsm_x2",
            5,
            [samples::bsm(1, 1, 0, 0, 0, 0), samples::bsm(2, 59_999, -1, 1, 8191, 28_800)].concat(),
        ),
    ];
    for (name, selector, bytes) in seeds {
        let mut file = vec![selector];
        file.extend_from_slice(&bytes);
        std::fs::write(format!("{dir}/{name}"), file)?;
    }
    Ok(())
}
