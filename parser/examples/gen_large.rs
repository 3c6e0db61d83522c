//! Prints a large generated VNET configuration to standard output.
//!
//! ```sh
//! cargo run -p jailconf-parser --example gen_large -- 5000 > big.conf
//! ```

use std::io::Write;

#[path = "../../fixtures/large/vnet.rs"]
mod vnet;

fn main() {
    let jails = match std::env::args().nth(1) {
        None => 5000,
        Some(arg) => match arg.parse::<usize>() {
            Ok(n) => n,
            Err(_) => {
                let _ = writeln!(
                    std::io::stderr(),
                    "usage: gen_large [JAILS]  (default 5000)"
                );
                std::process::exit(2);
            }
        },
    };
    let text = vnet::vnet_config(jails);
    if let Err(error) = std::io::stdout().lock().write_all(text.as_bytes()) {
        let _ = writeln!(std::io::stderr(), "gen_large: {error}");
        std::process::exit(1);
    }
}
