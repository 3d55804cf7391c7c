//! One-way latency publish -> receive through the bus, side by side with a
//! copying baseline: plain crossbeam channels with one `Vec::clone` per
//! subscriber, which is what a transport without shared ownership does.
//!
//! Messages go out at a steady rate so queues stay short and the numbers are
//! latency, not queueing. Run: `cargo bench -p edgefusion-bus --bench bus_latency`.

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::bounded;
use edgefusion_bus::{Bus, Qos};
use hdrhistogram::Histogram;

/// Deep enough that pacing hiccups never block the publisher.
const DEPTH: usize = 64;

struct Stamped {
    sent: Instant,
    data: Vec<u8>,
    /// `data.as_ptr()` when the message was built: a deep copy anywhere on
    /// the way keeps this value but moves `data`, so it exposes the copy.
    origin: usize,
}

/// A fresh payload per message, as a driver produces a fresh frame, and its
/// address.
fn payload(seq: usize, size: usize) -> (Vec<u8>, usize) {
    let data = vec![seq as u8; size];
    let origin = data.as_ptr() as usize;
    (data, origin)
}

struct Case {
    label: &'static str,
    size: usize,
    messages: usize,
    rate_hz: f64,
}

struct Outcome {
    latency_ns: Histogram<u64>,
    msgs_per_s: f64,
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000_000, 3).expect("valid histogram bounds")
}

/// Sleeps most of the way, then yields: `sleep` alone overshoots by tens of
/// microseconds, which matters at 5 kHz.
fn pace(deadline: Instant) {
    loop {
        let now = Instant::now();
        if now >= deadline {
            return;
        }
        let left = deadline - now;
        if left > Duration::from_micros(300) {
            thread::sleep(left - Duration::from_micros(200));
        } else {
            thread::yield_now();
        }
    }
}

fn schedule(case: &Case) -> impl Fn(usize) -> Instant {
    let start = Instant::now();
    let period = Duration::from_secs_f64(1.0 / case.rate_hz);
    move |i| start + period * i as u32
}

fn finish(start: Instant, results: Vec<(Histogram<u64>, Instant)>, n: usize) -> Outcome {
    let mut latency_ns = histogram();
    let mut end = start;
    for (h, done) in results {
        latency_ns.add(h).expect("same bounds");
        end = end.max(done);
    }
    Outcome { latency_ns, msgs_per_s: n as f64 / (end - start).as_secs_f64() }
}

fn run_bus(case: &Case, subscribers: usize) -> Outcome {
    let bus = Bus::new();
    let publisher = bus.publisher::<Stamped>("/bench").expect("publisher");
    let n = case.messages;
    let readers: Vec<_> = (0..subscribers)
        .map(|_| {
            let sub = bus
                .subscribe::<Stamped>("/bench", Qos::Reliable { depth: DEPTH })
                .expect("subscription");
            thread::spawn(move || {
                let mut h = histogram();
                let mut arcs = Vec::with_capacity(n);
                for _ in 0..n {
                    let msg = sub.recv().expect("message");
                    h.record(msg.sent.elapsed().as_nanos() as u64).expect("in range");
                    assert_eq!(msg.data.as_ptr() as usize, msg.origin, "payload was copied");
                    arcs.push(Arc::as_ptr(&msg) as usize);
                }
                (h, arcs, Instant::now())
            })
        })
        .collect();
    let at = schedule(case);
    let start = at(0);
    let mut published = Vec::with_capacity(n);
    for i in 0..n {
        let (data, origin) = payload(i, case.size);
        pace(at(i));
        let msg = Arc::new(Stamped { sent: Instant::now(), data, origin });
        published.push(Arc::as_ptr(&msg) as usize);
        publisher.publish_arc(msg).expect("publish");
    }
    // Zero copy, checked without timing: every subscriber got the very
    // allocations that were published.
    let results = readers
        .into_iter()
        .map(|r| {
            let (h, arcs, done) = r.join().expect("reader thread");
            assert_eq!(arcs, published, "subscriber got a different allocation");
            (h, done)
        })
        .collect();
    finish(start, results, n)
}

fn run_copying(case: &Case, subscribers: usize) -> Outcome {
    let n = case.messages;
    let (senders, readers): (Vec<_>, Vec<_>) = (0..subscribers)
        .map(|_| {
            let (tx, rx) = bounded::<Stamped>(DEPTH);
            let reader = thread::spawn(move || {
                let mut h = histogram();
                for _ in 0..n {
                    let msg = rx.recv().expect("message");
                    h.record(msg.sent.elapsed().as_nanos() as u64).expect("in range");
                    std::hint::black_box(&msg.data);
                }
                (h, Instant::now())
            });
            (tx, reader)
        })
        .unzip();
    let at = schedule(case);
    let start = at(0);
    for i in 0..n {
        let (data, origin) = payload(i, case.size);
        pace(at(i));
        let sent = Instant::now();
        for tx in &senders {
            tx.send(Stamped { sent, data: data.clone(), origin }).expect("send");
        }
    }
    let results = readers.into_iter().map(|r| r.join().expect("reader thread")).collect();
    finish(start, results, n)
}

fn us(h: &Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1000.0
}

fn main() {
    let cores = thread::available_parallelism().map_or(0, |n| n.get());
    let cases = [
        Case { label: "1 KB", size: 1024, messages: 10_000, rate_hz: 5_000.0 },
        Case { label: "2 MB", size: 2 * 1024 * 1024, messages: 2_000, rate_hz: 250.0 },
    ];
    println!("edgefusion-bus one-way latency, publish -> receive");
    println!("cores: {cores}; Reliable depth {DEPTH}; latencies over all subscribers' receipts");
    println!(
        "{:<6} {:>4} {:<22} {:>6} {:>9} {:>9} {:>9} {:>9} {:>18}",
        "size", "subs", "transport", "msgs", "p50 us", "p99 us", "max us", "msg/s", "copy/bus p50"
    );
    for case in &cases {
        for subscribers in [1, 4] {
            // Warm up threads, allocator and caches; results discarded.
            let warm = Case { messages: case.messages / 10, ..*case };
            run_bus(&warm, subscribers);
            run_copying(&warm, subscribers);

            let bus = run_bus(case, subscribers);
            let copy = run_copying(case, subscribers);
            let row = |name: &str, o: &Outcome, ratio: &str| {
                println!(
                    "{:<6} {:>4} {:<22} {:>6} {:>9.1} {:>9.1} {:>9.1} {:>9.0} {:>18}",
                    case.label,
                    subscribers,
                    name,
                    case.messages,
                    us(&o.latency_ns, 0.5),
                    us(&o.latency_ns, 0.99),
                    o.latency_ns.max() as f64 / 1000.0,
                    o.msgs_per_s,
                    ratio
                );
            };
            row("bus (Arc, zero copy)", &bus, "");
            let ratio = format!(
                "{:.2}x (p99 {:.2}x)",
                us(&copy.latency_ns, 0.5) / us(&bus.latency_ns, 0.5),
                us(&copy.latency_ns, 0.99) / us(&bus.latency_ns, 0.99)
            );
            row("crossbeam + Vec::clone", &copy, &ratio);
        }
    }
    println!(
        "target rates: 1 KB at {} Hz, 2 MB at {} Hz; zero copy of every bus message asserted (pointer equality)",
        cases[0].rate_hz, cases[1].rate_hz
    );
}
