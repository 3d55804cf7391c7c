//! `edgefusion`: the command line of the edgefusion stack.

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use edgefusion::{bag_echo, bag_info, convert, eval, replay, run as stack};
use edgefusion_bag::{BagReader, BagWriter, Compression, StorageId, WriterOptions};
use edgefusion_bus::Bus;
use edgefusion_fusion::FusionNode;
use edgefusion_node::{ParamValue, Params, ParamsError};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

#[derive(Parser)]
#[command(name = "edgefusion", version, about = "On-vehicle camera + lidar + V2X fusion stack")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// rosbag2 tools: info, play, record, convert, reindex
    #[command(subcommand)]
    Bag(BagCommand),
    /// Play a bag through the fusion node on the in-process bus (publishes /perception/objects)
    Run(RunArgs),
    /// Score fusion models against the labels of a bag made by `bag convert kitti`
    Eval(EvalArgs),
    /// Run one node as a ROS 2 node: `edgefusion node fusion [--ros-args ...]` (the node
    /// executables `edgefusion_fusion` etc. are this binary under another name)
    Node(NodeArgs),
    /// V2X tools
    #[command(subcommand)]
    V2x(V2xCommand),
    /// List the nodes this build can run (name and ROS 2 executable)
    Nodes {
        /// Only the executable names, one per line (for the colcon package's install step)
        #[arg(long)]
        executables: bool,
    },
}

