//! Decoding of the real V2X vectors in `../shared/fixtures/v2x`: every value their sidecars
//! state (vanetza's test assertions and independent asn1tools decodes; asn1_codec's XER) must
//! come out of our decoder.

use edgefusion_v2x::decode::{decode_bsm_stream, decode_frame, Input, PayloadKind};
use edgefusion_v2x::message::{Bsm, Cam, Cpm, Message};
use serde_json::Value;
use std::path::PathBuf;

fn fixture(relative: &str) -> Option<PathBuf> {
    edgefusion_testdata::fixture(&format!("v2x/{relative}"))
}

fn hex_file(path: &PathBuf) -> Vec<u8> {
    let text = std::fs::read_to_string(path).unwrap();
    let digits: Vec<u8> = text.bytes().filter(|b| b.is_ascii_hexdigit()).collect();
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
        .collect()
}

fn json(path: &PathBuf) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("not an integer: {v}"))
}

fn cpm(data: &[u8]) -> Cpm {
    match decode_frame(data, Input::Uper(PayloadKind::Cpm)).unwrap().message {
        Message::Cpm(cpm) => cpm,
        other => panic!("not a CPM: {other:?}"),
    }
}

#[test]
fn cpm_plain_equals_vanetza_assertions() {
    let Some(dir) = fixture("vanetza") else { return };
    let data = hex_file(&dir.join("cpm_tr103562_plain.hex"));
    let sidecar = json(&dir.join("cpm_tr103562_plain.json"));
    let cpm = cpm(&data);
    let p = &cpm.reference_position;
    let ours: Vec<(&str, Value)> = vec![
        ("header.protocolVersion", cpm.header.protocol_version.into()),
        ("header.messageID", cpm.header.message_id.into()),
        ("header.stationID", cpm.header.station_id.into()),
        ("cpm.generationDeltaTime", cpm.generation_delta_time.unwrap().into()),
        ("cpm.cpmParameters.numberOfPerceivedObjects", cpm.number_of_perceived_objects.into()),
        ("cpm.cpmParameters.managementContainer.stationType", cpm.station_type.unwrap().into()),
    ];
    let asserted = &sidecar["asserted_by_test"];
    for (key, value) in ours {
        assert_eq!(asserted[key], value, "{key}");
    }
    let prefix = "cpm.cpmParameters.managementContainer.referencePosition.";
    let position: Vec<(&str, Value)> = vec![
        ("latitude", p.latitude.into()),
        ("longitude", p.longitude.into()),
        ("altitude.altitudeValue", p.altitude.into()),
        ("altitude.altitudeConfidence", p.altitude_confidence.clone().into()),
        ("positionConfidenceEllipse.semiMajorConfidence", p.semi_major_confidence.into()),
        ("positionConfidenceEllipse.semiMinorConfidence", p.semi_minor_confidence.into()),
        ("positionConfidenceEllipse.semiMajorOrientation", p.semi_major_orientation.into()),
    ];
    for (key, value) in position {
        assert_eq!(asserted[format!("{prefix}{key}")], value, "{key}");
    }
    assert!(cpm.objects.is_empty());
    assert_eq!(cpm.standard, "TR 103 562 v2.1.1");
}

