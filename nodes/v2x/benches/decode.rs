//! Decode rate of the V2X decoding entry point (`decode_frame`), per message kind:
//! messages/s and p50/p99 per message, single thread.
//!   cargo bench -p edgefusion-v2x            (EDGEFUSION_BENCH_SECONDS per case, default 2)
//!   cargo bench -p edgefusion-v2x -- --write-inputs DIR   (also writes the inputs, for peers)
//!
//! Inputs are encoded by our own code (samples.rs): CPMs with 64 objects in both releases, a
//! CAM (bare and in GeoNetworking + BTP), a BSM; plus the 128 real BSMs of the asn1_codec
//! fixture when the fixtures are present.

use edgefusion_v2x::decode::{decode_bsm_stream, decode_frame, Input, PayloadKind};
use edgefusion_v2x::samples::{self, spread_objects, Sender};
use std::time::{Duration, Instant};

fn main() {
    let seconds: f64 =
        std::env::var("EDGEFUSION_BENCH_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(2.0);
    let args: Vec<String> = std::env::args().collect();
    let write_dir =
        args.iter().position(|a| a == "--write-inputs").and_then(|i| args.get(i + 1)).cloned();
    let s = Sender::EXAMPLE;
    let cam = samples::cam(&s);
    let mut cases: Vec<(String, Input, Vec<u8>)> = vec![
        (
            "cpm_v1_64_objects".into(),
            Input::Uper(PayloadKind::Cpm),
            samples::cpm_v1(&s, &spread_objects(64)),
        ),
        (
            "cpm_v2_64_objects".into(),
            Input::Uper(PayloadKind::Cpm),
            samples::cpm_v2(&s, &spread_objects(64)),
        ),
        (
            "cpm_v2_1_object".into(),
            Input::Uper(PayloadKind::Cpm),
            samples::cpm_v2(&s, &spread_objects(1)),
        ),
        ("cam".into(), Input::Uper(PayloadKind::Cam), cam.clone()),
        ("cam_in_gn_btp".into(), Input::GeoNetworking, samples::geonetworking_shb(&s, 2001, &cam)),
        (
            "bsm".into(),
            Input::Uper(PayloadKind::Bsm),
            samples::bsm(0x0102_0304, 12_345, 490_110_000, 84_237_000, 500, 7200),
        ),
    ];
    if let Some(dir) = edgefusion_testdata::fixture("v2x/asn1_codec") {
        if let Ok(stream) = std::fs::read(dir.join("j2735.MessageFrame.128.bsms.uper")) {
            let (frames, _) = decode_bsm_stream(&stream);
            let first_long =
                frames.iter().map(|(o, _)| *o).zip(frames.iter().skip(1).map(|(o, _)| *o)).next();
            if let Some((start, end)) = first_long {
                cases.push((
                    "bsm_asn1_codec_with_path_history".into(),
                    Input::Uper(PayloadKind::Bsm),
                    stream[start..end].to_vec(),
                ));
            }
        }
    }
    if let Some(dir) = &write_dir {
        std::fs::create_dir_all(dir).expect("create --write-inputs dir");
    }
    println!(
        "{:<34} {:>6} {:>12} {:>10} {:>10}",
        "case", "bytes", "messages/s", "p50 us", "p99 us"
    );
    for (name, input, bytes) in &cases {
        if let Some(dir) = &write_dir {
            std::fs::write(format!("{dir}/{name}.uper"), bytes).expect("write input");
        }
        decode_frame(bytes, *input).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut samples_ns = Vec::new();
        let start = Instant::now();
        let budget = Duration::from_secs_f64(seconds);
        while start.elapsed() < budget {
            let t = Instant::now();
            let decoded = decode_frame(std::hint::black_box(bytes), *input);
            samples_ns.push(t.elapsed().as_nanos() as u64);
            std::hint::black_box(decoded.is_ok());
        }
        let total = start.elapsed().as_secs_f64();
        samples_ns.sort_unstable();
        let pct = |p: f64| samples_ns[((samples_ns.len() - 1) as f64 * p) as usize] as f64 / 1000.0;
        println!(
            "{:<34} {:>6} {:>12.0} {:>10.2} {:>10.2}",
            name,
            bytes.len(),
            samples_ns.len() as f64 / total,
            pct(0.5),
            pct(0.99)
        );
    }
}
