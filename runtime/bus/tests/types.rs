//! One type per topic, and type-erased endpoints.

use std::any::{type_name, Any, TypeId};
use std::sync::Arc;

use edgefusion_bus::{Bus, BusError, Qos};

#[derive(Debug, PartialEq)]
struct Image {
    width: u32,
}

#[test]
fn type_mismatch_names_topic_and_both_types() {
    let bus = Bus::new();
    let _p = bus.publisher::<Image>("/camera").unwrap();
    let err = bus.subscribe::<String>("/camera", Qos::reliable()).unwrap_err();
    assert_eq!(
        err,
        BusError::TypeMismatch {
            topic: "/camera".into(),
            existing: type_name::<Image>(),
            requested: type_name::<String>(),
        }
    );
    let text = err.to_string();
    assert!(text.contains("/camera") && text.contains("Image") && text.contains("String"));
    // The first *subscriber* fixes the type too.
    let _s = bus.subscribe::<u64>("/odom", Qos::reliable()).unwrap();
    assert!(matches!(bus.publisher::<u32>("/odom"), Err(BusError::TypeMismatch { .. })));
    assert!(matches!(
        bus.publisher_any("/odom", TypeId::of::<u32>(), "u32"),
        Err(BusError::TypeMismatch { .. })
    ));
    assert!(matches!(bus.publisher::<u8>(""), Err(BusError::InvalidTopic { .. })));
}

#[test]
fn type_erased_and_typed_endpoints_interoperate() {
    let bus = Bus::new();
    // A recorder subscribes before the topic has a type.
    let recorder = bus.subscribe_any("/camera", Qos::reliable()).unwrap();
    assert_eq!(recorder.type_name(), None);
    let typed = bus.subscribe::<Image>("/camera", Qos::reliable()).unwrap();
    // A bag player publishes type-erased under a ROS-style name.
    let player =
        bus.publisher_any("/camera", TypeId::of::<Image>(), "sensor_msgs/msg/Image").unwrap();
    assert_eq!(player.type_name(), type_name::<Image>(), "first endpoint named it");
    let typed_pub = bus.publisher::<Image>("/camera").unwrap();

    let frame: Arc<dyn Any + Send + Sync> = Arc::new(Image { width: 640 });
    player.publish(frame.clone()).unwrap();
    typed_pub.publish(Image { width: 320 }).unwrap();

    let got = typed.recv().unwrap();
    assert_eq!(got.width, 640);
    assert!(std::ptr::addr_eq(Arc::as_ptr(&got), Arc::as_ptr(&frame)));
    assert_eq!(typed.recv().unwrap().width, 320);

    for width in [640, 320] {
        let msg = recorder.recv().unwrap();
        assert_eq!(msg.type_name, type_name::<Image>());
        assert_eq!(msg.payload_type_id(), TypeId::of::<Image>());
        assert_eq!(msg.downcast::<Image>().unwrap().width, width);
        assert!(msg.downcast::<String>().is_none());
    }
    assert_eq!(recorder.type_name(), Some(type_name::<Image>()));
}

#[test]
fn type_erased_publisher_rejects_wrong_payload() {
    let bus = Bus::new();
    let sub = bus.subscribe::<Image>("/camera", Qos::reliable()).unwrap();
    let player = bus.publisher_any("/camera", TypeId::of::<Image>(), "Image").unwrap();
    let wrong: Arc<dyn Any + Send + Sync> = Arc::new(String::from("not an image"));
    assert_eq!(
        player.publish(wrong),
        Err(BusError::PayloadTypeMismatch {
            topic: "/camera".into(),
            expected: type_name::<Image>(),
        })
    );
    assert_eq!(sub.try_recv().unwrap(), None);
    assert_eq!(bus.topics()[0].published, 0);
}

#[test]
fn first_type_erased_publisher_names_the_topic() {
    let bus = Bus::new();
    let player = bus
        .publisher_any("/v2x/packets", TypeId::of::<Vec<u8>>(), "edgefusion_msgs/msg/V2xPacket")
        .unwrap();
    let recorder = bus.subscribe_any("/v2x/packets", Qos::reliable()).unwrap();
    let typed = bus.subscribe::<Vec<u8>>("/v2x/packets", Qos::reliable()).unwrap();
    player.publish(Arc::new(vec![1u8, 2, 3])).unwrap();
    assert_eq!(*typed.recv().unwrap(), vec![1, 2, 3]);
    assert_eq!(recorder.recv().unwrap().type_name, "edgefusion_msgs/msg/V2xPacket");
    assert_eq!(bus.topics()[0].type_name, Some("edgefusion_msgs/msg/V2xPacket"));
}

#[test]
fn type_erased_subscribers_see_the_publish_stamp() {
    let bus = Bus::new();
    let sub = bus.subscribe_any("/clocked", Qos::reliable()).unwrap();
    let publisher = bus.publisher::<u32>("/clocked").unwrap();
    publisher.publish_at(7, 1_585_866_235_112_411_371).unwrap();
    publisher.publish(8).unwrap();
    let first = sub.recv().unwrap();
    assert_eq!(first.stamp_ns, 1_585_866_235_112_411_371);
    assert_eq!(*first.downcast::<u32>().unwrap(), 7);
    // Without an explicit stamp the bus uses wall time, which is after 2020 here.
    assert!(sub.recv().unwrap().stamp_ns > 1_600_000_000_000_000_000);
}