#[test]
fn cpm_one_object_equals_vanetza_assertions_and_reencodes() {
    let Some(dir) = fixture("vanetza") else { return };
    let data = hex_file(&dir.join("cpm_tr103562_one_object.hex"));
    let sidecar = json(&dir.join("cpm_tr103562_one_object.json"));
    let a = &sidecar["asserted_by_test"];
    let cpm = cpm(&data);
    assert_eq!(a["cpm.cpmParameters.perceivedObjectContainer.present"], true);
    assert_eq!(
        int(&a["cpm.cpmParameters.perceivedObjectContainer.count"]),
        cpm.objects.len() as i64
    );
    let o = &cpm.objects[0];
    assert_eq!(int(&a["object[0].objectID"]), i64::from(o.object_id.unwrap()));
    assert_eq!(int(&a["object[0].timeOfMeasurement"]), i64::from(o.time_of_measurement));
    assert_eq!(int(&a["object[0].objectAge"]), i64::from(o.object_age.unwrap()));
    assert_eq!(int(&a["object[0].objectConfidence"]), i64::from(o.object_confidence.unwrap()));
    assert_eq!(int(&a["object[0].xDistance.value"]), i64::from(o.x_distance.value));
    assert_eq!(int(&a["object[0].xDistance.confidence"]), i64::from(o.x_distance.confidence));
    assert_eq!(int(&a["object[0].yDistance.value"]), i64::from(o.y_distance.value));
    assert_eq!(int(&a["object[0].yDistance.confidence"]), i64::from(o.y_distance.confidence));
    assert_eq!(a["object[0].zDistance.present"], o.z_distance.is_some());
    let (xs, ys) = (o.x_speed.unwrap(), o.y_speed.unwrap());
    assert_eq!(int(&a["object[0].xSpeed.value"]), i64::from(xs.value));
    assert_eq!(int(&a["object[0].xSpeed.confidence"]), i64::from(xs.confidence));
    assert_eq!(int(&a["object[0].ySpeed.value"]), i64::from(ys.value));
    assert_eq!(int(&a["object[0].ySpeed.confidence"]), i64::from(ys.confidence));
    // The sidecar's independent decode: management container values.
    let management =
        &sidecar["decoded_independently"]["value"]["cpm"]["cpmParameters"]["managementContainer"];
    assert_eq!(
        int(&management["referencePosition"]["latitude"]),
        i64::from(cpm.reference_position.latitude)
    );
    assert_eq!(int(&management["stationType"]), i64::from(cpm.station_type.unwrap()));
    // vanetza's roundtrip test: decode then encode gives the same bytes.
    assert_eq!(a["roundtrip_reencode_equals_input"], true);
    let pdu: c_its_parser::standards::cpm_1::cpm_pdu_descriptions::CPM =
        rasn::uper::decode(&data).unwrap();
    assert_eq!(rasn::uper::encode(&pdu).unwrap(), data);
}

/// Compares a decoded CAM with the sidecar's independent decode (`decoded_independently.cam`).
fn assert_cam_equals(cam: &Cam, expected: &Value) {
    let header = &expected["header"];
    assert_eq!(int(&header["protocolVersion"]), i64::from(cam.header.protocol_version));
    assert_eq!(int(&header["messageID"]), i64::from(cam.header.message_id));
    assert_eq!(int(&header["stationID"]), i64::from(cam.header.station_id));
    let body = &expected["cam"];
    assert_eq!(int(&body["generationDeltaTime"]), i64::from(cam.generation_delta_time));
    let basic = &body["camParameters"]["basicContainer"];
    assert_eq!(int(&basic["stationType"]), i64::from(cam.station_type));
    let position = &basic["referencePosition"];
    let p = &cam.reference_position;
    assert_eq!(int(&position["latitude"]), i64::from(p.latitude));
    assert_eq!(int(&position["longitude"]), i64::from(p.longitude));
    let ellipse = &position["positionConfidenceEllipse"];
    assert_eq!(int(&ellipse["semiMajorConfidence"]), i64::from(p.semi_major_confidence));
    assert_eq!(int(&ellipse["semiMinorConfidence"]), i64::from(p.semi_minor_confidence));
    assert_eq!(int(&ellipse["semiMajorOrientation"]), i64::from(p.semi_major_orientation));
    assert_eq!(int(&position["altitude"]["altitudeValue"]), i64::from(p.altitude));
    assert_eq!(position["altitude"]["altitudeConfidence"], p.altitude_confidence.as_str());
    let hf = &body["camParameters"]["highFrequencyContainer"]["basicVehicleContainerHighFrequency"];
    let heading = cam.heading.unwrap();
    assert_eq!(int(&hf["heading"]["headingValue"]), i64::from(heading.value));
    assert_eq!(int(&hf["heading"]["headingConfidence"]), i64::from(heading.confidence));
    let speed = cam.speed.unwrap();
    assert_eq!(int(&hf["speed"]["speedValue"]), i64::from(speed.value));
    assert_eq!(int(&hf["speed"]["speedConfidence"]), i64::from(speed.confidence));
    assert_eq!(hf["driveDirection"], cam.drive_direction.clone().unwrap().as_str());
    assert_eq!(
        int(&hf["vehicleLength"]["vehicleLengthValue"]),
        i64::from(cam.vehicle_length.unwrap())
    );
    assert_eq!(int(&hf["vehicleWidth"]), i64::from(cam.vehicle_width.unwrap()));
    assert_eq!(int(&hf["yawRate"]["yawRateValue"]), i64::from(cam.yaw_rate.unwrap()));
}

