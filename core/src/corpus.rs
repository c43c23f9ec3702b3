//! A generator of realistic synthetic radiology reports (chest radiographs and head CTs), for the demo,
//! the tests and the benchmarks. Real report texts may not be redistributed, so nothing here comes
//! from a real patient; the same seed always gives the same corpus.
//!
//! Each finding is written present, absent (negated: "no pneumothorax") or uncertain ("cannot exclude"),
//! in varying words, so that phrase rules and negation handling meet the variety of real reports.

use crate::reports::NewReport;

/// A small, fast, deterministic random number generator (SplitMix64): the corpus must not change
/// when a dependency's generator does.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5151_7e0e_d00d_cafe)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Returns a number in `0..bound` (`bound` > 0).
    pub fn below(&mut self, bound: usize) -> usize {
        (self.next_u64() % bound as u64) as usize
    }

    /// Returns true with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    pub fn pick<'a>(&mut self, choices: &[&'a str]) -> &'a str {
        choices[self.below(choices.len())]
    }
}

/// How a report speaks of a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mention {
    Present,
    Absent,
    Uncertain,
}

/// One finding a report may speak of, with the sentences it is written in.
/// `{side}` and `{size}` are filled in at random.
struct Finding {
    name: &'static str,
    prevalence: f64,
    uncertain_share: f64,
    present: &'static [&'static str],
    absent: &'static [&'static str],
    uncertain: &'static [&'static str],
}

const CHEST_FINDINGS: &[Finding] = &[
    Finding {
        name: "pneumothorax",
        prevalence: 0.12,
        uncertain_share: 0.25,
        present: &[
            "There is a {size} {side} apical pneumothorax.",
            "{Size} {side} pneumothorax with partial collapse of the {side} lung.",
            "A {size} {side} pneumothorax is present, new since the prior study.",
        ],
        absent: &["No pneumothorax.", "There is no pneumothorax.", "No evidence of pneumothorax.", "Negative for pneumothorax."],
        uncertain: &[
            "A {size} {side} apical pneumothorax cannot be excluded.",
            "Possible {size} {side} pneumothorax.",
            "Questionable thin pleural line at the {side} apex, which may represent a small pneumothorax.",
        ],
    },
    Finding {
        name: "pleural effusion",
        prevalence: 0.25,
        uncertain_share: 0.2,
        present: &[
            "{Size} {side} pleural effusion.",
            "There is a {size} {side} pleural effusion with adjacent atelectasis.",
            "Blunting of the {side} costophrenic angle consistent with a {size} pleural effusion.",
        ],
        absent: &["No pleural effusion.", "No pleural effusion or pneumothorax.", "The costophrenic angles are sharp without pleural effusion."],
        uncertain: &[
            "Blunting of the {side} costophrenic angle may represent a trace pleural effusion.",
            "Possible {size} {side} pleural effusion.",
        ],
    },
    Finding {
        name: "consolidation",
        prevalence: 0.18,
        uncertain_share: 0.3,
        present: &[
            "Focal consolidation in the {side} lower lobe, concerning for pneumonia.",
            "There is airspace consolidation in the {side} upper lobe.",
            "Patchy {side} basilar consolidation.",
        ],
        absent: &["No focal consolidation.", "The lungs are clear without focal consolidation.", "No evidence of pneumonia."],
        uncertain: &[
            "Subtle {side} basilar opacity, atelectasis versus early pneumonia.",
            "Pneumonia cannot be excluded in the {side} lower lobe.",
        ],
    },
    Finding {
        name: "cardiomegaly",
        prevalence: 0.2,
        uncertain_share: 0.15,
        present: &["The heart is enlarged.", "Moderate cardiomegaly.", "Cardiomegaly, unchanged from the prior examination."],
        absent: &["The heart size is normal.", "Cardiac silhouette is within normal limits.", "No cardiomegaly."],
        uncertain: &["The heart size is at the upper limits of normal.", "Possible mild cardiomegaly, accentuated by AP technique."],
    },
    Finding {
        name: "pulmonary edema",
        prevalence: 0.12,
        uncertain_share: 0.25,
        present: &["Mild interstitial pulmonary edema.", "Findings consistent with moderate pulmonary edema.", "Vascular congestion with interstitial edema."],
        absent: &["No pulmonary edema.", "No evidence of pulmonary vascular congestion or edema."],
        uncertain: &["Possible mild interstitial edema.", "Hazy perihilar opacities may represent early pulmonary edema."],
    },
    Finding {
        name: "rib fracture",
        prevalence: 0.05,
        uncertain_share: 0.3,
        present: &["Acute fracture of the {side} {rib} rib.", "Displaced fractures of the {side} {rib} and adjacent ribs."],
        absent: &["No displaced rib fracture.", "No acute osseous abnormality."],
        uncertain: &["Possible nondisplaced fracture of the {side} {rib} rib.", "A subtle {side} rib fracture cannot be excluded."],
    },
];

