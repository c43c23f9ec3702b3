//! `sieve agreement FILE.csv`: the agreement measures of the fellow's dashboard, for annotations
//! made with any tool (columns item, rater, label), as a table or `--json`.

use std::path::Path;

use sieve_core::agreement::{read_csv, Measure};

use super::Outcome;

pub fn run(file: &Path, json: bool) -> Outcome {
    let name = file.display().to_string();
    let text =
        std::fs::read_to_string(file).map_err(|error| format!("cannot read {name}: {error}"))?;
    let ratings = read_csv(&text).map_err(|errors| {
        errors
            .iter()
            .map(|error| format!("{name}:{}", error.trim_start_matches("line ")))
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    let agreement = ratings.agreement();
    if json {
        println!("{}", serde_json::to_string_pretty(&agreement)?);
        return Ok(());
    }
    let shown = |m: &Measure| match m.value {
        Some(value) => format!("{value:>8.4}  {:>6}", m.items),
        None => format!("{:>8}  {:>6}", "—", m.items),
    };
    println!(
        "{} items, {} raters, {} ratings; labels: {}",
        agreement.items,
        agreement.raters,
        agreement.ratings,
        agreement.labels.join(", ")
    );
    println!("{:<22}{:>8}  {:>6}", "measure", "value", "items");
    for (title, measure) in [
        ("percent agreement", &agreement.percent_agreement),
        ("Fleiss' kappa", &agreement.fleiss_kappa),
        ("Krippendorff's alpha", &agreement.krippendorff_alpha),
        ("Gwet's AC1", &agreement.gwet_ac1),
    ] {
        println!("{title:<22}{}", shown(measure));
    }
    if !agreement.pairs.is_empty() {
        println!(
            "\n{:<30}{:>8}  {:>6}{:>16}",
            "raters", "agree", "items", "Cohen's kappa"
        );
        for pair in &agreement.pairs {
            let kappa = pair
                .cohen_kappa
                .value
                .map_or_else(|| "—".to_string(), |k| format!("{k:.4}"));
            let agree = pair
                .percent_agreement
                .value
                .map_or_else(|| "—".to_string(), |a| format!("{a:.4}"));
            println!(
                "{:<30}{agree:>8}  {:>6}{kappa:>16}",
                format!("{} – {}", pair.a, pair.b),
                pair.percent_agreement.items
            );
        }
    }
    println!("\n— : undefined on these ratings (e.g. one label only, or no item rated twice)");
    Ok(())
}
