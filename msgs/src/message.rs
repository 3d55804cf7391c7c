use serde::{de::DeserializeOwned, Serialize};

/// A ROS 2 message type: serde gives its CDR layout, `TYPE_NAME` its ROS identity.
pub trait Message:
    Serialize + DeserializeOwned + Clone + std::fmt::Debug + Default + PartialEq + Send + Sync + 'static
{
    /// Fully qualified ROS 2 type name, e.g. `sensor_msgs/msg/Image`.
    const TYPE_NAME: &'static str;

    fn encode(&self) -> Result<Vec<u8>, crate::CdrError> {
        crate::cdr::encode(self)
    }

    fn decode(bytes: &[u8]) -> Result<Self, crate::CdrError> {
        crate::cdr::decode(bytes)
    }
}

/// Implements [`Message`] for types named after their ROS package: `ros_message!(pkg; A, B)`.
macro_rules! ros_messages {
    ($package:literal; $($ty:ident),+ $(,)?) => {
        $(impl $crate::Message for $ty {
            const TYPE_NAME: &'static str = concat!($package, "/msg/", stringify!($ty));
        })+
    };
}
pub(crate) use ros_messages;