const HEAD_FINDINGS: &[Finding] = &[
    Finding {
        name: "intracranial hemorrhage",
        prevalence: 0.12,
        uncertain_share: 0.2,
        present: &[
            "Acute intraparenchymal hemorrhage in the {side} basal ganglia measuring {mm} mm.",
            "{Size} {side} subdural hematoma measuring {mm} mm in thickness.",
            "Subarachnoid hemorrhage in the {side} sylvian fissure.",
        ],
        absent: &["No intracranial hemorrhage.", "There is no evidence of acute intracranial hemorrhage.", "No acute hemorrhage, mass effect or midline shift."],
        uncertain: &["Questionable small focus of hyperdensity in the {side} frontal lobe, possibly hemorrhage versus artifact.", "Subtle subarachnoid hemorrhage cannot be excluded."],
    },
    Finding {
        name: "acute infarct",
        prevalence: 0.1,
        uncertain_share: 0.35,
        present: &["Acute infarct in the {side} middle cerebral artery territory.", "Loss of gray-white differentiation in the {side} insula consistent with acute infarct."],
        absent: &["No CT evidence of acute territorial infarct.", "Gray-white differentiation is preserved."],
        uncertain: &["Possible early ischemic change in the {side} insular cortex; MRI is more sensitive.", "An acute infarct cannot be excluded by CT."],
    },
    Finding {
        name: "midline shift",
        prevalence: 0.06,
        uncertain_share: 0.1,
        present: &["There is {mm} mm of midline shift to the {side}.", "Mass effect with {mm} mm rightward midline shift."],
        absent: &["No midline shift.", "No mass effect or midline shift."],
        uncertain: &["Possible minimal midline shift."],
    },
    Finding {
        name: "hydrocephalus",
        prevalence: 0.05,
        uncertain_share: 0.2,
        present: &["The ventricles are enlarged out of proportion to the sulci, consistent with hydrocephalus."],
        absent: &["The ventricles are normal in size.", "No hydrocephalus."],
        uncertain: &["Mild ventricular prominence, which may represent early hydrocephalus versus volume loss."],
    },
    Finding {
        name: "skull fracture",
        prevalence: 0.04,
        uncertain_share: 0.25,
        present: &["Nondisplaced fracture of the {side} parietal bone.", "Depressed fracture of the {side} temporal bone."],
        absent: &["No calvarial fracture.", "No acute fracture of the calvarium or skull base."],
        uncertain: &["Possible nondisplaced fracture of the {side} occipital bone versus vascular groove."],
    },
];

/// An exam a report can be of.
struct Exam {
    code: &'static str,
    title: &'static str,
    modality: &'static str,
    body_part: &'static str,
    technique: &'static [&'static str],
}

const CHEST_EXAMS: &[Exam] = &[
    Exam {
        code: "XRCHEST2V",
        title: "XR CHEST PA AND LATERAL",
        modality: "CR",
        body_part: "CHEST",
        technique: &["PA and lateral views of the chest."],
    },
    Exam {
        code: "XRCHEST1VP",
        title: "XR CHEST 1 VIEW PORTABLE",
        modality: "DX",
        body_part: "CHEST",
        technique: &[
            "Single portable AP view of the chest.",
            "Portable semi-upright AP radiograph of the chest.",
        ],
    },
    Exam {
        code: "XRCHESTPA",
        title: "XR CHEST PA",
        modality: "DX",
        body_part: "CHEST",
        technique: &["Single PA view of the chest."],
    },
];