fn check_secured_cam(name: &str) {
    let Some(dir) = fixture("vanetza") else { return };
    let data = hex_file(&dir.join(format!("{name}.hex")));
    let sidecar = json(&dir.join(format!("{name}.json")));
    let independent = &sidecar["decoded_independently"];
    assert_eq!(sidecar["asserted_by_test"]["decodes"], true);
    // As stored: the TS 103 097 envelope without a GeoNetworking basic header; and as a full
    // GeoNetworking packet (basic header: version 1, next header 2 = secured packet).
    let mut with_basic = vec![0x12, 0x00, 0x1a, 0x01];
    with_basic.extend_from_slice(&data);
    for frame in [&data, &with_basic] {
        let decoded = decode_frame(frame, Input::GeoNetworking).unwrap();
        let security = decoded.envelope.security.as_ref().unwrap();
        assert_eq!(
            int(&sidecar["asserted_by_test"]["protocol_version"]),
            i64::from(security.protocol_version)
        );
        assert_eq!(independent["envelope"]["content"], security.content);
        let gn = decoded.envelope.geonetworking.as_ref().unwrap();
        let expected_gn = &independent["geonetworking"];
        assert_eq!(gn.header_type, "SHB");
        assert_eq!(int(&expected_gn["traffic_class"]), i64::from(gn.traffic_class));
        assert_eq!(int(&expected_gn["payload_length"]), i64::from(gn.payload_length));
        assert_eq!(int(&expected_gn["max_hop_limit"]), i64::from(gn.max_hop_limit));
        let source = gn.source.as_ref().unwrap();
        let spv = &expected_gn["shb_source_position_vector"];
        assert_eq!(int(&spv["station_type"]), i64::from(source.station_type));
        assert_eq!(int(&spv["timestamp_ms_mod_2_32"]), i64::from(source.timestamp_ms));
        assert_eq!(int(&spv["latitude_1e-7_deg"]), i64::from(source.latitude));
        assert_eq!(int(&spv["longitude_1e-7_deg"]), i64::from(source.longitude));
        let btp = decoded.envelope.btp.unwrap();
        assert_eq!(int(&independent["btp_b"]["destination_port"]), i64::from(btp.destination_port));
        assert_eq!(int(&independent["btp_b"]["destination_port_info"]), i64::from(btp.port_info));
        let Message::Cam(cam) = &decoded.message else {
            panic!("not a CAM: {:?}", decoded.message)
        };
        assert_cam_equals(cam, &independent["cam"]);
    }
    // The bare CAM the sidecar extracted decodes to the same values as bare UPER too.
    let cam_hex = independent["cam_uper_hex"].as_str().unwrap();
    let start = data
        .windows(cam_hex.len() / 2)
        .position(|w| w.iter().map(|b| format!("{b:02x}")).collect::<String>() == cam_hex);
    let start = start.expect("CAM bytes inside the envelope");
    let bare = &data[start..start + cam_hex.len() / 2];
    let Message::Cam(cam) = decode_frame(bare, Input::Uper(PayloadKind::Cam)).unwrap().message
    else {
        panic!("not a CAM")
    };
    assert_cam_equals(&cam, &independent["cam"]);
}

#[test]
fn secured_cam_vw_golf8_unwraps_and_equals_sidecar() {
    check_secured_cam("secured_cam_vw_golf8");
}

#[test]
fn secured_message_v3_deserialize_unwraps_and_equals_sidecar() {
    check_secured_cam("secured_message_v3_deserialize");
}

/// The core data of each `<MessageFrame>` in an asn1_codec XER file.
fn xer_frames(text: &str) -> Vec<Vec<(String, String)>> {
    // The 128-frame file is MessageFrame elements back to back: give them one root.
    let text = format!("<frames>{text}</frames>");
    let doc = roxmltree::Document::parse(&text).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("MessageFrame"))
        .map(|frame| {
            let mut fields = Vec::new();
            let id = frame.children().find(|c| c.has_tag_name("messageId")).unwrap();
            fields.push(("messageId".to_string(), id.text().unwrap().trim().to_string()));
            let core = frame.descendants().find(|c| c.has_tag_name("coreData")).unwrap();
            for leaf in core.descendants().filter(|n| n.is_element() && n != &core) {
                let elements: Vec<_> = leaf.children().filter(|c| c.is_element()).collect();
                let path = leaf
                    .ancestors()
                    .take_while(|a| a != &core)
                    .map(|a| a.tag_name().name())
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect::<Vec<_>>()
                    .join(".");
                let text: String = leaf.text().unwrap_or("").split_whitespace().collect();
                match elements.as_slice() {
                    // An enumerated value: `<transmission><unavailable/></transmission>`.
                    [only] if !only.children().any(|c| c.is_element() || c.is_text()) => {
                        fields.push((path, only.tag_name().name().to_string()))
                    }
                    [] if !text.is_empty() => fields.push((path, text)),
                    _ => {}
                }
            }
            fields
        })
        .collect()
}

