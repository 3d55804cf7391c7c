//! Counters of the tracker and the late fusion: what came in, what was made, and every reason
//! an input (or part of one) was dropped, so `/diagnostics` can say why objects are missing.

macro_rules! counters {
    ($($(#[$doc:meta])* $variant:ident => $name:literal,)*) => {
        /// One thing the tracker or the late fusion counts.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Counter {
            $($(#[$doc])* $variant,)*
        }

        impl edgefusion_node::Named for Counter {
            fn name(self) -> &'static str {
                Counter::name(self)
            }
        }

        impl Counter {
            pub const ALL: &'static [Counter] = &[$(Self::$variant,)*];

            /// snake_case name, for logs and diagnostics.
            pub fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)*
                }
            }
        }
    };
}

counters! {
    // Tracker inputs.
    /// Detection arrays given to `Tracker::update` (rejected ones included).
    Frames => "frames",
    DetectionsReceived => "detections_received",
    /// Arrays whose header.frame_id is not the tracking frame (array rejected).
    WrongFrame => "wrong_frame",
    /// Detections with NaN/inf in centre, size, yaw, score or covariance (dropped).
    NonFiniteDetection => "non_finite_detection",
    /// Detections with a negative size (dropped).
    InvalidDetection => "invalid_detection",
    /// Detections below `min_score` (dropped).
    LowScoreDetection => "low_score_detection",
    /// Position covariance missing or not positive definite: the default noise was used.
    DefaultedCovariance => "defaulted_covariance",
    /// A stamp older than the previous one: all tracks were reset.
    TimeWentBackwards => "time_went_backwards",
    /// A gap above `max_gap_s` since the previous frame: all tracks were reset.
    LargeGap => "large_gap",
    // Track life.
    /// Confirmed tracks matched in the second, distance-gated pass (see `recovery_distance_m`).
    RecoveredAssociations => "recovered_associations",
    TracksBorn => "tracks_born",
    TracksConfirmed => "tracks_confirmed",
    /// Unmatched detections inside the gate of an existing track (likely a duplicate box).
    BirthsSuppressed => "births_suppressed",
    /// Births refused because `max_tracks` tracks exist.
    TrackLimit => "track_limit",
    TracksDeletedTentative => "tracks_deleted_tentative",
    TracksDeletedMisses => "tracks_deleted_misses",
    TracksDeletedCovariance => "tracks_deleted_covariance",
    /// Tracks whose filter failed numerically (deleted).
    TracksDeletedNumerical => "tracks_deleted_numerical",
    // Late fusion.
    FusionRuns => "fusion_runs",
    V2xObjectsReceived => "v2x_objects_received",
    /// V2X arrays not in the tracking frame (ignored).
    V2xWrongFrame => "v2x_wrong_frame",
    /// DENM events (a location, not a road user's state; not objects).
    V2xNotARoadUser => "v2x_not_a_road_user",
    /// V2X reports inside the ego footprint: ourselves, seen by another station (dropped).
    V2xEgo => "v2x_ego",
    /// V2X objects with NaN/inf in pose, size, velocity or covariance (dropped).
    V2xNonFinite => "v2x_non_finite",
    /// V2X objects older than `v2x_max_age_s` at the output stamp (dropped).
    V2xStale => "v2x_stale",
    /// V2X objects generated after the output stamp by more than `v2x_max_future_s` (dropped).
    V2xFutureDated => "v2x_future_dated",
    /// V2X covariance missing or not positive definite: the default for its kind was used.
    V2xDefaultedCovariance => "v2x_defaulted_covariance",
    /// V2X reports merged into another report of the same object (other sender).
    V2xDuplicatesMerged => "v2x_duplicates_merged",
    /// V2X objects fused with a local track.
    V2xMatched => "v2x_matched",
    /// V2X objects published on their own (no local track).
    V2xOnly => "v2x_only",
    /// Objects in the fused output.
    FusedObjectsPublished => "fused_objects_published",
}

/// Counters (all start at 0).
pub type Stats = edgefusion_node::Counters<Counter>;
