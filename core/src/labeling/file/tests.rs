use super::*;

fn sample() -> RuleBook {
    RuleBook {
        name: "Pneumothorax".into(),
        labels: vec!["present".into(), "absent".into(), "uncertain".into()],
        rules: vec![
            Rule {
                phrase: "no pneumothorax".into(),
                label: "absent".into(),
                negation: Negation::Any,
                sections: vec![],
                enabled: true,
            },
            Rule {
                phrase: "left, \"tension\" pneumo*".into(),
                label: "present".into(),
                negation: Negation::Route {
                    negated: Some("absent".into()),
                    uncertain: None,
                },
                sections: vec!["FINDINGS".into(), "IMPRESSION".into()],
                enabled: false,
            },
            Rule {
                phrase: "pneumothorax".into(),
                label: "present".into(),
                negation: Negation::AffirmedOnly,
                sections: vec![],
                enabled: true,
            },
        ],
    }
}

#[test]
fn both_formats_round_trip() {
    let question = sample();
    for format in [Format::Csv, Format::Yaml] {
        let text = write(format, &question);
        let file = read(format, &text, Some(&question.labels)).unwrap();
        assert_eq!(file.rules, question.rules, "{format:?}:\n{text}");
    }
    let yaml = read(Format::Yaml, &write(Format::Yaml, &question), None).unwrap();
    assert_eq!(yaml.into_question("ignored"), question);
}

#[test]
fn priorities_order_the_rules_and_ties_are_refused() {
    let text = "priority,phrase,label\n2,pneumothorax,present\n1,no pneumothorax,absent\n";
    let file = read(Format::Csv, text, None).unwrap();
    assert_eq!(file.rules[0].phrase, "no pneumothorax");
    let tie = "priority,phrase,label\n1,a,present\n1,b,absent\n";
    let errors = read(Format::Csv, tie, None).unwrap_err();
    assert_eq!(errors[0].line, 3);
    assert!(errors[0].message.contains("ties"), "{}", errors[0]);
}

#[test]
fn every_bad_row_is_reported_with_its_line() {
    let labels = vec!["present".to_string(), "absent".to_string()];
    let text = "phrase,label,negation\npneumothorax,present,\neff*usion,present,\nedema,maybe,\nlung,present,sometimes\n";
    let errors = read(Format::Csv, text, Some(&labels)).unwrap_err();
    let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(lines[0].starts_with("line 3: phrase:"), "{lines:?}");
    assert!(
        lines[1].starts_with("line 4: label: unknown label \"maybe\""),
        "{lines:?}"
    );
    assert!(lines[2].starts_with("line 5: negation:"), "{lines:?}");
}

#[test]
fn yaml_errors_carry_lines() {
    let text = "question: P\nlabels: [present]\nrules:\n  - phrase: a\n    label: present\n  - phrase: b\n    label: absent\n";
    let errors = read(Format::Yaml, text, None).unwrap_err();
    assert_eq!(errors[0].line, 6);
    let text = "question: P\nrules:\n  - phrase: a\n    lable: present\n";
    let errors = read(Format::Yaml, text, None).unwrap_err();
    assert_eq!(errors[0].line, 4, "{}", errors[0]);
}

#[test]
fn a_file_without_rules_is_refused() {
    for (format, text) in [
        (Format::Csv, ""),
        (Format::Csv, "  \n"),
        (Format::Csv, "phrase,label\n"),
        (Format::Yaml, "rules: []\n"),
    ] {
        let errors = read(format, text, None).unwrap_err();
        assert_eq!(errors.len(), 1, "{text:?}");
        assert!(errors[0].message.contains("no rules"), "{}", errors[0]);
    }
}

#[test]
fn unknown_or_missing_columns_are_refused_on_the_first_line() {
    let errors = read(Format::Csv, "phrase,lable\npneumothorax,present\n", None).unwrap_err();
    assert_eq!(errors[0].line, 1);
    assert!(
        errors[0].message.contains("“lable” is not one of them"),
        "{}",
        errors[0]
    );
    let garbage = "hello world\nthis is not a rules file\n";
    let errors = read(Format::Csv, garbage, None).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].message.contains("“hello world”"), "{}", errors[0]);
}

#[test]
fn a_yaml_file_that_is_not_a_rules_file_is_named_so() {
    let errors = read(Format::Yaml, "just some words\n", None).unwrap_err();
    assert!(
        errors[0].message.contains("not a rules file"),
        "{}",
        errors[0]
    );
    assert!(!errors[0].message.contains("struct"), "{}", errors[0]);
}

#[test]
fn a_byte_order_mark_is_ignored() {
    let text = "\u{feff}phrase,label\r\npneumothorax,present\r\n";
    assert_eq!(read(Format::Csv, text, None).unwrap().rules.len(), 1);
}

#[test]
fn a_csv_file_infers_its_labels() {
    let text = "phrase,label\nno pneumothorax,absent\npneumothorax,present\n";
    let question = read(Format::Csv, text, None)
        .unwrap()
        .into_question("Pneumothorax");
    assert_eq!(question.labels, ["absent", "present"]);
    assert_eq!(question.name, "Pneumothorax");
}