#[derive(Subcommand)]
enum V2xCommand {
    /// Print the decoded message(s) of a raw V2X frame or UPER file (every BSM of a
    /// concatenated file), as an OBU sends them
    Decode {
        file: PathBuf,
        /// The file is hex text (whitespace and 0x prefixes allowed)
        #[arg(long)]
        hex: bool,
        /// What the bytes are: gn, btp, cam, cpm, denm or bsm (default: guessed)
        #[arg(long)]
        kind: Option<String>,
        /// One JSON document instead of text
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
struct NodeArgs {
    /// The node: fusion
    name: String,
}

#[derive(Args)]
struct RunArgs {
    /// The bag to play (camera image, camera_info, /tf_static, lidar points)
    #[arg(long)]
    bag: PathBuf,
    /// Run the nodes of this ROS 2 launch file (names, namespaces, parameters, remaps) in
    /// process instead of every node under its own name
    #[arg(long, value_name = "FILE.launch.xml", conflicts_with_all = ["model", "params"])]
    launch: Option<PathBuf>,
    /// Launch arguments NAME:=VALUE, as `ros2 launch` takes them (with --launch)
    #[arg(value_name = "NAME:=VALUE", requires = "launch")]
    launch_args: Vec<String>,
    /// TorchScript fusion module (overrides model_path of --params)
    #[arg(long, value_name = "M.pt")]
    model: Option<PathBuf>,
    /// ROS 2 parameters file (`fusion: ros__parameters: ...`); repeat for several, later
    /// files win, as with `--params-file`
    #[arg(long, value_name = "FILE")]
    params: Vec<PathBuf>,
    /// Record the bag's topics and the nodes' outputs into a new bag
    #[arg(long, value_name = "OUT")]
    record: Option<PathBuf>,
    /// Storage of the recording
    #[command(flatten)]
    storage: StorageArgs,
    /// Playback speed factor
    #[arg(long, default_value_t = 1.0, conflicts_with = "fast")]
    rate: f64,
    /// As fast as possible (the node's keep-last queues drop what it cannot keep up with)
    #[arg(long)]
    fast: bool,
}

#[derive(Args)]
struct EvalArgs {
    /// A bag converted from labelled KITTI frames (with /perception/ground_truth)
    #[arg(long)]
    bag: PathBuf,
    /// TorchScript fusion module; repeat to compare models side by side
    #[arg(long, value_name = "M.pt", required = true)]
    model: Vec<PathBuf>,
    /// LibTorch intra-op threads
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// cpu, cuda or cuda:N
    #[arg(long, default_value = "cpu")]
    device: String,
    /// Run each frame's cloud N times for more latency samples (the first run is scored)
    #[arg(long, default_value_t = 1, value_name = "N")]
    repeat: usize,
    /// Print one JSON document instead of the table
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum BagCommand {
    /// Print a bag's storage, duration, topics and counts (like `ros2 bag info`)
    Info {
        /// Bag directory, or a single .mcap / .db3 file
        path: PathBuf,
        /// Machine-readable output
        #[arg(long)]
        json: bool,
    },
    /// Print a bag's messages decoded by edgefusion's codec, one JSON object per line
    Echo {
        path: PathBuf,
        /// Only these topics
        #[arg(long, num_args = 1..)]
        topics: Vec<String>,
        /// At most this many messages
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
    },
    /// Publish a bag onto the in-process bus (or ROS 2) in recorded order and timing
    Play(PlayArgs),
    /// Record topics of the in-process bus into a new bag
    Record {
        #[arg(short, long)]
        output: PathBuf,
        #[command(flatten)]
        storage: StorageArgs,
        /// Source of the messages on this process's bus: a bag to play (the in-process bus
        /// has no other publisher in a standalone `record`)
        #[arg(long, value_name = "BAG", required_unless_present = "ros2", conflicts_with = "ros2")]
        play: Option<PathBuf>,
        /// Record from ROS 2 (DDS): topics are subscribed as discovery finds their publishers
        #[arg(long)]
        ros2: bool,
        /// With --ros2: stop after this many seconds (default: at Ctrl-C)
        #[arg(long, value_name = "SECONDS", requires = "ros2")]
        duration: Option<f64>,
        /// With --ros2: stop after this many messages
        #[arg(long, value_name = "N", requires = "ros2")]
        max_messages: Option<u64>,
        /// Play the source as fast as possible (default: recorded timing)
        #[arg(long)]
        fast: bool,
        /// Record every topic of the source
        #[arg(short, long)]
        all: bool,
        /// Topics to record
        topics: Vec<String>,
    },
    /// Convert a dataset into a bag
    #[command(subcommand)]
    Convert(ConvertCommand),
    /// Rebuild a bag directory's metadata.yaml from its storage files
    Reindex { path: PathBuf },
}

#[derive(Subcommand)]
enum ConvertCommand {
    /// KITTI object frames: a frame folder (lidar.bin, image.png, calib.txt, label.txt), a
    /// folder of frame folders, KITTI's training/ layout, or a folder of velodyne .bin files
    Kitti {
        input: PathBuf,
        #[arg(short, long)]
        output: PathBuf,
        /// Frame rate of the sequence (Hz)
        #[arg(long, default_value_t = 10.0)]
        rate: f64,
        #[command(flatten)]
        storage: StorageArgs,
    },
}

#[derive(Args)]
struct StorageArgs {
    #[arg(long, value_enum, default_value_t = StorageArg::Mcap)]
    storage: StorageArg,
    /// MCAP chunk compression (sqlite3 stores uncompressed)
    #[arg(long, value_enum)]
    compression: Option<CompressionArg>,
    /// Start a new storage file past this many bytes
    #[arg(long, value_name = "BYTES")]
    max_bag_size: Option<u64>,
    /// Start a new storage file past this many seconds of recording
    #[arg(long, value_name = "SECONDS")]
    max_bag_duration: Option<f64>,
}

#[derive(Clone, Copy, ValueEnum)]
enum StorageArg {
    Mcap,
    Sqlite3,
}

#[derive(Clone, Copy, ValueEnum)]
enum CompressionArg {
    Zstd,
    Lz4,
    None,
}

impl StorageArgs {
    fn writer_options(&self) -> WriterOptions {
        let storage = match self.storage {
            StorageArg::Mcap => StorageId::Mcap,
            StorageArg::Sqlite3 => StorageId::Sqlite3,
        };
        let compression = match (self.compression, storage) {
            (Some(CompressionArg::Zstd), _) => Compression::Zstd,
            (Some(CompressionArg::Lz4), _) => Compression::Lz4,
            (Some(CompressionArg::None), _) | (None, StorageId::Sqlite3) => Compression::None,
            (None, StorageId::Mcap) => Compression::Zstd,
        };
        WriterOptions {
            storage,
            compression,
            max_bagfile_size: self.max_bag_size,
            max_bagfile_duration_ns: self.max_bag_duration.map(|s| (s * 1e9) as i64),
            ..WriterOptions::default()
        }
    }
}

#[derive(Args)]
struct PlayArgs {
    path: PathBuf,
    /// Playback speed factor
    #[arg(long, default_value_t = 1.0, conflicts_with = "fast")]
    rate: f64,
    /// As fast as possible
    #[arg(long)]
    fast: bool,
    /// Start over at the end, until interrupted
    #[arg(long = "loop")]
    looping: bool,
    /// Only these topics
    #[arg(long, num_args = 1..)]
    topics: Vec<String>,
    /// Rename a topic: FROM:=TO (repeatable)
    #[arg(long, value_parser = parse_remap)]
    remap: Vec<(String, String)>,
    /// Skip this many seconds at the start of the bag
    #[arg(long, default_value_t = 0.0)]
    start_offset: f64,
    /// Publish /clock with the bag time
    #[arg(long)]
    clock: bool,
    /// Warn and continue past corrupt MCAP chunks instead of stopping
    #[arg(long)]
    skip_corrupt: bool,
    /// Publish onto ROS 2 (DDS) instead of the in-process bus
    #[arg(long)]
    ros2: bool,
    /// With --ros2: before playing, wait up to this long for every topic to have a subscriber
    #[arg(long, value_name = "SECONDS", requires = "ros2")]
    wait_for_subscribers: Option<f64>,
}

impl PlayArgs {
    fn options(&self) -> Result<replay::PlayOptions> {
        let valid_rate = self.rate > 0.0 && self.rate.is_finite();
        if !self.fast && !valid_rate {
            bail!("--rate must be a positive number, got {}", self.rate);
        }
        if self.start_offset < 0.0 {
            bail!("--start-offset must not be negative, got {}", self.start_offset);
        }
        Ok(replay::PlayOptions {
            rate: (!self.fast).then_some(self.rate),
            looping: self.looping,
            topics: (!self.topics.is_empty()).then(|| self.topics.clone()),
            remaps: self.remap.clone(),
            start_offset_ns: (self.start_offset * 1e9) as i64,
            publish_clock: self.clock,
            skip_corrupt: self.skip_corrupt,
        })
    }
}

fn parse_remap(s: &str) -> Result<(String, String), String> {
    match s.split_once(":=") {
        Some((from, to)) if !from.is_empty() && !to.is_empty() => Ok((from.into(), to.into())),
        _ => Err(format!("expected FROM:=TO, got {s:?}")),
    }
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args: Vec<String> = std::env::args().collect();
    // Installed as `edgefusion_fusion` etc. (ros2 run), the binary is that node.
    let invoked_as = args.first().and_then(|a| std::path::Path::new(a).file_name());
    let invoked_as = invoked_as.and_then(|a| a.to_str()).unwrap_or("edgefusion");
    let result = match edgefusion::nodes::find(invoked_as) {
        Some(kind) => run_ros_node(kind),
        // Everything from --ros-args on is rcl's (r2r hands rcl the whole command line).
        None => run(Cli::parse_from(args.iter().take_while(|a| *a != "--ros-args"))),
    };
    if let Err(error) = result {
        eprintln!("error: {error:#}");
        std::process::exit(1);
    }
}

/// One node on ROS 2 until Ctrl-C; prints its counters at the end.
#[cfg(feature = "ros2")]
fn run_ros_node(kind: &'static edgefusion::nodes::NodeKind) -> Result<()> {
    let stop = stop_flag()?;
    let summary =
        edgefusion_ros2::run_node(kind.name, |params| (kind.build)(params, kind.name), &stop)?;
    for (counter, n) in &summary.report.counters {
        eprintln!("{}: {counter} {n}", summary.name);
    }
    for (topic, n) in summary.undecodable.iter().filter(|(_, n)| **n > 0) {
        eprintln!("{}: {n} undecodable messages on {topic}", summary.name);
    }
    Ok(())
}

#[cfg(not(feature = "ros2"))]
fn run_ros_node(kind: &'static edgefusion::nodes::NodeKind) -> Result<()> {
    bail!(
        "node {}: this edgefusion was built without ROS 2; build with `--features ros2` after \
         `. target/ros2/env.sh`, or run the node in process with `edgefusion run`",
        kind.name
    )
}

/// Set on Ctrl-C / SIGTERM: long commands stop cleanly and close their bags.
fn stop_flag() -> Result<Arc<AtomicBool>> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    ctrlc::set_handler(move || flag.store(true, Ordering::Relaxed))
        .context("installing the Ctrl-C handler")?;
    Ok(stop)
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Bag(BagCommand::Info { path, json }) => {
            let info = bag_info::read(&path)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&info)?);
            } else {
                print!("{}", bag_info::render(&info));
            }
        }
        Command::Bag(BagCommand::Echo { path, topics, limit }) => {
            let reader = BagReader::open(&path)
                .with_context(|| format!("opening bag {}", path.display()))?;
            let topics = (!topics.is_empty()).then_some(topics);
            bag_echo::echo(&reader, topics, limit, &mut std::io::stdout().lock())?;
        }
        Command::Bag(BagCommand::Play(args)) => {
            let options = args.options()?;
            let reader = BagReader::open(&args.path)
                .with_context(|| format!("opening bag {}", args.path.display()))?;
            let stop = stop_flag()?;
            let report = if args.ros2 {
                play_ros2(&reader, &options, args.wait_for_subscribers, &stop)?
            } else {
                replay::play(&reader, &Bus::new(), &options, &stop)?
            };
            for (topic, count) in &report.published {
                eprintln!("published {count:>8} on {topic}");
            }
            if report.undecodable > 0 || report.corrupt_chunks_skipped > 0 {
                eprintln!(
                    "skipped {} undecodable messages and {} corrupt chunks",
                    report.undecodable, report.corrupt_chunks_skipped
                );
            }
        }
        Command::Bag(BagCommand::Record {
            output,
            storage,
            play: None,
            ros2: true,
            duration,
            max_messages,
            all,
            topics,
            ..
        }) => {
            let writer = BagWriter::create(&output, storage.writer_options())
                .with_context(|| format!("creating bag {}", output.display()))?;
            let options = RecordFromRos {
                topics,
                all,
                duration: duration.map(std::time::Duration::from_secs_f64),
                max_messages,
            };
            let stop = stop_flag()?;
            let recorded = record_ros2(writer, options, &stop)?;
            for (topic, count) in &recorded.recorded {
                eprintln!("recorded {count:>8} on {topic}");
            }
        }
        Command::Bag(BagCommand::Record { output, storage, play, fast, all, topics, .. }) => {
            let play =
                play.context("--play BAG names the source (or record from ROS 2 with --ros2)")?;
            let reader = BagReader::open(&play)
                .with_context(|| format!("opening bag {}", play.display()))?;
            let topics = match (all, topics.is_empty()) {
                (true, _) => reader.topics().iter().map(|t| t.name.clone()).collect(),
                (false, false) => topics,
                (false, true) => bail!("name the topics to record, or --all"),
            };
            let bus = Bus::new();
            let writer = BagWriter::create(&output, storage.writer_options())
                .with_context(|| format!("creating bag {}", output.display()))?;
            let recorder = replay::Recorder::start(&bus, &topics, writer)?;
            let options =
                replay::PlayOptions { rate: (!fast).then_some(1.0), ..Default::default() };
            let stop = stop_flag()?;
            let played = replay::play(&reader, &bus, &options, &stop);
            let recorded = recorder.finish()?;
            played?;
            for (topic, count) in &recorded.recorded {
                eprintln!("recorded {count:>8} on {topic}");
            }
        }
        Command::Bag(BagCommand::Convert(ConvertCommand::Kitti {
            input,
            output,
            rate,
            storage,
        })) => {
            if !(rate > 0.0 && rate.is_finite()) {
                bail!("--rate must be a positive number of frames per second, got {rate}");
            }
            let sequence =
                edgefusion_kitti::SequenceOptions { rate_hz: rate, ..Default::default() };
            let report =
                convert::kitti_to_bag(&input, &output, sequence, storage.writer_options())?;
            eprintln!("converted {} frames into {}", report.frames, output.display());
        }
        Command::Run(args) => run_stack(args)?,
        Command::V2x(V2xCommand::Decode { file, hex, kind, json }) => {
            use edgefusion_v2x::{decode::Input, inspect};
            let kind = match kind {
                Some(name) => Some(Input::from_name(&name).with_context(|| {
                    format!("--kind {name}: expected gn, btp, cam, cpm, denm or bsm")
                })?),
                None => None,
            };
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let report = inspect::decode_file(&bytes, &inspect::DecodeOptions { hex, kind })
                .with_context(|| format!("decoding {}", file.display()))?;
            let text = if json {
                serde_json::to_string_pretty(&report)? + "\n"
            } else {
                inspect::render_text(&report)
            };
            // Not print!: a closed pipe (`| head`) is an error to report, not a panic.
            std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes())?;
        }
        Command::Nodes { executables } => {
            for kind in edgefusion::nodes::NODES {
                if executables {
                    println!("{}", kind.executable);
                } else {
                    println!("{:<10} {}", kind.name, kind.executable);
                }
            }
        }
        Command::Node(args) => {
            let kind = edgefusion::nodes::find(&args.name).with_context(|| {
                format!("no node '{}' (nodes: {})", args.name, edgefusion::nodes::names())
            })?;
            run_ros_node(kind)?
        }
        Command::Eval(args) => {
            if args.threads == 0 {
                bail!("--threads must be at least 1");
            }
            let report = eval::evaluate(&eval::EvalOptions {
                bag: args.bag,
                models: args.model,
                threads: args.threads,
                device: args.device,
                repeat: args.repeat,
            })?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", eval::report::render(&report));
            }
        }
        Command::Bag(BagCommand::Reindex { path }) => {
            edgefusion_bag::reindex(&path)
                .with_context(|| format!("reindexing {}", path.display()))?;
            eprintln!("rewrote {}", path.join("metadata.yaml").display());
        }
    }
    Ok(())
}

