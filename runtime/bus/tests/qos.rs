//! KeepLast drop-oldest and Reliable backpressure.

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use edgefusion_bus::{Bus, Qos, SubscriptionStats};

/// Polls until `cond` holds; the deadline only guards against a hang and is
/// far beyond anything the condition needs.
fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(1));
    }
}

fn sub_stats(bus: &Bus, topic: &str) -> Vec<SubscriptionStats> {
    bus.topics().into_iter().find(|t| t.name == topic).map(|t| t.subscriptions).unwrap_or_default()
}

#[test]
fn keep_last_slow_subscriber_gets_newest_and_counts_drops() {
    let bus = Bus::new();
    let sub = bus.subscribe::<u32>("/scan", Qos::KeepLast { depth: 3 }).unwrap();
    let publisher = bus.publisher::<u32>("/scan").unwrap();

    // Read one, then fall behind by a lot.
    publisher.publish(0).unwrap();
    assert_eq!(*sub.recv().unwrap(), 0);
    for i in 1..=10 {
        publisher.publish(i).unwrap();
    }
    let received: Vec<u32> = std::iter::from_fn(|| sub.try_recv().unwrap().map(|m| *m)).collect();
    assert_eq!(received, vec![8, 9, 10], "the newest `depth` messages");
    let total_received = 1 + received.len() as u64;
    assert_eq!(sub.drops(), 11 - total_received);

    let topic = &bus.topics()[0];
    assert_eq!(topic.published, 11);
    let stats = &topic.subscriptions[0];
    assert_eq!(stats.dropped, sub.drops());
    assert_eq!(stats.delivered, 11);
    assert_eq!(stats.queued, 0);
    assert_eq!(stats.delivered - stats.dropped, total_received);
}

#[test]
fn keep_last_drop_count_is_exact_under_concurrency() {
    const PUBLISHERS: u64 = 4;
    const EACH: u64 = 5_000;
    let bus = Bus::new();
    let sub = bus.subscribe::<u64>("/imu", Qos::KeepLast { depth: 3 }).unwrap();
    let writers: Vec<_> = (0..PUBLISHERS)
        .map(|p| {
            let publisher = bus.publisher::<u64>("/imu").unwrap();
            thread::spawn(move || {
                for i in 0..EACH {
                    publisher.publish(p * EACH + i).unwrap();
                }
            })
        })
        .collect();
    // Read concurrently, checking each publisher's messages stay in order.
    let mut last_seen = vec![None::<u64>; PUBLISHERS as usize];
    let mut received = 0u64;
    let mut check = |v: u64| {
        let p = (v / EACH) as usize;
        assert!(last_seen[p].is_none_or(|last| last < v), "reordered");
        last_seen[p] = Some(v);
    };
    while writers.iter().any(|w| !w.is_finished()) {
        if let Some(v) = sub.try_recv().unwrap() {
            check(*v);
            received += 1;
        }
    }
    for w in writers {
        w.join().unwrap();
    }
    while let Some(v) = sub.try_recv().unwrap() {
        check(*v);
        received += 1;
    }
    let total = PUBLISHERS * EACH;
    assert_eq!(received + sub.drops(), total);
    assert_eq!(bus.topics()[0].published, total);
    assert_eq!(sub.delivered(), total);
}

