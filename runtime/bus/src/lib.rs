//! In-process publish/subscribe bus for edgefusion.
//!
//! All nodes of the stack run in one process and exchange messages over
//! named, typed topics. Messages are shared by `Arc`: a 2 MB point cloud is
//! allocated once by its publisher and every subscriber receives a pointer to
//! that same allocation. The crate knows nothing of ROS, CDR or bags; any
//! `T: Send + Sync + 'static` is a message.
//!
//! - A topic has one Rust type, fixed by its first publisher or typed
//!   subscriber; another type is [`BusError::TypeMismatch`].
//! - Each subscription has its own bounded queue and [`Qos`]:
//!   `KeepLast` drops the oldest message when full (sensor data),
//!   `Reliable` blocks the publisher when full (backpressure).
//! - Subscribers receive only messages published after they subscribed.
//! - [`Bus::shutdown`] wakes everyone: publishers get `Closed`, subscribers
//!   drain their queues and then get `Closed`.
//!
//! ```
//! use edgefusion_bus::{Bus, Qos};
//! let bus = Bus::new();
//! let sub = bus.subscribe::<Vec<f32>>("/sensing/lidar/points", Qos::sensor_data())?;
//! let publisher = bus.publisher::<Vec<f32>>("/sensing/lidar/points")?;
//! publisher.publish(vec![1.0, 2.0])?;
//! assert_eq!(*sub.recv()?, vec![1.0, 2.0]);
//! # Ok::<(), edgefusion_bus::BusError>(())
//! ```

mod bus;
mod error;
mod publisher;
mod qos;
mod sink;
mod stats;
mod subscription;
mod topic;

pub use bus::Bus;
pub use error::BusError;
pub use publisher::{AnyPublisher, Publisher};
pub use qos::Qos;
pub use stats::{SubscriptionStats, TopicStats, RATE_WINDOW_SECS};
pub use subscription::{AnySubscription, Subscription};
pub use topic::AnyMessage;