const HEAD_EXAMS: &[Exam] = &[
    Exam { code: "CTHEADWO", title: "CT HEAD WITHOUT CONTRAST", modality: "CT", body_part: "HEAD", technique: &["Axial images of the head were obtained without intravenous contrast. Coronal and sagittal reformats were reviewed."] },
    Exam { code: "CTHEADWWO", title: "CT HEAD WITH AND WITHOUT CONTRAST", modality: "CT", body_part: "HEAD", technique: &["Axial CT images of the head were obtained before and after the administration of intravenous contrast."] },
];

const CHEST_INDICATIONS: &[&str] = &[
    "Shortness of breath.",
    "Cough and fever, evaluate for pneumonia.",
    "Chest pain.",
    "Status post central line placement.",
    "Fall with left chest wall pain.",
    "Follow-up of known effusion.",
    "Preoperative evaluation.",
    "Hypoxia.",
];
const HEAD_INDICATIONS: &[&str] = &[
    "Fall with head strike on anticoagulation.",
    "Acute onset left-sided weakness, code stroke.",
    "Headache, worst of life.",
    "Altered mental status.",
    "Syncope.",
    "Motor vehicle collision.",
    "Follow-up of known subdural hematoma.",
];
const COMPARISONS: &[&str] = &[
    "None.",
    "Prior study from {days} days earlier.",
    "Radiograph of {days} days prior.",
    "None available.",
];
const CHEST_STABLE_LINES: &[&str] = &[
    "The mediastinal contours are unremarkable.",
    "No change in the appearance of the mediastinum.",
    "Visualized osseous structures are intact.",
    "Degenerative changes of the thoracic spine.",
    "The trachea is midline.",
    "Surgical clips project over the right upper quadrant.",
];
const HEAD_STABLE_LINES: &[&str] = &[
    "Mild periventricular white matter hypodensities, likely chronic small vessel ischemic disease.", "The basal cisterns are patent.",
    "The visualized paranasal sinuses and mastoid air cells are clear.", "Age-appropriate volume loss.", "No change in the appearance of the orbits.",
];
const NORMAL_IMPRESSIONS_CHEST: &[&str] = &[
    "No acute cardiopulmonary process.",
    "No acute cardiopulmonary abnormality.",
    "Normal chest radiograph.",
];
const NORMAL_IMPRESSIONS_HEAD: &[&str] = &[
    "No acute intracranial abnormality.",
    "No acute intracranial process. No significant interval change.",
];

/// Generates report number `index` of the corpus for `seed`. Reports are independent of one another,
/// so a corpus can be generated in parallel or in pieces.
pub fn report(seed: u64, index: u64, patients: u64) -> NewReport {
    let mut rng = Rng::new(seed.wrapping_mul(0x1000_0000_01b3).wrapping_add(index));
    let chest = rng.chance(0.7);
    let (exams, findings, indications, stable_lines, normal) = match chest {
        true => (
            CHEST_EXAMS,
            CHEST_FINDINGS,
            CHEST_INDICATIONS,
            CHEST_STABLE_LINES,
            NORMAL_IMPRESSIONS_CHEST,
        ),
        false => (
            HEAD_EXAMS,
            HEAD_FINDINGS,
            HEAD_INDICATIONS,
            HEAD_STABLE_LINES,
            NORMAL_IMPRESSIONS_HEAD,
        ),
    };
    let exam = &exams[rng.below(exams.len())];
    let accession = format!("SYN{seed:02}{index:08}");
    let patient_id = format!("PT{:07}", rng.below(patients.max(1) as usize));
    let study_date = study_date(&mut rng);
    let report_text = report_text(&mut rng, exam, findings, indications, stable_lines, normal);
    NewReport {
        image_uri: Some(format!("/archive/dicom/{patient_id}/{accession}/")),
        accession,
        patient_id,
        study_date,
        exam_code: exam.code.to_string(),
        modality: exam.modality.to_string(),
        body_part: exam.body_part.to_string(),
        report_text,
    }
}