/// Our decode in the XER's paths and spelling.
fn bsm_fields(b: &Bsm) -> Vec<(String, String)> {
    let mut f: Vec<(&str, String)> = vec![
        ("messageId", b.message_id.to_string()),
        ("msgCnt", b.msg_cnt.to_string()),
        ("id", b.id.clone()),
        ("secMark", b.sec_mark.to_string()),
        ("lat", b.lat.to_string()),
        ("long", b.long.to_string()),
        ("elev", b.elev.to_string()),
        ("accuracy.semiMajor", b.accuracy_semi_major.to_string()),
        ("accuracy.semiMinor", b.accuracy_semi_minor.to_string()),
        ("accuracy.orientation", b.accuracy_orientation.to_string()),
        ("transmission", b.transmission.clone()),
        ("speed", b.speed.to_string()),
        ("heading", b.heading.to_string()),
        ("angle", b.angle.to_string()),
        ("accelSet.long", b.accel_long.to_string()),
        ("accelSet.lat", b.accel_lat.to_string()),
        ("accelSet.vert", b.accel_vert.to_string()),
        ("accelSet.yaw", b.accel_yaw.to_string()),
        ("brakes.wheelBrakes", b.wheel_brakes.clone()),
        ("brakes.traction", b.traction.clone()),
        ("brakes.abs", b.abs.clone()),
        ("brakes.scs", b.scs.clone()),
        ("brakes.brakeBoost", b.brake_boost.clone()),
        ("brakes.auxBrakes", b.aux_brakes.clone()),
        ("size.width", b.width.to_string()),
        ("size.length", b.length.to_string()),
    ];
    f.sort();
    f.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

fn normalized(mut fields: Vec<(String, String)>) -> Vec<(String, String)> {
    for (key, value) in &mut fields {
        if key == "id" {
            value.retain(|c| !c.is_whitespace());
        }
    }
    fields.sort();
    fields
}

#[test]
fn single_bsm_equals_xml() {
    let Some(dir) = fixture("asn1_codec") else { return };
    let data = std::fs::read(dir.join("j2735.MessageFrame.Bsm.uper")).unwrap();
    let xml = std::fs::read_to_string(dir.join("j2735.MessageFrame.Bsm.xml")).unwrap();
    let expected = xer_frames(&xml);
    assert_eq!(expected.len(), 1);
    let Message::Bsm(bsm) = decode_frame(&data, Input::Uper(PayloadKind::Bsm)).unwrap().message
    else {
        panic!("not a BSM")
    };
    assert_eq!(bsm_fields(&bsm), normalized(expected[0].clone()));
    assert_eq!(bsm.part_ii_count, 1);
}

#[test]
fn all_128_bsms_equal_xer_and_index() {
    let Some(dir) = fixture("asn1_codec") else { return };
    let data = std::fs::read(dir.join("j2735.MessageFrame.128.bsms.uper")).unwrap();
    let xer = std::fs::read_to_string(dir.join("j2735.MessageFrame.128.bsms.xer")).unwrap();
    let index = json(&dir.join("j2735.MessageFrame.128.bsms.index.json"));
    let expected = xer_frames(&xer);
    let (decoded, error) = decode_bsm_stream(&data);
    assert!(error.is_none(), "{error:?}");
    assert_eq!(decoded.len(), 128);
    assert_eq!(expected.len(), 128);
    let frames = index["frames"].as_array().unwrap();
    for (i, ((offset, bsm), xer)) in decoded.iter().zip(expected).enumerate() {
        assert_eq!(bsm_fields(bsm), normalized(xer), "frame {i}");
        assert_eq!(int(&frames[i]["offset"]), *offset as i64, "frame {i} offset");
        assert_eq!(frames[i]["partII_present"], bsm.part_ii_count > 0, "frame {i}");
        assert_eq!(frames[i]["regional_present"], bsm.regional_count > 0, "frame {i}");
    }
}
