//! The decoding entry point on arbitrary bytes. The first byte selects what the rest is
//! declared as (GeoNetworking, BTP, bare CAM/CPM/DENM/BSM), like the V2xPacket encoding does.
//! Uses the unguarded decoder: a panic in a decoding crate must show up here.
#![no_main]

use edgefusion_v2x::decode::{decode_bsm_stream, decode_frame_unguarded, Input, PayloadKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else { return };
    let input = Input::from_fuzz_selector(selector);
    let _ = decode_frame_unguarded(bytes, input);
    if input == Input::Uper(PayloadKind::Bsm) {
        let _ = decode_bsm_stream(bytes);
    }
});