/// Generates a corpus of `count` reports, with about three studies a patient.
pub fn generate(seed: u64, count: u64) -> impl Iterator<Item = NewReport> {
    let patients = count.div_ceil(3);
    (0..count).map(move |index| report(seed, index, patients))
}

fn study_date(rng: &mut Rng) -> String {
    let first = time::macros::date!(2012 - 01 - 01);
    let date = first + time::Duration::days(rng.below(13 * 365) as i64);
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        date.month() as u8,
        date.day()
    )
}

fn report_text(
    rng: &mut Rng,
    exam: &Exam,
    findings: &[Finding],
    indications: &[&str],
    stable_lines: &[&str],
    normal: &[&str],
) -> String {
    let mut findings_lines = Vec::new();
    let mut impression_lines = Vec::new();
    for finding in findings {
        let mention = mention_of(rng, finding);
        let Some(mention) = mention else { continue };
        let template = sentence_for(rng, finding, mention);
        let sentence = fill(rng, template);
        if mention != Mention::Absent {
            impression_lines.push(impression_for(rng, finding, mention));
        }
        findings_lines.push(sentence);
    }
    for _ in 0..rng.below(3) {
        findings_lines.push(rng.pick(stable_lines).to_string());
    }
    rotate(rng, &mut findings_lines);
    if impression_lines.is_empty() {
        impression_lines.push(rng.pick(normal).to_string());
    }
    let impression = impression_lines
        .iter()
        .enumerate()
        .map(|(number, line)| format!("{}. {line}", number + 1))
        .collect::<Vec<_>>()
        .join("\n");
    let comparison_template = rng.pick(COMPARISONS);
    let comparison = fill(rng, comparison_template);
    format!(
        "EXAMINATION: {}\n\nINDICATION: {}\n\nTECHNIQUE: {}\n\nCOMPARISON: {}\n\nFINDINGS:\n{}\n\nIMPRESSION:\n{}\n",
        exam.title,
        rng.pick(indications),
        rng.pick(exam.technique),
        comparison,
        findings_lines.join(" "),
        impression,
    )
}

/// Decides whether a report mentions a finding at all, and how. Most reports state the
/// important negatives ("No pneumothorax."), as radiologists do.
fn mention_of(rng: &mut Rng, finding: &Finding) -> Option<Mention> {
    if rng.chance(finding.prevalence) {
        return Some(match rng.chance(finding.uncertain_share) {
            true => Mention::Uncertain,
            false => Mention::Present,
        });
    }
    rng.chance(0.6).then_some(Mention::Absent)
}

fn sentence_for(rng: &mut Rng, finding: &Finding, mention: Mention) -> &'static str {
    let choices = match mention {
        Mention::Present => finding.present,
        Mention::Absent => finding.absent,
        Mention::Uncertain => finding.uncertain,
    };
    choices[rng.below(choices.len())]
}

fn impression_for(rng: &mut Rng, finding: &Finding, mention: Mention) -> String {
    let name = finding.name;
    let sentence = match mention {
        Mention::Uncertain => match rng.below(3) {
            0 => format!("possible {name}."),
            1 => format!("{name} cannot be excluded."),
            _ => format!("equivocal {name}; clinical correlation recommended."),
        },
        _ => match rng.below(3) {
            0 => format!("{name}."),
            1 => format!("interval development of {name}."),
            _ => format!("findings consistent with {name}."),
        },
    };
    capitalise(&sentence)
}

/// Fills the placeholders of a template sentence.
fn fill(rng: &mut Rng, template: &str) -> String {
    let size = rng.pick(&["small", "moderate", "large", "trace", "tiny"]);
    let text = template
        .replace("{side}", rng.pick(&["right", "left"]))
        .replace("{Size}", &capitalise(size))
        .replace("{size}", size)
        .replace(
            "{rib}",
            rng.pick(&["fourth", "fifth", "sixth", "seventh", "eighth"]),
        )
        .replace("{mm}", &(3 + rng.below(12)).to_string())
        .replace("{days}", &(1 + rng.below(400)).to_string());
    capitalise(&text)
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn rotate(rng: &mut Rng, lines: &mut [String]) {
    if !lines.is_empty() {
        let by = rng.below(lines.len());
        lines.rotate_left(by);
    }
}

#[cfg(test)]
mod tests;
