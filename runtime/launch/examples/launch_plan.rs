//! Prints the plan of a launch file as JSON, or its error:
//! `cargo run -p edgefusion-launch --example launch_plan -- launch/vehicle.launch.xml use_sim_time:=true`

use edgefusion_launch::{parse_launch_args, read_launch_file, LaunchOptions};

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let Some((file, args)) = argv.split_first() else {
        eprintln!("usage: launch_plan FILE.launch.xml [NAME:=VALUE ...]");
        std::process::exit(2);
    };
    let args = parse_launch_args(args).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2);
    });
    let options = LaunchOptions { args, ..Default::default() };
    match read_launch_file(file.as_ref(), &options) {
        Ok(plan) => println!("{}", serde_json::to_string_pretty(&plan).unwrap_or_default()),
        Err(e) => {
            eprintln!("error ({}): {e}", e.reason.as_str());
            std::process::exit(1);
        }
    }
}
