//! `sieve gen-corpus`: writes synthetic reports as JSON lines, the format `sieve import` reads.

use std::io::{BufWriter, Write};

use sieve_core::corpus;

use super::Outcome;
use crate::cli::GenCorpusArgs;

pub fn run(args: &GenCorpusArgs) -> Outcome {
    let to_stdout = args.out.as_os_str() == "-";
    let sink: Box<dyn Write> = match to_stdout {
        true => Box::new(std::io::stdout().lock()),
        false => Box::new(
            std::fs::File::create(&args.out)
                .map_err(|error| format!("cannot create {}: {error}", args.out.display()))?,
        ),
    };
    let mut writer = BufWriter::with_capacity(1 << 20, sink);
    for report in corpus::generate(args.seed, args.reports) {
        serde_json::to_writer(&mut writer, &report)?;
        writer.write_all(b"\n")?;
    }
    writer.flush()?;
    if !to_stdout {
        eprintln!(
            "wrote {} reports (seed {}) to {}",
            args.reports,
            args.seed,
            args.out.display()
        );
    }
    Ok(())
}