fn run_stack(args: RunArgs) -> Result<()> {
    let valid_rate = args.rate > 0.0 && args.rate.is_finite();
    if !args.fast && !valid_rate {
        bail!("--rate must be a positive number, got {}", args.rate);
    }
    let nodes = match &args.launch {
        Some(file) => {
            if !args.bag.exists() {
                bail!("bag {} does not exist", args.bag.display());
            }
            let launched =
                edgefusion::launch_plan::nodes_from_launch_file(file, &args.launch_args)?;
            launched.into_iter().map(stack::StackNode::from).collect()
        }
        None => default_stack(&args)?,
    };
    let options = stack::RunOptions {
        bag: args.bag,
        rate: (!args.fast).then_some(args.rate),
        record: args.record.map(|out| (out, args.storage.writer_options())),
    };
    let stop = stop_flag()?;
    let summary = stack::run(nodes, &options, &stop)?;
    eprint!("{}", summary.render());
    Ok(())
}

/// `run` without a launch file: every node of this build under its own name and on the
/// stack's topics, with its section of the --params files (defaults otherwise); --model sets
/// the fusion node's model_path. A node that needs a parameter nobody gave (the V2X node's
/// geodetic origin) is left out, and says so; any other parameter error stops the run.
fn default_stack(args: &RunArgs) -> Result<Vec<stack::StackNode>> {
    if let Some(model) = &args.model {
        // Named on the command line, a missing model is an error, not a degraded run.
        if !model.is_file() {
            bail!("model file {} does not exist", model.display());
        }
    }
    // Before loading the model: a wrong bag path should not wait for it.
    if !args.bag.exists() {
        bail!("bag {} does not exist", args.bag.display());
    }
    let mut nodes = Vec::new();
    for kind in edgefusion::nodes::NODES {
        let mut params = Params::new();
        for file in &args.params {
            params.load_file(file, kind.name)?;
        }
        if let (Some(model), true) = (&args.model, kind.name == FusionNode::NAME) {
            let value = ParamValue::String(model.display().to_string());
            params.set("model_path", value, "--model");
        }
        match (kind.build)(&params, kind.name) {
            Ok(core) => nodes.push(stack::StackNode::plain(core)),
            Err(e) if matches!(e.downcast_ref(), Some(ParamsError::Missing { .. })) => {
                eprintln!(
                    "{}: not started: {e} (give it with --params, or use --launch)",
                    kind.name
                )
            }
            Err(e) => return Err(e.context(format!("node {}", kind.name))),
        }
    }
    Ok(nodes)
}

