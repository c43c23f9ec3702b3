use super::*;

fn rule(phrase: &str, label: &str) -> Rule {
    Rule {
        phrase: phrase.into(),
        label: label.into(),
        negation: Negation::Any,
        sections: vec![],
        enabled: true,
    }
}

fn question(rules: Vec<Rule>) -> RuleBook {
    RuleBook {
        name: "Pneumothorax".into(),
        labels: vec!["present".into(), "absent".into(), "uncertain".into()],
        rules,
    }
}

fn label_of(rules: Vec<Rule>, text: &str) -> Option<(String, usize, Status)> {
    let labeler = Labeler::new(vec![question(rules)], &TextSettings::default()).unwrap();
    labeler.label(text)[0]
        .as_ref()
        .map(|o| (o.label.to_string(), o.rule, o.status))
}

#[test]
fn the_highest_priority_matching_rule_gives_the_label() {
    let rules = vec![
        rule("no pneumothorax", "absent"),
        rule("pneumothorax", "present"),
    ];
    assert_eq!(
        label_of(rules.clone(), "There is no pneumothorax."),
        Some(("absent".into(), 0, Status::Affirmed))
    );
    assert_eq!(
        label_of(rules.clone(), "Large pneumothorax."),
        Some(("present".into(), 1, Status::Affirmed))
    );
    assert_eq!(label_of(rules, "Clear lungs."), None);
    // Reversed, the general rule takes everything first.
    let reversed = vec![
        rule("pneumothorax", "present"),
        rule("no pneumothorax", "absent"),
    ];
    assert_eq!(
        label_of(reversed, "There is no pneumothorax.").map(|o| o.0),
        Some("present".into())
    );
}

#[test]
fn disabled_rules_do_not_match() {
    let mut first = rule("pneumothorax", "present");
    first.enabled = false;
    let rules = vec![first, rule("pneumo*", "uncertain")];
    assert_eq!(
        label_of(rules, "pneumothorax").map(|o| (o.0, o.1)),
        Some(("uncertain".into(), 1))
    );
}

#[test]
fn affirmed_only_ignores_negated_and_uncertain_mentions() {
    let mut affirmed = rule("pneumothorax", "present");
    affirmed.negation = Negation::AffirmedOnly;
    assert_eq!(label_of(vec![affirmed.clone()], "No pneumothorax."), None);
    assert_eq!(
        label_of(vec![affirmed.clone()], "Possible pneumothorax."),
        None
    );
    assert_eq!(
        label_of(vec![affirmed], "No effusion. Small pneumothorax.").map(|o| o.0),
        Some("present".into())
    );
}

#[test]
fn route_gives_a_label_per_status_preferring_an_affirmed_mention() {
    let mut routed = rule("pneumothorax", "present");
    routed.negation = Negation::Route {
        negated: Some("absent".into()),
        uncertain: Some("uncertain".into()),
    };
    let label = |text| label_of(vec![routed.clone()], text).map(|o| o.0);
    assert_eq!(label("No pneumothorax."), Some("absent".into()));
    assert_eq!(
        label("Pneumothorax cannot be excluded."),
        Some("uncertain".into())
    );
    assert_eq!(
        label("No pneumothorax on the left. Right pneumothorax."),
        Some("present".into())
    );
}

#[test]
fn section_scope_looks_only_in_the_named_sections() {
    let mut scoped = rule("pneumothorax", "present");
    scoped.sections = vec!["impression".into()];
    let text = "INDICATION: ?pneumothorax\nIMPRESSION:\nClear lungs.";
    assert_eq!(label_of(vec![scoped.clone()], text), None);
    let text = "INDICATION: trauma\nIMPRESSION:\nSmall pneumothorax.";
    assert_eq!(
        label_of(vec![scoped], text).map(|o| o.0),
        Some("present".into())
    );
}

#[test]
fn unknown_labels_and_sections_are_refused_by_name() {
    let error = Labeler::new(
        vec![question(vec![rule("pneumothorax", "maybe")])],
        &TextSettings::default(),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(error.contains("the label “maybe” is not one"), "{error}");
    let mut scoped = rule("pneumothorax", "present");
    scoped.sections = vec!["SUMMARY".into()];
    let error = Labeler::new(vec![question(vec![scoped])], &TextSettings::default())
        .err()
        .unwrap()
        .to_string();
    assert!(
        error.contains("rule 1 (“pneumothorax”) looks in the section “SUMMARY”, which is not one of the project's section headers (EXAMINATION,"),
        "{error}"
    );
}

#[test]
fn the_span_is_the_matched_phrase_in_the_original_text() {
    let labeler = Labeler::new(
        vec![question(vec![rule("pleural effusion", "present")])],
        &TextSettings::default(),
    )
    .unwrap();
    let text = "Small Pleural\nEffusion.";
    let outcome = labeler.label(text)[0].clone().unwrap();
    assert_eq!(&text[outcome.span.0..outcome.span.1], "Pleural\nEffusion");
}
