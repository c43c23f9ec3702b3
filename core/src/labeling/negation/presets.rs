//! Cue presets a project starts from, each a complete set of lists a fellow then edits:
//!
//! - **NegEx**: the 272 triggers of NegEx (Chapman et al., J Biomed Inform 34, 2001; the list of
//!   `GeneralNegEx.Java.v.1.2.05092009`, Apache License 2.0), by their tags: `[PREN]`/`[POST]`
//!   pre/post-negation, `[PREP]`/`[POSP]` pre/post-uncertainty, `[PSEU]` pseudo, `[CONJ]`
//!   termination.
//! - **ConText**: medspaCy's ConText rules (Harkema et al., J Biomed Inform 42, 2009; medspacy
//!   1.3.1, MIT License), each rule's literal by its category and direction: negated and possible
//!   existence forward/backward → pre/post-negation and uncertainty (bidirectional → both),
//!   hypothetical forward ("rule out", "if") → pre-uncertainty, terminations → termination,
//!   pseudo → pseudo. Historical and family rules have no list in Sieve and are left out, and so
//!   are the literals that begin with a colon (": none"): Sieve reads template fields itself.
//! - **Sieve radiology** (the default): both, and what radiology reports need besides: the
//!   normal-modifiers ("heart size is normal"), double negatives read as uncertainty ("does not
//!   exclude", "not ruled out"), hedges ("may represent", "differential diagnosis includes") and
//!   template values ("none", "none seen").
//!
//! The published lists are embedded from `core/data/cues/` (see its README for their sources and
//! licences).

use serde::{Deserialize, Serialize};

use super::Cues;

const NEGEX: &str = include_str!("../../../data/cues/negex_triggers.csv");
const CONTEXT: &str = include_str!("../../../data/cues/context_rules_en.json");

/// A named set of cue lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Preset {
    NegEx,
    ConText,
    SieveRadiology,
}

impl Preset {
    pub const ALL: [Preset; 3] = [Preset::SieveRadiology, Preset::NegEx, Preset::ConText];

    /// The preset's name as shown and as `parse` reads it.
    pub fn name(self) -> &'static str {
        match self {
            Preset::NegEx => "NegEx",
            Preset::ConText => "ConText",
            Preset::SieveRadiology => "Sieve radiology",
        }
    }

    /// What the preset holds, in a sentence.
    pub fn described(self) -> &'static str {
        match self {
            Preset::NegEx => {
                "the 272 published NegEx triggers (Chapman et al., 2001), as published"
            }
            Preset::ConText => "medspaCy's ConText rules (Harkema et al., 2009), as published",
            Preset::SieveRadiology => {
                "NegEx and ConText together, with what radiology reports need besides: \
                 normal-modifiers (“heart size is normal”), double negatives read as \
                 uncertain (“does not exclude”), hedges and template values (“Pneumothorax: none”)"
            }
        }
    }

    /// The preset named `name` (as [`Preset::name`] writes it, in any case).
    pub fn parse(name: &str) -> Option<Preset> {
        Preset::ALL
            .into_iter()
            .find(|preset| preset.name().eq_ignore_ascii_case(name.trim()))
    }

    /// The preset's lists.
    pub fn cues(self) -> Cues {
        match self {
            Preset::NegEx => negex(),
            Preset::ConText => context(),
            Preset::SieveRadiology => {
                let mut cues = negex();
                cues.add(&context());
                cues.add(&radiology());
                cues
            }
        }
    }
}

impl Cues {
    /// No cue at all.
    fn empty() -> Cues {
        Cues {
            pre_negation: Vec::new(),
            post_negation: Vec::new(),
            pre_uncertainty: Vec::new(),
            post_uncertainty: Vec::new(),
            pseudo: Vec::new(),
            termination: Vec::new(),
            normal: Vec::new(),
        }
    }

    fn lists_mut(&mut self) -> [&mut Vec<String>; 7] {
        [
            &mut self.pre_negation,
            &mut self.post_negation,
            &mut self.pre_uncertainty,
            &mut self.post_uncertainty,
            &mut self.pseudo,
            &mut self.termination,
            &mut self.normal,
        ]
    }

    /// Adds the cues of `other` that a list does not hold yet, in their order.
    fn add(&mut self, other: &Cues) {
        let mut other = other.clone();
        for (mine, theirs) in self.lists_mut().into_iter().zip(other.lists_mut()) {
            for cue in theirs.drain(..) {
                if !mine.contains(&cue) {
                    mine.push(cue);
                }
            }
        }
    }
}

