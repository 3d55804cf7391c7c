//! Shutdown wakes everyone and lets subscribers drain.

use std::thread;
use std::time::{Duration, Instant};

use edgefusion_bus::{Bus, BusError, Qos};

fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(1));
    }
}

fn closed(topic: &str) -> BusError {
    BusError::Closed { topic: topic.into() }
}

#[test]
fn subscribers_drain_queued_messages_then_see_closed() {
    let bus = Bus::new();
    let sub = bus.subscribe::<u32>("/t", Qos::KeepLast { depth: 5 }).unwrap();
    let any = bus.subscribe_any("/t", Qos::Reliable { depth: 5 }).unwrap();
    let publisher = bus.publisher::<u32>("/t").unwrap();
    for i in 0..3 {
        publisher.publish(i).unwrap();
    }
    bus.shutdown();
    assert_eq!(publisher.publish(9), Err(closed("/t")));
    let drained: Vec<u32> = sub.iter().map(|m| *m).collect();
    assert_eq!(drained, vec![0, 1, 2]);
    assert_eq!(sub.recv(), Err(closed("/t")));
    assert_eq!(sub.try_recv(), Err(closed("/t")));
    assert_eq!(sub.recv_timeout(Duration::from_secs(1)), Err(closed("/t")));
    assert_eq!(any.iter().count(), 3);
    assert!(matches!(any.recv(), Err(BusError::Closed { .. })));
}

#[test]
fn shutdown_wakes_blocked_publisher_and_blocked_subscriber() {
    let bus = Bus::new();
    let full = bus.subscribe::<u32>("/full", Qos::Reliable { depth: 1 }).unwrap();
    let publisher = bus.publisher::<u32>("/full").unwrap();
    let writer = thread::spawn(move || {
        publisher.publish(1).unwrap();
        publisher.publish(2)
    });
    let idle = bus.subscribe::<u32>("/idle", Qos::sensor_data()).unwrap();
    let reader = thread::spawn(move || idle.recv());

    wait_until("a blocked publisher", || {
        bus.topics().iter().any(|t| t.subscriptions.iter().any(|s| s.blocked_publishers == 1))
    });
    bus.shutdown();
    assert_eq!(writer.join().unwrap(), Err(closed("/full")));
    assert_eq!(reader.join().unwrap(), Err(closed("/idle")));
    assert_eq!(*full.recv().unwrap(), 1);
    assert_eq!(full.recv(), Err(closed("/full")));
}

#[test]
fn no_new_endpoints_after_shutdown() {
    let bus = Bus::new();
    bus.shutdown();
    bus.shutdown(); // idempotent
    assert!(bus.is_closed());
    assert_eq!(bus.publisher::<u8>("/x").unwrap_err(), closed("/x"));
    assert_eq!(bus.subscribe::<u8>("/x", Qos::reliable()).unwrap_err(), closed("/x"));
    assert!(bus.subscribe_any("/x", Qos::reliable()).is_err());
}

#[test]
fn dropping_the_last_bus_handle_closes_subscriptions() {
    let bus = Bus::new();
    let sub = bus.subscribe::<u8>("/x", Qos::reliable()).unwrap();
    let publisher = bus.publisher::<u8>("/x").unwrap();
    let clone = bus.clone();
    drop(bus);
    publisher.publish(1).unwrap(); // a clone is still alive
    drop(clone);
    assert_eq!(*sub.recv().unwrap(), 1);
    assert_eq!(sub.recv(), Err(closed("/x")));
    assert_eq!(publisher.publish(2), Err(closed("/x")));
}

/// Publishers, subscription churn and shutdown racing each other: every
/// thread must finish, with only `Closed` as an error.
#[test]
fn churn_then_shutdown_terminates_everyone() {
    let bus = Bus::new();
    let publishers: Vec<_> = (0..2)
        .map(|p| {
            let publisher = bus.publisher::<u64>("/churn").unwrap();
            thread::spawn(move || {
                let mut i = 0u64;
                loop {
                    match publisher.publish(p * 1_000_000 + i) {
                        Ok(()) => i += 1,
                        Err(e) => return (i, e),
                    }
                }
            })
        })
        .collect();
    let churner = {
        let bus = bus.clone();
        thread::spawn(move || {
            let mut kept = Vec::new();
            for round in 0..200u64 {
                let qos = if round % 2 == 0 {
                    Qos::KeepLast { depth: 2 }
                } else {
                    Qos::Reliable { depth: 1 }
                };
                match bus.subscribe::<u64>("/churn", qos) {
                    Ok(sub) => {
                        let _ = sub.try_recv();
                        // Keep a few unread Reliable ones: they block the
                        // publishers until shutdown wakes them.
                        if round % 50 == 1 {
                            kept.push(sub);
                        }
                    }
                    Err(e) => return Err(e),
                }
            }
            Ok(kept)
        })
    };
    let kept = churner.join().unwrap().unwrap();
    assert!(!kept.is_empty());
    wait_until("publishers blocked on unread Reliable queues", || {
        bus.topics()[0].subscriptions.iter().map(|s| s.blocked_publishers).sum::<usize>() == 2
    });
    bus.shutdown();
    for p in publishers {
        let (_, err) = p.join().unwrap();
        assert_eq!(err, closed("/churn"));
    }
    for sub in kept {
        while sub.recv().is_ok() {}
    }
}