#[test]
fn reliable_full_queue_blocks_publisher_until_subscriber_reads() {
    let bus = Bus::new();
    let sub = bus.subscribe::<u32>("/objects", Qos::Reliable { depth: 2 }).unwrap();
    let publisher = bus.publisher::<u32>("/objects").unwrap();
    let (done_tx, done_rx) = crossbeam_channel::unbounded();
    let writer = thread::spawn(move || {
        for i in 0..4 {
            publisher.publish(i).unwrap();
            done_tx.send(i).unwrap();
        }
    });

    // Two fit in the queue; the third publish blocks on it.
    assert_eq!(done_rx.recv().unwrap(), 0);
    assert_eq!(done_rx.recv().unwrap(), 1);
    wait_until("a blocked publisher", || sub_stats(&bus, "/objects")[0].blocked_publishers == 1);
    assert_eq!(done_rx.try_recv().ok(), None, "third publish must still block");
    let stats = &sub_stats(&bus, "/objects")[0];
    assert_eq!((stats.delivered, stats.queued, stats.dropped), (2, 2, 0));
    assert_eq!(bus.topics()[0].published, 3, "the blocked call is counted");

    // Each read makes room for exactly one more.
    assert_eq!(*sub.recv().unwrap(), 0);
    assert_eq!(done_rx.recv().unwrap(), 2);
    for expected in 1..4 {
        assert_eq!(*sub.recv().unwrap(), expected);
    }
    assert_eq!(done_rx.recv().unwrap(), 3);
    writer.join().unwrap();
    assert_eq!(sub.drops(), 0);
}

#[test]
fn dropped_subscription_never_blocks_a_reliable_publisher() {
    let bus = Bus::new();
    let sub = bus.subscribe::<u32>("/plan", Qos::Reliable { depth: 1 }).unwrap();
    let publisher = bus.publisher::<u32>("/plan").unwrap();
    drop(sub);
    for i in 0..100 {
        publisher.publish(i).unwrap();
    }
    assert!(sub_stats(&bus, "/plan").is_empty());
    assert_eq!(publisher.subscription_count(), 0);
}

#[test]
fn dropping_subscription_wakes_publisher_blocked_on_it() {
    let bus = Bus::new();
    let sub = bus.subscribe::<u32>("/plan", Qos::Reliable { depth: 1 }).unwrap();
    let other = bus.subscribe::<u32>("/plan", Qos::Reliable { depth: 10 }).unwrap();
    let publisher = bus.publisher::<u32>("/plan").unwrap();
    let writer = thread::spawn(move || (0..5).map(|i| publisher.publish(i)).collect::<Vec<_>>());
    wait_until("a blocked publisher", || {
        sub_stats(&bus, "/plan").iter().any(|s| s.blocked_publishers == 1)
    });
    drop(sub);
    assert!(writer.join().unwrap().iter().all(Result::is_ok));
    let got: Vec<u32> = (0..5).map(|_| *other.recv().unwrap()).collect();
    assert_eq!(got, vec![0, 1, 2, 3, 4]);
}

#[test]
fn zero_depth_is_treated_as_one() {
    let bus = Bus::new();
    let sub = bus.subscribe::<u8>("/z", Qos::KeepLast { depth: 0 }).unwrap();
    let publisher = bus.publisher::<u8>("/z").unwrap();
    publisher.publish(1).unwrap();
    publisher.publish(2).unwrap();
    assert_eq!(sub.recv().unwrap(), Arc::new(2));
    assert_eq!(sub.drops(), 1);
    assert_eq!(Qos::Reliable { depth: 0 }.depth(), 1);
}

/// Counts WARN events: the drop warning must fire once, not per drop.
struct WarnCounter(Arc<std::sync::atomic::AtomicUsize>);

impl tracing::Subscriber for WarnCounter {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        if *event.metadata().level() == tracing::Level::WARN {
            self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[test]
fn first_drop_warns_once_not_per_drop() {
    let warnings = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = WarnCounter(warnings.clone());
    tracing::subscriber::with_default(counter, || {
        let bus = Bus::new();
        let sub = bus.subscribe::<u32>("/cam", Qos::KeepLast { depth: 1 }).unwrap();
        let publisher = bus.publisher::<u32>("/cam").unwrap();
        publisher.publish(0).unwrap();
        assert_eq!(warnings.load(std::sync::atomic::Ordering::Relaxed), 0);
        for i in 1..1_000 {
            publisher.publish(i).unwrap();
        }
        assert_eq!(sub.drops(), 999);
    });
    assert_eq!(warnings.load(std::sync::atomic::Ordering::Relaxed), 1);
}
