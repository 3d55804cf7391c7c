//! The `edgefusion v2x decode` library function on the real fixture files.

use edgefusion_v2x::decode::{Input, PayloadKind};
use edgefusion_v2x::inspect::{decode_file, render_text, DecodeOptions};
use edgefusion_v2x::message::Message;

fn fixture(relative: &str) -> Option<Vec<u8>> {
    edgefusion_testdata::fixture(&format!("v2x/{relative}")).map(|p| std::fs::read(p).unwrap())
}

#[test]
fn all_128_bsms_of_the_concatenated_file() {
    let Some(bytes) = fixture("asn1_codec/j2735.MessageFrame.128.bsms.uper") else { return };
    for kind in [None, Some(Input::Uper(PayloadKind::Bsm))] {
        let report = decode_file(&bytes, &DecodeOptions { hex: false, kind }).unwrap();
        assert_eq!(report.input, "bsm");
        assert_eq!(report.messages.len(), 128);
        assert!(report.error.is_none());
        let text = render_text(&report);
        assert_eq!(text.lines().filter(|l| l.contains(" BSM id ")).count(), 128);
        assert!(text.contains("BSM id BEA10000 msgCnt 88 secMark 59299"), "{}", &text[..300]);
        let json: serde_json::Value = serde_json::to_value(&report).unwrap();
        assert_eq!(json["messages"][127]["message"]["kind"], "bsm");
    }
}

#[test]
fn hex_files_secured_cam_and_cpm() {
    let Some(golf) = fixture("vanetza/secured_cam_vw_golf8.hex") else { return };
    // Guessed: an IEEE 1609.2 envelope.
    let report = decode_file(&golf, &DecodeOptions { hex: true, kind: None }).unwrap();
    assert_eq!(report.input, "gn");
    let Message::Cam(cam) = &report.messages[0].message else { panic!("not a CAM") };
    assert_eq!(cam.header.station_id, 1_289_795_728);
    let text = render_text(&report);
    assert!(
        text.contains("1609.2 v3 signedData") && text.contains("CAM station 1289795728"),
        "{text}"
    );
    let json = serde_json::to_string(&report).unwrap();
    assert!(json.contains("\"destination_port\":2001"), "{json}");

    let Some(cpm) = fixture("vanetza/cpm_tr103562_one_object.hex") else { return };
    // messageID 255: nothing says it is a CPM, so guessing fails with advice...
    let e = decode_file(&cpm, &DecodeOptions { hex: true, kind: None }).unwrap_err();
    assert!(e.to_string().contains("--kind"), "{e}");
    // ... and --kind cpm decodes it.
    let report =
        decode_file(&cpm, &DecodeOptions { hex: true, kind: Some(Input::Uper(PayloadKind::Cpm)) })
            .unwrap();
    let text = render_text(&report);
    assert!(text.contains("object Some(12): x 500.00 m y 250.00 m"), "{text}");
    // Declaring the wrong kind is an error naming both.
    let e =
        decode_file(&golf, &DecodeOptions { hex: true, kind: Some(Input::Uper(PayloadKind::Bsm)) })
            .unwrap_err();
    assert!(e.to_string().contains("bsm"), "{e}");
}
