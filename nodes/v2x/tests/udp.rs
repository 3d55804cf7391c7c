//! The UDP receiver on loopback: datagrams come out as V2xPackets the node accepts.

use edgefusion_msgs::builtin_interfaces::Time;
use edgefusion_v2x::decode::{decode_frame, Input};
use edgefusion_v2x::message::Message;
use edgefusion_v2x::samples::{self, Sender};
use edgefusion_v2x::udp::UdpReceiver;
use edgefusion_v2x::V2xParams;
use std::net::UdpSocket;
use std::time::Duration;

#[test]
fn datagrams_become_packets() {
    let mut receiver =
        UdpReceiver::bind("127.0.0.1:0", Input::GeoNetworking, Some(Duration::from_secs(5)))
            .unwrap();
    let address = receiver.local_addr().unwrap();
    let s = Sender {
        station_id: 31,
        latitude: 490_110_000,
        longitude: 84_237_000,
        heading: 0,
        speed: 0,
        its_ms: 1,
    };
    let frame = samples::geonetworking_shb(&s, 2001, &samples::cam(&s));
    let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
    sender.send_to(&frame, address).unwrap();
    let stamp = Time { sec: 1_700_000_000, nanosec: 5 };
    let packet = receiver.recv(stamp).unwrap().expect("a datagram within the timeout");
    assert_eq!(packet.data, frame);
    assert_eq!(packet.encoding, 0);
    assert_eq!(packet.header.stamp, stamp);
    assert_eq!(packet.source, format!("udp://{}", sender.local_addr().unwrap()));
    let decoded =
        decode_frame(&packet.data, Input::from_encoding(packet.encoding).unwrap()).unwrap();
    assert!(matches!(decoded.message, Message::Cam(c) if c.header.station_id == 31));
}

#[test]
fn non_blocking_and_off() {
    let mut receiver =
        UdpReceiver::bind("127.0.0.1:0", Input::Uper(edgefusion_v2x::PayloadKind::Bsm), None)
            .unwrap();
    assert!(receiver.recv(Time::default()).unwrap().is_none(), "nothing sent: no packet, no wait");
    let params = V2xParams::default();
    assert!(UdpReceiver::from_params(&params, None).unwrap().is_none(), "udp_bind empty = off");
    let taken = receiver.local_addr().unwrap().to_string();
    let e = UdpReceiver::bind(&taken, Input::GeoNetworking, None).err().expect("port in use");
    assert!(e.to_string().contains(&taken), "{e}");
}