/// `bag record --ros2` options, as the command line gives them.
#[cfg_attr(not(feature = "ros2"), allow(dead_code))]
struct RecordFromRos {
    topics: Vec<String>,
    all: bool,
    duration: Option<std::time::Duration>,
    max_messages: Option<u64>,
}

#[cfg(feature = "ros2")]
fn play_ros2(
    reader: &BagReader,
    options: &replay::PlayOptions,
    wait_for_subscribers: Option<f64>,
    stop: &AtomicBool,
) -> Result<replay::PlayReport> {
    use edgefusion::ros2_bag::RosDestination;
    let mut destination = RosDestination::new(
        "edgefusion_player",
        reader,
        options.topics.as_deref(),
        &options.remaps,
        options.publish_clock,
    )?;
    if let Some(seconds) = wait_for_subscribers {
        let missing =
            destination.wait_for_subscribers(std::time::Duration::from_secs_f64(seconds), stop);
        if !missing.is_empty() {
            eprintln!("no subscriber after {seconds} s on: {}; playing anyway", missing.join(", "));
        }
    }
    let report = replay::play_to(reader, &mut destination, options, stop);
    destination.finish();
    report
}

#[cfg(not(feature = "ros2"))]
fn play_ros2(
    _reader: &BagReader,
    _options: &replay::PlayOptions,
    _wait_for_subscribers: Option<f64>,
    _stop: &AtomicBool,
) -> Result<replay::PlayReport> {
    bail!("--ros2: this edgefusion was built without ROS 2 (cargo build --features ros2)")
}

#[cfg(feature = "ros2")]
fn record_ros2(
    writer: BagWriter,
    options: RecordFromRos,
    stop: &AtomicBool,
) -> Result<replay::RecordReport> {
    let options = edgefusion::ros2_bag::RosRecordOptions {
        topics: options.topics,
        all: options.all,
        duration: options.duration,
        max_messages: options.max_messages,
    };
    edgefusion::ros2_bag::record(writer, &options, stop)
}

#[cfg(not(feature = "ros2"))]
fn record_ros2(
    _writer: BagWriter,
    _options: RecordFromRos,
    _stop: &AtomicBool,
) -> Result<replay::RecordReport> {
    bail!("--ros2: this edgefusion was built without ROS 2 (cargo build --features ros2)")
}
