//! Fan-out, ordering and zero-copy delivery.

use std::sync::Arc;
use std::thread;

use edgefusion_bus::{Bus, Qos};

#[test]
fn four_reliable_subscribers_on_four_threads_get_every_message_in_order() {
    const N: u64 = 2_000;
    let bus = Bus::new();
    let subs: Vec<_> = (0..4)
        .map(|_| bus.subscribe::<u64>("/counter", Qos::Reliable { depth: 8 }).unwrap())
        .collect();
    let readers: Vec<_> = subs
        .into_iter()
        .map(|sub| thread::spawn(move || (0..N).map(|_| *sub.recv().unwrap()).collect::<Vec<_>>()))
        .collect();
    let publisher = bus.publisher::<u64>("/counter").unwrap();
    for i in 0..N {
        publisher.publish(i).unwrap();
    }
    let expected: Vec<u64> = (0..N).collect();
    for reader in readers {
        assert_eq!(reader.join().unwrap(), expected);
    }
    let stats = &bus.topics()[0];
    assert_eq!(stats.published, N);
    assert!(stats.subscriptions.iter().all(|s| s.delivered == N && s.dropped == 0));
}

#[test]
fn every_subscriber_shares_the_published_allocation() {
    const SIZE: usize = 2 * 1024 * 1024;
    let bus = Bus::new();
    let subs: Vec<_> =
        (0..3).map(|_| bus.subscribe::<Vec<u8>>("/cloud", Qos::sensor_data()).unwrap()).collect();
    let any_sub = bus.subscribe_any("/cloud", Qos::sensor_data()).unwrap();
    let publisher = bus.publisher::<Vec<u8>>("/cloud").unwrap();

    let cloud = Arc::new(vec![7u8; SIZE]);
    let data_ptr = cloud.as_ptr();
    publisher.publish_arc(cloud.clone()).unwrap();

    for sub in &subs {
        let got = sub.recv().unwrap();
        assert!(Arc::ptr_eq(&got, &cloud));
        assert_eq!(got.as_ptr(), data_ptr);
        assert_eq!(got.len(), SIZE);
    }
    let got = any_sub.recv().unwrap().downcast::<Vec<u8>>().unwrap();
    assert!(Arc::ptr_eq(&got, &cloud));
    assert_eq!(got.as_ptr(), data_ptr);
}

#[test]
fn late_subscriber_gets_only_later_messages() {
    let bus = Bus::new();
    let publisher = bus.publisher::<u32>("/late").unwrap();
    publisher.publish(1).unwrap();
    let sub = bus.subscribe::<u32>("/late", Qos::reliable()).unwrap();
    assert_eq!(sub.try_recv().unwrap(), None);
    publisher.publish(2).unwrap();
    assert_eq!(*sub.recv().unwrap(), 2);
    assert_eq!(sub.try_recv().unwrap(), None);
}

#[test]
fn publishing_without_subscribers_is_counted() {
    let bus = Bus::new();
    let publisher = bus.publisher::<String>("/nobody").unwrap();
    for _ in 0..3 {
        publisher.publish("hello".into()).unwrap();
    }
    let stats = bus.topics();
    assert_eq!(stats.len(), 1);
    assert_eq!(stats[0].name, "/nobody");
    assert_eq!(stats[0].published, 3);
    assert_eq!(stats[0].publishers, 1);
    assert_eq!(stats[0].type_name, Some(std::any::type_name::<String>()));
    assert!(stats[0].rate_hz > 0.0);
    assert!(stats[0].subscriptions.is_empty());
}

#[test]
fn select_over_two_subscriptions() {
    let bus = Bus::new();
    let a = bus.subscribe::<u8>("/a", Qos::reliable()).unwrap();
    let b = bus.subscribe::<String>("/b", Qos::reliable()).unwrap();
    bus.publisher::<String>("/b").unwrap().publish("b".into()).unwrap();
    crossbeam_channel::select! {
        recv(a.receiver()) -> _ => panic!("nothing was published on /a"),
        recv(b.receiver()) -> msg => assert_eq!(*msg.unwrap(), "b"),
    }
}
