use super::*;

fn status_of(mention: &str, text: &str) -> Status {
    let cues = CueSet::new(&Cues::default()).unwrap();
    let mut set = PhraseSet::default();
    set.add(Phrase::parse(mention).unwrap());
    let reading = Reading::new(text, &[]);
    let found = cues.find(&reading);
    let mut first = None;
    set.find(&reading, |o| {
        first.get_or_insert(o);
    });
    let o = first.expect("the mention is in the text");
    found.status(&reading, o.first, o.end)
}

#[test]
fn pre_and_post_cues_negate() {
    assert_eq!(
        status_of("pneumothorax", "No pneumothorax."),
        Status::Negated
    );
    assert_eq!(
        status_of("pneumothorax", "No evidence of a large pneumothorax."),
        Status::Negated
    );
    assert_eq!(
        status_of("pneumothorax", "Pneumothorax is ruled out."),
        Status::Negated
    );
    assert_eq!(
        status_of("pneumothorax", "Large pneumothorax."),
        Status::Affirmed
    );
}

#[test]
fn uncertainty_cues_and_question_marks() {
    assert_eq!(
        status_of("pneumothorax", "Possible small pneumothorax."),
        Status::Uncertain
    );
    assert_eq!(
        status_of("pneumothorax", "A pneumothorax cannot be excluded."),
        Status::Uncertain
    );
    assert_eq!(
        status_of("pneumothorax", "?pneumothorax"),
        Status::Uncertain
    );
    assert_eq!(
        status_of("pneumothorax", "Pneumothorax?"),
        Status::Uncertain
    );
    assert_eq!(
        status_of("effusion", "Possibly no effusion."),
        Status::Uncertain
    );
}

#[test]
fn cues_stop_at_sentence_ends_and_termination_cues() {
    assert_eq!(
        status_of("effusion", "No pneumothorax. Effusion."),
        Status::Affirmed
    );
    assert_eq!(
        status_of("effusion", "No pneumothorax but a large effusion."),
        Status::Affirmed
    );
    assert_eq!(
        status_of(
            "effusion",
            "No pneumothorax, however effusion is ruled out."
        ),
        Status::Negated
    );
}

#[test]
fn pseudo_cues_do_not_negate() {
    assert_eq!(
        status_of("effusion", "No change in the right effusion."),
        Status::Affirmed
    );
    assert_eq!(
        status_of("effusion", "Not only an effusion but also edema."),
        Status::Affirmed
    );
    assert_eq!(
        status_of("effusion", "No increase in effusion, no pneumothorax."),
        Status::Affirmed
    );
}

#[test]
fn a_cue_inside_the_mention_is_not_its_cue() {
    assert_eq!(
        status_of("no pneumothorax", "No pneumothorax."),
        Status::Affirmed
    );
}

#[test]
fn a_bad_cue_names_its_list() {
    let cues = Cues {
        termination: vec!["but*ter".into()],
        ..Cues::default()
    };
    assert!(CueSet::new(&cues)
        .unwrap_err()
        .to_string()
        .starts_with("termination cues:"));
}

#[test]
fn published_negations_are_read() {
    for text in [
        "Patient denies pneumothorax.",
        "Pneumothorax has resolved.",
        "No history of pneumothorax.",
        "Lungs are clear of pneumothorax.",
        "Without evidence of pneumothorax.",
    ] {
        assert_eq!(status_of("pneumothorax", text), Status::Negated, "{text}");
    }
}

#[test]
fn template_fields_read_by_their_value() {
    for text in [
        "Pneumothorax: none.",
        "Pneumothorax: No",
        "Pneumothorax:none.",
        "Pneumothorax: None seen.",
        "PNEUMOTHORAX: negative",
    ] {
        assert_eq!(status_of("pneumothorax", text), Status::Negated, "{text}");
    }
    assert_eq!(
        status_of("pneumothorax", "Pneumothorax: possible."),
        Status::Uncertain
    );
    assert_eq!(
        status_of("pneumothorax", "Pneumothorax: small, apical."),
        Status::Affirmed
    );
    // A value that says more than a cue is not a template's "no".
    assert_eq!(
        status_of(
            "pneumothorax",
            "Pneumothorax: no change from the prior large one."
        ),
        Status::Affirmed
    );
}

#[test]
fn double_negatives_are_uncertain() {
    for text in [
        "These findings do not exclude pneumonia.",
        "Pneumonia is not ruled out.",
        "The study does not allow pneumonia to be excluded.",
        "Pneumonia cannot be excluded.",
    ] {
        assert_eq!(status_of("pneumonia", text), Status::Uncertain, "{text}");
    }
}

#[test]
fn a_normal_modifier_negates_the_finding_it_describes() {
    for text in [
        "Heart size is normal.",
        "Normal heart size.",
        "Heart size within normal limits.",
        "The heart size and pulmonary vascularity appear within normal limits.",
        "Heart size normal.",
    ] {
        assert_eq!(status_of("heart size", text), Status::Negated, "{text}");
    }
    assert_eq!(
        status_of(
            "cardiac silhouette",
            "The cardiac silhouette is not enlarged."
        ),
        Status::Negated
    );
    assert_eq!(
        status_of("the heart", "The heart is normal in size."),
        Status::Negated
    );
    // Too far from it, or in another sentence, it says nothing of the mention.
    assert_eq!(
        status_of(
            "effusion",
            "Normal cardiomediastinal silhouette with a small left effusion."
        ),
        Status::Affirmed
    );
    assert_eq!(
        status_of("heart size", "Heart size is enlarged. Lungs are normal."),
        Status::Affirmed
    );
    assert_eq!(
        status_of("cardiomegaly", "Mild cardiomegaly, otherwise normal."),
        Status::Affirmed
    );
    // "normal" describing the next word speaks of that, not of the finding before it.
    for text in [
        "Cardiomegaly with normal pulmonary vasculature.",
        "Cardiomegaly and normal lungs.",
    ] {
        assert_eq!(status_of("cardiomegaly", text), Status::Affirmed, "{text}");
    }
    for text in [
        "Heart size is normal and the lungs are clear.",
        "Heart size within normal limits, stable mediastinal contours.",
    ] {
        assert_eq!(status_of("heart size", text), Status::Negated, "{text}");
    }
}

#[test]
fn presets_hold_the_published_lists_and_every_cue_can_be_read() {
    let negex = Preset::NegEx.cues();
    // 125 pre-negations, 7 post, 21 + 14 uncertainty, 16 pseudo, 89 terminations, as tagged.
    assert_eq!(negex.pre_negation.len(), 125);
    assert_eq!(negex.post_negation.len(), 7);
    assert_eq!(
        negex.pre_uncertainty.len() + negex.post_uncertainty.len(),
        35
    );
    assert_eq!(negex.pseudo.len(), 16);
    assert_eq!(negex.termination.len(), 89);
    let context = Preset::ConText.cues();
    assert!(context.pre_negation.contains(&"lack of".to_string()));
    assert!(context
        .post_uncertainty
        .contains(&"not ruled out".to_string()));
    assert!(!context.post_negation.iter().any(|cue| cue.starts_with(':')));
    for preset in Preset::ALL {
        CueSet::new(&preset.cues()).unwrap_or_else(|error| panic!("{}: {error}", preset.name()));
        assert_eq!(Preset::parse(&preset.name().to_uppercase()), Some(preset));
    }
    let radiology = Preset::SieveRadiology.cues();
    assert!(radiology.pre_negation.contains(&"denies".to_string()));
    assert!(radiology
        .normal
        .contains(&"within normal limits".to_string()));
    assert_eq!(Cues::default(), radiology);
}
