//! The command line on bad input: a non-zero exit and an error that names the file and the
//! place in it; and `--skip-corrupt` carrying on past a damaged chunk.

use std::path::Path;
use std::process::Output;

mod common;
use common::{edgefusion, stderr};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

/// `edgefusion bag convert kitti INPUT -o OUTPUT EXTRA...`
fn convert_kitti(input: &Path, output: &Path, extra: &[&str]) -> Output {
    let mut args =
        vec!["bag", "convert", "kitti", input.to_str().unwrap(), "-o", output.to_str().unwrap()];
    args.extend_from_slice(extra);
    edgefusion(&args)
}

/// Converts the ten lidar-only KITTI frames into an uncompressed MCAP with several chunks.
fn lidar_bag(dir: &Path) -> Option<std::path::PathBuf> {
    let input = edgefusion_testdata::fixture("kitti_lidar_only")?;
    let bag = dir.join("lidar");
    let out = convert_kitti(&input, &bag, &["--compression", "none"]);
    assert!(out.status.success(), "{}", stderr(&out));
    Some(bag)
}

#[test]
fn info_on_a_directory_without_metadata_names_the_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = edgefusion(&["bag", "info", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("metadata.yaml"), "{}", stderr(&out));
}

#[test]
fn info_on_a_truncated_bag_reads_the_complete_chunks_and_says_what_was_lost() {
    let dir = tempfile::tempdir().unwrap();
    let Some(bag) = lidar_bag(dir.path()) else { return };
    let file = bag.join("lidar_0.mcap");
    let bytes = std::fs::read(&file).unwrap();
    std::fs::write(&file, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let out = edgefusion(&["bag", "info", bag.to_str().unwrap(), "--json"]);
    // A recorder killed mid-write leaves exactly this: the complete chunks stay readable.
    assert!(out.status.success(), "{}", stderr(&out));
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let count = info["message_count"].as_u64().unwrap();
    assert!(count > 0 && count < 10, "{count} of 10 frames readable");
    let tails = info["unreadable_tails"].as_array().unwrap();
    assert_eq!(tails.len(), 1, "{info}");
    assert!(tails[0][0].as_str().unwrap().ends_with("lidar_0.mcap"));
    assert!(tails[0][1].as_u64().unwrap() > 0);
}

#[test]
fn play_stops_at_a_corrupt_chunk_unless_told_to_skip_it() {
    let dir = tempfile::tempdir().unwrap();
    let Some(bag) = lidar_bag(dir.path()) else { return };
    let file = bag.join("lidar_0.mcap");
    let mut bytes = std::fs::read(&file).unwrap();
    let middle = bytes.len() / 2;
    for b in &mut bytes[middle..middle + 64] {
        *b ^= 0x5a;
    }
    std::fs::write(&file, &bytes).unwrap();

    let strict = edgefusion(&["bag", "play", "--fast", bag.to_str().unwrap()]);
    assert_eq!(strict.status.code(), Some(1), "{}", stderr(&strict));
    let message = stderr(&strict);
    assert!(message.contains("lidar_0.mcap") && message.contains("offset"), "{message}");

    let lenient = edgefusion(&["bag", "play", "--fast", "--skip-corrupt", bag.to_str().unwrap()]);
    assert!(lenient.status.success(), "{}", stderr(&lenient));
    let report = stderr(&lenient);
    assert!(report.contains("corrupt"), "{report}");
    let published: u64 = report
        .lines()
        .filter_map(|l| {
            l.strip_prefix("published ")?.split_whitespace().next()?.parse::<u64>().ok()
        })
        .sum();
    assert!(published > 0 && published < 11, "{report}");
}

#[test]
fn convert_names_the_calib_line_that_is_malformed() {
    let Some(frame) = edgefusion_testdata::fixture("kitti/000008") else { return };
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("000008");
    copy_dir(&frame, &input);
    let calib = std::fs::read_to_string(input.join("calib.txt")).unwrap();
    let broken: Vec<String> = calib
        .lines()
        .map(|l| {
            if l.starts_with("Tr_velo_to_cam:") {
                l.rsplit_once(' ').unwrap().0.to_string()
            } else {
                l.into()
            }
        })
        .collect();
    std::fs::write(input.join("calib.txt"), broken.join("\n")).unwrap();
    let out = convert_kitti(&input, &dir.path().join("bag"), &[]);
    assert_eq!(out.status.code(), Some(1));
    let message = stderr(&out);
    assert!(message.contains("calib.txt:6") && message.contains("Tr_velo_to_cam"), "{message}");
}

#[test]
fn bad_arguments_are_refused_with_the_reason() {
    let out = edgefusion(&["bag", "play", "x", "--remap", "nocolon"]);
    assert_ne!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("FROM:=TO"), "{}", stderr(&out));
    let out =
        edgefusion(&["bag", "convert", "kitti", "/nonexistent", "-o", "/tmp/x", "--rate", "0"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--rate"), "{}", stderr(&out));
}

#[test]
fn v2x_decode_prints_every_bsm_of_a_concatenated_file() {
    let Some(dir) = edgefusion_testdata::fixture("v2x/asn1_codec") else { return };
    let file = dir.join("j2735.MessageFrame.128.bsms.uper");
    let out = edgefusion(&["v2x", "decode", file.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let messages = report["messages"].as_array().unwrap();
    // index.json of the fixture lists 128 frames.
    assert_eq!(messages.len(), 128);
    let text = edgefusion(&["v2x", "decode", file.to_str().unwrap()]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.starts_with("16000 bytes read as bsm: 128 message(s)\n"), "{text}");
    // The first BSM's fields as the fixture's XER states them (id BEA10000, msgCnt 88).
    assert!(text.contains("#0 @0 BSM id BEA10000 msgCnt 88 secMark 59299"), "{text}");

    let out = edgefusion(&["v2x", "decode", file.to_str().unwrap(), "--kind", "xml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--kind xml: expected gn, btp, cam, cpm, denm or bsm"));
}