/// The NegEx triggers by tag.
fn negex() -> Cues {
    let mut cues = Cues::empty();
    for line in NEGEX.lines().skip(1) {
        let Some((trigger, tag)) = line.rsplit_once(',') else {
            continue;
        };
        let list = match tag.trim() {
            "[PREN]" => &mut cues.pre_negation,
            "[POST]" => &mut cues.post_negation,
            "[PREP]" => &mut cues.pre_uncertainty,
            "[POSP]" => &mut cues.post_uncertainty,
            "[PSEU]" => &mut cues.pseudo,
            "[CONJ]" => &mut cues.termination,
            _ => continue,
        };
        push(list, trigger);
    }
    cues
}

#[derive(Deserialize)]
struct ContextRules {
    context_rules: Vec<ContextRule>,
}

#[derive(Deserialize)]
struct ContextRule {
    category: String,
    literal: String,
    direction: String,
}

/// The ConText rules' literals by category and direction.
fn context() -> Cues {
    let rules: ContextRules =
        serde_json::from_str(CONTEXT).expect("the embedded ConText rules are valid JSON");
    let mut cues = Cues::empty();
    for rule in rules.context_rules {
        if rule.literal.trim_start().starts_with(':') {
            continue;
        }
        let direction = rule.direction.as_str();
        let lists: Vec<&mut Vec<String>> = match (rule.category.as_str(), direction) {
            (_, "TERMINATE") => vec![&mut cues.termination],
            (_, "PSEUDO") | ("PSEUDO", _) => vec![&mut cues.pseudo],
            ("NEGATED_EXISTENCE", "FORWARD") => vec![&mut cues.pre_negation],
            ("NEGATED_EXISTENCE", "BACKWARD") => vec![&mut cues.post_negation],
            ("NEGATED_EXISTENCE", "BIDIRECTIONAL") => {
                vec![&mut cues.pre_negation, &mut cues.post_negation]
            }
            ("POSSIBLE_EXISTENCE", "FORWARD") | ("HYPOTHETICAL", "FORWARD") => {
                vec![&mut cues.pre_uncertainty]
            }
            ("POSSIBLE_EXISTENCE", "BACKWARD") => vec![&mut cues.post_uncertainty],
            ("POSSIBLE_EXISTENCE", "BIDIRECTIONAL") => {
                vec![&mut cues.pre_uncertainty, &mut cues.post_uncertainty]
            }
            _ => continue,
        };
        for list in lists {
            push(list, &rule.literal);
        }
    }
    cues
}

/// What radiology reports need beyond the published lists.
fn radiology() -> Cues {
    let owned = |list: &[&str]| list.iter().map(|cue| cue.to_string()).collect();
    Cues {
        pre_negation: owned(&["no definite", "resolution of", "clear of"]),
        post_negation: owned(&[
            "none",
            "none seen",
            "not seen",
            "not identified",
            "not present",
            "is absent",
            "are absent",
            "has resolved",
            "have resolved",
            "negative",
        ]),
        pre_uncertainty: owned(&[
            "possible",
            "possibly",
            "probable",
            "probably",
            "questionable",
            "suspected",
            "concern for",
            "concerning for",
            "cannot exclude",
            "can not exclude",
            "cannot rule out",
            "do not exclude",
            "does not exclude",
            "not exclude",
            "does not rule out",
            "may represent",
            "could represent",
            "may reflect",
            "could reflect",
            "may be due to",
            "could be due to",
            "may be",
            "could be",
            "suggesting",
            "suggests",
            "suggest",
            "differential diagnosis includes",
            "differential includes",
            "equivocal",
            "versus",
            "vs",
            "?",
        ]),
        post_uncertainty: owned(&[
            "cannot be excluded",
            "can not be excluded",
            "not excluded",
            "cannot be ruled out",
            "is not ruled out",
            "to be excluded",
            "is suspected",
            "is possible",
            "is questioned",
            "versus",
            "vs",
            "?",
        ]),
        pseudo: owned(&[
            "no decrease",
            "without change",
            "without significant change",
            "not significantly changed",
            "otherwise normal",
            "otherwise unremarkable",
            "otherwise clear",
        ]),
        termination: owned(&["except for", "other than", "with the exception of"]),
        normal: owned(&[
            "normal",
            "normal in size",
            "normal size",
            "within normal limits",
            "within limits of normal",
            "within normal range",
            "unremarkable",
            "not enlarged",
            "not significantly enlarged",
        ]),
    }
}

/// Adds a published cue to a list, lower-cased, once.
fn push(list: &mut Vec<String>, cue: &str) {
    let cue = cue.trim().to_lowercase();
    if !cue.is_empty() && !list.contains(&cue) {
        list.push(cue);
    }
}
